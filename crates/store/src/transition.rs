//! The one writer of status columns. It takes only a [`Transition`], which only a state
//! machine in `domain` can make, and writes it as a compare-and-set:
//! `UPDATE … SET status = to WHERE id = … AND status = from`. When the row is no longer in
//! `from` (another request, worker or node changed it first), nothing is written and the
//! caller gets [`StoreError::LostRace`]. A row is created in its machine's initial state by
//! its own `insert`; every later change comes through here. The outbox's claim statements
//! (`outbox::claim_due`, `outbox::claim_in_doubt`), which change many rows at once under
//! extra conditions, take their `Transition` the same way and write only its `from → to`.

use domain::{Status, Transition};

use crate::{StoreError, WriteTx};

/// A status type and the table whose `status` column holds it (rows keyed by `id`).
pub trait StatusTable: Status {
    const TABLE: &'static str;
}

impl StatusTable for domain::ApplicationStatus {
    const TABLE: &'static str = "applications";
}

impl StatusTable for domain::application::CheckStatus {
    const TABLE: &'static str = "identity_checks";
}

impl StatusTable for domain::order::OrderStatus {
    const TABLE: &'static str = "orders";
}

impl StatusTable for domain::statement::CreditStatus {
    const TABLE: &'static str = "bank_credits";
}

impl StatusTable for domain::payment::AttemptStatus {
    const TABLE: &'static str = "payment_attempts";
}

impl StatusTable for domain::refund::RefundStatus {
    const TABLE: &'static str = "refunds";
}

impl StatusTable for domain::invoice::InvoiceStatus {
    const TABLE: &'static str = "invoices";
}

impl StatusTable for domain::production::JobStatus {
    const TABLE: &'static str = "production_jobs";
}

impl StatusTable for domain::usb_key::UsbKeyStatus {
    const TABLE: &'static str = "usb_keys";
}

impl StatusTable for domain::MessageStatus {
    const TABLE: &'static str = "outbox";
}

/// Moves row `id` from `transition.from()` to `transition.to()`, or reports a lost race.
pub async fn set<S: StatusTable>(
    tx: &mut WriteTx,
    id: i64,
    transition: Transition<S>,
) -> Result<(), StoreError> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET status = $1 WHERE id = $2 AND status = $3",
        S::TABLE
    ))
    .bind(transition.to().as_str())
    .bind(id)
    .bind(transition.from().as_str())
    .execute(&mut ***tx)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::LostRace {
            table: S::TABLE,
            id,
            expected: transition.from().as_str(),
        })
    }
}
