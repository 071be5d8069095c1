//! The USB key inventory (介质). A key is inserted `in_stock` by [`insert`] (once per vendor
//! and serial: a second insert of the same key is refused, `None`); its status changes only
//! through [`crate::transition::set`], with what it carries set in the same transaction.

use domain::usb_key::UsbKeyStatus;

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone)]
pub struct UsbKeyRecord {
    pub id: i64,
    pub vendor: String,
    pub model: String,
    pub serial: String,
    pub batch: String,
    pub status: UsbKeyStatus,
    pub pin_locked: bool,
    /// The application it is produced (or being produced) for.
    pub application_id: Option<i64>,
    pub certificate_id: Option<i64>,
    /// When a certificate was first produced onto it (the warranty counts from it).
    pub first_issued_at: Option<i64>,
    pub received_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for UsbKeyRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(UsbKeyRecord {
            id: row.try_get("id")?,
            vendor: row.try_get("vendor")?,
            model: row.try_get("model")?,
            serial: row.try_get("serial")?,
            batch: row.try_get("batch")?,
            status: crate::stored(row, "status")?,
            pin_locked: row.try_get::<i64, _>("pin_locked")? != 0,
            application_id: row.try_get("application_id")?,
            certificate_id: row.try_get("certificate_id")?,
            first_issued_at: row.try_get("first_issued_at")?,
            received_by: row.try_get("received_by")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

const SELECT: &str = "SELECT id, vendor, model, serial, batch, status, pin_locked, \
     application_id, certificate_id, first_issued_at, received_by, created_at, updated_at \
     FROM usb_keys";

/// A key received into stock.
pub struct NewUsbKey<'a> {
    pub vendor: &'a str,
    pub model: &'a str,
    pub serial: &'a str,
    pub batch: &'a str,
    pub received_by: &'a str,
}

/// Records a key in stock; `None` when the vendor's key of this serial is known already.
pub async fn insert(tx: &mut WriteTx, new: &NewUsbKey<'_>) -> Result<Option<i64>, StoreError> {
    let now = tx.now().seconds();
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO usb_keys (vendor, model, serial, batch, status, received_by, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (vendor, serial) DO NOTHING RETURNING id",
    )
    .bind(new.vendor)
    .bind(new.model)
    .bind(new.serial)
    .bind(new.batch)
    .bind(domain::Status::as_str(UsbKeyStatus::InStock))
    .bind(new.received_by)
    .bind(now)
    .fetch_optional(&mut ***tx)
    .await?;
    Ok(id.map(|(id,)| id))
}

pub async fn find(store: &Store, id: i64) -> Result<Option<UsbKeyRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

pub async fn find_in(tx: &mut WriteTx, id: i64) -> Result<Option<UsbKeyRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut ***tx)
        .await?)
}

/// The key of `vendor` with serial `serial` (as the key reports them).
pub async fn find_by_serial_in(
    tx: &mut WriteTx,
    vendor: &str,
    serial: &str,
) -> Result<Option<UsbKeyRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE vendor = $1 AND serial = $2"))
            .bind(vendor)
            .bind(serial)
            .fetch_optional(&mut ***tx)
            .await?,
    )
}

/// Keys whose serial contains `text` (any vendor), newest first.
pub async fn search(
    store: &Store,
    text: &str,
    limit: i64,
) -> Result<Vec<UsbKeyRecord>, StoreError> {
    let pattern = format!("%{}%", crate::like_literal(text));
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE serial LIKE $1 ESCAPE '\\' ORDER BY id DESC LIMIT $2"
    ))
    .bind(pattern)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// The latest keys received, newest first.
pub async fn recent(store: &Store, limit: i64) -> Result<Vec<UsbKeyRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} ORDER BY id DESC LIMIT $1"))
            .bind(limit)
            .fetch_all(store.pool())
            .await?,
    )
}

/// The keys that carry application `application_id`'s certificates, in a write transaction.
pub async fn of_application_in(
    tx: &mut WriteTx,
    application_id: i64,
) -> Result<Vec<UsbKeyRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE application_id = $1 ORDER BY id"))
            .bind(application_id)
            .fetch_all(&mut ***tx)
            .await?,
    )
}

/// One line of the stock: keys of a vendor's model in a status.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StockLine {
    pub vendor: String,
    pub model: String,
    pub status: String,
    pub count: i64,
}

/// How many keys of each vendor's model stand in each status.
pub async fn stock(store: &Store) -> Result<Vec<StockLine>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT vendor, model, status, COUNT(*) AS count FROM usb_keys \
         GROUP BY vendor, model, status ORDER BY vendor, model, status",
    )
    .fetch_all(store.pool())
    .await?)
}

/// Records what key `id` carries now (set with its transition, in the same transaction):
/// the application and certificate (`None`: nothing, back to stock), and the first issuance.
pub async fn set_carrying(
    tx: &mut WriteTx,
    id: i64,
    application_id: Option<i64>,
    certificate_id: Option<i64>,
) -> Result<(), StoreError> {
    let now = tx.now().seconds();
    let first_issued = if certificate_id.is_some() {
        "COALESCE(first_issued_at, $1)"
    } else {
        "first_issued_at"
    };
    sqlx::query(&format!(
        "UPDATE usb_keys SET application_id = $2, certificate_id = $3, \
         first_issued_at = {first_issued}, updated_at = $1 WHERE id = $4"
    ))
    .bind(now)
    .bind(application_id)
    .bind(certificate_id)
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Notes that key `id` changed (its status was just set by a transition).
pub async fn touch(tx: &mut WriteTx, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE usb_keys SET updated_at = $1 WHERE id = $2")
        .bind(tx.now().seconds())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}
