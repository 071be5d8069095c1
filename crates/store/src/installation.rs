//! Facts about the installation that outlive any one process's flags (the CA hierarchy's
//! public base URL): one row per name.

use crate::{StoreError, WriteTx};

/// The value under `name` as this transaction sees it.
pub async fn get(tx: &mut WriteTx, name: &str) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT value FROM installation WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut ***tx)
            .await?,
    )
}

/// Records `value` under `name`, replacing what was there.
pub async fn set(tx: &mut WriteTx, name: &str, value: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO installation (name, value, changed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at",
    )
    .bind(name)
    .bind(value)
    .bind(tx.now().seconds())
    .execute(&mut ***tx)
    .await?;
    Ok(())
}
