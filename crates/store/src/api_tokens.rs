//! API tokens for registration-authority integrations. Only a SHA-256 of each token is
//! stored (tokens are 256 random bits, so a fast hash is enough: nothing to brute-force).

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiTokenRecord {
    pub id: i64,
    pub name: String,
    /// Comma-separated CA names, or `*`.
    pub cas: String,
    /// Comma-separated profile names, or `*`.
    pub profiles: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

pub async fn insert(
    tx: &mut WriteTx,
    name: &str,
    token_hash: &str,
    cas: &str,
    profiles: &str,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO api_tokens (name, token_hash, cas, profiles, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(token_hash)
    .bind(cas)
    .bind(profiles)
    .bind(tx.now().seconds())
    .fetch_one(&mut ***tx)
    .await?;
    Ok(id)
}

pub async fn find_active_by_hash(
    store: &Store,
    token_hash: &str,
) -> Result<Option<ApiTokenRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, name, cas, profiles, created_at, revoked_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(store.pool())
    .await?)
}

pub async fn find_by_name(
    tx: &mut WriteTx,
    name: &str,
) -> Result<Option<ApiTokenRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, name, cas, profiles, created_at, revoked_at FROM api_tokens WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(&mut ***tx)
    .await?)
}

pub async fn list(store: &Store) -> Result<Vec<ApiTokenRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, name, cas, profiles, created_at, revoked_at FROM api_tokens ORDER BY id",
    )
    .fetch_all(store.pool())
    .await?)
}

pub async fn revoke(tx: &mut WriteTx, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
        .bind(tx.now().seconds())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}
