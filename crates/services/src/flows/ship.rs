//! Shipping (寄出) and receipt (签收). The shipper's queue holds the applications whose keys
//! are all made and travel by courier, each against the channel's shipping promise in
//! working days from when the last key was made, overdue first. Shipping names one of the
//! channel's couriers and a tracking number checked by that courier's format
//! (`domain::courier`): the application is 已寄出, its keys shipped, and the customer gets
//! an SMS with the courier, the number and the tracking page. The customer confirms
//! receipt (签收), or it is assumed after the channel's `receipt_assumed_after_days`
//! ([`assume_receipts`], a background round on the application's clock): 已完成, its
//! keys in use.
//!
//! Where a courier platform is configured (`providers::courier`), the shipper may have the
//! waybill made instead of typing its number ([`ship_by_waybill`], 电子面单), the customer
//! sees the parcel's journey ([`tracking`]), and a parcel the courier reports signed for
//! completes the application ([`follow_parcels`], in the same round as the receipts).
//!
//! The role and the separation of duties are checked here. Transitions: `Producing →
//! Shipped → Completed` (applications), `Produced → Shipped → Active` (keys).

use domain::application::status::Delivery;
use domain::invoice::InvoiceStatus;
use domain::production::JobStatus;
use domain::time::UnixTime;
use domain::usb_key::{UsbKeyEvent, UsbKeyStatus};
use domain::{ApplicationEvent, ApplicationStatus, AuditAction, Duty, Role};
pub use providers::courier::{CourierError, ParcelState, Tracking, TrackingEvent};
use providers::courier::{Party, WaybillRequest};
use store::WriteTx;
pub use store::shipments::ShipmentRecord;

use super::application::{self, Applicant, Application};
use super::usb_key;
use crate::notifications::{self, Recipient, Template};
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

const DAY: i64 = 86_400;

/// One application waiting to be shipped.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub application: Application,
    /// When its last key was made.
    pub since: UnixTime,
    /// When the channel's shipping promise runs out.
    pub due: UnixTime,
    pub overdue: bool,
    /// Its order's paper invoices, read for the shipper's queue only
    /// ([`queue_with_invoices`]; the dashboard's count does not need them).
    pub paper_invoices: Option<PaperInvoices>,
}

/// An order's paper invoices as the shipper sees them.
#[derive(Debug, Clone, Copy, Default)]
pub struct PaperInvoices {
    /// Issued and not mailed: they may go in the parcel.
    pub ready: usize,
    /// Asked for and not issued yet (finance mails them later).
    pub waiting: usize,
}

/// When the last of application `id`'s keys was made, if all are.
async fn all_made_at(app: &App, current: &Application) -> Result<Option<i64>, ServiceError> {
    let jobs = store::production_jobs::for_application(&app.store, current.id).await?;
    let done: Vec<i64> = jobs
        .iter()
        .filter(|j| j.status == JobStatus::Done)
        .map(|j| j.updated_at)
        .collect();
    Ok(
        (done.len() as u32 >= current.content.product.quantity.max(1))
            .then(|| done.into_iter().max())
            .flatten(),
    )
}

/// The shipping queue (shippers and administrators): overdue first, then the oldest.
pub async fn queue(app: &App, actor: &Actor) -> Result<Vec<QueueItem>, ServiceError> {
    actor.require_any(&[Role::Shipper, Role::Admin])?;
    let now = app.now();
    let mut items = Vec::new();
    for record in
        store::applications::in_statuses(&app.store, &[ApplicationStatus::Producing], 500).await?
    {
        let current = application::assemble(app, &record).await?;
        if current.pipeline.delivery != Delivery::Ship {
            continue;
        }
        let Some(made) = all_made_at(app, &current).await? else {
            continue;
        };
        let since = UnixTime::from_seconds(made);
        let due = app
            .calendar
            .due(since, current.channel.shipping_promise_working_days);
        items.push(QueueItem {
            overdue: now >= due,
            since,
            due,
            application: current,
            paper_invoices: None,
        });
    }
    items.sort_by_key(|i| (!i.overdue, i.since.seconds()));
    Ok(items)
}

/// [`queue`] with each application's paper invoices, for the shipper's page and API.
pub async fn queue_with_invoices(app: &App, actor: &Actor) -> Result<Vec<QueueItem>, ServiceError> {
    let mut items = queue(app, actor).await?;
    for item in &mut items {
        let mut found = PaperInvoices::default();
        if let Some(order_id) = item.application.order_id {
            for invoice in store::invoices::for_order(&app.store, order_id).await? {
                if !super::invoice::is_paper_kind(&invoice.kind)? {
                    continue;
                }
                match invoice.status {
                    InvoiceStatus::Issued => found.ready += 1,
                    InvoiceStatus::Requested => found.waiting += 1,
                    _ => {}
                }
            }
        }
        item.paper_invoices = Some(found);
    }
    Ok(items)
}

/// What the shipper typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ShipForm {
    #[serde(default)]
    pub courier: String,
    #[serde(default)]
    pub tracking_no: String,
    /// The order's issued paper invoices go in the same parcel (set by the caller: a page's
    /// checkbox, an API's boolean).
    #[serde(skip)]
    pub invoice_in_parcel: bool,
}

/// The channel's courier `code`, or the refusal naming the field.
fn channel_courier(
    current: &Application,
    code: &str,
) -> Result<domain::channel::Courier, ServiceError> {
    current
        .channel
        .couriers
        .iter()
        .find(|c| c.code == code.trim())
        .cloned()
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::Invalid,
                "unknown_courier",
                "choose one of the channel's couriers",
                "请选择该渠道的快递公司",
            )
            .with_field("courier")
        })
}

/// Refuses unless all of `current`'s keys are made.
async fn check_made(app: &App, current: &Application) -> Result<(), ServiceError> {
    if all_made_at(app, current).await?.is_none() {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "keys_not_made",
            format!("application {}'s keys are not all made", current.number),
            format!("申请{}的 USB Key 尚未全部制作完成", current.number),
        )
        .with_field("application"));
    }
    Ok(())
}

/// The paper invoices to put in `current`'s parcel: its order's, issued; refused, naming
/// the field, when there is none (not asked for, or not issued yet).
async fn invoices_for_parcel(
    tx: &mut WriteTx,
    current: &Application,
) -> Result<Vec<store::invoices::InvoiceRecord>, ServiceError> {
    let ready = match current.order_id {
        Some(order_id) => super::invoice::paper_to_mail_in(tx, order_id).await?,
        None => Vec::new(),
    };
    if ready.is_empty() {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "no_paper_invoice",
            "the order has no issued paper invoice to put in the parcel",
            "该订单没有已开具待寄的纸质发票，不能同包裹寄出",
        )
        .with_field("invoice_in_parcel"));
    }
    Ok(ready)
}

/// Refuses unless `actor` may ship application `record` under the separation of duties
/// (not its reviewer or producer, where configured).
async fn check_duty(
    tx: &mut WriteTx,
    app: &App,
    actor: &Actor,
    record: &store::applications::ApplicationRecord,
) -> Result<(), ServiceError> {
    let mut done = application::duties_done(tx, record).await?;
    for job in store::production_jobs::for_application_in(tx, record.id).await? {
        done.extend(job.operator_id.map(|producer| (Duty::Produce, producer)));
    }
    actor.require_duty(Duty::Ship, &app.hall.separation_of_duties, &done)
}

/// Ships application `id`'s keys by `form.courier` (one of the channel's) with
/// `form.tracking_no`; the customer gets an SMS.
pub async fn ship(app: &App, actor: &Actor, id: i64, form: &ShipForm) -> Result<(), ServiceError> {
    actor.require_any(&[Role::Shipper])?;
    let record = store::applications::find(&app.store, id)
        .await?
        .ok_or_else(|| application::not_found(id))?;
    let current = application::assemble(app, &record).await?;
    let courier = channel_courier(&current, &form.courier)?;
    let tracking_no = domain::courier::tracking_number(&courier.code, &form.tracking_no)?;
    check_made(app, &current).await?;
    let mut tx = app.store.begin_write().await?;
    let record = store::applications::find_in(&mut tx, id)
        .await?
        .ok_or_else(|| application::not_found(id))?;
    check_duty(&mut tx, app, actor, &record).await?;
    let details = serde_json::json!({
        "courier": courier.code, "tracking_no": tracking_no,
    });
    application::change_status(
        &mut tx,
        actor,
        &record,
        current.pipeline,
        ApplicationEvent::Ship,
        AuditAction::ApplicationShip,
        details.clone(),
    )
    .await?;
    for key in store::usb_keys::of_application_in(&mut tx, id).await? {
        if key.status == UsbKeyStatus::Produced {
            usb_key::change_status(&mut tx, actor, &key, UsbKeyEvent::Ship, details.clone())
                .await?;
        }
    }
    let operator = match actor {
        Actor::Operator { id, .. } => Some(*id),
        _ => None,
    };
    store::shipments::insert(&mut tx, id, &courier.code, &tracking_no, operator)
        .await?
        .ok_or_else(|| ServiceError::internal("shipping", "shipped twice"))?;
    if form.invoice_in_parcel {
        for invoice in invoices_for_parcel(&mut tx, &current).await? {
            super::invoice::mail_in(&mut tx, actor, &invoice, &courier.name_zh, &tracking_no)
                .await?;
        }
    }
    if let Some(customer) = store::customers::find_by_id_in(&mut tx, record.customer_id).await? {
        let phone: domain::PhoneNumber = customer
            .phone
            .parse()
            .map_err(|e| ServiceError::internal("customer", e))?;
        let template = Template::KeysShipped {
            application: current.number.clone(),
            courier: courier.name_zh.clone(),
            tracking_no: tracking_no.clone(),
            url: domain::courier::tracking_url(&courier.code, &tracking_no),
        };
        notifications::enqueue(
            &mut tx,
            &Recipient::Sms(phone),
            &template,
            domain::Lang::Zh,
            &format!("application:{id}:shipped"),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether shippers here can have the waybill made through the courier platform.
pub fn makes_waybills(app: &App) -> bool {
    app.courier.is_some() && app.hall.site.shipping_from.is_some()
}

fn platform_error(error: CourierError) -> ServiceError {
    match error {
        CourierError::Unavailable(why) => {
            tracing::warn!(error = %why, "courier platform");
            ServiceError::new(
                ErrorKind::Unavailable,
                "courier_unavailable",
                "the courier platform does not answer: try again, or type the tracking number",
                "快递平台暂时无法连接，请稍后重试或手工填写快递单号",
            )
            .with_field("courier")
        }
        CourierError::Refused(why) => ServiceError::new(
            ErrorKind::Invalid,
            "courier_refused",
            format!("the courier platform refused the waybill: {why}"),
            format!("快递平台拒绝下单：{why}"),
        )
        .with_field("courier"),
    }
}

/// 电子面单: makes the waybill of application `id` with `courier` (one of the channel's)
/// through the courier platform, then ships it with the number it gives, as [`ship`]
/// does. Everything [`ship`] checks is checked before the platform is asked; the waybill
/// is keyed by the application's number, so asking again after a failure gets the same
/// parcel. Returns the tracking number.
pub async fn ship_by_waybill(
    app: &App,
    actor: &Actor,
    id: i64,
    courier: &str,
    invoice_in_parcel: bool,
) -> Result<String, ServiceError> {
    actor.require_any(&[Role::Shipper])?;
    let (Some(platform), Some(from)) = (&app.courier, &app.hall.site.shipping_from) else {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "no_courier_platform",
            "no courier platform is configured here: type the tracking number",
            "未配置快递平台，请手工填写快递单号",
        )
        .with_field("courier"));
    };
    let record = store::applications::find(&app.store, id)
        .await?
        .ok_or_else(|| application::not_found(id))?;
    let current = application::assemble(app, &record).await?;
    let courier = channel_courier(&current, courier)?;
    application::require_status(&current, ApplicationStatus::Producing, "不能发货")?;
    check_made(app, &current).await?;
    {
        // Checked now, and again when shipping: the platform is not asked for nothing.
        let mut tx = app.store.begin_write().await?;
        check_duty(&mut tx, app, actor, &record).await?;
        if invoice_in_parcel {
            invoices_for_parcel(&mut tx, &current).await?;
        }
    }
    let address = current
        .content
        .shipping
        .as_ref()
        .map(|s| s.address.clone())
        .ok_or_else(|| {
            ServiceError::internal("shipping", "a shipped application without address")
        })?;
    let request = WaybillRequest {
        order_no: current.number.clone(),
        courier: courier.code.clone(),
        recipient: Party {
            name: address.recipient.clone(),
            mobile: address.phone.clone(),
            address: format!(
                "{} {} {} {}",
                address.province, address.city, address.district, address.detail
            ),
        },
        sender: Party {
            name: app.hall.site.ca_name_zh.clone(),
            mobile: app.hall.site.hotline.clone(),
            address: from.clone(),
        },
        cargo: "USB Key 数字证书".into(),
        count: current.content.product.quantity.max(1),
    };
    let waybill = platform
        .create_waybill(&request)
        .await
        .map_err(platform_error)?;
    let form = ShipForm {
        courier: courier.code,
        tracking_no: waybill.tracking_no.clone(),
        invoice_in_parcel,
    };
    ship(app, actor, id, &form).await?;
    Ok(waybill.tracking_no)
}

/// How long a parcel's journey is reused before the platform is asked again: the customer
/// reloading the page does not cost a query each time (kuaidi100 counts them).
const TRACKING_FRESH_SECONDS: i64 = 600;

/// How long a page waits for the platform before showing the parcel without its journey.
const TRACKING_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The journeys read lately, by courier and number, with when they were read.
#[derive(Default)]
pub struct ParcelCache {
    read: std::sync::Mutex<std::collections::HashMap<(String, String), (i64, Tracking)>>,
}

impl ParcelCache {
    fn get(&self, key: &(String, String), now: i64) -> Option<Tracking> {
        let read = self.read.lock().ok()?;
        read.get(key)
            .filter(|(at, _)| now - at < TRACKING_FRESH_SECONDS)
            .map(|(_, tracking)| tracking.clone())
    }

    fn put(&self, key: (String, String), now: i64, tracking: Tracking) {
        if let Ok(mut read) = self.read.lock() {
            // Bounded: stale entries go when it grows.
            if read.len() >= 10_000 {
                read.retain(|_, (at, _)| now - *at < TRACKING_FRESH_SECONDS);
            }
            read.insert(key, (now, tracking));
        }
    }
}

/// The journey of `current`'s parcel from the courier platform, for whoever may read the
/// application: `None` without a platform or a shipment; the platform's failure as it is
/// (one that does not answer within a few seconds is unavailable). A journey read in the
/// last ten minutes is reused.
pub async fn tracking(
    app: &App,
    current: &Application,
) -> Result<Option<Result<Tracking, CourierError>>, ServiceError> {
    let Some(platform) = &app.courier else {
        return Ok(None);
    };
    let Some(shipment) = store::shipments::for_application(&app.store, current.id).await? else {
        return Ok(None);
    };
    let now = app.now().seconds();
    let key = (shipment.courier.clone(), shipment.tracking_no.clone());
    if let Some(fresh) = app.parcels.get(&key, now) {
        return Ok(Some(Ok(fresh)));
    }
    let phone = current
        .content
        .shipping
        .as_ref()
        .map(|s| s.address.phone.clone())
        .unwrap_or_default();
    let asked = platform.track(&shipment.courier, &shipment.tracking_no, &phone);
    let answer = match tokio::time::timeout(TRACKING_WAIT, asked).await {
        Ok(answer) => answer,
        Err(_) => Err(CourierError::Unavailable("no answer in time".into())),
    };
    if let Ok(tracking) = &answer {
        app.parcels.put(key, now, tracking.clone());
    }
    Ok(Some(answer))
}

/// Completes the shipments the courier platform reports signed for (签收 by the courier's
/// record, `receipt` = `courier`); how many. Without a platform, none.
pub async fn follow_parcels(app: &App) -> Result<u64, ServiceError> {
    if app.courier.is_none() {
        return Ok(0);
    }
    let now = app.now().seconds();
    let mut signed = 0;
    for shipment in store::shipments::unreceived_since(&app.store, now, 500).await? {
        let Some(record) = store::applications::find(&app.store, shipment.application_id).await?
        else {
            continue;
        };
        let current = application::assemble(app, &record).await?;
        if current.status != ApplicationStatus::Shipped {
            continue;
        }
        match tracking(app, &current).await? {
            Some(Ok(track)) if track.state == ParcelState::Signed => {}
            Some(Err(e)) => {
                // One parcel's trouble does not stop the round; the next round asks again.
                tracing::warn!(application = current.id, error = %e, "following a parcel");
                continue;
            }
            _ => continue,
        }
        let mut tx = app.store.begin_write().await?;
        let Some(record) = store::applications::find_in(&mut tx, record.id).await? else {
            continue;
        };
        receive(&mut tx, &Actor::System, &record, &current, "courier").await?;
        tx.commit().await?;
        signed += 1;
    }
    Ok(signed)
}

/// Completes shipped application `record` (received: `receipt` is `confirmed`, `courier`
/// or `assumed`), its keys in use, in `tx`.
async fn receive(
    tx: &mut WriteTx,
    actor: &Actor,
    record: &store::applications::ApplicationRecord,
    current: &Application,
    receipt: &str,
) -> Result<(), ServiceError> {
    if !store::shipments::set_received(tx, record.id, receipt).await? {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "invalid_transition",
            "received already",
            "已签收",
        ));
    }
    application::change_status(
        tx,
        actor,
        record,
        current.pipeline,
        ApplicationEvent::Complete,
        AuditAction::ApplicationComplete,
        serde_json::json!({"receipt": receipt}),
    )
    .await?;
    for key in store::usb_keys::of_application_in(tx, record.id).await? {
        if key.status == UsbKeyStatus::Shipped {
            usb_key::change_status(
                tx,
                actor,
                &key,
                UsbKeyEvent::Activate,
                serde_json::json!({"receipt": receipt}),
            )
            .await?;
        }
    }
    Ok(())
}

/// The customer confirms that application `id`'s keys arrived (签收).
pub async fn confirm_receipt(
    app: &App,
    applicant: &Applicant,
    id: i64,
) -> Result<(), ServiceError> {
    let current = application::get(app, applicant, id).await?;
    application::require_status(&current, ApplicationStatus::Shipped, "不能签收")?;
    let mut tx = app.store.begin_write().await?;
    let record = store::applications::find_in(&mut tx, id)
        .await?
        .ok_or_else(|| application::not_found(id))?;
    receive(&mut tx, applicant.actor(), &record, &current, "confirmed").await?;
    tx.commit().await?;
    Ok(())
}

/// Takes as received the shipments nobody confirmed within their channel's
/// `receipt_assumed_after_days`; how many.
pub async fn assume_receipts(app: &App) -> Result<u64, ServiceError> {
    let now = app.now().seconds();
    let mut assumed = 0;
    // The shortest setting of any channel bounds what is read; each is checked by its own.
    for shipment in store::shipments::unreceived_since(&app.store, now - DAY, 500).await? {
        let Some(record) = store::applications::find(&app.store, shipment.application_id).await?
        else {
            continue;
        };
        let current = application::assemble(app, &record).await?;
        let days = i64::from(current.channel.lifecycle.receipt_assumed_after_days);
        if shipment.shipped_at + days * DAY > now || current.status != ApplicationStatus::Shipped {
            continue;
        }
        let mut tx = app.store.begin_write().await?;
        let Some(record) = store::applications::find_in(&mut tx, record.id).await? else {
            continue;
        };
        receive(&mut tx, &Actor::System, &record, &current, "assumed").await?;
        tx.commit().await?;
        assumed += 1;
    }
    Ok(assumed)
}

/// The shipment of application `id`, for whoever may read the application.
pub async fn of_application(app: &App, id: i64) -> Result<Option<ShipmentRecord>, ServiceError> {
    Ok(store::shipments::for_application(&app.store, id).await?)
}
