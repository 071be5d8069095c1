//! The secrets of an installation: the master key (a file of 32 random bytes, created with
//! mode 0600 on first start) and the keys derived from it, one per purpose, so that the CA
//! registry seals CA keys and the people wing hashes SMS codes and seals ID numbers without
//! any of them handing the master key around.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use pki::sealed::MasterKey;

use crate::{ErrorKind, ServiceError};

/// The master key and what is derived from it.
pub(crate) struct Secrets {
    master: MasterKey,
    /// HMAC-SHA256 key of SMS codes at rest (`sms-codes`).
    sms_codes: aws_lc_rs::hmac::Key,
    /// AES-256-GCM key of personal data at rest, e.g. ID numbers (`personal-data`).
    personal_data: MasterKey,
    /// HMAC-SHA256 key of the identifiers that tell applications' holders apart
    /// (`application-subjects`): duplicates are found without the identifier in clear.
    application_subjects: aws_lc_rs::hmac::Key,
    /// AES-256-GCM key that wraps each document's own key (`documents v1`).
    documents: MasterKey,
    /// HMAC-SHA256 key of the check codes printed on PDFs (`print-check v1`).
    print_check: aws_lc_rs::hmac::Key,
    /// HMAC-SHA256 key of the anonymous forms' CSRF tokens (`form-tokens v1`).
    form_tokens: aws_lc_rs::hmac::Key,
    /// HMAC-SHA256 key of the penny-drop codes at rest (`identity-codes v1`).
    identity_codes: aws_lc_rs::hmac::Key,
    /// AES-256-GCM key of the payment merchants' private keys at rest (`payment-keys v1`).
    payment_keys: MasterKey,
    /// AES-256-GCM key of the USB keys' PINs at rest (`token-pins v1`).
    token_pins: MasterKey,
    /// AES-256-GCM key of sensitive messages' texts in the outbox (`outbox v1`).
    outbox: MasterKey,
}

impl Secrets {
    /// Reads the master key file at `path`, creating it on first start.
    pub(crate) fn open(path: &Path) -> Result<Self, ServiceError> {
        let master = load_or_create(path)?;
        let sms_codes =
            aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &*master.derive("sms-codes"));
        let personal_data = MasterKey::from_bytes(&*master.derive("personal-data"))
            .map_err(|e| ServiceError::internal("personal data key", e))?;
        let application_subjects = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            &*master.derive("application-subjects"),
        );
        let documents = MasterKey::from_bytes(&*master.derive("documents v1"))
            .map_err(|e| ServiceError::internal("documents key", e))?;
        let print_check = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            &*master.derive("print-check v1"),
        );
        let form_tokens = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            &*master.derive("form-tokens v1"),
        );
        let identity_codes = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            &*master.derive("identity-codes v1"),
        );
        let payment_keys = MasterKey::from_bytes(&*master.derive("payment-keys v1"))
            .map_err(|e| ServiceError::internal("payment keys key", e))?;
        let token_pins = MasterKey::from_bytes(&*master.derive("token-pins v1"))
            .map_err(|e| ServiceError::internal("token PIN key", e))?;
        let outbox = MasterKey::from_bytes(&*master.derive("outbox v1"))
            .map_err(|e| ServiceError::internal("outbox key", e))?;
        Ok(Secrets {
            outbox,
            token_pins,
            payment_keys,
            identity_codes,
            form_tokens,
            master,
            sms_codes,
            personal_data,
            application_subjects,
            documents,
            print_check,
        })
    }

    /// Seals and opens CA and OCSP responder keys.
    pub(crate) fn master(&self) -> &MasterKey {
        &self.master
    }

    pub(crate) fn sms_codes(&self) -> &aws_lc_rs::hmac::Key {
        &self.sms_codes
    }

    pub(crate) fn personal_data(&self) -> &MasterKey {
        &self.personal_data
    }

    pub(crate) fn documents(&self) -> &MasterKey {
        &self.documents
    }

    pub(crate) fn payment_keys(&self) -> &MasterKey {
        &self.payment_keys
    }

    pub(crate) fn outbox(&self) -> &MasterKey {
        &self.outbox
    }

    pub(crate) fn token_pins(&self) -> &MasterKey {
        &self.token_pins
    }

    pub(crate) fn print_check(&self) -> &aws_lc_rs::hmac::Key {
        &self.print_check
    }

    pub(crate) fn form_tokens(&self) -> &aws_lc_rs::hmac::Key {
        &self.form_tokens
    }

    pub(crate) fn identity_codes(&self) -> &aws_lc_rs::hmac::Key {
        &self.identity_codes
    }

    pub(crate) fn application_subjects(&self) -> &aws_lc_rs::hmac::Key {
        &self.application_subjects
    }
}

fn load_or_create(path: &Path) -> Result<MasterKey, ServiceError> {
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

/// `count` random decimal digits, each as likely as any other (bytes of 250 and more are
/// drawn again: 250 is the largest multiple of 10 a byte holds): SMS codes, pickup codes,
/// USB keys' PINs.
pub(crate) fn random_digits(count: usize) -> Result<zeroize::Zeroizing<String>, ServiceError> {
    use aws_lc_rs::rand::SecureRandom;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut digits = zeroize::Zeroizing::new(String::with_capacity(count));
    while digits.len() < count {
        let mut byte = [0u8; 1];
        rng.fill(&mut byte)
            .map_err(|_| ServiceError::internal("random", "digits"))?;
        if byte[0] < 250 {
            digits.push(char::from(b'0' + byte[0] % 10));
        }
    }
    Ok(digits)
}
