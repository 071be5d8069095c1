//! PKCS#10 certificate signing requests: parsing and checks.

use der::{Decode, Reader, SliceReader};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::request::CertReq;

use crate::name::SubjectFields;
use crate::verify::{key_family, rsa_modulus_bits, verify_signature};
use crate::{KeyFamily, PkiError};

/// Largest CSR CertHall reads (a 4096-bit RSA CSR with many attributes is under 4 KiB).
pub const MAX_CSR_BYTES: usize = 64 * 1024;

/// A CSR whose signature has been checked.
#[derive(Debug, Clone)]
pub struct CheckedCsr {
    pub family: KeyFamily,
    pub public_key: SubjectPublicKeyInfoOwned,
    /// The subject as the CSR states it; `None` when the CSR's subject is empty.
    pub subject: Option<SubjectFields>,
}

/// A PKCS#10 request (DER) for `signer`'s key with `subject`, signed by `signer` (a
/// software key, or a key on a token through the same trait).
pub fn build(signer: &dyn crate::Signer, subject: &SubjectFields) -> Result<Vec<u8>, PkiError> {
    use der::Encode;
    let info = x509_cert::request::CertReqInfo {
        version: x509_cert::request::Version::V1,
        subject: subject.to_name()?,
        public_key: signer.public_key().clone(),
        attributes: Default::default(),
    };
    let signed = info.to_der()?;
    let signature = signer.sign(&signed)?;
    let request = CertReq {
        info,
        algorithm: signer.signature_algorithm(),
        signature: der::asn1::BitString::from_bytes(&signature)?,
    };
    Ok(request.to_der()?)
}

/// Accepts PEM (`CERTIFICATE REQUEST` or `NEW CERTIFICATE REQUEST`) or DER.
pub fn decode(input: &[u8]) -> Result<Vec<u8>, PkiError> {
    if input.len() > MAX_CSR_BYTES {
        return Err(PkiError::MalformedCsr(format!(
            "larger than {MAX_CSR_BYTES} bytes"
        )));
    }
    let trimmed = input.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        let (label, der) = der::pem::decode_vec(trimmed)
            .map_err(|e| PkiError::MalformedCsr(format!("bad PEM: {e}")))?;
        if label != "CERTIFICATE REQUEST" && label != "NEW CERTIFICATE REQUEST" {
            return Err(PkiError::MalformedCsr(format!(
                "PEM label is {label:?}, expected \"CERTIFICATE REQUEST\""
            )));
        }
        Ok(der)
    } else {
        Ok(input.to_vec())
    }
}

/// Parses a CSR, checks its self-signature, and checks its key is of `expected` family.
pub fn check(input: &[u8], expected: KeyFamily) -> Result<CheckedCsr, PkiError> {
    let der = decode(input)?;
    let csr = CertReq::from_der(&der).map_err(|e| PkiError::MalformedCsr(e.to_string()))?;
    // Verify over the exact bytes that were signed, not a re-encoding.
    let mut reader = SliceReader::new(&der).map_err(|e| PkiError::MalformedCsr(e.to_string()))?;
    let info_bytes = der::Header::decode(&mut reader)
        .and_then(|_outer| reader.tlv_bytes())
        .map_err(|e| PkiError::MalformedCsr(e.to_string()))?;
    if csr.info.version != x509_cert::request::Version::V1 {
        return Err(PkiError::MalformedCsr("version must be 1 (0)".into()));
    }
    let public_key = csr.info.public_key.clone();
    let family = key_family(&public_key)?;
    if family == KeyFamily::Rsa {
        let bits = rsa_modulus_bits(&public_key)?;
        if !(2048..=4096).contains(&bits) {
            return Err(PkiError::UnsupportedAlgorithm(format!(
                "RSA-{bits} key (2048 to 4096 bits accepted)"
            )));
        }
    }
    let signature = csr
        .signature
        .as_bytes()
        .ok_or_else(|| PkiError::MalformedCsr("signature has unused bits".into()))?;
    verify_signature(&public_key, &csr.algorithm, info_bytes, signature).map_err(|e| match e {
        PkiError::UnsupportedAlgorithm(_) => e,
        _ => PkiError::BadCsrSignature,
    })?;
    if family != expected {
        return Err(PkiError::KeyFamilyMismatch {
            expected: expected.description().into(),
            found: family.description().into(),
        });
    }
    let subject = if csr.info.subject.0.is_empty() {
        None
    } else {
        Some(SubjectFields::from_name(&csr.info.subject)?)
    };
    Ok(CheckedCsr {
        family,
        public_key,
        subject,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_request_checks_for_each_family() {
        for family in [KeyFamily::Sm2, KeyFamily::Rsa, KeyFamily::EcdsaP256] {
            let key = crate::SoftwareKey::generate(
                family,
                crate::software_key::RsaBits::from_bits(2048).unwrap(),
            )
            .unwrap();
            let subject: SubjectFields = "/C=CN/O=某公司/CN=某公司".parse().unwrap();
            let der = build(&key, &subject).unwrap();
            let checked = check(&der, family).unwrap();
            assert_eq!(checked.subject, Some(subject));
            assert_eq!(&checked.public_key, crate::Signer::public_key(&key));
        }
    }
}
