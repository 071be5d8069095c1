//! Refunds (退款). Finance cancels a paid order (撤单退款) and gives the money back, in full or
//! in part (a fee kept), never more than was paid: through the provider when the order was
//! paid online, with a refund number fixed when the refund is made, so that asking again
//! after a timeout refunds once; or, when it was paid by bank transfer, by finance's own
//! transfer back, recorded against the order with the bank's reference. The order's
//! applications are cancelled with it, all or none: an application a reviewer holds, or
//! one in production or beyond, stops the refund. The customer is told by SMS.
//!
//! The system makes refunds too, for a payment an order did not need (paid twice, paid
//! after it was cancelled or closed, or another amount): [`give_back`], from the notice
//! or the query that brought the money. [`send_due`] asks the providers about every pending
//! online refund (the reconciliation job runs it; finance's refund runs it at once).
//!
//! A provider may settle a refund later (WeChat Pay `PROCESSING`): it is then queried
//! (every minute, then every ten after five minutes) and its `REFUND.*` notice taken
//! ([`take_notice`]), whichever comes first. One the provider could not make (`ABNORMAL`:
//! the paying account closed or frozen; `CLOSED`) becomes 退款异常: the customer is told,
//! and finance transfers the money and records the bank's reference ([`record_transfer`]).
//!
//! Transitions: `Paid → Refunded` (orders); `… → Cancelled` by `refund` (its
//! applications); `Pending → Refunded`, `Pending → Abnormal`, `Abnormal → Refunded`
//! (refunds).

use domain::order::{OrderEvent, OrderStatus};
use domain::payment::AttemptStatus;
use domain::refund::{RefundEvent, RefundStatus};
use domain::{ApplicationEvent, AuditAction, Fen, Role, Status, text};
use providers::payment::{RefundOutcome, RefundRequest};
use store::WriteTx;
use store::payments::AttemptRecord;
use store::refunds::{NewRefund, RefundRecord};

use super::application;
use super::order;
use crate::notifications::Template;
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// Who may give money back.
const ROLES: [Role; 1] = [Role::Finance];
/// The numbers of the refunds the system makes (a payment an order did not need): `RF` and
/// the trade's number. Finance's are `RD`, the order's id and their sequence.
const AUTOMATIC: &str = "RF";

/// Finance's refund of a paid order, as typed.
#[derive(Debug, Clone, Default)]
pub struct RefundForm {
    /// In yuan (`120.50`); empty: all that was paid.
    pub amount: String,
    pub reason: String,
}

/// A refund as finance and the customer see it.
#[derive(Debug, Clone)]
pub struct Refund {
    pub id: i64,
    pub order_id: i64,
    pub refund_no: String,
    pub amount: Fen,
    pub reason: String,
    pub status: RefundStatus,
    /// Through the provider that took the money (else by bank transfer).
    pub online: bool,
    /// Made by the system, for a payment the order did not need.
    pub automatic: bool,
    pub bank_reference: Option<String>,
    pub refunded_at: Option<i64>,
    pub created_at: i64,
    /// The provider's word when it could not make the refund (`ABNORMAL`, `CLOSED`).
    pub failure: Option<String>,
}

impl Refund {
    /// Finance is to send this money back by bank transfer and record it: a transfer-paid
    /// order's refund, or one the provider could not make (退款异常).
    pub fn awaits_transfer(&self) -> bool {
        match self.status {
            RefundStatus::Pending => !self.online,
            RefundStatus::Abnormal => true,
            RefundStatus::Refunded => false,
        }
    }

    pub(crate) fn from_record(record: RefundRecord) -> Refund {
        let automatic = record.refund_no.starts_with(AUTOMATIC);
        Refund {
            id: record.id,
            order_id: record.order_id,
            refund_no: record.refund_no,
            amount: Fen(u64::try_from(record.amount_fen).unwrap_or_default()),
            reason: record.reason,
            status: record.status,
            online: record.attempt_id.is_some(),
            automatic,
            bank_reference: record.bank_reference,
            refunded_at: record.refunded_at,
            created_at: record.created_at,
            failure: record.failure,
        }
    }
}

fn refund_error(field: &str, code: &'static str, en: String, zh: String) -> ServiceError {
    ServiceError::new(ErrorKind::Invalid, code, en, zh).with_field(field)
}

/// Gives back `form.amount` (or all that is left) of order `id`'s payment. The first refund
/// cancels the paid order ([`withdraw`]); a further one (the order 已退款) gives back more,
/// never beyond what was paid. The refund is recorded and the customer told in the same
/// transaction; an online refund is then sent to the provider at once (and again by the
/// reconciliation job until it answers). Returns the refund's id.
pub async fn refund(
    app: &App,
    actor: &Actor,
    id: i64,
    form: &RefundForm,
) -> Result<i64, ServiceError> {
    actor.require_any(&ROLES)?;
    let reason = text::required("reason", &form.reason, 200, "退款原因")?;
    let mut tx = app.store.begin_write().await?;
    let record = store::orders::find_in(&mut tx, id)
        .await?
        .ok_or_else(|| order::not_found(id))?;
    let attempt = paying_attempt(&mut tx, id).await?;
    let paid = attempt.as_ref().map_or(record.amount_fen, |a| a.amount_fen);
    let earlier: Vec<RefundRecord> = store::refunds::for_order_in(&mut tx, id)
        .await?
        .into_iter()
        .filter(|r| !r.refund_no.starts_with(AUTOMATIC))
        .collect();
    let given_back = match &attempt {
        Some(a) => store::refunds::total_for_attempt_in(&mut tx, a.id).await?,
        None => earlier.iter().map(|r| r.amount_fen).sum(),
    };
    let refundable = paid - given_back;
    let amount = if form.amount.trim().is_empty() {
        refundable
    } else {
        let fen = Fen::parse_yuan(form.amount.trim()).ok_or_else(|| {
            refund_error(
                "amount",
                "invalid_amount",
                "an amount in yuan with at most two decimals, e.g. 120.50".into(),
                "退款金额应为元，最多两位小数，例如 120.50".into(),
            )
        })?;
        i64::try_from(fen.0).unwrap_or(i64::MAX)
    };
    if amount <= 0 || amount > refundable {
        let most = Fen(u64::try_from(refundable).unwrap_or_default()).yuan();
        return Err(refund_error(
            "amount",
            "amount_out_of_range",
            format!(
                "the refund must be more than 0 and at most {most} yuan (what was paid, less what was given back)"
            ),
            format!("退款金额应大于0且不超过已支付款项中尚可退还的 {most} 元"),
        ));
    }
    let refund_no = format!("RD{id:010}{:02}", earlier.len() + 1);
    let details = serde_json::json!({
        "amount_fen": amount, "paid_fen": paid, "refund_no": refund_no, "reason": reason,
        "by": if attempt.is_some() { "online" } else { "bank_transfer" },
    });
    if record.status == OrderStatus::Refunded {
        // A further refund of the cancelled order: within what is left of the payment.
        crate::audit::record(
            &mut tx,
            actor,
            AuditAction::OrderRefundMore,
            order::object(id),
            details,
        )
        .await?;
    } else {
        withdraw(&mut tx, app, actor, &record, &refund_no, details).await?;
    }
    let operator = match actor {
        Actor::Operator { id, .. } => Some(*id),
        _ => None,
    };
    let refund_id = store::refunds::insert(
        &mut tx,
        &NewRefund {
            order_id: id,
            attempt_id: attempt.as_ref().map(|a| a.id),
            refund_no: &refund_no,
            amount_fen: amount,
            reason: &reason,
            requested_by: operator,
        },
    )
    .await?
    .ok_or_else(|| ServiceError::internal("refund", "the order's refund number is taken"))?;
    let template = Template::OrderRefunded {
        number: order::number(id, record.created_at),
        amount: Fen(u64::try_from(amount).unwrap_or_default()).yuan(),
        online: attempt.is_some(),
    };
    order::tell_customer(&mut tx, &record, &template, &refund_no).await?;
    tx.commit().await?;
    if attempt.is_some()
        && let Some(made) = store::refunds::find(&app.store, refund_id).await?
    {
        // At once; whatever the answer, the reconciliation job asks again until it is done.
        send(app, made).await?;
    }
    Ok(refund_id)
}

/// Cancels paid order `record` for its first refund: the order 已退款, its applications
/// 已取消 (all or none: one under review or in production stops it), its invoice requests
/// withdrawn.
async fn withdraw(
    tx: &mut WriteTx,
    app: &App,
    actor: &Actor,
    record: &store::orders::OrderRecord,
    refund_no: &str,
    details: serde_json::Value,
) -> Result<(), ServiceError> {
    order::change_status(
        tx,
        actor,
        record,
        OrderEvent::Refund,
        AuditAction::OrderWithdraw,
        details,
    )
    .await?;
    for item in store::orders::items_in(tx, record.id).await? {
        let Some(held) = store::applications::find_in(tx, item.application_id).await? else {
            continue;
        };
        let current = application::assemble(app, &held).await?;
        application::change_status(
            tx,
            actor,
            &held,
            current.pipeline,
            ApplicationEvent::Refund,
            AuditAction::ApplicationRefund,
            serde_json::json!({"order": order::number(record.id, record.created_at), "refund_no": refund_no}),
        )
        .await?;
    }
    super::invoice::withdraw_for_order(tx, actor, record.id).await
}

/// The online attempt whose money paid the order: paid, and not one the system gives back
/// (a second payment). `None` when the order was paid otherwise (by bank transfer).
async fn paying_attempt(
    tx: &mut WriteTx,
    order_id: i64,
) -> Result<Option<AttemptRecord>, ServiceError> {
    let automatic: Vec<i64> = store::refunds::for_order_in(tx, order_id)
        .await?
        .into_iter()
        .filter(|r| r.refund_no.starts_with(AUTOMATIC))
        .filter_map(|r| r.attempt_id)
        .collect();
    Ok(store::payments::for_order_in(tx, order_id)
        .await?
        .into_iter()
        .find(|a| a.status == AttemptStatus::Paid && !automatic.contains(&a.id)))
}

/// Records that paid attempt `attempt` is to be given back in full (a payment its order
/// did not need), once: the refund number is fixed by the attempt's own.
pub(crate) async fn give_back(
    tx: &mut WriteTx,
    attempt: &AttemptRecord,
    paid: Fen,
    reason: &str,
) -> Result<(), ServiceError> {
    store::refunds::insert(
        tx,
        &NewRefund {
            order_id: attempt.order_id,
            attempt_id: Some(attempt.id),
            refund_no: &format!("{AUTOMATIC}{}", attempt.out_trade_no),
            amount_fen: i64::try_from(paid.0).unwrap_or(i64::MAX),
            reason,
            requested_by: None,
        },
    )
    .await?;
    Ok(())
}

/// Asks the providers about every pending online refund that is due
/// ([`domain::refund::ask_again`]), each with its fixed number: one not yet accepted is
/// sent (again), one the provider settles later is queried. A refund the provider confirms
/// is recorded once; one it could not make goes to finance. Returns how many were recorded
/// refunded.
pub async fn send_due(app: &App) -> Result<u64, ServiceError> {
    let now = app.now().seconds();
    let mut recorded = 0;
    for due in store::refunds::due_online(&app.store, 200).await? {
        if domain::refund::ask_again(due.settling_since, due.asked_at, now)
            && send(app, due).await?
        {
            recorded += 1;
        }
    }
    Ok(recorded)
}

/// Asks the provider about online refund `due`: sends it with its fixed number, or queries
/// it when the provider accepted it to settle later (and sends it again if the provider
/// has no such refund). True when it was recorded refunded now (once).
async fn send(app: &App, due: RefundRecord) -> Result<bool, ServiceError> {
    let Some(attempt_id) = due.attempt_id else {
        return Ok(false);
    };
    let Some(attempt) = store::payments::find(&app.store, attempt_id).await? else {
        return Ok(false);
    };
    let Some(online) = super::pay::merchant_of(app, &attempt).await? else {
        return Ok(false);
    };
    let request = RefundRequest {
        out_trade_no: attempt.out_trade_no.clone(),
        out_refund_no: due.refund_no.clone(),
        amount: Fen(u64::try_from(due.amount_fen).unwrap_or_default()),
        paid: Fen(u64::try_from(attempt.amount_fen).unwrap_or_default()),
        reason: due.reason.clone(),
        notify_url: online.notify_url.clone(),
    };
    let mut answer = if due.settling_since.is_some() {
        online.provider.query_refund(&request).await
    } else {
        online.provider.refund(&request).await
    };
    if answer == Ok(RefundOutcome::NotMade) {
        answer = online.provider.refund(&request).await;
    }
    let mut tx = app.store.begin_write().await?;
    let effect = match answer {
        Ok(outcome) => settle(&mut tx, due.id, outcome, "answer").await?,
        Err(e) => {
            // No definite answer: asked again next round, with the same number.
            tracing::warn!(error = %e, refund_no = %due.refund_no, "refund");
            store::refunds::set_asked(&mut tx, due.id, None).await?;
            Settled::NoChange
        }
    };
    tx.commit().await?;
    Ok(effect == Settled::Refunded)
}

/// What the provider's word did to a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    Refunded,
    /// Accepted, to be settled later: asked again (or its notice awaited).
    Processing,
    /// The provider could not make it: finance's now.
    Failed,
    /// Already so, or nothing to conclude.
    NoChange,
}

impl Settled {
    /// The word the notice log keeps.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Settled::Refunded => "refunded",
            Settled::Processing => "refund_processing",
            Settled::Failed => "refund_abnormal",
            Settled::NoChange => "duplicate",
        }
    }
}

/// Applies the provider's word `outcome` on refund `id` (from an answer, a query or a
/// notice, `by`), once, in `tx`: refunded (audited), still processing (noted for the
/// back-off), or not possible (退款异常: audited, the customer told, finance to transfer).
async fn settle(
    tx: &mut WriteTx,
    id: i64,
    outcome: RefundOutcome,
    by: &str,
) -> Result<Settled, ServiceError> {
    let Some(record) = store::refunds::find_in(tx, id).await? else {
        return Ok(Settled::NoChange);
    };
    let event = match outcome {
        RefundOutcome::Refunded { .. } => RefundEvent::Refunded,
        RefundOutcome::Failed(_) => RefundEvent::Fail,
        RefundOutcome::Processing | RefundOutcome::NotMade => {
            let processing = outcome == RefundOutcome::Processing;
            if record.status == RefundStatus::Pending {
                store::refunds::set_asked(tx, id, Some(processing)).await?;
            }
            return Ok(if processing {
                Settled::Processing
            } else {
                Settled::NoChange
            });
        }
    };
    let Ok(transition) = record.status.apply(event) else {
        return Ok(Settled::NoChange);
    };
    store::transition::set(tx, id, transition).await?;
    let details = |extra: serde_json::Value| {
        let mut details = serde_json::json!({
            "refund_no": record.refund_no, "amount_fen": record.amount_fen, "by": "online",
            "reported_by": by, "from": transition.from().as_str(), "to": transition.to().as_str(),
        });
        if let (Some(details), Some(extra)) = (details.as_object_mut(), extra.as_object()) {
            details.extend(extra.clone());
        }
        details
    };
    if let RefundOutcome::Failed(failure) = outcome {
        store::refunds::set_failure(tx, id, failure.as_str()).await?;
        crate::audit::record(
            tx,
            &Actor::System,
            AuditAction::OrderRefundAbnormal,
            order::object(record.order_id),
            details(serde_json::json!({"failure": failure.as_str()})),
        )
        .await?;
        if let Some(placed) = store::orders::find_in(tx, record.order_id).await? {
            let template = Template::RefundAbnormal {
                number: order::number(placed.id, placed.created_at),
                amount: Fen(u64::try_from(record.amount_fen).unwrap_or_default()).yuan(),
            };
            let what = format!("{}:abnormal", record.refund_no);
            order::tell_customer(tx, &placed, &template, &what).await?;
        }
        return Ok(Settled::Failed);
    }
    store::refunds::set_done(tx, id, None).await?;
    let moved = matches!(outcome, RefundOutcome::Refunded { moved: true });
    crate::audit::record(
        tx,
        &Actor::System,
        AuditAction::OrderRefund,
        order::object(record.order_id),
        details(serde_json::json!({"moved_now": moved})),
    )
    .await?;
    Ok(Settled::Refunded)
}

/// The provider's notice that refund `out_refund_no` of trade `out_trade_no` ended
/// (WeChat Pay `REFUND.*`), applied in the notice's transaction; what it did, for the
/// notice log. A refund of another trade, or unknown, changes nothing.
pub(crate) async fn take_notice(
    tx: &mut WriteTx,
    out_trade_no: &str,
    out_refund_no: &str,
    outcome: RefundOutcome,
) -> Result<String, ServiceError> {
    let Some(record) = store::refunds::find_by_number_in(tx, out_refund_no).await? else {
        return Ok("unknown_refund".into());
    };
    let attempt = match record.attempt_id {
        Some(id) => store::payments::find_in(tx, id).await?,
        None => None,
    };
    if attempt.is_none_or(|a| a.out_trade_no != out_trade_no) {
        return Ok("unknown_refund".into());
    }
    Ok(settle(tx, record.id, outcome, "notice")
        .await?
        .as_str()
        .to_string())
}

/// Finance records that refund `id` went back by bank transfer, with the bank's reference
/// (a transfer-paid order's refund, or an online one the provider could not make).
/// Returns the refund's order.
pub async fn record_transfer(
    app: &App,
    actor: &Actor,
    id: i64,
    bank_reference: &str,
) -> Result<i64, ServiceError> {
    actor.require_any(&ROLES)?;
    let reference = text::required("bank_reference", bank_reference, 64, "银行交易流水号")?;
    let mut tx = app.store.begin_write().await?;
    let record = mark_refunded(&mut tx, id, RefundEvent::RecordTransfer, Some(&reference))
        .await?
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::Conflict,
                "invalid_transition",
                format!("refund {id} is refunded already"),
                "该退款已完成",
            )
            .with_field("status")
        })?;
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::OrderRefund,
        order::object(record.order_id),
        serde_json::json!({
            "refund_no": record.refund_no, "amount_fen": record.amount_fen,
            "by": "bank_transfer", "bank_reference": reference,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(record.order_id)
}

/// Moves refund `id` to 已退款 by `event`, once; `None` when it was already (or is unknown:
/// then an error).
async fn mark_refunded(
    tx: &mut WriteTx,
    id: i64,
    event: RefundEvent,
    bank_reference: Option<&str>,
) -> Result<Option<RefundRecord>, ServiceError> {
    let record = store::refunds::find_in(tx, id).await?.ok_or_else(|| {
        ServiceError::new(
            ErrorKind::NotFound,
            "unknown_refund",
            format!("no refund {id}"),
            "退款记录不存在",
        )
    })?;
    let Ok(transition) = record.status.apply(event) else {
        return Ok(None);
    };
    store::transition::set(tx, id, transition).await?;
    store::refunds::set_done(tx, id, bank_reference).await?;
    Ok(Some(record))
}

/// The order's refunds, for whoever may read the order.
pub async fn of_order(app: &App, order_id: i64) -> Result<Vec<Refund>, ServiceError> {
    Ok(store::refunds::for_order(&app.store, order_id)
        .await?
        .into_iter()
        .map(Refund::from_record)
        .collect())
}

/// Finance's list: the latest refunds, those the provider could not make first, then those
/// in progress.
pub async fn recent(app: &App, actor: &Actor) -> Result<Vec<Refund>, ServiceError> {
    actor.require_any(&[Role::Finance, Role::Admin])?;
    let mut list: Vec<Refund> = store::refunds::recent(&app.store, 100)
        .await?
        .into_iter()
        .map(Refund::from_record)
        .collect();
    list.sort_by_key(|r| {
        let rank = match r.status {
            RefundStatus::Abnormal => 0,
            RefundStatus::Pending => 1,
            RefundStatus::Refunded => 2,
        };
        (rank, -r.id)
    });
    Ok(list)
}
