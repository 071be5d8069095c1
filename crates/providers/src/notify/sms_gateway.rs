//! SMS through a generic HTTP gateway: a JSON POST per message, signed with HMAC-SHA256.
//!
//! The request: `POST {url}` with body `{"to", "text", "template", "idempotency_key"}` and
//! headers `X-CertHall-Timestamp` (Unix seconds), `X-CertHall-Signature:
//! sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>` and `Idempotency-Key`. The
//! gateway answers 2xx when it accepted the message, 429 or 5xx for "try later", any
//! other 4xx for a refusal. It must send a message once per idempotency key: that is what
//! makes a resend after an interrupted attempt safe.

use std::sync::Arc;
use std::time::Duration;

use domain::time::Clock;
use futures_util::future::BoxFuture;
use serde::Serialize;

use super::{DeliveryError, Message, Notifier};

pub struct HttpSmsGateway {
    client: reqwest::Client,
    url: String,
    secret: zeroize::Zeroizing<Vec<u8>>,
    clock: Arc<dyn Clock>,
}

#[derive(Serialize)]
struct GatewayMessage<'a> {
    to: &'a str,
    text: &'a str,
    template: &'a str,
    idempotency_key: &'a str,
}

pub use crate::signing::signature;

impl HttpSmsGateway {
    /// Requests go to `url`, signed with `secret` and stamped by `clock`.
    pub fn new(url: &str, secret: &[u8], clock: Arc<dyn Clock>) -> Result<Self, String> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(format!(
                "SMS gateway URL {url:?}: must be http:// or https://"
            ));
        }
        if secret.len() < 16 {
            return Err("SMS gateway secret: at least 16 bytes".into());
        }
        let client = crate::http_client(Duration::from_secs(15))?;
        Ok(HttpSmsGateway {
            client,
            url: url.to_string(),
            secret: zeroize::Zeroizing::new(secret.to_vec()),
            clock,
        })
    }
}

impl Notifier for HttpSmsGateway {
    fn name(&self) -> &'static str {
        "http-gateway"
    }

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let body = serde_json::to_vec(&GatewayMessage {
                to: &message.to,
                text: &message.text,
                template: &message.template,
                idempotency_key: &message.idempotency_key,
            })
            .map_err(|e| DeliveryError::refused(e.to_string()))?;
            let timestamp = self.clock.now().seconds();
            let signature = signature(&self.secret, timestamp, &body);
            let response = self
                .client
                .post(&self.url)
                .header("content-type", "application/json")
                .header("x-certhall-timestamp", timestamp.to_string())
                .header("x-certhall-signature", signature)
                .header("idempotency-key", &message.idempotency_key)
                .body(body)
                .send()
                .await
                .map_err(|e| DeliveryError::retryable(format!("SMS gateway unreachable: {e}")))?;
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let detail: String = response
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            Err(DeliveryError {
                retryable: status.as_u16() == 429 || status.is_server_error(),
                reason: format!("SMS gateway answered {status}: {detail}"),
            })
        })
    }

    /// The gateway deduplicates by idempotency key, so sending again is always safe.
    fn was_delivered<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Option<bool>> {
        Box::pin(async { Some(false) })
    }
}
