//! The USB key inventory (介质管理): keys received in batches (goods-in typed on the form or
//! read from the vendor's delivery list), found by serial, each with its history (its audit
//! events); stock per model, with a warning below the configured level. A key's status
//! changes only through [`change_status`], by a transition of `domain::usb_key`'s table,
//! with its audit event in the same transaction: goods-in here, the by-hand events
//! (damaged, lost, retired, wiped and back to stock) on the key's page, and production,
//! shipping and receipt by their own flows.
//!
//! Who: producers (制证) and administrators; checked here, whatever the face.

use domain::usb_key::{ReceivedKey, UsbKeyEvent, UsbKeyStatus};
use domain::{AuditAction, AuditEntry, AuditFilter, Role, Status};
use store::WriteTx;
use store::usb_keys::NewUsbKey;
pub use store::usb_keys::UsbKeyRecord;

use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// Who keeps the inventory.
const ROLES: [Role; 2] = [Role::Producer, Role::Admin];

/// The audit log's name of key `id`.
pub fn object(id: i64) -> String {
    format!("usb_key:{id}")
}

pub fn not_found(id: i64) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        "unknown_usb_key",
        format!("no USB key {id}"),
        "介质不存在",
    )
}

/// What a goods-in did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Keys added to stock.
    pub added: usize,
    /// Serials known already (received before): left as they are.
    pub known: Vec<String>,
}

/// Goods-in as typed on the inventory page: one vendor, model and batch, the serials one
/// per line.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct GoodsIn {
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub batch: String,
    #[serde(default)]
    pub serials: String,
}

/// Receives the keys typed on the inventory page.
pub async fn receive_typed(
    app: &App,
    actor: &Actor,
    typed: &GoodsIn,
) -> Result<Received, ServiceError> {
    actor.require_any(&ROLES)?;
    let keys =
        domain::usb_key::from_form(&typed.vendor, &typed.model, &typed.batch, &typed.serials)?;
    receive(app, actor, &keys).await
}

/// Receives the keys of a vendor's delivery list (CSV, [`domain::usb_key::read_list`]).
pub async fn receive_list(
    app: &App,
    actor: &Actor,
    bytes: &[u8],
) -> Result<Received, ServiceError> {
    actor.require_any(&ROLES)?;
    let keys = domain::usb_key::read_list(bytes)?;
    receive(app, actor, &keys).await
}

/// Receives `keys` into stock, all in one transaction, each audited; a key received
/// before (the vendor's serial known) is left as it is and reported.
async fn receive(app: &App, actor: &Actor, keys: &[ReceivedKey]) -> Result<Received, ServiceError> {
    actor.require_any(&ROLES)?;
    let mut tx = app.store.begin_write().await?;
    let mut received = Received {
        added: 0,
        known: Vec::new(),
    };
    let by = actor.label();
    for key in keys {
        let new = NewUsbKey {
            vendor: &key.vendor,
            model: &key.model,
            serial: &key.serial,
            batch: &key.batch,
            received_by: &by,
        };
        match store::usb_keys::insert(&mut tx, &new).await? {
            Some(id) => {
                crate::audit::record(
                    &mut tx,
                    actor,
                    AuditAction::UsbKeyReceive,
                    object(id),
                    serde_json::json!({
                        "vendor": key.vendor, "model": key.model, "serial": key.serial,
                        "batch": key.batch, "to": UsbKeyStatus::InStock.as_str(),
                    }),
                )
                .await?;
                received.added += 1;
            }
            None => received.known.push(key.serial.clone()),
        }
    }
    tx.commit().await?;
    Ok(received)
}

/// Moves key `record` by `event` with its audit event (`details` added), in `tx`: the one
/// writer of a key's status.
pub(crate) async fn change_status(
    tx: &mut WriteTx,
    actor: &Actor,
    record: &UsbKeyRecord,
    event: UsbKeyEvent,
    details: serde_json::Value,
) -> Result<UsbKeyStatus, ServiceError> {
    let transition = record.status.apply(event).map_err(|e| {
        ServiceError::new(
            ErrorKind::Conflict,
            "invalid_transition",
            e.to_string(),
            format!(
                "介质当前为“{}”，不能{}",
                record.status.name_zh(),
                event.name_zh()
            ),
        )
        .with_field("status")
    })?;
    store::transition::set(tx, record.id, transition).await?;
    store::usb_keys::touch(tx, record.id).await?;
    let mut audited = serde_json::json!({
        "serial": record.serial, "from": transition.from().as_str(), "to": transition.to().as_str(),
    });
    if let (Some(audited), Some(extra)) = (audited.as_object_mut(), details.as_object()) {
        audited.extend(extra.clone());
    }
    crate::audit::record(tx, actor, event.action(), object(record.id), audited).await?;
    Ok(transition.to())
}

/// An inventory clerk's event on key `id` (damaged, lost, retired, wiped and back to
/// stock), with the reason.
pub async fn apply_by_hand(
    app: &App,
    actor: &Actor,
    id: i64,
    event: UsbKeyEvent,
    reason: &str,
) -> Result<UsbKeyStatus, ServiceError> {
    actor.require_any(&ROLES)?;
    let reason = domain::text::required("reason", reason, 200, "原因")?;
    if !event.by_hand() {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "not_by_hand",
            format!("{} is done by its own flow", event.as_str()),
            format!("“{}”由相应业务完成，不能手工操作", event.name_zh()),
        )
        .with_field("event"));
    }
    let mut tx = app.store.begin_write().await?;
    let record = store::usb_keys::find_in(&mut tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let to = change_status(
        &mut tx,
        actor,
        &record,
        event,
        serde_json::json!({"reason": reason}),
    )
    .await?;
    if event == UsbKeyEvent::Reuse {
        // Wiped: it carries nothing any more (its first issuance is kept for the warranty).
        store::usb_keys::set_carrying(&mut tx, id, None, None).await?;
    }
    tx.commit().await?;
    Ok(to)
}

/// Key `id`, for the inventory's clerks.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<UsbKeyRecord, ServiceError> {
    actor.require_any(&ROLES)?;
    store::usb_keys::find(&app.store, id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// The history of key `id`: its audit events, newest first.
pub async fn history(app: &App, actor: &Actor, id: i64) -> Result<Vec<AuditEntry>, ServiceError> {
    actor.require_any(&ROLES)?;
    let name = object(id);
    let filter = AuditFilter {
        object_prefix: name.clone(),
        ..AuditFilter::default()
    };
    Ok(store::audit::list(&app.store, &filter, 500)
        .await?
        .into_iter()
        // `usb_key:1` is also the prefix of `usb_key:12`.
        .filter(|e| e.object == name)
        .collect())
}

/// Keys whose serial holds `text` (the latest received when it is empty).
pub async fn search(
    app: &App,
    actor: &Actor,
    text: &str,
) -> Result<Vec<UsbKeyRecord>, ServiceError> {
    actor.require_any(&ROLES)?;
    let text = text.trim();
    Ok(if text.is_empty() {
        store::usb_keys::recent(&app.store, 50).await?
    } else {
        store::usb_keys::search(&app.store, text, 200).await?
    })
}

/// The stock of one vendor's model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelStock {
    pub vendor: String,
    pub model: String,
    /// Blank keys free to produce onto.
    pub in_stock: i64,
    /// Keys of the model in every other state.
    pub elsewhere: i64,
    /// Fewer in stock than the warning level.
    pub low: bool,
}

/// Stock per model, with the warning level of the hall's configuration.
pub async fn stock(app: &App, actor: &Actor) -> Result<Vec<ModelStock>, ServiceError> {
    actor.require_any(&ROLES)?;
    stock_lines(app).await
}

/// Stock per model (for the dashboard's warning too).
pub(crate) async fn stock_lines(app: &App) -> Result<Vec<ModelStock>, ServiceError> {
    let level = i64::from(app.hall.inventory.low_stock);
    let mut models: Vec<ModelStock> = Vec::new();
    for line in store::usb_keys::stock(&app.store).await? {
        let index = match models
            .iter()
            .position(|m| m.vendor == line.vendor && m.model == line.model)
        {
            Some(i) => i,
            None => {
                models.push(ModelStock {
                    vendor: line.vendor.clone(),
                    model: line.model.clone(),
                    in_stock: 0,
                    elsewhere: 0,
                    low: false,
                });
                models.len() - 1
            }
        };
        if line.status == UsbKeyStatus::InStock.as_str() {
            models[index].in_stock += line.count;
        } else {
            models[index].elsewhere += line.count;
        }
    }
    for model in &mut models {
        model.low = model.in_stock < level;
    }
    Ok(models)
}
