//! The latest CRL of each CA.

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CrlRecord {
    pub ca_id: i64,
    pub crl_number: i64,
    pub revocation_epoch: i64,
    pub this_update: i64,
    pub next_update: i64,
    pub entries: i64,
    pub der: Vec<u8>,
}

/// Stores a CRL in the caller's transaction, unless a newer one (by number) is already there.
pub async fn save(tx: &mut WriteTx, crl: &CrlRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO crls (ca_id, crl_number, revocation_epoch, this_update, next_update, entries, der) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (ca_id) DO UPDATE SET \
         crl_number = excluded.crl_number, revocation_epoch = excluded.revocation_epoch, \
         this_update = excluded.this_update, next_update = excluded.next_update, \
         entries = excluded.entries, der = excluded.der WHERE crls.crl_number < excluded.crl_number",
    )
    .bind(crl.ca_id)
    .bind(crl.crl_number)
    .bind(crl.revocation_epoch)
    .bind(crl.this_update)
    .bind(crl.next_update)
    .bind(crl.entries)
    .bind(&crl.der)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

pub async fn latest(store: &Store, ca_id: i64) -> Result<Option<CrlRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT ca_id, crl_number, revocation_epoch, this_update, next_update, entries, der FROM crls WHERE ca_id = $1",
    )
    .bind(ca_id)
    .fetch_optional(store.pool())
    .await?)
}

/// (ca_id, crl_number, revocation_epoch, next_update) of every stored CRL, without the DER.
pub async fn summaries(store: &Store) -> Result<Vec<(i64, i64, i64, i64)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT ca_id, crl_number, revocation_epoch, next_update FROM crls")
            .fetch_all(store.pool())
            .await?,
    )
}
