//! Passwords (argon2id) and login throttling, for customers and operators alike.

use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use store::WriteTx;
use zeroize::Zeroizing;

use domain::AuditAction;

use super::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// An argon2id hash (PHC string) of `password`, computed off the async threads.
pub async fn hash_password(password: &str) -> Result<String, ServiceError> {
    let password = Zeroizing::new(password.to_string());
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| ServiceError::internal("random", "salt"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| ServiceError::internal("salt", e))?;
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::internal("password hashing", e))
    })
    .await
    .map_err(|e| ServiceError::internal("password hashing", e))?
}

/// Whether `password` matches the stored hash.
pub async fn password_matches(password: &str, stored: &str) -> bool {
    let (password, stored) = (Zeroizing::new(password.to_string()), stored.to_string());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|hash| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A random password for operators (shown once): 16 characters without look-alikes.
pub fn random_password() -> Result<Zeroizing<String>, ServiceError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let rng = SystemRandom::new();
    let mut out = Zeroizing::new(String::new());
    while out.len() < 16 {
        let mut b = [0u8; 1];
        rng.fill(&mut b)
            .map_err(|_| ServiceError::internal("random", "password"))?;
        // Rejection sampling keeps every character equally likely.
        if usize::from(b[0]) < 256 - 256 % ALPHABET.len() {
            out.push(char::from(ALPHABET[usize::from(b[0]) % ALPHABET.len()]));
        }
    }
    // Make sure it has a digit and a letter, as every password rule wants.
    if !out.chars().any(|c| c.is_ascii_digit()) {
        out.replace_range(0..1, "7");
    }
    Ok(out)
}

/// Login throttling: failures per subject (an account, an address) within a window.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    pub window: Duration,
}

impl Throttle {
    /// Refuses, saying how long to wait, when any subject has reached its limit.
    pub async fn check(&self, app: &App, subjects: &[(&str, i64)]) -> Result<(), ServiceError> {
        let now = app.now().seconds();
        let window = self.window.as_secs() as i64;
        for (subject, limit) in subjects {
            let (failures, oldest) =
                store::login_failures::since(&app.store, subject, now - window).await?;
            if failures >= *limit {
                let wait = oldest.unwrap_or(now) + window - now;
                return Err(ServiceError::rate_limited(
                    "login_throttled",
                    "password",
                    wait,
                    "too many failed logins",
                    "登录失败次数过多",
                ));
            }
        }
        Ok(())
    }

    /// A login that failed: counted against each subject, and recorded in the audit log as
    /// `action` on `object` by the visitor at `ip`, in one transaction. Returns the refusal
    /// to give (`message`: English, Chinese), which never says whether the account exists.
    pub async fn refuse_login(
        &self,
        app: &App,
        subjects: &[&str],
        ip: &str,
        (action, object): (AuditAction, String),
        message: (&str, &str),
    ) -> Result<ServiceError, ServiceError> {
        let mut tx = app.store.begin_write().await?;
        store::login_failures::record(&mut tx, subjects).await?;
        let visitor = Actor::Visitor { ip: ip.into() };
        crate::audit::record(&mut tx, &visitor, action, object, serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(ServiceError::new(
            ErrorKind::Unauthorized,
            "wrong_credentials",
            message.0,
            message.1,
        )
        .with_field("password"))
    }

    pub async fn clear(&self, tx: &mut WriteTx, subject: &str) -> Result<(), ServiceError> {
        Ok(store::login_failures::clear(tx, subject).await?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_passwords_are_long_and_mixed() {
        let p = super::random_password().unwrap();
        assert_eq!(p.len(), 16);
        assert!(
            p.chars().any(|c| c.is_ascii_digit()) && p.chars().any(|c| c.is_ascii_alphabetic())
        );
        assert_ne!(*p, *super::random_password().unwrap());
    }
}
