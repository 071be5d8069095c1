//! Leases that let one node at a time run a background job when several `serve` processes
//! share a database.

use crate::{Store, StoreError};

/// Takes or renews the lease on `job` for `holder` for `seconds`; true when `holder` has it.
/// A lease is taken over only once it has expired, so a node that dies hands the job on
/// after at most `seconds`.
pub async fn acquire(
    store: &Store,
    job: &str,
    holder: &str,
    seconds: i64,
) -> Result<bool, StoreError> {
    let mut tx = store.begin_write().await?;
    let now = tx.now().seconds();
    let row: Option<(String,)> = sqlx::query_as(
        "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE job_leases.holder = excluded.holder OR job_leases.expires_at < $4 \
         RETURNING holder",
    )
    .bind(job)
    .bind(holder)
    .bind(now + seconds)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    tx.commit().await?;
    Ok(row.is_some_and(|(h,)| h == holder))
}
