//! A payment-provider simulator, for CertHall's tests and demos: an HTTP server on
//! 127.0.0.1 that speaks Alipay's OpenAPI gateway protocol the way Alipay does, so that the
//! real adapter (`providers::payment::alipay`) is pointed at it by its gateway URL and no
//! production code path is bypassed. Its WeChat Pay APIv3 face is in `wechat.rs`;
//! there refunds can also be settled later (`PROCESSING`, then `SUCCESS`, `ABNORMAL` or
//! `CLOSED` with a `REFUND.*` notice, [`Simulator::settle_wechat_refund`]).
//!
//! What makes it faithful, and what a test can make it do:
//! - It holds its own "Alipay" RSA key, and the merchants' public keys: a request whose
//!   signature does not verify (its own canonical text: every parameter but `sign` and
//!   empty ones, sorted) is refused as Alipay refuses it, unsigned.
//! - `precreate` makes a trade that does not exist for `query` and `close` until the buyer
//!   scans it (`ACQ.TRADE_NOT_EXIST`), as on Alipay; the same `out_trade_no` with other
//!   data is `ACQ.CONTEXT_INCONSISTENT`. Refunds are idempotent on `out_request_no` (again:
//!   `fund_change=N`), never more than was paid, a full refund closes the trade.
//! - Answers are signed over the exact `*_response` text, written with the gateway's odd
//!   spacing so that a client that re-serialises fails to verify.
//! - Notices are form POSTs signed without `sign_type`, sent again on Alipay's schedule
//!   (4m, 10m, 10m, 1h, 2h, 6h, 15h) divided by `time_scale`, until the answer is exactly
//!   `success`. Faults per payment: drop the notice, send it twice at once, sign it with
//!   another key, or report another amount in a validly signed notice.
//! - `/_sim/…` is the control API (scan, pay, the delivery log), and `/alipay/qr/{no}` the
//!   page a tester opens from the QR code to "scan and pay".
//!
//! It shares no code with the adapters: both are pinned to the official SDK's vectors.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Alipay's notice schedule after the first delivery, in seconds.
pub const ALIPAY_RETRIES: [u64; 7] = [240, 600, 600, 3600, 7200, 21600, 54000];

/// What a test asks of the notices of one payment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeFault {
    /// Delivered and resent until answered `success`.
    #[default]
    None,
    /// Never sent (the merchant must query).
    Drop,
    /// Delayed: the first delivery is lost on the way, so the notice arrives only with the
    /// provider's first resend (Alipay: 4 minutes, WeChat Pay: 15 seconds, divided by the
    /// time scale), after a query may have settled the payment.
    Late,
    /// Sent twice at the same moment.
    Twice,
    /// Signed with a key that is not Alipay's.
    BadSignature,
    /// The buyer paid a fen more than the trade asked (the notice, the query and the
    /// refunds all say so): the merchant must not take it as the order's payment.
    WrongAmount,
}

/// How a hand-made notice differs from Alipay's own
/// ([`Simulator::send_changed_notice`]).
#[derive(Debug, Clone, Default)]
pub struct NoticeChange {
    /// Fields set before signing: a validly signed notice that says something else.
    pub signed: Vec<(&'static str, String)>,
    /// Fields set after signing: a tampered notice.
    pub tampered: Vec<(&'static str, String)>,
}

/// One notice delivery, as the log keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub out_trade_no: String,
    pub attempt: usize,
    /// The HTTP status the merchant answered (0: no answer).
    pub status: u16,
    pub answer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TradeStatus {
    /// Precreated; Alipay does not know it until the buyer scans.
    Created,
    WaitBuyerPay,
    Success,
    Closed,
}

#[derive(Debug, Clone)]
struct Trade {
    app_id: String,
    amount: String,
    subject: String,
    notify_url: String,
    status: TradeStatus,
    trade_no: String,
    refunded_fen: u64,
    /// out_request_no → refunded fen.
    refunds: BTreeMap<String, u64>,
}

struct Inner {
    alipay_key: RsaKeyPair,
    /// A key that is not Alipay's, for badly signed notices.
    other_key: RsaKeyPair,
    merchants: BTreeMap<String, Vec<u8>>,
    trades: BTreeMap<String, Trade>,
    deliveries: Vec<Delivery>,
    next_trade: u64,
    /// Requests refused for their signature.
    refused: usize,
    /// The next so many gateway answers are lost after the work is done (the merchant
    /// sees a gateway timeout, as when the network drops the answer).
    lose_answers: usize,
}

mod wechat;
pub use wechat::RefundEnd;

/// The simulator's clock: Unix seconds (a test gives its own, so that signed timestamps
/// agree with the merchant's clock).
pub type Now = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The simulator, running.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Mutex<Inner>>,
    wechat: Arc<Mutex<wechat::WechatState>>,
    base: String,
    time_scale: f64,
    client: reqwest::Client,
    now: Arc<Mutex<Now>>,
}

impl Simulator {
    /// Starts on 127.0.0.1 (`port` 0: any free port). `time_scale` divides the notice
    /// schedule (1.0 for real time; 100_000.0 runs Alipay's 25 hours in about a second).
    pub async fn start(port: u16, time_scale: f64) -> std::io::Result<Simulator> {
        let system: Now = Arc::new(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default()
        });
        Self::start_with_clock(port, time_scale, system).await
    }

    /// [`Simulator::start`] with the simulator's clock given.
    pub async fn start_with_clock(
        port: u16,
        time_scale: f64,
        now: Now,
    ) -> std::io::Result<Simulator> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let generate = || RsaKeyPair::generate(KeySize::Rsa2048).map_err(std::io::Error::other);
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let simulator = Simulator {
            inner: Arc::new(Mutex::new(Inner {
                alipay_key: generate()?,
                other_key: generate()?,
                merchants: BTreeMap::new(),
                trades: BTreeMap::new(),
                deliveries: Vec::new(),
                next_trade: 1,
                refused: 0,
                lose_answers: 0,
            })),
            wechat: wechat::state()?,
            now: Arc::new(Mutex::new(now)),
            base,
            time_scale,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(std::io::Error::other)?,
        };
        let router = Router::new()
            .route("/alipay/gateway.do", post(gateway))
            .route("/alipay/qr/{out_trade_no}", get(qr_page))
            .route("/_sim/alipay/{out_trade_no}/scan", post(scan))
            .route("/_sim/alipay/{out_trade_no}/pay", post(pay))
            .route("/wechat/qr/{out_trade_no}", get(wechat::qr_page))
            .route("/_sim/wechat/{out_trade_no}/pay", post(pay))
            .route("/_sim/deliveries", get(deliveries))
            .route("/v3/pay/transactions/native", post(wechat::native))
            .route(
                "/v3/pay/transactions/out-trade-no/{out_trade_no}",
                get(wechat::query),
            )
            .route(
                "/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
                post(wechat::close),
            )
            .route("/v3/refund/domestic/refunds", post(wechat::refund))
            .route(
                "/v3/refund/domestic/refunds/{out_refund_no}",
                get(wechat::query_refund),
            )
            .with_state(simulator.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(simulator)
    }

    /// Sets the simulator's clock (a test's settable clock, so that the times it signs agree
    /// with the merchant's).
    pub fn set_clock(&self, now: Now) {
        *self.now.lock().expect("simulator clock") = now;
    }

    /// The simulator's time, Unix seconds.
    pub(crate) fn now(&self) -> i64 {
        let now = self.now.lock().expect("simulator clock").clone();
        now()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The gateway URL to configure the Alipay adapter with.
    pub fn alipay_gateway(&self) -> String {
        format!("{}/alipay/gateway.do", self.base)
    }

    /// "Alipay's" public key (SubjectPublicKeyInfo, PEM), as the merchant console gives it.
    pub fn alipay_public_key_pem(&self) -> String {
        let inner = self.inner.lock().expect("simulator state");
        let pkcs1 = inner.alipay_key.public_key().as_ref().to_vec();
        spki_pem(&pkcs1)
    }

    /// Registers merchant `app_id` with its public key (PKCS#1 or SPKI DER), as uploading
    /// it to the Alipay console does.
    pub fn register_alipay_app(&self, app_id: &str, public_key_der: &[u8]) {
        let mut inner = self.inner.lock().expect("simulator state");
        inner
            .merchants
            .insert(app_id.to_string(), public_key_der.to_vec());
    }

    /// A new merchant key pair for `app_id`: the public half registered here, the private
    /// half returned (PKCS#8 PEM) for the merchant's configuration.
    pub fn new_merchant(&self, app_id: &str) -> std::io::Result<String> {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).map_err(std::io::Error::other)?;
        self.register_alipay_app(app_id, key.public_key().as_ref());
        private_pem(&key)
    }

    /// The buyer scans the trade's code (Alipay now knows the trade: WAIT_BUYER_PAY).
    pub fn scan(&self, out_trade_no: &str) -> bool {
        let mut inner = self.inner.lock().expect("simulator state");
        match inner.trades.get_mut(out_trade_no) {
            Some(trade) if trade.status == TradeStatus::Created => {
                trade.status = TradeStatus::WaitBuyerPay;
                true
            }
            Some(trade) => trade.status == TradeStatus::WaitBuyerPay,
            None => false,
        }
    }

    /// The buyer pays: the trade succeeds and its notice goes out as `fault` says. False
    /// when there is no such trade or it is closed.
    pub fn pay(&self, out_trade_no: &str, fault: NoticeFault) -> bool {
        if self.is_wechat(out_trade_no) {
            return self.pay_wechat(out_trade_no, fault);
        }
        let trade = {
            let mut inner = self.inner.lock().expect("simulator state");
            let number = inner.next_trade;
            let Some(trade) = inner.trades.get_mut(out_trade_no) else {
                return false;
            };
            if !matches!(
                trade.status,
                TradeStatus::Created | TradeStatus::WaitBuyerPay
            ) {
                return false;
            }
            trade.status = TradeStatus::Success;
            trade.trade_no = format!("2026{number:016}");
            if fault == NoticeFault::WrongAmount {
                // The buyer paid another amount: the query and refunds see it too.
                trade.amount = plus_one_fen(&trade.amount);
            }
            let trade = trade.clone();
            inner.next_trade += 1;
            trade
        };
        let simulator = self.clone();
        let out_trade_no = out_trade_no.to_string();
        tokio::spawn(async move { simulator.notify(out_trade_no, trade, fault).await });
        true
    }

    /// Every notice delivery so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner
            .lock()
            .expect("simulator state")
            .deliveries
            .clone()
    }

    /// Loses the answers of the next `n` requests (Alipay's gateway or WeChat Pay's API),
    /// after doing what they ask: the merchant cannot tell whether a refund was made, and
    /// asks again.
    pub fn lose_next_answers(&self, n: usize) {
        self.inner.lock().expect("simulator state").lose_answers = n;
    }

    /// The app (merchant) that created trade `out_trade_no`.
    pub fn trade_app_id(&self, out_trade_no: &str) -> Option<String> {
        self.inner
            .lock()
            .expect("simulator state")
            .trades
            .get(out_trade_no)
            .map(|t| t.app_id.clone())
    }

    /// What Alipay has refunded of trade `out_trade_no`, in fen.
    pub fn refunded_fen(&self, out_trade_no: &str) -> u64 {
        self.inner
            .lock()
            .expect("simulator state")
            .trades
            .get(out_trade_no)
            .map_or(0, |t| t.refunded_fen)
    }

    /// Sends a notice of trade `out_trade_no` saying `trade_status` (`TRADE_SUCCESS` again
    /// after a refund, `TRADE_CLOSED` before the payment, `WAIT_BUYER_PAY` after it…),
    /// signed by Alipay's key whatever became of the trade: one delivery, now, as notices
    /// arrive out of order. False when there is no such trade or the merchant did not
    /// answer `success`.
    pub async fn send_notice(&self, out_trade_no: &str, trade_status: &str) -> bool {
        let trade = {
            let inner = self.inner.lock().expect("simulator state");
            match inner.trades.get(out_trade_no) {
                Some(t) => t.clone(),
                None => return false,
            }
        };
        let body = self.notice_body(out_trade_no, &trade, NoticeFault::None, trade_status);
        self.deliver(out_trade_no, &trade.notify_url, &body, 1)
            .await
    }

    /// How many requests were refused for their signature.
    pub fn refused_requests(&self) -> usize {
        self.inner.lock().expect("simulator state").refused
    }

    /// Sends the notice of `trade`, again on Alipay's schedule until answered `success`.
    async fn notify(&self, out_trade_no: String, trade: Trade, fault: NoticeFault) {
        if fault == NoticeFault::Drop {
            return;
        }
        let body = self.notice_body(&out_trade_no, &trade, fault, "TRADE_SUCCESS");
        if fault == NoticeFault::Late {
            // Lost on the way: only the resends below arrive.
        } else if fault == NoticeFault::Twice {
            let (first, second) = tokio::join!(
                self.deliver(&out_trade_no, &trade.notify_url, &body, 1),
                self.deliver(&out_trade_no, &trade.notify_url, &body, 1)
            );
            if first || second {
                return;
            }
        } else if self
            .deliver(&out_trade_no, &trade.notify_url, &body, 1)
            .await
        {
            return;
        }
        for (i, seconds) in ALIPAY_RETRIES.iter().enumerate() {
            let wait = Duration::from_secs_f64(*seconds as f64 / self.time_scale);
            tokio::time::sleep(wait).await;
            if self
                .deliver(&out_trade_no, &trade.notify_url, &body, i + 2)
                .await
            {
                return;
            }
        }
    }

    async fn deliver(&self, out_trade_no: &str, url: &str, body: &str, attempt: usize) -> bool {
        let answer = self
            .client
            .post(url)
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
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
        let done = status == 200 && text == "success";
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
        done
    }

    fn notice_body(
        &self,
        out_trade_no: &str,
        trade: &Trade,
        fault: NoticeFault,
        trade_status: &str,
    ) -> String {
        self.notice_form(
            out_trade_no,
            trade,
            fault,
            trade_status,
            &NoticeChange::default(),
        )
    }

    fn notice_form(
        &self,
        out_trade_no: &str,
        trade: &Trade,
        fault: NoticeFault,
        trade_status: &str,
        change: &NoticeChange,
    ) -> String {
        let inner = self.inner.lock().expect("simulator state");
        let amount = trade.amount.clone();
        let notify_id = format!("sim{:032x}", hash(out_trade_no.as_bytes()));
        let mut params: Vec<(&str, String)> = vec![
            ("notify_time", "2026-11-02 10:05:00".into()),
            ("notify_type", "trade_status_sync".into()),
            ("notify_id", notify_id),
            ("app_id", trade.app_id.clone()),
            ("auth_app_id", trade.app_id.clone()),
            ("charset", "utf-8".into()),
            ("version", "1.0".into()),
            ("trade_no", trade.trade_no.clone()),
            ("out_trade_no", out_trade_no.to_string()),
            ("seller_id", "2088000000000001".into()),
            ("trade_status", trade_status.into()),
            ("total_amount", amount.clone()),
            ("receipt_amount", amount),
            ("subject", trade.subject.clone()),
            ("body", String::new()),
        ];
        let set = |form: &mut Vec<(&str, String)>, changes: &[(&'static str, String)]| {
            for (name, value) in changes {
                match form.iter_mut().find(|(k, _)| k == name) {
                    Some(field) => field.1 = value.clone(),
                    None => form.push((name, value.clone())),
                }
            }
        };
        set(&mut params, &change.signed);
        let key = if fault == NoticeFault::BadSignature {
            &inner.other_key
        } else {
            &inner.alipay_key
        };
        let sign = rsa2(key, notice_content(&params).as_bytes());
        let mut form: Vec<(&str, String)> = params;
        form.push(("sign_type", "RSA2".into()));
        form.push(("sign", sign));
        set(&mut form, &change.tampered);
        serde_html_form::to_string(&form).unwrap_or_default()
    }

    /// Sends one notice of trade `out_trade_no`, now, changed by `change` (a test of the
    /// merchant's checks: a validly signed notice naming another app or payee, a tampered
    /// one, `sign_type=RSA`). False when there is no such trade or the merchant did not
    /// answer `success`.
    pub async fn send_changed_notice(
        &self,
        out_trade_no: &str,
        trade_status: &str,
        change: &NoticeChange,
    ) -> bool {
        let trade = {
            let inner = self.inner.lock().expect("simulator state");
            match inner.trades.get(out_trade_no) {
                Some(t) => t.clone(),
                None => return false,
            }
        };
        let body = self.notice_form(
            out_trade_no,
            &trade,
            NoticeFault::None,
            trade_status,
            change,
        );
        self.deliver(out_trade_no, &trade.notify_url, &body, 1)
            .await
    }

    /// The gateway's answer to `method`: `object` signed, written as the gateway writes it.
    fn answer(&self, method: &str, object: &serde_json::Value) -> Response {
        let mut inner = self.inner.lock().expect("simulator state");
        if inner.lose_answers > 0 {
            inner.lose_answers -= 1;
            return axum::http::StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        let text = object.to_string();
        let sign = rsa2(&inner.alipay_key, text.as_bytes());
        let key = format!("{}_response", method.replace('.', "_"));
        let body = format!("{{\"{key}\" : {text} ,  \"sign\":\"{sign}\"}}");
        ([("content-type", "text/html;charset=utf-8")], body).into_response()
    }
}

/// What Alipay verifies of a request: every parameter but `sign` and empty ones, sorted
/// by name, `k=v` joined with `&`.
fn request_content(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(k, v)| k.as_str() != "sign" && !v.is_empty())
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// What Alipay signs of a notice: every parameter but empty ones (`sign` and `sign_type`
/// are added after), sorted by name.
fn notice_content(params: &[(&str, String)]) -> String {
    let mut kept: Vec<(&str, &str)> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    kept.sort();
    kept.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn hash(bytes: &[u8]) -> u128 {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    u128::from_be_bytes(digest.as_ref()[..16].try_into().unwrap_or_default())
}

fn plus_one_fen(yuan: &str) -> String {
    let fen = fen_of(yuan).unwrap_or(0) + 1;
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// Yuan with up to two decimals, in fen (its own reading: no code shared with CertHall).
fn fen_of(yuan: &str) -> Option<u64> {
    let (whole, fraction) = yuan.split_once('.').unwrap_or((yuan, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !(whole.chars().chain(fraction.chars())).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let fraction = format!("{fraction:0<2}");
    Some(whole.parse::<u64>().ok()? * 100 + fraction.parse::<u64>().ok()?)
}

fn rsa2(key: &RsaKeyPair, message: &[u8]) -> String {
    let mut signature = vec![0u8; key.public_modulus_len()];
    let _ = key.sign(
        &signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        message,
        &mut signature,
    );
    base64::engine::general_purpose::STANDARD.encode(signature)
}

/// A private key as a merchant keeps it: PKCS#8, PEM.
fn private_pem(key: &RsaKeyPair) -> std::io::Result<String> {
    let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(key)
        .map_err(std::io::Error::other)?;
    let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    Ok(format!(
        "-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
    ))
}

/// A PKCS#1 RSA public key wrapped as SubjectPublicKeyInfo, in PEM.
fn spki_pem(pkcs1: &[u8]) -> String {
    // SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { pkcs1 } }
    let algorithm: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bit_string = vec![0u8];
    bit_string.extend_from_slice(pkcs1);
    let mut inner = algorithm.to_vec();
    inner.extend(der_tlv(0x03, &bit_string));
    let der = der_tlv(0x30, &inner);
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

fn der_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

/// The form's fields, decoded (`+` as a space, `%XX`), as UTF-8.
fn form(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

fn failure(code: &str, sub_code: &str, sub_msg: &str) -> serde_json::Value {
    let msg = if code == "40004" {
        "Business Failed"
    } else {
        "Invalid Arguments"
    };
    serde_json::json!({"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg})
}

async fn gateway(State(sim): State<Simulator>, body: String) -> Response {
    let params = form(&body);
    let method = params.get("method").cloned().unwrap_or_default();
    let app_id = params.get("app_id").cloned().unwrap_or_default();
    // The merchant's signature, over its canonical text.
    let verified = {
        let inner = sim.inner.lock().expect("simulator state");
        let content = request_content(&params);
        let signature = params
            .get("sign")
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok());
        match (inner.merchants.get(&app_id), signature) {
            (Some(key), Some(signature)) => {
                params.get("sign_type").map(String::as_str) == Some("RSA2")
                    && UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, key)
                        .verify(content.as_bytes(), &signature)
                        .is_ok()
            }
            _ => false,
        }
    };
    if !verified {
        sim.inner.lock().expect("simulator state").refused += 1;
        // Alipay answers a bad signature without signing the answer.
        let mut body = serde_json::Map::new();
        body.insert(
            format!("{}_response", method.replace('.', "_")),
            failure(
                "40002",
                "isv.invalid-signature",
                "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配",
            ),
        );
        return (
            [("content-type", "text/html;charset=utf-8")],
            serde_json::Value::Object(body).to_string(),
        )
            .into_response();
    }
    let biz: serde_json::Value = params
        .get("biz_content")
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or_default();
    let out_trade_no = biz["out_trade_no"].as_str().unwrap_or_default().to_string();
    let object = {
        let mut inner = sim.inner.lock().expect("simulator state");
        match method.as_str() {
            "alipay.trade.precreate" => {
                let amount = biz["total_amount"].as_str().unwrap_or_default().to_string();
                let subject = biz["subject"].as_str().unwrap_or_default().to_string();
                match inner.trades.get(&out_trade_no) {
                    Some(t) if t.amount != amount || t.subject != subject => {
                        failure("40004", "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
                    }
                    Some(t) if t.status != TradeStatus::Created => {
                        failure("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
                    }
                    _ if fen_of(&amount).is_none_or(|f| f == 0) || out_trade_no.is_empty() => {
                        failure("40002", "isv.invalid-parameter", "参数无效")
                    }
                    _ => {
                        inner.trades.insert(
                            out_trade_no.clone(),
                            Trade {
                                app_id: app_id.clone(),
                                amount,
                                subject,
                                notify_url: params.get("notify_url").cloned().unwrap_or_default(),
                                status: TradeStatus::Created,
                                trade_no: String::new(),
                                refunded_fen: 0,
                                refunds: BTreeMap::new(),
                            },
                        );
                        serde_json::json!({"code": "10000", "msg": "Success", "out_trade_no": out_trade_no,
                            "qr_code": format!("{}/alipay/qr/{}", sim.base, out_trade_no)})
                    }
                }
            }
            "alipay.trade.query" => match inner.trades.get(&out_trade_no) {
                Some(t) if t.app_id == app_id && t.status != TradeStatus::Created => {
                    let status = match t.status {
                        TradeStatus::WaitBuyerPay => "WAIT_BUYER_PAY",
                        TradeStatus::Success => "TRADE_SUCCESS",
                        _ => "TRADE_CLOSED",
                    };
                    serde_json::json!({"code": "10000", "msg": "Success", "out_trade_no": out_trade_no,
                        "trade_no": t.trade_no, "trade_status": status, "total_amount": t.amount})
                }
                _ => failure("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在"),
            },
            "alipay.trade.close" => match inner.trades.get_mut(&out_trade_no) {
                Some(t) if t.status == TradeStatus::Success => {
                    failure("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
                }
                Some(t) if t.status == TradeStatus::Created => {
                    // Unknown to Alipay; the code no longer pays either.
                    t.status = TradeStatus::Closed;
                    failure("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
                }
                Some(t) => {
                    t.status = TradeStatus::Closed;
                    serde_json::json!({"code": "10000", "msg": "Success", "out_trade_no": out_trade_no, "trade_no": t.trade_no})
                }
                None => failure("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在"),
            },
            "alipay.trade.refund" => {
                let request_no = biz["out_request_no"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let amount = biz["refund_amount"].as_str().and_then(fen_of);
                match (inner.trades.get_mut(&out_trade_no), amount) {
                    (Some(t), Some(amount)) if !t.trade_no.is_empty() => {
                        let paid = fen_of(&t.amount).unwrap_or(0);
                        if let Some(done) = t.refunds.get(&request_no) {
                            let done = *done;
                            serde_json::json!({"code": "10000", "msg": "Success", "out_trade_no": out_trade_no,
                                "fund_change": "N", "refund_fee": format!("{}.{:02}", done / 100, done % 100)})
                        } else if t.refunded_fen + amount > paid {
                            failure("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
                        } else {
                            t.refunded_fen += amount;
                            t.refunds.insert(request_no, amount);
                            if t.refunded_fen == paid {
                                t.status = TradeStatus::Closed;
                            }
                            serde_json::json!({"code": "10000", "msg": "Success", "out_trade_no": out_trade_no,
                                "fund_change": "Y", "refund_fee": format!("{}.{:02}", t.refunded_fen / 100, t.refunded_fen % 100)})
                        }
                    }
                    _ => failure("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在"),
                }
            }
            _ => failure("40002", "isv.invalid-method", "不存在的方法名"),
        }
    };
    sim.answer(&method, &object)
}

#[derive(Deserialize, Default)]
struct PayQuery {
    #[serde(default)]
    fault: NoticeFault,
}

async fn scan(State(sim): State<Simulator>, Path(out_trade_no): Path<String>) -> StatusCode {
    if sim.scan(&out_trade_no) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn pay(
    State(sim): State<Simulator>,
    Path(out_trade_no): Path<String>,
    Query(query): Query<PayQuery>,
) -> Response {
    if sim.pay(&out_trade_no, query.fault) {
        Html(format!(
            "<!doctype html><meta charset=utf-8><title>支付成功</title><h1 data-testid=paid>支付成功</h1><p>{out_trade_no}</p>"
        ))
        .into_response()
    } else {
        (StatusCode::CONFLICT, "no payable trade").into_response()
    }
}

async fn deliveries(State(sim): State<Simulator>) -> axum::Json<Vec<Delivery>> {
    axum::Json(sim.deliveries())
}

/// What the buyer's phone shows after scanning: the trade, and a button that pays it.
async fn qr_page(State(sim): State<Simulator>, Path(out_trade_no): Path<String>) -> Response {
    let found = {
        let inner = sim.inner.lock().expect("simulator state");
        inner
            .trades
            .get(&out_trade_no)
            .map(|t| (t.subject.clone(), t.amount.clone()))
    };
    sim.scan(&out_trade_no);
    match found {
        Some((subject, amount)) => Html(format!(
            "<!doctype html><html lang=zh-CN><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>支付宝（模拟）</title>\
             <main><h1>支付宝付款（模拟器）</h1><p>{}</p><p>金额 <strong>¥{}</strong></p>\
             <form method=post action=\"/_sim/alipay/{}/pay\"><button type=submit>确认付款</button></form></main></html>",
            escape(&subject),
            escape(&amount),
            escape(&out_trade_no)
        ))
        .into_response(),
        None => (StatusCode::NOT_FOUND, "no such trade").into_response(),
    }
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors() -> serde_json::Value {
        serde_json::from_str(include_str!("../../providers/tests/vectors/alipay.json")).unwrap()
    }

    fn der(pem: &str) -> Vec<u8> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    }

    #[test]
    fn requests_are_checked_over_the_official_sdks_text() {
        let v = vectors();
        let mut params: BTreeMap<String, String> = v["request"]["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        params.insert("sign".into(), v["request"]["sign"].as_str().unwrap().into());
        params.insert("notify_url".into(), String::new());
        let content = request_content(&params);
        assert_eq!(content, v["request"]["sign_content"].as_str().unwrap());
        let public = der(include_str!(
            "../../providers/tests/vectors/alipay_merchant_public.pem"
        ));
        let signature = base64::engine::general_purpose::STANDARD
            .decode(v["request"]["sign"].as_str().unwrap())
            .unwrap();
        assert!(
            UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &public)
                .verify(content.as_bytes(), &signature)
                .is_ok()
        );
    }

    #[test]
    fn notices_are_signed_over_the_official_sdks_text() {
        let v = vectors();
        let body = v["notice"]["body"].as_str().unwrap();
        let fields = form(body);
        let params: Vec<(&str, String)> = fields
            .iter()
            .filter(|(k, _)| k.as_str() != "sign" && k.as_str() != "sign_type")
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        assert_eq!(
            notice_content(&params),
            v["notice"]["sign_content"].as_str().unwrap()
        );
    }

    #[test]
    fn the_public_key_is_wrapped_as_the_console_gives_it() {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let pem = spki_pem(key.public_key().as_ref());
        assert!(
            pem.starts_with("-----BEGIN PUBLIC KEY-----\nMIIBIjAN"),
            "{pem}"
        );
        let message = b"certhall";
        let signature = rsa2(&key, message);
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signature)
            .unwrap();
        assert!(
            UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der(&pem))
                .verify(message, &signature)
                .is_ok()
        );
        assert_eq!(fen_of("260"), Some(26000));
        assert_eq!(fen_of("0.5"), Some(50));
        assert_eq!(plus_one_fen("260.00"), "260.01");
    }
}
