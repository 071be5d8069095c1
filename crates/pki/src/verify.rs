//! Signature verification for the algorithms CertHall accepts in CSRs (and checks its own
//! output with in tests).

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use der::asn1::ObjectIdentifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::{KeyFamily, PkiError, SM2_DEFAULT_ID, oids};

/// The family of a public key, or why it is not one CertHall supports.
pub fn key_family(spki: &SubjectPublicKeyInfoOwned) -> Result<KeyFamily, PkiError> {
    match spki.algorithm.oid {
        oids::RSA_ENCRYPTION => Ok(KeyFamily::Rsa),
        oids::ID_EC_PUBLIC_KEY => {
            let curve: ObjectIdentifier = spki
                .algorithm
                .parameters
                .as_ref()
                .ok_or_else(|| PkiError::UnsupportedAlgorithm("EC key without a curve".into()))?
                .decode_as()
                .map_err(|_| {
                    PkiError::UnsupportedAlgorithm("EC key with explicit curve parameters".into())
                })?;
            match curve {
                oids::SECP_256_R_1 => Ok(KeyFamily::EcdsaP256),
                oids::SM2_CURVE => Ok(KeyFamily::Sm2),
                other => Err(PkiError::UnsupportedAlgorithm(format!(
                    "elliptic curve {other} (supported: P-256, SM2)"
                ))),
            }
        }
        other => Err(PkiError::UnsupportedAlgorithm(format!(
            "public key algorithm {other}"
        ))),
    }
}

/// The RSA modulus length in bits of an RSA SubjectPublicKeyInfo.
pub fn rsa_modulus_bits(spki: &SubjectPublicKeyInfoOwned) -> Result<usize, PkiError> {
    #[derive(der::Sequence)]
    struct RsaPublicKey<'a> {
        modulus: der::asn1::UintRef<'a>,
        public_exponent: der::asn1::UintRef<'a>,
    }
    use der::Decode;
    let key = RsaPublicKey::from_der(spki.subject_public_key.raw_bytes())?;
    let n = key.modulus.as_bytes();
    Ok(n.len() * 8 - n.first().map_or(0, |b| b.leading_zeros() as usize))
}

/// [`verify_signature`] with the algorithm named by its OID in dotted form
/// (`1.2.840.10045.4.3.2`), as a token's workstation reports it.
pub fn verify_named(
    spki: &SubjectPublicKeyInfoOwned,
    algorithm_oid: &str,
    message: &[u8],
    signature: &[u8],
) -> Result<(), PkiError> {
    let oid = ObjectIdentifier::new(algorithm_oid)
        .map_err(|_| PkiError::UnsupportedAlgorithm(format!("{algorithm_oid:?} is not an OID")))?;
    let algorithm = AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    };
    verify_signature(spki, &algorithm, message, signature)
}

/// Verifies `signature` over `message` with `spki` under `algorithm`.
pub fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<(), PkiError> {
    let family = key_family(spki)?;
    let key_bytes = spki.subject_public_key.raw_bytes();
    let bad = || PkiError::Crypto("signature does not verify");
    if family == KeyFamily::Sm2 {
        if algorithm.oid != oids::SM2_WITH_SM3 {
            return Err(PkiError::UnsupportedAlgorithm(format!(
                "signature algorithm {} with an SM2 key (expected SM2-with-SM3)",
                algorithm.oid
            )));
        }
        use sm2::dsa::signature::Verifier as _;
        let key = sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DEFAULT_ID, key_bytes)
            .map_err(|_| PkiError::Encoding("SM2 public key is not a curve point".into()))?;
        let (r, s) = crate::signer::scalars_from_der_signature(signature).ok_or_else(bad)?;
        let sig = sm2::dsa::Signature::from_scalars(r, s).map_err(|_| bad())?;
        return key.verify(message, &sig).map_err(|_| bad());
    }
    let alg: &dyn VerificationAlgorithm = match (family, algorithm.oid) {
        (KeyFamily::Rsa, oids::SHA_256_WITH_RSA_ENCRYPTION) => {
            &signature::RSA_PKCS1_2048_8192_SHA256
        }
        (KeyFamily::Rsa, oids::SHA_384_WITH_RSA_ENCRYPTION) => {
            &signature::RSA_PKCS1_2048_8192_SHA384
        }
        (KeyFamily::Rsa, oids::SHA_512_WITH_RSA_ENCRYPTION) => {
            &signature::RSA_PKCS1_2048_8192_SHA512
        }
        (KeyFamily::EcdsaP256, oids::ECDSA_WITH_SHA_256) => &signature::ECDSA_P256_SHA256_ASN1,
        (KeyFamily::EcdsaP256, oids::ECDSA_WITH_SHA_384) => &signature::ECDSA_P256_SHA384_ASN1,
        (family, oid) => {
            return Err(PkiError::UnsupportedAlgorithm(format!(
                "signature algorithm {oid} with a {family} key"
            )));
        }
    };
    UnparsedPublicKey::new(alg, key_bytes)
        .verify(message, signature)
        .map_err(|_| bad())
}
