//! Reading an uploaded file from a `multipart/form-data` body, for pages and the API alike:
//! at most one `file` field, counted as it streams so that a body over the limit stops at
//! the limit (the route's body limit is the upload limit plus a little for the framing),
//! an optional `csrf` field first (page forms) and the short text fields the form names
//! (a voucher's remitter and date), nothing else. Image checks are the use case's.

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use services::{ErrorKind, ServiceError};

/// Room for the multipart framing and the CSRF field beyond the file itself.
pub const FRAMING_BYTES: usize = 16 * 1024;

/// What a form posted.
pub struct Upload {
    pub csrf: String,
    /// The text fields the caller named, as posted before the file.
    pub fields: std::collections::BTreeMap<String, String>,
    /// The file's name as the browser gave it (for the record only; never a path).
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

impl Upload {
    /// A named text field, empty when it was not posted.
    pub fn field(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

/// The most a text field of an upload form may hold.
const FIELD_BYTES: usize = 1024;

fn unreadable(e: MultipartError) -> ServiceError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ServiceError::new(
            ErrorKind::TooLarge,
            "file_too_large",
            "the upload is too large",
            "上传的文件过大",
        )
        .with_field("file");
    }
    ServiceError::new(
        ErrorKind::Invalid,
        "invalid_upload",
        format!("the upload cannot be read: {}", e.body_text()),
        "上传内容无法读取",
    )
    .with_field("file")
}

/// Reads the form: the file (at most `limit` bytes), the `csrf` field if any, and the text
/// fields named in `text_fields` (each at most 1 KiB), all before the file.
pub async fn read(
    mut form: Multipart,
    limit: usize,
    text_fields: &[&str],
) -> Result<Upload, ServiceError> {
    let mut csrf = String::new();
    let mut fields = std::collections::BTreeMap::new();
    let mut file: Option<Vec<u8>> = None;
    let mut file_name = None;
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().map(str::to_string);
        match name.as_deref() {
            Some("csrf") if file.is_none() => {
                csrf = field.text().await.map_err(unreadable)?;
            }
            Some(name) if file.is_none() && text_fields.contains(&name) => {
                let mut value = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    if value.len() + chunk.len() > FIELD_BYTES {
                        return Err(ServiceError::new(
                            ErrorKind::Invalid,
                            "field_too_long",
                            format!("{name} is too long"),
                            "填写的内容过长",
                        )
                        .with_field(name));
                    }
                    value.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(value).map_err(|_| {
                    ServiceError::new(
                        ErrorKind::Invalid,
                        "invalid_upload",
                        format!("{name} is not UTF-8 text"),
                        "填写的内容无法识别",
                    )
                    .with_field(name)
                })?;
                fields.insert(name.to_string(), text);
            }
            Some("file") if file.is_none() => {
                file_name = field.file_name().map(str::to_string);
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    if bytes.len() + chunk.len() > limit {
                        return Err(services::documents::image::too_large(limit));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some(bytes);
            }
            other => {
                return Err(ServiceError::new(
                    ErrorKind::Invalid,
                    "invalid_upload",
                    format!(
                        "one field `file` (and `csrf` and the form's fields before it) only, not {:?}",
                        other.unwrap_or("")
                    ),
                    "上传表单只能包含一个文件",
                )
                .with_field("file"));
            }
        }
    }
    let bytes = file.ok_or_else(|| {
        ServiceError::new(
            ErrorKind::Invalid,
            "no_file",
            "choose a file to upload",
            "请选择要上传的图片",
        )
        .with_field("file")
    })?;
    Ok(Upload {
        csrf,
        fields,
        file_name,
        bytes,
    })
}

/// An image of a document: never cached, never sniffed, never run as anything.
pub fn image_response(jpeg: Vec<u8>, name: &str) -> Response {
    (
        [
            ("content-type", "image/jpeg".to_string()),
            ("x-content-type-options", "nosniff".to_string()),
            ("cache-control", "private, no-store".to_string()),
            ("content-security-policy", "default-src 'none'".to_string()),
            (
                "content-disposition",
                format!("inline; filename=\"{name}.jpg\""),
            ),
        ],
        jpeg,
    )
        .into_response()
}

/// A generated PDF, as a download that is never cached.
pub fn pdf_response(pdf: Vec<u8>, name: &str) -> Response {
    (
        [
            ("content-type", "application/pdf".to_string()),
            ("x-content-type-options", "nosniff".to_string()),
            ("cache-control", "private, no-store".to_string()),
            (
                "content-disposition",
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        pdf,
    )
        .into_response()
}

/// An invoice file as a download: never cached, never sniffed.
pub fn invoice_response(file: services::flows::invoice::InvoiceFile) -> Response {
    (
        [
            ("content-type", file.content_type.to_string()),
            ("x-content-type-options", "nosniff".to_string()),
            ("cache-control", "private, no-store".to_string()),
            (
                "content-disposition",
                format!("attachment; filename=\"{}\"", file.file_name),
            ),
        ],
        file.bytes,
    )
        .into_response()
}
