//! Persistence for CertHall over SQLite (the default) and PostgreSQL, through one code path
//! (sqlx's `Any` driver). Times are Unix seconds in BIGINT columns, flags are integers, so
//! the same SQL runs on both.
//!
//! Write transactions go through [`Store::begin_write`]: on SQLite it also takes an
//! in-process lock, because SQLite has a single writer and a deferred transaction that
//! reads before it writes can fail with `SQLITE_BUSY` instead of waiting.
//!
//! The store is handed the application's clock when it connects (as Boulder's storage
//! authority is): a write transaction takes one reading when it begins, [`WriteTx::now`],
//! and every row it writes is stamped with it. Statuses are the state machines' types from
//! `domain`; only [`transition`] writes a status column, and only a change a state machine
//! produced.

pub mod api_tokens;
pub mod applications;
pub mod audit;
pub mod cas;
pub mod certificates;
pub mod channels;
pub mod crls;
pub mod customers;
pub mod documents;
mod error;
pub mod identity_checks;
pub mod installation;
pub mod invoices;
pub mod leases;
pub mod login_failures;
pub mod merchants;
pub mod ocsp_responders;
pub mod operators;
pub mod orders;
pub mod outbox;
pub mod payments;
pub mod pickups;
pub mod pin_transfers;
pub mod production_jobs;
pub mod profiles;
pub mod refunds;
pub mod revocations;
mod schema;
pub mod sessions;
pub mod shipments;
pub mod statements;
pub mod transition;
pub mod upload_links;
pub mod usb_keys;

/// A column holding a domain value by its stored name (a status, a kind, roles), read as
/// that value; a name the domain does not know is a decoding error (a corrupt row).
/// `text` with LIKE's wildcards escaped (for `LIKE … ESCAPE '\'`), so it matches literally.
pub(crate) fn like_literal(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern
}

pub(crate) fn stored<T>(row: &sqlx::any::AnyRow, column: &str) -> Result<T, sqlx::Error>
where
    T: TryFrom<String>,
    T::Error: std::error::Error + Send + Sync + 'static,
{
    use sqlx::Row;
    let text: String = row.try_get(column)?;
    T::try_from(text).map_err(|e| sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: Box::new(e),
    })
}

/// `($1, $2, …), ($n+1, …)`: the placeholders of a multi-row INSERT of `rows` rows of
/// `columns` values each.
pub(crate) fn values_placeholders(rows: usize, columns: usize) -> String {
    let row = |r: usize| {
        let cells: Vec<String> = (1..=columns)
            .map(|c| format!("${}", r * columns + c))
            .collect();
        format!("({})", cells.join(", "))
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use domain::time::{Clock, UnixTime};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use error::StoreError;

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database handle shared by the whole process.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    sqlite_writer: Arc<Mutex<()>>,
    clock: Arc<dyn Clock>,
}

/// A write transaction (with the SQLite writer lock held until it ends), and the moment it
/// began, which stamps what it writes.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _writer: Option<OwnedMutexGuard<()>>,
    now: UnixTime,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }

    /// When this transaction began (by the store's clock).
    pub fn now(&self) -> UnixTime {
        self.now
    }
}

impl Deref for WriteTx {
    type Target = Transaction<'static, Any>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://...`) and brings the schema up to
    /// date. A SQLite file is created when missing. Rows are stamped by `clock`.
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(format!(
                "database URL must start with sqlite: or postgres:// (got {:?})",
                url.split(':').next().unwrap_or("")
            )));
        };
        let (url, max_connections) = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                (format!("{url}{sep}mode=rwc"), 8)
            }
            Backend::Sqlite => (url.to_string(), 8),
            Backend::Postgres => (url.to_string(), 16),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; FULL makes each commit
                        // durable (the issuance writer batches, so this costs one fsync per
                        // batch, not per certificate).
                        conn.execute(
                            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
                             PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let store = Store {
            pool,
            backend,
            sqlite_writer: Arc::new(Mutex::new(())),
            clock,
        };
        schema::migrate(&store).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Now, by the store's clock (for writes outside a [`WriteTx`]).
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    /// Starts a write transaction.
    pub async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let writer = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        // On SQLite a deferred transaction that reads first and then writes fails at once
        // with SQLITE_BUSY when another process (the command line beside a running server)
        // committed in between; busy_timeout does not apply to that upgrade. IMMEDIATE takes
        // the write lock up front, so it waits for busy_timeout instead.
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx {
            tx,
            _writer: writer,
            now: self.clock.now(),
        })
    }

    /// `SELECT 1`, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_every_value_once() {
        assert_eq!(
            super::values_placeholders(2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(super::values_placeholders(1, 1), "($1)");
    }
}
