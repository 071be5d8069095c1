//! The delivery worker: claims due messages, sends them, and records the outcome, with
//! exponential backoff between attempts.

use std::sync::Arc;
use std::time::Duration;

use store::Store;
use store::outbox::MessageRecord;

use super::provider::Provider;
use crate::ServiceError;

/// Attempts before a message is marked failed (an administrator may retry it).
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claim lasts; a worker that has not finished by then is presumed dead.
const CLAIM_SECONDS: i64 = 60;

/// Wait after `failed` failed attempts (at least one): 5 s, 10 s, 20 s, … capped at one hour.
pub fn backoff_seconds(failed: i64) -> i64 {
    (5i64 << (failed - 1).clamp(0, 20) as u32).min(3600)
}

/// The providers of each channel.
pub struct Deliverers {
    pub sms: Arc<dyn Provider>,
    pub email: Arc<dyn Provider>,
}

impl Deliverers {
    fn for_channel(&self, channel: &str) -> &dyn Provider {
        if channel == "sms" {
            self.sms.as_ref()
        } else {
            self.email.as_ref()
        }
    }
}

/// One round: settle messages left in doubt by a dead worker, then deliver what is due.
/// Returns how many messages were sent.
pub async fn deliver_due(store: &Store, deliverers: &Deliverers) -> Result<usize, ServiceError> {
    for message in store::outbox::claim_in_doubt(store, CLAIM_SECONDS).await? {
        let provider = deliverers.for_channel(&message.channel);
        match provider.was_delivered(&message.idempotency_key).await {
            Some(true) => store::outbox::mark_sent(store, message.id).await?,
            Some(false) => store::outbox::mark_retry(store, message.id, pki::time::now_unix(), "interrupted before delivery").await?,
            None => {
                store::outbox::mark_failed(
                    store,
                    message.id,
                    "interrupted while sending and the provider cannot tell whether it arrived; not resent automatically",
                )
                .await?
            }
        }
    }
    let mut sent = 0;
    loop {
        let batch = store::outbox::claim_due(store, CLAIM_SECONDS, 32).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        for message in batch {
            sent += usize::from(
                deliver_one(store, deliverers.for_channel(&message.channel), &message).await?,
            );
        }
    }
}

async fn deliver_one(
    store: &Store,
    provider: &dyn Provider,
    message: &MessageRecord,
) -> Result<bool, ServiceError> {
    match provider.send(message).await {
        Ok(()) => {
            store::outbox::mark_sent(store, message.id).await?;
            tracing::info!(id = message.id, channel = %message.channel, template = %message.template, provider = provider.name(), "message delivered");
            Ok(true)
        }
        Err(e) if e.retryable && message.attempts < MAX_ATTEMPTS => {
            let next = pki::time::now_unix() + backoff_seconds(message.attempts);
            tracing::warn!(id = message.id, attempt = message.attempts, reason = %e.reason, "delivery failed; will retry");
            store::outbox::mark_retry(store, message.id, next, &e.reason).await?;
            Ok(false)
        }
        Err(e) => {
            tracing::error!(id = message.id, attempt = message.attempts, reason = %e.reason, "delivery failed for good");
            store::outbox::mark_failed(store, message.id, &e.reason).await?;
            Ok(false)
        }
    }
}

/// The worker of `serve`: a round every second.
pub async fn run(store: Store, deliverers: Arc<Deliverers>) {
    loop {
        if let Err(e) = deliver_due(&store, &deliverers).await {
            tracing::error!(error = %e, "outbox delivery round failed");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
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
