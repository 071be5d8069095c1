use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// A write broke the unique rule `0` (e.g. a second unfinished application).
    #[error("{0}: already exists")]
    Duplicate(&'static str),
    /// A status change found the row no longer in the state it started from: someone else
    /// changed it first (or it does not exist).
    #[error("{table} {id} is no longer {expected}")]
    LostRace {
        table: &'static str,
        id: i64,
        expected: &'static str,
    },
}

impl StoreError {
    /// Maps a unique-constraint violation of a statement whose only unique rule is `rule`
    /// to [`StoreError::Duplicate`]; other errors stay database errors.
    pub(crate) fn from_unique(rule: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
        move |e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(rule),
            _ => StoreError::Database(e),
        }
    }
}
