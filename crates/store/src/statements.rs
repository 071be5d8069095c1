//! Bank statements finance imported, and their credits. A statement is inserted once per
//! file ([`insert`] answers `None` for a file already imported, inside the same
//! transaction as its credits); a credit's status changes only through
//! [`crate::transition::set`].

use domain::statement::CreditStatus;

use crate::{Store, StoreError, WriteTx};

/// The statement of file `sha256`, inserted now, or `None` when that file was imported
/// before.
pub async fn insert(
    tx: &mut WriteTx,
    sha256: &str,
    profile: &str,
    file_name: &str,
    credits: i64,
    imported_by: &str,
) -> Result<Option<i64>, StoreError> {
    let known: Option<(i64,)> = sqlx::query_as("SELECT id FROM bank_statements WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&mut ***tx)
        .await?;
    if known.is_some() {
        return Ok(None);
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO bank_statements (sha256, profile, file_name, credits, imported_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(sha256)
    .bind(profile)
    .bind(file_name)
    .bind(credits)
    .bind(imported_by)
    .bind(tx.now().seconds())
    .fetch_one(&mut ***tx)
    .await?;
    Ok(Some(id))
}

/// A credit as stored.
#[derive(Debug, Clone)]
pub struct CreditRecord {
    pub id: i64,
    pub statement_id: i64,
    pub row_number: i64,
    pub booked_on: String,
    pub amount_fen: i64,
    pub remitter: String,
    pub account: String,
    pub remark: String,
    pub status: CreditStatus,
    /// The orders it is proposed for or paid (one, or several of one organisation).
    pub order_ids: Vec<i64>,
    pub note: Option<String>,
    pub decided_by: Option<String>,
    pub created_at: i64,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for CreditRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(CreditRecord {
            id: row.try_get("id")?,
            statement_id: row.try_get("statement_id")?,
            row_number: row.try_get("row_number")?,
            booked_on: row.try_get("booked_on")?,
            amount_fen: row.try_get("amount_fen")?,
            remitter: row.try_get("remitter")?,
            account: row.try_get("account")?,
            remark: row.try_get("remark")?,
            status: crate::stored(row, "status")?,
            // Filled from `bank_credit_orders` by [`with_orders`].
            order_ids: Vec::new(),
            note: row.try_get("note")?,
            decided_by: row.try_get("decided_by")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

const SELECT: &str = "SELECT id, statement_id, row_number, booked_on, amount_fen, remitter, account, \
     remark, status, note, decided_by, created_at FROM bank_credits";

/// A credit to record.
pub struct NewCredit<'a> {
    pub statement_id: i64,
    pub row_number: i64,
    pub booked_on: &'a str,
    pub amount_fen: i64,
    pub remitter: &'a str,
    pub remitter_key: &'a str,
    pub account: &'a str,
    pub remark: &'a str,
    pub status: CreditStatus,
    pub order_ids: &'a [i64],
    pub note: Option<&'a str>,
}

pub async fn insert_credit(tx: &mut WriteTx, new: &NewCredit<'_>) -> Result<i64, StoreError> {
    let now = tx.now().seconds();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO bank_credits (statement_id, row_number, booked_on, amount_fen, remitter, \
         remitter_key, account, remark, status, note, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(new.statement_id)
    .bind(new.row_number)
    .bind(new.booked_on)
    .bind(new.amount_fen)
    .bind(new.remitter)
    .bind(new.remitter_key)
    .bind(new.account)
    .bind(new.remark)
    .bind(domain::Status::as_str(new.status))
    .bind(new.note)
    .bind(now)
    .fetch_one(&mut ***tx)
    .await?;
    for order_id in new.order_ids {
        sqlx::query("INSERT INTO bank_credit_orders (credit_id, order_id) VALUES ($1, $2)")
            .bind(id)
            .bind(order_id)
            .execute(&mut ***tx)
            .await?;
    }
    Ok(id)
}

/// The orders of each credit in `credits`, from `bank_credit_orders`.
async fn with_orders<'c, E>(
    executor: E,
    mut credits: Vec<CreditRecord>,
) -> Result<Vec<CreditRecord>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    if credits.is_empty() {
        return Ok(credits);
    }
    let ids: Vec<String> = credits.iter().map(|c| c.id.to_string()).collect();
    let links: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT credit_id, order_id FROM bank_credit_orders WHERE credit_id IN ({}) \
         ORDER BY credit_id, order_id",
        ids.join(", ")
    ))
    .fetch_all(executor)
    .await?;
    for credit in &mut credits {
        credit.order_ids = links
            .iter()
            .filter(|(c, _)| *c == credit.id)
            .map(|(_, o)| *o)
            .collect();
    }
    Ok(credits)
}

/// Credit `id`, inside a write transaction.
pub async fn find_in(tx: &mut WriteTx, id: i64) -> Result<Option<CreditRecord>, StoreError> {
    let found: Vec<CreditRecord> = sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_all(&mut ***tx)
        .await?;
    Ok(with_orders(&mut ***tx, found).await?.pop())
}

/// The credits finance still has to look at (proposed and unmatched), then the latest
/// decided ones; newest first in each.
pub async fn for_finance(store: &Store, limit: i64) -> Result<Vec<CreditRecord>, StoreError> {
    let credits = sqlx::query_as(&format!(
        "{SELECT} ORDER BY CASE WHEN status IN ('proposed', 'unmatched') THEN 0 ELSE 1 END, id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    with_orders(store.pool(), credits).await
}

/// Records who decided on credit `id`.
pub async fn set_decided(tx: &mut WriteTx, id: i64, by: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE bank_credits SET decided_by = $1, updated_at = $2 WHERE id = $3")
        .bind(by)
        .bind(tx.now().seconds())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// The orders some credit is proposed for, not yet decided (none is proposed twice).
pub async fn proposed_orders(tx: &mut WriteTx) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT l.order_id FROM bank_credit_orders l JOIN bank_credits c ON c.id = l.credit_id \
         WHERE c.status = 'proposed'",
    )
    .fetch_all(&mut ***tx)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
