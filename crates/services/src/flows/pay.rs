//! Paying an order. By bank transfer (汇款/对公转账): the customer transfers to the
//! channel's account (payee spelled exactly, seed 002) and uploads the voucher (汇款底单)
//! with the remitter's name and the day of the transfer, now or later from 我的订单 (seed
//! 000 图15: again after a payment exception). The image goes through the same intake as
//! a document (only real JPEG/PNG, the size limit, decoded off the async threads,
//! re-encoded, sealed, bound to the order); then one transaction records it, moves the
//! order to 待核款 and, when it was in exception, its applications back to 待支付. A new
//! voucher while finance has not looked yet replaces nothing: every voucher is kept, the
//! latest is checked. Online payment (Alipay, WeChat Pay) comes with its adapters.
//! Transitions: `AwaitingPayment → AwaitingConfirmation`,
//! `PaymentException → AwaitingConfirmation` (orders); `PaymentException → AwaitingPayment`
//! (its applications).

use domain::channel::PaymentMethod;
use domain::order::{OrderEvent, OrderStatus};
use domain::time::ChinaDate;
use domain::{ApplicationEvent, ApplicationStatus, AuditAction, FieldError, text};
use store::orders::NewVoucher;

use super::order;
use crate::documents::{self, Binding};
use crate::people::accounts::CustomerSession;
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
    let current = order::get(app, &customer.actor(), id).await?;
    if current.method != PaymentMethod::BankTransfer {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "not_a_transfer",
            "this order is not paid by bank transfer",
            "该订单不是银行汇款/对公转账订单",
        ));
    }
    accepts_voucher(current.status)?;
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
        let record = order::own(&mut tx, customer, id).await?;
        accepts_voucher(record.status)?;
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
                uploaded_by: &customer.actor().label(),
            },
        )
        .await?;
        let details = serde_json::json!({
            "voucher": voucher, "sha256": sha256, "remitted_on": remitted_on,
        });
        if record.status == OrderStatus::AwaitingConfirmation {
            // Another voucher while finance has not looked yet: kept, no change of state.
            store::orders::touch(&mut tx, id).await?;
            crate::audit::record(
                &mut tx,
                &customer.actor(),
                AuditAction::OrderVoucher,
                order::object(id),
                details,
            )
            .await?;
        } else {
            order::change_status(
                &mut tx,
                &customer.actor(),
                &record,
                OrderEvent::UploadVoucher,
                AuditAction::OrderVoucher,
                details,
            )
            .await?;
            order::move_applications(
                &mut tx,
                app,
                &customer.actor(),
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
