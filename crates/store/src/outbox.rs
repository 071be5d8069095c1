//! The notification outbox: messages written in the transaction of the event that causes
//! them, delivered later by a worker.
//!
//! The status column follows `domain::message` (pending → sending → sent, back to pending,
//! or failed). Every function that changes it takes the `Transition` the state machine
//! made; single-message changes go through [`crate::transition::set`]. A claim whose
//! deadline passed means a worker died mid-send: the outcome is in doubt, and the worker
//! asks the provider before sending again (see services).

use domain::{MessageKind, MessageStatus, Status, Transition};

use crate::{Store, StoreError, WriteTx, transition};

/// A message to enqueue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub kind: MessageKind,
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

#[derive(Debug, Clone)]
pub struct MessageRecord {
    pub id: i64,
    pub kind: MessageKind,
    pub recipient: String,
    pub template: String,
    pub subject: String,
    pub text: String,
    pub sensitive: i64,
    pub idempotency_key: String,
    pub status: MessageStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for MessageRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(MessageRecord {
            id: row.try_get("id")?,
            kind: crate::stored(row, "channel")?,
            recipient: row.try_get("recipient")?,
            template: row.try_get("template")?,
            subject: row.try_get("subject")?,
            text: row.try_get("text")?,
            sensitive: row.try_get("sensitive")?,
            idempotency_key: row.try_get("idempotency_key")?,
            status: crate::stored(row, "status")?,
            attempts: row.try_get("attempts")?,
            next_attempt_at: row.try_get("next_attempt_at")?,
            last_error: row.try_get("last_error")?,
            created_at: row.try_get("created_at")?,
            sent_at: row.try_get("sent_at")?,
        })
    }
}

const COLUMNS: &str = "id, channel, recipient, template, subject, text, sensitive, idempotency_key, status, \
                       attempts, next_attempt_at, last_error, created_at, sent_at";

/// Enqueues in the caller's transaction, `pending` and due at once; `None` when the key is
/// already queued.
pub async fn enqueue(tx: &mut WriteTx, message: &NewMessage) -> Result<Option<i64>, StoreError> {
    let now = tx.now().seconds();
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO outbox (channel, recipient, template, subject, text, sensitive, idempotency_key, status, \
         attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $9) \
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(message.kind.as_str())
    .bind(&message.recipient)
    .bind(&message.template)
    .bind(&message.subject)
    .bind(&message.text)
    .bind(i64::from(message.sensitive))
    .bind(&message.idempotency_key)
    .bind(MessageStatus::Pending.as_str())
    .bind(now)
    .fetch_optional(&mut ***tx)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Claims up to `limit` due messages for `claim_seconds`, counting an attempt each
/// (`claim`: pending → sending). The status is checked again in the outer WHERE so two
/// workers racing on PostgreSQL never claim the same row.
pub async fn claim_due(
    store: &Store,
    claim: Transition<MessageStatus>,
    claim_seconds: i64,
    limit: i64,
) -> Result<Vec<MessageRecord>, StoreError> {
    let mut tx = store.begin_write().await?;
    let now = tx.now().seconds();
    let records = sqlx::query_as(&format!(
        "UPDATE outbox SET status = $1, claimed_until = $2, attempts = attempts + 1 \
         WHERE status = $3 AND id IN \
         (SELECT id FROM outbox WHERE status = $3 AND next_attempt_at <= $4 ORDER BY id LIMIT $5) \
         RETURNING {COLUMNS}"
    ))
    .bind(claim.to().as_str())
    .bind(now + claim_seconds)
    .bind(claim.from().as_str())
    .bind(now)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    tx.commit().await?;
    Ok(records)
}

/// Messages whose claim expired while sending: their delivery is in doubt. They are taken
/// over (`take_over`: sending → sending, claimed again) by the caller; the expired
/// deadline is checked in the same statement, so two nodes never take over one message.
pub async fn claim_in_doubt(
    store: &Store,
    take_over: Transition<MessageStatus>,
    claim_seconds: i64,
) -> Result<Vec<MessageRecord>, StoreError> {
    let mut tx = store.begin_write().await?;
    let now = tx.now().seconds();
    let records = sqlx::query_as(&format!(
        "UPDATE outbox SET status = $1, claimed_until = $2 WHERE status = $3 AND claimed_until < $4 \
         RETURNING {COLUMNS}"
    ))
    .bind(take_over.to().as_str())
    .bind(now + claim_seconds)
    .bind(take_over.from().as_str())
    .bind(now)
    .fetch_all(&mut **tx)
    .await?;
    tx.commit().await?;
    Ok(records)
}

/// What else a settled attempt records, besides its status.
#[derive(Debug, Clone)]
pub enum Outcome<'a> {
    /// Delivered now; the text of a sensitive message is cleared.
    Sent,
    /// Not delivered; try again at this Unix time.
    RetryAt { at: i64, error: &'a str },
    /// Given up (an administrator may retry it).
    Failed { error: &'a str },
}

/// Settles one attempt of message `id`: the status change and what goes with it, in one
/// transaction.
pub async fn settle(
    store: &Store,
    id: i64,
    transition: Transition<MessageStatus>,
    outcome: Outcome<'_>,
) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    transition::set(&mut tx, id, transition).await?;
    let now = tx.now().seconds();
    let query = match outcome {
        Outcome::Sent => sqlx::query(
            "UPDATE outbox SET sent_at = $1, claimed_until = NULL, last_error = NULL, \
             text = CASE WHEN sensitive = 1 THEN '' ELSE text END WHERE id = $2",
        )
        .bind(now)
        .bind(id),
        Outcome::RetryAt { at, error } => sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1, claimed_until = NULL, last_error = $2 WHERE id = $3",
        )
        .bind(at)
        .bind(error)
        .bind(id),
        Outcome::Failed { error } => {
            sqlx::query("UPDATE outbox SET claimed_until = NULL, last_error = $1 WHERE id = $2")
                .bind(error)
                .bind(id)
        }
    };
    query.execute(&mut **tx).await?;
    tx.commit().await
}

/// Puts a failed message back in line (`requeue`), due now with a fresh count of
/// attempts, in the caller's transaction (with its audit event). A message that is not
/// failed (or does not exist) is a lost race.
pub async fn requeue(
    tx: &mut WriteTx,
    id: i64,
    requeue: Transition<MessageStatus>,
) -> Result<(), StoreError> {
    transition::set(tx, id, requeue).await?;
    sqlx::query("UPDATE outbox SET next_attempt_at = $1, attempts = 0 WHERE id = $2")
        .bind(tx.now().seconds())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Messages, newest first, optionally only those with `status`.
pub async fn list(
    store: &Store,
    status: Option<MessageStatus>,
    limit: i64,
) -> Result<Vec<MessageRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2"
    ))
    .bind(status.map(|s| s.as_str()).unwrap_or(""))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// How many messages have `status`, and when the oldest of them was created.
pub async fn count_with_status(
    store: &Store,
    status: MessageStatus,
) -> Result<(i64, Option<i64>), StoreError> {
    Ok(
        sqlx::query_as("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status = $1")
            .bind(status.as_str())
            .fetch_one(store.pool())
            .await?,
    )
}
