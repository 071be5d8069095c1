//! Shipments (寄出): one per application whose keys went by courier, inserted once by
//! [`insert`] (the application's own transition to 已寄出 in the same transaction), marked
//! received by [`set_received`] with the application's transition to 已完成.

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone)]
pub struct ShipmentRecord {
    pub id: i64,
    pub application_id: i64,
    pub courier: String,
    pub tracking_no: String,
    pub shipped_by: Option<i64>,
    pub shipped_at: i64,
    pub received_at: Option<i64>,
    /// `confirmed` or `assumed`.
    pub receipt: Option<String>,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for ShipmentRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(ShipmentRecord {
            id: row.try_get("id")?,
            application_id: row.try_get("application_id")?,
            courier: row.try_get("courier")?,
            tracking_no: row.try_get("tracking_no")?,
            shipped_by: row.try_get("shipped_by")?,
            shipped_at: row.try_get("shipped_at")?,
            received_at: row.try_get("received_at")?,
            receipt: row.try_get("receipt")?,
        })
    }
}

const SELECT: &str = "SELECT id, application_id, courier, tracking_no, shipped_by, shipped_at, \
     received_at, receipt FROM shipments";

/// Records that application `application_id` was shipped; `None` when it was already.
pub async fn insert(
    tx: &mut WriteTx,
    application_id: i64,
    courier: &str,
    tracking_no: &str,
    shipped_by: Option<i64>,
) -> Result<Option<i64>, StoreError> {
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO shipments (application_id, courier, tracking_no, shipped_by, shipped_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (application_id) DO NOTHING RETURNING id",
    )
    .bind(application_id)
    .bind(courier)
    .bind(tracking_no)
    .bind(shipped_by)
    .bind(tx.now().seconds())
    .fetch_optional(&mut ***tx)
    .await?;
    Ok(id.map(|(id,)| id))
}

pub async fn for_application(
    store: &Store,
    application_id: i64,
) -> Result<Option<ShipmentRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE application_id = $1"))
            .bind(application_id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Shipments not received and shipped at or before `shipped_by` (the receipts to assume).
pub async fn unreceived_since(
    store: &Store,
    shipped_by: i64,
    limit: i64,
) -> Result<Vec<ShipmentRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE received_at IS NULL AND shipped_at <= $1 ORDER BY shipped_at LIMIT $2"
    ))
    .bind(shipped_by)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Marks the shipment of `application_id` received now (`confirmed` or `assumed`), once;
/// false when it was already.
pub async fn set_received(
    tx: &mut WriteTx,
    application_id: i64,
    receipt: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE shipments SET received_at = $1, receipt = $2 \
         WHERE application_id = $3 AND received_at IS NULL",
    )
    .bind(tx.now().seconds())
    .bind(receipt)
    .bind(application_id)
    .execute(&mut ***tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
