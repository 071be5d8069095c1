//! Renewal of the delegated OCSP responder certificates that come within the renewal
//! margin of expiry, checked hourly while the server runs.

use std::sync::Arc;
use std::time::Duration;

use crate::{App, ServiceError};

/// One round.
pub async fn run_once(app: &App) -> Result<(), ServiceError> {
    crate::ca::ocsp::renew_responders(app).await
}

pub async fn run(app: Arc<App>) {
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        if let Err(e) = run_once(&app).await {
            tracing::error!(error = %e, "OCSP responder renewal failed");
        }
    }
}
