//! Certificate revocation lists, encoded by streaming.
//!
//! Entries are appended one by one as DER into a single buffer (about 40 bytes each), so a
//! CRL of a million entries needs tens of megabytes, not a million structs. The TBS is then
//! assembled around the buffer and signed once.

use der::asn1::{OctetString, UintRef};
use der::{Encode, Header, Length, Tag, TagNumber};
use x509_cert::certificate::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::AuthorityKeyIdentifier;

use crate::profile::key_identifier;
use crate::time::x509_time;
use crate::{PkiError, RevocationReason, Signer};

/// The revoked-certificate entries of one CRL, already DER-encoded.
#[derive(Default)]
pub struct CrlEntries {
    der: Vec<u8>,
    count: usize,
}

/// `Extensions` holding one reasonCode extension, with the code as the last byte.
const REASON_EXTENSIONS: [u8; 14] = [
    0x30, 0x0c, // SEQUENCE OF Extension
    0x30, 0x0a, // Extension
    0x06, 0x03, 0x55, 0x1d, 0x15, // id-ce-cRLReasons
    0x04, 0x03, // OCTET STRING
    0x0a, 0x01, 0x00, // ENUMERATED code
];

impl CrlEntries {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(entries: usize) -> Self {
        CrlEntries {
            der: Vec::with_capacity(entries * 42),
            count: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends one entry. `serial` is the serial's big-endian magnitude. `unspecified`
    /// carries no reason code (RFC 5280 §5.3.1); `removeFromCRL` belongs in delta CRLs only
    /// and is refused here.
    pub fn push(
        &mut self,
        serial: &[u8],
        revoked_at: i64,
        reason: RevocationReason,
    ) -> Result<(), PkiError> {
        if reason == RevocationReason::RemoveFromCrl {
            return Err(PkiError::Encoding(
                "removeFromCRL is not an entry of a full CRL".into(),
            ));
        }
        let serial = UintRef::new(serial)?;
        let time = x509_time(revoked_at)?;
        let with_reason = reason != RevocationReason::Unspecified;
        let body_len = (serial.encoded_len()?
            + time.encoded_len()?
            + Length::new(if with_reason {
                REASON_EXTENSIONS.len() as u16
            } else {
                0
            }))?;
        Header::new(Tag::Sequence, body_len)?.encode_to_vec(&mut self.der)?;
        serial.encode_to_vec(&mut self.der)?;
        time.encode_to_vec(&mut self.der)?;
        if with_reason {
            let mut ext = REASON_EXTENSIONS;
            ext[13] = reason.code();
            self.der.extend_from_slice(&ext);
        }
        self.count += 1;
        Ok(())
    }
}

/// The header facts of a CRL.
pub struct CrlInfo<'a> {
    /// The CA certificate whose key signs the CRL.
    pub issuer: &'a Certificate,
    pub crl_number: u64,
    pub this_update: i64,
    pub next_update: i64,
}

/// Assembles and signs a version 2 CRL; returns its DER.
pub fn sign_crl(
    info: &CrlInfo<'_>,
    entries: CrlEntries,
    signer: &dyn Signer,
) -> Result<Vec<u8>, PkiError> {
    let algorithm = signer.signature_algorithm().to_der()?;
    let issuer = info.issuer.tbs_certificate.subject.to_der()?;
    let this_update = x509_time(info.this_update)?.to_der()?;
    let next_update = x509_time(info.next_update)?.to_der()?;
    let number_bytes = info.crl_number.to_be_bytes();
    let extensions = vec![
        Extension {
            extn_id: const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
            critical: false,
            extn_value: OctetString::new(
                AuthorityKeyIdentifier {
                    key_identifier: Some(OctetString::new(key_identifier(
                        &info.issuer.tbs_certificate.subject_public_key_info,
                    ))?),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                }
                .to_der()?,
            )?,
        },
        Extension {
            extn_id: const_oid::db::rfc5280::ID_CE_CRL_NUMBER,
            critical: false,
            extn_value: OctetString::new(UintRef::new(&number_bytes)?.to_der()?)?,
        },
    ]
    .to_der()?;
    let explicit_0 = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::N0,
    };

    let mut head = Vec::with_capacity(512);
    head.extend_from_slice(&[0x02, 0x01, 0x01]); // version v2
    head.extend_from_slice(&algorithm);
    head.extend_from_slice(&issuer);
    head.extend_from_slice(&this_update);
    head.extend_from_slice(&next_update);
    if !entries.is_empty() {
        Header::new(Tag::Sequence, Length::try_from(entries.der.len())?)?
            .encode_to_vec(&mut head)?;
    }
    let mut tail = Vec::with_capacity(extensions.len() + 8);
    Header::new(explicit_0, Length::try_from(extensions.len())?)?.encode_to_vec(&mut tail)?;
    tail.extend_from_slice(&extensions);

    let content_len = head.len() + entries.der.len() + tail.len();
    let mut tbs = Vec::with_capacity(content_len + 8);
    Header::new(Tag::Sequence, Length::try_from(content_len)?)?.encode_to_vec(&mut tbs)?;
    tbs.extend_from_slice(&head);
    tbs.extend_from_slice(&entries.der);
    drop(entries);
    tbs.extend_from_slice(&tail);

    let signature = signer.sign(&tbs)?;
    let bit_string = der::asn1::BitString::from_bytes(&signature)?.to_der()?;
    let outer_len = tbs.len() + algorithm.len() + bit_string.len();
    let mut crl = Vec::with_capacity(outer_len + 8);
    Header::new(Tag::Sequence, Length::try_from(outer_len)?)?.encode_to_vec(&mut crl)?;
    crl.extend_from_slice(&tbs);
    drop(tbs);
    crl.extend_from_slice(&algorithm);
    crl.extend_from_slice(&bit_string);
    Ok(crl)
}

/// PEM text of a DER CRL.
pub fn to_pem(der: &[u8]) -> Result<String, PkiError> {
    Ok(der::pem::encode_string(
        "X509 CRL",
        der::pem::LineEnding::LF,
        der,
    )?)
}
