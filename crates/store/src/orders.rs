//! Orders (订单) and their vouchers. A row is created in `awaiting_payment` by [`insert`],
//! with its lines ([`add_item`]) in the same transaction; its status changes only through
//! [`crate::transition::set`]. Every customer-facing read names the customer.

use domain::order::OrderStatus;

use crate::{Store, StoreError, WriteTx};

/// An order as stored.
#[derive(Debug, Clone)]
pub struct OrderRecord {
    pub id: i64,
    pub customer_id: i64,
    pub channel_code: String,
    pub subject_key: String,
    pub holder_name: String,
    pub amount_fen: i64,
    pub method: String,
    pub status: OrderStatus,
    pub exception_reason: Option<String>,
    pub confirmed_by: Option<i64>,
    pub paid_at: Option<i64>,
    pub reminded_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for OrderRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(OrderRecord {
            id: row.try_get("id")?,
            customer_id: row.try_get("customer_id")?,
            channel_code: row.try_get("channel_code")?,
            subject_key: row.try_get("subject_key")?,
            holder_name: row.try_get("holder_name")?,
            amount_fen: row.try_get("amount_fen")?,
            method: row.try_get("method")?,
            status: crate::stored(row, "status")?,
            exception_reason: row.try_get("exception_reason")?,
            confirmed_by: row.try_get("confirmed_by")?,
            paid_at: row.try_get("paid_at")?,
            reminded_at: row.try_get("reminded_at")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

const SELECT: &str = "SELECT id, customer_id, channel_code, subject_key, holder_name, amount_fen, method, \
     status, exception_reason, confirmed_by, paid_at, reminded_at, created_at, updated_at FROM orders";

/// A new order.
pub struct NewOrder<'a> {
    pub customer_id: i64,
    pub channel_code: &'a str,
    pub subject_key: &'a str,
    pub holder_name: &'a str,
    pub amount_fen: i64,
    pub method: &'a str,
}

pub async fn insert(tx: &mut WriteTx, new: &NewOrder<'_>) -> Result<i64, StoreError> {
    let now = tx.now().seconds();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO orders (customer_id, channel_code, subject_key, holder_name, amount_fen, method, \
         status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(new.customer_id)
    .bind(new.channel_code)
    .bind(new.subject_key)
    .bind(new.holder_name)
    .bind(new.amount_fen)
    .bind(new.method)
    .bind(domain::Status::as_str(OrderStatus::AwaitingPayment))
    .bind(now)
    .fetch_one(&mut ***tx)
    .await?;
    Ok(id)
}

/// One line of an order: an application as priced when the order was placed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderItem {
    pub application_id: i64,
    pub description: String,
    pub amount_fen: i64,
}

pub async fn add_item(tx: &mut WriteTx, order_id: i64, item: &OrderItem) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO order_items (order_id, application_id, description, amount_fen) VALUES ($1, $2, $3, $4)",
    )
    .bind(order_id)
    .bind(item.application_id)
    .bind(&item.description)
    .bind(item.amount_fen)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// The lines of order `id`, in the order they were added.
pub async fn items(store: &Store, id: i64) -> Result<Vec<OrderItem>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT application_id, description, amount_fen FROM order_items WHERE order_id = $1 ORDER BY application_id",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?)
}

/// The lines of order `id`, inside a write transaction.
pub async fn items_in(tx: &mut WriteTx, id: i64) -> Result<Vec<OrderItem>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT application_id, description, amount_fen FROM order_items WHERE order_id = $1 ORDER BY application_id",
    )
    .bind(id)
    .fetch_all(&mut ***tx)
    .await?)
}

/// The customer's own order.
pub async fn find_for_customer(
    store: &Store,
    id: i64,
    customer_id: i64,
) -> Result<Option<OrderRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE id = $1 AND customer_id = $2"))
            .bind(id)
            .bind(customer_id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// The customer's own order, inside a write transaction.
pub async fn find_for_customer_in(
    tx: &mut WriteTx,
    id: i64,
    customer_id: i64,
) -> Result<Option<OrderRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE id = $1 AND customer_id = $2"))
            .bind(id)
            .bind(customer_id)
            .fetch_optional(&mut ***tx)
            .await?,
    )
}

/// Any order (for operators, whose role the caller has checked).
pub async fn find(store: &Store, id: i64) -> Result<Option<OrderRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

/// Any order, inside a write transaction.
pub async fn find_in(tx: &mut WriteTx, id: i64) -> Result<Option<OrderRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut ***tx)
        .await?)
}

/// The customer's orders, newest first.
pub async fn list_for_customer(
    store: &Store,
    customer_id: i64,
) -> Result<Vec<OrderRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE customer_id = $1 ORDER BY id DESC LIMIT 200"
    ))
    .bind(customer_id)
    .fetch_all(store.pool())
    .await?)
}

/// `'awaiting_payment', …`: statuses spelled by their state machine, never by a caller.
fn status_list(statuses: &[OrderStatus]) -> String {
    statuses
        .iter()
        .map(|s| format!("'{}'", domain::Status::as_str(*s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Orders in `statuses`, the longest waiting first (by their last change).
pub async fn in_statuses(
    store: &Store,
    statuses: &[OrderStatus],
    limit: i64,
) -> Result<Vec<OrderRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE status IN ({}) ORDER BY updated_at, id LIMIT $1",
        status_list(statuses)
    ))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// How many orders are in `statuses`, and since when the oldest waits: a dashboard queue.
pub async fn count_in_statuses(
    store: &Store,
    statuses: &[OrderStatus],
) -> Result<(i64, Option<i64>), StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT COUNT(*), MIN(updated_at) FROM orders WHERE status IN ({})",
        status_list(statuses)
    ))
    .fetch_one(store.pool())
    .await?)
}

/// Unpaid orders placed at or before `placed_by`: not yet reminded (`reminded` false), or
/// any (`reminded` true, for closing).
pub async fn unpaid_since(
    store: &Store,
    placed_by: i64,
    only_unreminded: bool,
    limit: i64,
) -> Result<Vec<OrderRecord>, StoreError> {
    let reminded = if only_unreminded {
        " AND reminded_at IS NULL"
    } else {
        ""
    };
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE status = $1 AND created_at <= $2{reminded} ORDER BY id LIMIT $3"
    ))
    .bind(domain::Status::as_str(OrderStatus::AwaitingPayment))
    .bind(placed_by)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Records the reminder of an unpaid order, once: false when it was already recorded.
pub async fn set_reminded(tx: &mut WriteTx, id: i64) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE orders SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL")
            .bind(tx.now().seconds())
            .bind(id)
            .execute(&mut ***tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Records finance's reason of a payment exception (`None` clears it).
pub async fn set_exception(
    tx: &mut WriteTx,
    id: i64,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE orders SET exception_reason = $1, updated_at = $2 WHERE id = $3")
        .bind(reason)
        .bind(tx.now().seconds())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Records the payment: when, and the operator who confirmed it (none: the provider).
pub async fn set_paid(
    tx: &mut WriteTx,
    id: i64,
    confirmed_by: Option<i64>,
) -> Result<(), StoreError> {
    let now = tx.now().seconds();
    sqlx::query(
        "UPDATE orders SET paid_at = $1, confirmed_by = $2, exception_reason = NULL, updated_at = $1 WHERE id = $3",
    )
    .bind(now)
    .bind(confirmed_by)
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Marks the order changed now (the finance queue's age counts from it).
pub async fn touch(tx: &mut WriteTx, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE orders SET updated_at = $1 WHERE id = $2")
        .bind(tx.now().seconds())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// A voucher as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VoucherRecord {
    pub id: i64,
    pub order_id: i64,
    pub object_key: String,
    pub wrapped_key: Vec<u8>,
    pub thumbnail_key: String,
    pub thumbnail_wrapped_key: Vec<u8>,
    pub sha256: String,
    pub size: i64,
    pub remitter: String,
    pub remitted_on: String,
    pub uploaded_by: String,
    pub created_at: i64,
}

/// A new voucher of an order.
pub struct NewVoucher<'a> {
    pub order_id: i64,
    pub object_key: &'a str,
    pub wrapped_key: &'a [u8],
    pub thumbnail_key: &'a str,
    pub thumbnail_wrapped_key: &'a [u8],
    pub sha256: &'a str,
    pub size: i64,
    pub remitter: &'a str,
    pub remitted_on: &'a str,
    pub uploaded_by: &'a str,
}

pub async fn insert_voucher(tx: &mut WriteTx, new: &NewVoucher<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO vouchers (order_id, object_key, wrapped_key, thumbnail_key, thumbnail_wrapped_key, \
         sha256, size, remitter, remitted_on, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(new.order_id)
    .bind(new.object_key)
    .bind(new.wrapped_key)
    .bind(new.thumbnail_key)
    .bind(new.thumbnail_wrapped_key)
    .bind(new.sha256)
    .bind(new.size)
    .bind(new.remitter)
    .bind(new.remitted_on)
    .bind(new.uploaded_by)
    .bind(tx.now().seconds())
    .fetch_one(&mut ***tx)
    .await?;
    Ok(id)
}

const VOUCHER: &str = "SELECT id, order_id, object_key, wrapped_key, thumbnail_key, thumbnail_wrapped_key, \
     sha256, size, remitter, remitted_on, uploaded_by, created_at FROM vouchers";

/// The vouchers of order `id`, newest first.
pub async fn vouchers(store: &Store, order_id: i64) -> Result<Vec<VoucherRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{VOUCHER} WHERE order_id = $1 ORDER BY id DESC"))
            .bind(order_id)
            .fetch_all(store.pool())
            .await?,
    )
}

/// A one-time link for uploading an order's voucher from a phone.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VoucherLinkRecord {
    pub id: i64,
    pub order_id: i64,
    pub customer_id: i64,
    pub remitter: String,
    pub remitted_on: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A new voucher link (the token's hash only).
pub async fn insert_voucher_link(
    tx: &mut WriteTx,
    token_hash: &str,
    link: &VoucherLinkRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO voucher_links (token_hash, order_id, customer_id, remitter, remitted_on, \
         expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash)
    .bind(link.order_id)
    .bind(link.customer_id)
    .bind(&link.remitter)
    .bind(&link.remitted_on)
    .bind(link.expires_at)
    .bind(tx.now().seconds())
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// The voucher link with this token hash, used or not.
pub async fn find_voucher_link(
    store: &Store,
    token_hash: &str,
) -> Result<Option<VoucherLinkRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, order_id, customer_id, remitter, remitted_on, expires_at, used_at \
         FROM voucher_links WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(store.pool())
    .await?)
}

/// Spends voucher link `id` if it is unused and not expired; false otherwise.
pub async fn consume_voucher_link(tx: &mut WriteTx, id: i64) -> Result<bool, StoreError> {
    let now = tx.now().seconds();
    let done = sqlx::query(
        "UPDATE voucher_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
