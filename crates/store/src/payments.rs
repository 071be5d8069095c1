//! Online payment attempts and the providers' notices. An attempt is inserted `pending`
//! before the provider is asked for its code, so that a crash in between leaves a row the
//! reconciliation job settles; its status changes only through [`crate::transition::set`].
//! Notices are appended and never changed.

use domain::payment::AttemptStatus;

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub id: i64,
    pub order_id: i64,
    pub provider: String,
    pub out_trade_no: String,
    pub amount_fen: i64,
    pub status: AttemptStatus,
    pub qr_code: Option<String>,
    pub provider_ref: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for AttemptRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(AttemptRecord {
            id: row.try_get("id")?,
            order_id: row.try_get("order_id")?,
            provider: row.try_get("provider")?,
            out_trade_no: row.try_get("out_trade_no")?,
            amount_fen: row.try_get("amount_fen")?,
            status: crate::stored(row, "status")?,
            qr_code: row.try_get("qr_code")?,
            provider_ref: row.try_get("provider_ref")?,
            expires_at: row.try_get("expires_at")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

const SELECT: &str = "SELECT id, order_id, provider, out_trade_no, amount_fen, status, qr_code, \
     provider_ref, expires_at, created_at FROM payment_attempts";

/// A new pending attempt; its id.
pub async fn insert_attempt(
    tx: &mut WriteTx,
    order_id: i64,
    provider: &str,
    amount_fen: i64,
    expires_at: i64,
) -> Result<(i64, String), StoreError> {
    let now = tx.now().seconds();
    // The number the provider knows it by is made from the row's id, so the row is first
    // written under a placeholder no other insert can have (this process, its counter),
    // then renamed in the same transaction.
    static PLACEHOLDERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let placeholder = format!(
        "pending-{order_id}-{now}-{}-{}",
        std::process::id(),
        PLACEHOLDERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO payment_attempts (order_id, provider, out_trade_no, amount_fen, status, \
         expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(order_id)
    .bind(provider)
    .bind(placeholder)
    .bind(amount_fen)
    .bind(domain::Status::as_str(AttemptStatus::Pending))
    .bind(expires_at)
    .bind(now)
    .fetch_one(&mut ***tx)
    .await?;
    let out_trade_no = format!("CH{order_id:010}{id:08}");
    sqlx::query("UPDATE payment_attempts SET out_trade_no = $1 WHERE id = $2")
        .bind(&out_trade_no)
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok((id, out_trade_no))
}

/// Records the code the provider gave.
pub async fn set_qr(tx: &mut WriteTx, id: i64, qr_code: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE payment_attempts SET qr_code = $1, updated_at = $2 WHERE id = $3")
        .bind(qr_code)
        .bind(tx.now().seconds())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Records the provider's trade number of a paid attempt.
pub async fn set_provider_ref(
    tx: &mut WriteTx,
    id: i64,
    provider_ref: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE payment_attempts SET provider_ref = $1, updated_at = $2 WHERE id = $3")
        .bind(provider_ref)
        .bind(tx.now().seconds())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// The attempt known to the provider as `out_trade_no`, inside a write transaction.
pub async fn find_by_number_in(
    tx: &mut WriteTx,
    out_trade_no: &str,
) -> Result<Option<AttemptRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE out_trade_no = $1"))
        .bind(out_trade_no)
        .fetch_optional(&mut ***tx)
        .await?)
}

/// The attempts of order `order_id`, newest first.
pub async fn for_order(store: &Store, order_id: i64) -> Result<Vec<AttemptRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE order_id = $1 ORDER BY id DESC"))
            .bind(order_id)
            .fetch_all(store.pool())
            .await?,
    )
}

/// Pending attempts made at or before `made_by`, oldest first.
pub async fn pending(
    store: &Store,
    made_by: i64,
    limit: i64,
) -> Result<Vec<AttemptRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE status = 'pending' AND created_at <= $1 ORDER BY id LIMIT $2"
    ))
    .bind(made_by)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// A notice as it came, with its verdict and effect.
pub struct NewNotice<'a> {
    pub provider: &'a str,
    pub notice_id: Option<&'a str>,
    pub out_trade_no: Option<&'a str>,
    pub body: &'a str,
    pub verdict: &'a str,
    pub effect: &'a str,
}

pub async fn insert_notice(tx: &mut WriteTx, notice: &NewNotice<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO provider_notices (provider, notice_id, out_trade_no, body, verdict, effect, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(notice.provider)
    .bind(notice.notice_id)
    .bind(notice.out_trade_no)
    .bind(notice.body)
    .bind(notice.verdict)
    .bind(notice.effect)
    .bind(tx.now().seconds())
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// A kept notice, as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoticeRecord {
    pub provider: String,
    pub out_trade_no: String,
    pub verdict: String,
    pub effect: String,
    pub created_at: i64,
}

/// The notices kept, newest first, for finance and the tests.
pub async fn notices(store: &Store, limit: i64) -> Result<Vec<NoticeRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT provider, COALESCE(out_trade_no, '') AS out_trade_no, verdict, effect, created_at \
         FROM provider_notices ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Attempt `id`, inside a write transaction.
pub async fn find_in(tx: &mut WriteTx, id: i64) -> Result<Option<AttemptRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut ***tx)
        .await?)
}

/// Attempt `id`.
pub async fn find(store: &Store, id: i64) -> Result<Option<AttemptRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

/// Forgets notices refused for their signature that came before `before`: a forger's
/// flood cannot grow the log without end (verified notices are kept for good).
pub async fn prune_rejected(tx: &mut WriteTx, before: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "DELETE FROM provider_notices WHERE verdict LIKE 'rejected%' AND created_at < $1",
    )
    .bind(before)
    .execute(&mut ***tx)
    .await?;
    Ok(done.rows_affected())
}

/// The attempts of order `order_id`, oldest first, inside a write transaction.
pub async fn for_order_in(
    tx: &mut WriteTx,
    order_id: i64,
) -> Result<Vec<AttemptRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE order_id = $1 ORDER BY id"))
            .bind(order_id)
            .fetch_all(&mut ***tx)
            .await?,
    )
}
