//! First start: the CA hierarchy. For each key family a root and an issuing CA, created in
//! one transaction with their audit events; later starts find them and do nothing.

use domain::AuditAction;
use pki::certificate::{self, CertificateOrder};
use pki::name::SubjectFields;
use pki::pkcs11::{Pkcs11Signer, TokenLocation};
use pki::profile::{Profile, PublicationUrls};
use pki::sealed::MasterKey;
use pki::serial::Serial;
use pki::software_key::RsaBits;
use pki::{KeyFamily, Signer, SoftwareKey};
use store::cas::NewCa;
use store::certificates::NewCertificate;

use super::CaSettings;
use super::registry::{CaRole, TokenKeyRef, pkcs11_error, read_pin};
use crate::people::actor::Actor;
use crate::{App, ServiceError};

/// A CA key about to be stored: sealed bytes, or a reference into a token.
enum KeyHome {
    Software(Vec<u8>),
    Token(String),
}

/// Makes a new CA key: in the configured token when there is one that can hold this
/// family, otherwise in software (sealed under the master key).
fn new_ca_key(
    settings: &CaSettings,
    master: &MasterKey,
    name: &str,
    family: KeyFamily,
    rsa_bits: u32,
) -> Result<(Box<dyn Signer>, KeyHome), ServiceError> {
    if let Some(p11) = &settings.pkcs11
        && let (Some(module), Some(token)) = (&p11.module, &p11.token_label)
        && (family != KeyFamily::Sm2 || p11.sm2_mechanism.is_some())
    {
        let location = TokenLocation {
            module: module.clone(),
            token_label: token.clone(),
            pin: read_pin(p11)?,
            sm2_mechanism: p11.sm2_mechanism,
        };
        let signer =
            Pkcs11Signer::generate(&location, name, family, rsa_bits).map_err(pkcs11_error)?;
        let key_ref = TokenKeyRef {
            module: module.display().to_string(),
            token: token.clone(),
            object: name.to_string(),
        };
        return Ok((Box::new(signer), KeyHome::Token(key_ref.to_text())));
    }
    let bits = RsaBits::from_bits(rsa_bits).map_err(|e| ServiceError::from_pki(e, "rsa_bits"))?;
    let key = SoftwareKey::generate(family, bits)
        .map_err(|e| ServiceError::internal("key generation", e))?;
    let secret = key
        .to_secret_bytes()
        .map_err(|e| ServiceError::internal("key encoding", e))?;
    let sealed = master
        .seal(format!("ca:{name}").as_bytes(), &secret)
        .map_err(|e| ServiceError::internal("sealing", e))?;
    Ok((Box::new(key), KeyHome::Software(sealed)))
}

fn ca_subject(settings: &CaSettings, common_name: String) -> SubjectFields {
    SubjectFields {
        country: Some("CN".into()),
        organization: Some(settings.ca_organization.clone()),
        common_name: Some(common_name),
        ..SubjectFields::default()
    }
}

fn family_title(family: KeyFamily) -> &'static str {
    match family {
        KeyFamily::Sm2 => "SM2",
        KeyFamily::Rsa => "RSA",
        KeyFamily::EcdsaP256 => "ECDSA",
    }
}

/// Whether the database holds any CA yet (`ca init` must come before the first).
pub async fn is_initialised(app: &App) -> Result<bool, ServiceError> {
    Ok(!store::cas::list(&app.store).await?.is_empty())
}

pub(crate) async fn ensure_hierarchy(app: &App) -> Result<(), ServiceError> {
    let existing = store::cas::list(&app.store).await?;
    for family in KeyFamily::ALL {
        let root_name = format!("{family}-root");
        let ca_name = format!("{family}-ca");
        let has = |n: &str| existing.iter().any(|c| c.name == n);
        if has(&root_name) && has(&ca_name) {
            continue;
        }
        if has(&root_name) || has(&ca_name) {
            return Err(ServiceError::internal(
                "CA hierarchy",
                format!("only one of {root_name} and {ca_name} exists"),
            ));
        }
        create_family(app, family, &root_name, &ca_name).await?;
    }
    Ok(())
}

async fn create_family(
    app: &App,
    family: KeyFamily,
    root_name: &str,
    ca_name: &str,
) -> Result<(), ServiceError> {
    let (settings, master) = (&app.ca_settings, app.secrets.master());
    let now = app.now();
    let title = family_title(family);
    let (root_key, root_home) =
        new_ca_key(settings, master, root_name, family, settings.rsa_root_bits)?;
    let root_subject = ca_subject(
        settings,
        format!("{} {title} Root CA", settings.ca_organization),
    );
    let root_serial = Serial::random().map_err(|e| ServiceError::internal("serial", e))?;
    let root = certificate::self_signed_root(
        root_key.as_ref(),
        &root_subject,
        &root_serial,
        Profile::RootCa.default_days(),
        now,
    )
    .map_err(|e| ServiceError::internal("root certificate", e))?;
    let root_cert =
        certificate::parse(&root.der).map_err(|e| ServiceError::internal("root certificate", e))?;

    let (ca_key, ca_home) =
        new_ca_key(settings, master, ca_name, family, settings.rsa_issuing_bits)?;
    let ca_subject_fields = ca_subject(
        settings,
        format!("{} {title} Issuing CA", settings.ca_organization),
    );
    let ca_serial = Serial::random().map_err(|e| ServiceError::internal("serial", e))?;
    let root_urls = PublicationUrls::for_ca(&settings.public_base_url, root_name);
    let issuer = certificate::Issuer {
        certificate: &root_cert,
        signer: root_key.as_ref(),
        urls: &root_urls,
    };
    let issuing = certificate::issue(
        &issuer,
        &CertificateOrder {
            profile: Profile::IssuingCa,
            subject: &ca_subject_fields,
            public_key: ca_key.public_key(),
            serial: &ca_serial,
            days: None,
            policy_oid: settings.policy_oid,
        },
        now,
    )
    .map_err(|e| ServiceError::internal("issuing CA certificate", e))?;

    let mut tx = app.store.begin_write().await?;
    let mut ids = Vec::new();
    for (name, role, cert, home) in [
        (root_name, CaRole::Root, &root, &root_home),
        (ca_name, CaRole::Issuing, &issuing, &ca_home),
    ] {
        // The root is inserted first, so the issuing CA's parent is the first id.
        let parent = ids.first().copied();
        let (storage, sealed, label) = match home {
            KeyHome::Software(sealed) => ("software", Some(sealed.as_slice()), None),
            KeyHome::Token(label) => ("pkcs11", None, Some(label.as_str())),
        };
        let sha256 = certificate::sha256_hex(&cert.der);
        let id = store::cas::insert(
            &mut tx,
            &NewCa {
                name,
                family: family.as_str(),
                role: role.as_str(),
                parent_id: parent,
                subject: &cert.subject,
                cert_der: &cert.der,
                not_after: cert.not_after,
                sha256: &sha256,
                key_storage: storage,
                sealed_key: sealed,
                pkcs11_label: label,
            },
        )
        .await?;
        ids.push(id);
        crate::audit::record(
            &mut tx,
            &Actor::System,
            AuditAction::CaCreate,
            format!("ca:{name}"),
            serde_json::json!({
                "family": family.as_str(), "role": role.as_str(), "subject": cert.subject,
                "sha256": sha256, "key_storage": storage, "not_after": cert.not_after,
            }),
        )
        .await?;
    }
    // The issuing CA's certificate is one the root issued: it is in the root's
    // certificate list (for the root's CRL and OCSP).
    store::certificates::insert(
        &mut tx,
        &NewCertificate {
            ca_id: ids[0],
            serial: ca_serial.to_hex(),
            profile: Profile::IssuingCa.name().into(),
            subject: issuing.subject.clone(),
            not_before: issuing.not_before,
            not_after: issuing.not_after,
            der: issuing.der.clone(),
        },
    )
    .await?
    .ok_or_else(|| ServiceError::internal("CA hierarchy", "serial collision"))?;
    tx.commit().await?;
    tracing::info!(root = root_name, issuing = ca_name, "created CA hierarchy");
    Ok(())
}
