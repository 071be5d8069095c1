//! Notifications (SMS and e-mail) through a durable outbox.
//!
//! A use case enqueues a message with [`enqueue`] inside its own transaction, so the
//! message exists exactly when the event does. The outbox job delivers it ([`delivery`])
//! through the configured `providers::notify::Notifier` with retries and exponential
//! backoff. Each message carries an idempotency key derived from its event: the same event
//! never queues two messages, and a send interrupted by a crash is resent only when the
//! provider can tell it did not arrive. Administrators list the messages and put failed
//! ones back in line ([`messages`], [`retry`]).

pub mod delivery;
pub mod templates;

use domain::{AuditAction, Lang, MessageEvent, MessageKind, MessageStatus, Role};
use store::WriteTx;
use store::outbox::NewMessage;

pub use templates::Template;

use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Sms(domain::PhoneNumber),
    Email(String),
}

impl Recipient {
    pub fn kind(&self) -> MessageKind {
        match self {
            Recipient::Sms(_) => MessageKind::Sms,
            Recipient::Email(_) => MessageKind::Email,
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
    let kind = to.kind();
    let message = NewMessage {
        kind,
        recipient: to.address(),
        template: template.name().into(),
        subject: rendered.subject,
        text: rendered.text,
        sensitive: template.is_sensitive(),
        idempotency_key: format!("{event_key}/{}:{}", kind.as_str(), to.address()),
    };
    Ok(store::outbox::enqueue(tx, &message).await?.is_some())
}

/// A message as administrators see it.
#[derive(Debug, Clone)]
pub struct MessageSummary {
    pub id: i64,
    pub kind: MessageKind,
    pub recipient: String,
    pub template: String,
    pub status: MessageStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// Messages, newest first, optionally only those with `status` (administrators).
pub async fn messages(
    app: &App,
    actor: &Actor,
    status: Option<MessageStatus>,
    limit: i64,
) -> Result<Vec<MessageSummary>, ServiceError> {
    actor.require_any(&[Role::Admin])?;
    Ok(store::outbox::list(&app.store, status, limit)
        .await?
        .into_iter()
        .map(|m| MessageSummary {
            id: m.id,
            kind: m.kind,
            recipient: m.recipient,
            template: m.template,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: m.created_at,
        })
        .collect())
}

/// Puts a failed message back in line (administrators; audited).
pub async fn retry(app: &App, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    actor.require_any(&[Role::Admin])?;
    let unknown = || {
        ServiceError::new(
            ErrorKind::NotFound,
            "unknown_message",
            format!("no failed message with id {id}"),
            format!("没有编号为 {id} 的发送失败消息"),
        )
        .with_field("id")
    };
    let requeue = MessageStatus::Failed.apply(MessageEvent::Requeue)?;
    let mut tx = app.store.begin_write().await?;
    match store::outbox::requeue(&mut tx, id, requeue).await {
        Ok(()) => {}
        Err(store::StoreError::LostRace { .. }) => return Err(unknown()),
        Err(e) => return Err(e.into()),
    }
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::OutboxRetry,
        format!("message:{id}"),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues a test message to `to` (administrators; audited); the outbox job delivers it.
pub async fn send_test(
    app: &App,
    actor: &Actor,
    to: &Recipient,
    organisation: &str,
) -> Result<(), ServiceError> {
    actor.require_any(&[Role::Admin])?;
    let mut tx = app.store.begin_write().await?;
    let seq = crate::audit::record(
        &mut tx,
        actor,
        AuditAction::OutboxTest,
        format!("{}:{}", to.kind().as_str(), to.address()),
        serde_json::json!({}),
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
