//! The OCSP responder: delegated responder certificates (renewed before they expire), a
//! response cache invalidated by revocations, and the request-to-response flow.
//!
//! Only single-certificate requests without a nonce are answered from the cache (a nonce
//! must be echoed in a freshly signed response). A cached answer costs no signature and no
//! database query.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use der::Encode;
use domain::AuditAction;
use pki::certificate::{self, CertificateOrder};
use pki::name::SubjectFields;
use pki::ocsp::{CertState, Responder, ResponseStatus};
use pki::profile::Profile;
use pki::serial::Serial;
use pki::{RevocationReason, Signer, SoftwareKey};
use store::certificates::NewCertificate;
use x509_cert::Certificate;

use super::CaEngine;
use super::registry::{LoadedCa, open_software_key};
use crate::people::actor::Actor;
use crate::{App, ServiceError, metrics};

/// Most cached responses kept; past it the cache starts over (a simple bound on memory:
/// about 1 KiB a response).
const MAX_CACHED: usize = 500_000;

struct LoadedResponder {
    cert: Certificate,
    signer: Box<dyn Signer>,
    not_after: i64,
}

struct CachedResponse {
    ca_id: i64,
    cert_id: Vec<u8>,
    der: bytes::Bytes,
    this_update: i64,
    next_update: i64,
    fresh_until: i64,
    result: &'static str,
}

/// Responders and cached responses.
#[derive(Default)]
pub struct OcspCache {
    responders: RwLock<HashMap<i64, Arc<LoadedResponder>>>,
    /// By serial (lowercase hex): one entry per CertID form asked (SHA-1, SHA-256).
    responses: RwLock<HashMap<String, Vec<Arc<CachedResponse>>>>,
    epochs: Mutex<HashMap<i64, i64>>,
}

impl OcspCache {
    /// Drops cached responses for a serial (called right after its revocation commits).
    pub fn invalidate(&self, serial: &str) {
        if let Ok(mut map) = self.responses.write() {
            map.remove(serial);
        }
    }

    /// Drops cached responses of CAs whose revocation epoch moved since last seen.
    pub(crate) fn observe_epochs(&self, epochs: &HashMap<i64, i64>) {
        let Ok(mut seen) = self.epochs.lock() else {
            return;
        };
        let changed: Vec<i64> = epochs
            .iter()
            .filter(|(ca, epoch)| seen.get(ca).is_some_and(|old| old != *epoch))
            .map(|(ca, _)| *ca)
            .collect();
        seen.clone_from(epochs);
        drop(seen);
        if !changed.is_empty()
            && let Ok(mut map) = self.responses.write()
        {
            map.retain(|_, entries| {
                entries.retain(|e| !changed.contains(&e.ca_id));
                !entries.is_empty()
            });
        }
    }

    fn lookup(&self, serial: &str, cert_id: &[u8], now: i64) -> Option<Arc<CachedResponse>> {
        let map = self.responses.read().ok()?;
        map.get(serial)?
            .iter()
            .find(|e| e.cert_id == cert_id && e.fresh_until > now)
            .cloned()
    }

    fn store(&self, serial: String, entry: Arc<CachedResponse>) {
        if let Ok(mut map) = self.responses.write() {
            if map.len() >= MAX_CACHED {
                map.clear();
            }
            let entries = map.entry(serial).or_default();
            entries.retain(|e| e.cert_id != entry.cert_id);
            entries.push(entry);
        }
    }

    fn responder(&self, ca_id: i64) -> Option<Arc<LoadedResponder>> {
        self.responders.read().ok()?.get(&ca_id).cloned()
    }

    /// (CA id, responder not_after) of the loaded responders.
    fn responder_expiries(&self) -> Vec<(i64, i64)> {
        self.responders
            .read()
            .map(|m| m.iter().map(|(id, r)| (*id, r.not_after)).collect())
            .unwrap_or_default()
    }
}

/// An answer to an OCSP request.
#[derive(Debug, Clone)]
pub struct OcspAnswer {
    pub der: bytes::Bytes,
    /// `good`, `revoked`, `unknown`, `malformed`, `unauthorized` or `internal_error`.
    pub result: &'static str,
    pub cached: bool,
    /// For HTTP caching headers of successful responses.
    pub this_update: Option<i64>,
    pub next_update: Option<i64>,
}

impl OcspAnswer {
    fn error(status: ResponseStatus, result: &'static str) -> Self {
        OcspAnswer {
            der: pki::ocsp::error_response(status).into(),
            result,
            cached: false,
            this_update: None,
            next_update: None,
        }
    }
}

fn state_of(record: Option<(i64, Option<i64>, Option<i64>)>, ca_id: i64) -> CertState {
    match record {
        Some((owner, revoked_at, reason)) if owner == ca_id => match (revoked_at, reason) {
            (Some(at), Some(code)) => CertState::Revoked {
                at,
                reason: u8::try_from(code)
                    .ok()
                    .and_then(RevocationReason::from_code)
                    .unwrap_or(RevocationReason::Unspecified),
            },
            _ => CertState::Good,
        },
        _ => CertState::Unknown,
    }
}

fn result_label(state: &CertState) -> &'static str {
    match state {
        CertState::Good => "good",
        CertState::Revoked { .. } => "revoked",
        CertState::Unknown => "unknown",
    }
}

/// (CA id, not_after) of each CA's loaded delegated responder.
pub async fn responder_expiries(app: &App) -> Result<Vec<(i64, i64)>, ServiceError> {
    Ok(app.ca().await?.ocsp.responder_expiries())
}

/// Answers a DER OCSP request. Never fails: problems become OCSP error statuses.
pub async fn answer(app: &App, request: &[u8]) -> OcspAnswer {
    let started = Instant::now();
    let answer = match app.ca().await {
        Ok(engine) => answer_with(app, engine, request).await,
        Err(e) => {
            tracing::error!(error = %e, "OCSP: the CA engine is not available");
            OcspAnswer::error(ResponseStatus::TryLater, "internal_error")
        }
    };
    metrics::record_ocsp(answer.result, answer.cached, started.elapsed());
    answer
}

async fn answer_with(app: &App, engine: &CaEngine, request: &[u8]) -> OcspAnswer {
    let Ok(parsed) = pki::ocsp::parse_request(request) else {
        return OcspAnswer::error(ResponseStatus::MalformedRequest, "malformed");
    };
    // Every certificate asked about must be from one CA we run.
    let mut ca: Option<&Arc<LoadedCa>> = None;
    for id in &parsed.ids {
        let found = engine.registry.all().iter().find(|c| c.matches_cert_id(id));
        match (found, ca) {
            (None, _) => {
                return OcspAnswer::error(ResponseStatus::Unauthorized, "unauthorized");
            }
            (Some(f), Some(prev)) if f.id != prev.id => {
                return OcspAnswer::error(ResponseStatus::Unauthorized, "unauthorized");
            }
            (Some(f), _) => ca = Some(f),
        }
    }
    let Some(ca) = ca else {
        return OcspAnswer::error(ResponseStatus::MalformedRequest, "malformed");
    };
    let Some(responder) = engine.ocsp.responder(ca.id) else {
        return OcspAnswer::error(ResponseStatus::TryLater, "internal_error");
    };
    let now = app.now().seconds();
    let cacheable = parsed.ids.len() == 1 && parsed.nonce.is_none();
    let serials: Vec<Option<String>> = parsed
        .ids
        .iter()
        .map(|id| {
            Serial::from_der_magnitude(id.serial_number.as_bytes())
                .ok()
                .map(|s| s.to_hex())
        })
        .collect();
    let first_id_der = if cacheable {
        parsed.ids[0].to_der().ok()
    } else {
        None
    };
    if let (Some(id_der), Some(serial)) = (&first_id_der, &serials[0])
        && let Some(hit) = engine.ocsp.lookup(serial, id_der, now)
    {
        return OcspAnswer {
            der: hit.der.clone(),
            result: hit.result,
            cached: true,
            this_update: Some(hit.this_update),
            next_update: Some(hit.next_update),
        };
    }
    let mut answers = Vec::with_capacity(parsed.ids.len());
    for (id, serial) in parsed.ids.iter().zip(&serials) {
        let state = match serial {
            Some(serial) => match store::certificates::status(&app.store, serial).await {
                Ok(record) => state_of(record, ca.id),
                Err(e) => {
                    tracing::error!(error = %e, "OCSP status lookup");
                    return OcspAnswer::error(ResponseStatus::TryLater, "internal_error");
                }
            },
            None => CertState::Unknown,
        };
        answers.push((id.clone(), state));
    }
    let validity = app.ca_settings.ocsp_validity.as_secs() as i64;
    let next_update = now + validity;
    let signed = pki::ocsp::sign_response(
        &Responder {
            certificate: &responder.cert,
            signer: responder.signer.as_ref(),
        },
        &answers,
        parsed.nonce.as_ref(),
        now,
        next_update,
    );
    let der: bytes::Bytes = match signed {
        Ok(der) => der.into(),
        Err(e) => {
            tracing::error!(error = %e, "OCSP signing");
            return OcspAnswer::error(ResponseStatus::InternalError, "internal_error");
        }
    };
    let result = if answers.len() == 1 {
        result_label(&answers[0].1)
    } else {
        "multiple"
    };
    if let (Some(id_der), Some(serial)) = (first_id_der, serials[0].clone())
        && answers[0].1 != CertState::Unknown
    {
        engine.ocsp.store(
            serial,
            Arc::new(CachedResponse {
                ca_id: ca.id,
                cert_id: id_der,
                der: der.clone(),
                this_update: now,
                next_update,
                fresh_until: now + validity / 2,
                result,
            }),
        );
    }
    OcspAnswer {
        der,
        result,
        cached: false,
        this_update: Some(now),
        next_update: Some(next_update),
    }
}

/// Loads each CA's delegated responder, issuing a new one where there is none or it
/// expires within the renewal margin.
pub(crate) async fn ensure_responders(app: &App, engine: &CaEngine) -> Result<(), ServiceError> {
    let now = app.now().seconds();
    let renew_before = app.ca_settings.ocsp_responder_renew_before.as_secs() as i64;
    let stored: HashMap<i64, store::ocsp_responders::ResponderRecord> =
        store::ocsp_responders::current(&app.store)
            .await?
            .into_iter()
            .map(|r| (r.ca_id, r))
            .collect();
    for ca in engine.registry.all() {
        let loaded = match stored.get(&ca.id) {
            Some(record) if record.not_after - now > renew_before => {
                let context = format!("ocsp:{}:{}", ca.name, record.certificate_id);
                LoadedResponder {
                    cert: certificate::parse(&record.cert_der)
                        .map_err(|e| ServiceError::internal("responder certificate", e))?,
                    signer: Box::new(open_software_key(
                        app.secrets.master(),
                        &context,
                        &record.sealed_key,
                    )?),
                    not_after: record.not_after,
                }
            }
            _ => issue_responder(app, ca).await?,
        };
        if let Ok(mut map) = engine.ocsp.responders.write() {
            map.insert(ca.id, Arc::new(loaded));
        }
    }
    Ok(())
}

async fn issue_responder(app: &App, ca: &Arc<LoadedCa>) -> Result<LoadedResponder, ServiceError> {
    let key = SoftwareKey::generate(ca.family, pki::software_key::RsaBits::B2048)
        .map_err(|e| ServiceError::internal("responder key", e))?;
    let subject = SubjectFields {
        country: Some("CN".into()),
        organization: Some(app.ca_settings.ca_organization.clone()),
        common_name: Some(format!("{} OCSP Responder", ca.name)),
        ..SubjectFields::default()
    };
    let serial = Serial::random().map_err(|e| ServiceError::internal("serial", e))?;
    let issued = certificate::issue(
        &ca.issuer(),
        &CertificateOrder {
            profile: Profile::Ocsp,
            subject: &subject,
            public_key: key.public_key(),
            serial: &serial,
            days: Some(app.ca_settings.ocsp_responder_days),
            policy_oid: app.ca_settings.policy_oid,
        },
        app.now(),
    )
    .map_err(|e| ServiceError::internal("responder certificate", e))?;
    let secret = key
        .to_secret_bytes()
        .map_err(|e| ServiceError::internal("responder key", e))?;
    let mut tx = app.store.begin_write().await?;
    let certificate_id = store::certificates::insert(
        &mut tx,
        &NewCertificate {
            ca_id: ca.id,
            serial: serial.to_hex(),
            profile: Profile::Ocsp.name().into(),
            subject: issued.subject.clone(),
            not_before: issued.not_before,
            not_after: issued.not_after,
            der: issued.der.clone(),
        },
    )
    .await?
    .ok_or_else(|| ServiceError::internal("responder certificate", "serial collision"))?;
    // The sealing context binds the key to its responder certificate.
    let context = format!("ocsp:{}:{}", ca.name, certificate_id);
    let sealed = app
        .secrets
        .master()
        .seal(context.as_bytes(), &secret)
        .map_err(|e| ServiceError::internal("sealing", e))?;
    store::ocsp_responders::insert(&mut tx, ca.id, certificate_id, issued.not_after, &sealed)
        .await?;
    crate::audit::record(
        &mut tx,
        &Actor::System,
        AuditAction::OcspResponderIssue,
        format!("certificate:{}", serial.to_hex()),
        serde_json::json!({"ca": ca.name, "not_after": issued.not_after}),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(ca = %ca.name, serial = %serial.to_hex(), "issued OCSP responder certificate");
    Ok(LoadedResponder {
        cert: certificate::parse(&issued.der)
            .map_err(|e| ServiceError::internal("responder certificate", e))?,
        signer: Box::new(key),
        not_after: issued.not_after,
    })
}

/// Renews the delegated responders that come within the renewal margin of expiry (the
/// hourly job `jobs::ocsp_renewal`).
pub async fn renew_responders(app: &App) -> Result<(), ServiceError> {
    ensure_responders(app, app.ca().await?).await
}
