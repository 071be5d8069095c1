//! A channel's own merchant accounts with the online payment providers
//! (`payment_merchants`): one per channel and provider, replaced as a whole.

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MerchantRecord {
    pub channel_code: String,
    pub provider: String,
    pub app_id: String,
    /// The public settings, JSON.
    pub settings: String,
    /// The secrets, sealed.
    pub sealed: Vec<u8>,
    pub updated_at: i64,
}

/// Records (or replaces) the merchant of `channel_code` with `provider`.
pub async fn put(
    tx: &mut WriteTx,
    channel_code: &str,
    provider: &str,
    app_id: &str,
    settings: &str,
    sealed: &[u8],
) -> Result<(), StoreError> {
    let now = tx.now().seconds();
    sqlx::query(
        "INSERT INTO payment_merchants (channel_code, provider, app_id, settings, sealed, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (channel_code, provider) DO UPDATE SET app_id = excluded.app_id, \
         settings = excluded.settings, sealed = excluded.sealed, updated_at = excluded.updated_at",
    )
    .bind(channel_code)
    .bind(provider)
    .bind(app_id)
    .bind(settings)
    .bind(sealed)
    .bind(now)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Every channel's merchant, by channel and provider.
pub async fn all(store: &Store) -> Result<Vec<MerchantRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT channel_code, provider, app_id, settings, sealed, updated_at \
         FROM payment_merchants ORDER BY channel_code, provider",
    )
    .fetch_all(store.pool())
    .await?)
}
