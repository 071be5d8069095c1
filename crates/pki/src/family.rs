//! The three key families a CertHall CA can have, and their signature algorithms.

use std::fmt;
use std::str::FromStr;

use der::asn1::{AnyRef, Null};
use spki::AlgorithmIdentifierOwned;

use crate::PkiError;
use crate::oids;

/// A CA's key family. Each family signs with exactly one algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFamily {
    /// SM2 on the GM/T 0006 curve, signing SM2-with-SM3 with the default user ID.
    Sm2,
    /// RSA with PKCS#1 v1.5 and SHA-256.
    Rsa,
    /// ECDSA on P-256 with SHA-256.
    EcdsaP256,
}

impl KeyFamily {
    pub const ALL: [KeyFamily; 3] = [KeyFamily::Sm2, KeyFamily::Rsa, KeyFamily::EcdsaP256];

    /// The name used in configuration, the database and `ca list`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyFamily::Sm2 => "sm2",
            KeyFamily::Rsa => "rsa",
            KeyFamily::EcdsaP256 => "ecdsa",
        }
    }

    /// The signature algorithm a key of this family signs with.
    pub fn signature_algorithm(self) -> AlgorithmIdentifierOwned {
        match self {
            KeyFamily::Sm2 => AlgorithmIdentifierOwned {
                oid: oids::SM2_WITH_SM3,
                parameters: None,
            },
            KeyFamily::Rsa => AlgorithmIdentifierOwned {
                oid: oids::SHA_256_WITH_RSA_ENCRYPTION,
                // RFC 4055: the parameters of the PKCS#1 v1.5 algorithms are NULL.
                parameters: Some(AnyRef::from(Null).into()),
            },
            KeyFamily::EcdsaP256 => AlgorithmIdentifierOwned {
                oid: oids::ECDSA_WITH_SHA_256,
                parameters: None,
            },
        }
    }

    /// A human-readable description of the algorithm, for listings.
    pub fn description(self) -> &'static str {
        match self {
            KeyFamily::Sm2 => "SM2 with SM3",
            KeyFamily::Rsa => "RSA with SHA-256",
            KeyFamily::EcdsaP256 => "ECDSA P-256 with SHA-256",
        }
    }
}

impl fmt::Display for KeyFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyFamily {
    type Err = PkiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sm2" => Ok(KeyFamily::Sm2),
            "rsa" => Ok(KeyFamily::Rsa),
            "ecdsa" | "ecdsa-p256" | "p256" | "p-256" => Ok(KeyFamily::EcdsaP256),
            other => Err(PkiError::UnsupportedAlgorithm(format!(
                "key family {other:?} (expected sm2, rsa or ecdsa)"
            ))),
        }
    }
}
