//! The CAs of this installation, loaded with their signers.

use std::sync::Arc;

use der::asn1::ObjectIdentifier;
use pki::certificate;
use pki::profile::PublicationUrls;
use pki::sealed::MasterKey;
use pki::{KeyFamily, Signer, SoftwareKey};
use store::Store;
use store::cas::CaRecord;
use x509_cert::Certificate;

use crate::{ErrorKind, PkiSettings, ServiceError};

/// Whether a CA is a self-signed root or an issuing CA under one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaRole {
    Root,
    Issuing,
}

impl CaRole {
    pub fn as_str(self) -> &'static str {
        match self {
            CaRole::Root => "root",
            CaRole::Issuing => "issuing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "root" => Some(CaRole::Root),
            "issuing" => Some(CaRole::Issuing),
            _ => None,
        }
    }
}

/// A CA ready to sign.
pub struct LoadedCa {
    pub id: i64,
    pub name: String,
    pub family: KeyFamily,
    pub role: CaRole,
    pub parent_id: Option<i64>,
    pub subject: String,
    pub cert: Certificate,
    pub cert_der: bytes::Bytes,
    pub not_after: i64,
    pub sha256: String,
    pub key_storage: String,
    pub signer: Arc<dyn Signer>,
    pub urls: PublicationUrls,
    /// (hash algorithm, issuer name hash, issuer key hash) for matching OCSP CertIDs.
    cert_id_hashes: Vec<(ObjectIdentifier, pki::ocsp::IssuerHashes)>,
}

impl LoadedCa {
    /// Whether an OCSP CertID's issuer hashes name this CA.
    pub fn matches_cert_id(&self, id: &x509_ocsp::CertId) -> bool {
        self.cert_id_hashes.iter().any(|(alg, hashes)| {
            *alg == id.hash_algorithm.oid
                && hashes.name == id.issuer_name_hash.as_bytes()
                && hashes.key == id.issuer_key_hash.as_bytes()
        })
    }

    pub fn issuer(&self) -> certificate::Issuer<'_> {
        certificate::Issuer {
            certificate: &self.cert,
            signer: self.signer.as_ref(),
            urls: &self.urls,
        }
    }
}

/// All CAs, loaded once at start.
pub struct CaRegistry {
    cas: Vec<Arc<LoadedCa>>,
    master: MasterKey,
}

/// Opens the software key of a CA stored with it.
pub(crate) fn open_software_key(
    master: &MasterKey,
    context: &str,
    sealed: &[u8],
) -> Result<SoftwareKey, ServiceError> {
    let plain = master.open(context.as_bytes(), sealed).map_err(|e| {
        ServiceError::new(
            ErrorKind::Internal,
            "master_key",
            format!("cannot open the key of {context}: {e}"),
            format!("无法解密 {context} 的私钥：主密钥不匹配或数据损坏"),
        )
    })?;
    SoftwareKey::from_secret_bytes(&plain).map_err(|e| ServiceError::internal("stored key", e))
}

impl CaRegistry {
    pub async fn load(
        store: &Store,
        settings: &PkiSettings,
        master: MasterKey,
    ) -> Result<Self, ServiceError> {
        let mut cas = Vec::new();
        for record in store::cas::list(store).await? {
            cas.push(Arc::new(Self::load_one(record, settings, &master)?));
        }
        Ok(CaRegistry { cas, master })
    }

    fn load_one(
        record: CaRecord,
        settings: &PkiSettings,
        master: &MasterKey,
    ) -> Result<LoadedCa, ServiceError> {
        let corrupt =
            |what: &str| ServiceError::internal("stored CA", format!("{}: {what}", record.name));
        let family: KeyFamily = record.family.parse().map_err(|_| corrupt("family"))?;
        let role = CaRole::parse(&record.role).ok_or_else(|| corrupt("role"))?;
        let cert = certificate::parse(&record.cert_der).map_err(|_| corrupt("certificate"))?;
        let signer: Arc<dyn Signer> = match record.key_storage.as_str() {
            "software" => Arc::new(open_software_key(
                master,
                &format!("ca:{}", record.name),
                record
                    .sealed_key
                    .as_deref()
                    .ok_or_else(|| corrupt("sealed key missing"))?,
            )?),
            "pkcs11" => crate::bootstrap::open_pkcs11_signer(settings, &record)?,
            other => return Err(corrupt(&format!("key storage {other}"))),
        };
        if signer.public_key() != &cert.tbs_certificate.subject_public_key_info {
            return Err(corrupt("the key does not match the certificate"));
        }
        let mut cert_id_hashes = Vec::new();
        for alg in [pki::oids::SHA1, pki::oids::SHA256] {
            if let Some(hashes) =
                pki::ocsp::issuer_hashes(&cert, &alg).map_err(|_| corrupt("hash"))?
            {
                cert_id_hashes.push((alg, hashes));
            }
        }
        Ok(LoadedCa {
            urls: PublicationUrls::for_ca(&settings.public_base_url, &record.name),
            id: record.id,
            family,
            role,
            parent_id: record.parent_id,
            subject: record.subject,
            cert,
            cert_der: record.cert_der.into(),
            not_after: record.not_after,
            sha256: record.sha256,
            key_storage: record.key_storage,
            signer,
            cert_id_hashes,
            name: record.name,
        })
    }

    pub fn all(&self) -> &[Arc<LoadedCa>] {
        &self.cas
    }

    pub fn by_name(&self, name: &str) -> Option<&Arc<LoadedCa>> {
        self.cas.iter().find(|ca| ca.name == name)
    }

    pub fn by_id(&self, id: i64) -> Option<&Arc<LoadedCa>> {
        self.cas.iter().find(|ca| ca.id == id)
    }

    /// A CA by name, or a field-named error listing the names there are.
    pub fn require(&self, name: &str) -> Result<&Arc<LoadedCa>, ServiceError> {
        self.by_name(name).ok_or_else(|| {
            let names: Vec<&str> = self.cas.iter().map(|c| c.name.as_str()).collect();
            ServiceError::new(
                ErrorKind::NotFound,
                "unknown_ca",
                format!("no CA named {name:?} (there are: {})", names.join(", ")),
                format!("没有名为“{name}”的 CA（现有：{}）", names.join("、")),
            )
            .with_field("ca")
        })
    }

    pub(crate) fn master(&self) -> &MasterKey {
        &self.master
    }
}
