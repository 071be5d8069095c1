//! PINs in payment remarks, every minute: the produced keys whose user PIN goes in the
//! remark of a 0.01 元 payment to the verified corporate account are paid, a failed one
//! asked again next round ([`crate::flows::produce::transfer_pins`]).

use std::sync::Arc;
use std::time::Duration;

use crate::{App, ServiceError};

/// One round; how many PINs were paid.
pub async fn run_once(app: &App) -> Result<u64, ServiceError> {
    crate::flows::produce::transfer_pins(app).await
}

pub async fn run(app: Arc<App>) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        if let Err(e) = run_once(&app).await {
            tracing::error!(error = %e, "PIN transfer round failed");
        }
    }
}
