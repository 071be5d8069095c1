//! Real-name verification checks of applications: one row per check asked of the identity
//! service. A row starts `pending` ([`insert`]); its status then moves only through
//! `transition::set`. Callers check who may reach the application first.

use domain::Status;
use domain::application::CheckStatus;

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone)]
pub struct CheckRecord {
    pub id: i64,
    pub application_id: i64,
    pub party: String,
    pub method: String,
    pub status: CheckStatus,
    pub provider: String,
    pub reference: Option<String>,
    pub code_hash: Option<String>,
    pub tries: i64,
    pub expires_at: Option<i64>,
    pub answer: Option<String>,
    pub evidence: Option<Vec<u8>>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for CheckRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(CheckRecord {
            id: row.try_get("id")?,
            application_id: row.try_get("application_id")?,
            party: row.try_get("party")?,
            method: row.try_get("method")?,
            status: crate::stored(row, "status")?,
            provider: row.try_get("provider")?,
            reference: row.try_get("reference")?,
            code_hash: row.try_get("code_hash")?,
            tries: row.try_get("tries")?,
            expires_at: row.try_get("expires_at")?,
            answer: row.try_get("answer")?,
            evidence: row.try_get("evidence")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

const SELECT: &str = "SELECT id, application_id, party, method, status, provider, reference, \
    code_hash, tries, expires_at, answer, evidence, created_at, updated_at FROM identity_checks";

/// A new check, `pending`.
pub struct NewCheck<'a> {
    pub application_id: i64,
    pub party: &'a str,
    pub method: &'a str,
    pub provider: &'a str,
    pub reference: Option<&'a str>,
    pub code_hash: Option<&'a str>,
    pub expires_at: Option<i64>,
    pub answer: Option<&'a str>,
    pub evidence: Option<&'a [u8]>,
}

pub async fn insert(tx: &mut WriteTx, new: &NewCheck<'_>) -> Result<i64, StoreError> {
    let now = tx.now().seconds();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO identity_checks (application_id, party, method, status, provider, reference, \
         code_hash, tries, expires_at, answer, evidence, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(new.application_id)
    .bind(new.party)
    .bind(new.method)
    .bind(CheckStatus::Pending.as_str())
    .bind(new.provider)
    .bind(new.reference)
    .bind(new.code_hash)
    .bind(new.expires_at)
    .bind(new.answer)
    .bind(new.evidence)
    .bind(now)
    .fetch_one(&mut ***tx)
    .await?;
    Ok(id)
}

/// Check `id` of application `application_id`, read inside the transaction.
pub async fn find_in(
    tx: &mut WriteTx,
    application_id: i64,
    id: i64,
) -> Result<Option<CheckRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE id = $1 AND application_id = $2"))
            .bind(id)
            .bind(application_id)
            .fetch_optional(&mut ***tx)
            .await?,
    )
}

/// The checks of an application, oldest first.
pub async fn of_application(
    store: &Store,
    application_id: i64,
) -> Result<Vec<CheckRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE application_id = $1 ORDER BY id"))
            .bind(application_id)
            .fetch_all(store.pool())
            .await?,
    )
}

/// The pending checks of `method` of an application, oldest first, inside the transaction.
pub async fn pending_in(
    tx: &mut WriteTx,
    application_id: i64,
    method: &str,
) -> Result<Vec<CheckRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE application_id = $1 AND method = $2 AND status = $3 ORDER BY id"
    ))
    .bind(application_id)
    .bind(method)
    .bind(CheckStatus::Pending.as_str())
    .fetch_all(&mut ***tx)
    .await?)
}

/// How many checks of `party` the application asked for since `since`.
pub async fn count_since(
    store: &Store,
    application_id: i64,
    party: &str,
    since: i64,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM identity_checks WHERE application_id = $1 AND party = $2 AND created_at >= $3",
    )
    .bind(application_id)
    .bind(party)
    .bind(since)
    .fetch_one(store.pool())
    .await?;
    Ok(n)
}

/// Records a wrong code typed for check `id` (its status does not change).
pub async fn count_try(tx: &mut WriteTx, id: i64) -> Result<(), StoreError> {
    let now = tx.now().seconds();
    sqlx::query("UPDATE identity_checks SET tries = tries + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Records the service's answer for check `id`.
pub async fn set_answer(tx: &mut WriteTx, id: i64, answer: &str) -> Result<(), StoreError> {
    let now = tx.now().seconds();
    sqlx::query("UPDATE identity_checks SET answer = $1, updated_at = $2 WHERE id = $3")
        .bind(answer)
        .bind(now)
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Deletes every check of an application (it was cancelled); returns how many.
pub async fn delete_all_of(tx: &mut WriteTx, application_id: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM identity_checks WHERE application_id = $1")
        .bind(application_id)
        .execute(&mut ***tx)
        .await?;
    Ok(done.rows_affected())
}
