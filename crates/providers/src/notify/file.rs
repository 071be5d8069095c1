//! The file notifier (the default): appends each message as one JSON line to
//! `DIR/sms.jsonl` or `DIR/email.jsonl`, with at least `to`, `template` and `text` (a
//! fixed format: tests and local set-ups read codes from there).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use domain::MessageKind;
use domain::time::Clock;
use futures_util::future::BoxFuture;
use serde::Serialize;

use super::{DeliveryError, Message, Notifier};

pub struct FileNotifier {
    path: PathBuf,
    clock: Arc<dyn Clock>,
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

impl FileNotifier {
    /// The notifier of `kind` messages writing under `dir`; lines are stamped by `clock`.
    pub fn new(dir: impl Into<PathBuf>, kind: MessageKind, clock: Arc<dyn Clock>) -> Self {
        FileNotifier {
            path: dir.into().join(format!("{}.jsonl", kind.as_str())),
            clock,
        }
    }
}

fn append_line(path: &Path, line: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // One write of the whole line in append mode: lines from several workers never
    // interleave.
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(line)?;
    file.sync_data()
}

impl Notifier for FileNotifier {
    fn name(&self) -> &'static str {
        "file"
    }

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let mut line = serde_json::to_vec(&FileLine {
                to: &message.to,
                template: &message.template,
                subject: &message.subject,
                text: &message.text,
                idempotency_key: &message.idempotency_key,
                at: self.clock.now().seconds(),
            })
            .map_err(|e| DeliveryError::refused(e.to_string()))?;
            line.push(b'\n');
            let path = self.path.clone();
            tokio::task::spawn_blocking(move || append_line(&path, &line))
                .await
                .map_err(|e| DeliveryError::retryable(e.to_string()))?
                .map_err(|e| {
                    DeliveryError::retryable(format!("writing {}: {e}", self.path.display()))
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
