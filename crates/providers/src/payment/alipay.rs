//! Alipay face-to-face payment (当面付, 扫码支付) over the OpenAPI form protocol:
//! `alipay.trade.precreate`, `alipay.trade.query`, `alipay.trade.close`,
//! `alipay.trade.refund`, each a form POST to the gateway signed with RSA2
//! (SHA256withRSA, PKCS#1 v1.5) under the app's private key.
//!
//! - **Request signature**: every parameter but `sign` and empty ones (`sign_type` *is*
//!   signed), sorted by name, joined as `k=v` with `&`, the raw values (not URL-encoded).
//! - **Answer**: `{"alipay_trade_precreate_response":{…},"sign":"…"}`; the signature covers
//!   the exact text of the `*_response` object as it arrived, cut out by matching braces
//!   (outside strings, minding escapes), never a re-serialisation. `code` 10000 is success,
//!   20000 "system busy" (no definite answer), 40004 a refusal with its `sub_code`.
//! - **Notice**: a form POST; every parameter but `sign` and `sign_type`, empty ones left
//!   out, sorted, joined as `k=v`, over the form-decoded bytes in the notice's charset. It
//!   is answered with the seven characters `success`, or Alipay sends it again.
//!
//! Pinned to the official Python SDK (`alipay-sdk-python` 3.7, `get_sign_content` and
//! `sign_with_rsa2`) by the vectors in the tests below.

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::signature::{self, RsaKeyPair, UnparsedPublicKey};
use base64::Engine;
use domain::Fen;
use domain::time::Clock;
use futures_util::future::BoxFuture;
use serde_json::Value;

use super::{
    CloseOutcome, Notice, NoticeError, NoticeHeaders, Noticed, PaymentError, PaymentProvider,
    RefundOutcome, RefundRequest, TradeRequest, TradeState,
};

/// What the merchant holds to use Alipay.
pub struct AlipaySettings {
    /// The gateway, `https://openapi.alipay.com/gateway.do` (or a simulator's).
    pub gateway: String,
    pub app_id: String,
    /// The app's RSA private key (PKCS#1 or PKCS#8, PEM or base64 DER).
    pub private_key: zeroize::Zeroizing<String>,
    /// Alipay's public key (SubjectPublicKeyInfo, PEM or base64 DER), from the console.
    pub alipay_public_key: String,
    pub timeout: Duration,
}

pub struct AlipayF2F {
    gateway: String,
    app_id: String,
    key: RsaKeyPair,
    alipay_key: Vec<u8>,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AlipayF2F {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        write!(f, "AlipayF2F({}, {})", self.gateway, self.app_id)
    }
}

impl AlipayF2F {
    pub fn new(settings: AlipaySettings, clock: Arc<dyn Clock>) -> Result<AlipayF2F, String> {
        let der = zeroize::Zeroizing::new(super::key_der(&settings.private_key)?);
        let key = RsaKeyPair::from_der(&der)
            .or_else(|_| RsaKeyPair::from_pkcs8(&der))
            .map_err(|e| format!("the app private key: {e}"))?;
        let alipay_key = super::key_der(&settings.alipay_public_key)?;
        Ok(AlipayF2F {
            gateway: settings.gateway,
            app_id: settings.app_id,
            key,
            alipay_key,
            client: crate::http_client(settings.timeout)?,
            clock,
        })
    }

    /// The request's parameters with `sign`, for `method` and its `biz_content`.
    fn signed_params(
        &self,
        method: &str,
        biz_content: &Value,
        notify_url: Option<&str>,
    ) -> Result<Vec<(String, String)>, PaymentError> {
        let mut params = vec![
            ("app_id".to_string(), self.app_id.clone()),
            ("method".into(), method.into()),
            ("format".into(), "JSON".into()),
            ("charset".into(), "utf-8".into()),
            ("sign_type".into(), "RSA2".into()),
            (
                "timestamp".into(),
                super::china_time(self.clock.now().seconds()),
            ),
            ("version".into(), "1.0".into()),
            ("biz_content".into(), biz_content.to_string()),
        ];
        if let Some(url) = notify_url {
            params.push(("notify_url".into(), url.into()));
        }
        let content = request_sign_content(&params);
        let sign = sign(&self.key, content.as_bytes())
            .map_err(|e| PaymentError::Unknown(format!("signing: {e}")))?;
        params.push(("sign".into(), sign));
        Ok(params)
    }

    /// Calls `method`; the verified `*_response` object.
    async fn call(
        &self,
        method: &str,
        biz_content: Value,
        notify_url: Option<&str>,
    ) -> Result<Value, PaymentError> {
        let params = self.signed_params(method, &biz_content, notify_url)?;
        let body = serde_html_form::to_string(&params)
            .map_err(|e| PaymentError::Unknown(format!("form: {e}")))?;
        let answer = self
            .client
            .post(format!("{}?charset=utf-8", self.gateway))
            .header(
                "content-type",
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| PaymentError::Unknown(format!("{method}: {e}")))?;
        if !answer.status().is_success() {
            return Err(PaymentError::Unknown(format!(
                "{method}: HTTP {}",
                answer.status()
            )));
        }
        let text = answer
            .text()
            .await
            .map_err(|e| PaymentError::Unknown(format!("{method}: {e}")))?;
        let response_key = format!("{}_response", method.replace('.', "_"));
        let (content, sign) = split_response(&text, &response_key).ok_or_else(|| {
            PaymentError::Unknown(format!("{method}: an answer without its signature"))
        })?;
        verify(&self.alipay_key, content.as_bytes(), sign).map_err(|_| {
            PaymentError::Unknown(format!("{method}: the answer's signature does not verify"))
        })?;
        let response: Value = serde_json::from_str(content)
            .map_err(|e| PaymentError::Unknown(format!("{method}: {e}")))?;
        match response["code"].as_str() {
            Some("10000") => Ok(response),
            Some("20000") | None => Err(PaymentError::Unknown(format!(
                "{method}: {}",
                response["sub_msg"].as_str().unwrap_or("system busy")
            ))),
            Some(_) => Err(PaymentError::Refused {
                code: response["sub_code"]
                    .as_str()
                    .or(response["code"].as_str())
                    .unwrap_or_default()
                    .to_string(),
                message: response["sub_msg"]
                    .as_str()
                    .or(response["msg"].as_str())
                    .unwrap_or_default()
                    .to_string(),
            }),
        }
    }
}

/// The signed text of a request: every parameter but `sign` and empty ones, by name.
fn request_sign_content(params: &[(String, String)]) -> String {
    let mut kept: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, v)| k != "sign" && !v.is_empty())
        .collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    kept.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn sign(key: &RsaKeyPair, message: &[u8]) -> Result<String, String> {
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        message,
        &mut signature,
    )
    .map_err(|e| e.to_string())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(signature))
}

fn verify(public_key: &[u8], message: &[u8], sign: &str) -> Result<(), ()> {
    let signature = base64::engine::general_purpose::STANDARD
        .decode(sign)
        .map_err(|_| ())?;
    UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, public_key)
        .verify(message, &signature)
        .map_err(|_| ())
}

/// The exact text of the `key` object of an answer, and the answer's `sign`.
fn split_response<'a>(text: &'a str, key: &str) -> Option<(&'a str, &'a str)> {
    let at = text.find(&format!("\"{key}\""))?;
    let open = at + text[at..].find('{')?;
    let end = object_end(text, open)?;
    let content = &text[open..end];
    // The signature is the top-level "sign" after the object.
    let rest = &text[end..];
    let sign_at = rest.find("\"sign\"")?;
    let after = &rest[sign_at + "\"sign\"".len()..];
    let quote = after.find('"')?;
    let value = &after[quote + 1..];
    let close = value.find('"')?;
    Some((content, &value[..close]))
}

/// Where the object opened at `open` ends (one past its `}`), braces matched outside
/// strings, a quote escaped by an odd run of backslashes not ending a string.
fn object_end(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escapes = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '"' if escapes.is_multiple_of(2) => in_string = !in_string,
            '{' if !in_string => depth += 1,
            '}' if !in_string => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(open + i + 1);
                }
            }
            _ => {}
        }
        escapes = if c == '\\' { escapes + 1 } else { 0 };
    }
    None
}

/// The form's pairs, `+` and `%XX` decoded to bytes (the charset's bytes, untouched).
fn form_pairs(body: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let decode = |part: &[u8]| -> Vec<u8> {
        let plus: Vec<u8> = part
            .iter()
            .map(|b| if *b == b'+' { b' ' } else { *b })
            .collect();
        percent_encoding::percent_decode(&plus).collect()
    };
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |b| *b == b'=');
            let key = decode(parts.next().unwrap_or_default());
            let value = decode(parts.next().unwrap_or_default());
            (key, value)
        })
        .collect()
}

/// The signed bytes of a notice: every parameter but `sign` and `sign_type`, empty ones
/// left out, sorted by name, `k=v` joined with `&`.
fn notice_sign_content(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut kept: Vec<&(Vec<u8>, Vec<u8>)> = pairs
        .iter()
        .filter(|(k, v)| k != b"sign" && k != b"sign_type" && !v.is_empty())
        .collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    let mut content = Vec::new();
    for (i, (k, v)) in kept.iter().enumerate() {
        if i > 0 {
            content.push(b'&');
        }
        content.extend_from_slice(k);
        content.push(b'=');
        content.extend_from_slice(v);
    }
    content
}

fn state_of(status: &str, amount: Option<&str>, trade_no: &str) -> Result<TradeState, String> {
    match status {
        "TRADE_SUCCESS" | "TRADE_FINISHED" => {
            let amount = amount
                .and_then(Fen::parse_yuan)
                .ok_or_else(|| format!("a paid trade without a readable amount: {amount:?}"))?;
            Ok(TradeState::Paid {
                amount,
                provider_ref: trade_no.to_string(),
            })
        }
        "WAIT_BUYER_PAY" => Ok(TradeState::Pending),
        "TRADE_CLOSED" => Ok(TradeState::Closed),
        other => Err(format!("unknown trade_status {other:?}")),
    }
}

impl PaymentProvider for AlipayF2F {
    fn precreate<'a>(
        &'a self,
        trade: &'a TradeRequest,
    ) -> BoxFuture<'a, Result<String, PaymentError>> {
        Box::pin(async move {
            let biz = serde_json::json!({
                "out_trade_no": trade.out_trade_no,
                "total_amount": trade.amount.yuan(),
                "subject": trade.subject,
                "time_expire": trade.expires_at,
            });
            let answer = self
                .call("alipay.trade.precreate", biz, Some(&trade.notify_url))
                .await?;
            answer["qr_code"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| PaymentError::Unknown("precreate: no qr_code".into()))
        })
    }

    fn query<'a>(
        &'a self,
        out_trade_no: &'a str,
    ) -> BoxFuture<'a, Result<TradeState, PaymentError>> {
        Box::pin(async move {
            let biz = serde_json::json!({"out_trade_no": out_trade_no});
            match self.call("alipay.trade.query", biz, None).await {
                Ok(answer) => state_of(
                    answer["trade_status"].as_str().unwrap_or_default(),
                    answer["total_amount"].as_str(),
                    answer["trade_no"].as_str().unwrap_or_default(),
                )
                .map_err(PaymentError::Unknown),
                // Before the buyer scans, Alipay has no such trade.
                Err(PaymentError::Refused { code, .. }) if code == "ACQ.TRADE_NOT_EXIST" => {
                    Ok(TradeState::Unknown)
                }
                Err(e) => Err(e),
            }
        })
    }

    fn close<'a>(
        &'a self,
        out_trade_no: &'a str,
    ) -> BoxFuture<'a, Result<CloseOutcome, PaymentError>> {
        Box::pin(async move {
            let biz = serde_json::json!({"out_trade_no": out_trade_no});
            match self.call("alipay.trade.close", biz, None).await {
                Ok(_) => Ok(CloseOutcome::Closed),
                Err(PaymentError::Refused { code, .. }) if code == "ACQ.TRADE_NOT_EXIST" => {
                    Ok(CloseOutcome::NotFound)
                }
                Err(PaymentError::Refused { code, .. })
                    if code == "ACQ.TRADE_STATUS_ERROR" || code == "ACQ.TRADE_HAS_SUCCESS" =>
                {
                    Ok(CloseOutcome::AlreadyPaid)
                }
                Err(e) => Err(e),
            }
        })
    }

    fn refund<'a>(
        &'a self,
        refund: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<RefundOutcome, PaymentError>> {
        Box::pin(async move {
            let biz = serde_json::json!({
                "out_trade_no": refund.out_trade_no,
                "out_request_no": refund.out_refund_no,
                "refund_amount": refund.amount.yuan(),
                "refund_reason": refund.reason,
            });
            let answer = self.call("alipay.trade.refund", biz, None).await?;
            Ok(RefundOutcome::Refunded {
                moved: answer["fund_change"].as_str() == Some("Y"),
            })
        })
    }

    fn query_refund<'a>(
        &'a self,
        refund: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<RefundOutcome, PaymentError>> {
        // Alipay settles a face-to-face refund in its answer (`fund_change`) and never
        // answers "processing"; asking how it stands is asking again with the same
        // `out_request_no`, which refunds once.
        self.refund(refund)
    }

    fn verify_notice(&self, headers: &NoticeHeaders, body: &[u8]) -> Result<Notice, NoticeError> {
        let content_type = headers.get("content-type");
        if !content_type
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
        {
            return Err(NoticeError::Malformed(format!(
                "a form was expected, not {content_type:?}"
            )));
        }
        let pairs = form_pairs(body);
        let value = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name.as_bytes())
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        };
        let sign = value("sign").ok_or(NoticeError::Unsigned)?;
        if value("sign_type").as_deref() != Some("RSA2") {
            return Err(NoticeError::BadSignature);
        }
        verify(&self.alipay_key, &notice_sign_content(&pairs), &sign)
            .map_err(|_| NoticeError::BadSignature)?;
        let required = |name: &str| {
            value(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| NoticeError::Malformed(format!("no {name}")))
        };
        let state = state_of(
            &required("trade_status")?,
            value("total_amount").as_deref(),
            &value("trade_no").unwrap_or_default(),
        )
        .map_err(NoticeError::Malformed)?;
        Ok(Notice {
            id: required("notify_id")?,
            app_id: required("app_id")?,
            seller_id: value("seller_id"),
            out_trade_no: required("out_trade_no")?,
            about: Noticed::Trade(state),
        })
    }

    fn notice_answer(&self, taken: bool) -> (u16, &'static str) {
        // Anything but the exact `success` makes Alipay send the notice again.
        (200, if taken { "success" } else { "fail" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test key of the vectors below (RSA 2048, PKCS#1), and its public half.
    const MERCHANT_KEY: &str = include_str!("../../tests/vectors/alipay_merchant_key.pem");
    const MERCHANT_PUBLIC: &str = include_str!("../../tests/vectors/alipay_merchant_public.pem");

    #[test]
    fn the_request_sign_text_and_signature_are_the_official_sdks() {
        // tests/tools/alipay_vectors.py: the official SDK's get_sign_content and
        // sign_with_rsa2 over the same parameters, with the same key.
        let vectors: Value =
            serde_json::from_str(include_str!("../../tests/vectors/alipay.json")).unwrap();
        let request = &vectors["request"];
        let params: Vec<(String, String)> = request["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        // An empty parameter is left out of the signed text.
        let mut params = params;
        params.push(("notify_url".into(), String::new()));
        let content = request_sign_content(&params);
        assert_eq!(content, request["sign_content"].as_str().unwrap());
        let key = RsaKeyPair::from_der(&super::super::key_der(MERCHANT_KEY).unwrap()).unwrap();
        // PKCS#1 v1.5 is deterministic: the same bytes as the SDK's signature.
        assert_eq!(
            sign(&key, content.as_bytes()).unwrap(),
            request["sign"].as_str().unwrap()
        );
        let public = super::super::key_der(MERCHANT_PUBLIC).unwrap();
        assert!(
            verify(
                &public,
                content.as_bytes(),
                request["sign"].as_str().unwrap()
            )
            .is_ok()
        );
        // sign_type is signed; an empty value is not (the SDK's client drops empties).
        assert!(content.contains("sign_type=RSA2"));
        assert!(!content.contains("notify_url="));
    }

    #[test]
    fn the_response_is_verified_over_its_exact_text() {
        let vectors: Value =
            serde_json::from_str(include_str!("../../tests/vectors/alipay.json")).unwrap();
        let response = vectors["response"]["body"].as_str().unwrap();
        let public = super::super::key_der(MERCHANT_PUBLIC).unwrap();
        let (content, sign) = split_response(response, "alipay_trade_query_response").unwrap();
        assert_eq!(content, vectors["response"]["signed"].as_str().unwrap());
        assert!(verify(&public, content.as_bytes(), sign).is_ok());
        // The same data re-serialised is not what was signed.
        let reserialised = serde_json::from_str::<Value>(content).unwrap().to_string();
        assert!(verify(&public, reserialised.as_bytes(), sign).is_err());
        // Braces and escaped quotes inside strings do not end the object.
        let tricky = r#"{"x_response" : {"a":"}\"{","b":{"c":"\\"}} , "sign":"S"}"#;
        let (content, sign) = split_response(tricky, "x_response").unwrap();
        assert_eq!(content, r#"{"a":"}\"{","b":{"c":"\\"}}"#);
        assert_eq!(sign, "S");
    }

    #[test]
    fn a_notice_is_verified_without_sign_type_over_its_decoded_bytes() {
        let vectors: Value =
            serde_json::from_str(include_str!("../../tests/vectors/alipay.json")).unwrap();
        let notice = &vectors["notice"];
        let body = notice["body"].as_str().unwrap().as_bytes();
        let pairs = form_pairs(body);
        assert_eq!(
            String::from_utf8(notice_sign_content(&pairs)).unwrap(),
            notice["sign_content"].as_str().unwrap()
        );
        let public = super::super::key_der(MERCHANT_PUBLIC).unwrap();
        let sign = pairs.iter().find(|(k, _)| k == b"sign").unwrap().1.clone();
        assert!(
            verify(
                &public,
                &notice_sign_content(&pairs),
                std::str::from_utf8(&sign).unwrap()
            )
            .is_ok()
        );
    }

    #[test]
    fn a_gbk_notice_is_verified_over_its_gbk_bytes() {
        // The SDK signed the content as GBK bytes; the form is percent-encoded in GBK.
        let vectors: Value =
            serde_json::from_str(include_str!("../../tests/vectors/alipay.json")).unwrap();
        let notice = &vectors["notice_gbk"];
        let body = notice["body"].as_str().unwrap().as_bytes();
        let pairs = form_pairs(body);
        let content = notice_sign_content(&pairs);
        assert_eq!(
            hex::encode(&content),
            notice["sign_content_gbk_hex"].as_str().unwrap()
        );
        assert!(
            String::from_utf8(content.clone()).is_err(),
            "the subject's bytes are GBK, left untouched"
        );
        let public = super::super::key_der(MERCHANT_PUBLIC).unwrap();
        let sign = pairs.iter().find(|(k, _)| k == b"sign").unwrap().1.clone();
        assert!(verify(&public, &content, std::str::from_utf8(&sign).unwrap()).is_ok());
        // Transcoded to UTF-8 first, it would not verify.
        let transcoded = String::from_utf8_lossy(&content).into_owned();
        assert!(
            verify(
                &public,
                transcoded.as_bytes(),
                std::str::from_utf8(&sign).unwrap()
            )
            .is_err()
        );
    }

    #[test]
    fn china_time_is_gmt_plus_eight() {
        assert_eq!(super::super::china_time(0), "1970-01-01 08:00:00");
        assert_eq!(
            super::super::china_time(1_793_000_000),
            "2026-10-26 15:33:20"
        );
    }
}
