//! Cancelling an application (取消): the customer gives up a draft, a submitted one not yet
//! taken by a reviewer, a rejected one, or one waiting for payment (not while an open
//! order holds it, nor once paid). Transitions: `Draft → Cancelled`,
//! `Submitted → Cancelled`, `Rejected → Cancelled`, `AwaitingPayment → Cancelled`. And
//! cancelling an unpaid order ([`cancel_order`]): its applications wait for a new order. Its documents (identity documents:
//! personal information with no purpose left) and its identity checks are shredded: the rows holding their
//! wrapped keys go in the same transaction, the sealed objects after the commit.

use domain::order::OrderEvent;
use domain::{ApplicationEvent, ApplicationStatus, AuditAction};

use super::application::{self, Applicant};
use super::order;
use crate::people::accounts::CustomerSession;
use crate::{App, ServiceError};

pub async fn cancel(app: &App, applicant: &Applicant, id: i64) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let record = application::own(&mut tx, applicant, id).await?;
    let current = application::assemble(app, &record).await?;
    super::order::check_free(&mut tx, &record, true).await?;
    let shredded = store::documents::delete_all_of(&mut tx, id).await?;
    store::identity_checks::delete_all_of(&mut tx, id).await?;
    application::change_status(
        &mut tx,
        applicant.actor(),
        &record,
        current.pipeline,
        ApplicationEvent::Cancel,
        AuditAction::ApplicationCancel,
        serde_json::json!({"documents_shredded": shredded.len()}),
    )
    .await?;
    tx.commit().await?;
    let objects: Vec<String> = shredded
        .into_iter()
        .flat_map(|d| [d.object_key, d.thumbnail_key])
        .collect();
    crate::documents::forget(app, &objects).await;
    Ok(())
}

/// Cancels the customer's unpaid order (待支付 or 支付异常). Transitions:
/// `AwaitingPayment → Cancelled`, `PaymentException → Cancelled` (orders);
/// `PaymentException → AwaitingPayment` (its applications).
pub async fn cancel_order(
    app: &App,
    customer: &CustomerSession,
    id: i64,
) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let record = order::own(&mut tx, customer, id).await?;
    let actor = customer.actor();
    order::change_status(
        &mut tx,
        &actor,
        &record,
        OrderEvent::Cancel,
        AuditAction::OrderCancel,
        serde_json::json!({}),
    )
    .await?;
    order::move_applications(
        &mut tx,
        app,
        &actor,
        &record,
        &[ApplicationStatus::PaymentException],
        ApplicationEvent::AwaitPayment,
        AuditAction::ApplicationAwaitPayment,
    )
    .await?;
    store::applications::leave_order(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}
