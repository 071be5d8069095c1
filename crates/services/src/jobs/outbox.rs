//! Delivery of the notification outbox, a round every second
//! (`notifications::delivery::deliver_due`).

use std::sync::Arc;
use std::time::Duration;

use crate::{App, ServiceError};

/// One round; returns how many messages were sent.
pub async fn run_once(app: &App) -> Result<usize, ServiceError> {
    crate::notifications::delivery::deliver_due(app).await
}

pub async fn run(app: Arc<App>) {
    loop {
        if let Err(e) = run_once(&app).await {
            tracing::error!(error = %e, "outbox delivery round failed");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
