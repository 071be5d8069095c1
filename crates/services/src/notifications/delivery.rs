//! Delivering the outbox: one round claims due messages, sends them through the provider
//! of their kind, and records the outcome, with exponential backoff between attempts.
//! Every status change is one the message state machine (`domain::message`) allows:
//! claim, delivered, not yet, give up, take over.

use domain::{MessageEvent, MessageStatus};
use providers::notify::{Message, Notifier};
use store::outbox::{MessageRecord, Outcome};

use crate::{App, ServiceError};

/// Attempts before a message is marked failed (an administrator may retry it).
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claim lasts; a worker that has not finished by then is presumed dead.
const CLAIM_SECONDS: i64 = 60;

/// Wait after `failed` failed attempts (at least one): 5 s, 10 s, 20 s, … capped at one hour.
pub fn backoff_seconds(failed: i64) -> i64 {
    (5i64 << (failed - 1).clamp(0, 20) as u32).min(3600)
}

fn message_of(app: &App, record: &MessageRecord) -> Result<Message, ServiceError> {
    Ok(Message {
        kind: record.kind,
        to: record.recipient.clone(),
        template: record.template.clone(),
        subject: record.subject.clone(),
        text: super::text_to_send(app, &record.idempotency_key, &record.text)?,
        idempotency_key: record.idempotency_key.clone(),
    })
}

/// One round: settle messages left in doubt by a dead worker, then deliver what is due.
/// Returns how many messages were sent.
pub async fn deliver_due(app: &App) -> Result<usize, ServiceError> {
    let take_over = MessageStatus::Sending.apply(MessageEvent::TakeOver)?;
    for message in store::outbox::claim_in_doubt(&app.store, take_over, CLAIM_SECONDS).await? {
        let notifier = app.notifiers.of(message.kind);
        let (event, outcome) = match notifier.was_delivered(&message.idempotency_key).await {
            Some(true) => (MessageEvent::Delivered, Outcome::Sent),
            Some(false) => (
                MessageEvent::NotYet,
                Outcome::RetryAt {
                    at: app.now().seconds(),
                    error: "interrupted before delivery",
                },
            ),
            None => (
                MessageEvent::GiveUp,
                Outcome::Failed {
                    error: "interrupted while sending and the provider cannot tell whether it arrived; not resent automatically",
                },
            ),
        };
        let change = message.status.apply(event)?;
        store::outbox::settle(&app.store, message.id, change, outcome).await?;
    }
    let claim = MessageStatus::Pending.apply(MessageEvent::Claim)?;
    let mut sent = 0;
    loop {
        let batch = store::outbox::claim_due(&app.store, claim, CLAIM_SECONDS, 32).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        for message in batch {
            let notifier = app.notifiers.of(message.kind);
            sent += usize::from(deliver_one(app, notifier, &message).await?);
        }
    }
}

async fn deliver_one(
    app: &App,
    notifier: &dyn Notifier,
    record: &MessageRecord,
) -> Result<bool, ServiceError> {
    match notifier.send(&message_of(app, record)?).await {
        Ok(()) => {
            settle(app, record, MessageEvent::Delivered, Outcome::Sent).await?;
            tracing::info!(id = record.id, kind = record.kind.as_str(), template = %record.template, provider = notifier.name(), "message delivered");
            Ok(true)
        }
        Err(e) if e.retryable && record.attempts < MAX_ATTEMPTS => {
            tracing::warn!(id = record.id, attempt = record.attempts, reason = %e.reason, "delivery failed; will retry");
            let at = app.now().seconds() + backoff_seconds(record.attempts);
            let outcome = Outcome::RetryAt {
                at,
                error: &e.reason,
            };
            settle(app, record, MessageEvent::NotYet, outcome).await?;
            Ok(false)
        }
        Err(e) => {
            tracing::error!(id = record.id, attempt = record.attempts, reason = %e.reason, "delivery failed for good");
            let outcome = Outcome::Failed { error: &e.reason };
            settle(app, record, MessageEvent::GiveUp, outcome).await?;
            Ok(false)
        }
    }
}

async fn settle(
    app: &App,
    record: &MessageRecord,
    event: MessageEvent,
    outcome: Outcome<'_>,
) -> Result<(), ServiceError> {
    let change = record.status.apply(event)?;
    Ok(store::outbox::settle(&app.store, record.id, change, outcome).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(super::backoff_seconds(1), 5);
        assert_eq!(super::backoff_seconds(2), 10);
        assert_eq!(super::backoff_seconds(3), 20);
        assert_eq!(super::backoff_seconds(10), 2560);
        assert_eq!(super::backoff_seconds(11), 3600);
        assert_eq!(super::backoff_seconds(64), 3600);
    }
}
