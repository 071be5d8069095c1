//! Looking up an issued certificate and its status (`GET /api/v1/certificates/{serial}`):
//! a token sees only certificates of the CAs and profiles in its scope; others look like
//! missing ones, so serials outside the scope cannot be probed (revocation answers the
//! same way).

use domain::CertificateStatus;
use pki::RevocationReason;
use pki::serial::Serial;

use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// A certificate as a relying system sees it (also what issuance returns).
#[derive(Debug, Clone)]
pub struct CertificateInfo {
    pub serial: String,
    pub ca: String,
    pub profile: String,
    pub subject: String,
    pub not_before: i64,
    pub not_after: i64,
    pub status: CertificateStatus,
    pub revoked_at: Option<i64>,
    pub reason: Option<RevocationReason>,
    pub der: Vec<u8>,
}

/// "No certificate with that serial", naming the field.
pub(crate) fn unknown_serial(serial: &str) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        "unknown_serial",
        format!("no certificate with serial {serial}"),
        format!("没有序列号为 {serial} 的证书"),
    )
    .with_field("serial")
}

/// The certificate with `serial` (hexadecimal, colons allowed).
pub async fn find(app: &App, actor: &Actor, serial: &str) -> Result<CertificateInfo, ServiceError> {
    let not_found = || unknown_serial(serial);
    let canonical = Serial::from_hex(serial).map_err(|_| not_found())?.to_hex();
    let record = store::certificates::find_by_serial(&app.store, &canonical)
        .await?
        .ok_or_else(not_found)?;
    let engine = app.ca().await?;
    let ca = engine.registry.by_id(record.ca_id).ok_or_else(not_found)?;
    actor
        .check_certificate(&ca.name, &record.profile)
        .map_err(|_| not_found())?;
    let reason = record
        .reason
        .and_then(|c| u8::try_from(c).ok())
        .and_then(RevocationReason::from_code);
    let status = match reason {
        None => CertificateStatus::Valid,
        Some(RevocationReason::CertificateHold) => CertificateStatus::OnHold,
        Some(_) => CertificateStatus::Revoked,
    };
    Ok(CertificateInfo {
        serial: record.serial,
        ca: ca.name.clone(),
        profile: record.profile,
        subject: record.subject,
        not_before: record.not_before,
        not_after: record.not_after,
        status,
        revoked_at: record.revoked_at,
        reason,
        der: record.der,
    })
}
