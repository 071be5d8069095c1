//! The notification outbox: messages written in the transaction of the event that causes
//! them, delivered later by a worker.
//!
//! A message is `pending` until a worker claims it (`sending`, with a claim deadline and
//! one more attempt counted), then `sent`, back to `pending` with a later attempt time, or
//! `failed`. A claim whose deadline passed means a worker died mid-send: the outcome is in
//! doubt, and the worker asks the provider before sending again (see services).

use crate::{Store, StoreError, WriteTx, schema::now};

/// A message to enqueue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// `sms` or `email`.
    pub channel: String,
    pub recipient: String,
    pub template: String,
    /// E-mail subject; empty for SMS.
    pub subject: String,
    pub text: String,
    /// Cleared after delivery (e.g. one-time codes).
    pub sensitive: bool,
    /// One per causing event: enqueueing the same key twice stores one message.
    pub idempotency_key: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRecord {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub subject: String,
    pub text: String,
    pub sensitive: i64,
    pub idempotency_key: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const COLUMNS: &str = "id, channel, recipient, template, subject, text, sensitive, idempotency_key, status, \
                       attempts, next_attempt_at, last_error, created_at, sent_at";

/// Enqueues in the caller's transaction; `None` when the key is already queued.
pub async fn enqueue(tx: &mut WriteTx, message: &NewMessage) -> Result<Option<i64>, StoreError> {
    let now = now();
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO outbox (channel, recipient, template, subject, text, sensitive, idempotency_key, status, \
         attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8) \
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(&message.channel)
    .bind(&message.recipient)
    .bind(&message.template)
    .bind(&message.subject)
    .bind(&message.text)
    .bind(i64::from(message.sensitive))
    .bind(&message.idempotency_key)
    .bind(now)
    .fetch_optional(&mut ***tx)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Claims up to `limit` due messages for `claim_seconds`. The status is checked again in
/// the outer WHERE so two workers racing on PostgreSQL never claim the same row.
pub async fn claim_due(
    store: &Store,
    claim_seconds: i64,
    limit: i64,
) -> Result<Vec<MessageRecord>, StoreError> {
    let now = now();
    let mut tx = store.begin_write().await?;
    let rows = sqlx::query_as(&format!(
        "UPDATE outbox SET status = 'sending', claimed_until = $1, attempts = attempts + 1 \
         WHERE status = 'pending' AND id IN \
         (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 ORDER BY id LIMIT $3) \
         RETURNING {COLUMNS}"
    ))
    .bind(now + claim_seconds)
    .bind(now)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Messages whose claim expired while `sending`: their delivery is in doubt. They are
/// taken over (claimed again) by the caller.
pub async fn claim_in_doubt(
    store: &Store,
    claim_seconds: i64,
) -> Result<Vec<MessageRecord>, StoreError> {
    let now = now();
    let mut tx = store.begin_write().await?;
    let rows = sqlx::query_as(&format!(
        "UPDATE outbox SET claimed_until = $1 WHERE status = 'sending' AND claimed_until < $2 RETURNING {COLUMNS}"
    ))
    .bind(now + claim_seconds)
    .bind(now)
    .fetch_all(&mut **tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Delivered. The text of a sensitive message is cleared.
pub async fn mark_sent(store: &Store, id: i64) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $1, claimed_until = NULL, last_error = NULL, \
         text = CASE WHEN sensitive = 1 THEN '' ELSE text END WHERE id = $2",
    )
    .bind(now())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    tx.commit().await
}

/// Not delivered; try again at `next_attempt_at`.
pub async fn mark_retry(
    store: &Store,
    id: i64,
    next_attempt_at: i64,
    error: &str,
) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "UPDATE outbox SET status = 'pending', next_attempt_at = $1, claimed_until = NULL, last_error = $2 WHERE id = $3",
    )
    .bind(next_attempt_at)
    .bind(error)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    tx.commit().await
}

/// Given up (an administrator may retry it).
pub async fn mark_failed(store: &Store, id: i64, error: &str) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "UPDATE outbox SET status = 'failed', claimed_until = NULL, last_error = $1 WHERE id = $2",
    )
    .bind(error)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    tx.commit().await
}

/// Puts a failed message back in the queue, in the caller's transaction (with its audit
/// event); false when there is no failed message with that id.
pub async fn retry_failed(tx: &mut WriteTx, id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'pending', next_attempt_at = $1, attempts = 0 WHERE id = $2 AND status = 'failed'",
    )
    .bind(now())
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Messages, newest first, optionally only those with `status`.
pub async fn list(
    store: &Store,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<MessageRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2"
    ))
    .bind(status.unwrap_or(""))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// How many messages have `status`, and when the oldest of them was created.
pub async fn count_with_status(
    store: &Store,
    status: &str,
) -> Result<(i64, Option<i64>), StoreError> {
    Ok(
        sqlx::query_as("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status = $1")
            .bind(status)
            .fetch_one(store.pool())
            .await?,
    )
}
