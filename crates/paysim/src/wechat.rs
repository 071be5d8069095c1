//! The WeChat Pay APIv3 face of the simulator (Native payment, public-key mode): its own
//! "WeChat Pay" key and key id, an APIv3 key, the merchants' API keys by mchid and serial.
//! It checks every request's `Authorization` (the merchant, the serial, a timestamp within
//! five minutes, SHA256withRSA over `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`) and answers a
//! bad one `401 SIGN_ERROR`; signs every answer in the `Wechatpay-*` headers over
//! `TIMESTAMP\nNONCE\nBODY\n`; sends notices whose resource is AES-256-GCM under the APIv3
//! key, signed again at every delivery, on WeChat's schedule (15s, 15s, 30s, 3m, 10m, 20m,
//! 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h) divided by the time scale, until answered 200 or
//! 204. Refunds are idempotent on `out_refund_no`; after
//! [`Simulator::wechat_refunds_settle_later`] they answer `PROCESSING` until the test ends
//! them (`SUCCESS`, `ABNORMAL`, `CLOSED`), which sends the `REFUND.*` notice (resource
//! `refund`) to the refund's `notify_url`; `GET /v3/refund/domestic/refunds/{no}` answers
//! how one stands. Its code is its own: nothing is shared with CertHall's adapter.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::{Delivery, NoticeFault, Simulator};

/// WeChat's notice schedule after the first delivery, in seconds.
pub const WECHAT_RETRIES: [u64; 15] = [
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State_ {
    NotPay,
    Success,
    Closed,
}

#[derive(Debug, Clone)]
struct Transaction {
    appid: String,
    mchid: String,
    total: u64,
    notify_url: String,
    state: State_,
    transaction_id: String,
    /// What the refunds take of the payment (settled or in progress; a closed one gives
    /// its amount back).
    refunded: u64,
    /// out_refund_no → the refund.
    refunds: BTreeMap<String, Refund>,
}

/// How a refund ends when it is not settled at once (see [`Simulator::settle_wechat_refund`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundEnd {
    /// `SUCCESS`: the money reached the buyer.
    Success,
    /// `ABNORMAL`: the buyer's card or account could not take it (closed, frozen).
    Abnormal,
    /// `CLOSED`: the refund was closed; its amount may be refunded again.
    Closed,
}

#[derive(Debug, Clone)]
struct Refund {
    amount: u64,
    /// `PROCESSING`, `SUCCESS`, `ABNORMAL` or `CLOSED`.
    status: &'static str,
    refund_id: String,
    notify_url: String,
}

pub(crate) struct WechatState {
    key: RsaKeyPair,
    key_id: String,
    apiv3: String,
    /// mchid → (serial, the merchant's public key).
    merchants: BTreeMap<String, (String, Vec<u8>)>,
    transactions: BTreeMap<String, Transaction>,
    next: u64,
    /// Refunds answer `PROCESSING` and wait for [`Simulator::settle_wechat_refund`].
    settle_later: bool,
}

impl WechatState {
    pub(crate) fn new() -> std::io::Result<WechatState> {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).map_err(std::io::Error::other)?;
        let mut apiv3 = [0u8; 16];
        aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut apiv3)
            .map_err(|_| std::io::Error::other("no randomness"))?;
        Ok(WechatState {
            key,
            key_id: "PUB_KEY_ID_0000000000000000000000000001".into(),
            // 32 ASCII characters, as the merchant console makes them.
            apiv3: apiv3.iter().map(|b| format!("{b:02x}")).collect(),
            merchants: BTreeMap::new(),
            transactions: BTreeMap::new(),
            next: 1,
            settle_later: false,
        })
    }
}

/// The `k="v"` fields of an `Authorization` header after its scheme.
fn auth_fields(header: &str) -> Option<BTreeMap<String, String>> {
    let rest = header.strip_prefix("WECHATPAY2-SHA256-RSA2048 ")?;
    Some(
        rest.split(',')
            .filter_map(|part| {
                let (k, v) = part.split_once('=')?;
                Some((k.trim().to_string(), v.trim().trim_matches('"').to_string()))
            })
            .collect(),
    )
}

impl Simulator {
    /// A new merchant API key pair for `mchid` with certificate serial `serial`: the
    /// public half registered here, the private half returned (PKCS#8 PEM).
    pub fn new_wechat_merchant(&self, mchid: &str, serial: &str) -> std::io::Result<String> {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).map_err(std::io::Error::other)?;
        self.wechat
            .lock()
            .expect("simulator state")
            .merchants
            .insert(
                mchid.to_string(),
                (serial.to_string(), key.public_key().as_ref().to_vec()),
            );
        crate::private_pem(&key)
    }

    /// The WeChat Pay public key (PEM), its id, and the APIv3 key.
    pub fn wechat_keys(&self) -> (String, String, String) {
        let state = self.wechat.lock().expect("simulator state");
        (
            crate::spki_pem(state.key.public_key().as_ref()),
            state.key_id.clone(),
            state.apiv3.clone(),
        )
    }

    /// Whether `out_trade_no` is a WeChat transaction here.
    pub(crate) fn is_wechat(&self, out_trade_no: &str) -> bool {
        self.wechat
            .lock()
            .expect("simulator state")
            .transactions
            .contains_key(out_trade_no)
    }

    /// The buyer pays WeChat transaction `out_trade_no`.
    pub(crate) fn pay_wechat(&self, out_trade_no: &str, fault: NoticeFault) -> bool {
        let transaction = {
            let mut state = self.wechat.lock().expect("simulator state");
            let number = state.next;
            let Some(t) = state.transactions.get_mut(out_trade_no) else {
                return false;
            };
            if t.state != State_::NotPay {
                return false;
            }
            t.state = State_::Success;
            t.transaction_id = format!("4200{number:024}");
            if fault == NoticeFault::WrongAmount {
                // The buyer paid another amount: the query and refunds see it too.
                t.total += 1;
            }
            let t = t.clone();
            state.next += 1;
            t
        };
        let simulator = self.clone();
        let out_trade_no = out_trade_no.to_string();
        tokio::spawn(async move {
            simulator
                .notify_wechat(out_trade_no, transaction, fault)
                .await
        });
        true
    }

    async fn notify_wechat(&self, out_trade_no: String, t: Transaction, fault: NoticeFault) {
        let total = t.total;
        let plain = serde_json::json!({
            "appid": t.appid, "mchid": t.mchid, "out_trade_no": out_trade_no,
            "transaction_id": t.transaction_id, "trade_type": "NATIVE", "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": "",
            "success_time": "2026-11-02T10:04:59+08:00", "payer": {"openid": "oSim0000000000000000000001"},
            "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"},
        });
        let notice = Notice {
            out_trade_no: &out_trade_no,
            url: &t.notify_url,
            event_type: "TRANSACTION.SUCCESS",
            summary: "支付成功",
            original_type: "transaction",
        };
        self.send_wechat_notice(notice, &out_trade_no, plain, fault)
            .await
    }

    /// Sends notice `notice` of `resource` (encrypted under the APIv3 key with a nonce of
    /// its own, `unique` naming it) until answered, on WeChat's schedule.
    async fn send_wechat_notice(
        &self,
        notice: Notice<'_>,
        unique: &str,
        resource: serde_json::Value,
        fault: NoticeFault,
    ) {
        if fault == NoticeFault::Drop {
            return;
        }
        let apiv3 = self.wechat.lock().expect("simulator state").apiv3.clone();
        let nonce: String = format!(
            "{:012x}",
            crate::hash(unique.as_bytes()) as u64 & 0xffff_ffff_ffff
        );
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, apiv3.as_bytes()).expect("a 32-byte key"),
        );
        let mut data = resource.to_string().into_bytes();
        key.seal_in_place_append_tag(
            Nonce::try_assume_unique_for_key(nonce.as_bytes()).expect("12 bytes"),
            Aad::from(notice.original_type.as_bytes()),
            &mut data,
        )
        .expect("seal");
        let envelope = serde_json::json!({
            "id": format!("sim-{:032x}", crate::hash(unique.as_bytes())),
            "create_time": "2026-11-02T10:05:00+08:00", "resource_type": "encrypt-resource",
            "event_type": notice.event_type, "summary": notice.summary,
            "resource": {
                "original_type": notice.original_type, "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64::engine::general_purpose::STANDARD.encode(&data),
                "associated_data": notice.original_type, "nonce": nonce,
            },
        })
        .to_string();
        let (out_trade_no, url) = (notice.out_trade_no, notice.url);
        let bad = fault == NoticeFault::BadSignature;
        if fault == NoticeFault::Late {
            // Lost on the way: only the resends below arrive.
        } else if fault == NoticeFault::Twice {
            let (a, b) = tokio::join!(
                self.deliver_wechat(out_trade_no, url, &envelope, 1, bad),
                self.deliver_wechat(out_trade_no, url, &envelope, 1, bad)
            );
            if a || b {
                return;
            }
        } else if self
            .deliver_wechat(out_trade_no, url, &envelope, 1, bad)
            .await
        {
            return;
        }
        for (i, seconds) in WECHAT_RETRIES.iter().enumerate() {
            tokio::time::sleep(Duration::from_secs_f64(*seconds as f64 / self.time_scale)).await;
            if self
                .deliver_wechat(out_trade_no, url, &envelope, i + 2, bad)
                .await
            {
                return;
            }
        }
    }

    /// From now on, refunds answer `PROCESSING` (`true`) and wait for
    /// [`Simulator::settle_wechat_refund`]; or are settled at once (`false`, the default).
    pub fn wechat_refunds_settle_later(&self, later: bool) {
        self.wechat.lock().expect("simulator state").settle_later = later;
    }

    /// Ends refund `out_refund_no`, still `PROCESSING`, as `end`, and sends its
    /// `REFUND.*` notice to the refund's `notify_url` with `fault` (none given, or
    /// [`NoticeFault::Drop`]: no notice; the merchant must query). False when there is no
    /// such refund in progress.
    pub fn settle_wechat_refund(
        &self,
        out_refund_no: &str,
        end: RefundEnd,
        fault: NoticeFault,
    ) -> bool {
        let settled = {
            let mut state = self.wechat.lock().expect("simulator state");
            state.transactions.iter_mut().find_map(|(no, t)| {
                let refund = t.refunds.get_mut(out_refund_no)?;
                if refund.status != "PROCESSING" {
                    return None;
                }
                refund.status = match end {
                    RefundEnd::Success => "SUCCESS",
                    RefundEnd::Abnormal => "ABNORMAL",
                    RefundEnd::Closed => "CLOSED",
                };
                let refund = refund.clone();
                if end == RefundEnd::Closed {
                    t.refunded -= refund.amount;
                }
                Some((no.clone(), t.clone(), refund))
            })
        };
        let Some((out_trade_no, t, refund)) = settled else {
            return false;
        };
        if refund.notify_url.is_empty() {
            return true;
        }
        let simulator = self.clone();
        let out_refund_no = out_refund_no.to_string();
        tokio::spawn(async move {
            let resource = refund_resource(&out_trade_no, &out_refund_no, &t, &refund);
            let event_type = format!("REFUND.{}", refund.status);
            let notice = Notice {
                out_trade_no: &out_trade_no,
                url: &refund.notify_url,
                event_type: &event_type,
                summary: match end {
                    RefundEnd::Success => "退款成功",
                    RefundEnd::Abnormal => "退款异常",
                    RefundEnd::Closed => "退款关闭",
                },
                original_type: "refund",
            };
            let unique = format!("{out_refund_no}/{event_type}");
            simulator
                .send_wechat_notice(notice, &unique, resource, fault)
                .await
        });
        true
    }

    /// One delivery, signed afresh (its own timestamp and nonce).
    async fn deliver_wechat(
        &self,
        out_trade_no: &str,
        url: &str,
        body: &str,
        attempt: usize,
        bad: bool,
    ) -> bool {
        let (timestamp, nonce, signature, serial) = self.signed(body.as_bytes(), bad);
        let answer = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("wechatpay-timestamp", timestamp)
            .header("wechatpay-nonce", nonce)
            .header("wechatpay-signature", signature)
            .header("wechatpay-serial", serial)
            .header("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048")
            .body(body.to_string())
            .send()
            .await;
        let (status, text) = match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.text().await.unwrap_or_default())
            }
            Err(e) => (0, e.to_string()),
        };
        self.inner
            .lock()
            .expect("simulator state")
            .deliveries
            .push(Delivery {
                out_trade_no: out_trade_no.to_string(),
                attempt,
                status,
                answer: text,
            });
        status == 200 || status == 204
    }

    /// The `Wechatpay-*` values for `body` now: timestamp, nonce, signature, serial.
    fn signed(&self, body: &[u8], bad: bool) -> (String, String, String, String) {
        let timestamp = self.now().to_string();
        let mut nonce = [0u8; 8];
        let _ =
            aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut nonce);
        let nonce: String = nonce.iter().map(|b| format!("{b:02X}")).collect();
        let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
        message.extend_from_slice(body);
        message.push(b'\n');
        let state = self.wechat.lock().expect("simulator state");
        let signature = if bad {
            crate::rsa2(
                &self.inner.lock().expect("simulator state").other_key,
                &message,
            )
        } else {
            crate::rsa2(&state.key, &message)
        };
        (timestamp, nonce, signature, state.key_id.clone())
    }

    fn wechat_answer(&self, status: StatusCode, body: String) -> Response {
        {
            let mut inner = self.inner.lock().expect("simulator state");
            if inner.lose_answers > 0 {
                // The work is done; the answer is lost on the way.
                inner.lose_answers -= 1;
                return StatusCode::GATEWAY_TIMEOUT.into_response();
            }
        }
        let (timestamp, nonce, signature, serial) = self.signed(body.as_bytes(), false);
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        for (name, value) in [
            ("wechatpay-timestamp", timestamp),
            ("wechatpay-nonce", nonce),
            ("wechatpay-signature", signature),
            ("wechatpay-serial", serial),
            ("content-type", "application/json".to_string()),
        ] {
            if let Ok(value) = value.parse() {
                headers.insert(name, value);
            }
        }
        response
    }

    /// The merchant a request comes from, or the 401 WeChat answers.
    fn authenticate(
        &self,
        method: &Method,
        uri: &axum::http::Uri,
        headers: &HeaderMap,
        body: &str,
    ) -> Result<String, Box<Response>> {
        let fail = |message: String| {
            self.inner.lock().expect("simulator state").refused += 1;
            Err(Box::new(
                self.wechat_answer(
                    StatusCode::UNAUTHORIZED,
                    serde_json::json!({"code": "SIGN_ERROR", "message": "签名错误",
                    "detail": {"truncated_sign_message": message}})
                    .to_string(),
                ),
            ))
        };
        let header = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let Some(fields) = auth_fields(header) else {
            return fail(String::new());
        };
        let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
        let (mchid, serial, timestamp, nonce) = (
            get("mchid"),
            get("serial_no"),
            get("timestamp"),
            get("nonce_str"),
        );
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
        let message = format!("{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n");
        let registered = self
            .wechat
            .lock()
            .expect("simulator state")
            .merchants
            .get(&mchid)
            .cloned();
        let Some((known_serial, key)) = registered else {
            return fail(message);
        };
        let fresh = timestamp
            .parse::<i64>()
            .is_ok_and(|t| (self.now() - t).abs() < 300);
        let signature = base64::engine::general_purpose::STANDARD
            .decode(get("signature"))
            .unwrap_or_default();
        let verified = UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &key)
            .verify(message.as_bytes(), &signature)
            .is_ok();
        if serial != known_serial || !fresh || !verified {
            return fail(message);
        }
        Ok(mchid)
    }
}

/// Where a notice goes and what it says it is.
struct Notice<'a> {
    out_trade_no: &'a str,
    url: &'a str,
    event_type: &'a str,
    summary: &'a str,
    original_type: &'a str,
}

/// A refund as WeChat Pay writes it in its answers and its `REFUND.*` notices' resource.
fn refund_resource(
    out_trade_no: &str,
    out_refund_no: &str,
    t: &Transaction,
    refund: &Refund,
) -> serde_json::Value {
    let mut json = serde_json::json!({
        "mchid": t.mchid, "out_trade_no": out_trade_no, "transaction_id": t.transaction_id,
        "out_refund_no": out_refund_no, "refund_id": refund.refund_id,
        "refund_status": refund.status, "status": refund.status, "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "amount": {"total": t.total, "refund": refund.amount, "payer_total": t.total,
            "payer_refund": refund.amount, "currency": "CNY"},
    });
    if refund.status == "SUCCESS" {
        json["success_time"] = "2026-11-02T10:30:00+08:00".into();
    }
    json
}

fn error(code: &str, message: &str) -> String {
    serde_json::json!({"code": code, "message": message}).to_string()
}

pub(crate) async fn native(
    State(sim): State<Simulator>,
    uri: axum::http::Uri,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    let mchid = match sim.authenticate(&method, &uri, &headers, &body) {
        Ok(mchid) => mchid,
        Err(answer) => return *answer,
    };
    let request: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let out_trade_no = request["out_trade_no"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let total = request["amount"]["total"].as_u64().unwrap_or(0);
    if request["mchid"].as_str() != Some(&mchid) || total == 0 || out_trade_no.is_empty() {
        return sim.wechat_answer(StatusCode::BAD_REQUEST, error("PARAM_ERROR", "参数错误"));
    }
    let mut state = sim.wechat.lock().expect("simulator state");
    match state.transactions.get(&out_trade_no) {
        Some(t) if t.total != total => {
            drop(state);
            sim.wechat_answer(
                StatusCode::BAD_REQUEST,
                error("INVALID_REQUEST", "201 商户订单号重复"),
            )
        }
        Some(t) if t.state != State_::NotPay => {
            drop(state);
            sim.wechat_answer(StatusCode::BAD_REQUEST, error("ORDERPAID", "订单已支付"))
        }
        _ => {
            state.transactions.insert(
                out_trade_no.clone(),
                Transaction {
                    appid: request["appid"].as_str().unwrap_or_default().to_string(),
                    mchid,
                    total,
                    notify_url: request["notify_url"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    state: State_::NotPay,
                    transaction_id: String::new(),
                    refunded: 0,
                    refunds: BTreeMap::new(),
                },
            );
            drop(state);
            let code_url = format!("{}/wechat/qr/{out_trade_no}", sim.base);
            sim.wechat_answer(
                StatusCode::OK,
                serde_json::json!({"code_url": code_url}).to_string(),
            )
        }
    }
}

pub(crate) async fn query(
    State(sim): State<Simulator>,
    uri: axum::http::Uri,
    method: Method,
    headers: HeaderMap,
    Path(out_trade_no): Path<String>,
) -> Response {
    if let Err(answer) = sim.authenticate(&method, &uri, &headers, "") {
        return *answer;
    }
    let found = sim
        .wechat
        .lock()
        .expect("simulator state")
        .transactions
        .get(&out_trade_no)
        .cloned();
    match found {
        None => sim.wechat_answer(
            StatusCode::NOT_FOUND,
            error("ORDER_NOT_EXIST", "订单不存在"),
        ),
        Some(t) => {
            let state = match (t.state, t.refunded > 0) {
                (State_::Success, false) => "SUCCESS",
                (State_::Success, true) => "REFUND",
                (State_::NotPay, _) => "NOTPAY",
                (State_::Closed, true) => "REFUND",
                (State_::Closed, false) => "CLOSED",
            };
            sim.wechat_answer(
                StatusCode::OK,
                serde_json::json!({"appid": t.appid, "mchid": t.mchid, "out_trade_no": out_trade_no,
                    "transaction_id": t.transaction_id, "trade_state": state,
                    "amount": {"total": t.total, "currency": "CNY"}})
                .to_string(),
            )
        }
    }
}

pub(crate) async fn close(
    State(sim): State<Simulator>,
    uri: axum::http::Uri,
    method: Method,
    headers: HeaderMap,
    Path(out_trade_no): Path<String>,
    body: Bytes,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    if let Err(answer) = sim.authenticate(&method, &uri, &headers, &body) {
        return *answer;
    }
    let mut state = sim.wechat.lock().expect("simulator state");
    let outcome = match state.transactions.get_mut(&out_trade_no) {
        None => Err((
            StatusCode::NOT_FOUND,
            error("ORDER_NOT_EXIST", "订单不存在"),
        )),
        Some(t) if t.state == State_::Success => {
            Err((StatusCode::BAD_REQUEST, error("ORDERPAID", "订单已支付")))
        }
        Some(t) => {
            t.state = State_::Closed;
            Ok(())
        }
    };
    drop(state);
    match outcome {
        // Closed: 204 without a body, signed over the empty body.
        Ok(()) => sim.wechat_answer(StatusCode::NO_CONTENT, String::new()),
        Err((status, body)) => sim.wechat_answer(status, body),
    }
}

pub(crate) async fn refund(
    State(sim): State<Simulator>,
    uri: axum::http::Uri,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    if let Err(answer) = sim.authenticate(&method, &uri, &headers, &body) {
        return *answer;
    }
    let request: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let out_trade_no = request["out_trade_no"].as_str().unwrap_or_default();
    let out_refund_no = request["out_refund_no"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let amount = request["amount"]["refund"].as_u64().unwrap_or(0);
    let notify_url = request["notify_url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut state = sim.wechat.lock().expect("simulator state");
    let settle_later = state.settle_later;
    let number = state.next;
    let answer = match state.transactions.get_mut(out_trade_no) {
        Some(t) if t.state != State_::NotPay && !t.transaction_id.is_empty() => {
            if let Some(done) = t.refunds.get(&out_refund_no) {
                // 同一退款单号多次请求只退一笔: the refund as it stands.
                Ok(refund_resource(out_trade_no, &out_refund_no, t, done))
            } else if amount == 0 || t.refunded + amount > t.total {
                Err((
                    StatusCode::FORBIDDEN,
                    error("NOT_ENOUGH", "退款金额超过可退金额"),
                ))
            } else {
                t.refunded += amount;
                let refund = Refund {
                    amount,
                    status: if settle_later {
                        "PROCESSING"
                    } else {
                        "SUCCESS"
                    },
                    refund_id: format!("5030{number:025}"),
                    notify_url,
                };
                t.refunds.insert(out_refund_no.clone(), refund.clone());
                if t.refunded == t.total {
                    t.state = State_::Closed;
                }
                Ok(refund_resource(out_trade_no, &out_refund_no, t, &refund))
            }
        }
        _ => Err((
            StatusCode::NOT_FOUND,
            error("RESOURCE_NOT_EXISTS", "订单不存在"),
        )),
    };
    if answer.is_ok() {
        state.next += 1;
    }
    drop(state);
    match answer {
        Ok(json) => sim.wechat_answer(StatusCode::OK, json.to_string()),
        Err((status, body)) => sim.wechat_answer(status, body),
    }
}

/// `GET /v3/refund/domestic/refunds/{out_refund_no}`: how a refund stands.
pub(crate) async fn query_refund(
    State(sim): State<Simulator>,
    uri: axum::http::Uri,
    method: Method,
    headers: HeaderMap,
    Path(out_refund_no): Path<String>,
) -> Response {
    if let Err(answer) = sim.authenticate(&method, &uri, &headers, "") {
        return *answer;
    }
    let found = sim
        .wechat
        .lock()
        .expect("simulator state")
        .transactions
        .iter()
        .find_map(|(no, t)| {
            let refund = t.refunds.get(&out_refund_no)?;
            Some(refund_resource(no, &out_refund_no, t, refund))
        });
    match found {
        Some(json) => sim.wechat_answer(StatusCode::OK, json.to_string()),
        None => sim.wechat_answer(
            StatusCode::NOT_FOUND,
            error("RESOURCE_NOT_EXISTS", "退款单不存在"),
        ),
    }
}

/// What the buyer's WeChat shows after scanning a Native code: the transaction, and a
/// button that pays it.
pub(crate) async fn qr_page(
    State(sim): State<Simulator>,
    Path(out_trade_no): Path<String>,
) -> Response {
    let found = sim
        .wechat
        .lock()
        .expect("simulator state")
        .transactions
        .get(&out_trade_no)
        .map(|t| (t.total, t.state));
    match found {
        Some((total, State_::NotPay)) => axum::response::Html(format!(
            "<!doctype html><html lang=zh-CN><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>微信支付（模拟）</title>\
             <main><h1>微信支付（模拟器）</h1><p>商户订单号 {}</p><p>金额 <strong>¥{}.{:02}</strong></p>\
             <form method=post action=\"/_sim/wechat/{}/pay\"><button type=submit>确认支付</button></form></main></html>",
            crate::escape(&out_trade_no),
            total / 100,
            total % 100,
            crate::escape(&out_trade_no)
        ))
        .into_response(),
        Some(_) => (StatusCode::CONFLICT, "该订单已支付或已关闭").into_response(),
        None => (StatusCode::NOT_FOUND, "no such transaction").into_response(),
    }
}

/// The shared state, for `Simulator::start`.
pub(crate) fn state() -> std::io::Result<Arc<Mutex<WechatState>>> {
    Ok(Arc::new(Mutex::new(WechatState::new()?)))
}
