//! The revoked-serials table: one row per revoked or held certificate. CRLs are generated
//! by streaming it; nothing else is read for a CRL.

use futures_util::Stream;

use crate::{Backend, Store, StoreError, WriteTx};

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

/// Revocations of a CA packed by the database into chunks of text, about 10,000 per chunk:
/// `serial revoked_at reason` joined by `;`. Moving a hundred chunks instead of a million
/// rows is what keeps a million-entry CRL inside a few seconds (the per-row cost of the
/// driver dominates otherwise).
pub fn stream_packed_for_ca(
    store: &Store,
    ca_id: i64,
) -> impl Stream<Item = Result<String, sqlx::Error>> + '_ {
    let sql = match store.backend() {
        Backend::Sqlite => {
            "SELECT group_concat(serial || ' ' || revoked_at || ' ' || reason, ';') FROM revocations \
             WHERE ca_id = $1 GROUP BY certificate_id / 10000"
        }
        Backend::Postgres => {
            "SELECT string_agg(serial || ' ' || revoked_at || ' ' || reason, ';') FROM revocations \
             WHERE ca_id = $1 GROUP BY certificate_id / 10000"
        }
    };
    sqlx::query_scalar::<_, String>(sql)
        .bind(ca_id)
        .fetch(store.pool())
}
