//! Delivering notifications: one trait, [`Notifier`], for SMS and e-mail alike.
//!
//! Adapters: [`file::FileNotifier`] (the default: one JSON line per message in a file),
//! [`smtp::SmtpNotifier`], [`sms_gateway::HttpSmsGateway`] (a signed JSON POST), and the
//! in-memory [`sandbox::SandboxNotifier`].

pub mod file;
pub mod sandbox;
pub mod sms_gateway;
pub mod smtp;

use domain::MessageKind;
use futures_util::future::BoxFuture;

/// A message to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: MessageKind,
    /// A mainland mobile number or an e-mail address.
    pub to: String,
    /// The template's name, e.g. `verification_code.register`.
    pub template: String,
    /// E-mail subject; empty for SMS.
    pub subject: String,
    pub text: String,
    /// One per causing event; the same key is the same message.
    pub idempotency_key: String,
}

/// Why a delivery did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    /// Worth trying again later (a timeout, a 5xx), as opposed to a refusal (a bad address).
    pub retryable: bool,
    pub reason: String,
}

impl DeliveryError {
    pub fn retryable(reason: impl Into<String>) -> Self {
        DeliveryError {
            retryable: true,
            reason: reason.into(),
        }
    }

    pub fn refused(reason: impl Into<String>) -> Self {
        DeliveryError {
            retryable: false,
            reason: reason.into(),
        }
    }
}

/// A way to deliver messages of one kind.
pub trait Notifier: Send + Sync {
    /// A short name for logs and the outbox listing.
    fn name(&self) -> &'static str;

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<(), DeliveryError>>;

    /// After a send was interrupted: `Some(true)` when the message with this idempotency
    /// key was delivered; `Some(false)` when it was not, or when sending again cannot
    /// deliver it twice (a gateway that deduplicates by key); `None` when the provider
    /// cannot tell (then it is not resent automatically, so a message never goes out twice).
    fn was_delivered<'a>(&'a self, idempotency_key: &'a str) -> BoxFuture<'a, Option<bool>>;
}
