//! Applications (申请单). A row is created in `draft` by [`insert`]; its status changes only
//! through [`crate::transition::set`]. What the customer entered is sealed by the caller
//! (`content`); `content_version` grows with every change of it, and [`update_content`]
//! writes only over the version the caller read, so two tabs saving at once cannot
//! silently overwrite each other. Every customer-facing read names the customer.

use domain::ApplicationStatus;

use crate::{Store, StoreError, WriteTx};

/// An application as stored.
#[derive(Debug, Clone)]
pub struct ApplicationRecord {
    pub id: i64,
    pub customer_id: i64,
    pub channel_code: String,
    pub business: String,
    pub status: ApplicationStatus,
    pub next_step: String,
    pub holder_name: Option<String>,
    /// HMAC of the holder's identifier (set once the holder is described).
    pub subject_key: Option<String>,
    pub content: Vec<u8>,
    pub content_version: i64,
    pub entered_by: Option<i64>,
    pub signed_digest: Option<String>,
    pub signed_at: Option<i64>,
    pub signed_phone: Option<String>,
    pub submitted_at: Option<i64>,
    pub reviewer_id: Option<i64>,
    pub reject_reason: Option<String>,
    /// The open or paid order holding it.
    pub order_id: Option<i64>,
    /// When its order was paid.
    pub paid_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for ApplicationRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(ApplicationRecord {
            id: row.try_get("id")?,
            customer_id: row.try_get("customer_id")?,
            channel_code: row.try_get("channel_code")?,
            business: row.try_get("business")?,
            status: crate::stored(row, "status")?,
            next_step: row.try_get("next_step")?,
            holder_name: row.try_get("holder_name")?,
            subject_key: row.try_get("subject_key")?,
            content: row.try_get("content")?,
            content_version: row.try_get("content_version")?,
            entered_by: row.try_get("entered_by")?,
            signed_digest: row.try_get("signed_digest")?,
            signed_at: row.try_get("signed_at")?,
            signed_phone: row.try_get("signed_phone")?,
            submitted_at: row.try_get("submitted_at")?,
            reviewer_id: row.try_get("reviewer_id")?,
            reject_reason: row.try_get("reject_reason")?,
            order_id: row.try_get("order_id")?,
            paid_at: row.try_get("paid_at")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

const SELECT: &str = "SELECT id, customer_id, channel_code, business, status, next_step, holder_name, \
     subject_key, content, content_version, entered_by, signed_digest, signed_at, signed_phone, submitted_at, \
     reviewer_id, reject_reason, order_id, paid_at, created_at, updated_at FROM applications";

/// A new draft.
pub struct NewApplication<'a> {
    pub customer_id: i64,
    pub channel_code: &'a str,
    pub business: &'a str,
    pub next_step: &'a str,
    pub entered_by: Option<i64>,
}

/// Inserts a draft with empty content (the caller seals the content with the row's id and
/// writes it with [`update_content`] in the same transaction).
pub async fn insert(tx: &mut WriteTx, new: &NewApplication<'_>) -> Result<i64, StoreError> {
    let now = tx.now().seconds();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO applications (customer_id, channel_code, business, status, next_step, content, \
         content_version, entered_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $8) RETURNING id",
    )
    .bind(new.customer_id)
    .bind(new.channel_code)
    .bind(new.business)
    .bind(domain::Status::as_str(ApplicationStatus::Draft))
    .bind(new.next_step)
    .bind(Vec::<u8>::new())
    .bind(new.entered_by)
    .bind(now)
    .fetch_one(&mut ***tx)
    .await?;
    Ok(id)
}

/// The content and what is derived from it, as the caller wants it stored.
pub struct ContentUpdate<'a> {
    pub next_step: &'a str,
    pub holder_name: Option<&'a str>,
    pub subject_key: Option<&'a str>,
    pub content: &'a [u8],
}

/// Writes new content over version `read_version`; a lost race when someone else wrote
/// first. Returns the new version. A second unfinished application of the customer for
/// the same holder in the channel is refused by the database
/// (`applications_one_unfinished`): [`StoreError::Duplicate`].
pub async fn update_content(
    tx: &mut WriteTx,
    id: i64,
    read_version: i64,
    update: &ContentUpdate<'_>,
) -> Result<i64, StoreError> {
    let done = sqlx::query(
        "UPDATE applications SET next_step = $1, holder_name = $2, subject_key = $3, content = $4, \
         content_version = content_version + 1, updated_at = $5 WHERE id = $6 AND content_version = $7",
    )
    .bind(update.next_step)
    .bind(update.holder_name)
    .bind(update.subject_key)
    .bind(update.content)
    .bind(tx.now().seconds())
    .bind(id)
    .bind(read_version)
    .execute(&mut ***tx)
    .await
    .map_err(StoreError::from_unique("applications_one_unfinished"))?;
    if done.rows_affected() == 1 {
        Ok(read_version + 1)
    } else {
        Err(StoreError::LostRace {
            table: "applications",
            id,
            expected: "the version read",
        })
    }
}

/// The customer's own application.
pub async fn find_for_customer(
    store: &Store,
    id: i64,
    customer_id: i64,
) -> Result<Option<ApplicationRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE id = $1 AND customer_id = $2"))
            .bind(id)
            .bind(customer_id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// The customer's own application, inside a write transaction.
pub async fn find_for_customer_in(
    tx: &mut WriteTx,
    id: i64,
    customer_id: i64,
) -> Result<Option<ApplicationRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE id = $1 AND customer_id = $2"))
            .bind(id)
            .bind(customer_id)
            .fetch_optional(&mut ***tx)
            .await?,
    )
}

/// Any application (for operators, whose role the caller has checked).
pub async fn find(store: &Store, id: i64) -> Result<Option<ApplicationRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

/// Any application, inside a write transaction.
pub async fn find_in(tx: &mut WriteTx, id: i64) -> Result<Option<ApplicationRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut ***tx)
        .await?)
}

/// The customer's applications, newest first.
pub async fn list_for_customer(
    store: &Store,
    customer_id: i64,
) -> Result<Vec<ApplicationRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE customer_id = $1 ORDER BY id DESC LIMIT 200"
    ))
    .bind(customer_id)
    .fetch_all(store.pool())
    .await?)
}

/// How many applications are in `statuses`, and since when the oldest waits (submitted,
/// or started when never submitted): a dashboard queue.
pub async fn count_in_statuses(
    store: &Store,
    statuses: &[ApplicationStatus],
) -> Result<(i64, Option<i64>), StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT COUNT(*), MIN(COALESCE(submitted_at, created_at)) FROM applications WHERE status IN ({})",
        status_list(statuses)
    ))
    .fetch_one(store.pool())
    .await?)
}

/// How many counter applications are still being filled in, and since when the oldest.
pub async fn count_counter_drafts(store: &Store) -> Result<(i64, Option<i64>), StoreError> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*), MIN(created_at) FROM applications WHERE entered_by IS NOT NULL AND status = 'draft'",
    )
    .fetch_one(store.pool())
    .await?)
}

/// `'draft', 'submitted'`: statuses spelled by their state machine, never by a caller.
fn status_list(statuses: &[ApplicationStatus]) -> String {
    statuses
        .iter()
        .map(|s| format!("'{}'", domain::Status::as_str(*s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Applications entered at the counter (by any clerk), newest first.
pub async fn entered_at_counter(
    store: &Store,
    limit: i64,
) -> Result<Vec<ApplicationRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE entered_by IS NOT NULL ORDER BY id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Applications in `statuses`, the longest waiting first (by submission).
pub async fn in_statuses(
    store: &Store,
    statuses: &[ApplicationStatus],
    limit: i64,
) -> Result<Vec<ApplicationRecord>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE status IN ({}) ORDER BY submitted_at, id LIMIT $1",
        status_list(statuses)
    ))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// The customer's other unfinished application for the same holder in the channel.
pub async fn unfinished_for_subject(
    tx: &mut WriteTx,
    customer_id: i64,
    channel_code: &str,
    subject_key: &str,
    except_id: i64,
) -> Result<Option<i64>, StoreError> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM applications WHERE customer_id = $1 AND channel_code = $2 AND subject_key = $3 \
         AND status IN ('draft', 'rejected') AND id <> $4",
    )
    .bind(customer_id)
    .bind(channel_code)
    .bind(subject_key)
    .bind(except_id)
    .fetch_optional(&mut ***tx)
    .await?;
    Ok(found.map(|(id,)| id))
}

/// Records the SMS-signed submission.
pub async fn set_signature(
    tx: &mut WriteTx,
    id: i64,
    digest: &str,
    phone: &str,
) -> Result<(), StoreError> {
    let now = tx.now().seconds();
    sqlx::query(
        "UPDATE applications SET signed_digest = $1, signed_at = $2, signed_phone = $3, submitted_at = $2, \
         reject_reason = NULL, reviewer_id = NULL, updated_at = $2 WHERE id = $4",
    )
    .bind(digest)
    .bind(now)
    .bind(phone)
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Clears the signature when the customer takes the application back to edit it.
/// Replaces the signature of a submitted application after a signed amendment (its
/// mailing address), while it is still in `status` (one of them): its place in the queues,
/// counted from `submitted_at`, is kept. False when it has moved on meanwhile (a reviewer
/// took it): the caller rolls back.
pub async fn sign_again(
    tx: &mut WriteTx,
    id: i64,
    digest: &str,
    phone: &str,
    status: &[&str],
) -> Result<bool, StoreError> {
    let now = tx.now().seconds();
    let mut changed = 0;
    for one in status {
        changed += sqlx::query(
            "UPDATE applications SET signed_digest = $1, signed_at = $2, signed_phone = $3, updated_at = $2 \
             WHERE id = $4 AND status = $5",
        )
        .bind(digest)
        .bind(now)
        .bind(phone)
        .bind(id)
        .bind(*one)
        .execute(&mut ***tx)
        .await?
        .rows_affected();
    }
    Ok(changed == 1)
}

pub async fn clear_signature(tx: &mut WriteTx, id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE applications SET signed_digest = NULL, signed_at = NULL, signed_phone = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(tx.now().seconds())
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Records who reviews it (`None` when released) and the reason of a rejection.
pub async fn set_review(
    tx: &mut WriteTx,
    id: i64,
    reviewer_id: Option<i64>,
    reject_reason: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE applications SET reviewer_id = $1, reject_reason = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(reviewer_id)
    .bind(reject_reason)
    .bind(tx.now().seconds())
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Puts application `id` into order `order_id` if it is in none: false when another order
/// took it first.
pub async fn join_order(tx: &mut WriteTx, id: i64, order_id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE applications SET order_id = $1, updated_at = $2 WHERE id = $3 AND order_id IS NULL",
    )
    .bind(order_id)
    .bind(tx.now().seconds())
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lets the unpaid applications of order `order_id` go (it was cancelled or closed).
pub async fn leave_order(tx: &mut WriteTx, order_id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE applications SET order_id = NULL, updated_at = $1 WHERE order_id = $2 AND paid_at IS NULL",
    )
    .bind(tx.now().seconds())
    .bind(order_id)
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Records that the applications of order `order_id` are paid.
pub async fn mark_paid(tx: &mut WriteTx, order_id: i64) -> Result<(), StoreError> {
    let now = tx.now().seconds();
    sqlx::query("UPDATE applications SET paid_at = $1, updated_at = $1 WHERE order_id = $2")
        .bind(now)
        .bind(order_id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}
