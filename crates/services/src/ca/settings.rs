//! What the CA engine is configured with.

use std::path::PathBuf;
use std::time::Duration;

use der::asn1::ObjectIdentifier;

/// Settings of the CA engine (built by the binary from flags, environment and defaults).
#[derive(Debug, Clone)]
pub struct CaSettings {
    /// Base URL relying parties reach CertHall at; AIA and CRL DP URLs hang under it. Set
    /// from the installation's record when the application opens (see `ca::public_url`).
    pub public_base_url: String,
    /// The certificate policy OID put in end-entity certificates.
    pub policy_oid: ObjectIdentifier,
    /// The organisation named in the CA certificates CertHall creates.
    pub ca_organization: String,
    /// nextUpdate - thisUpdate of every CRL; CRLs are republished at half of it.
    pub crl_interval: Duration,
    /// nextUpdate - thisUpdate of OCSP responses; cached for half of it.
    pub ocsp_validity: Duration,
    /// Validity of delegated OCSP responder certificates, in days.
    pub ocsp_responder_days: u32,
    /// Responder certificates are renewed when they have less than this left.
    pub ocsp_responder_renew_before: Duration,
    /// RSA sizes of the generated root and issuing CAs.
    pub rsa_root_bits: u32,
    pub rsa_issuing_bits: u32,
    /// A PKCS#11 module holding CA keys, when CAs are created in an HSM.
    pub pkcs11: Option<Pkcs11Settings>,
    /// Public status look-ups (`/status`) allowed per client address and minute.
    pub status_lookups_per_minute: u32,
}

#[derive(Debug, Clone)]
pub struct Pkcs11Settings {
    /// The module that new CA keys are generated in (`ca init`); CAs already created
    /// remember their own module and token.
    pub module: Option<PathBuf>,
    pub token_label: Option<String>,
    /// File holding the token's user PIN (needed whenever a CA key is in a token).
    pub pin_file: PathBuf,
    /// Vendor mechanism number for SM2-with-SM3 signing, if the module has one.
    pub sm2_mechanism: Option<u64>,
}

impl Default for CaSettings {
    fn default() -> Self {
        CaSettings {
            public_base_url: super::public_url::DEFAULT.into(),
            policy_oid: DEFAULT_POLICY_OID,
            ca_organization: "CertHall".into(),
            crl_interval: Duration::from_secs(24 * 3600),
            ocsp_validity: Duration::from_secs(3600),
            ocsp_responder_days: 30,
            ocsp_responder_renew_before: Duration::from_secs(7 * 86_400),
            rsa_root_bits: 3072,
            rsa_issuing_bits: 2048,
            pkcs11: None,
            status_lookups_per_minute: 30,
        }
    }
}

/// The default certificate policy is anyPolicy (RFC 5280 §4.2.1.4): it claims no particular
/// CPS. A CA sets its own CPS's OID with `--policy-oid` / `CERTHALL_POLICY_OID`.
pub const DEFAULT_POLICY_OID: ObjectIdentifier = pki::profile::ANY_POLICY;
