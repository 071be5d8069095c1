//! Keeping uploaded documents: one trait, [`BlobStore`], over objects named by a key. The
//! store only ever sees ciphertext (the documents wing seals every object first), under
//! random keys that carry no name or id.
//!
//! Adapters: [`local::LocalFs`], the default, under the data directory, written durably
//! (a temporary file, fsync, rename, fsync of the directory); [`s3::S3Store`], an
//! S3-compatible object store for several nodes (SigV4-signed requests).

pub mod local;
pub mod s3;

use futures_util::future::BoxFuture;

/// Why the store could not do it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// An object with this key exists already (keys are never reused).
    #[error("object {0} exists already")]
    Exists(String),
    /// A key that is not ours (see [`check_key`]).
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    #[error("storage: {0}")]
    Io(String),
}

/// Objects by key.
pub trait BlobStore: Send + Sync {
    /// A short name for logs.
    fn name(&self) -> &'static str;

    /// Stores a new object; an existing key is refused ([`StorageError::Exists`]).
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, Result<(), StorageError>>;

    /// The object, or `None` when there is none.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, StorageError>>;

    /// Removes the object; removing a missing one is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StorageError>>;
}

/// Checks that `key` is one of ours: lowercase letters, digits, `/` and `-`, no `..`, not
/// absolute, at most 200 characters.
pub fn check_key(key: &str) -> Result<(), StorageError> {
    let ok = (1..=200).contains(&key.len())
        && !key.contains("..")
        && !key.starts_with('/')
        && key
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() || c == '/' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(StorageError::InvalidKey(key.to_string()))
    }
}
