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

use super::application::{self, not_found};
use crate::documents::{self, Sealed};
use crate::people::accounts::CustomerSession;
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

/// Uploads `bytes` (an image) into `slot` of the customer's draft `id`.
pub async fn upload(
    app: &App,
    session: &CustomerSession,
    id: i64,
    slot: &str,
    bytes: Vec<u8>,
) -> Result<Uploaded, ServiceError> {
    let slot = parse_slot(slot)?;
    let current = application::get(app, session, id).await?;
    if !current.is_editable() {
        return Err(application::not_editable(current.status));
    }
    if !DocumentSlot::required(&current.content).contains(&slot) {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "slot_not_needed",
            format!("this application does not take a {}", slot.name_en()),
            format!("本申请无需上传“{}”", slot.name_zh()),
        )
        .with_field("slot"));
    }
    let max = app.documents.max_upload_bytes;
    let permit = app
        .decoding
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ServiceError::internal("decoding", e))?;
    let ingested = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        documents::image::ingest(&bytes, max)
    })
    .await
    .map_err(|e| ServiceError::internal("decoding", e))??;
    let sha256 = hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        &ingested.jpeg,
    ));
    let image = documents::seal(app, id, slot, &ingested.jpeg)?;
    let thumbnail = documents::seal(app, id, slot, &ingested.thumbnail)?;
    documents::store_all(app, &[&image, &thumbnail]).await?;
    let recorded = record(
        app, session, &current, slot, &sha256, &image, &thumbnail, &ingested,
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
    session: &CustomerSession,
    read: &application::Application,
    slot: DocumentSlot,
    sha256: &str,
    image: &Sealed,
    thumbnail: &Sealed,
    ingested: &documents::image::Ingested,
) -> Result<(i64, Step, Option<store::documents::DocumentRecord>), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let record = store::applications::find_for_customer_in(&mut tx, read.id, session.customer_id)
        .await?
        .ok_or_else(|| not_found(read.id))?;
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
    let actor: Actor = session.actor();
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
        &actor,
        AuditAction::ApplicationUpload,
        application::object(read.id),
        serde_json::json!({
            "slot": slot.as_str(), "sha256": sha256, "width": ingested.width,
            "height": ingested.height, "step": Step::Documents.as_str(),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok((
        version,
        content.next_step(application::ships(&current.channel)),
        replaced,
    ))
}
