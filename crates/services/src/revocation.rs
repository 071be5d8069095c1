//! Revoking certificates, putting them on hold and releasing holds.

use std::time::Instant;

use domain::{CertificateStatus, RevocationEvent};
use pki::RevocationReason;
use pki::serial::Serial;
use store::audit::AuditEvent;

use crate::actor::Actor;
use crate::{ErrorKind, Pki, ServiceError, metrics};

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

impl Pki {
    /// Applies `reason` to the certificate with `serial`: revoke (any RFC 5280 reason),
    /// hold (`certificateHold`) or release a hold (`removeFromCRL`). The CRL is republished
    /// by the publisher shortly after, not inside this call.
    pub async fn revoke(
        &self,
        serial: &str,
        reason: RevocationReason,
        actor: &Actor,
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
        let mut tx = self.store.begin_write().await?;
        let record = store::certificates::find_by_serial_for_update(&mut tx, &serial)
            .await?
            .ok_or_else(|| {
                ServiceError::new(
                    ErrorKind::NotFound,
                    "unknown_serial",
                    format!("no certificate with serial {serial}"),
                    format!("没有序列号为 {serial} 的证书"),
                )
                .with_field("serial")
            })?;
        let ca = self
            .registry
            .by_id(record.ca_id)
            .ok_or_else(|| ServiceError::internal("revocation", "certificate of an unknown CA"))?;
        actor.check_ca(&ca.name)?;
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
        let now = pki::time::now_unix();
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
        store::audit::append(
            &mut tx,
            &AuditEvent {
                actor: actor.label(),
                action: match event {
                    RevocationEvent::Revoke => "certificate.revoke",
                    RevocationEvent::Hold => "certificate.hold",
                    RevocationEvent::Release => "certificate.release",
                }
                .into(),
                object: format!("certificate:{serial}"),
                details: serde_json::json!({
                    "ca": ca.name, "reason": reason.as_str(), "from": from.as_str(), "to": to.as_str(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        self.ocsp.invalidate(&serial);
        self.revocations_changed.notify_one();
        metrics::record_revocation(reason.as_str(), started.elapsed());
        Ok(Revoked {
            serial,
            ca: ca.name.clone(),
            status: to,
            reason,
            revoked_at,
        })
    }
}
