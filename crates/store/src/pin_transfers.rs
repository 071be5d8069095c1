//! PINs that travel in the remark of a payment to the customer's corporate account: one
//! row per produced key ([`add`], in the transaction that finishes its job), then the
//! payment's attempts ([`failed`]) until it is made ([`sent`]).

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PinTransferRecord {
    pub id: i64,
    pub job_id: i64,
    pub created_at: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}

const SELECT: &str =
    "SELECT id, job_id, created_at, attempts, last_error, sent_at FROM pin_transfers";

/// Records that job `job_id`'s user PIN is to be paid to the account (once).
pub async fn add(tx: &mut WriteTx, job_id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO pin_transfers (job_id, created_at) VALUES ($1, $2) ON CONFLICT (job_id) DO NOTHING",
    )
    .bind(job_id)
    .bind(tx.now().seconds())
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// The transfers not made yet and tried fewer than `max_attempts` times, oldest first.
pub async fn pending(
    store: &Store,
    max_attempts: i64,
    limit: i64,
) -> Result<Vec<PinTransferRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE sent_at IS NULL AND attempts < $1 ORDER BY id LIMIT $2"
    ))
    .bind(max_attempts)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// The transfer of `id` was made; false when it already was.
pub async fn sent(tx: &mut WriteTx, id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE pin_transfers SET sent_at = $1, attempts = attempts + 1, last_error = NULL \
         WHERE id = $2 AND sent_at IS NULL",
    )
    .bind(tx.now().seconds())
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An attempt of `id` that did not pay, and why.
pub async fn failed(tx: &mut WriteTx, id: i64, error: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE pin_transfers SET attempts = attempts + 1, last_error = $1 WHERE id = $2 AND sent_at IS NULL",
    )
    .bind(error)
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}
