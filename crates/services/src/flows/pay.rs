//! Paying an order. By bank transfer (汇款/对公转账): the customer transfers to the
//! channel's account (payee spelled exactly, seed 002) and uploads the voucher (汇款底单)
//! with the remitter's name and the day of the transfer, now or later from 我的订单 (seed
//! 000 图15: again after a payment exception). The image goes through the same intake as
//! a document (only real JPEG/PNG, the size limit, decoded off the async threads,
//! re-encoded, sealed, bound to the order); then one transaction records it, moves the
//! order to 待核款 and, when it was in exception, its applications back to 待支付. A new
//! voucher while finance has not looked yet replaces nothing: every voucher is kept, the
//! latest is checked. Online ([`online`], [`take_notice`]): a QR code of the configured
//! provider for the order; the order is paid only on the provider's signed word (a
//! verified notice here, or a verified query answer in `jobs::reconcile_payments`).
//! Transitions: `AwaitingPayment → AwaitingConfirmation`,
//! `PaymentException → AwaitingConfirmation` (orders); `PaymentException → AwaitingPayment`
//! (its applications).

use domain::channel::PaymentMethod;
use domain::order::{OrderEvent, OrderStatus};
use domain::payment::{AttemptEvent, AttemptStatus};
use domain::time::ChinaDate;
use domain::{ApplicationEvent, ApplicationStatus, AuditAction, Fen, FieldError, text};
pub use providers::payment::NoticeHeaders;
use providers::payment::{Noticed, TradeRequest, TradeState};
use store::orders::NewVoucher;
use store::payments::NewNotice;

use super::{order, refund};
use crate::documents::{self, Binding};
use crate::people::accounts::CustomerSession;
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// What the customer says of the transfer.
#[derive(Debug, Clone, Default)]
pub struct TransferForm {
    /// 汇款户名: the account the money came from.
    pub remitter: String,
    /// 汇款日期, `YYYY-MM-DD`.
    pub remitted_on: String,
}

/// The transfer as checked.
struct Transfer {
    remitter: String,
    remitted_on: ChinaDate,
}

fn check(form: &TransferForm, today: ChinaDate) -> Result<Transfer, ServiceError> {
    let remitter = text::required("remitter", &form.remitter, 64, "汇款户名")?;
    let remitted_on: ChinaDate = form.remitted_on.parse().map_err(|_| {
        FieldError::new(
            "remitted_on",
            "invalid_date",
            "the day of the transfer, like 2026-12-01",
            "请填写汇款日期，格式如 2026-12-01",
        )
    })?;
    if remitted_on > today {
        return Err(FieldError::new(
            "remitted_on",
            "date_in_future",
            "the transfer cannot be dated after today",
            "汇款日期不能晚于今天",
        )
        .into());
    }
    Ok(Transfer {
        remitter,
        remitted_on,
    })
}

/// Uploads the voucher of order `id`'s bank transfer; returns the voucher's id.
pub async fn upload_voucher(
    app: &App,
    customer: &CustomerSession,
    id: i64,
    form: &TransferForm,
    bytes: Vec<u8>,
) -> Result<i64, ServiceError> {
    let transfer = check(form, app.today())?;
    waits_for_voucher(app, customer, id).await?;
    record_voucher(
        app,
        customer.customer_id,
        &customer.actor(),
        id,
        &transfer,
        bytes,
        None,
    )
    .await
}

/// Takes the voucher image in, seals and stores it, and records it on order `id` of
/// `customer_id` (spending phone link `link`, when it came through one, in the same
/// transaction): the order then waits for finance (待核款).
async fn record_voucher(
    app: &App,
    customer_id: i64,
    actor: &Actor,
    id: i64,
    transfer: &Transfer,
    bytes: Vec<u8>,
    link: Option<i64>,
) -> Result<i64, ServiceError> {
    let ingested = documents::take_in(app, bytes).await?;
    let sha256 = hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        &ingested.jpeg,
    ));
    let binding = Binding::Voucher { order_id: id };
    let image = documents::seal(app, &binding, &ingested.jpeg)?;
    let thumbnail = documents::seal(app, &binding, &ingested.thumbnail)?;
    documents::store_all(app, &[&image, &thumbnail]).await?;
    let recorded = async {
        let mut tx = app.store.begin_write().await?;
        let record = store::orders::find_for_customer_in(&mut tx, id, customer_id)
            .await?
            .ok_or_else(|| order::not_found(id))?;
        accepts_voucher(record.status)?;
        if let Some(link) = link
            && !store::orders::consume_voucher_link(&mut tx, link).await?
        {
            return Err(super::upload::link_gone());
        }
        let remitted_on = transfer.remitted_on.to_string();
        let voucher = store::orders::insert_voucher(
            &mut tx,
            &NewVoucher {
                order_id: id,
                object_key: &image.key,
                wrapped_key: &image.wrapped_key,
                thumbnail_key: &thumbnail.key,
                thumbnail_wrapped_key: &thumbnail.wrapped_key,
                sha256: &sha256,
                size: image.ciphertext.len() as i64,
                remitter: &transfer.remitter,
                remitted_on: &remitted_on,
                uploaded_by: &actor.label(),
            },
        )
        .await?;
        let details = serde_json::json!({
            "voucher": voucher, "sha256": sha256, "remitted_on": remitted_on,
            "by_phone": link.is_some(),
        });
        if record.status == OrderStatus::AwaitingConfirmation {
            // Another voucher while finance has not looked yet: kept, no change of state.
            store::orders::touch(&mut tx, id).await?;
            crate::audit::record(
                &mut tx,
                actor,
                AuditAction::OrderVoucher,
                order::object(id),
                details,
            )
            .await?;
        } else {
            order::change_status(
                &mut tx,
                actor,
                &record,
                OrderEvent::UploadVoucher,
                AuditAction::OrderVoucher,
                details,
            )
            .await?;
            order::move_applications(
                &mut tx,
                app,
                actor,
                &record,
                &[ApplicationStatus::PaymentException],
                ApplicationEvent::AwaitPayment,
                AuditAction::ApplicationAwaitPayment,
            )
            .await?;
        }
        tx.commit().await?;
        Ok::<i64, ServiceError>(voucher)
    }
    .await;
    if recorded.is_err() {
        documents::forget(app, &[image.key.clone(), thumbnail.key.clone()]).await;
    }
    recorded
}

/// A link for uploading an order's voucher from a phone.
#[derive(Debug, Clone)]
pub struct VoucherLink {
    /// The page the phone opens: `{public URL}/m/{token}`.
    pub url: String,
    /// The URL as a QR code (SVG, drawn by the server).
    pub qr_svg: String,
    pub expires_at: i64,
}

/// Makes a one-time link, valid [`super::upload::LINK_MINUTES`] minutes, for uploading the
/// voucher of the customer's transfer order `id` from a phone; the remitter and the date
/// are typed (and checked) on the computer now. Only the token's hash is stored.
pub async fn voucher_link(
    app: &App,
    customer: &CustomerSession,
    id: i64,
    form: &TransferForm,
) -> Result<VoucherLink, ServiceError> {
    let transfer = check(form, app.today())?;
    waits_for_voucher(app, customer, id).await?;
    let token = super::upload::new_token()?;
    let mut tx = app.store.begin_write().await?;
    let expires_at = tx.now().seconds() + super::upload::LINK_MINUTES * 60;
    store::orders::insert_voucher_link(
        &mut tx,
        &super::upload::token_hash(&token),
        &store::orders::VoucherLinkRecord {
            id: 0,
            order_id: id,
            customer_id: customer.customer_id,
            remitter: transfer.remitter.clone(),
            remitted_on: transfer.remitted_on.to_string(),
            expires_at,
            used_at: None,
        },
    )
    .await?;
    crate::audit::record(
        &mut tx,
        &customer.actor(),
        AuditAction::OrderVoucherLink,
        order::object(id),
        serde_json::json!({"expires_at": expires_at}),
    )
    .await?;
    tx.commit().await?;
    let url = format!("{}/m/{token}", app.ca_settings.public_base_url);
    Ok(VoucherLink {
        qr_svg: documents::qr_svg(&url)?,
        url,
        expires_at,
    })
}

async fn valid_voucher_link(
    app: &App,
    token: &str,
) -> Result<store::orders::VoucherLinkRecord, ServiceError> {
    store::orders::find_voucher_link(&app.store, &super::upload::token_hash(token))
        .await?
        .filter(|l| l.used_at.is_none() && l.expires_at > app.now().seconds())
        .ok_or_else(super::upload::link_gone)
}

/// The order number a working voucher link is for, and when it expires.
pub async fn voucher_link_target(app: &App, token: &str) -> Result<(String, i64), ServiceError> {
    let link = valid_voucher_link(app, token).await?;
    let placed = store::orders::find(&app.store, link.order_id)
        .await?
        .ok_or_else(super::upload::link_gone)?;
    Ok((order::number(placed.id, placed.created_at), link.expires_at))
}

/// Uploads the voucher image `bytes` through link `token`, once, as the customer who made
/// it, with the remitter and date typed then.
pub async fn upload_voucher_by_link(
    app: &App,
    token: &str,
    bytes: Vec<u8>,
) -> Result<i64, ServiceError> {
    let link = valid_voucher_link(app, token).await?;
    let remitted_on = link
        .remitted_on
        .parse()
        .map_err(|e| ServiceError::internal("voucher link", e))?;
    let transfer = Transfer {
        remitter: link.remitter.clone(),
        remitted_on,
    };
    record_voucher(
        app,
        link.customer_id,
        &Actor::Customer(link.customer_id),
        link.order_id,
        &transfer,
        bytes,
        Some(link.id),
    )
    .await
}

/// Checks that the customer's order `id` is paid by bank transfer and takes a voucher now.
async fn waits_for_voucher(
    app: &App,
    customer: &CustomerSession,
    id: i64,
) -> Result<(), ServiceError> {
    let current = order::get(app, &customer.actor(), id).await?;
    if current.method != PaymentMethod::BankTransfer {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "not_a_transfer",
            "this order is not paid by bank transfer",
            "该订单不是银行汇款/对公转账订单",
        ));
    }
    accepts_voucher(current.status)
}

fn accepts_voucher(status: OrderStatus) -> Result<(), ServiceError> {
    if matches!(
        status,
        OrderStatus::AwaitingPayment
            | OrderStatus::AwaitingConfirmation
            | OrderStatus::PaymentException
    ) {
        Ok(())
    } else {
        Err(ServiceError::new(
            ErrorKind::Conflict,
            "voucher_not_needed",
            format!("the order is {}: no voucher is needed", status.name_en()),
            format!("订单{}，无需上传汇款底单", status.name_zh()),
        )
        .with_field("file"))
    }
}

/// The image of voucher `voucher` of order `id` (its thumbnail when asked), for the
/// order's customer or finance (each operator's look audited by [`order::get`]).
pub async fn voucher_image(
    app: &App,
    actor: &crate::people::actor::Actor,
    id: i64,
    voucher: i64,
    thumbnail: bool,
) -> Result<Vec<u8>, ServiceError> {
    order::get(app, actor, id).await?;
    let found = store::orders::vouchers(&app.store, id)
        .await?
        .into_iter()
        .find(|v| v.id == voucher)
        .ok_or_else(|| order::not_found(id))?;
    let (key, wrapped) = if thumbnail {
        (&found.thumbnail_key, &found.thumbnail_wrapped_key)
    } else {
        (&found.object_key, &found.wrapped_key)
    };
    documents::open(app, &Binding::Voucher { order_id: id }, key, wrapped).await
}

/// A QR code to pay an order online.
#[derive(Debug, Clone)]
pub struct OnlineCode {
    /// The provider (`alipay`, `wechat`).
    pub provider: &'static str,
    /// The provider's code text (what the QR code holds).
    pub qr_code: String,
    /// The same, drawn as SVG by the server.
    pub qr_svg: String,
    pub expires_at: i64,
}

fn online_unavailable() -> ServiceError {
    ServiceError::new(
        ErrorKind::Unavailable,
        "payment_unavailable",
        "online payment is not available now; try again, or pay by bank transfer",
        "在线支付暂不可用，请稍后再试或改用银行汇款",
    )
}

/// The QR code to pay order `id` online (在线支付): the pending attempt's while it has time
/// left, else a new attempt, recorded before the provider is asked (a crash in between
/// leaves a row the reconciliation settles). Transitions: none (an attempt starts pending).
pub async fn online(
    app: &App,
    customer: &CustomerSession,
    id: i64,
    provider: Option<&str>,
) -> Result<OnlineCode, ServiceError> {
    let current = order::get(app, &customer.actor(), id).await?;
    // The channel's merchant (its own, or the installation's).
    let online = match provider {
        Some(name) => app.online_payment_for(&current.channel.code, name),
        None => app
            .online_payments_for(&current.channel.code)
            .into_iter()
            .next(),
    }
    .ok_or_else(online_unavailable)?;
    if current.method != PaymentMethod::Online {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "not_online",
            "this order is paid by bank transfer",
            "该订单为银行汇款订单",
        ));
    }
    let payable = |status: OrderStatus| {
        // 支付异常 online: another amount was paid and is being given back; pay again.
        if matches!(
            status,
            OrderStatus::AwaitingPayment | OrderStatus::PaymentException
        ) {
            Ok(())
        } else {
            Err(ServiceError::new(
                ErrorKind::Conflict,
                "not_payable",
                format!("the order is {}", status.name_en()),
                format!("订单{}，无需支付", status.name_zh()),
            ))
        }
    };
    payable(current.status)?;
    let now = app.now().seconds();
    let shown = store::payments::for_order(&app.store, id)
        .await?
        .into_iter()
        .find(|a| {
            a.status == AttemptStatus::Pending
                && a.expires_at > now + 60
                && a.provider == online.name
        });
    if let Some(attempt) = shown
        && let Some(qr_code) = attempt.qr_code
    {
        return Ok(OnlineCode {
            provider: online.name,
            qr_svg: documents::qr_svg(&qr_code)?,
            qr_code,
            expires_at: attempt.expires_at,
        });
    }
    let expires_at = now + online.code_lifetime_seconds;
    let mut tx = app.store.begin_write().await?;
    let record = order::own(&mut tx, customer, id).await?;
    payable(record.status)?;
    let (attempt, out_trade_no) =
        store::payments::insert_attempt(&mut tx, id, online.name, record.amount_fen, expires_at)
            .await?;
    crate::audit::record(
        &mut tx,
        &customer.actor(),
        AuditAction::OrderPayStart,
        order::object(id),
        serde_json::json!({"provider": online.name, "out_trade_no": out_trade_no, "expires_at": expires_at}),
    )
    .await?;
    tx.commit().await?;
    let request = TradeRequest {
        out_trade_no,
        amount: current.amount,
        subject: format!("{} 订单 {}", app.hall.site.ca_name_zh, current.number),
        expires_at: providers::payment::china_time(expires_at),
        notify_url: online.notify_url.clone(),
    };
    let qr_code = online.provider.precreate(&request).await.map_err(|e| {
        tracing::warn!(error = %e, "online payment: precreate failed");
        online_unavailable()
    })?;
    let mut tx = app.store.begin_write().await?;
    store::payments::set_qr(&mut tx, attempt, &qr_code).await?;
    tx.commit().await?;
    Ok(OnlineCode {
        provider: online.name,
        qr_svg: documents::qr_svg(&qr_code)?,
        qr_code,
        expires_at,
    })
}

/// The merchant that took attempt `attempt`: its order's channel's.
pub(crate) async fn merchant_of(
    app: &App,
    attempt: &store::payments::AttemptRecord,
) -> Result<Option<crate::OnlinePayment>, ServiceError> {
    Ok(store::orders::find(&app.store, attempt.order_id)
        .await?
        .and_then(|placed| app.online_payment_for(&placed.channel_code, &attempt.provider)))
}

/// A provider's notice, as received on `/pay/notify/{provider}`: verified, kept with its
/// verdict, and applied when it says a trade of ours was paid; the answer the provider
/// expects. A notice whose signature fails changes nothing and is refused (the provider
/// sends it again; a forger gets nothing). An authentic notice is answered as taken
/// whatever it changed (a duplicate, a late one, another amount), so that the provider
/// stops sending it; what it could not do is for finance.
pub async fn take_notice(
    app: &App,
    provider: &str,
    headers: &NoticeHeaders,
    body: &[u8],
) -> (u16, &'static str) {
    let candidates = app.online_payments_named(provider);
    let Some(first) = candidates.first() else {
        return (404, "");
    };
    let text = String::from_utf8_lossy(body).into_owned();
    // The merchant whose keys verify the notice and whom it names; else one whose keys
    // verify it (an authentic notice for another app: "not ours", answered so the provider
    // stops); else the first's refusal.
    let mut chosen = (first.clone(), first.provider.verify_notice(headers, body));
    for candidate in &candidates {
        let verdict = candidate.provider.verify_notice(headers, body);
        let names_it = matches!(&verdict, Ok(notice) if notice.app_id == candidate.app_id);
        if names_it || (verdict.is_ok() && chosen.1.is_err()) {
            chosen = (candidate.clone(), verdict);
        }
        if names_it {
            break;
        }
    }
    let (online, verdict) = chosen;
    let outcome = async {
        let mut tx = app.store.begin_write().await?;
        let (notice_id, out_trade_no, verdict_text, effect) = match &verdict {
            Err(e) => (None, None, format!("rejected: {e}"), "none".to_string()),
            Ok(notice) => {
                let ours = notice.app_id == online.app_id
                    && online
                        .seller_id
                        .as_ref()
                        .is_none_or(|s| notice.seller_id.as_ref() == Some(s));
                let effect = if !ours {
                    "not_ours".to_string()
                } else {
                    match &notice.about {
                        Noticed::Trade(TradeState::Paid {
                            amount,
                            provider_ref,
                        }) => {
                            apply_paid(&mut tx, app, &notice.out_trade_no, *amount, provider_ref)
                                .await?
                        }
                        Noticed::Trade(other) => format!("no_change: {other:?}"),
                        Noticed::Refund {
                            out_refund_no,
                            outcome,
                        } => {
                            refund::take_notice(
                                &mut tx,
                                &notice.out_trade_no,
                                out_refund_no,
                                *outcome,
                            )
                            .await?
                        }
                    }
                };
                // An authentic notice is a money event: audited with its verdict and what it
                // did, on its order when the trade is ours. A refused one is not (anyone can
                // post one; the permanent chain would be theirs to fill): the notice log
                // keeps it with its verdict, and housekeeping forgets it after a week.
                let attempt =
                    store::payments::find_by_number_in(&mut tx, &notice.out_trade_no).await?;
                let object = match (&attempt, ours) {
                    (Some(attempt), true) => order::object(attempt.order_id),
                    _ => format!("payment_notice:{}", online.name),
                };
                crate::audit::record(
                    &mut tx,
                    &Actor::System,
                    AuditAction::OrderNotice,
                    object,
                    serde_json::json!({
                        "provider": online.name, "notice_id": notice.id,
                        "out_trade_no": notice.out_trade_no, "app_id": notice.app_id,
                        "verdict": "verified", "effect": effect,
                    }),
                )
                .await?;
                (
                    Some(notice.id.clone()),
                    Some(notice.out_trade_no.clone()),
                    "verified".to_string(),
                    effect,
                )
            }
        };
        store::payments::insert_notice(
            &mut tx,
            &NewNotice {
                provider: online.name,
                notice_id: notice_id.as_deref(),
                out_trade_no: out_trade_no.as_deref(),
                body: &domain::text::clip(&text, 8000),
                verdict: &verdict_text,
                effect: &effect,
            },
        )
        .await?;
        tx.commit().await?;
        Ok::<(), ServiceError>(())
    }
    .await;
    match (outcome, verdict.is_ok()) {
        (Ok(()), taken) => online.provider.notice_answer(taken),
        (Err(e), _) => {
            // Nothing was applied: the provider sends it again.
            tracing::error!(error = %e, "a payment notice could not be recorded");
            online.provider.notice_answer(false)
        }
    }
}

/// The provider stated, signed, that attempt `out_trade_no` was paid `amount`: the attempt
/// is paid once; the order is paid if it waits for payment, marked for finance if the
/// amount differs, and a payment that finds the order cancelled, closed or paid already
/// is recorded as one to refund. Returns what it did, for the notice log.
pub(crate) async fn apply_paid(
    tx: &mut store::WriteTx,
    app: &App,
    out_trade_no: &str,
    amount: Fen,
    provider_ref: &str,
) -> Result<String, ServiceError> {
    let Some(attempt) = store::payments::find_by_number_in(tx, out_trade_no).await? else {
        return Ok("unknown_trade".into());
    };
    let Ok(transition) = attempt.status.apply(AttemptEvent::Pay) else {
        return Ok("duplicate".into());
    };
    store::transition::set(tx, attempt.id, transition).await?;
    store::payments::set_provider_ref(tx, attempt.id, provider_ref).await?;
    let record = store::orders::find_in(tx, attempt.order_id)
        .await?
        .ok_or_else(|| ServiceError::internal("payment", "an attempt without its order"))?;
    let paid_fen = i64::try_from(amount.0).unwrap_or(i64::MAX);
    let details = serde_json::json!({
        "by": "online", "out_trade_no": out_trade_no, "provider_ref": provider_ref,
        "amount_fen": paid_fen,
    });
    let payable = matches!(
        record.status,
        OrderStatus::AwaitingPayment | OrderStatus::PaymentException
    );
    if paid_fen == attempt.amount_fen && payable {
        super::confirm_payment::settle_paid(
            tx,
            app,
            &Actor::System,
            &record,
            OrderEvent::Settle,
            details,
        )
        .await?;
        return Ok("paid".into());
    }
    // Money the order cannot use: another amount, a second payment, or one after the order
    // was cancelled or closed. It is real, and goes back in full (refund::send_due asks the
    // provider, with a fixed refund number).
    let effect = if paid_fen == attempt.amount_fen {
        refund::give_back(tx, &attempt, amount, "重复或迟到的付款，自动退款").await?;
        "refund_due"
    } else {
        let reason = format!(
            "在线支付金额为 {} 元，与订单金额 {} 元不符，款项将原路退回，请重新支付",
            amount.yuan(),
            Fen(u64::try_from(attempt.amount_fen).unwrap_or_default()).yuan()
        );
        refund::give_back(tx, &attempt, amount, &reason).await?;
        if record.status == OrderStatus::AwaitingPayment {
            order::change_status(
                tx,
                &Actor::System,
                &record,
                OrderEvent::RaiseException,
                AuditAction::OrderException,
                serde_json::json!({"reason": reason, "out_trade_no": out_trade_no, "amount_fen": paid_fen}),
            )
            .await?;
            store::orders::set_exception(tx, record.id, Some(&reason)).await?;
        }
        "wrong_amount"
    };
    crate::audit::record(
        tx,
        &Actor::System,
        AuditAction::OrderRefundDue,
        order::object(record.id),
        details,
    )
    .await?;
    Ok(effect.into())
}

/// A provider's notice as kept: when, whose, for which trade, the verdict on its signature
/// and what it did.
#[derive(Debug, Clone)]
pub struct NoticeEntry {
    pub at: i64,
    pub provider: String,
    pub out_trade_no: String,
    pub verdict: String,
    pub effect: String,
}

/// What finance sees of online money: the latest notices with their verdicts and effects,
/// and the refunds (pending first).
pub async fn money_log(
    app: &App,
    actor: &Actor,
) -> Result<(Vec<NoticeEntry>, Vec<refund::Refund>), ServiceError> {
    actor.require_any(&[domain::Role::Finance, domain::Role::Admin])?;
    let notices = store::payments::notices(&app.store, 50)
        .await?
        .into_iter()
        .map(|n| NoticeEntry {
            at: n.created_at,
            provider: n.provider,
            out_trade_no: n.out_trade_no,
            verdict: n.verdict,
            effect: n.effect,
        })
        .collect();
    let refunds = refund::recent(app, actor).await?;
    Ok((notices, refunds))
}
