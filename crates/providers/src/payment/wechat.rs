//! WeChat Pay APIv3 Native (扫码): [`WechatNative`], and the protocol's cryptography it
//! rests on, as pure functions pinned to the official Go SDK's test vectors (`wechatpay-apiv3/wechatpay-go`: the signer's and the public-key
//! verifier's RSA vectors, the AES-GCM vector, the Authorization header's format).
//!
//! - **Request**: `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
//!   timestamp="…",serial_no="…",signature="…"`, the signature SHA256withRSA (PKCS#1 v1.5)
//!   under the merchant's key over `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n` (the URL is the
//!   path with its query, no host; the body the exact bytes sent, empty for a GET).
//! - **Answer and notice**: signed by WeChat Pay over `TIMESTAMP\nNONCE\nBODY\n` (the raw
//!   body), in the `Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Signature` and
//!   `Wechatpay-Serial` headers; verified with the WeChat Pay public key whose id the serial
//!   must be, the timestamp within five minutes. A signature starting with
//!   `WECHATPAY/SIGNTEST/` is a probe: never verified, never applied.
//! - **A notice's resource**: AEAD_AES_256_GCM under the APIv3 key's bytes, the `nonce`
//!   string's bytes as the nonce, `associated_data` as the AAD, the base64 ciphertext ending
//!   in its 16-byte tag.

use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::signature::{self, RsaKeyPair, UnparsedPublicKey};
use base64::Engine;
use domain::Fen;
use futures_util::future::BoxFuture;

use super::{
    CloseOutcome, Notice, NoticeError, NoticeHeaders, Noticed, PaymentError, PaymentProvider,
    RefundFailure, RefundOutcome, RefundRequest, TradeRequest, TradeState,
};

/// How far a signed answer's timestamp may be from our clock.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// The text a request's signature covers.
pub fn request_message(
    method: &str,
    canonical_url: &str,
    timestamp: i64,
    nonce: &str,
    body: &str,
) -> String {
    format!("{method}\n{canonical_url}\n{timestamp}\n{nonce}\n{body}\n")
}

/// The `Authorization` header of a request, `signature` already made over
/// [`request_message`].
pub fn authorization(
    mchid: &str,
    serial_no: &str,
    timestamp: i64,
    nonce: &str,
    signature: &str,
) -> String {
    format!(
        "WECHATPAY2-SHA256-RSA2048 mchid=\"{mchid}\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"{serial_no}\",signature=\"{signature}\""
    )
}

/// SHA256withRSA of `message` under the merchant's key, base64.
pub fn sign(key: &RsaKeyPair, message: &[u8]) -> Result<String, String> {
    let mut out = vec![0u8; key.public_modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        message,
        &mut out,
    )
    .map_err(|e| e.to_string())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

/// The headers WeChat Pay signs an answer or a notice with.
#[derive(Debug, Clone, Default)]
pub struct SignedHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

/// Why an answer or a notice is not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("a Wechatpay-* header is missing")]
    Missing,
    #[error("signed with key {0:?}, not the WeChat Pay public key's id")]
    WrongSerial(String),
    #[error("the timestamp is more than five minutes from ours")]
    Stale,
    #[error("a signature probe (WECHATPAY/SIGNTEST/)")]
    Probe,
    #[error("the signature does not verify")]
    BadSignature,
}

/// Checks WeChat Pay's signature over `body` as received.
pub fn verify(
    public_key: &[u8],
    public_key_id: &str,
    headers: &SignedHeaders,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    if [
        &headers.timestamp,
        &headers.nonce,
        &headers.signature,
        &headers.serial,
    ]
    .iter()
    .any(|h| h.is_empty())
    {
        return Err(VerifyError::Missing);
    }
    if headers.signature.starts_with("WECHATPAY/SIGNTEST/") {
        return Err(VerifyError::Probe);
    }
    if headers.serial != public_key_id {
        return Err(VerifyError::WrongSerial(headers.serial.clone()));
    }
    let timestamp: i64 = headers.timestamp.parse().map_err(|_| VerifyError::Stale)?;
    if (now - timestamp).abs() >= MAX_SKEW_SECONDS {
        return Err(VerifyError::Stale);
    }
    let mut message = format!("{}\n{}\n", headers.timestamp, headers.nonce).into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    verify_signature(public_key, &message, &headers.signature)
}

fn verify_signature(public_key: &[u8], message: &[u8], signature: &str) -> Result<(), VerifyError> {
    let signature = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .map_err(|_| VerifyError::BadSignature)?;
    UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, public_key)
        .verify(message, &signature)
        .map_err(|_| VerifyError::BadSignature)
}

/// Opens a notice's resource with the APIv3 key (32 bytes; the SDK's vector uses 16).
pub fn decrypt_resource(
    apiv3_key: &[u8],
    nonce: &str,
    associated_data: &str,
    ciphertext_b64: &str,
) -> Result<Vec<u8>, String> {
    let algorithm = match apiv3_key.len() {
        32 => &AES_256_GCM,
        16 => &AES_128_GCM,
        n => return Err(format!("an APIv3 key of {n} bytes")),
    };
    let key = LessSafeKey::new(UnboundKey::new(algorithm, apiv3_key).map_err(|e| e.to_string())?);
    let nonce = Nonce::try_assume_unique_for_key(nonce.as_bytes())
        .map_err(|_| "the nonce is not 12 bytes".to_string())?;
    let mut data = base64::engine::general_purpose::STANDARD
        .decode(ciphertext_b64)
        .map_err(|e| format!("ciphertext: {e}"))?;
    let plain = key
        .open_in_place(nonce, Aad::from(associated_data.as_bytes()), &mut data)
        .map_err(|_| "the resource does not open (key, nonce, data or tag)".to_string())?;
    Ok(plain.to_vec())
}

/// What the merchant holds to use WeChat Pay APIv3 (public-key mode).
pub struct WechatSettings {
    /// `https://api.mch.weixin.qq.com` (or a simulator's).
    pub base_url: String,
    pub mchid: String,
    pub appid: String,
    /// The serial of the merchant API certificate matching `private_key`.
    pub merchant_serial: String,
    /// The merchant API private key (PKCS#8 or PKCS#1, PEM).
    pub private_key: zeroize::Zeroizing<String>,
    /// The WeChat Pay public key (PEM) and its id (`PUB_KEY_ID_…`).
    pub public_key: String,
    pub public_key_id: String,
    /// The APIv3 key (32 characters).
    pub apiv3_key: zeroize::Zeroizing<String>,
    pub timeout: std::time::Duration,
}

/// WeChat Pay Native (扫码): prepay, query, close and refund over APIv3.
pub struct WechatNative {
    base: String,
    mchid: String,
    appid: String,
    serial: String,
    key: RsaKeyPair,
    public: Vec<u8>,
    public_id: String,
    apiv3: zeroize::Zeroizing<Vec<u8>>,
    client: reqwest::Client,
    clock: std::sync::Arc<dyn domain::time::Clock>,
}

impl std::fmt::Debug for WechatNative {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys.
        write!(f, "WechatNative({}, {})", self.base, self.mchid)
    }
}

/// An answer: its status and, once verified, its body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl WechatNative {
    pub fn new(
        settings: WechatSettings,
        clock: std::sync::Arc<dyn domain::time::Clock>,
    ) -> Result<WechatNative, String> {
        let der = zeroize::Zeroizing::new(super::key_der(&settings.private_key)?);
        let key = RsaKeyPair::from_pkcs8(&der)
            .or_else(|_| RsaKeyPair::from_der(&der))
            .map_err(|e| format!("the merchant private key: {e}"))?;
        if ![16, 32].contains(&settings.apiv3_key.len()) {
            return Err("the APIv3 key must be 32 characters".into());
        }
        Ok(WechatNative {
            base: settings.base_url.trim_end_matches('/').to_string(),
            mchid: settings.mchid,
            appid: settings.appid,
            serial: settings.merchant_serial,
            key,
            public: super::key_der(&settings.public_key)?,
            public_id: settings.public_key_id,
            apiv3: zeroize::Zeroizing::new(settings.apiv3_key.as_bytes().to_vec()),
            client: crate::http_client(settings.timeout)?,
            clock,
        })
    }

    /// One signed call; the answer, its signature verified (any status).
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> Result<Answer, PaymentError> {
        let now = self.clock.now().seconds();
        let mut nonce_bytes = [0u8; 16];
        aws_lc_rs::rand::SecureRandom::fill(
            &aws_lc_rs::rand::SystemRandom::new(),
            &mut nonce_bytes,
        )
        .map_err(|_| PaymentError::Unknown("no randomness".into()))?;
        let nonce = hex::encode_upper(nonce_bytes);
        let text = body.clone().unwrap_or_default();
        let message = request_message(method.as_str(), path, now, &nonce, &text);
        let signature = sign(&self.key, message.as_bytes()).map_err(PaymentError::Unknown)?;
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header(
                "authorization",
                authorization(&self.mchid, &self.serial, now, &nonce, &signature),
            )
            .header("accept", "application/json");
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| PaymentError::Unknown(format!("{path}: {e}")))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let signed = SignedHeaders {
            timestamp: header("wechatpay-timestamp"),
            nonce: header("wechatpay-nonce"),
            signature: header("wechatpay-signature"),
            serial: header("wechatpay-serial"),
        };
        let body = response
            .bytes()
            .await
            .map_err(|e| PaymentError::Unknown(format!("{path}: {e}")))?
            .to_vec();
        if status >= 500 {
            return Err(PaymentError::Unknown(format!("{path}: HTTP {status}")));
        }
        verify(&self.public, &self.public_id, &signed, &body, now)
            .map_err(|e| PaymentError::Unknown(format!("{path}: the answer: {e}")))?;
        Ok(Answer { status, body })
    }

    fn refused(answer: &Answer) -> PaymentError {
        let error: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        PaymentError::Refused {
            code: error["code"].as_str().unwrap_or_default().to_string(),
            message: error["message"].as_str().unwrap_or_default().to_string(),
        }
    }

    fn json(answer: &Answer) -> Result<serde_json::Value, PaymentError> {
        serde_json::from_slice(&answer.body).map_err(|e| PaymentError::Unknown(e.to_string()))
    }
}

/// A transaction's state as WeChat Pay writes it.
fn state_of(transaction: &serde_json::Value) -> Result<TradeState, String> {
    match transaction["trade_state"].as_str().unwrap_or_default() {
        // REFUND: paid, then (partly) refunded; the payment happened.
        "SUCCESS" | "REFUND" => Ok(TradeState::Paid {
            amount: Fen(transaction["amount"]["total"]
                .as_u64()
                .ok_or("a paid transaction without amount.total")?),
            provider_ref: transaction["transaction_id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        }),
        "NOTPAY" | "USERPAYING" => Ok(TradeState::Pending),
        "CLOSED" | "REVOKED" | "PAYERROR" => Ok(TradeState::Closed),
        other => Err(format!("unknown trade_state {other:?}")),
    }
}

/// A refund's `status` as WeChat Pay writes it (in answers, queries and `REFUND.*` notices).
fn refund_outcome(status: Option<&str>) -> Result<RefundOutcome, String> {
    match status {
        Some("SUCCESS") => Ok(RefundOutcome::Refunded { moved: true }),
        Some("PROCESSING") => Ok(RefundOutcome::Processing),
        Some("ABNORMAL") => Ok(RefundOutcome::Failed(RefundFailure::Abnormal)),
        Some("CLOSED") => Ok(RefundOutcome::Failed(RefundFailure::Closed)),
        other => Err(format!("unknown refund status {other:?}")),
    }
}

impl PaymentProvider for WechatNative {
    fn precreate<'a>(
        &'a self,
        trade: &'a TradeRequest,
    ) -> BoxFuture<'a, Result<String, PaymentError>> {
        Box::pin(async move {
            let body = serde_json::json!({
                "appid": self.appid, "mchid": self.mchid,
                "description": trade.subject, "out_trade_no": trade.out_trade_no,
                // RFC 3339 in China: 2026-11-02T12:00:00+08:00.
                "time_expire": format!("{}+08:00", trade.expires_at.replace(' ', "T")),
                "notify_url": trade.notify_url,
                "amount": {"total": trade.amount.0, "currency": "CNY"},
            });
            let answer = self
                .call(
                    reqwest::Method::POST,
                    "/v3/pay/transactions/native",
                    Some(body.to_string()),
                )
                .await?;
            if answer.status != 200 {
                return Err(Self::refused(&answer));
            }
            Self::json(&answer)?["code_url"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| PaymentError::Unknown("prepay: no code_url".into()))
        })
    }

    fn query<'a>(
        &'a self,
        out_trade_no: &'a str,
    ) -> BoxFuture<'a, Result<TradeState, PaymentError>> {
        Box::pin(async move {
            let path = format!(
                "/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}",
                self.mchid
            );
            let answer = self.call(reqwest::Method::GET, &path, None).await?;
            match answer.status {
                200 => state_of(&Self::json(&answer)?).map_err(PaymentError::Unknown),
                404 => Ok(TradeState::Unknown),
                _ => Err(Self::refused(&answer)),
            }
        })
    }

    fn close<'a>(
        &'a self,
        out_trade_no: &'a str,
    ) -> BoxFuture<'a, Result<CloseOutcome, PaymentError>> {
        Box::pin(async move {
            let path = format!("/v3/pay/transactions/out-trade-no/{out_trade_no}/close");
            let body = serde_json::json!({"mchid": self.mchid}).to_string();
            let answer = self.call(reqwest::Method::POST, &path, Some(body)).await?;
            match answer.status {
                204 => Ok(CloseOutcome::Closed),
                404 => Ok(CloseOutcome::NotFound),
                _ => match Self::refused(&answer) {
                    PaymentError::Refused { code, .. } if code == "ORDERPAID" => {
                        Ok(CloseOutcome::AlreadyPaid)
                    }
                    e => Err(e),
                },
            }
        })
    }

    fn refund<'a>(
        &'a self,
        refund: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<RefundOutcome, PaymentError>> {
        Box::pin(async move {
            let body = serde_json::json!({
                "out_trade_no": refund.out_trade_no, "out_refund_no": refund.out_refund_no,
                "reason": refund.reason, "notify_url": refund.notify_url,
                "amount": {"refund": refund.amount.0, "total": refund.paid.0, "currency": "CNY"},
            });
            let answer = self
                .call(
                    reqwest::Method::POST,
                    "/v3/refund/domestic/refunds",
                    Some(body.to_string()),
                )
                .await?;
            if answer.status != 200 {
                return Err(Self::refused(&answer));
            }
            refund_outcome(Self::json(&answer)?["status"].as_str()).map_err(PaymentError::Unknown)
        })
    }

    fn query_refund<'a>(
        &'a self,
        refund: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<RefundOutcome, PaymentError>> {
        Box::pin(async move {
            let path = format!("/v3/refund/domestic/refunds/{}", refund.out_refund_no);
            let answer = self.call(reqwest::Method::GET, &path, None).await?;
            match answer.status {
                200 => refund_outcome(Self::json(&answer)?["status"].as_str())
                    .map_err(PaymentError::Unknown),
                404 => Ok(RefundOutcome::NotMade),
                _ => Err(Self::refused(&answer)),
            }
        })
    }

    fn verify_notice(&self, headers: &NoticeHeaders, body: &[u8]) -> Result<Notice, NoticeError> {
        let signed = SignedHeaders {
            timestamp: headers.get("wechatpay-timestamp").to_string(),
            nonce: headers.get("wechatpay-nonce").to_string(),
            signature: headers.get("wechatpay-signature").to_string(),
            serial: headers.get("wechatpay-serial").to_string(),
        };
        verify(
            &self.public,
            &self.public_id,
            &signed,
            body,
            self.clock.now().seconds(),
        )
        .map_err(|e| match e {
            VerifyError::Missing => NoticeError::Unsigned,
            _ => NoticeError::BadSignature,
        })?;
        let envelope: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| NoticeError::Malformed(e.to_string()))?;
        let resource = &envelope["resource"];
        if resource["algorithm"].as_str() != Some("AEAD_AES_256_GCM") {
            return Err(NoticeError::Malformed("not AEAD_AES_256_GCM".into()));
        }
        let plain = decrypt_resource(
            &self.apiv3,
            resource["nonce"].as_str().unwrap_or_default(),
            resource["associated_data"].as_str().unwrap_or_default(),
            resource["ciphertext"].as_str().unwrap_or_default(),
        )
        .map_err(|_| NoticeError::BadSignature)?;
        let transaction: serde_json::Value =
            serde_json::from_slice(&plain).map_err(|e| NoticeError::Malformed(e.to_string()))?;
        // `REFUND.SUCCESS`, `REFUND.ABNORMAL`, `REFUND.CLOSED`: how a refund settled later
        // ended; the resource is the refund (its `refund_status`), not the transaction.
        let about = if resource["original_type"].as_str() == Some("refund") {
            Noticed::Refund {
                out_refund_no: transaction["out_refund_no"]
                    .as_str()
                    .filter(|no| !no.is_empty())
                    .ok_or_else(|| NoticeError::Malformed("no out_refund_no".into()))?
                    .to_string(),
                outcome: refund_outcome(transaction["refund_status"].as_str())
                    .map_err(NoticeError::Malformed)?,
            }
        } else {
            Noticed::Trade(state_of(&transaction).map_err(NoticeError::Malformed)?)
        };
        Ok(Notice {
            id: envelope["id"].as_str().unwrap_or_default().to_string(),
            app_id: transaction["mchid"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            seller_id: None,
            out_trade_no: transaction["out_trade_no"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            about,
        })
    }

    fn notice_answer(&self, taken: bool) -> (u16, &'static str) {
        if taken {
            (204, "")
        } else {
            (401, r#"{"code":"FAIL","message":"失败"}"#)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The official Go SDK's test vectors (wechatpay-go 6dbd7ce, core/auth/signers,
    // core/auth/verifiers, core/auth/credentials and utils tests): a test key published
    // for its tests, never a merchant's.
    const SDK_KEY: &str = include_str!("../../tests/vectors/wechatpay_sdk_test_key.pem");
    const SDK_PUBLIC: &str = include_str!("../../tests/vectors/wechatpay_sdk_test_public.pem");
    const SDK_KEY_ID: &str = "F5765756002FDD77";
    const SDK_SIGNATURE: &str = "BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLli/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg==";

    #[test]
    fn signatures_are_the_official_sdks() {
        let key = RsaKeyPair::from_pkcs8(&super::super::key_der(SDK_KEY).unwrap()).unwrap();
        // PKCS#1 v1.5 is deterministic: the SDK's very bytes for "source".
        assert_eq!(sign(&key, b"source").unwrap(), SDK_SIGNATURE);
        let public = super::super::key_der(SDK_PUBLIC).unwrap();
        assert!(verify_signature(&public, b"source", SDK_SIGNATURE).is_ok());
        assert_eq!(
            verify_signature(&public, b"wrong source", SDK_SIGNATURE),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn the_request_message_and_header_are_the_official_sdks() {
        // wechat_pay_credential_test.go: the message a GET and a POST sign.
        assert_eq!(
            request_message("GET", "/v3/certificates", 1624523846, "A1B2C3D4E5F6G7", ""),
            "GET\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n"
        );
        assert_eq!(
            request_message(
                "POST",
                "/v3/certificates",
                1624523846,
                "A1B2C3D4E5F6G7",
                "Hello World!\n"
            ),
            "POST\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\nHello World!\n\n"
        );
        assert_eq!(
            authorization(
                "1234567890",
                "0123456789ABC",
                1624523846,
                "A1B2C3D4E5F6G7",
                "S"
            ),
            "WECHATPAY2-SHA256-RSA2048 mchid=\"1234567890\",nonce_str=\"A1B2C3D4E5F6G7\",timestamp=\"1624523846\",serial_no=\"0123456789ABC\",signature=\"S\""
        );
    }

    #[test]
    fn answers_are_verified_over_the_raw_body_with_the_key_id_and_the_time() {
        let key = RsaKeyPair::from_pkcs8(&super::super::key_der(SDK_KEY).unwrap()).unwrap();
        let public = super::super::key_der(SDK_PUBLIC).unwrap();
        let body = br#"{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}"#;
        let message = [b"1700000000\nNONCE123\n".as_slice(), body, b"\n"].concat();
        let headers = SignedHeaders {
            timestamp: "1700000000".into(),
            nonce: "NONCE123".into(),
            signature: sign(&key, &message).unwrap(),
            serial: SDK_KEY_ID.into(),
        };
        assert_eq!(
            verify(&public, SDK_KEY_ID, &headers, body, 1700000100),
            Ok(())
        );
        // The same JSON pretty-printed is not what was signed.
        let pretty = b"{\n  \"code_url\": \"weixin://wxpay/bizpayurl?pr=p4lpSuKzz\"\n}";
        assert_eq!(
            verify(&public, SDK_KEY_ID, &headers, pretty, 1700000100),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify(&public, SDK_KEY_ID, &headers, body, 1700000300),
            Err(VerifyError::Stale)
        );
        let other = SignedHeaders {
            serial: "PUB_KEY_ID_FORGED".into(),
            ..headers.clone()
        };
        assert!(matches!(
            verify(&public, SDK_KEY_ID, &other, body, 1700000100),
            Err(VerifyError::WrongSerial(_))
        ));
        let probe = SignedHeaders {
            signature: format!("WECHATPAY/SIGNTEST/{}", headers.signature),
            ..headers.clone()
        };
        assert_eq!(
            verify(&public, SDK_KEY_ID, &probe, body, 1700000100),
            Err(VerifyError::Probe)
        );
        let missing = SignedHeaders {
            nonce: String::new(),
            ..headers
        };
        assert_eq!(
            verify(&public, SDK_KEY_ID, &missing, body, 1700000100),
            Err(VerifyError::Missing)
        );
    }

    #[test]
    fn a_resource_opens_as_the_official_sdks_vector() {
        // utils/aes_test.go.
        let plain = decrypt_resource(
            b"testAPIv3Key0000",
            "wCq51qZv4Yfg",
            "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8",
            "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC",
        )
        .unwrap();
        assert_eq!(plain, b"Hello World");
        // A flipped bit of the tag, another AAD, or a wrong key does not open.
        assert!(
            decrypt_resource(
                b"testAPIv3Key0000",
                "wCq51qZv4Yfg",
                "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8",
                "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROD",
            )
            .is_err()
        );
        assert!(
            decrypt_resource(
                b"testAPIv3Key0000",
                "wCq51qZv4Yfg",
                "other",
                "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC",
            )
            .is_err()
        );
        assert!(decrypt_resource(b"short", "wCq51qZv4Yfg", "", "AA==").is_err());
    }
}
