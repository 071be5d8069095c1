//! Passwords (argon2id) and login throttling, for customers and operators alike.
//!
//! Argon2id takes 19 MiB and tens of milliseconds per hash, so hashes are rationed: they run
//! on a fixed set of threads, one per core, a bounded number wait, and the rest are refused
//! at once as busy (429). Fixed threads matter as much as the count: memory the allocator
//! gives a thread for one hash stays with that thread's arena, and tokio's blocking pool
//! would hand successive hashes to ever new threads (a flood of 1,000 logins took the
//! server past 500 MiB that way). Whatever the request mix, argon2's memory stays bounded.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, SaltString};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use store::WriteTx;
use store::login_failures::Reservation;
use tokio::sync::{Semaphore, SemaphorePermit, oneshot};
use zeroize::Zeroizing;

use domain::AuditAction;

use super::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// How many may be running or waiting at once; more are refused as busy.
const HASHING_ADMITTED: usize = 64;
static ADMITTED: Semaphore = Semaphore::const_new(HASHING_ADMITTED);

type HashJob = Box<dyn FnOnce() + Send>;

/// The queue of the hashing threads, started on first use: one thread per core.
static HASHERS: LazyLock<SyncSender<HashJob>> = LazyLock::new(|| {
    let (queue, jobs) = sync_channel::<HashJob>(HASHING_ADMITTED);
    let jobs: Arc<Mutex<Receiver<HashJob>>> = Arc::new(Mutex::new(jobs));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    for i in 0..threads {
        let jobs = jobs.clone();
        let started = std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || {
                loop {
                    // The lock is held only while waiting for the next job.
                    let next = jobs.lock().map(|queue| queue.recv());
                    match next {
                        Ok(Ok(job)) => job(),
                        _ => break,
                    }
                }
            });
        if let Err(e) = started {
            tracing::error!(error = %e, "starting a password hashing thread");
        }
    }
    queue
});

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

/// Runs one argon2 computation on the hashing threads, within the ration.
async fn ration<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServiceError> {
    let _admitted = admit()?;
    let (answer, answered) = oneshot::channel();
    let job: HashJob = Box::new(move || {
        let _ = answer.send(work());
    });
    // Never full: admission keeps at most the queue's capacity in it.
    HASHERS
        .try_send(job)
        .map_err(|e| ServiceError::internal("password hashing", e))?;
    answered
        .await
        .map_err(|e| ServiceError::internal("password hashing", e))
}

/// Largest argon2 memory a stored hash may ask for (64 MiB; ours use 19 MiB).
const MAX_BLOCKS: usize = 64 * 1024;

thread_local! {
    /// This hashing thread's argon2 memory, reused from one hash to the next: allocating
    /// 19 MiB per hash let glibc's allocator keep each one (its mmap threshold rises after
    /// the first free), and ten logins grew the server by 200 MiB.
    static MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The argon2id (v1.3) output of `password` and `salt` under `params`, computed in this
/// thread's memory.
fn argon2id(
    password: &[u8],
    salt: &[u8],
    params: argon2::Params,
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return Err(argon2::Error::MemoryTooMuch);
    }
    let hasher = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        // Every block is written before it is read, so what the last hash left is harmless.
        hasher.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// An argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password`.
fn phc_hash(password: &[u8]) -> Result<String, ServiceError> {
    use argon2::password_hash::{Output, ParamsString};
    let failed = |e: &dyn std::fmt::Display| ServiceError::internal("password hashing", e);
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| ServiceError::internal("random", "salt"))?;
    let params = argon2::Params::default();
    let mut out = Zeroizing::new([0u8; 32]);
    argon2id(password, &salt, params.clone(), &mut *out).map_err(|e| failed(&e))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| failed(&e))?;
    let hash = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(argon2::Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&*out).map_err(|e| failed(&e))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` gives the argon2id PHC string `stored` (constant-time comparison).
fn phc_matches(password: &[u8], stored: &str) -> bool {
    use argon2::password_hash::Output;
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let version_ok = hash
        .version
        .is_none_or(|v| v == u32::from(argon2::Version::V0x13));
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let Ok(params) = argon2::Params::try_from(&hash) else {
        return false;
    };
    if hash.algorithm != argon2::ARGON2ID_IDENT || !version_ok {
        return false;
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = Zeroizing::new(vec![0u8; expected.len()]);
    argon2id(password, salt, params, &mut out).is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// An argon2id hash (PHC string) of `password`, computed on the hashing threads.
pub async fn hash_password(password: &str) -> Result<String, ServiceError> {
    let password = Zeroizing::new(password.to_string());
    ration(move || phc_hash(password.as_bytes())).await?
}

/// A hash no password is known for: checked for an account that does not exist, so that
/// the answer takes as long as for one that does.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut secret = Zeroizing::new([0u8; 32]);
    let _ = SystemRandom::new().fill(&mut *secret);
    phc_hash(&*secret).unwrap_or_default()
});

/// Whether `password` matches the stored hash; with no hash (no such account), a hash no
/// password matches is checked instead, taking the same time.
pub async fn password_matches(password: &str, stored: Option<&str>) -> Result<bool, ServiceError> {
    let password = Zeroizing::new(password.to_string());
    let stored = stored.map(str::to_string);
    ration(move || match stored {
        // An account without a password (opened at the counter) costs the same time as
        // a wrong password, so its state does not show.
        Some(stored) if stored.starts_with('$') => phc_matches(password.as_bytes(), &stored),
        _ => {
            phc_matches(password.as_bytes(), &DUMMY_HASH);
            false
        }
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
        // Nothing to give back: the reserved failures are this login's failures.
        drop(attempt);
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
    fn hashes_are_standard_argon2id_phc_strings() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
        let ours = super::phc_hash(b"goodpass123").unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        // The reference implementation accepts ours, and ours accepts its (stored hashes
        // from before keep working).
        let parsed = super::PasswordHash::new(&ours).unwrap();
        assert!(
            argon2::Argon2::default()
                .verify_password(b"goodpass123", &parsed)
                .is_ok()
        );
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = argon2::Argon2::default()
            .hash_password(b"goodpass123", &salt)
            .unwrap()
            .to_string();
        assert!(super::phc_matches(b"goodpass123", &theirs));
        assert!(!super::phc_matches(b"goodpass124", &theirs));
        assert!(!super::phc_matches(b"goodpass123", "not a hash"));
        // A second hash in the same thread reuses the memory and still verifies.
        assert!(super::phc_matches(b"goodpass123", &ours));
    }

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
