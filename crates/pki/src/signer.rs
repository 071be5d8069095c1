//! The one signing interface: every certificate, CRL and OCSP response is signed through it.

use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::{KeyFamily, PkiError};

/// A private key that can sign, wherever it lives (memory, PKCS#11 token).
///
/// `sign` takes the whole message (the DER of a TBS structure) and returns the signature
/// value as it goes into the BIT STRING: DER `SEQUENCE { r, s }` for SM2 and ECDSA, the
/// raw PKCS#1 v1.5 block for RSA.
pub trait Signer: Send + Sync {
    fn family(&self) -> KeyFamily;
    fn public_key(&self) -> &SubjectPublicKeyInfoOwned;
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PkiError>;

    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        self.family().signature_algorithm()
    }
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` from big-endian r and s (ECDSA and SM2).
#[derive(der::Sequence)]
struct EcSignature<'a> {
    r: der::asn1::UintRef<'a>,
    s: der::asn1::UintRef<'a>,
}

pub(crate) fn der_signature_from_scalars(r: &[u8], s: &[u8]) -> Result<Vec<u8>, PkiError> {
    use der::Encode;
    let sig = EcSignature {
        r: der::asn1::UintRef::new(r)?,
        s: der::asn1::UintRef::new(s)?,
    };
    Ok(sig.to_der()?)
}

/// The 32-byte big-endian r and s of a DER `SEQUENCE { r, s }` on a 256-bit curve.
pub(crate) fn scalars_from_der_signature(der_sig: &[u8]) -> Option<([u8; 32], [u8; 32])> {
    use der::Decode;
    let sig = EcSignature::from_der(der_sig).ok()?;
    let pad = |v: &[u8]| -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        out.get_mut(32usize.checked_sub(v.len())?..)?
            .copy_from_slice(v);
        Some(out)
    };
    Some((pad(sig.r.as_bytes())?, pad(sig.s.as_bytes())?))
}
