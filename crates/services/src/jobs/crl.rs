//! CRL publication: every 2 s, and shortly after each revocation (a pause gathers a burst
//! into one CRL). Each round drops caches other nodes made stale and, on the node holding
//! the lease, publishes the CRLs that are due (`ca::crl::sync_and_publish`).

use std::sync::Arc;
use std::time::Duration;

use crate::{App, ServiceError};

/// One round; returns how many CRLs were published.
pub async fn run_once(app: &App) -> Result<usize, ServiceError> {
    crate::ca::crl::sync_and_publish(app).await
}

pub async fn run(app: Arc<App>) {
    const POLL: Duration = Duration::from_secs(2);
    const GATHER: Duration = Duration::from_millis(300);
    loop {
        let woken = match app.ca().await {
            Ok(engine) => tokio::time::timeout(POLL, engine.revocations_changed.notified())
                .await
                .is_ok(),
            Err(_) => {
                tokio::time::sleep(POLL).await;
                false
            }
        };
        if woken {
            tokio::time::sleep(GATHER).await;
        }
        if let Err(e) = run_once(&app).await {
            tracing::error!(error = %e, "CRL publication failed; retrying");
        }
    }
}
