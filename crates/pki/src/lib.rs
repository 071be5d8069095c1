//! X.509 for CertHall: certificate profiles, CSR checks, issuance, CRLs, OCSP and the
//! signers behind them (software keys and PKCS#11 tokens).
//!
//! No database and no HTTP: callers hand in bytes and get bytes back. Every signature goes
//! through the one [`Signer`] trait, which returns DER-encoded signature values, so the
//! certificate, CRL and OCSP code never cares where a key lives.

pub mod certificate;
pub mod crl;
pub mod csr;
mod error;
pub mod family;
pub mod name;
pub mod ocsp;
pub mod oids;
pub mod pkcs11;

pub mod profile;
pub mod reason;
pub mod sealed;
pub mod serial;
pub mod signer;
pub mod software_key;
pub mod time;
pub mod verify;

pub use error::PkiError;
pub use family::KeyFamily;
pub use reason::RevocationReason;
pub use signer::Signer;
pub use software_key::SoftwareKey;

/// The SM2 user ID (distinguishing identifier) used for every SM2 signature and
/// verification in CertHall: the GM/T 0009 default.
pub const SM2_DEFAULT_ID: &str = "1234567812345678";
