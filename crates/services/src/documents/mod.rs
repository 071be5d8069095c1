//! Documents of applications (资料) and the vouchers of orders (汇款底单): images taken in
//! ([`take_in`], [`image`]), sealed and kept in the blob store. Each stored object (the
//! normalised image, its thumbnail) is encrypted with its own random key (AES-256-GCM), and
//! that key is wrapped by the documents key derived from the master key; both are bound to
//! the object key and what the object belongs to ([`Binding`]: the application and the
//! slot, or the order), so an object copied under another row does not open. The store only sees ciphertext
//! under random keys; the database keeps the wrapped keys. Deleting a row shreds its
//! document: without the wrapped key no copy of the object can be opened.

pub mod image;
pub mod pdf;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use domain::application::DocumentSlot;
use pki::sealed::MasterKey;

use crate::{App, ServiceError};

/// Limits of uploads.
#[derive(Debug, Clone)]
pub struct DocumentSettings {
    /// Bytes one uploaded image may have (2 MiB, as the seed portals say "2M").
    pub max_upload_bytes: usize,
    /// Images decoded at the same time.
    pub decode_at_once: usize,
}

impl Default for DocumentSettings {
    fn default() -> Self {
        DocumentSettings {
            max_upload_bytes: 2 * 1024 * 1024,
            decode_at_once: 2,
        }
    }
}

/// An object sealed for the store, and its wrapped key for the database.
pub(crate) struct Sealed {
    pub key: String,
    pub ciphertext: Vec<u8>,
    pub wrapped_key: Vec<u8>,
}

/// What a sealed object belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Binding {
    /// A document in a slot of an application.
    Document {
        application_id: i64,
        slot: DocumentSlot,
    },
    /// A voucher of an order's bank transfer.
    Voucher { order_id: i64 },
    /// A file of an issued invoice.
    Invoice { invoice_id: i64 },
}

fn context(object_key: &str, binding: &Binding) -> Vec<u8> {
    match binding {
        Binding::Document {
            application_id,
            slot,
        } => format!(
            "certhall-doc v1|{object_key}|{application_id}|{}",
            slot.as_str()
        ),
        Binding::Voucher { order_id } => {
            format!("certhall-doc v1|{object_key}|order:{order_id}|voucher")
        }
        Binding::Invoice { invoice_id } => {
            format!("certhall-doc v1|{object_key}|invoice:{invoice_id}")
        }
    }
    .into_bytes()
}

/// Takes an uploaded image in ([`image::ingest`]) off the async threads, at most
/// `decode_at_once` at a time.
pub(crate) async fn take_in(app: &App, bytes: Vec<u8>) -> Result<image::Ingested, ServiceError> {
    let max = app.documents.max_upload_bytes;
    let permit = app
        .decoding
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ServiceError::internal("decoding", e))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        image::ingest(&bytes, max)
    })
    .await
    .map_err(|e| ServiceError::internal("decoding", e))?
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], ServiceError> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| ServiceError::internal("random", "no randomness"))?;
    Ok(bytes)
}

/// Seals `plain` under a fresh key, for a new object belonging to `binding`.
pub(crate) fn seal(app: &App, binding: &Binding, plain: &[u8]) -> Result<Sealed, ServiceError> {
    let key = format!("docs/{}", hex::encode(random_bytes::<16>()?));
    let aad = context(&key, binding);
    let data_key = zeroize::Zeroizing::new(random_bytes::<32>()?);
    let sealer =
        MasterKey::from_bytes(&data_key[..]).map_err(|e| ServiceError::internal("seal", e))?;
    let ciphertext = sealer
        .seal(&aad, plain)
        .map_err(|e| ServiceError::internal("seal", e))?;
    let wrapped_key = app
        .secrets
        .documents()
        .seal(&aad, &data_key[..])
        .map_err(|e| ServiceError::internal("wrap", e))?;
    Ok(Sealed {
        key,
        ciphertext,
        wrapped_key,
    })
}

/// Opens object `key` belonging to `binding` with its wrapped key.
pub(crate) async fn open(
    app: &App,
    binding: &Binding,
    key: &str,
    wrapped_key: &[u8],
) -> Result<Vec<u8>, ServiceError> {
    let aad = context(key, binding);
    let data_key = app
        .secrets
        .documents()
        .open(&aad, wrapped_key)
        .map_err(|e| ServiceError::internal("unwrap document key", e))?;
    let ciphertext = app
        .storage
        .get(key)
        .await
        .map_err(|e| ServiceError::internal("document storage", e))?
        .ok_or_else(|| ServiceError::internal("document storage", "object missing"))?;
    let opener =
        MasterKey::from_bytes(&data_key[..]).map_err(|e| ServiceError::internal("open", e))?;
    let plain = opener
        .open(&aad, &ciphertext)
        .map_err(|e| ServiceError::internal("open document", e))?;
    Ok(plain.to_vec())
}

/// Stores sealed objects; on a failure, removes those already stored.
pub(crate) async fn store_all(app: &App, objects: &[&Sealed]) -> Result<(), ServiceError> {
    for (i, object) in objects.iter().enumerate() {
        if let Err(e) = app
            .storage
            .put(&object.key, object.ciphertext.clone())
            .await
        {
            let stored: Vec<String> = objects[..i].iter().map(|o| o.key.clone()).collect();
            forget(app, &stored).await;
            return Err(ServiceError::internal("document storage", e));
        }
    }
    Ok(())
}

/// Removes objects no row refers to any more (best effort: without their wrapped keys
/// they cannot be opened anyway).
pub(crate) async fn forget(app: &App, keys: &[String]) {
    for key in keys {
        if let Err(e) = app.storage.delete(key).await {
            tracing::warn!(error = %e, "an unreferenced document object stays in storage");
        }
    }
}

/// `text` (a link for a phone) as a QR code in SVG, drawn by the server.
pub(crate) fn qr_svg(text: &str) -> Result<String, ServiceError> {
    Ok(qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| ServiceError::internal("QR code", e))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build())
}
