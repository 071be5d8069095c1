//! Finance's side of a bank transfer (财务核款): the queue of orders whose voucher waits to
//! be checked against the account, oldest first with their age, and those in exception;
//! confirming the payment (核款), which pays the order's applications (each moves on by its
//! own state machine: to review where payment comes first, to 已支付 where it follows an
//! approval, or nowhere yet when it is still being reviewed); or marking a payment
//! exception (支付异常) with a reason, which the customer reads by SMS and on the order, and
//! answers with a new voucher. The role and the separation of duties are checked here,
//! whatever the face. Transitions: `AwaitingConfirmation → Paid`,
//! `AwaitingConfirmation → PaymentException` (orders); `AwaitingPayment → Submitted | Paid`,
//! `AwaitingPayment → PaymentException` (their applications).

use domain::order::{OrderEvent, OrderStatus};
use domain::statement::CreditEvent;
use domain::{ApplicationEvent, ApplicationStatus, AuditAction, Duty, Role, Status, text};
use store::WriteTx;
use store::orders::OrderRecord;

use super::order::{self, Order};
use crate::notifications::Template;
use crate::people::actor::Actor;
use crate::{App, ServiceError};

/// One order in finance's queue.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub order: Order,
    /// Seconds since it reached its present state (the voucher's upload, the exception).
    pub waiting: i64,
}

/// Orders whose transfer waits to be confirmed, then those in exception; the longest
/// waiting first in each.
pub async fn queue(app: &App, actor: &Actor) -> Result<Vec<QueueItem>, ServiceError> {
    actor.require_any(&[Role::Finance, Role::Admin])?;
    let now = app.now().seconds();
    let mut items = Vec::new();
    for status in [
        OrderStatus::AwaitingConfirmation,
        OrderStatus::PaymentException,
    ] {
        for record in store::orders::in_statuses(&app.store, &[status], 500).await? {
            items.push(QueueItem {
                waiting: now - record.updated_at,
                order: order::assemble(app, &record).await?,
            });
        }
    }
    Ok(items)
}

/// The duties operators did on the order's applications (for separation of duties).
async fn duties_done(
    tx: &mut WriteTx,
    record: &OrderRecord,
) -> Result<Vec<(Duty, i64)>, ServiceError> {
    let mut done = Vec::new();
    for item in store::orders::items_in(tx, record.id).await? {
        if let Some(application) = store::applications::find_in(tx, item.application_id).await? {
            done.extend(
                application
                    .entered_by
                    .map(|clerk| (Duty::CounterAccept, clerk)),
            );
            done.extend(
                application
                    .reviewer_id
                    .map(|reviewer| (Duty::Review, reviewer)),
            );
        }
    }
    Ok(done)
}

async fn load(tx: &mut WriteTx, id: i64) -> Result<OrderRecord, ServiceError> {
    store::orders::find_in(tx, id)
        .await?
        .ok_or_else(|| order::not_found(id))
}

/// Confirms the transfer of order `id` (核款) from its voucher: the order is paid, and so
/// are its applications. Only an order whose voucher waits is confirmed this way (the
/// order's table says so); money found otherwise is settled from the bank statement
/// ([`confirm_credit`]) or by the provider's word.
pub async fn confirm(app: &App, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let record = load(&mut tx, id).await?;
    settle_paid(
        &mut tx,
        app,
        actor,
        &record,
        OrderEvent::Confirm,
        serde_json::json!({"amount_fen": record.amount_fen, "by": "voucher"}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The order is paid: its state, its applications (each by its own state machine), the
/// customer's SMS. Checks the role and the separation of duties first.
pub(crate) async fn settle_paid(
    tx: &mut WriteTx,
    app: &App,
    actor: &Actor,
    record: &OrderRecord,
    event: OrderEvent,
    details: serde_json::Value,
) -> Result<(), ServiceError> {
    let done = duties_done(tx, record).await?;
    actor.require_duty(Duty::ConfirmPayment, &app.hall.separation_of_duties, &done)?;
    order::change_status(tx, actor, record, event, AuditAction::OrderConfirm, details).await?;
    let operator = match actor {
        Actor::Operator { id, .. } => Some(*id),
        _ => None,
    };
    store::orders::set_paid(tx, record.id, operator).await?;
    store::applications::mark_paid(tx, record.id).await?;
    super::invoice::request_for_order(tx, app, actor, record).await?;
    order::move_applications(
        tx,
        app,
        actor,
        record,
        &[
            ApplicationStatus::AwaitingPayment,
            ApplicationStatus::PaymentException,
        ],
        ApplicationEvent::Pay,
        AuditAction::ApplicationPay,
    )
    .await?;
    let template = Template::OrderPaid {
        number: order::number(record.id, record.created_at),
        amount: domain::Fen(u64::try_from(record.amount_fen).unwrap_or_default()).yuan(),
    };
    order::tell_customer(tx, record, &template, "paid").await
}

/// Confirms credit `credit` of an imported bank statement as the payment of the orders it
/// was proposed for (one, or several of one organisation that add up to it): the credit
/// is confirmed and every order paid, in one transaction, or nothing is.
pub async fn confirm_credit(app: &App, actor: &Actor, credit: i64) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let found = store::statements::find_in(&mut tx, credit)
        .await?
        .ok_or_else(|| super::import_statement::unknown_credit(credit))?;
    let transition = found
        .status
        .apply(CreditEvent::Confirm)
        .map_err(|e| super::import_statement::refused_change(&e, found.status))?;
    if found.order_ids.is_empty() {
        return Err(ServiceError::internal(
            "bank credit",
            "a proposal without its order",
        ));
    }
    let mut records = Vec::new();
    for &id in &found.order_ids {
        records.push(load(&mut tx, id).await?);
    }
    if records.iter().map(|r| r.amount_fen).sum::<i64>() != found.amount_fen {
        return Err(ServiceError::internal(
            "bank credit",
            "amount differs from the orders'",
        ));
    }
    let numbers: Vec<String> = records
        .iter()
        .map(|r| order::number(r.id, r.created_at))
        .collect();
    store::transition::set(&mut tx, credit, transition).await?;
    store::statements::set_decided(&mut tx, credit, &actor.label()).await?;
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::CreditConfirm,
        super::import_statement::object(credit),
        serde_json::json!({"orders": numbers, "from": "proposed", "to": "confirmed"}),
    )
    .await?;
    for record in &records {
        settle_paid(
            &mut tx,
            app,
            actor,
            record,
            OrderEvent::Settle,
            serde_json::json!({
                "amount_fen": record.amount_fen, "by": "bank_statement", "credit": credit,
                "credit_fen": found.amount_fen, "booked_on": found.booked_on,
            }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets credit `credit` aside (not a customer's payment, or settled otherwise).
pub async fn dismiss_credit(app: &App, actor: &Actor, credit: i64) -> Result<(), ServiceError> {
    actor.require_any(&[Role::Finance, Role::Admin])?;
    let mut tx = app.store.begin_write().await?;
    let found = store::statements::find_in(&mut tx, credit)
        .await?
        .ok_or_else(|| super::import_statement::unknown_credit(credit))?;
    let transition = found
        .status
        .apply(CreditEvent::Dismiss)
        .map_err(|e| super::import_statement::refused_change(&e, found.status))?;
    store::transition::set(&mut tx, credit, transition).await?;
    store::statements::set_decided(&mut tx, credit, &actor.label()).await?;
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::CreditDismiss,
        super::import_statement::object(credit),
        serde_json::json!({"from": found.status.as_str(), "to": "dismissed"}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks a payment exception on order `id` (支付异常) with `reason`.
pub async fn raise_exception(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<(), ServiceError> {
    let reason = text::required("reason", reason, 200, "异常原因")?;
    let mut tx = app.store.begin_write().await?;
    let record = load(&mut tx, id).await?;
    let done = duties_done(&mut tx, &record).await?;
    actor.require_duty(Duty::ConfirmPayment, &app.hall.separation_of_duties, &done)?;
    order::change_status(
        &mut tx,
        actor,
        &record,
        OrderEvent::RaiseException,
        AuditAction::OrderException,
        serde_json::json!({"reason": reason}),
    )
    .await?;
    store::orders::set_exception(&mut tx, id, Some(&reason)).await?;
    order::move_applications(
        &mut tx,
        app,
        actor,
        &record,
        &[ApplicationStatus::AwaitingPayment],
        ApplicationEvent::PaymentFailed,
        AuditAction::ApplicationPaymentFailed,
    )
    .await?;
    let template = Template::PaymentException {
        number: order::number(record.id, record.created_at),
        reason,
    };
    order::tell_customer(&mut tx, &record, &template, "exception").await?;
    tx.commit().await?;
    Ok(())
}
