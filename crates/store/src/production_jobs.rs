//! Production jobs (制证). A job is inserted `started` by [`insert`]; its status changes
//! only through [`crate::transition::set`], with what it learnt (the certificate's serial,
//! the failed step) recorded in the same transaction.

use domain::production::JobStatus;

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone)]
pub struct JobRecord {
    pub id: i64,
    pub application_id: i64,
    pub usb_key_id: i64,
    pub operator_id: Option<i64>,
    pub workstation: String,
    pub status: JobStatus,
    /// The key's security-officer PIN, sealed.
    pub so_pin_sealed: Vec<u8>,
    /// The user PIN set on it, sealed.
    pub user_pin_sealed: Vec<u8>,
    /// What the key signs to prove it holds the certificate's key.
    pub challenge: Vec<u8>,
    pub certificate_serial: Option<String>,
    pub failed_step: Option<String>,
    pub failure: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for JobRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(JobRecord {
            id: row.try_get("id")?,
            application_id: row.try_get("application_id")?,
            usb_key_id: row.try_get("usb_key_id")?,
            operator_id: row.try_get("operator_id")?,
            workstation: row.try_get("workstation")?,
            status: crate::stored(row, "status")?,
            so_pin_sealed: row.try_get("so_pin_sealed")?,
            user_pin_sealed: row.try_get("user_pin_sealed")?,
            challenge: row.try_get("challenge")?,
            certificate_serial: row.try_get("certificate_serial")?,
            failed_step: row.try_get("failed_step")?,
            failure: row.try_get("failure")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

const SELECT: &str = "SELECT id, application_id, usb_key_id, operator_id, workstation, status, \
     so_pin_sealed, user_pin_sealed, challenge, certificate_serial, failed_step, failure, created_at, updated_at \
     FROM production_jobs";

/// A job to start.
pub struct NewJob<'a> {
    pub application_id: i64,
    pub usb_key_id: i64,
    pub operator_id: Option<i64>,
    pub workstation: &'a str,
    pub so_pin_sealed: &'a [u8],
    pub user_pin_sealed: &'a [u8],
    pub challenge: &'a [u8],
}

pub async fn insert(tx: &mut WriteTx, new: &NewJob<'_>) -> Result<i64, StoreError> {
    let now = tx.now().seconds();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO production_jobs (application_id, usb_key_id, operator_id, workstation, \
         status, so_pin_sealed, user_pin_sealed, challenge, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(new.application_id)
    .bind(new.usb_key_id)
    .bind(new.operator_id)
    .bind(new.workstation)
    .bind(domain::Status::as_str(JobStatus::Started))
    .bind(new.so_pin_sealed)
    .bind(new.user_pin_sealed)
    .bind(new.challenge)
    .bind(now)
    .fetch_one(&mut ***tx)
    .await?;
    Ok(id)
}

pub async fn find_in(tx: &mut WriteTx, id: i64) -> Result<Option<JobRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut ***tx)
        .await?)
}

/// The jobs of application `application_id`, oldest first.
pub async fn for_application(
    store: &Store,
    application_id: i64,
) -> Result<Vec<JobRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE application_id = $1 ORDER BY id"))
            .bind(application_id)
            .fetch_all(store.pool())
            .await?,
    )
}

/// The jobs of application `application_id`, inside a write transaction.
pub async fn for_application_in(
    tx: &mut WriteTx,
    application_id: i64,
) -> Result<Vec<JobRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE application_id = $1 ORDER BY id"))
            .bind(application_id)
            .fetch_all(&mut ***tx)
            .await?,
    )
}

/// The jobs on USB key `usb_key_id`, newest first.
pub async fn for_key_in(tx: &mut WriteTx, usb_key_id: i64) -> Result<Vec<JobRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE usb_key_id = $1 ORDER BY id DESC"))
            .bind(usb_key_id)
            .fetch_all(&mut ***tx)
            .await?,
    )
}

/// A certificate produced onto a key for one of a customer's applications.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProducedCertificate {
    pub certificate_serial: String,
    pub application_id: i64,
    pub application_created_at: i64,
    pub channel_code: String,
    pub key_serial: String,
    pub key_model: String,
    pub produced_at: i64,
}

/// The certificates produced for customer `customer_id`'s applications (jobs done),
/// newest first.
pub async fn produced_for_customer(
    store: &Store,
    customer_id: i64,
) -> Result<Vec<ProducedCertificate>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT j.certificate_serial AS certificate_serial, j.application_id AS application_id, \
         a.created_at AS application_created_at, a.channel_code AS channel_code, \
         k.serial AS key_serial, k.model AS key_model, j.updated_at AS produced_at \
         FROM production_jobs j JOIN applications a ON a.id = j.application_id \
         JOIN usb_keys k ON k.id = j.usb_key_id \
         WHERE a.customer_id = $1 AND j.status = 'done' AND j.certificate_serial IS NOT NULL \
         ORDER BY j.id DESC",
    )
    .bind(customer_id)
    .fetch_all(store.pool())
    .await?)
}

/// The latest jobs (the console's view of the workstations), newest first.
pub async fn recent(store: &Store, limit: i64) -> Result<Vec<JobRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} ORDER BY id DESC LIMIT $1"))
            .bind(limit)
            .fetch_all(store.pool())
            .await?,
    )
}

/// Records the certificate issued for job `id` (with its `issue` transition).
pub async fn set_certificate(tx: &mut WriteTx, id: i64, serial: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE production_jobs SET certificate_serial = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(serial)
    .bind(tx.now().seconds())
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Records why job `id` failed (with its `fail` transition).
pub async fn set_failure(
    tx: &mut WriteTx,
    id: i64,
    step: &str,
    failure: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE production_jobs SET failed_step = $1, failure = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(step)
    .bind(failure)
    .bind(tx.now().seconds())
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Notes that job `id` changed (its status was just set by a transition).
pub async fn touch(tx: &mut WriteTx, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE production_jobs SET updated_at = $1 WHERE id = $2")
        .bind(tx.now().seconds())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}
