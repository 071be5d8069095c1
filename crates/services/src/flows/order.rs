//! The order (订单) as the flows read and write it: loading one for the customer who owns
//! it (another customer's id is "not found", exactly like a missing one) or for finance;
//! the applications waiting to be put into an order; and the one way a flow changes an
//! order's status, [`change_status`], which asks `domain::order::OrderStatus::apply`,
//! writes the `Transition` through `store::transition` and appends the audit event, in the
//! caller's transaction. What an order's payment does to its applications is
//! [`move_applications`]: their status follows through their own state machine.

use domain::channel::PaymentMethod;
use domain::order::{OrderEvent, OrderStatus};
use domain::{ApplicationEvent, ApplicationStatus, AuditAction, Channel, Fen, Lang, Role, Status};
use store::WriteTx;
use store::orders::OrderRecord;

use super::application::{self, Application};
use crate::notifications::{self, Recipient, Template};
use crate::people::accounts::CustomerSession;
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// The roles that may read any order and its vouchers.
pub const READERS: [Role; 2] = [Role::Finance, Role::Admin];

/// An order as the customer or finance sees it.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: i64,
    /// The order number (订单号), e.g. `DD20261206000003`.
    pub number: String,
    pub customer_id: i64,
    pub channel: Channel,
    pub holder_name: String,
    pub amount: Fen,
    pub method: PaymentMethod,
    pub status: OrderStatus,
    pub exception_reason: Option<String>,
    pub lines: Vec<Line>,
    /// The transfer's vouchers, newest first.
    pub vouchers: Vec<Voucher>,
    /// Money given back, oldest first.
    pub refunds: Vec<super::refund::Refund>,
    /// The invoices requested when it was paid, oldest first.
    pub invoices: Vec<super::invoice::InvoiceView>,
    pub paid_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One application of an order, as priced when the order was placed.
#[derive(Debug, Clone)]
pub struct Line {
    pub application_id: i64,
    pub application_number: String,
    pub description: String,
    pub amount: Fen,
}

/// A voucher (汇款底单) as uploaded.
#[derive(Debug, Clone)]
pub struct Voucher {
    pub id: i64,
    pub sha256: String,
    pub remitter: String,
    pub remitted_on: String,
    pub at: i64,
}

pub fn number(id: i64, created_at: i64) -> String {
    let day = domain::time::UnixTime::from_seconds(created_at).china_date();
    format!("DD{}{id:06}", day.yyyymmdd())
}

/// The audit log's name of order `id`.
pub fn object(id: i64) -> String {
    format!("order:{id}")
}

pub fn not_found(id: i64) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        "unknown_order",
        format!("no order {id}"),
        "订单不存在",
    )
}

pub(crate) async fn assemble(app: &App, record: &OrderRecord) -> Result<Order, ServiceError> {
    let channel = crate::hall::channels::stored_definition(app, &record.channel_code).await?;
    let mut lines = Vec::new();
    for item in store::orders::items(&app.store, record.id).await? {
        let created = store::applications::find(&app.store, item.application_id)
            .await?
            .map(|a| a.created_at)
            .unwrap_or(record.created_at);
        lines.push(Line {
            application_id: item.application_id,
            application_number: application::number(item.application_id, created),
            description: item.description,
            amount: fen(item.amount_fen)?,
        });
    }
    let vouchers = store::orders::vouchers(&app.store, record.id)
        .await?
        .into_iter()
        .map(|v| Voucher {
            id: v.id,
            sha256: v.sha256,
            remitter: v.remitter,
            remitted_on: v.remitted_on,
            at: v.created_at,
        })
        .collect();
    Ok(Order {
        id: record.id,
        number: number(record.id, record.created_at),
        customer_id: record.customer_id,
        channel,
        holder_name: record.holder_name.clone(),
        amount: fen(record.amount_fen)?,
        method: PaymentMethod::parse(&record.method)
            .ok_or_else(|| ServiceError::internal("order", "unknown payment method"))?,
        status: record.status,
        exception_reason: record.exception_reason.clone(),
        lines,
        vouchers,
        refunds: super::refund::of_order(app, record.id).await?,
        invoices: super::invoice::of_order(app, record.id, &number(record.id, record.created_at))
            .await?,
        paid_at: record.paid_at,
        created_at: record.created_at,
        updated_at: record.updated_at,
    })
}

fn fen(stored: i64) -> Result<Fen, ServiceError> {
    u64::try_from(stored)
        .map(Fen)
        .map_err(|_| ServiceError::internal("order", "a negative amount"))
}

/// The customer's orders, newest first.
pub async fn mine(app: &App, customer: &CustomerSession) -> Result<Vec<Order>, ServiceError> {
    let mut list = Vec::new();
    for record in store::orders::list_for_customer(&app.store, customer.customer_id).await? {
        list.push(assemble(app, &record).await?);
    }
    Ok(list)
}

/// Order `id` for `actor`: its customer, or finance (each operator's look is audited: the
/// order names the holder and its vouchers show bank accounts).
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<Order, ServiceError> {
    let record = match actor {
        Actor::Customer(customer) => {
            store::orders::find_for_customer(&app.store, id, *customer).await?
        }
        other => {
            other.require_any(&READERS)?;
            let found = store::orders::find(&app.store, id).await?;
            if found.is_some() {
                let mut tx = app.store.begin_write().await?;
                crate::audit::record(
                    &mut tx,
                    other,
                    AuditAction::OrderView,
                    object(id),
                    serde_json::json!({}),
                )
                .await?;
                tx.commit().await?;
            }
            found
        }
    }
    .ok_or_else(|| not_found(id))?;
    assemble(app, &record).await
}

/// The order `id` of `customer`, inside a write transaction; another's is "not found".
pub(crate) async fn own(
    tx: &mut WriteTx,
    customer: &CustomerSession,
    id: i64,
) -> Result<OrderRecord, ServiceError> {
    store::orders::find_for_customer_in(tx, id, customer.customer_id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// The payment methods offered for `business` in `channel` on this installation: the
/// channel's, less online payment where no online provider is configured, so that no
/// order waits for a payment that cannot be made.
pub fn offered_methods(
    app: &App,
    channel: &Channel,
    business: domain::BusinessType,
) -> Vec<PaymentMethod> {
    channel
        .business
        .get(&business)
        .map(|rule| {
            rule.payment_methods
                .iter()
                .copied()
                .filter(|m| {
                    *m == PaymentMethod::BankTransfer
                        || !app.online_payments_for(&channel.code).is_empty()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `application` may go into a new order now: submitted (not a draft, not being
/// edited, not cancelled), with something to pay, not paid and in no order.
pub fn waits_for_order(application: &Application) -> bool {
    application.order_id.is_none()
        && !application.paid
        && application.pipeline.payment != domain::application::PaymentStep::None
        && matches!(
            application.status,
            ApplicationStatus::Submitted
                | ApplicationStatus::UnderReview
                | ApplicationStatus::AwaitingPayment
        )
}

/// The customer's submitted applications waiting to be put into an order (继续申请 leaves
/// several of one holder waiting; one order takes them together).
pub async fn awaiting_order(
    app: &App,
    customer: &CustomerSession,
) -> Result<Vec<Application>, ServiceError> {
    let mut waiting = Vec::new();
    for record in store::applications::list_for_customer(&app.store, customer.customer_id).await? {
        if record.order_id.is_some() || record.paid_at.is_some() {
            continue;
        }
        let application = application::assemble(app, &record).await?;
        if waits_for_order(&application) {
            waiting.push(application);
        }
    }
    Ok(waiting)
}

/// Moves the order by `event`, as its state machine allows, and records it.
pub(crate) async fn change_status(
    tx: &mut WriteTx,
    actor: &Actor,
    record: &OrderRecord,
    event: OrderEvent,
    action: AuditAction,
    mut details: serde_json::Value,
) -> Result<OrderStatus, ServiceError> {
    let transition = record.status.apply(event).map_err(|e| {
        ServiceError::new(
            ErrorKind::Conflict,
            "invalid_transition",
            e.to_string(),
            format!(
                "订单当前状态为“{}”，不能{}",
                record.status.name_zh(),
                action.name_zh()
            ),
        )
        .with_field("status")
    })?;
    store::transition::set(tx, record.id, transition).await?;
    store::orders::touch(tx, record.id).await?;
    details["from"] = transition.from().as_str().into();
    details["to"] = transition.to().as_str().into();
    details["number"] = number(record.id, record.created_at).into();
    crate::audit::record(tx, actor, action, object(record.id), details).await?;
    Ok(transition.to())
}

/// Moves each application of order `order_id` that is in one of `from` by `event` (a
/// paid order pays its applications; an exception or a dropped order tells them), each
/// transition audited on the application with the order's number. Applications elsewhere
/// in their life (still under review when payment follows review) stay where they are.
pub(crate) async fn move_applications(
    tx: &mut WriteTx,
    app: &App,
    actor: &Actor,
    order: &OrderRecord,
    from: &[ApplicationStatus],
    event: ApplicationEvent,
    action: AuditAction,
) -> Result<(), ServiceError> {
    for item in store::orders::items_in(tx, order.id).await? {
        let Some(record) = store::applications::find_in(tx, item.application_id).await? else {
            continue;
        };
        if !from.contains(&record.status) {
            continue;
        }
        let application = application::assemble(app, &record).await?;
        application::change_status(
            tx,
            actor,
            &record,
            application.pipeline,
            event,
            action,
            serde_json::json!({"order": number(order.id, order.created_at)}),
        )
        .await?;
    }
    Ok(())
}

/// Refuses to change an application that an open order holds (the customer cancels the
/// order first), or, with `paid_blocks`, one already paid (giving the money back is
/// finance's refund, not a click).
pub(crate) async fn check_free(
    tx: &mut WriteTx,
    application: &store::applications::ApplicationRecord,
    paid_blocks: bool,
) -> Result<(), ServiceError> {
    let applied = application::number(application.id, application.created_at);
    if application.paid_at.is_some() {
        if paid_blocks {
            return Err(ServiceError::new(
                ErrorKind::Conflict,
                "paid",
                format!("application {applied} is paid: ask customer service for a refund"),
                format!("申请{applied}已支付，如需取消请联系客服办理退款"),
            ));
        }
        return Ok(());
    }
    let Some(order_id) = application.order_id else {
        return Ok(());
    };
    if let Some(order) = store::orders::find_in(tx, order_id).await?
        && order.status.is_open()
    {
        let order_number = number(order.id, order.created_at);
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "in_order",
            format!(
                "application {applied} is in order {order_number}: cancel the order in My orders first"
            ),
            format!("申请{applied}已在订单{order_number}中，请先在“我的订单”中取消该订单"),
        ));
    }
    Ok(())
}

/// Tells the customer (the account's number) about the order.
pub(crate) async fn tell_customer(
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
