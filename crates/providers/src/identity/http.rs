//! A real verification service over HTTP: CertHall's signed JSON
//! ([`crate::signed_json`]: the shape of the vendors' "open APIs", an app id, a timestamp,
//! a nonce, an HMAC over the exact body both ways), so that a service or a small gateway in
//! front of one plugs in by URL and credentials; no one between can forge a "match".
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

use domain::time::Clock;
use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{
    Answer, Company, FaceSession, FaceState, IdentityError, IdentityVerifier, Person, PersonCheck,
    Transfer,
};
use crate::signed_json::{CallError, SignedJsonClient};

/// How far an answer's timestamp may be from our clock.
pub use crate::signed_json::MAX_SKEW_SECONDS;

pub struct HttpIdentity {
    client: SignedJsonClient,
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
        Ok(HttpIdentity {
            client: SignedJsonClient::new(
                "identity service",
                base,
                app_id,
                secret,
                timeout,
                clock,
            )?,
        })
    }

    async fn call<T: Serialize, R: DeserializeOwned>(
        &self,
        operation: &str,
        request: &T,
    ) -> Result<R, IdentityError> {
        self.client
            .call(operation, request)
            .await
            .map_err(|e| match e {
                CallError::Timeout => IdentityError::Timeout,
                CallError::Unavailable(why) => IdentityError::Unavailable(why),
                CallError::Protocol(why) => IdentityError::Protocol(why),
            })
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
