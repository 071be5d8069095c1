//! Failed logins per subject (an account, an address), for throttling.

use crate::{Store, StoreError, WriteTx};

pub async fn record(tx: &mut WriteTx, subjects: &[&str]) -> Result<(), StoreError> {
    for subject in subjects {
        sqlx::query("INSERT INTO login_failures (subject, at) VALUES ($1, $2)")
            .bind(*subject)
            .bind(tx.now().seconds())
            .execute(&mut ***tx)
            .await?;
    }
    Ok(())
}

/// (failures of `subject` since `since`, the oldest of them).
pub async fn since(
    store: &Store,
    subject: &str,
    since: i64,
) -> Result<(i64, Option<i64>), StoreError> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM login_failures WHERE subject = $1 AND at >= $2",
    )
    .bind(subject)
    .bind(since)
    .fetch_one(store.pool())
    .await?)
}

/// Forgets an account's failures after a successful login.
pub async fn clear(tx: &mut WriteTx, subject: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_failures WHERE subject = $1")
        .bind(subject)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}
