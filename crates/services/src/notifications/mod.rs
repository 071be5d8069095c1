//! Notifications (SMS and e-mail) through a durable outbox.
//!
//! A use case enqueues a message with [`enqueue`] inside its own transaction, so the
//! message exists exactly when the event does. The worker ([`worker`]) delivers through a
//! [`provider::Provider`] with retries and exponential backoff. Each message carries an
//! idempotency key derived from its event: the same event never queues two messages, and a
//! send interrupted by a crash is resent only when the provider can tell it did not arrive.

pub mod provider;
pub mod sms_gateway;
pub mod smtp;
pub mod templates;
pub mod worker;

use store::WriteTx;
use store::outbox::NewMessage;

pub use templates::{Lang, Template};

use store::audit::AuditEvent;

use crate::actor::Actor;
use crate::{ErrorKind, ServiceError};

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Sms(domain::PhoneNumber),
    Email(String),
}

impl Recipient {
    pub fn channel(&self) -> &'static str {
        match self {
            Recipient::Sms(_) => "sms",
            Recipient::Email(_) => "email",
        }
    }

    fn address(&self) -> String {
        match self {
            Recipient::Sms(phone) => phone.as_str().to_string(),
            Recipient::Email(address) => address.clone(),
        }
    }
}

/// Renders `template` in `lang` and queues it for `to` in the caller's transaction.
/// `event_key` names the causing event (e.g. `sms-code:42`); with the recipient it makes
/// the idempotency key. Returns false when that message was already queued.
pub async fn enqueue(
    tx: &mut WriteTx,
    to: &Recipient,
    template: &Template,
    lang: Lang,
    event_key: &str,
) -> Result<bool, ServiceError> {
    let rendered = template.render(lang);
    let message = NewMessage {
        channel: to.channel().into(),
        recipient: to.address(),
        template: template.name().into(),
        subject: rendered.subject,
        text: rendered.text,
        sensitive: template.is_sensitive(),
        idempotency_key: format!("{event_key}/{}:{}", to.channel(), to.address()),
    };
    Ok(store::outbox::enqueue(tx, &message).await?.is_some())
}

/// Puts a failed message back in the queue (an administrator's decision, audited).
pub async fn retry_failed(
    store: &store::Store,
    id: i64,
    actor: &Actor,
) -> Result<(), ServiceError> {
    let mut tx = store.begin_write().await?;
    if !store::outbox::retry_failed(&mut tx, id).await? {
        return Err(ServiceError::new(
            ErrorKind::NotFound,
            "unknown_message",
            format!("no failed message with id {id}"),
            format!("没有编号为 {id} 的发送失败消息"),
        )
        .with_field("id"));
    }
    store::audit::append(
        &mut tx,
        &AuditEvent {
            actor: actor.label(),
            action: "outbox.retry".into(),
            object: format!("message:{id}"),
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues a test message to `to` (audited); the worker delivers it.
pub async fn send_test(
    store: &store::Store,
    to: &Recipient,
    organisation: &str,
    actor: &Actor,
) -> Result<(), ServiceError> {
    let mut tx = store.begin_write().await?;
    let seq = store::audit::append(
        &mut tx,
        &AuditEvent {
            actor: actor.label(),
            action: "outbox.test".into(),
            object: format!("{}:{}", to.channel(), to.address()),
            details: serde_json::json!({}),
        },
    )
    .await?;
    // The audit event is the causing event: its sequence number keys the message.
    enqueue(
        &mut tx,
        to,
        &Template::Test {
            organisation: organisation.into(),
        },
        Lang::Zh,
        &format!("test:{seq}"),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
