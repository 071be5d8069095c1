//! CertHall's signed-JSON protocol over HTTP, for services that sell no SDK of their own
//! (identity verification, invoicing) or a small gateway in front of one: an app id, a
//! timestamp, a nonce, an HMAC over the exact body, both ways.
//!
//! Every call is `POST {base}/v1/{operation}` with the body
//! `{"app_id", "nonce", "request": {...}}` and the headers `X-CertHall-Timestamp` and
//! `X-CertHall-Signature` (`crate::signing`: HMAC-SHA256 over `timestamp + "." + body`
//! with the shared secret). The service answers 200 with `{"nonce", "result": {...}}`,
//! signed the same way; an answer whose signature, timestamp (within five minutes) or
//! nonce (the request's) does not check is refused, so no one between can forge one.
//! 429 and 5xx are "unavailable"; no answer within the timeout is "timeout".

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use domain::time::Clock;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// How far an answer's timestamp may be from our clock.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// No usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    Timeout,
    Unavailable(String),
    /// The answer could not be trusted or understood (bad signature, wrong shape).
    Protocol(String),
}

pub struct SignedJsonClient {
    client: reqwest::Client,
    base: String,
    app_id: String,
    secret: zeroize::Zeroizing<Vec<u8>>,
    clock: Arc<dyn Clock>,
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    app_id: &'a str,
    nonce: &'a str,
    request: &'a T,
}

#[derive(Deserialize)]
struct Reply<R> {
    nonce: String,
    result: R,
}

impl SignedJsonClient {
    /// Calls go to `base` (e.g. `https://verify.example.com`), as `app_id`, signed with
    /// `secret`, each given `timeout` to answer; `what` names the service in errors.
    pub fn new(
        what: &str,
        base: &str,
        app_id: &str,
        secret: &[u8],
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, String> {
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!("{what} URL {base:?}: must be http:// or https://"));
        }
        if app_id.trim().is_empty() {
            return Err(format!("{what} app id: must not be empty"));
        }
        if secret.len() < 16 {
            return Err(format!("{what} secret: at least 16 bytes"));
        }
        Ok(SignedJsonClient {
            client: crate::http_client(timeout)?,
            base: base.trim_end_matches('/').to_string(),
            app_id: app_id.to_string(),
            secret: zeroize::Zeroizing::new(secret.to_vec()),
            clock,
        })
    }

    /// Calls `operation` with `request`; its verified result.
    pub async fn call<T: Serialize, R: DeserializeOwned>(
        &self,
        operation: &str,
        request: &T,
    ) -> Result<R, CallError> {
        let mut bytes = [0u8; 16];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| CallError::Unavailable("no randomness".into()))?;
        let nonce = hex::encode(bytes);
        let body = serde_json::to_vec(&Envelope {
            app_id: &self.app_id,
            nonce: &nonce,
            request,
        })
        .map_err(|e| CallError::Protocol(e.to_string()))?;
        let timestamp = self.clock.now().seconds();
        let response = self
            .client
            .post(format!("{}/v1/{operation}", self.base))
            .header("content-type", "application/json")
            .header("x-certhall-timestamp", timestamp.to_string())
            .header(
                "x-certhall-signature",
                crate::signing::signature(&self.secret, timestamp, &body),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    CallError::Timeout
                } else {
                    CallError::Unavailable(format!("unreachable: {e}"))
                }
            })?;
        let status = response.status();
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(CallError::Unavailable(format!("answered {status}")));
        }
        if !status.is_success() {
            return Err(CallError::Protocol(format!("answered {status}")));
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let their_time: i64 = header("x-certhall-timestamp")
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| CallError::Protocol("answer without a timestamp".into()))?;
        let signature = header("x-certhall-signature")
            .ok_or_else(|| CallError::Protocol("answer without a signature".into()))?;
        let text = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                CallError::Timeout
            } else {
                CallError::Unavailable(format!("answer cut off: {e}"))
            }
        })?;
        if !crate::signing::verify(&self.secret, their_time, &text, &signature) {
            return Err(CallError::Protocol(
                "the answer's signature is wrong".into(),
            ));
        }
        if (their_time - self.clock.now().seconds()).abs() > MAX_SKEW_SECONDS {
            return Err(CallError::Protocol(
                "the answer's timestamp is too far from ours".into(),
            ));
        }
        let reply: Reply<R> = serde_json::from_slice(&text)
            .map_err(|e| CallError::Protocol(format!("answer: {e}")))?;
        if reply.nonce != nonce {
            return Err(CallError::Protocol(
                "the answer is for another request".into(),
            ));
        }
        Ok(reply.result)
    }
}
