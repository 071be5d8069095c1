//! A real verification service over HTTP: signed JSON, the shape of the vendors' "open
//! APIs" (an app id, a timestamp, a nonce, an HMAC over the exact body), so that a service
//! or a small gateway in front of one plugs in by URL and credentials.
//!
//! Every call is `POST {base}/v1/{operation}` with the body
//! `{"app_id", "nonce", "request": {...}}` and the headers `X-CertHall-Timestamp` and
//! `X-CertHall-Signature` (`crate::signing`: HMAC-SHA256 over `timestamp + "." + body`
//! with the shared secret). The service answers 200 with `{"nonce", "result": {...}}`,
//! signed the same way; an answer whose signature, timestamp (within five minutes) or
//! nonce (the request's) does not check is refused, so no one between can forge a
//! "match". 429 and 5xx are "unavailable"; no answer within the timeout is "timeout".
//!
//! | operation | request | result |
//! |---|---|---|
//! | `company/check` | [`Company`] | `{"answer"}` |
//! | `person/check` | [`PersonCheck`] | `{"answer"}` |
//! | `transfers` | [`Transfer`] | `{"answer"}` |
//! | `faces` | [`Person`] | [`FaceSession`] |
//! | `faces/result` | `{"reference"}` | `{"state"}` |

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use domain::time::Clock;
use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{
    Answer, Company, FaceSession, FaceState, IdentityError, IdentityVerifier, Person, PersonCheck,
    Transfer,
};

/// How far an answer's timestamp may be from our clock.
pub const MAX_SKEW_SECONDS: i64 = 300;

pub struct HttpIdentity {
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

#[derive(Serialize, Deserialize)]
pub struct AnswerResult {
    pub answer: Answer,
}

#[derive(Serialize, Deserialize)]
pub struct FaceResultRequest {
    pub reference: String,
}

#[derive(Serialize, Deserialize)]
pub struct FaceResult {
    pub state: FaceState,
}

impl HttpIdentity {
    /// Calls go to `base` (e.g. `https://verify.example.com`), as `app_id`, signed with
    /// `secret`, each given `timeout` to answer.
    pub fn new(
        base: &str,
        app_id: &str,
        secret: &[u8],
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, String> {
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!(
                "identity service URL {base:?}: must be http:// or https://"
            ));
        }
        if app_id.trim().is_empty() {
            return Err("identity service app id: must not be empty".into());
        }
        if secret.len() < 16 {
            return Err("identity service secret: at least 16 bytes".into());
        }
        Ok(HttpIdentity {
            client: crate::http_client(timeout)?,
            base: base.trim_end_matches('/').to_string(),
            app_id: app_id.to_string(),
            secret: zeroize::Zeroizing::new(secret.to_vec()),
            clock,
        })
    }

    async fn call<T: Serialize, R: DeserializeOwned>(
        &self,
        operation: &str,
        request: &T,
    ) -> Result<R, IdentityError> {
        let mut bytes = [0u8; 16];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| IdentityError::Unavailable("no randomness".into()))?;
        let nonce = hex::encode(bytes);
        let body = serde_json::to_vec(&Envelope {
            app_id: &self.app_id,
            nonce: &nonce,
            request,
        })
        .map_err(|e| IdentityError::Protocol(e.to_string()))?;
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
                    IdentityError::Timeout
                } else {
                    IdentityError::Unavailable(format!("unreachable: {e}"))
                }
            })?;
        let status = response.status();
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(IdentityError::Unavailable(format!("answered {status}")));
        }
        if !status.is_success() {
            return Err(IdentityError::Protocol(format!("answered {status}")));
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
            .ok_or_else(|| IdentityError::Protocol("answer without a timestamp".into()))?;
        let signature = header("x-certhall-signature")
            .ok_or_else(|| IdentityError::Protocol("answer without a signature".into()))?;
        let text = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                IdentityError::Timeout
            } else {
                IdentityError::Unavailable(format!("answer cut off: {e}"))
            }
        })?;
        if !crate::signing::verify(&self.secret, their_time, &text, &signature) {
            return Err(IdentityError::Protocol(
                "the answer's signature is wrong".into(),
            ));
        }
        if (their_time - self.clock.now().seconds()).abs() > MAX_SKEW_SECONDS {
            return Err(IdentityError::Protocol(
                "the answer's timestamp is too far from ours".into(),
            ));
        }
        let reply: Reply<R> = serde_json::from_slice(&text)
            .map_err(|e| IdentityError::Protocol(format!("answer: {e}")))?;
        if reply.nonce != nonce {
            return Err(IdentityError::Protocol(
                "the answer is for another request".into(),
            ));
        }
        Ok(reply.result)
    }
}

impl IdentityVerifier for HttpIdentity {
    fn name(&self) -> &'static str {
        "http"
    }

    fn check_company<'a>(
        &'a self,
        company: &'a Company,
    ) -> BoxFuture<'a, Result<Answer, IdentityError>> {
        Box::pin(async move {
            let r: AnswerResult = self.call("company/check", company).await?;
            Ok(r.answer)
        })
    }

    fn check_person<'a>(
        &'a self,
        check: &'a PersonCheck,
    ) -> BoxFuture<'a, Result<Answer, IdentityError>> {
        Box::pin(async move {
            let r: AnswerResult = self.call("person/check", check).await?;
            Ok(r.answer)
        })
    }

    fn send_transfer<'a>(
        &'a self,
        transfer: &'a Transfer,
    ) -> BoxFuture<'a, Result<Answer, IdentityError>> {
        Box::pin(async move {
            let r: AnswerResult = self.call("transfers", transfer).await?;
            Ok(r.answer)
        })
    }

    fn start_face<'a>(
        &'a self,
        person: &'a Person,
    ) -> BoxFuture<'a, Result<FaceSession, IdentityError>> {
        Box::pin(async move { self.call("faces", person).await })
    }

    fn face_result<'a>(
        &'a self,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<FaceState, IdentityError>> {
        Box::pin(async move {
            let r: FaceResult = self
                .call(
                    "faces/result",
                    &FaceResultRequest {
                        reference: reference.to_string(),
                    },
                )
                .await?;
            Ok(r.state)
        })
    }
}
