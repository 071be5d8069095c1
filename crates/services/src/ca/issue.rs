//! Issuing certificates from CSRs.
//!
//! Signing runs in the request's task, in parallel. Storing goes through one writer task
//! that commits whatever certificates are waiting in a single transaction (each with its
//! audit event), so under load one commit (one fsync) covers many certificates, and a
//! caller gets its certificate only once it is durably stored.

use std::time::Instant;

use domain::{AuditAction, CertificateStatus};
use pki::certificate::{self, CertificateOrder};
use pki::csr;
use pki::name::SubjectFields;
use pki::profile::Profile;
use pki::serial::Serial;
use store::Store;
use store::audit::AuditEvent;
use store::certificates::NewCertificate;
use tokio::sync::{mpsc, oneshot};

use super::certificates::CertificateInfo;
use super::registry::CaRole;
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError, metrics};

/// Most certificates committed in one transaction.
const MAX_BATCH: usize = 512;
/// Attempts before giving up on finding an unused serial (a collision of 127-bit random
/// serials means something is badly wrong, so a handful is plenty).
const SERIAL_ATTEMPTS: usize = 4;

/// What to issue.
pub struct IssueRequest<'a> {
    pub ca: &'a str,
    pub profile: &'a str,
    pub csr: &'a [u8],
    pub days: Option<u32>,
    /// Replaces the CSR's subject fields that it sets, e.g.
    /// `/C=CN/O=某公司/organizationIdentifier=91350100M000100Y43/CN=某公司`.
    pub subject: Option<&'a str>,
}

struct Pending {
    certificate: NewCertificate,
    audit: AuditEvent,
    /// `Ok(None)`: the serial was taken, issue again.
    reply: oneshot::Sender<Result<Option<i64>, ServiceError>>,
}

/// The handle of the writer task.
pub(crate) struct IssuanceWriter {
    queue: mpsc::Sender<Pending>,
}

impl IssuanceWriter {
    pub(crate) fn start(store: Store) -> Self {
        let (queue, mut rx) = mpsc::channel::<Pending>(MAX_BATCH * 4);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let results = write_batch(&store, &batch).await;
                for (pending, result) in batch.drain(..).zip(results) {
                    let _ = pending.reply.send(result);
                }
            }
        });
        IssuanceWriter { queue }
    }

    /// Stores one certificate with its audit event; waits until committed.
    pub(crate) async fn store(
        &self,
        certificate: NewCertificate,
        audit: AuditEvent,
    ) -> Result<Option<i64>, ServiceError> {
        let (reply, answer) = oneshot::channel();
        let closed = || ServiceError::internal("issuance writer", "stopped");
        self.queue
            .send(Pending {
                certificate,
                audit,
                reply,
            })
            .await
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

/// One transaction for the whole batch, a few statements whatever its size; per-certificate
/// serial collisions are reported back without failing the others.
async fn write_batch(store: &Store, batch: &[Pending]) -> Vec<Result<Option<i64>, ServiceError>> {
    let attempt = async {
        let mut tx = store.begin_write().await?;
        let certificates: Vec<&NewCertificate> = batch.iter().map(|p| &p.certificate).collect();
        let ids = store::certificates::insert_many(&mut tx, &certificates).await?;
        let events: Vec<AuditEvent> = batch
            .iter()
            .zip(&ids)
            .filter(|(_, id)| id.is_some())
            .map(|(p, _)| p.audit.clone())
            .collect();
        store::audit::append_many(&mut tx, &events).await?;
        tx.commit().await?;
        Ok::<_, store::StoreError>(ids)
    };
    match attempt.await {
        Ok(ids) => ids.into_iter().map(Ok).collect(),
        Err(e) => {
            let err = ServiceError::from(e);
            batch.iter().map(|_| Err(err.clone())).collect()
        }
    }
}

/// Checks the CSR, signs the certificate and stores it (one audit event); returns it once
/// it is durably committed.
pub async fn issue(
    app: &App,
    actor: &Actor,
    request: IssueRequest<'_>,
) -> Result<CertificateInfo, ServiceError> {
    let given = match request.subject {
        Some(text) => Some(
            text.parse::<SubjectFields>()
                .map_err(|e| ServiceError::from_pki(e, "subject"))?,
        ),
        None => None,
    };
    issue_with(app, actor, &request, SubjectChoice::FromCsr(given)).await
}

/// Where an issued certificate's subject comes from.
pub(crate) enum SubjectChoice {
    /// The CSR's, with the fields given replacing its own.
    FromCsr(Option<SubjectFields>),
    /// Exactly this, whatever the CSR says (production: the application's verified data;
    /// the producer cannot change it).
    Exactly(SubjectFields),
}

/// Issues `request` (its `subject` text ignored) with the subject `choice` says.
pub(crate) async fn issue_with(
    app: &App,
    actor: &Actor,
    request: &IssueRequest<'_>,
    choice: SubjectChoice,
) -> Result<CertificateInfo, ServiceError> {
    let started = Instant::now();
    let engine = app.ca().await?;
    let ca = engine.registry.require(request.ca)?;
    actor.check_ca(&ca.name)?;
    actor.check_profile(request.profile)?;
    if ca.role != CaRole::Issuing {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "root_ca",
            format!(
                "{} is a root CA; certificates are issued by issuing CAs",
                ca.name
            ),
            format!("{} 是根 CA，证书应由签发 CA 签发", ca.name),
        )
        .with_field("ca"));
    }
    let profile: Profile = request
        .profile
        .parse()
        .map_err(|e| ServiceError::from_pki(e, "profile"))?;
    if !Profile::END_ENTITY.contains(&profile) {
        return Err(ServiceError::from_pki(
            pki::PkiError::UnknownProfile(request.profile.into()),
            "profile",
        ));
    }
    let checked =
        csr::check(request.csr, ca.family).map_err(|e| ServiceError::from_pki(e, "csr"))?;
    let subject = match (checked.subject, choice) {
        (_, SubjectChoice::Exactly(s)) => s,
        (Some(from_csr), SubjectChoice::FromCsr(Some(given))) => from_csr.overridden_by(given),
        (Some(s), SubjectChoice::FromCsr(None)) | (None, SubjectChoice::FromCsr(Some(s))) => s,
        (None, SubjectChoice::FromCsr(None)) => {
            return Err(ServiceError::new(
                ErrorKind::Invalid,
                "subject_missing",
                "the CSR has an empty subject and none was given",
                "证书请求的主题为空，且未提供主题",
            )
            .with_field("subject"));
        }
    };
    for _ in 0..SERIAL_ATTEMPTS {
        let serial = Serial::random().map_err(|e| ServiceError::internal("serial", e))?;
        let issued = certificate::issue(
            &ca.issuer(),
            &CertificateOrder {
                profile,
                subject: &subject,
                public_key: &checked.public_key,
                serial: &serial,
                days: request.days,
                policy_oid: app.ca_settings.policy_oid,
            },
            app.now(),
        )
        .map_err(|e| ServiceError::from_pki(e, "csr"))?;
        let serial_hex = serial.to_hex();
        let audit = AuditEvent {
            actor: actor.label(),
            action: AuditAction::CertificateIssue,
            object: format!("certificate:{serial_hex}"),
            details: serde_json::json!({
                "ca": ca.name, "profile": profile.name(), "subject": issued.subject,
                "not_after": issued.not_after, "sha256": certificate::sha256_hex(&issued.der),
            }),
        };
        let stored = engine
            .writer
            .store(
                NewCertificate {
                    ca_id: ca.id,
                    serial: serial_hex.clone(),
                    profile: profile.name().into(),
                    subject: issued.subject.clone(),
                    not_before: issued.not_before,
                    not_after: issued.not_after,
                    der: issued.der.clone(),
                },
                audit,
            )
            .await?;
        if stored.is_none() {
            tracing::warn!(serial = %serial_hex, "serial collision; issuing again with a new serial");
            continue;
        }
        metrics::record_issuance(&ca.name, profile.name(), started.elapsed());
        return Ok(CertificateInfo {
            serial: serial_hex,
            ca: ca.name.clone(),
            profile: profile.name().into(),
            subject: issued.subject,
            not_before: issued.not_before,
            not_after: issued.not_after,
            status: CertificateStatus::Valid,
            revoked_at: None,
            reason: None,
            der: issued.der,
        });
    }
    Err(ServiceError::internal("issuance", "no unused serial found"))
}
