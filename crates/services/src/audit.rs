//! The audit log: every state change appends its event in its own transaction
//! ([`record`]); administrators read the log ([`list`]) and check its hash chain
//! ([`verify`]).

use domain::{AuditAction, AuditEntry, AuditFilter, Role};
use store::WriteTx;
use store::audit::AuditEvent;

pub use store::audit::ChainReport;

use crate::people::actor::Actor;
use crate::{App, ServiceError};

/// Longest object name and text value an event keeps: a stranger's 60 KB "username" is
/// not written to the log whole.
const MAX_OBJECT_CHARS: usize = 200;
const MAX_VALUE_CHARS: usize = 1000;

/// `value` with every string in it clipped to [`MAX_VALUE_CHARS`].
fn bounded(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(domain::text::clip(&text, MAX_VALUE_CHARS).into()),
        Value::Array(items) => Value::Array(items.into_iter().map(bounded).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (domain::text::clip(&k, MAX_OBJECT_CHARS).into(), bounded(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Appends the event "`actor` did `action` to `object`" in the caller's transaction;
/// returns its sequence number. Every text in it is bounded first.
pub async fn record(
    tx: &mut WriteTx,
    actor: &Actor,
    action: AuditAction,
    object: impl Into<String>,
    details: serde_json::Value,
) -> Result<i64, ServiceError> {
    Ok(store::audit::append(
        tx,
        &AuditEvent {
            actor: domain::text::clip(&actor.label(), MAX_OBJECT_CHARS).into(),
            action,
            object: domain::text::clip(&object.into(), MAX_OBJECT_CHARS).into(),
            details: bounded(details),
        },
    )
    .await?)
}

/// Events matching `query`, newest first, at most `limit` (administrators).
pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditEntry>, ServiceError> {
    actor.require_any(&[Role::Admin])?;
    Ok(store::audit::list(&app.store, filter, limit).await?)
}

/// Walks the whole chain and reports the first broken link (administrators).
pub async fn verify(app: &App, actor: &Actor) -> Result<ChainReport, ServiceError> {
    actor.require_any(&[Role::Admin])?;
    Ok(store::audit::verify(&app.store).await?)
}
