//! OCSP (RFC 6960): parsing requests and signing responses.

use const_oid::db::rfc6960::ID_PKIX_OCSP_NONCE;
use der::asn1::{Null, OctetString};
use der::{Decode, Encode};
use x509_cert::certificate::Certificate;
use x509_cert::ext::Extension;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus,
    ResponderId, ResponseData, RevokedInfo, SingleResponse, Version,
};

use crate::time::generalized_time;
use crate::{PkiError, RevocationReason, Signer, oids};

/// Largest request body CertHall reads.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;
/// Most certificates asked about in one request.
pub const MAX_ITEMS: usize = 16;
/// RFC 8954: nonces are 1 to 32 octets.
pub const MAX_NONCE_LEN: usize = 32;

/// A request that parsed and is within limits.
#[derive(Debug, Clone)]
pub struct ParsedRequest {
    pub ids: Vec<CertId>,
    /// The nonce extension to echo, if the client sent one.
    pub nonce: Option<Extension>,
}

/// The status of one certificate, as the responder's caller found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertState {
    Good,
    Revoked { at: i64, reason: RevocationReason },
    Unknown,
}

/// Parses a DER request. Any error means `malformedRequest`.
pub fn parse_request(der: &[u8]) -> Result<ParsedRequest, PkiError> {
    if der.len() > MAX_REQUEST_BYTES {
        return Err(PkiError::Encoding("OCSP request too large".into()));
    }
    let request = OcspRequest::from_der(der)?;
    let tbs = request.tbs_request;
    if tbs.request_list.is_empty() || tbs.request_list.len() > MAX_ITEMS {
        return Err(PkiError::Encoding(format!(
            "an OCSP request asks about 1 to {MAX_ITEMS} certificates"
        )));
    }
    let nonce = match tbs.request_extensions {
        Some(exts) => exts.into_iter().find(|e| e.extn_id == ID_PKIX_OCSP_NONCE),
        None => None,
    };
    if let Some(n) = &nonce {
        // The value is an OCTET STRING inside the extension's OCTET STRING.
        let inner = OctetString::from_der(n.extn_value.as_bytes())?;
        if inner.as_bytes().is_empty() || inner.as_bytes().len() > MAX_NONCE_LEN {
            return Err(PkiError::Encoding(
                "OCSP nonce must be 1 to 32 octets".into(),
            ));
        }
    }
    Ok(ParsedRequest {
        ids: tbs.request_list.into_iter().map(|r| r.req_cert).collect(),
        nonce,
    })
}

/// The hashes a CertID identifies its issuer by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerHashes {
    pub name: Vec<u8>,
    pub key: Vec<u8>,
}

/// The issuer name and key hashes of `issuer` under the CertID hash `algorithm`, or `None`
/// for a hash CertHall does not answer for.
pub fn issuer_hashes(
    issuer: &Certificate,
    algorithm: &der::asn1::ObjectIdentifier,
) -> Result<Option<IssuerHashes>, PkiError> {
    let digest = match *algorithm {
        oids::SHA1 => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        oids::SHA256 => &aws_lc_rs::digest::SHA256,
        _ => return Ok(None),
    };
    let name = issuer.tbs_certificate.subject.to_der()?;
    let key = issuer
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    Ok(Some(IssuerHashes {
        name: aws_lc_rs::digest::digest(digest, &name).as_ref().to_vec(),
        key: aws_lc_rs::digest::digest(digest, key).as_ref().to_vec(),
    }))
}

/// A signing responder: a delegated OCSP certificate of a CA and its key.
pub struct Responder<'a> {
    pub certificate: &'a Certificate,
    pub signer: &'a dyn Signer,
}

/// Signs a successful response with one SingleResponse per answer.
pub fn sign_response(
    responder: &Responder<'_>,
    answers: &[(CertId, CertState)],
    nonce: Option<&Extension>,
    produced_at: i64,
    next_update: i64,
) -> Result<Vec<u8>, PkiError> {
    let this_update = generalized_time(produced_at)?;
    let next = generalized_time(next_update)?;
    let responses = answers
        .iter()
        .map(|(id, state)| {
            let cert_status = match state {
                CertState::Good => CertStatus::Good(Null),
                CertState::Unknown => CertStatus::Unknown(Null),
                CertState::Revoked { at, reason } => CertStatus::Revoked(RevokedInfo {
                    revocation_time: generalized_time(*at)?.into(),
                    revocation_reason: (*reason != RevocationReason::Unspecified)
                        .then(|| reason.to_crl_reason()),
                }),
            };
            Ok(SingleResponse {
                cert_id: id.clone(),
                cert_status,
                this_update: this_update.into(),
                next_update: Some(next.into()),
                single_extensions: None,
            })
        })
        .collect::<Result<Vec<_>, PkiError>>()?;
    let key_hash = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        responder
            .certificate
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes(),
    );
    let data = ResponseData {
        version: Version::V1,
        responder_id: ResponderId::ByKey(OctetString::new(key_hash.as_ref())?),
        produced_at: this_update.into(),
        responses,
        response_extensions: nonce.map(|n| vec![n.clone()]),
    };
    let signature = responder.signer.sign(&data.to_der()?)?;
    let basic = BasicOcspResponse {
        tbs_response_data: data,
        signature_algorithm: responder.signer.signature_algorithm(),
        signature: der::asn1::BitString::from_bytes(&signature)?,
        certs: Some(vec![responder.certificate.clone()]),
    };
    Ok(OcspResponse::successful(basic)?.to_der()?)
}

/// An unsigned error response (`malformedRequest`, `unauthorized`, `tryLater`, ...).
pub fn error_response(status: OcspResponseStatus) -> Vec<u8> {
    OcspResponse {
        response_status: status,
        response_bytes: None,
    }
    .to_der()
    .unwrap_or_else(|_| vec![0x30, 0x03, 0x0a, 0x01, status as u8])
}

pub use x509_ocsp::OcspResponseStatus as ResponseStatus;
