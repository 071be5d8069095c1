//! Issued certificates.

use crate::{Store, StoreError, WriteTx};

/// A certificate to store.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub ca_id: i64,
    pub serial: String,
    pub profile: String,
    pub subject: String,
    pub not_before: i64,
    pub not_after: i64,
    pub der: Vec<u8>,
}

/// A stored certificate with its revocation, if any.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CertificateRecord {
    pub id: i64,
    pub ca_id: i64,
    pub serial: String,
    pub profile: String,
    pub subject: String,
    pub not_before: i64,
    pub not_after: i64,
    pub der: Vec<u8>,
    pub revoked_at: Option<i64>,
    pub reason: Option<i64>,
}

/// Inserts the certificate; `None` when its serial is already taken (the caller issues
/// again with a fresh serial: a serial is never reused).
pub async fn insert(tx: &mut WriteTx, cert: &NewCertificate) -> Result<Option<i64>, StoreError> {
    Ok(insert_many(tx, &[cert]).await?[0])
}

/// Most certificates written by one INSERT (8 parameters each).
const CERTIFICATES_PER_STATEMENT: usize = 256;

/// Inserts certificates with one statement per 256; for each, its id, or `None` when its
/// serial was already taken.
pub async fn insert_many(
    tx: &mut WriteTx,
    certs: &[&NewCertificate],
) -> Result<Vec<Option<i64>>, StoreError> {
    let created_at = tx.now().seconds();
    let mut ids = Vec::with_capacity(certs.len());
    for chunk in certs.chunks(CERTIFICATES_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO certificates (ca_id, serial, profile, subject, not_before, not_after, der, created_at) \
             VALUES {} ON CONFLICT (serial) DO NOTHING RETURNING id, serial",
            crate::values_placeholders(chunk.len(), 8)
        );
        let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
        for cert in chunk {
            query = query
                .bind(cert.ca_id)
                .bind(&cert.serial)
                .bind(&cert.profile)
                .bind(&cert.subject)
                .bind(cert.not_before)
                .bind(cert.not_after)
                .bind(&cert.der)
                .bind(created_at);
        }
        // RETURNING gives no order guarantee: match rows back by serial. Rows are inserted in
        // order, so the first of two equal serials in a batch is the one stored; taking the
        // id out of the map leaves the second with `None`.
        let mut inserted: std::collections::HashMap<String, i64> = query
            .fetch_all(&mut ***tx)
            .await?
            .into_iter()
            .map(|(id, serial)| (serial, id))
            .collect();
        ids.extend(chunk.iter().map(|c| inserted.remove(&c.serial)));
    }
    Ok(ids)
}

const SELECT: &str = "SELECT c.id, c.ca_id, c.serial, c.profile, c.subject, c.not_before, c.not_after, c.der, \
                      r.revoked_at, r.reason FROM certificates c LEFT JOIN revocations r ON r.certificate_id = c.id";

pub async fn find_by_serial(
    store: &Store,
    serial: &str,
) -> Result<Option<CertificateRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE c.serial = $1"))
        .bind(serial)
        .fetch_optional(store.pool())
        .await?)
}

/// The same lookup inside a write transaction (for revocation).
pub async fn find_by_serial_for_update(
    tx: &mut WriteTx,
    serial: &str,
) -> Result<Option<CertificateRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE c.serial = $1"))
        .bind(serial)
        .fetch_optional(&mut ***tx)
        .await?)
}

/// The revocation facts OCSP needs: (issuing CA id, revoked_at, reason).
pub async fn status(
    store: &Store,
    serial: &str,
) -> Result<Option<(i64, Option<i64>, Option<i64>)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT c.ca_id, r.revoked_at, r.reason FROM certificates c \
         LEFT JOIN revocations r ON r.certificate_id = c.id WHERE c.serial = $1",
    )
    .bind(serial)
    .fetch_optional(store.pool())
    .await?)
}

pub async fn count(store: &Store) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM certificates")
        .fetch_one(store.pool())
        .await?;
    Ok(n)
}

/// Benchmark support: inserts `count` placeholder certificates of CA `ca_id` (no DER; the
/// CRL reads only serials) and revokes them all, in large multi-row statements.
pub async fn insert_revoked_for_benchmark(
    store: &Store,
    ca_id: i64,
    count: u64,
) -> Result<(), StoreError> {
    const ROWS: u64 = 200;
    let now = store.now().seconds();
    let mut done = 0;
    while done < count {
        let mut tx = store.begin_write().await?;
        let chunk_end = (done + 50_000).min(count);
        while done < chunk_end {
            let n = ROWS.min(chunk_end - done);
            let mut sql = String::from(
                "INSERT INTO certificates (ca_id, serial, profile, subject, not_before, not_after, der, created_at) VALUES ",
            );
            for i in 0..n {
                let serial = format!("7e{:030x}", done + i);
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "({ca_id}, '{serial}', 'bench', 'CN=bench', {now}, {}, $1, {now})",
                    now + 86_400
                ));
            }
            sqlx::query(&sql)
                .bind(Vec::<u8>::new())
                .execute(&mut **tx)
                .await?;
            done += n;
        }
        tx.commit().await?;
    }
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO revocations (certificate_id, ca_id, serial, revoked_at, reason) \
         SELECT id, ca_id, serial, created_at, 1 FROM certificates WHERE profile = 'bench' AND ca_id = $1",
    )
    .bind(ca_id)
    .execute(&mut **tx)
    .await?;
    tx.commit().await
}
