//! Object identifiers CertHall uses that are not in `const_oid`'s database, and short
//! names for those that are.

use const_oid::ObjectIdentifier as Oid;

pub use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ID_EC_PUBLIC_KEY, ID_KP_CLIENT_AUTH,
    ID_KP_EMAIL_PROTECTION, ID_KP_OCSP_SIGNING, RSA_ENCRYPTION, SECP_256_R_1,
    SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
};

/// SM2 elliptic curve (GM/T 0006), the named curve in an SM2 SubjectPublicKeyInfo.
pub const SM2_CURVE: Oid = Oid::new_unwrap("1.2.156.10197.1.301");
/// SM2 signature with SM3 (certificates, CRLs, CSRs, OCSP).
pub const SM2_WITH_SM3: Oid = Oid::new_unwrap("1.2.156.10197.1.501");
/// GM/T 0015-2023 subject identity extension: unified social credit code.
pub const GMT0015_USCC: Oid = Oid::new_unwrap("1.2.156.10260.4.4");
/// X.520 organizationIdentifier (where the USCC goes in the subject).
pub const ORGANIZATION_IDENTIFIER: Oid = Oid::new_unwrap("2.5.4.97");
/// RFC 6960 id-pkix-ocsp-nocheck.
pub const OCSP_NOCHECK: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.5");
/// SHA-1, as used in OCSP CertIDs.
pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
/// SHA-256, as used in OCSP CertIDs.
pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
/// SM3, accepted in OCSP CertIDs from Chinese clients.
pub const SM3: Oid = Oid::new_unwrap("1.2.156.10197.1.401");
