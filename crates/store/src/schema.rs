//! The schema: numbered migrations, one `.sql` file each in `migrations/` (compiled into
//! the binary), plus a file per backend where the DDL cannot be shared (the audit log's
//! append-only triggers). In the shared files `{id}` stands for the backend's
//! auto-increment primary key and `{blob}` for its byte-string type. Applied versions are
//! recorded in `schema_migrations`; all pending migrations run in one transaction.

use crate::{Backend, Store, StoreError};

struct Migration {
    version: i64,
    shared: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// A migration from `migrations/NNNN_name.sql` (and, with `per_backend`, the
/// `NNNN_name.sqlite.sql` and `NNNN_name.postgres.sql` beside it).
macro_rules! migration {
    ($version:literal, $file:literal) => {
        Migration {
            version: $version,
            shared: include_str!(concat!("../migrations/", $file, ".sql")),
            sqlite: "",
            postgres: "",
        }
    };
    ($version:literal, $file:literal, per_backend) => {
        Migration {
            version: $version,
            shared: include_str!(concat!("../migrations/", $file, ".sql")),
            sqlite: include_str!(concat!("../migrations/", $file, ".sqlite.sql")),
            postgres: include_str!(concat!("../migrations/", $file, ".postgres.sql")),
        }
    };
}

const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_ca_engine", per_backend),
    migration!(2, "0002_job_leases"),
    migration!(3, "0003_outbox"),
    migration!(4, "0004_accounts"),
    migration!(5, "0005_profiles"),
    migration!(6, "0006_channels"),
    migration!(7, "0007_applications"),
    migration!(8, "0008_documents"),
    migration!(9, "0009_upload_links"),
    migration!(10, "0010_hardening"),
    migration!(11, "0011_identity_checks"),
    migration!(12, "0012_orders"),
    migration!(13, "0013_bank_statements"),
    migration!(14, "0014_payment_attempts"),
    migration!(15, "0015_refunds"),
    migration!(16, "0016_invoices"),
    migration!(17, "0017_payment_merchants"),
    migration!(18, "0018_voucher_links"),
    migration!(19, "0019_refunds_settled_later"),
    migration!(20, "0020_credit_orders"),
    migration!(21, "0021_usb_keys"),
    migration!(22, "0022_production_jobs"),
    migration!(23, "0023_shipments"),
    migration!(24, "0024_pickups"),
    migration!(25, "0025_pin_transfers"),
];

fn for_backend(backend: Backend, sql: &str) -> String {
    let (id, blob) = match backend {
        Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"),
        Backend::Postgres => ("BIGSERIAL PRIMARY KEY", "BYTEA"),
    };
    sql.replace("{id}", id).replace("{blob}", blob)
}

pub(crate) async fn migrate(store: &Store) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut **tx)
    .await?;
    let applied: Vec<(i64,)> = sqlx::query_as("SELECT version FROM schema_migrations")
        .fetch_all(&mut **tx)
        .await?;
    for migration in MIGRATIONS {
        if applied.iter().any(|(v,)| *v == migration.version) {
            continue;
        }
        let own = match store.backend() {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        for part in [migration.shared, own] {
            if !part.trim().is_empty() {
                // Without arguments both drivers run the text as a script of statements.
                sqlx::raw_sql(&for_backend(store.backend(), part))
                    .execute(&mut **tx)
                    .await?;
            }
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(tx.now().seconds())
            .execute(&mut **tx)
            .await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_and_fill_their_placeholders() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
            for backend in [Backend::Sqlite, Backend::Postgres] {
                let sql = for_backend(backend, m.shared);
                assert!(
                    !sql.contains('{') && !sql.contains('}'),
                    "migration {}",
                    m.version
                );
            }
        }
    }
}
