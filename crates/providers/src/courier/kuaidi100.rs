//! kuaidi100's enterprise API (快递100企业版), as its documents define it:
//! - 电子面单下单, `POST https://api.kuaidi100.com/label/order`, form fields `method=order`,
//!   `key`, `t` (milliseconds), `param` (JSON) and `sign` = upper-case hex
//!   MD5(`param` + `t` + `key` + `secret`). The answer: `{"result": true, "returnCode":
//!   "200", "message": …, "data": {"kuaidinum": …, "kuaidicom": …, "taskId": …}}`.
//! - 实时快递查询, `POST https://poll.kuaidi100.com/poll/query.do`, form fields `customer`,
//!   `param` (JSON: `com`, `num`, `phone`, `resultv2`) and `sign` = upper-case hex
//!   MD5(`param` + `key` + `customer`). The answer: `{"message": "ok", "status": "200",
//!   "state": "0", "ischeck": "0", "com": …, "nu": …, "data": [{"time", "ftime", "context",
//!   "location"}]}` newest first, or `{"result": false, "returnCode": "500", "message":
//!   "查询无结果，请隔段时间再查"}` before the courier has a record of it.
//!
//! The signature is over the exact `param` text sent. The secret never leaves this value.

use std::sync::Arc;
use std::time::Duration;

use domain::time::Clock;
use futures_util::future::BoxFuture;
use md5::{Digest, Md5};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::sandbox::Kuaidi100Sandbox;
use super::{
    CourierError, CourierService, ParcelState, Tracking, TrackingEvent, Waybill, WaybillRequest,
};

/// Where kuaidi100 answers in production.
pub const LABEL_URL: &str = "https://api.kuaidi100.com/label/order";
pub const QUERY_URL: &str = "https://poll.kuaidi100.com/poll/query.do";

/// The two calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Label,
    Query,
}

/// The account's credentials (企业管理后台): `key` (授权 key), `customer` (the query
/// API's customer id), `secret`, and the courier account the waybills are drawn on
/// (`partner_id`, and `partner_key` where the courier wants one).
#[derive(Clone)]
pub struct Credentials {
    pub key: String,
    pub customer: String,
    pub secret: Zeroizing<String>,
    pub partner_id: String,
    pub partner_key: Option<Zeroizing<String>>,
}

enum Endpoint {
    Https {
        label_url: String,
        query_url: String,
        client: reqwest::Client,
    },
    Sandbox(Arc<Kuaidi100Sandbox>),
}

pub struct Kuaidi100 {
    credentials: Credentials,
    clock: Arc<dyn Clock>,
    endpoint: Endpoint,
}

/// Upper-case hex MD5, as kuaidi100 signs.
pub fn md5_upper(text: &str) -> String {
    hex::encode_upper(Md5::digest(text.as_bytes()))
}

/// The label API's signature.
pub fn label_sign(param: &str, t: &str, key: &str, secret: &str) -> String {
    md5_upper(&format!("{param}{t}{key}{secret}"))
}

/// The query API's signature.
pub fn query_sign(param: &str, key: &str, customer: &str) -> String {
    md5_upper(&format!("{param}{key}{customer}"))
}

impl Kuaidi100 {
    /// kuaidi100 itself (or another base for both URLs), over HTTPS.
    pub fn new(
        credentials: Credentials,
        label_url: &str,
        query_url: &str,
        clock: Arc<dyn Clock>,
        timeout: Duration,
    ) -> Result<Kuaidi100, String> {
        Ok(Kuaidi100 {
            credentials,
            clock,
            endpoint: Endpoint::Https {
                label_url: label_url.into(),
                query_url: query_url.into(),
                client: crate::http_client(timeout)?,
            },
        })
    }

    /// The same adapter talking to `sandbox` with the sandbox's credentials.
    pub fn sandboxed(sandbox: Arc<Kuaidi100Sandbox>, clock: Arc<dyn Clock>) -> Kuaidi100 {
        Kuaidi100 {
            credentials: Kuaidi100Sandbox::credentials(),
            clock,
            endpoint: Endpoint::Sandbox(sandbox),
        }
    }

    async fn post(&self, api: Api, fields: &[(&str, &str)]) -> Result<String, CourierError> {
        match &self.endpoint {
            Endpoint::Https {
                label_url,
                query_url,
                client,
            } => {
                let url = match api {
                    Api::Label => label_url,
                    Api::Query => query_url,
                };
                let answer = client
                    .post(url)
                    .form(fields)
                    .send()
                    .await
                    .map_err(|e| CourierError::Unavailable(e.without_url().to_string()))?;
                if answer.status().is_server_error() {
                    return Err(CourierError::Unavailable(format!(
                        "HTTP {}",
                        answer.status()
                    )));
                }
                answer
                    .text()
                    .await
                    .map_err(|e| CourierError::Unavailable(e.without_url().to_string()))
            }
            Endpoint::Sandbox(sandbox) => {
                let form: Vec<(String, String)> = fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                sandbox.answer(api, &form)
            }
        }
    }
}

#[derive(Deserialize)]
struct Refusal {
    #[serde(default)]
    result: Option<bool>,
    #[serde(default, rename = "returnCode")]
    return_code: Option<String>,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct LabelAnswer {
    result: bool,
    #[serde(default, rename = "returnCode")]
    return_code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<LabelData>,
}

#[derive(Deserialize)]
struct LabelData {
    kuaidinum: String,
}

#[derive(Deserialize)]
struct QueryAnswer {
    state: String,
    #[serde(default)]
    data: Vec<QueryEvent>,
}

#[derive(Deserialize)]
struct QueryEvent {
    #[serde(default)]
    ftime: String,
    time: String,
    context: String,
    #[serde(default)]
    location: String,
}

fn unreadable(what: &str, e: impl std::fmt::Display) -> CourierError {
    CourierError::Unavailable(format!("an answer to {what} that cannot be read: {e}"))
}

/// A refusal, or the platform's own trouble (5xx codes) to ask again about.
fn refused(return_code: &str, message: String) -> CourierError {
    if return_code.starts_with('5') && return_code != "500" {
        CourierError::Unavailable(message)
    } else {
        CourierError::Refused(message)
    }
}

/// kuaidi100's `yyyy-MM-dd HH:mm:ss`, Beijing time.
fn beijing_seconds(text: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(|t| t.assume_offset(time::macros::offset!(+8)).unix_timestamp())
}

impl CourierService for Kuaidi100 {
    fn name(&self) -> &'static str {
        match self.endpoint {
            Endpoint::Https { .. } => "kuaidi100",
            Endpoint::Sandbox(_) => "kuaidi100-sandbox",
        }
    }

    fn create_waybill<'a>(
        &'a self,
        request: &'a WaybillRequest,
    ) -> BoxFuture<'a, Result<Waybill, CourierError>> {
        Box::pin(async move {
            let com = domain::courier::kuaidi100_code(&request.courier).ok_or_else(|| {
                CourierError::Refused(format!(
                    "kuaidi100 does not know courier {}",
                    request.courier
                ))
            })?;
            let man = |p: &super::Party| serde_json::json!({"name": p.name, "mobile": p.mobile, "printAddr": p.address});
            let mut param = serde_json::json!({
                "printType": "NON",
                "partnerId": self.credentials.partner_id,
                "kuaidicom": com,
                "recMan": man(&request.recipient),
                "sendMan": man(&request.sender),
                "cargo": request.cargo,
                "count": request.count,
                "orderId": request.order_no,
                "payType": "SHIPPER",
            });
            if let Some(partner_key) = &self.credentials.partner_key {
                param["partnerKey"] = serde_json::json!(partner_key.as_str());
            }
            let param = param.to_string();
            let t = (self.clock.now().seconds() * 1000).to_string();
            let sign = label_sign(&param, &t, &self.credentials.key, &self.credentials.secret);
            let body = self
                .post(
                    Api::Label,
                    &[
                        ("method", "order"),
                        ("key", &self.credentials.key),
                        ("sign", &sign),
                        ("t", &t),
                        ("param", &param),
                    ],
                )
                .await?;
            let answer: LabelAnswer =
                serde_json::from_str(&body).map_err(|e| unreadable("label/order", e))?;
            if !answer.result {
                return Err(refused(&answer.return_code, answer.message));
            }
            let number = answer
                .data
                .map(|d| d.kuaidinum)
                .ok_or_else(|| unreadable("label/order", "no kuaidinum"))?;
            let tracking_no =
                domain::courier::tracking_number(&request.courier, &number).map_err(|_| {
                    unreadable("label/order", format!("{number} is not a number of {com}"))
                })?;
            Ok(Waybill { tracking_no })
        })
    }

    fn track<'a>(
        &'a self,
        courier: &'a str,
        tracking_no: &'a str,
        phone: &'a str,
    ) -> BoxFuture<'a, Result<Tracking, CourierError>> {
        Box::pin(async move {
            let com = domain::courier::kuaidi100_code(courier).ok_or_else(|| {
                CourierError::Refused(format!("kuaidi100 does not know courier {courier}"))
            })?;
            let param = serde_json::json!({
                "com": com, "num": tracking_no, "phone": phone, "resultv2": "1",
            })
            .to_string();
            let sign = query_sign(&param, &self.credentials.key, &self.credentials.customer);
            let body = self
                .post(
                    Api::Query,
                    &[
                        ("customer", &self.credentials.customer),
                        ("sign", &sign),
                        ("param", &param),
                    ],
                )
                .await?;
            // A refusal has `result: false`; an answer has `state` and `data`.
            if let Ok(refusal) = serde_json::from_str::<Refusal>(&body)
                && refusal.result == Some(false)
            {
                if refusal.message.contains("查询无结果") {
                    return Ok(Tracking {
                        state: ParcelState::Waiting,
                        events: Vec::new(),
                    });
                }
                return Err(refused(
                    refusal.return_code.as_deref().unwrap_or(""),
                    refusal.message,
                ));
            }
            let answer: QueryAnswer =
                serde_json::from_str(&body).map_err(|e| unreadable("poll/query.do", e))?;
            let mut events = Vec::with_capacity(answer.data.len());
            for event in answer.data {
                let when = if event.ftime.is_empty() {
                    &event.time
                } else {
                    &event.ftime
                };
                let at = beijing_seconds(when)
                    .ok_or_else(|| unreadable("poll/query.do", format!("time {when:?}")))?;
                events.push(TrackingEvent {
                    at,
                    context: event.context,
                    location: event.location,
                });
            }
            events.sort_by_key(|e| std::cmp::Reverse(e.at));
            Ok(Tracking {
                state: ParcelState::from_code(&answer.state),
                events,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_upper_case_md5_of_the_fields_in_kuaidi100s_order() {
        // MD5("abc") is the RFC 1321 test vector.
        assert_eq!(md5_upper("abc"), "900150983CD24FB0D6963F7D28E17F72");
        assert_eq!(
            query_sign("{\"com\":\"ems\"}", "k", "c"),
            md5_upper("{\"com\":\"ems\"}kc")
        );
        assert_eq!(label_sign("p", "1", "k", "s"), md5_upper("p1ks"));
    }

    #[test]
    fn beijing_times_are_read_as_utc_plus_eight() {
        // 2026-11-02 10:00:00 in Beijing is 02:00 UTC.
        assert_eq!(beijing_seconds("2026-11-02 10:00:00"), Some(1_793_584_800));
        assert_eq!(beijing_seconds("02/11/2026"), None);
    }
}
