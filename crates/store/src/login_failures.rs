//! Failed logins per subject (an account, an address), for throttling.
//!
//! A login reserves a failure against each of its subjects before the password is checked
//! ([`reserve`]), in one transaction that first takes the subjects' `login_throttles` rows:
//! concurrent logins of one subject are counted one after another, so a limit holds
//! however the requests are timed. A login that succeeds gives its reservations back
//! ([`release`]); one that fails keeps them as its failures.

use crate::{StoreError, WriteTx};

/// The outcome of [`reserve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// A failure was counted in advance against every subject (these rows).
    Held(Vec<i64>),
    /// `subject` already has `limit` failures in the window; the oldest is at `oldest`.
    Refused { subject: String, oldest: i64 },
}

/// Counts a failure in advance against each `(subject, limit)` unless one of them has
/// reached its limit since `since`.
pub async fn reserve(
    tx: &mut WriteTx,
    subjects: &[(&str, i64)],
    since: i64,
) -> Result<Reservation, StoreError> {
    let now = tx.now().seconds();
    // Lock in one order (sorted), so that two logins never wait for each other's rows.
    let mut ordered: Vec<&(&str, i64)> = subjects.iter().collect();
    ordered.sort_by_key(|(subject, _)| *subject);
    for (subject, _) in &ordered {
        sqlx::query(
            "INSERT INTO login_throttles (subject, touched_at) VALUES ($1, $2) \
             ON CONFLICT (subject) DO UPDATE SET touched_at = excluded.touched_at",
        )
        .bind(*subject)
        .bind(now)
        .execute(&mut ***tx)
        .await?;
    }
    for (subject, limit) in &ordered {
        let (failures, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(at) FROM login_failures WHERE subject = $1 AND at >= $2",
        )
        .bind(*subject)
        .bind(since)
        .fetch_one(&mut ***tx)
        .await?;
        if failures >= *limit {
            return Ok(Reservation::Refused {
                subject: subject.to_string(),
                oldest: oldest.unwrap_or(now),
            });
        }
    }
    let mut held = Vec::with_capacity(subjects.len());
    for (subject, _) in subjects {
        let (id,): (i64,) =
            sqlx::query_as("INSERT INTO login_failures (subject, at) VALUES ($1, $2) RETURNING id")
                .bind(*subject)
                .bind(now)
                .fetch_one(&mut ***tx)
                .await?;
        held.push(id);
    }
    Ok(Reservation::Held(held))
}

/// Gives reserved failures back (the login succeeded).
pub async fn release(tx: &mut WriteTx, ids: &[i64]) -> Result<(), StoreError> {
    for id in ids {
        sqlx::query("DELETE FROM login_failures WHERE id = $1")
            .bind(*id)
            .execute(&mut ***tx)
            .await?;
    }
    Ok(())
}

/// Forgets an account's failures after a successful login.
pub async fn clear(tx: &mut WriteTx, subject: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_failures WHERE subject = $1")
        .bind(subject)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Forgets failures and throttle rows not touched since `before` (no window reaches back
/// that far); returns how many rows went.
pub async fn prune(tx: &mut WriteTx, before: i64) -> Result<u64, StoreError> {
    let failures = sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(before)
        .execute(&mut ***tx)
        .await?
        .rows_affected();
    let throttles = sqlx::query("DELETE FROM login_throttles WHERE touched_at < $1")
        .bind(before)
        .execute(&mut ***tx)
        .await?
        .rows_affected();
    Ok(failures + throttles)
}
