//! 我的证书: the certificates produced for the customer's applications, with their holder,
//! validity, status and the USB key that carries each, and their download (PEM, DER, CER).
//! A certificate is the customer's when it was produced for one of their applications;
//! another's is "not found", exactly like a serial that does not exist.

use domain::CertificateStatus;
use pki::RevocationReason;

use crate::people::accounts::CustomerSession;
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// A certificate of the customer's.
#[derive(Debug, Clone)]
pub struct MyCertificate {
    pub serial: String,
    pub subject: String,
    pub not_before: i64,
    pub not_after: i64,
    pub status: CertificateStatus,
    pub revoked_at: Option<i64>,
    pub reason: Option<RevocationReason>,
    /// The issuing CA and the profile it was issued under.
    pub ca: String,
    pub profile: String,
    /// The USB key that carries it (its serial number and model).
    pub key_serial: String,
    pub key_model: String,
    pub application_id: i64,
    /// The application's number (SQ…) and the channel it was made for.
    pub application_number: String,
    pub channel_code: String,
    pub produced_at: i64,
    pub der: Vec<u8>,
}

impl MyCertificate {
    /// The holder's name: the subject's CN.
    pub fn holder(&self) -> &str {
        self.subject
            .split(',')
            .find_map(|part| part.trim().strip_prefix("CN="))
            .unwrap_or(&self.subject)
    }

    /// Lowercase hex SHA-256 of the certificate, as relying systems pin it.
    pub fn sha256(&self) -> String {
        pki::certificate::sha256_hex(&self.der)
    }
}

fn not_found(serial: &str) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        "unknown_serial",
        format!("no certificate {serial} of yours"),
        "证书不存在",
    )
}

/// The customer's certificates, newest first.
pub async fn mine(
    app: &App,
    customer: &CustomerSession,
) -> Result<Vec<MyCertificate>, ServiceError> {
    let mut list = Vec::new();
    for produced in
        store::production_jobs::produced_for_customer(&app.store, customer.customer_id).await?
    {
        // Looked up for the system: the customer holds no CA role; ownership is the join.
        let found =
            crate::ca::certificates::find(app, &Actor::System, &produced.certificate_serial)
                .await?;
        list.push(MyCertificate {
            serial: found.serial,
            subject: found.subject,
            not_before: found.not_before,
            not_after: found.not_after,
            status: found.status,
            revoked_at: found.revoked_at,
            reason: found.reason,
            ca: found.ca,
            profile: found.profile,
            key_serial: produced.key_serial,
            key_model: produced.key_model,
            application_id: produced.application_id,
            application_number: super::application::number(
                produced.application_id,
                produced.application_created_at,
            ),
            channel_code: produced.channel_code,
            produced_at: produced.produced_at,
            der: found.der,
        });
    }
    Ok(list)
}

/// The customer's certificate `serial` (case and leading zeros as listed).
pub async fn one(
    app: &App,
    customer: &CustomerSession,
    serial: &str,
) -> Result<MyCertificate, ServiceError> {
    mine(app, customer)
        .await?
        .into_iter()
        .find(|c| c.serial.eq_ignore_ascii_case(serial))
        .ok_or_else(|| not_found(serial))
}
