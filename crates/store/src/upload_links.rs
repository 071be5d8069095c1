//! One-time links that let a phone upload one document of one application. A link is
//! found by the SHA-256 of its token; [`consume`] spends it with a compare-and-set, so two
//! uploads through one link store one document.

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UploadLinkRecord {
    pub id: i64,
    pub application_id: i64,
    pub customer_id: i64,
    pub slot: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A new link; an earlier unused link of the same application and slot stops working.
pub async fn insert(
    tx: &mut WriteTx,
    token_hash: &str,
    application_id: i64,
    customer_id: i64,
    slot: &str,
    expires_at: i64,
) -> Result<i64, StoreError> {
    let now = tx.now().seconds();
    sqlx::query(
        "UPDATE upload_links SET used_at = $1 WHERE application_id = $2 AND slot = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(application_id)
    .bind(slot)
    .execute(&mut ***tx)
    .await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO upload_links (token_hash, application_id, customer_id, slot, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(token_hash)
    .bind(application_id)
    .bind(customer_id)
    .bind(slot)
    .bind(expires_at)
    .bind(now)
    .fetch_one(&mut ***tx)
    .await?;
    Ok(id)
}

/// The link with this token hash, used or not.
pub async fn find(store: &Store, token_hash: &str) -> Result<Option<UploadLinkRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, application_id, customer_id, slot, expires_at, used_at FROM upload_links WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(store.pool())
    .await?)
}

/// Spends link `id` if it is unused and not expired; false otherwise.
pub async fn consume(tx: &mut WriteTx, id: i64) -> Result<bool, StoreError> {
    let now = tx.now().seconds();
    let done = sqlx::query(
        "UPDATE upload_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
