//! Uploading a document (资料上传) to a draft: the slot must be one the application needs;
//! the image is taken in off the async threads, a bounded number at a time
//! ([`crate::documents::image`]); the normalised image and its thumbnail are sealed and
//! stored; then one transaction records the document, puts its SHA-256 into the
//! application's content (so the signed submission covers it) and appends the audit
//! event. A refused or failed upload leaves nothing behind; a replaced document is
//! shredded. Transitions: none.

use domain::application::{DocumentRef, DocumentSlot, Step};
use domain::{ApplicationStatus, AuditAction};
use store::documents::NewDocument;

use super::application::{self, Applicant};
use crate::documents::{self, Binding, Sealed};
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// What an upload stored.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub slot: DocumentSlot,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    /// The application's version after it.
    pub version: i64,
    pub next_step: Step,
}

pub(crate) fn parse_slot(text: &str) -> Result<DocumentSlot, ServiceError> {
    DocumentSlot::parse(text).ok_or_else(|| {
        ServiceError::new(
            ErrorKind::NotFound,
            "unknown_slot",
            format!("no document slot {text:?}"),
            "没有此类资料",
        )
        .with_field("slot")
    })
}

fn slot_not_needed(slot: DocumentSlot, channel: &domain::Channel) -> ServiceError {
    ServiceError::new(
        ErrorKind::Invalid,
        "slot_not_needed",
        format!("this application does not take a {}", slot.name_en(channel)),
        format!("本申请无需上传“{}”", slot.name_zh(channel)),
    )
    .with_field("slot")
}

/// Uploads `bytes` (an image) into `slot` of the customer's draft `id`.
pub async fn upload(
    app: &App,
    applicant: &Applicant,
    id: i64,
    slot: &str,
    bytes: Vec<u8>,
) -> Result<Uploaded, ServiceError> {
    let slot = parse_slot(slot)?;
    upload_for(app, applicant, id, slot, bytes, None).await
}

/// The upload of `applicant` (on the page, or through link `link`, which the recording
/// transaction spends).
async fn upload_for(
    app: &App,
    applicant: &Applicant,
    id: i64,
    slot: DocumentSlot,
    bytes: Vec<u8>,
    link: Option<i64>,
) -> Result<Uploaded, ServiceError> {
    let stored = application::own_read(app, applicant, id).await?;
    let current = application::assemble(app, &stored).await?;
    if !current.is_editable() {
        return Err(application::not_editable(current.status));
    }
    if !DocumentSlot::required(&current.content, &current.channel).contains(&slot) {
        return Err(slot_not_needed(slot, &current.channel));
    }
    let ingested = documents::take_in(app, bytes).await?;
    let sha256 = hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        &ingested.jpeg,
    ));
    let binding = Binding::Document {
        application_id: id,
        slot,
    };
    let image = documents::seal(app, &binding, &ingested.jpeg)?;
    let thumbnail = documents::seal(app, &binding, &ingested.thumbnail)?;
    documents::store_all(app, &[&image, &thumbnail]).await?;
    let recorded = record(
        app, applicant, link, &current, slot, &sha256, &image, &thumbnail, &ingested,
    )
    .await;
    match recorded {
        Ok((version, next_step, replaced)) => {
            if let Some(old) = replaced {
                documents::forget(app, &[old.object_key, old.thumbnail_key]).await;
            }
            Ok(Uploaded {
                slot,
                sha256,
                width: ingested.width,
                height: ingested.height,
                version,
                next_step,
            })
        }
        Err(e) => {
            documents::forget(app, &[image.key.clone(), thumbnail.key.clone()]).await;
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn record(
    app: &App,
    applicant: &Applicant,
    link: Option<i64>,
    read: &application::Application,
    slot: DocumentSlot,
    sha256: &str,
    image: &Sealed,
    thumbnail: &Sealed,
    ingested: &documents::image::Ingested,
) -> Result<(i64, Step, Option<store::documents::DocumentRecord>), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    if let Some(link) = link
        && !store::upload_links::consume(&mut tx, link).await?
    {
        return Err(link_gone());
    }
    let record = application::own(&mut tx, applicant, read.id).await?;
    if record.status != ApplicationStatus::Draft {
        return Err(application::not_editable(record.status));
    }
    let current = application::assemble(app, &record).await?;
    let mut content = current.content.clone();
    content.documents.insert(
        slot,
        DocumentRef {
            sha256: sha256.to_string(),
            at: tx.now().seconds(),
        },
    );
    let version = application::save(
        &mut tx,
        app,
        &record,
        record.content_version,
        &current.channel,
        &content,
    )
    .await?;
    let actor = applicant.actor();
    let replaced = store::documents::replace(
        &mut tx,
        &NewDocument {
            application_id: read.id,
            slot: slot.as_str(),
            object_key: &image.key,
            wrapped_key: &image.wrapped_key,
            thumbnail_key: &thumbnail.key,
            thumbnail_wrapped_key: &thumbnail.wrapped_key,
            sha256,
            size: image.ciphertext.len() as i64,
            width: i64::from(ingested.width),
            height: i64::from(ingested.height),
            uploaded_by: &actor.label(),
        },
    )
    .await?;
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::ApplicationUpload,
        application::object(read.id),
        serde_json::json!({
            "slot": slot.as_str(), "sha256": sha256, "width": ingested.width,
            "height": ingested.height, "step": Step::Documents.as_str(),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok((version, content.next_step(&current.channel), replaced))
}

/// How long a phone upload link works.
pub const LINK_MINUTES: i64 = 10;

/// A link for uploading one document from a phone.
#[derive(Debug, Clone)]
pub struct PhoneLink {
    pub slot: DocumentSlot,
    /// The page the phone opens: `{public URL}/m/{token}`.
    pub url: String,
    /// The URL as a QR code (SVG, drawn by the server).
    pub qr_svg: String,
    pub expires_at: i64,
}

pub(crate) fn link_gone() -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        "link_gone",
        "this upload link was used, replaced or has expired; scan a new QR code on the computer",
        "该上传链接已使用、已更新或已过期，请在电脑上重新生成二维码",
    )
    .with_field("token")
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        token.as_bytes(),
    ))
}

/// A fresh link token: 32 random bytes, hex.
pub(crate) fn new_token() -> Result<String, ServiceError> {
    let mut token = [0u8; 32];
    aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut token)
        .map_err(|_| ServiceError::internal("random", "no randomness"))?;
    Ok(hex::encode(token))
}

/// Makes a one-time link, valid [`LINK_MINUTES`] minutes, for uploading `slot` of the
/// customer's draft `id` from a phone; an earlier link of the slot stops working. Only the
/// token's hash is stored.
pub async fn phone_link(
    app: &App,
    applicant: &Applicant,
    id: i64,
    slot: &str,
) -> Result<PhoneLink, ServiceError> {
    let slot = parse_slot(slot)?;
    let current = application::get(app, applicant, id).await?;
    if !current.is_editable() {
        return Err(application::not_editable(current.status));
    }
    if !DocumentSlot::required(&current.content, &current.channel).contains(&slot) {
        return Err(slot_not_needed(slot, &current.channel));
    }
    let token = new_token()?;
    let mut tx = app.store.begin_write().await?;
    let expires_at = tx.now().seconds() + LINK_MINUTES * 60;
    store::upload_links::insert(
        &mut tx,
        &token_hash(&token),
        id,
        applicant.customer_id,
        slot.as_str(),
        expires_at,
    )
    .await?;
    crate::audit::record(
        &mut tx,
        applicant.actor(),
        AuditAction::ApplicationUploadLink,
        application::object(id),
        serde_json::json!({"slot": slot.as_str(), "expires_at": expires_at}),
    )
    .await?;
    tx.commit().await?;
    let url = format!("{}/m/{token}", app.ca_settings.public_base_url);
    let qr_svg = crate::documents::qr_svg(&url)?;
    Ok(PhoneLink {
        slot,
        url,
        qr_svg,
        expires_at,
    })
}

/// What the phone's page shows about its link.
#[derive(Debug, Clone)]
pub struct LinkTarget {
    pub number: String,
    /// The slot's name in Chinese and English (a channel names its own slots).
    pub slot_name: (String, String),
    pub expires_at: i64,
}

async fn valid_link(
    app: &App,
    token: &str,
) -> Result<(store::upload_links::UploadLinkRecord, DocumentSlot), ServiceError> {
    let link = store::upload_links::find(&app.store, &token_hash(token))
        .await?
        .filter(|l| l.used_at.is_none() && l.expires_at > app.now().seconds())
        .ok_or_else(link_gone)?;
    let slot = parse_slot(&link.slot)?;
    Ok((link, slot))
}

/// The link's application and slot, while it works.
pub async fn link_target(app: &App, token: &str) -> Result<LinkTarget, ServiceError> {
    let (link, slot) = valid_link(app, token).await?;
    let record =
        store::applications::find_for_customer(&app.store, link.application_id, link.customer_id)
            .await?
            .ok_or_else(link_gone)?;
    let channel = crate::hall::channels::stored_definition(app, &record.channel_code).await?;
    Ok(LinkTarget {
        number: application::number(record.id, record.created_at),
        slot_name: (
            slot.name_zh(&channel).to_string(),
            slot.name_en(&channel).to_string(),
        ),
        expires_at: link.expires_at,
    })
}

/// Uploads `bytes` through the link `token`, once: the same checks as any upload, as the
/// customer who made the link.
pub async fn upload_by_link(
    app: &App,
    token: &str,
    bytes: Vec<u8>,
) -> Result<Uploaded, ServiceError> {
    let (link, slot) = valid_link(app, token).await?;
    let customer = store::customers::find_by_id(&app.store, link.customer_id)
        .await?
        .ok_or_else(link_gone)?;
    // Whoever holds the phone uploads for the customer, into the application the link was
    // made for (by the customer or by the counter clerk).
    let applicant = Applicant {
        customer_id: customer.id,
        phone: customer
            .phone
            .parse()
            .map_err(|e| ServiceError::internal("customer phone", e))?,
        actor: Actor::Customer(customer.id),
        clerk: None,
    };
    upload_for(
        app,
        &applicant,
        link.application_id,
        slot,
        bytes,
        Some(link.id),
    )
    .await
}
