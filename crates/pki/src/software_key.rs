//! CA keys held in memory: generated here, stored only sealed (see [`crate::sealed`]).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256,
};
use der::Decode;
use der::asn1::{AnyRef, BitString, ObjectIdentifier};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use zeroize::Zeroizing;

use crate::signer::der_signature_from_scalars;
use crate::{KeyFamily, PkiError, SM2_DEFAULT_ID, Signer, oids};

/// RSA modulus sizes CertHall generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaBits {
    B2048,
    B3072,
    B4096,
}

impl RsaBits {
    pub fn from_bits(bits: u32) -> Result<Self, PkiError> {
        match bits {
            2048 => Ok(RsaBits::B2048),
            3072 => Ok(RsaBits::B3072),
            4096 => Ok(RsaBits::B4096),
            other => Err(PkiError::UnsupportedAlgorithm(format!(
                "RSA-{other} (use 2048, 3072 or 4096)"
            ))),
        }
    }
}

enum Inner {
    Sm2(sm2::dsa::SigningKey),
    Rsa(aws_lc_rs::rsa::KeyPair),
    Ecdsa(EcdsaKeyPair),
}

/// A private key in memory.
pub struct SoftwareKey {
    inner: Inner,
    public_key: SubjectPublicKeyInfoOwned,
    rng: SystemRandom,
}

// Tags of the plain key encoding that `to_secret_bytes` produces (before sealing).
const TAG_SM2: u8 = 1;
const TAG_RSA: u8 = 2;
const TAG_ECDSA: u8 = 3;

impl SoftwareKey {
    /// Generates a new key. `rsa_bits` is used only for RSA.
    pub fn generate(family: KeyFamily, rsa_bits: RsaBits) -> Result<Self, PkiError> {
        let rng = SystemRandom::new();
        let inner = match family {
            KeyFamily::Sm2 => {
                // A uniformly random 32-byte string is a valid scalar with overwhelming
                // probability; retry on the rare zero or out-of-range value.
                let mut bytes = Zeroizing::new([0u8; 32]);
                loop {
                    rng.fill(bytes.as_mut())
                        .map_err(|_| PkiError::Crypto("random"))?;
                    if let Ok(key) = sm2::dsa::SigningKey::from_slice(SM2_DEFAULT_ID, &bytes[..]) {
                        break Inner::Sm2(key);
                    }
                }
            }
            KeyFamily::Rsa => {
                let size = match rsa_bits {
                    RsaBits::B2048 => KeySize::Rsa2048,
                    RsaBits::B3072 => KeySize::Rsa3072,
                    RsaBits::B4096 => KeySize::Rsa4096,
                };
                Inner::Rsa(
                    aws_lc_rs::rsa::KeyPair::generate(size)
                        .map_err(|_| PkiError::Crypto("RSA key generation"))?,
                )
            }
            KeyFamily::EcdsaP256 => {
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                    .map_err(|_| PkiError::Crypto("P-256 key generation"))?;
                Inner::Ecdsa(
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, doc.as_ref())
                        .map_err(|_| PkiError::Crypto("P-256 key load"))?,
                )
            }
        };
        Self::from_inner(inner, rng)
    }

    fn from_inner(inner: Inner, rng: SystemRandom) -> Result<Self, PkiError> {
        let public_key = match &inner {
            Inner::Sm2(key) => ec_spki(oids::SM2_CURVE, &key.verifying_key().to_sec1_bytes())?,
            Inner::Ecdsa(key) => ec_spki(oids::SECP_256_R_1, key.public_key().as_ref())?,
            Inner::Rsa(key) => {
                let der = key
                    .public_key()
                    .as_der()
                    .map_err(|_| PkiError::Crypto("RSA public key encoding"))?;
                SubjectPublicKeyInfoOwned::from_der(der.as_ref())?
            }
        };
        Ok(SoftwareKey {
            inner,
            public_key,
            rng,
        })
    }

    /// The private key in CertHall's plain encoding: one tag byte, then the raw SM2 scalar
    /// or the PKCS#8 document. Only ever stored after [`crate::sealed::seal`].
    pub fn to_secret_bytes(&self) -> Result<Zeroizing<Vec<u8>>, PkiError> {
        let mut out = Zeroizing::new(Vec::new());
        match &self.inner {
            Inner::Sm2(key) => {
                out.push(TAG_SM2);
                out.extend_from_slice(&key.to_bytes());
            }
            Inner::Rsa(key) => {
                out.push(TAG_RSA);
                let der = key
                    .as_der()
                    .map_err(|_| PkiError::Crypto("RSA private key encoding"))?;
                out.extend_from_slice(der.as_ref());
            }
            Inner::Ecdsa(key) => {
                out.push(TAG_ECDSA);
                let der = key
                    .to_pkcs8v1()
                    .map_err(|_| PkiError::Crypto("P-256 private key encoding"))?;
                out.extend_from_slice(der.as_ref());
            }
        }
        Ok(out)
    }

    /// The inverse of [`SoftwareKey::to_secret_bytes`].
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, PkiError> {
        let (tag, rest) = bytes
            .split_first()
            .ok_or_else(|| PkiError::Encoding("empty key".into()))?;
        let inner = match *tag {
            TAG_SM2 => Inner::Sm2(
                sm2::dsa::SigningKey::from_slice(SM2_DEFAULT_ID, rest)
                    .map_err(|_| PkiError::Encoding("SM2 private key".into()))?,
            ),
            TAG_RSA => Inner::Rsa(
                aws_lc_rs::rsa::KeyPair::from_pkcs8(rest)
                    .map_err(|e| PkiError::Encoding(format!("RSA private key: {e}")))?,
            ),
            TAG_ECDSA => Inner::Ecdsa(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, rest)
                    .map_err(|e| PkiError::Encoding(format!("P-256 private key: {e}")))?,
            ),
            other => return Err(PkiError::Encoding(format!("unknown key tag {other}"))),
        };
        Self::from_inner(inner, SystemRandom::new())
    }
}

impl Signer for SoftwareKey {
    fn family(&self) -> KeyFamily {
        match self.inner {
            Inner::Sm2(_) => KeyFamily::Sm2,
            Inner::Rsa(_) => KeyFamily::Rsa,
            Inner::Ecdsa(_) => KeyFamily::EcdsaP256,
        }
    }

    fn public_key(&self) -> &SubjectPublicKeyInfoOwned {
        &self.public_key
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        match &self.inner {
            Inner::Sm2(key) => {
                use sm2::dsa::signature::Signer as _;
                let sig: sm2::dsa::Signature = key
                    .try_sign(message)
                    .map_err(|_| PkiError::Crypto("SM2 signing"))?;
                der_signature_from_scalars(&sig.r_bytes(), &sig.s_bytes())
            }
            Inner::Rsa(key) => {
                let mut sig = vec![0u8; key.public_modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
                    .map_err(|_| PkiError::Crypto("RSA signing"))?;
                Ok(sig)
            }
            Inner::Ecdsa(key) => Ok(key
                .sign(&self.rng, message)
                .map_err(|_| PkiError::Crypto("ECDSA signing"))?
                .as_ref()
                .to_vec()),
        }
    }
}

/// An id-ecPublicKey SubjectPublicKeyInfo for `curve` and an uncompressed point.
pub(crate) fn ec_spki(
    curve: ObjectIdentifier,
    point: &[u8],
) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    Ok(SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: oids::ID_EC_PUBLIC_KEY,
            parameters: Some(AnyRef::from(&curve).into()),
        },
        subject_public_key: BitString::from_bytes(point)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::verify_signature;

    #[test]
    fn every_family_signs_verifies_and_survives_a_round_trip() {
        for family in KeyFamily::ALL {
            let key = SoftwareKey::generate(family, RsaBits::B2048).unwrap();
            let message = b"tbs bytes";
            let sig = key.sign(message).unwrap();
            verify_signature(key.public_key(), &key.signature_algorithm(), message, &sig).unwrap();
            assert!(
                verify_signature(key.public_key(), &key.signature_algorithm(), b"other", &sig)
                    .is_err()
            );
            let again = SoftwareKey::from_secret_bytes(&key.to_secret_bytes().unwrap()).unwrap();
            assert_eq!(again.public_key(), key.public_key());
            assert_eq!(again.family(), family);
        }
    }
}
