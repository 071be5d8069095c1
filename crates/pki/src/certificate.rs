//! Building and signing certificates.

use der::asn1::BitString;
use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::name::Name;
use x509_cert::time::Validity;

use crate::name::SubjectFields;
use crate::profile::{ExtensionInputs, Profile, PublicationUrls, key_identifier};
use crate::serial::Serial;
use domain::UnixTime;

use crate::time::{unix_of, x509_time};
use crate::{PkiError, Signer};

/// Certificates start a minute in the past, to absorb clock skew on relying parties.
pub const BACKDATE_SECONDS: i64 = 60;

/// A certificate authority as the issuance code sees it: its certificate and its key.
pub struct Issuer<'a> {
    pub certificate: &'a Certificate,
    pub signer: &'a dyn Signer,
    /// Where this CA publishes (used in the AIA and CRL DP of what it signs).
    pub urls: &'a PublicationUrls,
}

/// Everything a new certificate needs besides its issuer.
pub struct CertificateOrder<'a> {
    pub profile: Profile,
    pub subject: &'a SubjectFields,
    pub public_key: &'a SubjectPublicKeyInfoOwned,
    pub serial: &'a Serial,
    /// Requested validity in days (`None` for the profile's default).
    pub days: Option<u32>,
    pub policy_oid: der::asn1::ObjectIdentifier,
}

/// A signed certificate with the facts the store keeps about it.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    pub der: Vec<u8>,
    pub subject: String,
    pub not_before: i64,
    pub not_after: i64,
}

fn validity_days(profile: Profile, days: Option<u32>) -> Result<u32, PkiError> {
    let days = days.unwrap_or(profile.default_days());
    if days == 0 || days > profile.max_days() {
        return Err(PkiError::Subject {
            field: "days".into(),
            reason: format!(
                "validity must be 1 to {} days for profile {}",
                profile.max_days(),
                profile.name()
            ),
        });
    }
    Ok(days)
}

/// Issues a certificate signed by `issuer`, valid from `now` (backdated a minute). The
/// validity never runs past the issuer's.
pub fn issue(
    issuer: &Issuer<'_>,
    order: &CertificateOrder<'_>,
    now: UnixTime,
) -> Result<IssuedCertificate, PkiError> {
    order.profile.check_subject(order.subject)?;
    let days = validity_days(order.profile, order.days)?;
    let family = crate::verify::key_family(order.public_key)?;
    let issuer_tbs = &issuer.certificate.tbs_certificate;
    let issuer_key_id = key_identifier(&issuer_tbs.subject_public_key_info);
    let now = now.seconds();
    let not_before = now - BACKDATE_SECONDS;
    let issuer_not_after = unix_of(&issuer_tbs.validity.not_after);
    let not_after = (now + i64::from(days) * 86_400).min(issuer_not_after);
    let extensions = order.profile.extensions(&ExtensionInputs {
        family,
        subject: order.subject,
        subject_key: order.public_key,
        issuer_key_id: &issuer_key_id,
        issuer_urls: Some(issuer.urls),
        policy_oid: order.policy_oid,
    })?;
    let subject = order.subject.to_name()?;
    sign(
        issuer.signer,
        issuer_tbs.subject.clone(),
        subject,
        order.public_key.clone(),
        order.serial,
        (not_before, not_after),
        extensions,
    )
}

/// Creates a self-signed root CA certificate valid from `now`.
pub fn self_signed_root(
    signer: &dyn Signer,
    subject: &SubjectFields,
    serial: &Serial,
    days: u32,
    now: UnixTime,
) -> Result<IssuedCertificate, PkiError> {
    let profile = Profile::RootCa;
    profile.check_subject(subject)?;
    let days = validity_days(profile, Some(days))?;
    let key_id = key_identifier(signer.public_key());
    let extensions = profile.extensions(&ExtensionInputs {
        family: signer.family(),
        subject,
        subject_key: signer.public_key(),
        issuer_key_id: &key_id,
        issuer_urls: None,
        policy_oid: crate::profile::ANY_POLICY,
    })?;
    let name = subject.to_name()?;
    let now = now.seconds();
    sign(
        signer,
        name.clone(),
        name,
        signer.public_key().clone(),
        serial,
        (now - BACKDATE_SECONDS, now + i64::from(days) * 86_400),
        extensions,
    )
}

fn sign(
    signer: &dyn Signer,
    issuer: Name,
    subject: Name,
    public_key: SubjectPublicKeyInfoOwned,
    serial: &Serial,
    (not_before, not_after): (i64, i64),
    extensions: Vec<x509_cert::ext::Extension>,
) -> Result<IssuedCertificate, PkiError> {
    let subject_text = crate::name::display(&subject);
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: serial.to_x509()?,
        signature: signer.signature_algorithm(),
        issuer,
        validity: Validity {
            not_before: x509_time(not_before)?,
            not_after: x509_time(not_after)?,
        },
        subject,
        subject_public_key_info: public_key,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der()?;
    let signature = signer.sign(&tbs_der)?;
    let certificate = Certificate {
        tbs_certificate: tbs,
        signature_algorithm: signer.signature_algorithm(),
        signature: BitString::from_bytes(&signature)?,
    };
    Ok(IssuedCertificate {
        der: certificate.to_der()?,
        subject: subject_text,
        not_before,
        not_after,
    })
}

/// Parses a DER certificate.
pub fn parse(der: &[u8]) -> Result<Certificate, PkiError> {
    Ok(Certificate::from_der(der)?)
}

/// The DER of a certificate given as PEM (`CERTIFICATE`); anything else is an encoding
/// error.
pub fn from_pem(text: &[u8]) -> Result<Vec<u8>, PkiError> {
    let (label, der) = der::pem::decode_vec(text.trim_ascii())
        .map_err(|e| PkiError::Encoding(format!("bad PEM: {e}")))?;
    if label != "CERTIFICATE" {
        return Err(PkiError::Encoding(format!(
            "PEM label is {label:?}, expected \"CERTIFICATE\""
        )));
    }
    Ok(der)
}

/// PEM text of a DER certificate.
pub fn to_pem(der: &[u8]) -> Result<String, PkiError> {
    Ok(der::pem::encode_string(
        "CERTIFICATE",
        der::pem::LineEnding::LF,
        der,
    )?)
}

/// Lowercase hex SHA-256 of DER bytes (certificate fingerprints).
pub fn sha256_hex(der: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der))
}
