//! Forgetting what no rule needs any more, hourly: failed logins and throttle rows older
//! than a day (the throttle window is 15 minutes), SMS codes expired more than a day ago
//! (the code limits look back one hour), payment notices refused for their signature a
//! week ago (verified ones are kept for good). Without it, a stranger trying many numbers,
//! or posting forged notices, would grow these tables without end.

use std::sync::Arc;
use std::time::Duration;

use crate::{App, ServiceError};

/// How long past any window the rows are kept (for an administrator looking into an
/// incident the same day; the audit log keeps the events for good).
const KEPT_FOR_SECONDS: i64 = 86_400;

/// One round; returns how many rows went.
pub async fn run_once(app: &App) -> Result<u64, ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let before = tx.now().seconds() - KEPT_FOR_SECONDS;
    let gone = store::login_failures::prune(&mut tx, before).await?
        + store::customers::prune_sms_codes(&mut tx, before).await?
        + store::payments::prune_rejected(&mut tx, before - 6 * KEPT_FOR_SECONDS).await?;
    tx.commit().await?;
    Ok(gone)
}

pub async fn run(app: Arc<App>) {
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        if let Err(e) = run_once(&app).await {
            tracing::error!(error = %e, "housekeeping failed");
        }
    }
}
