//! CRL publication: on a schedule (at half the CRL interval) and shortly after
//! revocations, by a background task, never inside a revocation request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use pki::RevocationReason;
use pki::crl::{CrlEntries, CrlInfo};
use store::crls::CrlRecord;

use store::audit::AuditEvent;

use crate::actor::Actor;
use crate::registry::LoadedCa;
use crate::{Pki, ServiceError, metrics};

/// A signed CRL as served.
#[derive(Debug, Clone)]
pub struct PublishedCrl {
    pub ca_id: i64,
    pub number: i64,
    pub revocation_epoch: i64,
    pub this_update: i64,
    pub next_update: i64,
    pub entries: i64,
    pub der: bytes::Bytes,
}

impl From<CrlRecord> for PublishedCrl {
    fn from(r: CrlRecord) -> Self {
        PublishedCrl {
            ca_id: r.ca_id,
            number: r.crl_number,
            revocation_epoch: r.revocation_epoch,
            this_update: r.this_update,
            next_update: r.next_update,
            entries: r.entries,
            der: r.der.into(),
        }
    }
}

/// The latest CRL of each CA, in memory.
#[derive(Default)]
pub struct CrlCache {
    latest: RwLock<HashMap<i64, Arc<PublishedCrl>>>,
}

impl CrlCache {
    fn get(&self, ca_id: i64) -> Option<Arc<PublishedCrl>> {
        self.latest.read().ok()?.get(&ca_id).cloned()
    }

    /// Drops cached CRLs older than the ones stored (published by another node or the CLI);
    /// the next request loads the stored one.
    fn forget_superseded(&self, stored: &HashMap<i64, StoredCrl>) {
        if let Ok(mut map) = self.latest.write() {
            map.retain(|ca_id, cached| stored.get(ca_id).is_none_or(|s| s.number <= cached.number));
        }
    }

    fn put(&self, crl: Arc<PublishedCrl>) {
        if let Ok(mut map) = self.latest.write() {
            let newer = map
                .get(&crl.ca_id)
                .is_none_or(|old| old.number < crl.number);
            if newer {
                map.insert(crl.ca_id, crl);
            }
        }
    }
}

/// One `serial revoked_at reason` entry of a packed chunk.
fn parse_packed(entry: &str) -> Option<(Vec<u8>, i64, i64)> {
    let mut parts = entry.split(' ');
    let serial = hex::decode(parts.next()?).ok()?;
    let revoked_at = parts.next()?.parse().ok()?;
    let reason = parts.next()?.parse().ok()?;
    Some((serial, revoked_at, reason))
}

fn reason_of(code: i64) -> RevocationReason {
    u8::try_from(code)
        .ok()
        .and_then(RevocationReason::from_code)
        .unwrap_or(RevocationReason::Unspecified)
}

impl Pki {
    /// Generates, signs and stores a new CRL for `ca` by streaming its revocations; the
    /// audit event goes in the transaction that stores it.
    pub async fn publish_crl(
        &self,
        ca: &Arc<LoadedCa>,
        actor: &Actor,
    ) -> Result<Arc<PublishedCrl>, ServiceError> {
        let started = Instant::now();
        // Read the epoch first: revocations made while streaming bump it again, so the
        // publisher will run once more and nothing is missed.
        let epoch = store::cas::revocation_epochs(&self.store)
            .await?
            .into_iter()
            .find(|(id, _)| *id == ca.id)
            .map(|(_, e)| e)
            .unwrap_or(0);
        let number = store::cas::next_crl_number(&self.store, ca.id).await?;
        let mut entries = CrlEntries::new();
        let mut chunks = store::revocations::stream_packed_for_ca(&self.store, ca.id);
        while let Some(chunk) = chunks.try_next().await.map_err(store::StoreError::from)? {
            for entry in chunk.split(';') {
                let (serial, revoked_at, reason) = parse_packed(entry).ok_or_else(|| {
                    ServiceError::internal("stored revocation", entry.to_string())
                })?;
                entries
                    .push(&serial, revoked_at, reason_of(reason))
                    .map_err(|e| ServiceError::internal("CRL entry", e))?;
            }
        }
        drop(chunks);
        let count = entries.len() as i64;
        let this_update = pki::time::now_unix();
        let next_update = this_update + self.settings.crl_interval.as_secs() as i64;
        let signing_ca = ca.clone();
        let der = tokio::task::spawn_blocking(move || {
            pki::crl::sign_crl(
                &CrlInfo {
                    issuer: &signing_ca.cert,
                    crl_number: number as u64,
                    this_update,
                    next_update,
                },
                entries,
                signing_ca.signer.as_ref(),
            )
        })
        .await
        .map_err(|e| ServiceError::internal("CRL signing task", e))?
        .map_err(|e| ServiceError::internal("CRL signing", e))?;
        let record = CrlRecord {
            ca_id: ca.id,
            crl_number: number,
            revocation_epoch: epoch,
            this_update,
            next_update,
            entries: count,
            der,
        };
        let mut tx = self.store.begin_write().await?;
        store::crls::save(&mut tx, &record).await?;
        store::audit::append(
            &mut tx,
            &AuditEvent {
                actor: actor.label(),
                action: "crl.publish".into(),
                object: format!("ca:{}", ca.name),
                details: serde_json::json!({
                    "crl_number": number, "entries": count, "this_update": this_update, "next_update": next_update,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        let published = Arc::new(PublishedCrl::from(record));
        self.crls.put(published.clone());
        metrics::record_crl(&ca.name, count, started.elapsed());
        tracing::info!(ca = %ca.name, number, entries = count, ms = started.elapsed().as_millis() as u64, "published CRL");
        Ok(published)
    }

    /// The CRL to serve for `ca`: from memory, else the database, else a new one.
    pub async fn current_crl(&self, ca: &Arc<LoadedCa>) -> Result<Arc<PublishedCrl>, ServiceError> {
        let now = pki::time::now_unix();
        if let Some(crl) = self.crls.get(ca.id).filter(|c| c.next_update > now) {
            return Ok(crl);
        }
        if let Some(record) = store::crls::latest(&self.store, ca.id)
            .await?
            .filter(|r| r.next_update > now)
        {
            let crl = Arc::new(PublishedCrl::from(record));
            self.crls.put(crl.clone());
            return Ok(crl);
        }
        self.publish_crl(ca, &Actor::System).await
    }

    /// One round of the background job, on every node: drop cached OCSP responses of CAs
    /// whose revocations changed and cached CRLs another node has replaced; then, on the
    /// one node holding the publisher lease, publish every CRL that is missing, behind
    /// the revocations, or past half its interval. Returns how many were published.
    pub async fn sync_and_publish_crls(&self) -> Result<usize, ServiceError> {
        let epochs: HashMap<i64, i64> = store::cas::revocation_epochs(&self.store)
            .await?
            .into_iter()
            .collect();
        self.ocsp.observe_epochs(&epochs);
        let stored: HashMap<i64, StoredCrl> = store::crls::summaries(&self.store)
            .await?
            .into_iter()
            .map(|(ca, number, epoch, next_update)| {
                (
                    ca,
                    StoredCrl {
                        number,
                        epoch,
                        next_update,
                    },
                )
            })
            .collect();
        self.crls.forget_superseded(&stored);
        if !store::leases::acquire(&self.store, PUBLISHER_LEASE, &self.node_id, LEASE_SECONDS)
            .await?
        {
            return Ok(0);
        }
        let now = pki::time::now_unix();
        let refresh_margin = (self.settings.crl_interval.as_secs() / 2) as i64;
        let mut count = 0;
        for ca in self.registry.all() {
            let epoch = epochs.get(&ca.id).copied().unwrap_or(0);
            let due = stored
                .get(&ca.id)
                .is_none_or(|s| s.epoch < epoch || s.next_update - refresh_margin <= now);
            if due {
                self.publish_crl(ca, &Actor::System).await?;
                count += 1;
            }
        }
        Ok(count)
    }
}

/// What the poll needs to know of a stored CRL.
struct StoredCrl {
    number: i64,
    epoch: i64,
    next_update: i64,
}

const PUBLISHER_LEASE: &str = "crl-publisher";
/// The lease outlives a few polls, so a live publisher keeps it and a dead one's passes on
/// within seconds.
const LEASE_SECONDS: i64 = 10;

/// The background job of every `serve`: wakes on revocations (after a short pause that
/// gathers a burst into one CRL) and every 2 s to check schedules and other nodes' changes.
pub async fn run(pki: Arc<Pki>) {
    const POLL: Duration = Duration::from_secs(2);
    const GATHER: Duration = Duration::from_millis(300);
    loop {
        if tokio::time::timeout(POLL, pki.revocations_changed.notified())
            .await
            .is_ok()
        {
            tokio::time::sleep(GATHER).await;
        }
        if let Err(e) = pki.sync_and_publish_crls().await {
            tracing::error!(error = %e, "CRL publication failed; retrying");
        }
    }
}
