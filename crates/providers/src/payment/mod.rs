//! Online payment providers: one trait, [`PaymentProvider`], for what a QR-code payment
//! takes — create a trade and get the code the buyer scans, ask how the trade stands,
//! close it, refund it — and [`PaymentProvider::verify_notice`] for the provider's
//! asynchronous notice, which confirms a payment only when its signature holds.
//!
//! Adapters: [`alipay::AlipayF2F`] (Alipay face-to-face QR, the OpenAPI form protocol with
//! RSA2 signatures) and [`wechat::WechatNative`] (WeChat Pay Native over APIv3: signed
//! requests, answers and notices verified with the WeChat Pay public key, the notice's
//! resource decrypted), each pinned to its official SDK's vectors. The simulator that speaks the same
//! protocols lives in its own crate (`certhall-paysim`) and shares no signing code with
//! these adapters: each side is pinned to test vectors of the providers' official SDKs.
//!
//! A definite answer of the provider ("no such trade", "already paid") is a value; not
//! getting one (a timeout, a 5xx, "system busy", an answer whose signature fails) is
//! [`PaymentError::Unknown`]: nothing may be concluded, the trade is queried again later.

pub mod alipay;
pub mod wechat;

use domain::Fen;
use futures_util::future::BoxFuture;

/// A trade to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRequest {
    /// Our number of the attempt, unique with the provider: 6 to 32 of `[A-Za-z0-9_]`.
    pub out_trade_no: String,
    pub amount: Fen,
    /// What the buyer sees (the order's number and the CA's name).
    pub subject: String,
    /// When the provider stops taking the payment, as `yyyy-MM-dd HH:mm:ss` in China.
    pub expires_at: String,
    /// Where the provider sends its notice.
    pub notify_url: String,
}

/// How a trade stands with the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeState {
    /// The provider has no such trade (Alipay: the QR code was not scanned yet).
    Unknown,
    /// Created or scanned; not paid.
    Pending,
    /// Paid `amount`; `provider_ref` is the provider's trade number.
    Paid { amount: Fen, provider_ref: String },
    /// Closed unpaid, or refunded in full.
    Closed,
}

/// What closing a trade did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseOutcome {
    Closed,
    /// The buyer paid first: the payment stands (and is recorded, or refunded).
    AlreadyPaid,
    /// The provider never saw the trade (not scanned): nothing to close.
    NotFound,
}

/// A refund to make, known by its own number: sending it again refunds once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub amount: Fen,
    /// What the trade paid (WeChat Pay wants it with every refund).
    pub paid: Fen,
    pub reason: String,
    /// Where the provider sends its notice when it settles the refund later (WeChat Pay).
    pub notify_url: String,
}

/// How a refund stands with the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Refunded; `moved` is false when this call moved no money (an earlier one did).
    Refunded { moved: bool },
    /// Accepted; the provider settles it later (WeChat Pay `PROCESSING`): its notice or a
    /// query says how it ended.
    Processing,
    /// The provider could not give the money back: finance must, another way.
    Failed(RefundFailure),
    /// The provider has no refund of this number (asked before it was made): make it.
    NotMade,
}

/// Why a provider could not give money back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundFailure {
    /// WeChat Pay `ABNORMAL` (退款异常): the buyer's card or account can no longer take it
    /// (closed, frozen).
    Abnormal,
    /// WeChat Pay `CLOSED` (退款关闭).
    Closed,
}

impl RefundFailure {
    /// The provider's word, as kept with the refund.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundFailure::Abnormal => "ABNORMAL",
            RefundFailure::Closed => "CLOSED",
        }
    }
}

/// Not a definite answer, or a refusal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The provider answered no, for a reason it named (`ACQ.TRADE_HAS_SUCCESS`…).
    #[error("refused by the provider: {code}: {message}")]
    Refused { code: String, message: String },
    /// No definite answer: a timeout, an HTTP error, "system busy", an unsigned or
    /// badly signed answer. Query again later; never conclude anything from it.
    #[error("no definite answer from the provider: {0}")]
    Unknown(String),
}

/// A notice the provider signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The provider's id of the notice (Alipay `notify_id`): the same id, the same notice.
    pub id: String,
    /// The merchant it is for (Alipay `app_id`), to check against ours.
    pub app_id: String,
    /// The payee (Alipay `seller_id`), when the provider says.
    pub seller_id: Option<String>,
    pub out_trade_no: String,
    pub about: Noticed,
}

/// What a notice is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Noticed {
    /// How the trade stands (a payment, a close, a refund seen as the trade's state).
    Trade(TradeState),
    /// How refund `out_refund_no` of the trade ended (WeChat Pay `REFUND.*`).
    Refund {
        out_refund_no: String,
        outcome: RefundOutcome,
    },
}

/// Why a notice is not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("the notice is not signed")]
    Unsigned,
    #[error("the notice's signature does not verify")]
    BadSignature,
    #[error("the notice cannot be read: {0}")]
    Malformed(String),
}

/// An online payment provider.
pub trait PaymentProvider: Send + Sync {
    /// Creates the trade; the text of the QR code the buyer scans.
    fn precreate<'a>(
        &'a self,
        trade: &'a TradeRequest,
    ) -> BoxFuture<'a, Result<String, PaymentError>>;
    fn query<'a>(
        &'a self,
        out_trade_no: &'a str,
    ) -> BoxFuture<'a, Result<TradeState, PaymentError>>;
    fn close<'a>(
        &'a self,
        out_trade_no: &'a str,
    ) -> BoxFuture<'a, Result<CloseOutcome, PaymentError>>;
    fn refund<'a>(
        &'a self,
        refund: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<RefundOutcome, PaymentError>>;
    /// How refund `refund.out_refund_no` stands, for one the provider settles later.
    fn query_refund<'a>(
        &'a self,
        refund: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<RefundOutcome, PaymentError>>;
    /// Verifies a notice as received (its headers and exact body bytes).
    fn verify_notice(&self, headers: &NoticeHeaders, body: &[u8]) -> Result<Notice, NoticeError>;
    /// What the provider expects as the answer to a notice taken (`success` for Alipay).
    fn notice_answer(&self, taken: bool) -> (u16, &'static str);
}

/// The headers a notice came with, by lowercase name.
#[derive(Debug, Clone, Default)]
pub struct NoticeHeaders(std::collections::BTreeMap<String, String>);

impl NoticeHeaders {
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> NoticeHeaders {
        NoticeHeaders(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
        )
    }

    /// The header `name` (any case), empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// A key in PEM (any label) or bare base64: its DER bytes.
pub fn key_der(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.trim().chars())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| format!("not a PEM or base64 key: {e}"))
}

/// `yyyy-MM-dd HH:mm:ss` in China (GMT+8), as Alipay writes times.
pub fn china_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .map(|t| t.to_offset(time::macros::offset!(+8)))
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
