//! Issuing electronic invoices, every minute: each requested electronic normal invoice is
//! issued by the invoicing provider, when one is configured ([`crate::flows::invoice::issue_due`];
//! seed 001 promises the e-invoice within 24 hours of payment). A provider that does not
//! answer is asked again next round with the same request number.

use std::sync::Arc;
use std::time::Duration;

use crate::{App, ServiceError};

pub async fn run_once(app: &App) -> Result<u64, ServiceError> {
    crate::flows::invoice::issue_due(app).await
}

pub async fn run(app: Arc<App>) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        if let Err(e) = run_once(&app).await {
            tracing::error!(error = %e, "invoice round failed");
        }
    }
}
