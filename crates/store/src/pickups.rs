//! Pickups at the counter (可领取): the pickup code's HMAC per application, its wrong tries,
//! the hand-over. [`put`] makes (or remakes: a new code) the row; the application's own
//! transitions go with each change, in the same transaction.

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone)]
pub struct PickupRecord {
    pub id: i64,
    pub application_id: i64,
    pub code_mac: String,
    pub tries: i64,
    pub created_at: i64,
    pub handed_over_at: Option<i64>,
    pub handed_over_by: Option<i64>,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for PickupRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(PickupRecord {
            id: row.try_get("id")?,
            application_id: row.try_get("application_id")?,
            code_mac: row.try_get("code_mac")?,
            tries: row.try_get("tries")?,
            created_at: row.try_get("created_at")?,
            handed_over_at: row.try_get("handed_over_at")?,
            handed_over_by: row.try_get("handed_over_by")?,
        })
    }
}

const SELECT: &str = "SELECT id, application_id, code_mac, tries, created_at, handed_over_at, \
     handed_over_by FROM pickups";

/// Records (or replaces, with its tries reset) the pickup code of `application_id`.
pub async fn put(tx: &mut WriteTx, application_id: i64, code_mac: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO pickups (application_id, code_mac, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (application_id) DO UPDATE SET code_mac = excluded.code_mac, tries = 0, \
         created_at = excluded.created_at",
    )
    .bind(application_id)
    .bind(code_mac)
    .bind(tx.now().seconds())
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

pub async fn for_application_in(
    tx: &mut WriteTx,
    application_id: i64,
) -> Result<Option<PickupRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE application_id = $1"))
            .bind(application_id)
            .fetch_optional(&mut ***tx)
            .await?,
    )
}

pub async fn for_application(
    store: &Store,
    application_id: i64,
) -> Result<Option<PickupRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE application_id = $1"))
            .bind(application_id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Counts a wrong code (committed by the caller even though it refuses the hand-over).
pub async fn count_wrong(tx: &mut WriteTx, application_id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE pickups SET tries = tries + 1 WHERE application_id = $1")
        .bind(application_id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Marks the keys of `application_id` handed over by `operator`, once; false when they were.
pub async fn set_handed_over(
    tx: &mut WriteTx,
    application_id: i64,
    operator: Option<i64>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE pickups SET handed_over_at = $1, handed_over_by = $2 \
         WHERE application_id = $3 AND handed_over_at IS NULL",
    )
    .bind(tx.now().seconds())
    .bind(operator)
    .bind(application_id)
    .execute(&mut ***tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
