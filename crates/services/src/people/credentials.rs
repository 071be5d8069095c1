//! Passwords (argon2id) and login throttling, for customers and operators alike.
//!
//! Argon2id takes 19 MiB and tens of milliseconds per hash, so hashes are rationed: at most
//! one per core runs at once, a bounded number wait, and the rest are refused at once as
//! busy (429). Whatever the request mix, the memory argon2 takes stays bounded.

use std::sync::LazyLock;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use store::WriteTx;
use store::login_failures::Reservation;
use tokio::sync::{Semaphore, SemaphorePermit};
use zeroize::Zeroizing;

use domain::AuditAction;

use super::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// How many argon2 computations run at once: one per core.
static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));
/// How many may be running or waiting at once; more are refused as busy.
const HASHING_ADMITTED: usize = 64;
static ADMITTED: Semaphore = Semaphore::const_new(HASHING_ADMITTED);

/// A place among the hashes allowed to run or wait, or a refusal to come back in a moment.
fn admit() -> Result<SemaphorePermit<'static>, ServiceError> {
    ADMITTED.try_acquire().map_err(|_| {
        ServiceError::rate_limited(
            "busy",
            "password",
            1,
            "the server is busy checking passwords",
            "服务器繁忙",
        )
    })
}

/// Runs one argon2 computation off the async threads, within the ration.
async fn ration<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServiceError> {
    let _admitted = admit()?;
    let _running = HASHING
        .acquire()
        .await
        .map_err(|e| ServiceError::internal("password hashing", e))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServiceError::internal("password hashing", e))
}

/// An argon2id hash (PHC string) of `password`, computed off the async threads.
pub async fn hash_password(password: &str) -> Result<String, ServiceError> {
    let password = Zeroizing::new(password.to_string());
    ration(move || {
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
    .await?
}

/// A hash no password is known for: checked for an account that does not exist, so that
/// the answer takes as long as for one that does.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut secret = [0u8; 32];
    let _ = SystemRandom::new().fill(&mut secret);
    let salt = SaltString::encode_b64(&secret[..16]).expect("16 bytes encode as a salt");
    argon2::Argon2::default()
        .hash_password(&secret[16..], &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Whether `password` matches the stored hash; with no hash (no such account), a hash no
/// password matches is checked instead, taking the same time.
pub async fn password_matches(password: &str, stored: Option<&str>) -> Result<bool, ServiceError> {
    let password = Zeroizing::new(password.to_string());
    let stored = stored.map(str::to_string);
    ration(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let matched = PasswordHash::new(&stored)
            .map(|hash| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false);
        known && matched
    })
    .await
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

/// A login attempt under way: a failure already counted against each of its subjects,
/// given back by [`Throttle::succeed`] and kept by [`Throttle::refuse_login`].
#[must_use]
pub struct Attempt {
    held: Vec<i64>,
}

impl Throttle {
    /// Counts the attempt in advance against every `(subject, limit)`, or refuses, saying
    /// how long to wait, when a subject has reached its limit. The check and the count are
    /// one step, so concurrent attempts cannot all pass the check.
    pub async fn reserve(
        &self,
        app: &App,
        subjects: &[(&str, i64)],
    ) -> Result<Attempt, ServiceError> {
        let window = self.window.as_secs() as i64;
        let mut tx = app.store.begin_write().await?;
        let now = tx.now().seconds();
        match store::login_failures::reserve(&mut tx, subjects, now - window).await? {
            Reservation::Held(held) => {
                tx.commit().await?;
                Ok(Attempt { held })
            }
            Reservation::Refused { oldest, .. } => Err(ServiceError::rate_limited(
                "login_throttled",
                "password",
                oldest + window - now,
                "too many failed logins",
                "登录失败次数过多",
            )),
        }
    }

    /// A login that failed: its reserved failures stay counted, and it is recorded in the
    /// audit log as `action` on `object` by the visitor at `ip`. Returns the refusal to
    /// give (`message`: English, Chinese), which never says whether the account exists.
    pub async fn refuse_login(
        &self,
        app: &App,
        attempt: Attempt,
        ip: &str,
        (action, object): (AuditAction, String),
        message: (&str, &str),
    ) -> Result<ServiceError, ServiceError> {
        let Attempt { held: _ } = attempt;
        let mut tx = app.store.begin_write().await?;
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

    /// A login that succeeded, inside its transaction: the attempt's reservations are
    /// given back and the account's earlier failures forgotten.
    pub async fn succeed(
        &self,
        tx: &mut WriteTx,
        attempt: Attempt,
        account_subject: &str,
    ) -> Result<(), ServiceError> {
        store::login_failures::release(tx, &attempt.held).await?;
        Ok(store::login_failures::clear(tx, account_subject).await?)
    }

    /// A step that succeeded, inside its transaction: the attempt's reservations are given
    /// back (registration, password reset: the address is not blamed for them).
    pub async fn release(&self, tx: &mut WriteTx, attempt: Attempt) -> Result<(), ServiceError> {
        Ok(store::login_failures::release(tx, &attempt.held).await?)
    }

    /// Forgets an account's failures (its password was reset).
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
