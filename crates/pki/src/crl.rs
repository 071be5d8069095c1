//! Certificate revocation lists, encoded by streaming.
//!
//! Entries are appended one by one as DER into a single buffer (about 50 bytes each), so a
//! CRL of a million entries needs tens of megabytes, not a million structs. The buffer
//! starts with room for everything that precedes the entries; once they are all in, that
//! room is replaced by the real prefix, the tail is appended, the TBS signed, and the outer
//! header put in front: the whole CRL is built in that one buffer, never copied.

use der::asn1::{OctetString, UintRef};
use der::{Encode, Header, Length, Tag, TagNumber};
use x509_cert::certificate::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::AuthorityKeyIdentifier;

use crate::profile::key_identifier;
use crate::time::x509_time;
use crate::{PkiError, RevocationReason, Signer};

/// The revoked-certificate entries of one CRL, already DER-encoded, after `PREFIX_ROOM`
/// reserved bytes.
pub struct CrlEntries {
    der: Vec<u8>,
    count: usize,
}

/// Bytes reserved in front of the entries (the prefix is a few hundred bytes).
const PREFIX_ROOM: usize = 1024;

impl Default for CrlEntries {
    fn default() -> Self {
        Self::with_capacity(1024)
    }
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
        let mut der = Vec::with_capacity(PREFIX_ROOM + entries * 50);
        der.resize(PREFIX_ROOM, 0);
        CrlEntries { der, count: 0 }
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
    let entries_len = entries.der.len() - PREFIX_ROOM;

    let mut head = Vec::with_capacity(512);
    head.extend_from_slice(&[0x02, 0x01, 0x01]); // version v2
    head.extend_from_slice(&algorithm);
    head.extend_from_slice(&issuer);
    head.extend_from_slice(&this_update);
    head.extend_from_slice(&next_update);
    if !entries.is_empty() {
        Header::new(Tag::Sequence, Length::try_from(entries_len)?)?.encode_to_vec(&mut head)?;
    }
    let mut tail = Vec::with_capacity(extensions.len() + 8);
    Header::new(explicit_0, Length::try_from(extensions.len())?)?.encode_to_vec(&mut tail)?;
    tail.extend_from_slice(&extensions);
    let mut prefix = Vec::with_capacity(head.len() + 8);
    Header::new(
        Tag::Sequence,
        Length::try_from(head.len() + entries_len + tail.len())?,
    )?
    .encode_to_vec(&mut prefix)?;
    prefix.extend_from_slice(&head);

    // Room for the tail, the algorithm, a signature (RSA-4096: 512 bytes) and the outer
    // header, so that nothing below reallocates the buffer.
    let mut crl = entries.der;
    crl.reserve(tail.len() + algorithm.len() + 600 + 16);
    crl.splice(0..PREFIX_ROOM, prefix);
    crl.extend_from_slice(&tail);
    let signature = signer.sign(&crl)?;
    crl.extend_from_slice(&algorithm);
    der::asn1::BitString::from_bytes(&signature)?.encode_to_vec(&mut crl)?;
    let mut outer = Vec::with_capacity(8);
    Header::new(Tag::Sequence, Length::try_from(crl.len())?)?.encode_to_vec(&mut outer)?;
    crl.splice(0..0, outer);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::software_key::RsaBits;
    use crate::{KeyFamily, SoftwareKey};
    use der::Decode;
    use x509_cert::crl::CertificateList;

    fn ca_certificate(key: &SoftwareKey) -> Certificate {
        let subject: crate::name::SubjectFields = "/C=CN/O=Test/CN=Test CA".parse().unwrap();
        let serial = crate::serial::Serial::random().unwrap();
        let now = domain::UnixTime::from_seconds(1_790_000_000);
        let issued =
            crate::certificate::self_signed_root(key, &subject, &serial, 365, now).unwrap();
        Certificate::from_der(&issued.der).unwrap()
    }

    #[test]
    fn crls_with_and_without_entries_parse_back_and_verify() {
        for family in KeyFamily::ALL {
            let key = SoftwareKey::generate(family, RsaBits::B2048).unwrap();
            let ca = ca_certificate(&key);
            for count in [0usize, 1, 300] {
                let mut entries = CrlEntries::new();
                for i in 0..count {
                    let serial = (0x8000_0000u64 + i as u64).to_be_bytes();
                    let reason = [
                        RevocationReason::KeyCompromise,
                        RevocationReason::Unspecified,
                    ][i % 2];
                    entries
                        .push(&serial, 1_700_000_000 + i as i64, reason)
                        .unwrap();
                }
                let info = CrlInfo {
                    issuer: &ca,
                    crl_number: 7,
                    this_update: 1_700_000_000,
                    next_update: 1_700_086_400,
                };
                let der = sign_crl(&info, entries, &key).unwrap();
                let crl = CertificateList::from_der(&der).unwrap();
                let revoked = crl
                    .tbs_cert_list
                    .revoked_certificates
                    .clone()
                    .unwrap_or_default();
                assert_eq!(revoked.len(), count);
                if count > 1 {
                    assert!(
                        revoked[0].crl_entry_extensions.is_some(),
                        "keyCompromise has a reason code"
                    );
                    assert!(
                        revoked[1].crl_entry_extensions.is_none(),
                        "unspecified has none"
                    );
                }
                let tbs = der::Encode::to_der(&crl.tbs_cert_list).unwrap();
                crate::verify::verify_signature(
                    &ca.tbs_certificate.subject_public_key_info,
                    &crl.signature_algorithm,
                    &tbs,
                    crl.signature.raw_bytes(),
                )
                .unwrap();
            }
        }
    }

    #[test]
    fn remove_from_crl_is_not_a_full_crl_entry() {
        assert!(
            CrlEntries::new()
                .push(&[1], 0, RevocationReason::RemoveFromCrl)
                .is_err()
        );
    }
}
