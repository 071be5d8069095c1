//! Server-side sessions, for customers and operators alike: a random token in an HttpOnly
//! cookie (stored only as SHA-256), a CSRF token per session, an absolute lifetime and an
//! idle timeout.

use std::time::Duration;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use store::WriteTx;
use zeroize::Zeroizing;

use crate::{App, ErrorKind, ServiceError};

/// Whose session it is; the two never mix (a customer token does not open the console).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Realm {
    Customer,
    Operator,
}

impl Realm {
    fn as_str(self) -> &'static str {
        match self {
            Realm::Customer => "customer",
            Realm::Operator => "operator",
        }
    }
}

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub lifetime: Duration,
    pub idle: Duration,
}

/// A session just started: the token goes into the cookie, once.
#[derive(Debug, Clone)]
pub struct StartedSession {
    pub token: Zeroizing<String>,
    pub csrf_token: String,
    pub expires_at: i64,
    /// Seconds the cookie lives (its `Max-Age`).
    pub max_age_seconds: i64,
}

/// The live session a request carries.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub principal_id: i64,
    pub csrf_token: String,
    pub(crate) token_hash: String,
}

impl LiveSession {
    /// Whether `token` is this session's CSRF token (constant time).
    pub fn csrf_matches(&self, token: &str) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(
            self.csrf_token.as_bytes(),
            token.as_bytes(),
        )
        .is_ok()
    }
}

pub fn random_hex(bytes: usize) -> Result<String, ServiceError> {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| ServiceError::internal("random", "failed"))?;
    Ok(hex::encode(buf))
}

/// A token for the forms of a visitor without a session (login, registration): 16 random
/// bytes and their HMAC under the installation's key, in hex. The page puts it in a cookie
/// and in the form (double submit); only a token this server made is accepted, so a value
/// an attacker plants in the cookie does not pass.
pub fn new_form_token(app: &App) -> Result<String, ServiceError> {
    let nonce = random_hex(16)?;
    let mac = aws_lc_rs::hmac::sign(app.secrets.form_tokens(), nonce.as_bytes());
    Ok(format!("{nonce}{}", hex::encode(mac)))
}

/// Whether `token` is one [`new_form_token`] made (constant time).
pub fn form_token_valid(app: &App, token: &str) -> bool {
    if token.len() != 96 || !token.is_ascii() {
        return false;
    }
    let (nonce, mac) = token.split_at(32);
    let Ok(mac) = hex::decode(mac) else {
        return false;
    };
    aws_lc_rs::hmac::verify(app.secrets.form_tokens(), nonce.as_bytes(), &mac).is_ok()
}

fn token_hash(token: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        token.as_bytes(),
    ))
}

/// Starts a session in the caller's transaction (a new token at every login). The session
/// of `replaces`, the cookie the request came with (perhaps another account's), ends: a
/// browser holds one session of a realm, and the one it drops must not stay alive.
pub async fn start(
    tx: &mut WriteTx,
    realm: Realm,
    principal_id: i64,
    policy: &SessionPolicy,
    replaces: Option<&str>,
) -> Result<StartedSession, ServiceError> {
    if let Some(old) = replaces.filter(|t| !t.is_empty()) {
        store::sessions::delete(tx, &token_hash(old)).await?;
    }
    let token = Zeroizing::new(random_hex(32)?);
    let csrf_token = random_hex(32)?;
    let max_age_seconds = policy.lifetime.as_secs() as i64;
    let expires_at = tx.now().seconds() + max_age_seconds;
    store::sessions::insert(
        tx,
        realm.as_str(),
        &token_hash(&token),
        principal_id,
        &csrf_token,
        expires_at,
    )
    .await?;
    Ok(StartedSession {
        token,
        csrf_token,
        expires_at,
        max_age_seconds,
    })
}

/// The live session of a cookie token of `realm`.
pub async fn resume(
    app: &App,
    realm: Realm,
    token: &str,
    policy: &SessionPolicy,
) -> Result<LiveSession, ServiceError> {
    let expired = || {
        ServiceError::new(
            ErrorKind::Unauthorized,
            "not_logged_in",
            "please log in",
            "请先登录",
        )
    };
    if token.len() != 64 {
        return Err(expired());
    }
    let hash = token_hash(token);
    let record = store::sessions::find(&app.store, realm.as_str(), &hash)
        .await?
        .ok_or_else(expired)?;
    let now = app.now().seconds();
    if record.expires_at <= now || record.last_seen_at + (policy.idle.as_secs() as i64) <= now {
        return Err(expired());
    }
    // Record activity at most once a minute: most requests need no write at all.
    if record.last_seen_at < now - TOUCH_INTERVAL_SECONDS {
        store::sessions::touch(&app.store, &hash).await?;
    }
    Ok(LiveSession {
        principal_id: record.principal_id,
        csrf_token: record.csrf_token,
        token_hash: hash,
    })
}

/// How stale `last_seen_at` may get before a request refreshes it (the idle timeout is
/// far longer, so this costs it at most a minute).
const TOUCH_INTERVAL_SECONDS: i64 = 60;

/// Ends one session.
pub async fn end(tx: &mut WriteTx, session: &LiveSession) -> Result<(), ServiceError> {
    Ok(store::sessions::delete(tx, &session.token_hash).await?)
}

/// Ends every session of a principal, except `keep`.
pub async fn end_all(
    tx: &mut WriteTx,
    realm: Realm,
    principal_id: i64,
    keep: Option<&LiveSession>,
) -> Result<(), ServiceError> {
    store::sessions::delete_all_of(
        tx,
        realm.as_str(),
        principal_id,
        keep.map(|s| s.token_hash.as_str()),
    )
    .await?;
    Ok(())
}
