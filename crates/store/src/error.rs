use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// A status change found the row no longer in the state it started from: someone else
    /// changed it first (or it does not exist).
    #[error("{table} {id} is no longer {expected}")]
    LostRace {
        table: &'static str,
        id: i64,
        expected: &'static str,
    },
}
