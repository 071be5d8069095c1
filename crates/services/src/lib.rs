//! CertHall's use cases. Each state change is one transaction that carries its audit event.
//!
//! [`Pki`] is the running CA engine: the loaded CAs and their signers, the issuance writer,
//! the OCSP cache and the CRL cache. `serve` and every CLI command build one with
//! [`Pki::open`].

pub mod accounts;
pub mod actor;
pub mod api_tokens;
pub mod bootstrap;
pub mod channels;
pub mod credentials;
pub mod crl_publisher;
mod error;
pub mod hall;
pub mod issuance;
pub mod master_key;
pub mod metrics;
pub mod notifications;
pub mod ocsp_service;
pub mod operators;
pub mod profiles;
pub mod queues;
pub mod registry;
pub mod revocation;
pub mod sessions;
pub mod settings;

use std::sync::Arc;

pub use error::{ErrorKind, ServiceError};
pub use registry::{CaRegistry, LoadedCa};
pub use settings::PkiSettings;
use store::Store;
use tokio::sync::Notify;

/// The running CA engine.
pub struct Pki {
    pub store: Store,
    pub settings: PkiSettings,
    pub registry: CaRegistry,
    pub ocsp: ocsp_service::OcspCache,
    pub crls: crl_publisher::CrlCache,
    writer: issuance::IssuanceWriter,
    /// Woken after each revocation so the CRL publisher runs within seconds.
    pub revocations_changed: Notify,
    /// Identifies this process when it holds a job lease.
    node_id: String,
}

impl Pki {
    /// Connects, creates the CA hierarchy on first use, loads CAs and their OCSP responders
    /// (renewing responders that are due), and starts the issuance writer.
    pub async fn open(store: Store, settings: PkiSettings) -> Result<Arc<Self>, ServiceError> {
        let master = master_key::load_or_create(&settings.master_key_file)?;
        bootstrap::ensure_hierarchy(&store, &settings, &master).await?;
        let registry = CaRegistry::load(&store, &settings, master).await?;
        let writer = issuance::IssuanceWriter::start(store.clone());
        let pki = Arc::new(Pki {
            store,
            settings,
            registry,
            ocsp: ocsp_service::OcspCache::default(),
            crls: crl_publisher::CrlCache::default(),
            writer,
            revocations_changed: Notify::new(),
            node_id: node_id(),
        });
        ocsp_service::ensure_responders(&pki).await?;
        Ok(pki)
    }
}

impl Pki {
    /// A 32-byte secret for `label`, derived from the master key (e.g. the key that hashes
    /// SMS codes).
    pub fn derived_key(&self, label: &str) -> zeroize::Zeroizing<[u8; 32]> {
        self.registry.master().derive(label)
    }
}

/// A random identifier for this process (leases name their holder by it).
fn node_id() -> String {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 8];
    let _ = SystemRandom::new().fill(&mut bytes);
    format!("{}-{}", std::process::id(), hex::encode(bytes))
}
