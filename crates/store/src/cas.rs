//! Certificate authorities.

use crate::{Store, StoreError, WriteTx};

/// A CA as stored. The key is either sealed (software) or named in a PKCS#11 token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaRecord {
    pub id: i64,
    pub name: String,
    pub family: String,
    pub role: String,
    pub parent_id: Option<i64>,
    pub subject: String,
    pub cert_der: Vec<u8>,
    pub not_after: i64,
    pub sha256: String,
    pub key_storage: String,
    pub sealed_key: Option<Vec<u8>>,
    pub pkcs11_label: Option<String>,
    pub crl_number: i64,
    pub revocation_epoch: i64,
}

/// A CA to create.
pub struct NewCa<'a> {
    pub name: &'a str,
    pub family: &'a str,
    pub role: &'a str,
    pub parent_id: Option<i64>,
    pub subject: &'a str,
    pub cert_der: &'a [u8],
    pub not_after: i64,
    pub sha256: &'a str,
    pub key_storage: &'a str,
    pub sealed_key: Option<&'a [u8]>,
    pub pkcs11_label: Option<&'a str>,
}

const COLUMNS: &str = "id, name, family, role, parent_id, subject, cert_der, not_after, sha256, \
                       key_storage, sealed_key, pkcs11_label, crl_number, revocation_epoch";

pub async fn insert(tx: &mut WriteTx, ca: &NewCa<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO cas (name, family, role, parent_id, subject, cert_der, not_after, sha256, \
         key_storage, sealed_key, pkcs11_label, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(ca.name)
    .bind(ca.family)
    .bind(ca.role)
    .bind(ca.parent_id)
    .bind(ca.subject)
    .bind(ca.cert_der)
    .bind(ca.not_after)
    .bind(ca.sha256)
    .bind(ca.key_storage)
    .bind(ca.sealed_key)
    .bind(ca.pkcs11_label)
    .bind(tx.now().seconds())
    .fetch_one(&mut ***tx)
    .await?;
    Ok(id)
}

/// All CAs, roots first, in creation order.
pub async fn list(store: &Store) -> Result<Vec<CaRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM cas ORDER BY (parent_id IS NOT NULL), id"
    ))
    .fetch_all(store.pool())
    .await?)
}

/// Takes the next CRL number of a CA. Committed before the CRL is signed, so numbers only
/// ever grow, even if signing fails.
pub async fn next_crl_number(store: &Store, ca_id: i64) -> Result<i64, StoreError> {
    let mut tx = store.begin_write().await?;
    let (n,): (i64,) = sqlx::query_as(
        "UPDATE cas SET crl_number = crl_number + 1 WHERE id = $1 RETURNING crl_number",
    )
    .bind(ca_id)
    .fetch_one(&mut **tx)
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Marks that a CA's revocation list changed (the CRL publisher watches this).
pub async fn bump_revocation_epoch(tx: &mut WriteTx, ca_id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE cas SET revocation_epoch = revocation_epoch + 1 WHERE id = $1")
        .bind(ca_id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Current revocation epochs of all CAs, for the publisher's cheap poll.
pub async fn revocation_epochs(store: &Store) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(sqlx::query_as("SELECT id, revocation_epoch FROM cas")
        .fetch_all(store.pool())
        .await?)
}
