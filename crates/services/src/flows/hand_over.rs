//! Pickup at the counter (可领取, seed 003). When all the keys of an application collected at
//! the counter are made, the customer gets a pickup code by SMS ([`offer`]; sealed in the
//! outbox, only its HMAC kept). The counter clerk types the code the customer shows and
//! hands the keys over ([`hand_over`]): the application is 已完成, its keys in use. Five
//! wrong codes lock it until the clerk sends a new one ([`send_new_code`]).
//!
//! Transitions: `ReadyForPickup → Completed` (applications), `Produced → Active` (keys).

use domain::usb_key::{UsbKeyEvent, UsbKeyStatus};
use domain::{ApplicationEvent, ApplicationStatus, AuditAction, Role};
use store::WriteTx;

use super::application::{self, Application};
use super::usb_key;
use crate::notifications::{self, Recipient, Template};
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// Wrong codes before the pickup is locked.
pub const MAX_TRIES: i64 = 5;

fn code_mac(app: &App, application: i64, code: &str) -> String {
    hex::encode(aws_lc_rs::hmac::sign(
        app.secrets.sms_codes(),
        format!("pickup|application:{application}|{code}").as_bytes(),
    ))
}

/// Makes application `current`'s pickup code and sends it to its customer, in `tx`.
pub(crate) async fn offer(
    app: &App,
    tx: &mut WriteTx,
    actor: &Actor,
    current: &Application,
) -> Result<(), ServiceError> {
    let code = crate::secrets::random_digits(6)?;
    let mac = code_mac(app, current.id, &code);
    store::pickups::put(tx, current.id, &mac).await?;
    let customer = store::customers::find_by_id_in(tx, current.customer_id)
        .await?
        .ok_or_else(|| ServiceError::internal("pickup", "an application without customer"))?;
    let phone: domain::PhoneNumber = customer
        .phone
        .parse()
        .map_err(|e| ServiceError::internal("customer", e))?;
    // Each code is its own message (a new code sent in the same second is not a repeat).
    let event = format!("application:{}:pickup:{}", current.id, &mac[..16]);
    notifications::enqueue_secret(
        app,
        tx,
        &Recipient::Sms(phone),
        &Template::PickupCode {
            application: current.number.clone(),
            code: code.to_string(),
        },
        domain::Lang::Zh,
        &event,
    )
    .await?;
    crate::audit::record(
        tx,
        actor,
        AuditAction::ApplicationPickupCode,
        application::object(current.id),
        serde_json::json!({"application": current.number}),
    )
    .await?;
    Ok(())
}

/// Application `id`, which must be waiting at the counter.
async fn waiting_one(app: &App, id: i64) -> Result<Application, ServiceError> {
    let record = store::applications::find(&app.store, id)
        .await?
        .ok_or_else(|| application::not_found(id))?;
    let current = application::assemble(app, &record).await?;
    application::require_status(&current, ApplicationStatus::ReadyForPickup, "不在待领取")?;
    Ok(current)
}

fn refused(en: &str, zh: &str) -> ServiceError {
    ServiceError::new(
        ErrorKind::Invalid,
        "wrong_pickup_code",
        en.to_string(),
        zh.to_string(),
    )
    .with_field("code")
}

/// The counter clerk hands application `id`'s keys over, on the pickup code the customer
/// shows: 已完成, the keys in use.
pub async fn hand_over(app: &App, actor: &Actor, id: i64, code: &str) -> Result<(), ServiceError> {
    actor.require_any(&[Role::Counter])?;
    let current = waiting_one(app, id).await?;
    let mut tx = app.store.begin_write().await?;
    let pickup = store::pickups::for_application_in(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::internal("pickup", "ready for pickup without a code"))?;
    if pickup.tries >= MAX_TRIES {
        return Err(refused(
            "too many wrong codes: send the customer a new one",
            "领取码错误次数过多，请重新发送领取码",
        ));
    }
    let given = code_mac(app, id, code.trim());
    let right = aws_lc_rs::constant_time::verify_slices_are_equal(
        given.as_bytes(),
        pickup.code_mac.as_bytes(),
    )
    .is_ok();
    if !right {
        store::pickups::count_wrong(&mut tx, id).await?;
        crate::audit::record(
            &mut tx,
            actor,
            AuditAction::ApplicationPickupRefused,
            application::object(id),
            serde_json::json!({"application": current.number, "tries": pickup.tries + 1}),
        )
        .await?;
        tx.commit().await?;
        return Err(refused("the pickup code is wrong", "领取码不正确"));
    }
    let record = store::applications::find_in(&mut tx, id)
        .await?
        .ok_or_else(|| application::not_found(id))?;
    let operator = match actor {
        Actor::Operator { id, .. } => Some(*id),
        _ => None,
    };
    store::pickups::set_handed_over(&mut tx, id, operator).await?;
    application::change_status(
        &mut tx,
        actor,
        &record,
        current.pipeline,
        ApplicationEvent::Complete,
        AuditAction::ApplicationHandOver,
        serde_json::json!({"application": current.number}),
    )
    .await?;
    for key in store::usb_keys::of_application_in(&mut tx, id).await? {
        if key.status == UsbKeyStatus::Produced {
            usb_key::change_status(
                &mut tx,
                actor,
                &key,
                UsbKeyEvent::HandOver,
                serde_json::json!({"application": current.number}),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Sends application `id`'s customer a new pickup code (the old one no longer works).
pub async fn send_new_code(app: &App, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    actor.require_any(&[Role::Counter])?;
    let current = waiting_one(app, id).await?;
    let mut tx = app.store.begin_write().await?;
    offer(app, &mut tx, actor, &current).await?;
    tx.commit().await?;
    Ok(())
}

/// The applications whose keys wait at the counter (counter clerks).
pub async fn waiting(app: &App, actor: &Actor) -> Result<Vec<Application>, ServiceError> {
    actor.require_any(&[Role::Counter, Role::Admin])?;
    let mut list = Vec::new();
    for record in
        store::applications::in_statuses(&app.store, &[ApplicationStatus::ReadyForPickup], 500)
            .await?
    {
        list.push(application::assemble(app, &record).await?);
    }
    Ok(list)
}
