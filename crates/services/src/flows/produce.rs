//! Production (制证): an approved (and paid) application's certificate onto a blank USB
//! key, driven by the producer's workstation (`certhall-key produce`) in four calls:
//!
//! 1. [`start`]: the key the workstation read (vendor, model, serial) must be in stock; it
//!    is assigned to the application (the next of the production queue, or a named one),
//!    and the server makes the key's security-officer PIN (random, sealed at rest, never
//!    shown or logged; needed later to unlock) and its user PIN by the channel's policy
//!    (the published initial PIN to change, or a random one delivered to the holder).
//!    Returned to the workstation once, with a random challenge.
//! 2. [`issue`]: the CSR signed on the key is checked and the certificate issued by the
//!    product's CA and profile with the application's verified data as its subject: the
//!    CSR's own subject is ignored, so the producer cannot change it.
//! 3. [`finish`]: the workstation wrote the certificate, read it back, and signed the
//!    challenge with the key; the server checks both against the issued certificate.
//!    The key is produced (its first issuance dated), the user PIN delivered where the
//!    policy sends it, and the application moves on once all its keys are made.
//! 4. [`fail`]: any step failed. A certificate issued for the job is revoked
//!    (superseded), the key goes back to stock or to damaged, the application back to the
//!    queue when none of its keys is made: nothing half-done passes for a product.
//!
//! The role and the separation of duties (e.g. the reviewer may not produce) are checked
//! here, whatever the face. Transitions: `Started → Issued → Done`, `… → Failed` (jobs);
//! `InStock → Assigned → Produced`, `Assigned → InStock | Damaged` (keys);
//! `Approved | Paid → Producing`, `Producing → ReadyForPickup | Approved | Paid`
//! (applications).

use domain::application::PinRoute;
use domain::application::content::{Registration, Subject};
use domain::application::status::Delivery;
use domain::channel::PinDelivery;
use domain::production::{JobEvent, JobStatus, Step};
use domain::usb_key::{UsbKeyEvent, UsbKeyStatus};
use domain::{ApplicationEvent, ApplicationStatus, AuditAction, Duty, Role, Status};
use pki::name::SubjectFields;
use pki::reason::RevocationReason;
use store::WriteTx;
use store::production_jobs::{JobRecord, NewJob};
use zeroize::Zeroizing;

use super::application::{self, Application};
use super::usb_key;
use crate::ca::issue::{IssueRequest, SubjectChoice};
use crate::notifications::{self, Recipient, Template};
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

const ROLES: [Role; 1] = [Role::Producer];
/// Bytes of the challenge the key signs.
const CHALLENGE_BYTES: usize = 32;

/// The audit log's name of job `id`.
pub fn object(id: i64) -> String {
    format!("production:{id}")
}

fn not_found(id: i64) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        "unknown_job",
        format!("no production job {id}"),
        "制证任务不存在",
    )
}

/// The inserted key, as the workstation read it (PKCS#11 `C_GetTokenInfo`).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct KeyReport {
    /// `manufacturerID`.
    pub vendor: String,
    pub model: String,
    /// `serialNumber`.
    pub serial: String,
}

/// What the workstation asks to start.
#[derive(Debug, Clone, Default)]
pub struct StartRequest {
    /// The application to produce; the next of the queue when `None`.
    pub application: Option<i64>,
    /// Without an application: the next of the queue among order `order`'s applications
    /// (a workstation going through every application of an order).
    pub order: Option<i64>,
    pub key: KeyReport,
    /// The workstation's name (its host name), for the console.
    pub workstation: String,
}

/// What the workstation needs to make the key, given once.
#[derive(Debug)]
pub struct Started {
    pub job: i64,
    pub application: i64,
    pub application_number: String,
    pub holder: String,
    /// The key family the product's CA takes: `ecdsa`, `rsa` or `sm2`.
    pub family: String,
    /// The token label to set (at most 32 characters).
    pub label: String,
    pub so_pin: Zeroizing<String>,
    /// The SO PIN the key holds now, when CertHall initialised it before (a production
    /// that failed): the workstation wipes it with this one instead of the vendor's
    /// transport PIN.
    pub current_so_pin: Option<Zeroizing<String>>,
    pub user_pin: Zeroizing<String>,
    /// The customer must change the user PIN on receipt (a published initial PIN).
    pub user_pin_must_change: bool,
    /// Where the user PIN goes: on paper with the key (the workstation prints the
    /// envelope), by SMS (the server sends it when the key is made), or published.
    pub pin_delivery: PinDelivery,
    pub challenge: Vec<u8>,
}

/// Whether job `job` left its SO PIN on its key: the workstation sets it last of the
/// initialisation, so a job that failed reading, wiping or setting the PINs did not.
fn set_so_pin(job: &JobRecord) -> bool {
    match job.status {
        JobStatus::Issued | JobStatus::Done => true,
        JobStatus::Started => false,
        JobStatus::Failed => !matches!(
            job.failed_step.as_deref().and_then(Step::parse),
            Some(Step::ReadKey | Step::InitToken | Step::SetPin) | None
        ),
    }
}

/// What the sealed PINs of job `application`/`key` are bound to.
fn pin_binding(which: &str, application: i64, key: i64) -> Vec<u8> {
    format!("token-pin v1|{which}|application:{application}|usb_key:{key}").into_bytes()
}

/// PIN `which` (`so` or `user`) of key `key_id`, sealed for application `application_id`.
fn open_pin(
    app: &App,
    which: &str,
    application_id: i64,
    key_id: i64,
    sealed: &[u8],
) -> Result<Zeroizing<String>, ServiceError> {
    let pin = app
        .secrets
        .token_pins()
        .open(&pin_binding(which, application_id, key_id), sealed)
        .map_err(|e| ServiceError::internal("open", e))?;
    Ok(Zeroizing::new(
        String::from_utf8(pin.to_vec()).map_err(|e| ServiceError::internal("pin", e))?,
    ))
}

/// The subject of the application's certificate, from its verified data only.
pub(crate) fn certificate_subject(subject: &Subject) -> SubjectFields {
    match subject {
        Subject::Organisation(o) => SubjectFields {
            country: Some("CN".into()),
            organization: Some(o.name.clone()),
            organizational_unit: o.department.clone(),
            organization_identifier: match &o.registration {
                Registration::Uscc { uscc } => Some(uscc.clone()),
                Registration::Licence { .. } => None,
            },
            common_name: Some(o.name.clone()),
            ..SubjectFields::default()
        },
        Subject::Individual(i) => SubjectFields {
            country: Some("CN".into()),
            // A hash of the ID number, never the number (PRODUCT.md §6).
            serial_number: Some(hex::encode_upper(
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, i.id_number.as_bytes())
                    .as_ref(),
            )),
            common_name: Some(i.name.clone()),
            ..SubjectFields::default()
        },
    }
}

/// The channel's product application `current` is for.
fn product_of(current: &Application) -> Result<&domain::channel::Product, ServiceError> {
    current
        .channel
        .products
        .iter()
        .find(|p| p.code == current.content.product.product)
        .ok_or_else(|| ServiceError::internal("production", "the application's product is gone"))
}

/// How many keys application `current` needs, has made and has under way.
async fn keys_of(app: &App, current: &Application) -> Result<(u32, u32, u32), ServiceError> {
    let jobs = store::production_jobs::for_application(&app.store, current.id).await?;
    let count = |status: JobStatus| jobs.iter().filter(|j| j.status == status).count() as u32;
    Ok((
        current.content.product.quantity.max(1),
        count(JobStatus::Done),
        count(JobStatus::Started) + count(JobStatus::Issued),
    ))
}

/// The keys `current` needs, has made and has under way, when it waits for a key to be
/// made: ready for production, or being produced with keys still to start.
async fn wants_a_key(
    app: &App,
    current: &Application,
) -> Result<Option<(u32, u32, u32)>, ServiceError> {
    let ready = current.status == current.pipeline.ready();
    if !current.pipeline.production || (!ready && current.status != ApplicationStatus::Producing) {
        return Ok(None);
    }
    let (wanted, done, open) = keys_of(app, current).await?;
    Ok((ready || done + open < wanted).then_some((wanted, done, open)))
}

/// One application of the production queue.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub application: Application,
    /// Keys wanted, made, under way.
    pub keys: (u32, u32, u32),
}

/// The production queue: applications approved (and paid where payment comes first) with
/// keys still to make, the longest waiting first.
pub async fn queue(app: &App, actor: &Actor) -> Result<Vec<QueueItem>, ServiceError> {
    actor.require_any(&[Role::Producer, Role::Admin])?;
    let mut items = Vec::new();
    let statuses = [
        ApplicationStatus::Approved,
        ApplicationStatus::Paid,
        ApplicationStatus::Producing,
    ];
    for record in store::applications::in_statuses(&app.store, &statuses, 500).await? {
        let current = application::assemble(app, &record).await?;
        if let Some(keys) = wants_a_key(app, &current).await? {
            items.push(QueueItem {
                application: current,
                keys,
            });
        }
    }
    Ok(items)
}

/// Starts producing a key: the application named (or the next of the queue) and the key
/// the workstation read, which must be in stock.
pub async fn start(
    app: &App,
    actor: &Actor,
    request: &StartRequest,
) -> Result<Started, ServiceError> {
    actor.require_any(&ROLES)?;
    let workstation = domain::text::required("workstation", &request.workstation, 64, "工作站")?;
    let serial = domain::usb_key::serial(&request.key.serial).ok_or_else(|| {
        ServiceError::new(
            ErrorKind::Invalid,
            "invalid_serial",
            "the key's serial number cannot be read",
            "无法读取介质序列号",
        )
        .with_field("key.serial")
    })?;
    let vendor = request.key.vendor.trim();
    // The application: the one named, or the queue's first.
    let current = match request.application {
        Some(id) => {
            let record = store::applications::find(&app.store, id)
                .await?
                .ok_or_else(|| application::not_found(id))?;
            application::assemble(app, &record).await?
        }
        None => queue(app, actor)
            .await?
            .into_iter()
            .map(|item| item.application)
            .find(|a| request.order.is_none() || a.order_id == request.order)
            .ok_or_else(|| match request.order {
                Some(order) => ServiceError::new(
                    ErrorKind::NotFound,
                    "order_done",
                    format!("no application of order {order} waits for a key"),
                    "该订单没有待制证的申请",
                )
                .with_field("order"),
                None => ServiceError::new(
                    ErrorKind::NotFound,
                    "queue_empty",
                    "no application waits for production",
                    "没有待制证的申请",
                ),
            })?,
    };
    if wants_a_key(app, &current).await?.is_none() {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "not_ready_for_production",
            format!(
                "application {} is {}: nothing to produce",
                current.number,
                current.status.name_en()
            ),
            format!(
                "申请{}当前为“{}”，无需制证",
                current.number,
                current.status.name_zh()
            ),
        )
        .with_field("application"));
    }
    let product = product_of(&current)?;
    let holder = current
        .content
        .subject
        .as_ref()
        .map(|s| s.name().to_string())
        .unwrap_or_default();

    let mut tx = app.store.begin_write().await?;
    let record = store::applications::find_in(&mut tx, current.id)
        .await?
        .ok_or_else(|| application::not_found(current.id))?;
    let done = application::duties_done(&mut tx, &record).await?;
    actor.require_duty(Duty::Produce, &app.hall.separation_of_duties, &done)?;
    let key = store::usb_keys::find_by_serial_in(&mut tx, vendor, &serial)
        .await?
        .filter(|k| k.status == UsbKeyStatus::InStock)
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::Conflict,
                "key_not_in_stock",
                format!("key {vendor} {serial} is not in stock: receive it first, or take another"),
                format!("介质（{vendor} {serial}）不在库存中：请先入库，或更换介质"),
            )
            .with_field("key.serial")
        })?;
    if record.status == current.pipeline.ready() {
        application::change_status(
            &mut tx,
            actor,
            &record,
            current.pipeline,
            ApplicationEvent::StartProduction,
            AuditAction::ApplicationStartProduction,
            serde_json::json!({"usb_key": key.serial}),
        )
        .await?;
    }
    usb_key::change_status(
        &mut tx,
        actor,
        &key,
        UsbKeyEvent::Assign,
        serde_json::json!({"application": current.number}),
    )
    .await?;
    store::usb_keys::set_carrying(&mut tx, key.id, Some(current.id), None).await?;

    // A key CertHall initialised before holds the SO PIN of the last job that set it.
    let jobs_on_key = store::production_jobs::for_key_in(&mut tx, key.id).await?;
    let current_so_pin = match jobs_on_key.iter().find(|j| set_so_pin(j)) {
        Some(earlier) => Some(open_pin(
            app,
            "so",
            earlier.application_id,
            key.id,
            &earlier.so_pin_sealed,
        )?),
        None => None,
    };
    let so_pin = crate::secrets::random_digits(16)?;
    let policy = &current.channel.pin;
    let (user_pin, must_change) = match policy.delivery {
        PinDelivery::InitialPinToChange => (Zeroizing::new(policy.initial_pin.clone()), true),
        _ => (crate::secrets::random_digits(8)?, false),
    };
    let seal = |which: &str, pin: &str| {
        app.secrets
            .token_pins()
            .seal(&pin_binding(which, current.id, key.id), pin.as_bytes())
            .map_err(|e| ServiceError::internal("seal", e))
    };
    let mut challenge = vec![0u8; CHALLENGE_BYTES];
    aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut challenge)
        .map_err(|_| ServiceError::internal("production", "no randomness"))?;
    let operator = match actor {
        Actor::Operator { id, .. } => Some(*id),
        _ => None,
    };
    let job = store::production_jobs::insert(
        &mut tx,
        &NewJob {
            application_id: current.id,
            usb_key_id: key.id,
            operator_id: operator,
            workstation: &workstation,
            so_pin_sealed: &seal("so", &so_pin)?,
            user_pin_sealed: &seal("user", &user_pin)?,
            challenge: &challenge,
        },
    )
    .await?;
    // Never a PIN in the log: only that one was made, and how it is delivered.
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::ProductionStart,
        object(job),
        serde_json::json!({
            "application": current.number, "usb_key": key.serial, "vendor": key.vendor,
            "model": key.model, "workstation": workstation, "family": product.family,
            "pin_delivery": policy.delivery, "to": JobStatus::Started.as_str(),
        }),
    )
    .await?;
    tx.commit().await?;
    let family = product.family.clone();
    Ok(Started {
        job,
        application: current.id,
        label: domain::text::clip(&format!("CertHall {}", current.number), 32).into_owned(),
        application_number: current.number,
        holder,
        family,
        so_pin,
        current_so_pin,
        user_pin,
        user_pin_must_change: must_change,
        pin_delivery: policy.delivery,
        challenge,
    })
}

/// Job `id` of the acting producer, read in `tx`.
async fn own_job(tx: &mut WriteTx, actor: &Actor, id: i64) -> Result<JobRecord, ServiceError> {
    actor.require_any(&ROLES)?;
    let job = store::production_jobs::find_in(tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let mine = match actor {
        Actor::Operator { id, .. } => job.operator_id == Some(*id),
        Actor::Cli(_) => true,
        _ => false,
    };
    if !mine {
        // Another producer's job is "not found": it tells nothing.
        return Err(not_found(id));
    }
    Ok(job)
}

fn refused_step(job: &JobRecord, event: JobEvent) -> ServiceError {
    ServiceError::new(
        ErrorKind::Conflict,
        "invalid_transition",
        format!(
            "production job {} is {}: cannot {}",
            job.id,
            job.status.as_str(),
            event.as_str()
        ),
        format!("制证任务当前为“{}”", job.status.name_zh()),
    )
    .with_field("job")
}

/// An issued certificate, for the workstation to write.
#[derive(Debug, Clone)]
pub struct IssuedForKey {
    pub serial: String,
    pub der: Vec<u8>,
    /// The issuing CA's certificate.
    pub ca_der: Vec<u8>,
}

/// Issues the certificate of job `id` for `csr` (signed on the key), once: the product's
/// CA and profile, the application's verified subject, the validity chosen.
pub async fn issue(
    app: &App,
    actor: &Actor,
    id: i64,
    csr: &[u8],
) -> Result<IssuedForKey, ServiceError> {
    let (job, current) = {
        let mut tx = app.store.begin_write().await?;
        let job = own_job(&mut tx, actor, id).await?;
        let record = store::applications::find_in(&mut tx, job.application_id)
            .await?
            .ok_or_else(|| application::not_found(job.application_id))?;
        drop(tx);
        (job, application::assemble(app, &record).await?)
    };
    if job.status.apply(JobEvent::Issue).is_err() {
        return Err(refused_step(&job, JobEvent::Issue));
    }
    let product = product_of(&current)?;
    let subject = current
        .content
        .subject
        .as_ref()
        .map(certificate_subject)
        .ok_or_else(|| ServiceError::internal("production", "an application without holder"))?;
    let engine = app.ca().await?;
    let ca = engine
        .registry
        .all()
        .iter()
        .find(|ca| {
            ca.role == crate::ca::registry::CaRole::Issuing && ca.family.as_str() == product.family
        })
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::Unavailable,
                "no_issuing_ca",
                format!("no issuing CA of family {} is set up", product.family),
                format!("尚未建立 {} 签发 CA", product.family),
            )
        })?
        .clone();
    let days = current.content.product.years.max(1) * 365;
    let request = IssueRequest {
        ca: &ca.name,
        profile: &product.profile,
        csr,
        days: Some(days),
        subject: None,
    };
    // The CA engine issues for the system: the producer holds no CA role, and the subject
    // is the application's, not the CSR's.
    let issued = crate::ca::issue::issue_with(
        app,
        &Actor::System,
        &request,
        SubjectChoice::Exactly(subject),
    )
    .await?;
    let mut tx = app.store.begin_write().await?;
    let job = own_job(&mut tx, actor, id).await?;
    let Ok(transition) = job.status.apply(JobEvent::Issue) else {
        // Another call issued first: this certificate is not the job's; revoke it.
        drop(tx);
        let _ = crate::ca::revoke::revoke(
            app,
            &Actor::System,
            &issued.serial,
            RevocationReason::Superseded,
        )
        .await;
        return Err(refused_step(&job, JobEvent::Issue));
    };
    store::transition::set(&mut tx, id, transition).await?;
    store::production_jobs::set_certificate(&mut tx, id, &issued.serial).await?;
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::ProductionIssue,
        object(id),
        serde_json::json!({
            "application": current.number, "certificate": issued.serial, "ca": ca.name,
            "profile": product.profile, "subject": issued.subject, "from": "started", "to": "issued",
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedForKey {
        serial: issued.serial,
        der: issued.der,
        ca_der: ca.cert_der.to_vec(),
    })
}

/// What the workstation proves at the end.
#[derive(Debug, Clone)]
pub struct Proof {
    /// The certificate as read back from the key.
    pub certificate: Vec<u8>,
    /// The signature algorithm's OID (`1.2.840.10045.4.3.2`, `1.2.840.113549.1.1.11`,
    /// `1.2.156.10197.1.501`).
    pub algorithm: String,
    /// The job's challenge signed on the key.
    pub signature: Vec<u8>,
}

/// Job `id` is done: the certificate read back from the key is the one issued, and the
/// key signed the challenge for it. The key is produced, the PIN delivered by the policy,
/// and the application moves on once all its keys are made.
pub async fn finish(app: &App, actor: &Actor, id: i64, proof: &Proof) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let job = own_job(&mut tx, actor, id).await?;
    let transition = job
        .status
        .apply(JobEvent::Finish)
        .map_err(|_| refused_step(&job, JobEvent::Finish))?;
    let serial = job.certificate_serial.clone().ok_or_else(|| {
        ServiceError::internal("production", "an issued job without its certificate")
    })?;
    let stored = store::certificates::find_by_serial_for_update(&mut tx, &serial)
        .await?
        .ok_or_else(|| ServiceError::internal("production", "the job's certificate is gone"))?;
    let failed = |en: &str, zh: &str| {
        ServiceError::new(
            ErrorKind::Invalid,
            "proof_failed",
            en.to_string(),
            zh.to_string(),
        )
        .with_field("proof")
    };
    if proof.certificate != stored.der {
        return Err(failed(
            "the certificate read back from the key is not the one issued",
            "从介质读回的证书与签发的证书不一致",
        ));
    }
    let certificate =
        pki::certificate::parse(&stored.der).map_err(|e| ServiceError::from_pki(e, "proof"))?;
    pki::verify::verify_named(
        &certificate.tbs_certificate.subject_public_key_info,
        &proof.algorithm,
        &job.challenge,
        &proof.signature,
    )
    .map_err(|_| {
        failed(
            "the key's signature of the challenge does not verify with the certificate",
            "介质对校验数据的签名无法用该证书验证",
        )
    })?;
    store::transition::set(&mut tx, id, transition).await?;
    store::production_jobs::touch(&mut tx, id).await?;
    let key = store::usb_keys::find_in(&mut tx, job.usb_key_id)
        .await?
        .ok_or_else(|| ServiceError::internal("production", "the job's key is gone"))?;
    usb_key::change_status(
        &mut tx,
        actor,
        &key,
        UsbKeyEvent::Produce,
        serde_json::json!({"certificate": serial}),
    )
    .await?;
    store::usb_keys::set_carrying(&mut tx, key.id, Some(job.application_id), Some(stored.id))
        .await?;
    let record = store::applications::find_in(&mut tx, job.application_id)
        .await?
        .ok_or_else(|| application::not_found(job.application_id))?;
    let current = application::assemble(app, &record).await?;
    let pin_route = deliver_pin(app, &mut tx, &current, &job).await?;
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::ProductionFinish,
        object(id),
        serde_json::json!({
            "application": current.number, "certificate": serial, "usb_key": key.serial,
            "pin_route": pin_route, "from": "issued", "to": "done",
        }),
    )
    .await?;
    let jobs = store::production_jobs::for_application_in(&mut tx, current.id).await?;
    let made = jobs.iter().filter(|j| j.status == JobStatus::Done).count() as u32;
    if made >= current.content.product.quantity.max(1)
        && current.pipeline.delivery != Delivery::Ship
    {
        // Collected at the counter: ready for pickup now. Shipped ones wait for the
        // shipper (the shipping queue is of applications whose keys are all made).
        let to = application::change_status(
            &mut tx,
            actor,
            &record,
            current.pipeline,
            ApplicationEvent::Produced,
            AuditAction::ApplicationProduced,
            serde_json::json!({"keys": made}),
        )
        .await?;
        if to == ApplicationStatus::ReadyForPickup {
            super::hand_over::offer(app, &mut tx, actor, &current).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Sends the user PIN of `job` where the channel's policy and the verification say
/// ([`domain::application::content::Content::pin_route`]), in `tx` (the outbox); the
/// message is sensitive (its text is not kept once delivered). Returns the route taken,
/// for the audit: a PIN that goes on paper or is published is not sent; one that goes in
/// the remark of a payment to the verified corporate account (seed 004 §7) is recorded to
/// be paid by [`transfer_pins`] once this transaction is committed.
async fn deliver_pin(
    app: &App,
    tx: &mut WriteTx,
    current: &Application,
    job: &JobRecord,
) -> Result<&'static str, ServiceError> {
    let phone = match current.content.pin_route(current.channel.pin.delivery) {
        Some(PinRoute::Sms { mobile }) => mobile,
        Some(PinRoute::EnvelopeWithKey) => return Ok("envelope_with_key"),
        Some(PinRoute::InitialPinToChange) => return Ok("initial_pin_to_change"),
        Some(PinRoute::PaymentRemark { .. }) => {
            // Paid after this transaction ([`transfer_pins`]): a call to the bank's service.
            store::pin_transfers::add(tx, job.id).await?;
            return Ok("payment_remark");
        }
        None => return Ok("no_route"),
    };
    let pin = open_pin(
        app,
        "user",
        job.application_id,
        job.usb_key_id,
        &job.user_pin_sealed,
    )?;
    let template = Template::KeyPin {
        application: current.number.clone(),
        pin: pin.to_string(),
    };
    notifications::enqueue_secret(
        app,
        tx,
        &Recipient::Sms(phone),
        &template,
        domain::Lang::Zh,
        &format!("production:{}:pin", job.id),
    )
    .await?;
    Ok("sms")
}

/// Tries of a PIN transfer (one a minute) before it is left to a person.
const PIN_TRANSFER_ATTEMPTS: i64 = 30;

/// The user PIN in the remark of a 0.01 元 payment (证书密码在对公账户收款1分钱记录附言中,
/// seed 004 §7), for each produced key whose PIN goes that way and is not paid yet: to the
/// corporate account the penny-drop verified, through the bank's service the verification
/// used, keyed by the job (a retry after a lost answer pays once). A refusal or an outage
/// is recorded and asked again next round, thirty times; then it is audited
/// `production.pin_transfer_failed` for a person to deliver the PIN. Returns how many were
/// paid.
pub async fn transfer_pins(app: &App) -> Result<u64, ServiceError> {
    let mut paid = 0;
    for pending in store::pin_transfers::pending(&app.store, PIN_TRANSFER_ATTEMPTS, 100).await? {
        let outcome = transfer_pin(app, pending.job_id).await;
        let mut tx = app.store.begin_write().await?;
        match outcome {
            Ok(account_tail) => {
                if store::pin_transfers::sent(&mut tx, pending.id).await? {
                    crate::audit::record(
                        &mut tx,
                        &Actor::System,
                        AuditAction::ProductionPinTransferred,
                        object(pending.job_id),
                        serde_json::json!({"account": format!("…{account_tail}"), "amount_fen": 1}),
                    )
                    .await?;
                    paid += 1;
                }
            }
            Err(why) => {
                tracing::warn!(job = pending.job_id, error = %why, "PIN transfer");
                store::pin_transfers::failed(&mut tx, pending.id, &why).await?;
                if pending.attempts + 1 == PIN_TRANSFER_ATTEMPTS {
                    // Given up: a person finds it in the audit log and delivers the PIN.
                    crate::audit::record(
                        &mut tx,
                        &Actor::System,
                        AuditAction::ProductionPinTransferFailed,
                        object(pending.job_id),
                        serde_json::json!({"attempts": PIN_TRANSFER_ATTEMPTS, "error": why}),
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
    }
    Ok(paid)
}

/// Pays job `job_id`'s PIN transfer; the last four digits of the account, or why not.
async fn transfer_pin(app: &App, job_id: i64) -> Result<String, String> {
    let job = {
        let mut tx = app.store.begin_write().await.map_err(|e| e.to_string())?;
        store::production_jobs::find_in(&mut tx, job_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the job is gone")?
    };
    let record = store::applications::find(&app.store, job.application_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the application is gone")?;
    let current = application::assemble(app, &record)
        .await
        .map_err(|e| e.to_string())?;
    let Some(PinRoute::PaymentRemark { account }) =
        current.content.pin_route(current.channel.pin.delivery)
    else {
        return Err("the PIN no longer goes by payment remark".into());
    };
    let company = super::verify::company_of(&current, None).map_err(|e| e.to_string())?;
    let pin = open_pin(
        app,
        "user",
        job.application_id,
        job.usb_key_id,
        &job.user_pin_sealed,
    )
    .map_err(|e| e.to_string())?;
    let transfer = providers::identity::Transfer {
        company,
        bank: account.bank.clone(),
        account: account.account.clone(),
        amount_fen: 1,
        remark: format!("证书密码{}", pin.as_str()),
        idempotency_key: format!("pin-transfer-{job_id}"),
    };
    match app.identity.verifier.send_transfer(&transfer).await {
        Ok(providers::identity::Answer::Match) => {
            let tail = account.account.len().saturating_sub(4);
            Ok(account.account[tail..].to_string())
        }
        Ok(answer) => Err(format!("the bank refused the transfer: {answer:?}")),
        Err(e) => Err(e.to_string()),
    }
}

/// What the workstation reports when a step failed.
#[derive(Debug, Clone)]
pub struct Failure {
    pub step: Step,
    pub message: String,
    /// The key itself is faulty (it goes to damaged, not back to stock).
    pub key_damaged: bool,
}

/// Job `id` failed at `failure.step`: a certificate issued for it is revoked (superseded),
/// the key goes back to stock (or to damaged), and the application back to the queue when
/// none of its keys is made. Asked again, it changes nothing twice.
pub async fn fail(
    app: &App,
    actor: &Actor,
    id: i64,
    failure: &Failure,
) -> Result<(), ServiceError> {
    let message = domain::text::required("message", &failure.message, 500, "失败原因")?;
    let job = {
        let mut tx = app.store.begin_write().await?;
        own_job(&mut tx, actor, id).await?
    };
    if job.status.apply(JobEvent::Fail).is_err() {
        return Err(refused_step(&job, JobEvent::Fail));
    }
    // First the certificate: once revoked, a key that kept it proves nothing.
    if let Some(serial) = &job.certificate_serial {
        match crate::ca::revoke::revoke(app, &Actor::System, serial, RevocationReason::Superseded)
            .await
        {
            Ok(_) => {}
            // Revoked already (a first report that did not finish): fine.
            Err(e) if e.code == "invalid_transition" => {}
            Err(e) => return Err(e),
        }
    }
    let mut tx = app.store.begin_write().await?;
    let job = own_job(&mut tx, actor, id).await?;
    let transition = job
        .status
        .apply(JobEvent::Fail)
        .map_err(|_| refused_step(&job, JobEvent::Fail))?;
    store::transition::set(&mut tx, id, transition).await?;
    store::production_jobs::set_failure(&mut tx, id, failure.step.as_str(), &message).await?;
    let key = store::usb_keys::find_in(&mut tx, job.usb_key_id)
        .await?
        .ok_or_else(|| ServiceError::internal("production", "the job's key is gone"))?;
    let event = if failure.key_damaged {
        UsbKeyEvent::Damage
    } else {
        UsbKeyEvent::Release
    };
    usb_key::change_status(
        &mut tx,
        actor,
        &key,
        event,
        serde_json::json!({"reason": message, "step": failure.step.as_str()}),
    )
    .await?;
    store::usb_keys::set_carrying(&mut tx, key.id, None, None).await?;
    let record = store::applications::find_in(&mut tx, job.application_id)
        .await?
        .ok_or_else(|| application::not_found(job.application_id))?;
    let current = application::assemble(app, &record).await?;
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::ProductionFail,
        object(id),
        serde_json::json!({
            "application": current.number, "step": failure.step.as_str(), "message": message,
            "usb_key": key.serial, "key_damaged": failure.key_damaged,
            "revoked": job.certificate_serial, "from": job.status.as_str(), "to": "failed",
        }),
    )
    .await?;
    let jobs = store::production_jobs::for_application_in(&mut tx, current.id).await?;
    let busy = jobs.iter().any(|j| {
        j.id != id
            && matches!(
                j.status,
                JobStatus::Done | JobStatus::Started | JobStatus::Issued
            )
    });
    if !busy && record.status == ApplicationStatus::Producing {
        application::change_status(
            &mut tx,
            actor,
            &record,
            current.pipeline,
            ApplicationEvent::ProductionFailed,
            AuditAction::ApplicationProductionFailed,
            serde_json::json!({"step": failure.step.as_str()}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A job as the console shows it.
#[derive(Debug, Clone)]
pub struct JobView {
    pub id: i64,
    pub application_id: i64,
    pub workstation: String,
    pub status: JobStatus,
    pub usb_key_id: i64,
    pub certificate_serial: Option<String>,
    pub failed_step: Option<Step>,
    pub failure: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The latest jobs: what each workstation is doing, and the failures.
pub async fn jobs(app: &App, actor: &Actor) -> Result<Vec<JobView>, ServiceError> {
    actor.require_any(&[Role::Producer, Role::Admin])?;
    Ok(store::production_jobs::recent(&app.store, 100)
        .await?
        .into_iter()
        .map(|j| JobView {
            id: j.id,
            application_id: j.application_id,
            workstation: j.workstation,
            status: j.status,
            usb_key_id: j.usb_key_id,
            certificate_serial: j.certificate_serial,
            failed_step: j.failed_step.as_deref().and_then(Step::parse),
            failure: j.failure,
            created_at: j.created_at,
            updated_at: j.updated_at,
        })
        .collect())
}
