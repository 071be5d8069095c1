//! CRL publication: on a schedule (at half the CRL interval) and shortly after
//! revocations, by a background job (`jobs::crl`), never inside a revocation request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use domain::AuditAction;
use futures_util::TryStreamExt;
use pki::RevocationReason;
use pki::crl::{CrlEntries, CrlInfo};
use store::crls::CrlRecord;

use super::CaEngine;
use super::registry::LoadedCa;
use crate::people::actor::Actor;
use crate::{App, ServiceError, metrics};

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

/// Generates, signs and stores a new CRL for the CA named `ca` (`ca crl`).
pub async fn publish(
    app: &App,
    actor: &Actor,
    ca: &str,
) -> Result<Arc<PublishedCrl>, ServiceError> {
    let engine = app.ca().await?;
    let ca = engine.registry.require(ca)?.clone();
    actor.check_ca(&ca.name)?;
    publish_for(app, engine, &ca, actor).await
}

/// Generates, signs and stores a new CRL for `ca` by streaming its revocations; the audit
/// event goes in the transaction that stores it.
async fn publish_for(
    app: &App,
    engine: &CaEngine,
    ca: &Arc<LoadedCa>,
    actor: &Actor,
) -> Result<Arc<PublishedCrl>, ServiceError> {
    let started = Instant::now();
    // Read the epoch first: revocations made while streaming bump it again, so the
    // publisher will run once more and nothing is missed.
    let epoch = store::cas::revocation_epochs(&app.store)
        .await?
        .into_iter()
        .find(|(id, _)| *id == ca.id)
        .map(|(_, e)| e)
        .unwrap_or(0);
    let number = store::cas::next_crl_number(&app.store, ca.id).await?;
    let mut entries = CrlEntries::new();
    let mut chunks = store::revocations::stream_packed_for_ca(&app.store, ca.id);
    while let Some(chunk) = chunks.try_next().await.map_err(store::StoreError::from)? {
        for entry in chunk.split(';') {
            let (serial, revoked_at, reason) = parse_packed(entry)
                .ok_or_else(|| ServiceError::internal("stored revocation", entry.to_string()))?;
            entries
                .push(&serial, revoked_at, reason_of(reason))
                .map_err(|e| ServiceError::internal("CRL entry", e))?;
        }
    }
    drop(chunks);
    let count = entries.len() as i64;
    let this_update = app.now().seconds();
    let next_update = this_update + app.ca_settings.crl_interval.as_secs() as i64;
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
    let mut tx = app.store.begin_write().await?;
    store::crls::save(&mut tx, &record).await?;
    crate::audit::record(
            &mut tx,
            actor,
            AuditAction::CrlPublish,
            format!("ca:{}", ca.name),
            serde_json::json!({
                "crl_number": number, "entries": count, "this_update": this_update, "next_update": next_update,
            }),
        )
        .await?;
    tx.commit().await?;
    let published = Arc::new(PublishedCrl::from(record));
    engine.crls.put(published.clone());
    metrics::record_crl(&ca.name, count, started.elapsed());
    tracing::info!(ca = %ca.name, number, entries = count, ms = started.elapsed().as_millis() as u64, "published CRL");
    Ok(published)
}

/// The CRL to serve for the CA named `ca` (`None`: no such CA): from memory, else the
/// database, else a new one.
pub async fn current(app: &App, ca: &str) -> Result<Option<Arc<PublishedCrl>>, ServiceError> {
    let engine = app.ca().await?;
    let Some(ca) = engine.registry.by_name(ca) else {
        return Ok(None);
    };
    let now = app.now().seconds();
    if let Some(crl) = engine.crls.get(ca.id).filter(|c| c.next_update > now) {
        return Ok(Some(crl));
    }
    if let Some(record) = store::crls::latest(&app.store, ca.id)
        .await?
        .filter(|r| r.next_update > now)
    {
        let crl = Arc::new(PublishedCrl::from(record));
        engine.crls.put(crl.clone());
        return Ok(Some(crl));
    }
    publish_for(app, engine, ca, &Actor::System).await.map(Some)
}

/// One round of the background job, on every node: drop cached OCSP responses of CAs
/// whose revocations changed and cached CRLs another node has replaced; then, on the one
/// node holding the publisher lease, publish every CRL that is missing, behind the
/// revocations, or past half its interval. Returns how many were published.
pub async fn sync_and_publish(app: &App) -> Result<usize, ServiceError> {
    let engine = app.ca().await?;
    let epochs: HashMap<i64, i64> = store::cas::revocation_epochs(&app.store)
        .await?
        .into_iter()
        .collect();
    engine.ocsp.observe_epochs(&epochs);
    let stored: HashMap<i64, StoredCrl> = store::crls::summaries(&app.store)
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
    engine.crls.forget_superseded(&stored);
    if !store::leases::acquire(&app.store, PUBLISHER_LEASE, app.node_id(), LEASE_SECONDS).await? {
        return Ok(0);
    }
    let now = app.now().seconds();
    let refresh_margin = (app.ca_settings.crl_interval.as_secs() / 2) as i64;
    let mut count = 0;
    for ca in engine.registry.all() {
        let epoch = epochs.get(&ca.id).copied().unwrap_or(0);
        let due = stored
            .get(&ca.id)
            .is_none_or(|s| s.epoch < epoch || s.next_update - refresh_margin <= now);
        if due {
            publish_for(app, engine, ca, &Actor::System).await?;
            count += 1;
        }
    }
    Ok(count)
}

/// Benchmark support (`certhall bench crl`, on a scratch database only): `count` revoked
/// placeholder certificates of the CA named `ca`.
pub async fn fill_for_benchmark(app: &App, ca: &str, count: u64) -> Result<(), ServiceError> {
    let ca = app.ca().await?.registry.require(ca)?.clone();
    Ok(store::certificates::insert_revoked_for_benchmark(&app.store, ca.id, count).await?)
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
