//! Placing an order (下单缴费): the customer ticks submitted applications of one holder in
//! one channel (seed 003: several at once, the same organisation only) and a payment
//! method the channel offers for every business in it (an order holding a new certificate
//! is paid by transfer only, where the channel says so). The amount is the sum of the
//! applications' prices from the channel's fees, in fen, each line kept as priced. In one
//! transaction the order is written in `AwaitingPayment` with its lines, each application
//! is claimed for it (a compare-and-set from "in no order", so two orders cannot take the
//! same application) and every step is audited. Transitions: none (the order is created
//! in its initial state).

use domain::AuditAction;
use domain::channel::PaymentMethod;
use store::orders::{NewOrder, OrderItem};

use super::application::{self, Applicant};
use super::order;
use crate::people::accounts::CustomerSession;
use crate::{App, ErrorKind, ServiceError};

/// What the customer chose.
#[derive(Debug, Clone)]
pub struct PlaceOrder {
    pub applications: Vec<i64>,
    pub method: PaymentMethod,
}

/// The most applications one order takes.
pub const MAX_LINES: usize = 20;

fn refused(code: &'static str, en: String, zh: String, field: &str) -> ServiceError {
    ServiceError::new(ErrorKind::Invalid, code, en, zh).with_field(field)
}

/// Places the order; returns its id.
pub async fn place(
    app: &App,
    customer: &CustomerSession,
    input: &PlaceOrder,
) -> Result<i64, ServiceError> {
    let mut ids = input.applications.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_LINES {
        return Err(refused(
            "order_size",
            format!("tick 1 to {MAX_LINES} applications"),
            format!("请勾选1至{MAX_LINES}份申请"),
            "applications",
        ));
    }
    let applicant = Applicant::customer(customer);
    let mut tx = app.store.begin_write().await?;
    let mut records = Vec::with_capacity(ids.len());
    for id in &ids {
        let record = application::own(&mut tx, &applicant, *id).await?;
        let current = application::assemble(app, &record).await?;
        if !order::waits_for_order(&current) {
            return Err(refused(
                "not_orderable",
                format!("application {} is not waiting for an order", current.number),
                format!(
                    "申请{}当前不能下单（未提交、已在订单中或已支付）",
                    current.number
                ),
                "applications",
            ));
        }
        records.push((record, current));
    }
    let (first, first_app) = &records[0];
    for (record, current) in &records[1..] {
        if record.channel_code != first.channel_code || record.subject_key != first.subject_key {
            return Err(refused(
                "mixed_holders",
                format!(
                    "one order holds applications of one holder in one channel: {} is not for {}",
                    current.number, first_app.number
                ),
                format!(
                    "同一订单只能包含同一单位（个人）在同一渠道的申请：{}与{}不属于同一主体",
                    current.number, first_app.number
                ),
                "applications",
            ));
        }
    }
    let channel = &first_app.channel;
    for (_, current) in &records {
        if !order::offered_methods(app, channel, current.business).contains(&input.method) {
            // Online payment the channel offers, on an installation without its provider.
            let online_unconfigured = input.method == PaymentMethod::Online
                && channel
                    .business
                    .get(&current.business)
                    .is_some_and(|rule| rule.payment_methods.contains(&input.method));
            if online_unconfigured {
                return Err(refused(
                    "method_unavailable",
                    "online payment is not configured on this installation; pay by bank transfer"
                        .into(),
                    "本系统尚未开通在线支付，请选择银行汇款/对公转账".into(),
                    "method",
                ));
            }
            return Err(refused(
                "method_not_offered",
                format!(
                    "{} is not offered for {} in this channel",
                    input.method.name_en(),
                    current.business.name_en()
                ),
                format!(
                    "本渠道的{}业务不支持{}",
                    current.business.name_zh(),
                    input.method.name_zh()
                ),
                "method",
            ));
        }
    }
    let mut total = domain::Fen::ZERO;
    let mut items = Vec::with_capacity(records.len());
    for (record, current) in &records {
        let price = current
            .price
            .filter(|p| *p > domain::Fen::ZERO)
            .ok_or_else(|| ServiceError::internal("order", "an application without a price"))?;
        total = total
            .plus(price)
            .ok_or_else(|| ServiceError::internal("order", "the amount overflows"))?;
        items.push(OrderItem {
            application_id: record.id,
            description: super::print::product_line(current),
            amount_fen: i64::try_from(price.0)
                .map_err(|_| ServiceError::internal("order", "the amount overflows"))?,
        });
    }
    let amount_fen = i64::try_from(total.0)
        .map_err(|_| ServiceError::internal("order", "the amount overflows"))?;
    let id = store::orders::insert(
        &mut tx,
        &NewOrder {
            customer_id: customer.customer_id,
            channel_code: &first.channel_code,
            subject_key: first.subject_key.as_deref().unwrap_or_default(),
            holder_name: first.holder_name.as_deref().unwrap_or_default(),
            amount_fen,
            method: input.method.as_str(),
        },
    )
    .await?;
    let created = tx.now().seconds();
    let number = order::number(id, created);
    for item in &items {
        store::orders::add_item(&mut tx, id, item).await?;
        if !store::applications::join_order(&mut tx, item.application_id, id).await? {
            // Another order took it between the read and now.
            return Err(ServiceError::new(
                ErrorKind::Conflict,
                "already_ordered",
                "an application was put into another order meanwhile",
                "申请已被放入其他订单，请刷新后重试",
            ));
        }
        crate::audit::record(
            &mut tx,
            &customer.actor(),
            AuditAction::ApplicationOrder,
            application::object(item.application_id),
            serde_json::json!({"order": number}),
        )
        .await?;
    }
    crate::audit::record(
        &mut tx,
        &customer.actor(),
        AuditAction::OrderPlace,
        order::object(id),
        serde_json::json!({
            "number": number, "amount_fen": amount_fen, "method": input.method.as_str(),
            "applications": ids, "to": "awaiting_payment",
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
