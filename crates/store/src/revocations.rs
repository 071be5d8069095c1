//! The revoked-serials table: one row per revoked or held certificate. CRLs are generated
//! by streaming it; nothing else is read for a CRL.

use futures_util::Stream;

use crate::{Store, StoreError, WriteTx};

/// Records a revocation (or a hold, or a hold turned permanent).
pub async fn upsert(
    tx: &mut WriteTx,
    certificate_id: i64,
    ca_id: i64,
    serial: &str,
    revoked_at: i64,
    reason: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO revocations (certificate_id, ca_id, serial, revoked_at, reason) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (certificate_id) DO UPDATE SET revoked_at = excluded.revoked_at, reason = excluded.reason",
    )
    .bind(certificate_id)
    .bind(ca_id)
    .bind(serial)
    .bind(revoked_at)
    .bind(reason)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Lifts a hold.
pub async fn delete(tx: &mut WriteTx, certificate_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM revocations WHERE certificate_id = $1")
        .bind(certificate_id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Streams (serial hex, revoked_at, reason) of every revocation of a CA.
pub fn stream_for_ca(
    store: &Store,
    ca_id: i64,
) -> impl Stream<Item = Result<(String, i64, i64), sqlx::Error>> + '_ {
    sqlx::query_as("SELECT serial, revoked_at, reason FROM revocations WHERE ca_id = $1")
        .bind(ca_id)
        .fetch(store.pool())
}
