//! Receipts, hourly: a parcel the courier platform reports signed for completes its
//! application ([`crate::flows::ship::follow_parcels`]); then a shipped key nobody
//! confirmed within its channel's `receipt_assumed_after_days` is taken as received
//! (已完成), on the application's clock ([`crate::flows::ship::assume_receipts`]).

use std::sync::Arc;
use std::time::Duration;

use crate::{App, ServiceError};

/// One round; how many applications it completed.
pub async fn run_once(app: &App) -> Result<u64, ServiceError> {
    let signed = crate::flows::ship::follow_parcels(app).await?;
    Ok(signed + crate::flows::ship::assume_receipts(app).await?)
}

pub async fn run(app: Arc<App>) {
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        if let Err(e) = run_once(&app).await {
            tracing::error!(error = %e, "receipt round failed");
        }
    }
}
