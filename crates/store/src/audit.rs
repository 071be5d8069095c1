//! The append-only, hash-chained audit log.
//!
//! Each event's hash is SHA-256 over the previous event's hash and the event's own fields
//! (serialised as a JSON array, so no field can bleed into another). `audit_head` holds the
//! last sequence number and hash; updating it first in a transaction serialises writers
//! on both backends, so the chain never forks.

use domain::{AuditAction, AuditEntry, AuditFilter};
use futures_util::TryStreamExt;
use serde::Serialize;

use crate::{StoreError, WriteTx};

/// One state change to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Who: `cli:<user>`, `api-token:<name>`, `system`, ...
    pub actor: String,
    /// What happened (stored as its dotted name, `certificate.revoke`).
    pub action: AuditAction,
    /// Which object: `certificate:<serial>`, `ca:<name>`, ...
    pub object: String,
    pub details: serde_json::Value,
}

/// A stored event with its links in the chain, as `verify` walks them: seq, at, actor,
/// action, object, details, prev_hash, hash.
type ChainRow = (i64, i64, String, String, String, String, String, String);

fn chain_hash(
    prev_hash: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    object: &str,
    details: &str,
) -> String {
    let material =
        serde_json::json!([prev_hash, seq, at, actor, action, object, details]).to_string();
    hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        material.as_bytes(),
    ))
}

/// Appends `event` inside the caller's transaction; returns its sequence number.
pub async fn append(tx: &mut WriteTx, event: &AuditEvent) -> Result<i64, StoreError> {
    Ok(append_many(tx, std::slice::from_ref(event)).await?[0])
}

/// Most events written by one INSERT (8 parameters each, well under both backends' limits).
const EVENTS_PER_STATEMENT: usize = 256;

/// Appends events in order inside the caller's transaction, with three statements per 256
/// events whatever the backend (the batch's chain is computed here); returns their
/// sequence numbers.
pub async fn append_many(tx: &mut WriteTx, events: &[AuditEvent]) -> Result<Vec<i64>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let count = events.len() as i64;
    let (last_seq, mut prev_hash): (i64, String) =
        sqlx::query_as("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
            .bind(count)
            .fetch_one(&mut ***tx)
            .await?;
    let first_seq = last_seq - count + 1;
    let at = tx.now().seconds();
    let mut seqs = Vec::with_capacity(events.len());
    for (chunk_index, chunk) in events.chunks(EVENTS_PER_STATEMENT).enumerate() {
        let sql = format!(
            "INSERT INTO audit_events (seq, at, actor, action, object, details, prev_hash, hash) VALUES {}",
            crate::values_placeholders(chunk.len(), 8)
        );
        let mut rows = Vec::with_capacity(chunk.len());
        for (i, event) in chunk.iter().enumerate() {
            let seq = first_seq + (chunk_index * EVENTS_PER_STATEMENT + i) as i64;
            let details = event.details.to_string();
            let hash = chain_hash(
                &prev_hash,
                seq,
                at,
                &event.actor,
                event.action.as_str(),
                &event.object,
                &details,
            );

            rows.push((
                seq,
                event,
                details,
                std::mem::replace(&mut prev_hash, hash.clone()),
                hash,
            ));
            seqs.push(seq);
        }
        let mut query = sqlx::query(&sql);
        for (seq, event, details, prev, hash) in rows {
            query = query
                .bind(seq)
                .bind(at)
                .bind(&event.actor)
                .bind(event.action.as_str())
                .bind(&event.object)
                .bind(details)
                .bind(prev)
                .bind(hash);
        }
        query.execute(&mut ***tx).await?;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev_hash)
        .execute(&mut ***tx)
        .await?;
    Ok(seqs)
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ChainReport {
    Intact {
        events: i64,
    },
    /// The first event whose link or content does not match, and why.
    Broken {
        seq: i64,
        reason: String,
    },
}

/// Walks the whole chain in order (streaming) and reports the first broken link.
pub async fn verify(store: &crate::Store) -> Result<ChainReport, StoreError> {
    let mut rows = sqlx::query_as::<_, ChainRow>(
        "SELECT seq, at, actor, action, object, details, prev_hash, hash FROM audit_events ORDER BY seq",
    )
    .fetch(store.pool());
    let mut expected_prev = "0".repeat(64);
    let mut expected_seq = 1;
    while let Some((seq, at, actor, action, object, details, prev_hash, hash)) =
        rows.try_next().await?
    {
        if seq != expected_seq {
            return Ok(ChainReport::Broken {
                seq: expected_seq,
                reason: format!("event {expected_seq} is missing (next stored is {})", seq),
            });
        }
        if prev_hash != expected_prev {
            return Ok(ChainReport::Broken {
                seq,
                reason: "its previous-hash does not match the hash of the event before".into(),
            });
        }
        let recomputed = chain_hash(&prev_hash, seq, at, &actor, &action, &object, &details);
        if recomputed != hash {
            return Ok(ChainReport::Broken {
                seq,
                reason: "its content does not match its hash (the row was altered)".into(),
            });
        }
        expected_prev = hash;
        expected_seq += 1;
    }
    drop(rows);
    let (head_seq, head_hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(store.pool())
            .await?;
    if head_seq != expected_seq - 1 || head_hash != expected_prev {
        return Ok(ChainReport::Broken {
            seq: expected_seq,
            reason: format!(
                "the chain head says {head_seq} events, the log ends at {}",
                expected_seq - 1
            ),
        });
    }
    Ok(ChainReport::Intact {
        events: expected_seq - 1,
    })
}

/// A LIKE pattern that matches `prefix` literally, then anything.
fn like_prefix(prefix: &str) -> String {
    format!("{}%", crate::like_literal(prefix))
}

type Row = (i64, i64, String, String, String, String);

fn entry((seq, at, actor, action, object, details): Row) -> AuditEntry {
    AuditEntry {
        seq,
        at,
        actor,
        action,
        object,
        details,
    }
}

/// Events matching `filter`, newest first, at most `limit`.
pub async fn list(
    store: &crate::Store,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, at, actor, action, object, details FROM audit_events \
         WHERE action LIKE $1 ESCAPE '\\' AND actor LIKE $2 ESCAPE '\\' AND object LIKE $3 ESCAPE '\\' \
         AND at >= $4 AND at < $5 AND seq < $6 ORDER BY seq DESC LIMIT $7",
    )
    .bind(like_prefix(&filter.action_prefix))
    .bind(like_prefix(&filter.actor_prefix))
    .bind(like_prefix(&filter.object_prefix))
    .bind(filter.from.unwrap_or(i64::MIN))
    .bind(filter.until.unwrap_or(i64::MAX))
    .bind(filter.before_seq.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(entry).collect())
}

/// The events about exactly `object` (e.g. `application:12`), oldest first: an object's
/// timeline.
pub async fn for_object(store: &crate::Store, object: &str) -> Result<Vec<AuditEntry>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, at, actor, action, object, details FROM audit_events WHERE object = $1 ORDER BY seq LIMIT 500",
    )
    .bind(object)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(entry).collect())
}
