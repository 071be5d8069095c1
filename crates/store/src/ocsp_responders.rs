//! Delegated OCSP responder keys and certificates.

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResponderRecord {
    pub id: i64,
    pub ca_id: i64,
    pub certificate_id: i64,
    pub not_after: i64,
    pub sealed_key: Vec<u8>,
    pub cert_der: Vec<u8>,
}

pub async fn insert(
    tx: &mut WriteTx,
    ca_id: i64,
    certificate_id: i64,
    not_after: i64,
    sealed_key: &[u8],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ocsp_responders (ca_id, certificate_id, not_after, sealed_key, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(ca_id)
    .bind(certificate_id)
    .bind(not_after)
    .bind(sealed_key)
    .bind(tx.now().seconds())
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// The responder of each CA that is valid longest.
pub async fn current(store: &Store) -> Result<Vec<ResponderRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT o.id, o.ca_id, o.certificate_id, o.not_after, o.sealed_key, c.der AS cert_der FROM ocsp_responders o \
         JOIN certificates c ON c.id = o.certificate_id \
         WHERE o.id IN (SELECT MAX(id) FROM ocsp_responders GROUP BY ca_id)",
    )
    .fetch_all(store.pool())
    .await?)
}
