//! Customer accounts, their sessions, SMS verification codes and login failures.

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerRecord {
    pub id: i64,
    pub phone: String,
    pub username: Option<String>,
    pub password_hash: String,
    pub created_at: i64,
}

const CUSTOMER: &str = "SELECT id, phone, username, password_hash, created_at FROM customers";

/// Creates a customer; `None` when the phone number is taken.
pub async fn insert(
    tx: &mut WriteTx,
    phone: &str,
    password_hash: &str,
) -> Result<Option<i64>, StoreError> {
    let now = tx.now().seconds();
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO customers (phone, password_hash, created_at, password_changed_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT (phone) DO NOTHING RETURNING id",
    )
    .bind(phone)
    .bind(password_hash)
    .bind(now)
    .fetch_optional(&mut ***tx)
    .await?;
    Ok(row.map(|(id,)| id))
}

pub async fn find_by_phone(
    store: &Store,
    phone: &str,
) -> Result<Option<CustomerRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{CUSTOMER} WHERE phone = $1"))
        .bind(phone)
        .fetch_optional(store.pool())
        .await?)
}

/// [`find_by_phone`] inside a write transaction.
pub async fn find_by_phone_in(
    tx: &mut WriteTx,
    phone: &str,
) -> Result<Option<CustomerRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{CUSTOMER} WHERE phone = $1"))
        .bind(phone)
        .fetch_optional(&mut ***tx)
        .await?)
}

pub async fn find_by_id(store: &Store, id: i64) -> Result<Option<CustomerRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{CUSTOMER} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

/// The customer `id`, inside a write transaction.
pub async fn find_by_id_in(
    tx: &mut WriteTx,
    id: i64,
) -> Result<Option<CustomerRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{CUSTOMER} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut ***tx)
        .await?)
}

pub async fn set_password(
    tx: &mut WriteTx,
    id: i64,
    password_hash: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE customers SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(tx.now().seconds())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

// --- SMS codes -------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SmsCodeRecord {
    pub id: i64,
    pub code_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: i64,
    pub consumed_at: Option<i64>,
}

pub async fn insert_sms_code(
    tx: &mut WriteTx,
    phone: &str,
    purpose: &str,
    code_hash: &str,
    ip: &str,
    expires_at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO sms_codes (phone, purpose, code_hash, ip, created_at, expires_at, attempts) \
         VALUES ($1, $2, $3, $4, $5, $6, 0) RETURNING id",
    )
    .bind(phone)
    .bind(purpose)
    .bind(code_hash)
    .bind(ip)
    .bind(tx.now().seconds())
    .bind(expires_at)
    .fetch_one(&mut ***tx)
    .await?;
    Ok(id)
}

/// The newest code for a phone and purpose (inside the verifying transaction).
pub async fn latest_sms_code(
    tx: &mut WriteTx,
    phone: &str,
    purpose: &str,
) -> Result<Option<SmsCodeRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, code_hash, created_at, expires_at, attempts, consumed_at FROM sms_codes \
         WHERE phone = $1 AND purpose = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(phone)
    .bind(purpose)
    .fetch_optional(&mut ***tx)
    .await?)
}

/// (codes sent to `phone` since `since`, newest send time of `purpose` for it, codes sent from `ip` since `since`).
pub async fn sms_code_counts(
    tx: &mut WriteTx,
    phone: &str,
    purpose: &str,
    ip: &str,
    since: i64,
) -> Result<(i64, Option<i64>, i64), StoreError> {
    let (by_phone,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sms_codes WHERE phone = $1 AND created_at >= $2")
            .bind(phone)
            .bind(since)
            .fetch_one(&mut ***tx)
            .await?;
    let (last,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(created_at) FROM sms_codes WHERE phone = $1 AND purpose = $2")
            .bind(phone)
            .bind(purpose)
            .fetch_one(&mut ***tx)
            .await?;
    let (by_ip,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sms_codes WHERE ip = $1 AND created_at >= $2")
            .bind(ip)
            .bind(since)
            .fetch_one(&mut ***tx)
            .await?;
    Ok((by_phone, last, by_ip))
}

pub async fn count_sms_code_attempt(tx: &mut WriteTx, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sms_codes SET attempts = attempts + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

pub async fn consume_sms_code(tx: &mut WriteTx, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE sms_codes SET consumed_at = $1 WHERE id = $2")
        .bind(tx.now().seconds())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Forgets SMS codes that expired before `before` (no limit counts back that far: the
/// hourly ones look one hour back); returns how many went.
pub async fn prune_sms_codes(tx: &mut WriteTx, before: i64) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM sms_codes WHERE expires_at < $1")
        .bind(before)
        .execute(&mut ***tx)
        .await?
        .rows_affected())
}
