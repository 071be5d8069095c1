//! The application (申请单) as the flows read and write it: loading one for the customer who
//! owns it (another customer's id is "not found", exactly like a missing one) or for an
//! operator whose role allows it; sealing and opening what the customer entered (it holds
//! ID numbers and bank accounts: AES-256-GCM under the personal-data key, bound to the
//! row); saving content with what is derived from it; and the one way a flow changes the
//! status: [`change_status`] asks `domain::ApplicationStatus::apply`, writes the
//! `Transition` through `store::transition` and appends the audit event, in the caller's
//! transaction. The timeline is the application's audit events.

use domain::application::{Content, PaymentStep, Pipeline, Step, Subject};
use domain::channel::PaymentTiming;
use domain::{
    ApplicationEvent, ApplicationStatus, AuditAction, BusinessType, Channel, Fen, Role, Status,
};
use store::WriteTx;
use store::applications::{ApplicationRecord, ContentUpdate};

use crate::people::accounts::CustomerSession;
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// Who fills in an application, and for which customer: the customer in the hall, or a
/// counter clerk for a customer who came in person (现场办理, [`super::counter`]). The
/// flows take this instead of a session, so both faces run the same checks; a clerk
/// reaches only applications entered at the counter (see [`own`]).
#[derive(Debug, Clone)]
pub struct Applicant {
    /// The customer whose application it is.
    pub customer_id: i64,
    /// The customer's number: the agent's mobile and where the signing code goes.
    pub phone: domain::PhoneNumber,
    /// Who acts, for the audit log: the customer or the clerk.
    pub actor: Actor,
    /// The clerk's operator id at the counter.
    pub clerk: Option<i64>,
}

impl Applicant {
    /// The customer, acting for themself.
    pub fn customer(session: &CustomerSession) -> Applicant {
        Applicant {
            customer_id: session.customer_id,
            phone: session.phone.clone(),
            actor: session.actor(),
            clerk: None,
        }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// The application `id` as `applicant` may change it, inside a write transaction: the
/// customer's own, and for a clerk only one entered at the counter. Anything else is "not
/// found", exactly like a missing id.
pub(crate) async fn own(
    tx: &mut WriteTx,
    applicant: &Applicant,
    id: i64,
) -> Result<ApplicationRecord, ServiceError> {
    let record = store::applications::find_for_customer_in(tx, id, applicant.customer_id)
        .await?
        .ok_or_else(|| not_found(id))?;
    reachable(applicant, record)
}

/// [`own`] outside a transaction, for reading.
pub(crate) async fn own_read(
    app: &App,
    applicant: &Applicant,
    id: i64,
) -> Result<ApplicationRecord, ServiceError> {
    let record = store::applications::find_for_customer(&app.store, id, applicant.customer_id)
        .await?
        .ok_or_else(|| not_found(id))?;
    reachable(applicant, record)
}

fn reachable(
    applicant: &Applicant,
    record: ApplicationRecord,
) -> Result<ApplicationRecord, ServiceError> {
    if applicant.clerk.is_some() && record.entered_by.is_none() {
        // The customer's own online application is not the counter's to change.
        return Err(not_found(record.id));
    }
    Ok(record)
}

/// The roles that may read any application (and its documents).
pub const READERS: [Role; 3] = [Role::Reviewer, Role::Counter, Role::Admin];

/// An application as the customer or an operator sees it.
#[derive(Debug, Clone)]
pub struct Application {
    pub id: i64,
    /// The receipt number (申请单号), e.g. `SQ20261102000012`.
    pub number: String,
    pub customer_id: i64,
    pub channel: Channel,
    pub business: BusinessType,
    pub status: ApplicationStatus,
    pub next_step: Step,
    pub content: Content,
    /// Grows with every saved change; a save or submission names the version it saw.
    pub version: i64,
    pub price: Option<Fen>,
    pub pipeline: Pipeline,
    pub signed: Option<Signature>,
    pub submitted_at: Option<i64>,
    pub reviewer_id: Option<i64>,
    pub reject_reason: Option<String>,
    /// Counter business: the clerk's operator id.
    pub entered_by: Option<i64>,
    /// The open or paid order holding it.
    pub order_id: Option<i64>,
    /// Its order is paid.
    pub paid: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What the SMS-signed submission recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// SHA-256 (hex) of the content as submitted.
    pub digest: String,
    pub at: i64,
    /// The number the code went to, masked.
    pub phone: String,
}

impl Application {
    /// Whether the customer's data can be changed now (填写中).
    pub fn is_editable(&self) -> bool {
        self.status == ApplicationStatus::Draft
    }
}

/// The receipt number: `SQ`, the day it was started (Beijing) and the id.
pub fn number(id: i64, created_at: i64) -> String {
    let day = domain::time::UnixTime::from_seconds(created_at).china_date();
    format!("SQ{}{id:06}", day.yyyymmdd())
}

pub fn not_found(id: i64) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        "unknown_application",
        format!("no application {id}"),
        "申请不存在",
    )
    .with_field("id")
}

fn seal_context(id: i64) -> Vec<u8> {
    format!("application:{id}:content").into_bytes()
}

pub(crate) fn seal(app: &App, id: i64, content: &Content) -> Result<Vec<u8>, ServiceError> {
    let json = serde_json::to_vec(content).map_err(|e| ServiceError::internal("content", e))?;
    app.secrets
        .personal_data()
        .seal(&seal_context(id), &json)
        .map_err(|e| ServiceError::internal("seal application", e))
}

fn open_content(app: &App, record: &ApplicationRecord) -> Result<Content, ServiceError> {
    let plain = app
        .secrets
        .personal_data()
        .open(&seal_context(record.id), &record.content)
        .map_err(|e| ServiceError::internal("sealed application", e))?;
    serde_json::from_slice(&plain).map_err(|e| ServiceError::internal("application content", e))
}

/// The application of a stored row (the channel's current definition).
/// Where payment sits for an application: nowhere when it costs nothing, else where its
/// channel puts it.
fn payment_step(channel: &Channel, content: &Content) -> PaymentStep {
    match content.product.price(channel) {
        Some(price) if price > Fen::ZERO => match channel.payment {
            PaymentTiming::BeforeReview => PaymentStep::BeforeReview,
            PaymentTiming::BeforeProduction => PaymentStep::BeforeProduction,
        },
        _ => PaymentStep::None,
    }
}

pub(crate) async fn assemble(
    app: &App,
    record: &ApplicationRecord,
) -> Result<Application, ServiceError> {
    let channel = crate::hall::channels::stored_definition(app, &record.channel_code).await?;
    let business = BusinessType::ALL
        .into_iter()
        .find(|b| b.as_str() == record.business)
        .ok_or_else(|| ServiceError::internal("application", "unknown business type"))?;
    let content = open_content(app, record)?;
    let next_step = Step::parse(&record.next_step)
        .ok_or_else(|| ServiceError::internal("application", "unknown step"))?;
    Ok(Application {
        id: record.id,
        number: number(record.id, record.created_at),
        customer_id: record.customer_id,
        price: content.product.price(&channel),
        pipeline: Pipeline::of(business, channel.ships(), payment_step(&channel, &content)),
        channel,
        business,
        status: record.status,
        next_step,
        content,
        version: record.content_version,
        signed: match (
            &record.signed_digest,
            record.signed_at,
            &record.signed_phone,
        ) {
            (Some(digest), Some(at), Some(phone)) => Some(Signature {
                digest: digest.clone(),
                at,
                phone: phone.clone(),
            }),
            _ => None,
        },
        submitted_at: record.submitted_at,
        reviewer_id: record.reviewer_id,
        reject_reason: record.reject_reason.clone(),
        order_id: record.order_id,
        paid: record.paid_at.is_some(),
        entered_by: record.entered_by,
        created_at: record.created_at,
        updated_at: record.updated_at,
    })
}

/// Application `id` as `applicant` may see it ([`own`]).
pub async fn get(app: &App, applicant: &Applicant, id: i64) -> Result<Application, ServiceError> {
    let record = own_read(app, applicant, id).await?;
    assemble(app, &record).await
}

/// The customer's applications, newest first.
pub async fn mine(app: &App, session: &CustomerSession) -> Result<Vec<Application>, ServiceError> {
    let mut list = Vec::new();
    for record in store::applications::list_for_customer(&app.store, session.customer_id).await? {
        list.push(assemble(app, &record).await?);
    }
    Ok(list)
}

/// Any application, for an operator whose role allows reading it. Each look is audited:
/// the application holds personal data.
pub async fn get_for_operator(
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<Application, ServiceError> {
    actor.require_any(&READERS)?;
    let record = store::applications::find(&app.store, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let application = assemble(app, &record).await?;
    let mut tx = app.store.begin_write().await?;
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::ApplicationView,
        object(id),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(application)
}

/// The audit log's name of application `id`.
pub fn object(id: i64) -> String {
    format!("application:{id}")
}

/// One step of an application's life, as its page shows it.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub at: i64,
    pub action: AuditAction,
    /// Who did it: `customer`, the operator's name (for operators; `counter` for the clerk
    /// who entered it, `operator` for the others, for the customer), or `system`.
    pub by: String,
    /// The status after it, when it changed the status.
    pub status: Option<ApplicationStatus>,
    /// The step saved, for `application.save`.
    pub step: Option<Step>,
    /// A rejection's reason.
    pub reason: Option<String>,
}

/// The timeline of application `id`, oldest first, for whoever may read it: its customer
/// (who sees operators by role, not by name) or an operator with a reading role.
pub async fn timeline(
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<Vec<TimelineEntry>, ServiceError> {
    let record = store::applications::find(&app.store, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let customer_view = match actor {
        Actor::Customer(customer) if *customer == record.customer_id => true,
        Actor::Customer(_) => return Err(not_found(id)),
        other => {
            other.require_any(&READERS)?;
            false
        }
    };
    let events = store::audit::for_object(&app.store, &object(id)).await?;
    Ok(events
        .into_iter()
        .filter_map(|event| {
            let action = AuditAction::ALL
                .iter()
                .copied()
                .find(|a| a.as_str() == event.action)?;
            let operators_only = matches!(
                action,
                AuditAction::ApplicationView | AuditAction::ApplicationDocumentView
            );
            if operators_only && customer_view {
                return None;
            }
            let details: serde_json::Value =
                serde_json::from_str(&event.details).unwrap_or_default();
            let by = if event.actor.starts_with("customer:") {
                "customer".to_string()
            } else if customer_view
                && record
                    .entered_by
                    .is_some_and(|clerk| event.actor.starts_with(&format!("operator:{clerk}:")))
            {
                "counter".to_string()
            } else if customer_view {
                "operator".to_string()
            } else {
                event.actor.clone()
            };
            Some(TimelineEntry {
                at: event.at,
                action,
                by,
                status: details["to"].as_str().and_then(domain::Status::parse),
                step: details["step"].as_str().and_then(Step::parse),
                reason: details["reason"].as_str().map(str::to_string),
            })
        })
        .collect())
}

/// The holder's name for lists: an organisation's name; a person's masked (张*).
fn holder_name(subject: &Subject) -> String {
    match subject {
        Subject::Organisation(o) => o.name.clone(),
        Subject::Individual(i) => {
            let mut chars = i.name.chars();
            let first = chars.next().map(String::from).unwrap_or_default();
            format!("{first}{}", "*".repeat(chars.count().max(1)))
        }
    }
}

fn subject_key(app: &App, subject: &Subject) -> String {
    hex::encode(aws_lc_rs::hmac::sign(
        app.secrets.application_subjects(),
        subject.identifier().as_bytes(),
    ))
}

/// The duties operators did on application `record` so far, for separation of duties:
/// the clerk who entered it, its reviewer, and whoever confirmed its order's payment.
pub(crate) async fn duties_done(
    tx: &mut WriteTx,
    record: &ApplicationRecord,
) -> Result<Vec<(domain::Duty, i64)>, ServiceError> {
    use domain::Duty;
    let mut done: Vec<(Duty, i64)> = Vec::new();
    done.extend(record.entered_by.map(|clerk| (Duty::CounterAccept, clerk)));
    done.extend(record.reviewer_id.map(|reviewer| (Duty::Review, reviewer)));
    if let Some(order_id) = record.order_id
        && let Some(order) = store::orders::find_in(tx, order_id).await?
    {
        done.extend(order.confirmed_by.map(|id| (Duty::ConfirmPayment, id)));
    }
    Ok(done)
}

/// The refusal of a second unfinished application for one holder, naming the first.
pub(crate) fn duplicate(other: i64, created_at: i64) -> ServiceError {
    let number = number(other, created_at);
    ServiceError::new(
        ErrorKind::Conflict,
        "unfinished_application",
        format!(
            "application {number} for the same holder is not finished: continue it from My applications, or cancel it there first"
        ),
        format!(
            "该主体已有未完成的申请{number}，请在“我的申请”中继续办理，或先取消该申请后再重新申请"
        ),
    )
    .with_field("subject")
}

/// Writes `content` over the version the caller read, with what follows from it (the next
/// step, the holder's name, the duplicate key), refusing a second unfinished application
/// for the same holder in the channel. Returns the new version.
pub(crate) async fn save(
    tx: &mut WriteTx,
    app: &App,
    record: &ApplicationRecord,
    read_version: i64,
    channel: &Channel,
    content: &Content,
) -> Result<i64, ServiceError> {
    if read_version != record.content_version {
        return Err(changed_meanwhile());
    }
    let key = content.subject.as_ref().map(|s| subject_key(app, s));
    if let Some(key) = &key
        && let Some(other) = store::applications::unfinished_for_subject(
            tx,
            record.customer_id,
            &record.channel_code,
            key,
            record.id,
        )
        .await?
    {
        let created = store::applications::find_in(tx, other)
            .await?
            .map(|r| r.created_at)
            .unwrap_or(record.created_at);
        return Err(duplicate(other, created));
    }
    let sealed = seal(app, record.id, content)?;
    let name = content.subject.as_ref().map(holder_name);
    let step = content.next_step(channel);
    let update = ContentUpdate {
        next_step: step.as_str(),
        holder_name: name.as_deref(),
        subject_key: key.as_deref(),
        content: &sealed,
    };
    store::applications::update_content(tx, record.id, read_version, &update)
        .await
        .map_err(|e| match e {
            // Another request saved the same holder at the same moment.
            store::StoreError::Duplicate(_) => duplicate(record.id, record.created_at),
            e => e.into(),
        })
}

/// Refuses unless `current` is in status `wanted`: "application … is …", and in Chinese
/// its status and what cannot be done in it (`cannot_zh`, e.g. `不能签收`).
pub(crate) fn require_status(
    current: &Application,
    wanted: ApplicationStatus,
    cannot_zh: &str,
) -> Result<(), ServiceError> {
    if current.status == wanted {
        return Ok(());
    }
    Err(ServiceError::new(
        ErrorKind::Conflict,
        "invalid_transition",
        format!(
            "application {} is {}",
            current.number,
            current.status.name_en()
        ),
        format!(
            "申请{}当前为“{}”，{cannot_zh}",
            current.number,
            current.status.name_zh()
        ),
    ))
}

/// The refusal to change an application that is not a draft.
pub(crate) fn not_editable(status: ApplicationStatus) -> ServiceError {
    ServiceError::new(
        ErrorKind::Conflict,
        "not_editable",
        format!(
            "the application is {}: take it back to edit it first",
            status.name_en()
        ),
        format!(
            "申请当前状态为“{}”，请先点击“修改”后再编辑",
            status.name_zh()
        ),
    )
    .with_field("status")
}

pub(crate) fn changed_meanwhile() -> ServiceError {
    ServiceError::new(
        ErrorKind::Conflict,
        "changed_meanwhile",
        "the application was changed meanwhile (another window?); reload it and try again",
        "申请已在其他页面被修改，请刷新后重试",
    )
    .with_field("version")
}

/// Moves the application by `event`, as its state machine allows, and records it.
pub(crate) async fn change_status(
    tx: &mut WriteTx,
    actor: &Actor,
    record: &ApplicationRecord,
    pipeline: Pipeline,
    event: ApplicationEvent,
    action: AuditAction,
    mut details: serde_json::Value,
) -> Result<ApplicationStatus, ServiceError> {
    let transition = record.status.apply(event, pipeline).map_err(|e| {
        ServiceError::new(
            ErrorKind::Conflict,
            "invalid_transition",
            e.to_string(),
            format!(
                "申请当前状态为“{}”，不能{}",
                record.status.name_zh(),
                action.name_zh()
            ),
        )
        .with_field("status")
    })?;
    store::transition::set(tx, record.id, transition).await?;
    details["from"] = transition.from().as_str().into();
    details["to"] = transition.to().as_str().into();
    crate::audit::record(tx, actor, action, object(record.id), details).await?;
    Ok(transition.to())
}

/// An application whose order was paid already (rejected after payment, edited and
/// resubmitted; or paid while still under review when payment follows review) moves on
/// from 待支付 at once, in the caller's transaction.
pub(crate) async fn settle_payment(
    tx: &mut WriteTx,
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<(), ServiceError> {
    let Some(record) = store::applications::find_in(tx, id).await? else {
        return Ok(());
    };
    if record.status != ApplicationStatus::AwaitingPayment || record.paid_at.is_none() {
        return Ok(());
    }
    let current = assemble(app, &record).await?;
    change_status(
        tx,
        actor,
        &record,
        current.pipeline,
        ApplicationEvent::Pay,
        AuditAction::ApplicationPay,
        serde_json::json!({"paid_before": true}),
    )
    .await?;
    Ok(())
}

/// An image of application `id`'s document in `slot` (its thumbnail when asked), for its
/// customer or an operator whose role allows it; each operator's look is audited.
pub async fn document(
    app: &App,
    actor: &Actor,
    id: i64,
    slot: &str,
    thumbnail: bool,
) -> Result<Vec<u8>, ServiceError> {
    let slot = super::upload::parse_slot(slot)?;
    match actor {
        Actor::Customer(customer) => {
            store::applications::find_for_customer(&app.store, id, *customer)
                .await?
                .ok_or_else(|| not_found(id))?;
        }
        other => {
            other.require_any(&READERS)?;
            store::applications::find(&app.store, id)
                .await?
                .ok_or_else(|| not_found(id))?;
            let mut tx = app.store.begin_write().await?;
            crate::audit::record(
                &mut tx,
                other,
                AuditAction::ApplicationDocumentView,
                object(id),
                serde_json::json!({"slot": slot.as_str()}),
            )
            .await?;
            tx.commit().await?;
        }
    }
    let found = store::documents::find(&app.store, id, slot.as_str())
        .await?
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::NotFound,
                "unknown_document",
                format!("no document uploaded in slot {}", slot.as_str()),
                "尚未上传该资料",
            )
            .with_field("slot")
        })?;
    let (key, wrapped) = if thumbnail {
        (&found.thumbnail_key, &found.thumbnail_wrapped_key)
    } else {
        (&found.object_key, &found.wrapped_key)
    };
    let binding = crate::documents::Binding::Document {
        application_id: id,
        slot,
    };
    crate::documents::open(app, &binding, key, wrapped).await
}
