use thiserror::Error;

/// Everything that can go wrong in X.509 work. Messages name what was wrong with the input.
#[derive(Debug, Error)]
pub enum PkiError {
    #[error("malformed DER or PEM: {0}")]
    Encoding(String),
    #[error("the CSR is not a valid PKCS#10 request: {0}")]
    MalformedCsr(String),
    #[error("the CSR signature does not verify with the CSR's own public key")]
    BadCsrSignature,
    #[error("the key is {found}, but this CA issues for {expected} keys")]
    KeyFamilyMismatch { expected: String, found: String },
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    #[error("{field}: {reason}")]
    Subject { field: String, reason: String },
    #[error("unknown revocation reason {given:?}; expected one of {expected}")]
    UnknownReason { given: String, expected: String },
    #[error("unknown profile {0:?}")]
    UnknownProfile(String),
    #[error("cryptographic operation failed: {0}")]
    Crypto(&'static str),
    #[error("the sealed key could not be opened (wrong master key or corrupted data)")]
    Unseal,
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
}

impl From<der::Error> for PkiError {
    fn from(e: der::Error) -> Self {
        PkiError::Encoding(e.to_string())
    }
}

impl From<der::pem::Error> for PkiError {
    fn from(e: der::pem::Error) -> Self {
        PkiError::Encoding(e.to_string())
    }
}
