//! 我的证书: the certificates produced for the customer's applications, with their holder,
//! validity, status and the USB key that carries each, and their download (PEM, DER, CER).
//! A certificate is the customer's when it was produced for one of their applications;
//! another's is "not found", exactly like a serial that does not exist.

use domain::CertificateStatus;

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
    /// The USB key that carries it (its serial number).
    pub key_serial: String,
    pub application_id: i64,
    pub der: Vec<u8>,
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
            key_serial: produced.key_serial,
            application_id: produced.application_id,
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
