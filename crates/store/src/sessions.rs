//! Server-side sessions of customers and operators (one table, a realm each).

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRecord {
    pub principal_id: i64,
    pub csrf_token: String,
    pub expires_at: i64,
    pub last_seen_at: i64,
}

pub async fn insert(
    tx: &mut WriteTx,
    realm: &str,
    token_hash: &str,
    principal_id: i64,
    csrf_token: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    let now = tx.now().seconds();
    sqlx::query(
        "INSERT INTO sessions (token_hash, realm, principal_id, csrf_token, created_at, expires_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $5)",
    )
    .bind(token_hash)
    .bind(realm)
    .bind(principal_id)
    .bind(csrf_token)
    .bind(now)
    .bind(expires_at)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

pub async fn find(
    store: &Store,
    realm: &str,
    token_hash: &str,
) -> Result<Option<SessionRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT principal_id, csrf_token, expires_at, last_seen_at FROM sessions WHERE token_hash = $1 AND realm = $2",
    )
    .bind(token_hash)
    .bind(realm)
    .fetch_optional(store.pool())
    .await?)
}

/// Records activity (for the idle timeout), at most once a minute per session.
pub async fn touch(store: &Store, token_hash: &str) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    let now = tx.now().seconds();
    sqlx::query(
        "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $3",
    )
    .bind(now)
    .bind(token_hash)
    .bind(now - 60)
    .execute(&mut **tx)
    .await?;
    tx.commit().await
}

pub async fn delete(tx: &mut WriteTx, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Ends every session of a principal except `keep` (if given); returns how many ended.
pub async fn delete_all_of(
    tx: &mut WriteTx,
    realm: &str,
    principal_id: i64,
    keep: Option<&str>,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "DELETE FROM sessions WHERE realm = $1 AND principal_id = $2 AND token_hash <> $3",
    )
    .bind(realm)
    .bind(principal_id)
    .bind(keep.unwrap_or(""))
    .execute(&mut ***tx)
    .await?
    .rows_affected())
}
