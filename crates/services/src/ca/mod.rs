//! The CA engine, behind a narrow door: [`issue()`], [`revoke()`], CRLs ([`crl`]), OCSP
//! ([`ocsp`]), API tokens ([`api_tokens`]) and certificate look-ups ([`certificates`]).
//! Nothing else touches CA keys. [`CaEngine`] is its state inside the [`App`]: the loaded
//! CAs and their signers, the issuance writer, the OCSP and CRL caches.

pub mod api_tokens;
pub mod bootstrap;
pub mod certificates;
pub mod crl;
pub mod issue;
pub mod ocsp;
pub mod public_url;
pub mod registry;
pub mod revoke;
pub mod settings;
pub mod status;

pub use certificates::CertificateInfo;
pub use issue::{IssueRequest, issue};
pub use registry::{CaRole, LoadedCa};
pub use revoke::{Revoked, revoke};
pub use settings::{CaSettings, Pkcs11Settings};

use tokio::sync::Notify;

use crate::{App, ServiceError};

/// The running CA engine.
pub struct CaEngine {
    pub(crate) registry: registry::CaRegistry,
    pub(crate) ocsp: ocsp::OcspCache,
    pub(crate) crls: crl::CrlCache,
    writer: issue::IssuanceWriter,
    /// Woken after each revocation so the CRL publisher runs within seconds.
    pub(crate) revocations_changed: Notify,
    /// The public status look-ups allowed per address.
    pub(crate) lookups: status::Ration,
}

impl CaEngine {
    /// Creates the CA hierarchy on first use, loads the CAs and their OCSP responders
    /// (renewing responders that are due), and starts the issuance writer.
    pub(crate) async fn open(app: &App) -> Result<CaEngine, ServiceError> {
        bootstrap::ensure_hierarchy(app).await?;
        let registry = registry::CaRegistry::load(app).await?;
        let engine = CaEngine {
            registry,
            ocsp: ocsp::OcspCache::default(),
            crls: crl::CrlCache::default(),
            writer: issue::IssuanceWriter::start(app.store.clone()),
            revocations_changed: Notify::new(),
            lookups: status::Ration::new(app.ca_settings.status_lookups_per_minute),
        };
        ocsp::ensure_responders(app, &engine).await?;
        Ok(engine)
    }
}

/// A CA as it is shown (`ca list`, `GET /api/v1/cas`): never its key.
#[derive(Debug, Clone)]
pub struct CaInfo {
    pub name: String,
    pub family: pki::KeyFamily,
    pub role: CaRole,
    pub subject: String,
    pub not_after: i64,
    pub sha256: String,
    /// `software` or `pkcs11`.
    pub key_storage: String,
    /// Where its certificate and its CRL are published.
    pub certificate_url: String,
    pub crl_url: String,
    /// Its certificate, DER.
    pub cert_der: bytes::Bytes,
}

impl From<&LoadedCa> for CaInfo {
    fn from(ca: &LoadedCa) -> Self {
        CaInfo {
            name: ca.name.clone(),
            family: ca.family,
            role: ca.role,
            subject: ca.subject.clone(),
            not_after: ca.not_after,
            sha256: ca.sha256.clone(),
            key_storage: ca.key_storage.clone(),
            certificate_url: ca.urls.ca_issuers.clone(),
            crl_url: ca.urls.crl.clone(),
            cert_der: ca.cert_der.clone(),
        }
    }
}

/// The CAs, roots first.
pub async fn list(app: &App) -> Result<Vec<CaInfo>, ServiceError> {
    Ok(app
        .ca()
        .await?
        .registry
        .all()
        .iter()
        .map(|ca| CaInfo::from(ca.as_ref()))
        .collect())
}

/// A CA by name (`None`: there is none).
pub async fn by_name(app: &App, name: &str) -> Result<Option<CaInfo>, ServiceError> {
    Ok(app
        .ca()
        .await?
        .registry
        .by_name(name)
        .map(|ca| CaInfo::from(ca.as_ref())))
}

/// A CA by name, or a field-named error listing the names there are.
pub async fn find(app: &App, name: &str) -> Result<CaInfo, ServiceError> {
    Ok(CaInfo::from(
        app.ca().await?.registry.require(name)?.as_ref(),
    ))
}
