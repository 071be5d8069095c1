//! Revoking certificates, putting them on hold and releasing holds: the model every use
//! case that changes a state follows. One transaction reads the certificate, asks the
//! state machine (`domain::CertificateStatus::apply`: Valid → Revoked, Valid → OnHold,
//! OnHold → Revoked, OnHold → Valid) whether the change is allowed, writes it, and appends
//! the audit event; after the commit the OCSP cache forgets the serial and the CRL
//! publisher is woken. The CRL is never rebuilt inside the request.

use std::time::Instant;

use domain::{AuditAction, CertificateStatus, RevocationEvent};
use pki::RevocationReason;
use pki::serial::Serial;

use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError, metrics};

/// The result of a revocation request.
#[derive(Debug, Clone)]
pub struct Revoked {
    pub serial: String,
    pub ca: String,
    pub status: CertificateStatus,
    pub reason: RevocationReason,
    pub revoked_at: Option<i64>,
}

fn status_of(reason: Option<i64>) -> CertificateStatus {
    match reason {
        None => CertificateStatus::Valid,
        Some(code) if code == i64::from(RevocationReason::CertificateHold.code()) => {
            CertificateStatus::OnHold
        }
        Some(_) => CertificateStatus::Revoked,
    }
}

/// Applies `reason` to the certificate with `serial`: revoke (any RFC 5280 reason), hold
/// (`certificateHold`) or release a hold (`removeFromCRL`). The CRL is republished by the
/// publisher shortly after, not inside this call.
pub async fn revoke(
    app: &App,
    actor: &Actor,
    serial: &str,
    reason: RevocationReason,
) -> Result<Revoked, ServiceError> {
    let started = Instant::now();
    let serial = Serial::from_hex(serial)
        .map_err(|e| {
            ServiceError::new(
                ErrorKind::Invalid,
                "invalid_serial",
                e.to_string(),
                "证书序列号格式错误（应为十六进制）",
            )
            .with_field("serial")
        })?
        .to_hex();
    let event = match reason {
        RevocationReason::CertificateHold => RevocationEvent::Hold,
        RevocationReason::RemoveFromCrl => RevocationEvent::Release,
        _ => RevocationEvent::Revoke,
    };
    let engine = app.ca().await?;
    let mut tx = app.store.begin_write().await?;
    let record = store::certificates::find_by_serial_for_update(&mut tx, &serial)
        .await?
        .ok_or_else(|| super::certificates::unknown_serial(&serial))?;
    let ca = engine
        .registry
        .by_id(record.ca_id)
        .ok_or_else(|| ServiceError::internal("revocation", "certificate of an unknown CA"))?;
    // Outside the actor's scope of CAs and profiles a certificate is "not found", exactly
    // as a serial that does not exist: the answer tells a stranger nothing.
    actor
        .check_certificate(&ca.name, &record.profile)
        .map_err(|_| super::certificates::unknown_serial(&serial))?;
    let from = status_of(record.reason);
    let to = from.apply(event).map_err(|e| {
        ServiceError::new(
            ErrorKind::Conflict,
            "invalid_transition",
            e.to_string(),
            e.message_zh(),
        )
        .with_field("serial")
    })?;
    let now = tx.now().seconds();
    let revoked_at = match to {
        CertificateStatus::Valid => {
            store::revocations::delete(&mut tx, record.id).await?;
            None
        }
        _ => {
            // A hold made permanent keeps the date the certificate stopped being trusted.
            let at = if from == CertificateStatus::OnHold {
                record.revoked_at.unwrap_or(now)
            } else {
                now
            };
            store::revocations::upsert(
                &mut tx,
                record.id,
                record.ca_id,
                &serial,
                at,
                i64::from(reason.code()),
            )
            .await?;
            Some(at)
        }
    };
    store::cas::bump_revocation_epoch(&mut tx, record.ca_id).await?;
    let action = match event {
        RevocationEvent::Revoke => AuditAction::CertificateRevoke,
        RevocationEvent::Hold => AuditAction::CertificateHold,
        RevocationEvent::Release => AuditAction::CertificateRelease,
    };
    crate::audit::record(
        &mut tx,
        actor,
        action,
        format!("certificate:{serial}"),
        serde_json::json!({
            "ca": ca.name, "reason": reason.as_str(), "from": from.as_str(), "to": to.as_str(),
        }),
    )
    .await?;
    tx.commit().await?;
    engine.ocsp.invalidate(&serial);
    engine.revocations_changed.notify_one();
    metrics::record_revocation(reason.as_str(), started.elapsed());
    Ok(Revoked {
        serial,
        ca: ca.name.clone(),
        status: to,
        reason,
        revoked_at,
    })
}
