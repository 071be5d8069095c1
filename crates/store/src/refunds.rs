//! Refunds (退款): every payment given back, by the provider that took it or by finance's
//! own bank transfer. A row is created `pending` by [`insert`] (once per refund number:
//! a second insert of the same number is a no-op); its status changes only through
//! [`crate::transition::set`], with [`set_done`] recording when and how in the same
//! transaction.

use domain::refund::RefundStatus;

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone)]
pub struct RefundRecord {
    pub id: i64,
    pub order_id: i64,
    /// The online attempt whose money goes back; `None` for a bank transfer.
    pub attempt_id: Option<i64>,
    pub refund_no: String,
    pub amount_fen: i64,
    pub reason: String,
    pub status: RefundStatus,
    /// The finance operator who asked for it; `None`: the system.
    pub requested_by: Option<i64>,
    pub bank_reference: Option<String>,
    pub refunded_at: Option<i64>,
    pub created_at: i64,
    /// When the provider accepted it to settle later (from then on it is queried).
    pub settling_since: Option<i64>,
    /// When the provider was last asked.
    pub asked_at: Option<i64>,
    /// The provider's word when it could not make it (`ABNORMAL`, `CLOSED`).
    pub failure: Option<String>,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for RefundRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(RefundRecord {
            id: row.try_get("id")?,
            order_id: row.try_get("order_id")?,
            attempt_id: row.try_get("attempt_id")?,
            refund_no: row.try_get("refund_no")?,
            amount_fen: row.try_get("amount_fen")?,
            reason: row.try_get("reason")?,
            status: crate::stored(row, "status")?,
            requested_by: row.try_get("requested_by")?,
            bank_reference: row.try_get("bank_reference")?,
            refunded_at: row.try_get("refunded_at")?,
            created_at: row.try_get("created_at")?,
            settling_since: row.try_get("settling_since")?,
            asked_at: row.try_get("asked_at")?,
            failure: row.try_get("failure")?,
        })
    }
}

const SELECT: &str = "SELECT id, order_id, attempt_id, refund_no, amount_fen, reason, status, \
     requested_by, bank_reference, refunded_at, created_at, settling_since, asked_at, failure \
     FROM refunds";

/// A refund to make.
pub struct NewRefund<'a> {
    pub order_id: i64,
    pub attempt_id: Option<i64>,
    pub refund_no: &'a str,
    pub amount_fen: i64,
    pub reason: &'a str,
    pub requested_by: Option<i64>,
}

/// Records a pending refund; `None` when one with this number exists already.
pub async fn insert(tx: &mut WriteTx, new: &NewRefund<'_>) -> Result<Option<i64>, StoreError> {
    let now = tx.now().seconds();
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO refunds (order_id, attempt_id, refund_no, amount_fen, reason, status, \
         requested_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (refund_no) DO NOTHING RETURNING id",
    )
    .bind(new.order_id)
    .bind(new.attempt_id)
    .bind(new.refund_no)
    .bind(new.amount_fen)
    .bind(new.reason)
    .bind(domain::Status::as_str(RefundStatus::Pending))
    .bind(new.requested_by)
    .bind(now)
    .fetch_optional(&mut ***tx)
    .await?;
    Ok(id.map(|(id,)| id))
}

/// Records when the money went back (and, for a transfer, the bank's reference); the
/// status itself is set by the caller's transition in the same transaction.
pub async fn set_done(
    tx: &mut WriteTx,
    id: i64,
    bank_reference: Option<&str>,
) -> Result<(), StoreError> {
    let now = tx.now().seconds();
    sqlx::query(
        "UPDATE refunds SET refunded_at = $1, bank_reference = $2, updated_at = $1 WHERE id = $3",
    )
    .bind(now)
    .bind(bank_reference)
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Records that the provider was asked about refund `id` now; `settling`: its answer was
/// "accepted, settled later" (kept from the first such answer), `Some(false)`: it has no
/// such refund (to be sent again), `None`: no definite answer.
pub async fn set_asked(
    tx: &mut WriteTx,
    id: i64,
    settling: Option<bool>,
) -> Result<(), StoreError> {
    let now = tx.now().seconds();
    let settling_since = match settling {
        Some(true) => "COALESCE(settling_since, $1)",
        Some(false) => "NULL",
        None => "settling_since",
    };
    sqlx::query(&format!(
        "UPDATE refunds SET asked_at = $1, settling_since = {settling_since}, updated_at = $1 \
         WHERE id = $2"
    ))
    .bind(now)
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Records the provider's word on why it could not make refund `id`; the status itself is
/// set by the caller's transition in the same transaction.
pub async fn set_failure(tx: &mut WriteTx, id: i64, failure: &str) -> Result<(), StoreError> {
    let now = tx.now().seconds();
    sqlx::query("UPDATE refunds SET failure = $1, asked_at = $2, updated_at = $2 WHERE id = $3")
        .bind(failure)
        .bind(now)
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// The refund numbered `refund_no` (as a provider's notice names it).
pub async fn find_by_number_in(
    tx: &mut WriteTx,
    refund_no: &str,
) -> Result<Option<RefundRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE refund_no = $1"))
        .bind(refund_no)
        .fetch_optional(&mut ***tx)
        .await?)
}

pub async fn find(store: &Store, id: i64) -> Result<Option<RefundRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

pub async fn find_in(tx: &mut WriteTx, id: i64) -> Result<Option<RefundRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut ***tx)
        .await?)
}

/// The refunds of order `order_id`, oldest first.
pub async fn for_order(store: &Store, order_id: i64) -> Result<Vec<RefundRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE order_id = $1 ORDER BY id"))
            .bind(order_id)
            .fetch_all(store.pool())
            .await?,
    )
}

/// What the refunds of attempt `attempt_id` give back in all (pending or done), read in the
/// transaction that adds one: a refund never exceeds what was paid.
pub async fn total_for_attempt_in(tx: &mut WriteTx, attempt_id: i64) -> Result<i64, StoreError> {
    let (total,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM refunds WHERE attempt_id = $1",
    )
    .bind(attempt_id)
    .fetch_one(&mut ***tx)
    .await?;
    Ok(total)
}

/// Refunds, newest first (finance's list).
pub async fn recent(store: &Store, limit: i64) -> Result<Vec<RefundRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} ORDER BY id DESC LIMIT $1"))
            .bind(limit)
            .fetch_all(store.pool())
            .await?,
    )
}

/// Pending refunds through a provider (those with an attempt), oldest first: what the
/// reconciliation job asks the providers to make, or about (the back-off is the caller's).
pub async fn due_online(store: &Store, limit: i64) -> Result<Vec<RefundRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE status = 'pending' AND attempt_id IS NOT NULL ORDER BY id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// How many refunds wait for finance's bank transfer, and since when the oldest: those of
/// transfer-paid orders, and those the provider could not make (`abnormal`).
pub async fn count_for_finance(store: &Store) -> Result<(i64, Option<i64>), StoreError> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*), MIN(updated_at) FROM refunds \
         WHERE status = 'abnormal' OR (status = 'pending' AND attempt_id IS NULL)",
    )
    .fetch_one(store.pool())
    .await?)
}

/// The refunds of order `order_id`, inside a write transaction.
pub async fn for_order_in(
    tx: &mut WriteTx,
    order_id: i64,
) -> Result<Vec<RefundRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE order_id = $1 ORDER BY id"))
            .bind(order_id)
            .fetch_all(&mut ***tx)
            .await?,
    )
}
