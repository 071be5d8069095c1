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
/// the idempotency key. Returns false when that message was already queued. A sensitive
/// template (a code, a link that logs in, a PIN) goes through [`enqueue_secret`] instead.
pub async fn enqueue(
    tx: &mut WriteTx,
    to: &Recipient,
    template: &Template,
    lang: Lang,
    event_key: &str,
) -> Result<bool, ServiceError> {
    if template.is_sensitive() {
        return Err(ServiceError::internal(
            "outbox",
            "a sensitive message is queued sealed (enqueue_secret)",
        ));
    }
    queue(tx, to, template, lang, event_key, None).await
}

/// [`enqueue`] for a sensitive template: its text is sealed in the outbox (AES-256-GCM under
/// `outbox v1`, bound to the message's idempotency key), opened only to be delivered, and
/// cleared once delivered, so that it is never in the database in clear (not even in a
/// journal's old pages).
pub async fn enqueue_secret(
    app: &App,
    tx: &mut WriteTx,
    to: &Recipient,
    template: &Template,
    lang: Lang,
    event_key: &str,
) -> Result<bool, ServiceError> {
    queue(
        tx,
        to,
        template,
        lang,
        event_key,
        Some(app.secrets.outbox()),
    )
    .await
}

/// The prefix of a sealed text in the outbox.
const SEALED: &str = "sealed:v1:";

async fn queue(
    tx: &mut WriteTx,
    to: &Recipient,
    template: &Template,
    lang: Lang,
    event_key: &str,
    seal_with: Option<&pki::sealed::MasterKey>,
) -> Result<bool, ServiceError> {
    let rendered = template.render(lang);
    let kind = to.kind();
    let idempotency_key = format!("{event_key}/{}:{}", kind.as_str(), to.address());
    let text = match seal_with {
        Some(key) => {
            let sealed = key
                .seal(idempotency_key.as_bytes(), rendered.text.as_bytes())
                .map_err(|e| ServiceError::internal("seal", e))?;
            format!("{SEALED}{}", hex::encode(sealed))
        }
        None => rendered.text,
    };
    let message = NewMessage {
        kind,
        recipient: to.address(),
        template: template.name().into(),
        subject: rendered.subject,
        text,
        sensitive: template.is_sensitive(),
        idempotency_key,
    };
    Ok(store::outbox::enqueue(tx, &message).await?.is_some())
}

/// The text of a queued message as it is to be sent: opened when sealed.
pub(crate) fn text_to_send(
    app: &App,
    idempotency_key: &str,
    stored: &str,
) -> Result<String, ServiceError> {
    let Some(sealed) = stored.strip_prefix(SEALED) else {
        return Ok(stored.to_string());
    };
    let bytes = hex::decode(sealed).map_err(|e| ServiceError::internal("outbox", e))?;
    let plain = app
        .secrets
        .outbox()
        .open(idempotency_key.as_bytes(), &bytes)
        .map_err(|e| ServiceError::internal("open", e))?;
    String::from_utf8(plain.to_vec()).map_err(|e| ServiceError::internal("outbox", e))
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
