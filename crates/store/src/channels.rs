//! Channel definitions (JSON documents), versioned for optimistic concurrency.

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelRecord {
    pub code: String,
    /// The definition as JSON.
    pub definition: String,
    /// 1 when created, +1 at every change.
    pub version: i64,
    pub updated_at: i64,
}

const SELECT: &str = "SELECT code, definition, version, updated_at FROM channels";

/// Inserts a channel unless its code exists; true when inserted.
pub async fn insert_if_absent(
    tx: &mut WriteTx,
    code: &str,
    definition: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO channels (code, definition, version, updated_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (code) DO NOTHING",
    )
    .bind(code)
    .bind(definition)
    .bind(tx.now().seconds())
    .execute(&mut ***tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces a channel's definition if it is still at `expected_version`; false otherwise
/// (someone else changed it, or it does not exist).
pub async fn update(
    tx: &mut WriteTx,
    code: &str,
    definition: &str,
    expected_version: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE channels SET definition = $1, version = version + 1, updated_at = $2 \
         WHERE code = $3 AND version = $4",
    )
    .bind(definition)
    .bind(tx.now().seconds())
    .bind(code)
    .bind(expected_version)
    .execute(&mut ***tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(store: &Store, code: &str) -> Result<Option<ChannelRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE code = $1"))
        .bind(code)
        .fetch_optional(store.pool())
        .await?)
}

/// Every channel, by code.
pub async fn list(store: &Store) -> Result<Vec<ChannelRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} ORDER BY code"))
        .fetch_all(store.pool())
        .await?)
}
