//! The schema, as numbered migrations with one text per backend where the DDL differs.
//! Applied versions are recorded in `schema_migrations`; each migration runs in one
//! transaction.

use crate::{Backend, Store, StoreError};

struct Migration {
    version: i64,
    /// Statements separated by `;\n`. `{id}`, `{blob}` are replaced per backend.
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: r#"
CREATE TABLE cas (
    id {id},
    name TEXT NOT NULL UNIQUE,
    family TEXT NOT NULL,
    role TEXT NOT NULL,
    parent_id BIGINT REFERENCES cas(id),
    subject TEXT NOT NULL,
    cert_der {blob} NOT NULL,
    not_after BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    key_storage TEXT NOT NULL,
    sealed_key {blob},
    pkcs11_label TEXT,
    crl_number BIGINT NOT NULL DEFAULT 0,
    revocation_epoch BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE certificates (
    id {id},
    ca_id BIGINT NOT NULL REFERENCES cas(id),
    serial TEXT NOT NULL UNIQUE,
    profile TEXT NOT NULL,
    subject TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    der {blob} NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX certificates_ca ON certificates (ca_id, not_after);
CREATE TABLE revocations (
    certificate_id BIGINT PRIMARY KEY REFERENCES certificates(id),
    ca_id BIGINT NOT NULL REFERENCES cas(id),
    serial TEXT NOT NULL,
    revoked_at BIGINT NOT NULL,
    reason BIGINT NOT NULL
);
CREATE INDEX revocations_ca ON revocations (ca_id);
CREATE TABLE crls (
    ca_id BIGINT PRIMARY KEY REFERENCES cas(id),
    crl_number BIGINT NOT NULL,
    revocation_epoch BIGINT NOT NULL,
    this_update BIGINT NOT NULL,
    next_update BIGINT NOT NULL,
    entries BIGINT NOT NULL,
    der {blob} NOT NULL
);
CREATE TABLE ocsp_responders (
    id {id},
    ca_id BIGINT NOT NULL REFERENCES cas(id),
    certificate_id BIGINT NOT NULL REFERENCES certificates(id),
    not_after BIGINT NOT NULL,
    sealed_key {blob} NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE api_tokens (
    id {id},
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    cas TEXT NOT NULL,
    profiles TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
"#,
    },
    Migration {
        version: 2,
        sql: r#"
CREATE TABLE job_leases (
    job TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
)
"#,
    },
    Migration {
        version: 3,
        sql: r#"
CREATE TABLE outbox (
    id {id},
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    text TEXT NOT NULL,
    sensitive BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at)
"#,
    },
    Migration {
        version: 4,
        sql: r#"
CREATE TABLE customers (
    id {id},
    phone TEXT NOT NULL UNIQUE,
    username TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    realm TEXT NOT NULL,
    principal_id BIGINT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_principal ON sessions (realm, principal_id);
CREATE TABLE sms_codes (
    id {id},
    phone TEXT NOT NULL,
    purpose TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    ip TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    consumed_at BIGINT
);
CREATE INDEX sms_codes_phone ON sms_codes (phone, created_at);
CREATE INDEX sms_codes_ip ON sms_codes (ip, created_at);
CREATE TABLE login_failures (
    id {id},
    subject TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_subject ON login_failures (subject, at);
CREATE TABLE operators (
    id {id},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    disabled_at BIGINT,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
)
"#,
    },
    Migration {
        version: 5,
        sql: r#"
CREATE TABLE customer_profiles (
    customer_id BIGINT PRIMARY KEY REFERENCES customers(id),
    name TEXT,
    email TEXT,
    id_number_sealed {blob},
    id_number_masked TEXT,
    landline TEXT,
    updated_at BIGINT NOT NULL
);
CREATE TABLE addresses (
    id {id},
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    recipient TEXT NOT NULL,
    phone TEXT NOT NULL,
    province TEXT NOT NULL,
    city TEXT NOT NULL,
    district TEXT NOT NULL,
    detail TEXT NOT NULL,
    postal_code TEXT,
    is_default BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX addresses_customer ON addresses (customer_id)
"#,
    },
    Migration {
        version: 6,
        sql: r#"
CREATE TABLE channels (
    code TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
)
"#,
    },
];

/// Triggers that make the audit log append-only (per backend: the syntax differs).
const SQLITE_AUDIT_GUARD: &str = r#"
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
"#;
const POSTGRES_AUDIT_GUARD: &str = r#"
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
"#;

fn statements(backend: Backend, sql: &str) -> Vec<String> {
    let (id, blob) = match backend {
        Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"),
        Backend::Postgres => ("BIGSERIAL PRIMARY KEY", "BYTEA"),
    };
    sql.replace("{id}", id)
        .replace("{blob}", blob)
        .split(";\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
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
        for statement in statements(store.backend(), migration.sql) {
            sqlx::query(&statement).execute(&mut **tx).await?;
        }
        if migration.version == 1 {
            let guard = match store.backend() {
                Backend::Sqlite => SQLITE_AUDIT_GUARD,
                Backend::Postgres => POSTGRES_AUDIT_GUARD,
            };
            let parts: Vec<&str> = match store.backend() {
                // The trigger bodies contain ';', so split only between statements.
                Backend::Sqlite => guard.split("END;\n").collect(),
                Backend::Postgres => guard.split("$$;\n").collect(),
            };
            let n = parts.len();
            for (i, part) in parts.into_iter().enumerate() {
                let part = part.trim();
                let statement = match (store.backend(), i + 1 < n) {
                    (Backend::Sqlite, true) => format!("{part} END"),
                    (Backend::Postgres, true) => format!("{part} $$"),
                    _ => part.to_string(),
                };
                sqlx::query(&statement).execute(&mut **tx).await?;
            }
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(now())
            .execute(&mut **tx)
            .await?;
    }
    tx.commit().await
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
