//! The audit log: every state change appends its event in its own transaction
//! ([`record`]); administrators read the log ([`list`]) and check its hash chain
//! ([`verify`]).

use domain::{AuditAction, AuditEntry, AuditFilter, Role};
use store::WriteTx;
use store::audit::AuditEvent;

pub use store::audit::ChainReport;

use crate::people::actor::Actor;
use crate::{App, ServiceError};

/// Appends the event "`actor` did `action` to `object`" in the caller's transaction;
/// returns its sequence number.
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
            actor: actor.label(),
            action,
            object: object.into(),
            details,
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
