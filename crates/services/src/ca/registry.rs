//! The CAs of this installation, loaded with their signers.

use std::sync::Arc;

use der::asn1::ObjectIdentifier;
use pki::certificate;
use pki::pkcs11::{Pkcs11Signer, TokenLocation};
use pki::profile::PublicationUrls;
use pki::sealed::MasterKey;
use pki::{KeyFamily, Signer, SoftwareKey};
use store::cas::CaRecord;
use x509_cert::Certificate;

use super::{CaSettings, Pkcs11Settings};
use crate::{App, ErrorKind, ServiceError};

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
    pub(crate) async fn load(app: &App) -> Result<Self, ServiceError> {
        let mut cas = Vec::new();
        for record in store::cas::list(&app.store).await? {
            cas.push(Arc::new(Self::load_one(
                record,
                &app.ca_settings,
                app.secrets.master(),
            )?));
        }
        Ok(CaRegistry { cas })
    }

    fn load_one(
        record: CaRecord,
        settings: &CaSettings,
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
            "pkcs11" => open_pkcs11_signer(settings, &record)?,
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
}

/// `module=…;token=…;object=…`, stored in `cas.pkcs11_label`.
pub(crate) struct TokenKeyRef {
    pub(crate) module: String,
    pub(crate) token: String,
    pub(crate) object: String,
}

impl TokenKeyRef {
    pub(crate) fn to_text(&self) -> String {
        format!(
            "module={};token={};object={}",
            self.module, self.token, self.object
        )
    }

    fn parse(text: &str) -> Option<Self> {
        let mut module = None;
        let mut token = None;
        let mut object = None;
        for part in text.split(';') {
            match part.split_once('=')? {
                ("module", v) => module = Some(v.to_string()),
                ("token", v) => token = Some(v.to_string()),
                ("object", v) => object = Some(v.to_string()),
                _ => return None,
            }
        }
        Some(TokenKeyRef {
            module: module?,
            token: token?,
            object: object?,
        })
    }
}

pub(crate) fn read_pin(settings: &Pkcs11Settings) -> Result<String, ServiceError> {
    std::fs::read_to_string(&settings.pin_file)
        .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
        .map_err(|e| {
            ServiceError::new(
                ErrorKind::Invalid,
                "pkcs11_pin_file",
                format!(
                    "cannot read the PKCS#11 PIN file {}: {e}",
                    settings.pin_file.display()
                ),
                format!("无法读取 PKCS#11 PIN 文件 {}", settings.pin_file.display()),
            )
            .with_field("pkcs11_pin_file")
        })
}

pub(crate) fn pkcs11_error(e: pki::PkiError) -> ServiceError {
    ServiceError::new(
        ErrorKind::Internal,
        "pkcs11",
        e.to_string(),
        format!("PKCS#11 设备错误：{e}"),
    )
}

/// The signer of a CA whose key is in a token.
fn open_pkcs11_signer(
    settings: &CaSettings,
    record: &CaRecord,
) -> Result<Arc<dyn Signer>, ServiceError> {
    let p11 = settings.pkcs11.as_ref().ok_or_else(|| {
        ServiceError::new(
            ErrorKind::Invalid,
            "pkcs11_pin_file",
            format!(
                "CA {} keeps its key in a PKCS#11 token: set CERTHALL_PKCS11_PIN_FILE",
                record.name
            ),
            format!(
                "CA {} 的私钥在 PKCS#11 设备中：请设置 CERTHALL_PKCS11_PIN_FILE",
                record.name
            ),
        )
        .with_field("pkcs11_pin_file")
    })?;
    let key_ref = record
        .pkcs11_label
        .as_deref()
        .and_then(TokenKeyRef::parse)
        .ok_or_else(|| {
            ServiceError::internal(
                "stored CA",
                format!("{}: bad PKCS#11 reference", record.name),
            )
        })?;
    let location = TokenLocation {
        module: key_ref.module.into(),
        token_label: key_ref.token,
        pin: read_pin(p11)?,
        sm2_mechanism: p11.sm2_mechanism,
    };
    let family: KeyFamily = record
        .family
        .parse()
        .map_err(|_| ServiceError::internal("stored CA", "family"))?;
    Ok(Arc::new(
        Pkcs11Signer::open(&location, &key_ref.object, family).map_err(pkcs11_error)?,
    ))
}
