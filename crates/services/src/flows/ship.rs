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
//! The role and the separation of duties are checked here. Transitions: `Producing →
//! Shipped → Completed` (applications), `Produced → Shipped → Active` (keys).

use domain::application::status::Delivery;
use domain::production::JobStatus;
use domain::time::UnixTime;
use domain::usb_key::{UsbKeyEvent, UsbKeyStatus};
use domain::{ApplicationEvent, ApplicationStatus, AuditAction, Duty, Role};
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
        });
    }
    items.sort_by_key(|i| (!i.overdue, i.since.seconds()));
    Ok(items)
}

/// What the shipper typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ShipForm {
    #[serde(default)]
    pub courier: String,
    #[serde(default)]
    pub tracking_no: String,
}

/// Ships application `id`'s keys by `form.courier` (one of the channel's) with
/// `form.tracking_no`; the customer gets an SMS.
pub async fn ship(app: &App, actor: &Actor, id: i64, form: &ShipForm) -> Result<(), ServiceError> {
    actor.require_any(&[Role::Shipper])?;
    let record = store::applications::find(&app.store, id)
        .await?
        .ok_or_else(|| application::not_found(id))?;
    let current = application::assemble(app, &record).await?;
    let courier = current
        .channel
        .couriers
        .iter()
        .find(|c| c.code == form.courier.trim())
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::Invalid,
                "unknown_courier",
                "choose one of the channel's couriers",
                "请选择该渠道的快递公司",
            )
            .with_field("courier")
        })?
        .clone();
    let tracking_no = domain::courier::tracking_number(&courier.code, &form.tracking_no)?;
    if all_made_at(app, &current).await?.is_none() {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "keys_not_made",
            format!("application {}'s keys are not all made", current.number),
            format!("申请{}的 USB Key 尚未全部制作完成", current.number),
        )
        .with_field("application"));
    }
    let mut tx = app.store.begin_write().await?;
    let record = store::applications::find_in(&mut tx, id)
        .await?
        .ok_or_else(|| application::not_found(id))?;
    let mut done = application::duties_done(&mut tx, &record).await?;
    for job in store::production_jobs::for_application_in(&mut tx, id).await? {
        done.extend(job.operator_id.map(|producer| (Duty::Produce, producer)));
    }
    actor.require_duty(Duty::Ship, &app.hall.separation_of_duties, &done)?;
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

/// Completes shipped application `record` (received: `receipt` is `confirmed` or
/// `assumed`), its keys in use, in `tx`.
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
    if current.status != ApplicationStatus::Shipped {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "invalid_transition",
            format!(
                "application {} is {}",
                current.number,
                current.status.name_en()
            ),
            format!(
                "申请{}当前为“{}”，不能签收",
                current.number,
                current.status.name_zh()
            ),
        ));
    }
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
