//! An SMS and e-mail service in memory, for demos and in-process tests: it behaves like a
//! real gateway that deduplicates by idempotency key. A message it accepted is kept in its
//! inbox (tests read codes there) and a second send with the same key delivers nothing
//! more; it can say afterwards whether a key was delivered; and it can be told to fail the
//! way real services fail: unavailable for a while (retry later) or refusing a recipient.

use std::collections::VecDeque;
use std::sync::Mutex;

use futures_util::future::BoxFuture;

use super::{DeliveryError, Message, Notifier};

/// How the next sends fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A timeout or a 5xx: worth trying again.
    Unavailable,
    /// A 4xx refusal (bad number, blocked recipient): not worth trying again.
    Refused,
}

#[derive(Default)]
struct State {
    delivered: Vec<Message>,
    /// Failures to answer the next sends with, in order.
    failures: VecDeque<Failure>,
    /// Sends attempted, delivered or not.
    attempts: usize,
}

/// The in-memory service.
#[derive(Default)]
pub struct SandboxNotifier {
    state: Mutex<State>,
}

impl SandboxNotifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `count` sends fail with `failure`.
    pub fn fail_next(&self, count: usize, failure: Failure) {
        let mut state = self.lock();
        state.failures.extend(std::iter::repeat_n(failure, count));
    }

    /// Everything delivered, oldest first.
    pub fn delivered(&self) -> Vec<Message> {
        self.lock().delivered.clone()
    }

    /// What was delivered to `to`, oldest first.
    pub fn delivered_to(&self, to: &str) -> Vec<Message> {
        self.lock()
            .delivered
            .iter()
            .filter(|m| m.to == to)
            .cloned()
            .collect()
    }

    /// Sends attempted so far (failed ones included).
    pub fn attempts(&self) -> usize {
        self.lock().attempts
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A test that panicked while holding the lock leaves the data usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Notifier for SandboxNotifier {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let mut state = self.lock();
            state.attempts += 1;
            match state.failures.pop_front() {
                Some(Failure::Unavailable) => {
                    return Err(DeliveryError::retryable(
                        "sandbox: service unavailable (503)",
                    ));
                }
                Some(Failure::Refused) => {
                    return Err(DeliveryError::refused(format!(
                        "sandbox: recipient {} refused (400)",
                        message.to
                    )));
                }
                None => {}
            }
            let known = state
                .delivered
                .iter()
                .any(|m| m.idempotency_key == message.idempotency_key);
            if !known {
                state.delivered.push(message.clone());
            }
            Ok(())
        })
    }

    /// Like a gateway with a status query: it knows what it delivered.
    fn was_delivered<'a>(&'a self, idempotency_key: &'a str) -> BoxFuture<'a, Option<bool>> {
        Box::pin(async move {
            Some(
                self.lock()
                    .delivered
                    .iter()
                    .any(|m| m.idempotency_key == idempotency_key),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::MessageKind;

    fn message(key: &str) -> Message {
        Message {
            kind: MessageKind::Sms,
            to: "13800138000".into(),
            template: "test".into(),
            subject: String::new(),
            text: "测试".into(),
            idempotency_key: key.into(),
        }
    }

    #[tokio::test]
    async fn delivers_once_per_key_and_fails_when_told() {
        let sandbox = SandboxNotifier::new();
        sandbox.send(&message("a")).await.unwrap();
        sandbox.send(&message("a")).await.unwrap();
        assert_eq!(sandbox.delivered_to("13800138000").len(), 1, "deduplicated");
        assert_eq!(sandbox.was_delivered("a").await, Some(true));
        assert_eq!(sandbox.was_delivered("b").await, Some(false));

        sandbox.fail_next(1, Failure::Unavailable);
        sandbox.fail_next(1, Failure::Refused);
        assert!(sandbox.send(&message("b")).await.unwrap_err().retryable);
        assert!(!sandbox.send(&message("b")).await.unwrap_err().retryable);
        sandbox.send(&message("b")).await.unwrap();
        assert_eq!(sandbox.delivered().len(), 2);
        assert_eq!(sandbox.attempts(), 5);
    }
}
