//! The master key file: 32 random bytes, created with mode 0600 on first start.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use pki::sealed::MasterKey;

use crate::{ErrorKind, ServiceError};

pub fn load_or_create(path: &Path) -> Result<MasterKey, ServiceError> {
    let failure = |what: &str, e: std::io::Error| {
        ServiceError::new(
            ErrorKind::Internal,
            "master_key",
            format!("master key file {}: {what}: {e}", path.display()),
            format!("主密钥文件 {}：{what}：{e}", path.display()),
        )
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            let mode = std::fs::metadata(path)
                .map_err(|e| failure("stat", e))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "master key file is readable by group or others; chmod 600 it");
            }
            MasterKey::from_bytes(&bytes).map_err(|e| {
                ServiceError::new(
                    ErrorKind::Internal,
                    "master_key",
                    format!("master key file {}: {e}", path.display()),
                    format!("主密钥文件 {} 无效", path.display()),
                )
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| failure("create directory", e))?;
            }
            let key = MasterKey::generate().map_err(|e| ServiceError::internal("master key", e))?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| failure("create", e))?;
            file.write_all(key.as_bytes())
                .map_err(|e| failure("write", e))?;
            file.sync_all().map_err(|e| failure("sync", e))?;
            tracing::info!(path = %path.display(), "created the master key file");
            Ok(key)
        }
        Err(e) => Err(failure("read", e)),
    }
}
