//! Delivery providers, one trait for all: the file provider (the default), later SMTP and
//! an HTTP SMS gateway.

use std::io::Write;
use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;
use serde::Serialize;
use store::outbox::MessageRecord;

/// Why a delivery did not happen.
#[derive(Debug, Clone)]
pub struct DeliveryError {
    /// Worth trying again later (a timeout, a 5xx), as opposed to a refusal (a bad address).
    pub retryable: bool,
    pub reason: String,
}

/// A way to deliver messages of one channel.
pub trait Provider: Send + Sync {
    /// A short name for logs and the outbox listing.
    fn name(&self) -> &'static str;

    fn send<'a>(&'a self, message: &'a MessageRecord) -> BoxFuture<'a, Result<(), DeliveryError>>;

    /// After a send was interrupted: `Some(true)` when the message with this idempotency
    /// key was delivered; `Some(false)` when it was not, or when sending again cannot
    /// deliver it twice (a gateway that deduplicates by key); `None` when the provider
    /// cannot tell (then it is not resent automatically, so a message never goes out twice).
    fn was_delivered<'a>(&'a self, idempotency_key: &'a str) -> BoxFuture<'a, Option<bool>>;
}

/// Appends each message as one JSON line to `DIR/sms.jsonl` or `DIR/email.jsonl`, with at
/// least `to`, `template` and `text` (a fixed format: tests and local set-ups read codes
/// from there).
pub struct FileProvider {
    path: PathBuf,
}

#[derive(Serialize)]
struct FileLine<'a> {
    to: &'a str,
    template: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    subject: &'a str,
    text: &'a str,
    idempotency_key: &'a str,
    at: i64,
}

impl FileProvider {
    /// The provider of `channel` (`sms` or `email`) writing under `dir`.
    pub fn new(dir: impl Into<PathBuf>, channel: &str) -> Self {
        FileProvider {
            path: dir.into().join(format!("{channel}.jsonl")),
        }
    }
}

fn append_line(path: &Path, message: &MessageRecord) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut line = serde_json::to_vec(&FileLine {
        to: &message.recipient,
        template: &message.template,
        subject: &message.subject,
        text: &message.text,
        idempotency_key: &message.idempotency_key,
        at: pki::time::now_unix(),
    })?;
    line.push(b'\n');
    // One write of the whole line in append mode: lines from several workers never
    // interleave.
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(&line)?;
    file.sync_data()
}

impl Provider for FileProvider {
    fn name(&self) -> &'static str {
        "file"
    }

    fn send<'a>(&'a self, message: &'a MessageRecord) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let (path, message) = (self.path.clone(), message.clone());
            tokio::task::spawn_blocking(move || append_line(&path, &message))
                .await
                .map_err(|e| DeliveryError {
                    retryable: true,
                    reason: e.to_string(),
                })?
                .map_err(|e| DeliveryError {
                    retryable: true,
                    reason: format!("writing {}: {e}", self.path.display()),
                })
        })
    }

    fn was_delivered<'a>(&'a self, idempotency_key: &'a str) -> BoxFuture<'a, Option<bool>> {
        Box::pin(async move {
            let needle = serde_json::to_string(idempotency_key).ok()?;
            match tokio::fs::read_to_string(&self.path).await {
                Ok(text) => Some(
                    text.lines()
                        .any(|l| l.contains(&format!("\"idempotency_key\":{needle}"))),
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(false),
                Err(_) => None,
            }
        })
    }
}
