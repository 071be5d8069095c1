//! Objects as files under a directory (the default: `DATA_DIR/documents`). A put writes a
//! temporary file, syncs it, renames it into place without replacing anything, and syncs
//! the directory, so an object that was reported stored survives a power cut.

use std::io::Write;
use std::path::{Path, PathBuf};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::{BlobStore, StorageError, check_key};

/// Files under `root`, one per object, in directories by key.
pub struct LocalFs {
    root: PathBuf,
}

impl LocalFs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalFs { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, StorageError> {
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

fn io(e: std::io::Error) -> StorageError {
    StorageError::Io(e.to_string())
}

fn put_file(path: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    let dir = path
        .parent()
        .ok_or_else(|| StorageError::Io("no directory".into()))?;
    std::fs::create_dir_all(dir).map_err(io)?;
    if path.exists() {
        return Err(StorageError::Exists(path.display().to_string()));
    }
    let temporary = path.with_extension("partial");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .map_err(io)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(io(e));
    }
    // A hard link fails when the name exists: nothing is ever replaced.
    let linked = std::fs::hard_link(&temporary, path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(StorageError::Exists(path.display().to_string()));
        }
        Err(e) => return Err(io(e)),
    }
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io)
}

impl BlobStore for LocalFs {
    fn name(&self) -> &'static str {
        "local"
    }

    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, Result<(), StorageError>> {
        async move {
            let path = self.path(key)?;
            tokio::task::spawn_blocking(move || put_file(&path, &bytes))
                .await
                .map_err(|e| StorageError::Io(e.to_string()))?
        }
        .boxed()
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, StorageError>> {
        async move {
            let path = self.path(key)?;
            match tokio::fs::read(&path).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io(e)),
            }
        }
        .boxed()
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StorageError>> {
        async move {
            let path = self.path(key)?;
            match tokio::fs::remove_file(&path).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io(e)),
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_storage_contract() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalFs::new(dir.path());
        store.put("docs/ab12", b"sealed".to_vec()).await.unwrap();
        assert_eq!(
            store.get("docs/ab12").await.unwrap().as_deref(),
            Some(&b"sealed"[..])
        );
        assert!(matches!(
            store.put("docs/ab12", b"other".to_vec()).await,
            Err(StorageError::Exists(_))
        ));
        assert_eq!(
            store.get("docs/ab12").await.unwrap().as_deref(),
            Some(&b"sealed"[..])
        );
        assert_eq!(store.get("docs/ffff").await.unwrap(), None);
        store.delete("docs/ab12").await.unwrap();
        assert_eq!(store.get("docs/ab12").await.unwrap(), None);
        store.delete("docs/ab12").await.unwrap();
        for bad in ["../etc/passwd", "/abs", "docs/UPPER", "", "docs/a b"] {
            assert!(
                matches!(store.get(bad).await, Err(StorageError::InvalidKey(_))),
                "{bad}"
            );
        }
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("docs"))
            .unwrap()
            .collect();
        assert!(names.is_empty());
    }
}
