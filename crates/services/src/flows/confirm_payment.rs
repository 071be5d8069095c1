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
use domain::{ApplicationEvent, ApplicationStatus, AuditAction, Duty, Lang, Role, text};
use store::WriteTx;
use store::orders::OrderRecord;

use super::order::{self, Order};
use crate::notifications::{self, Recipient, Template};
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

/// Tells the customer (the account's number) about the order.
async fn tell_customer(
    tx: &mut WriteTx,
    record: &OrderRecord,
    template: &Template,
    what: &str,
) -> Result<(), ServiceError> {
    let Some(customer) = store::customers::find_by_id_in(tx, record.customer_id).await? else {
        return Ok(());
    };
    let phone: domain::PhoneNumber = customer
        .phone
        .parse()
        .map_err(|e| ServiceError::internal("customer", e))?;
    // One message per event of the order, however often the request is repeated.
    let key = format!("order:{}:{what}:{}", record.id, record.updated_at);
    notifications::enqueue(tx, &Recipient::Sms(phone), template, Lang::Zh, &key).await?;
    Ok(())
}

/// Confirms the transfer of order `id` (核款): the order is paid, and so are its applications.
pub async fn confirm(app: &App, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let record = load(&mut tx, id).await?;
    let done = duties_done(&mut tx, &record).await?;
    actor.require_duty(Duty::ConfirmPayment, &app.hall.separation_of_duties, &done)?;
    order::change_status(
        &mut tx,
        actor,
        &record,
        OrderEvent::Confirm,
        AuditAction::OrderConfirm,
        serde_json::json!({"amount_fen": record.amount_fen}),
    )
    .await?;
    let operator = match actor {
        Actor::Operator { id, .. } => Some(*id),
        _ => None,
    };
    store::orders::set_paid(&mut tx, id, operator).await?;
    store::applications::mark_paid(&mut tx, id).await?;
    order::move_applications(
        &mut tx,
        app,
        actor,
        &record,
        &[
            ApplicationStatus::AwaitingPayment,
            ApplicationStatus::PaymentException,
        ],
        ApplicationEvent::Pay,
        AuditAction::ApplicationPay,
    )
    .await?;
    let number = order::number(record.id, record.created_at);
    let template = Template::OrderPaid {
        number,
        amount: domain::Fen(u64::try_from(record.amount_fen).unwrap_or_default()).yuan(),
    };
    tell_customer(&mut tx, &record, &template, "paid").await?;
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
    tell_customer(&mut tx, &record, &template, "exception").await?;
    tx.commit().await?;
    Ok(())
}
