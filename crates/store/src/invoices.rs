//! Invoices (发票). A row is created `requested` by [`insert`] when its order is paid; its
//! status changes only through [`crate::transition::set`], with [`set_issued`] and
//! [`set_mailed`] recording the details in the same transaction.

use domain::invoice::InvoiceStatus;

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone)]
pub struct InvoiceRecord {
    pub id: i64,
    pub order_id: i64,
    pub request_no: String,
    pub kind: String,
    pub title: String,
    /// The invoice choice as JSON (`domain::application::Invoice`).
    pub request: String,
    pub amount_fen: i64,
    pub status: InvoiceStatus,
    pub due_at: i64,
    pub number: Option<String>,
    pub issued_on: Option<String>,
    pub issued_by: Option<i64>,
    pub pdf_key: Option<String>,
    pub pdf_wrapped_key: Option<Vec<u8>>,
    /// `ofd` or `xml`: the 数电票's other file, when there is one.
    pub other_format: Option<String>,
    pub other_key: Option<String>,
    pub other_wrapped_key: Option<Vec<u8>>,
    pub courier: Option<String>,
    pub tracking_no: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for InvoiceRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(InvoiceRecord {
            id: row.try_get("id")?,
            order_id: row.try_get("order_id")?,
            request_no: row.try_get("request_no")?,
            kind: row.try_get("kind")?,
            title: row.try_get("title")?,
            request: row.try_get("request")?,
            amount_fen: row.try_get("amount_fen")?,
            status: crate::stored(row, "status")?,
            due_at: row.try_get("due_at")?,
            number: row.try_get("number")?,
            issued_on: row.try_get("issued_on")?,
            issued_by: row.try_get("issued_by")?,
            pdf_key: row.try_get("pdf_key")?,
            pdf_wrapped_key: row.try_get("pdf_wrapped_key")?,
            other_format: row.try_get("other_format")?,
            other_key: row.try_get("other_key")?,
            other_wrapped_key: row.try_get("other_wrapped_key")?,
            courier: row.try_get("courier")?,
            tracking_no: row.try_get("tracking_no")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

const SELECT: &str = "SELECT id, order_id, request_no, kind, title, request, amount_fen, status, \
     due_at, number, issued_on, issued_by, pdf_key, pdf_wrapped_key, other_format, other_key, \
     other_wrapped_key, courier, tracking_no, created_at, updated_at FROM invoices";

/// An invoice to request.
pub struct NewInvoice<'a> {
    pub order_id: i64,
    pub request_no: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub request: &'a str,
    pub amount_fen: i64,
    pub due_at: i64,
}

/// Records a requested invoice; `None` when its request number exists already.
pub async fn insert(tx: &mut WriteTx, new: &NewInvoice<'_>) -> Result<Option<i64>, StoreError> {
    let now = tx.now().seconds();
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO invoices (order_id, request_no, kind, title, request, amount_fen, status, \
         due_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (request_no) DO NOTHING RETURNING id",
    )
    .bind(new.order_id)
    .bind(new.request_no)
    .bind(new.kind)
    .bind(new.title)
    .bind(new.request)
    .bind(new.amount_fen)
    .bind(domain::Status::as_str(InvoiceStatus::Requested))
    .bind(new.due_at)
    .bind(now)
    .fetch_optional(&mut ***tx)
    .await?;
    Ok(id.map(|(id,)| id))
}

/// A stored file of an invoice: its object key and wrapped key.
pub struct StoredFile<'a> {
    pub key: &'a str,
    pub wrapped_key: &'a [u8],
}

/// The issued invoice's number, date, who issued it (`None`: the invoicing provider) and
/// its files.
pub async fn set_issued(
    tx: &mut WriteTx,
    id: i64,
    number: &str,
    issued_on: &str,
    issued_by: Option<i64>,
    pdf: &StoredFile<'_>,
    other: Option<(&str, StoredFile<'_>)>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE invoices SET number = $1, issued_on = $2, issued_by = $3, pdf_key = $4, \
         pdf_wrapped_key = $5, other_format = $6, other_key = $7, other_wrapped_key = $8, \
         updated_at = $9 WHERE id = $10",
    )
    .bind(number)
    .bind(issued_on)
    .bind(issued_by)
    .bind(pdf.key)
    .bind(pdf.wrapped_key)
    .bind(other.as_ref().map(|(format, _)| *format))
    .bind(other.as_ref().map(|(_, f)| f.key))
    .bind(other.as_ref().map(|(_, f)| f.wrapped_key))
    .bind(tx.now().seconds())
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

pub async fn set_mailed(
    tx: &mut WriteTx,
    id: i64,
    courier: &str,
    tracking_no: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE invoices SET courier = $1, tracking_no = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(courier)
    .bind(tracking_no)
    .bind(tx.now().seconds())
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

pub async fn find(store: &Store, id: i64) -> Result<Option<InvoiceRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

pub async fn find_in(tx: &mut WriteTx, id: i64) -> Result<Option<InvoiceRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut ***tx)
        .await?)
}

/// The invoices of order `order_id`, oldest first.
pub async fn for_order(store: &Store, order_id: i64) -> Result<Vec<InvoiceRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE order_id = $1 ORDER BY id"))
            .bind(order_id)
            .fetch_all(store.pool())
            .await?,
    )
}

/// The invoices of order `order_id` in `status`, inside a write transaction.
pub async fn for_order_in(
    tx: &mut WriteTx,
    order_id: i64,
    status: InvoiceStatus,
) -> Result<Vec<InvoiceRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE order_id = $1 AND status = $2 ORDER BY id"
    ))
    .bind(order_id)
    .bind(domain::Status::as_str(status))
    .fetch_all(&mut ***tx)
    .await?)
}

/// Invoices in `status` (and of `kind`, when given), the earliest due first.
pub async fn in_status(
    store: &Store,
    status: InvoiceStatus,
    kind: Option<&str>,
    limit: i64,
) -> Result<Vec<InvoiceRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE status = $1 AND ($2 = '' OR kind = $2) ORDER BY due_at, id LIMIT $3"
    ))
    .bind(domain::Status::as_str(status))
    .bind(kind.unwrap_or(""))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Adds the OFD or XML file to an issued invoice.
pub async fn set_other(
    tx: &mut WriteTx,
    id: i64,
    format: &str,
    file: &StoredFile<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE invoices SET other_format = $1, other_key = $2, other_wrapped_key = $3, \
         updated_at = $4 WHERE id = $5 AND other_key IS NULL",
    )
    .bind(format)
    .bind(file.key)
    .bind(file.wrapped_key)
    .bind(tx.now().seconds())
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}
