//! Errors of the use cases, with a stable code, the field at fault, and a message in
//! English and Chinese (the API picks one by Accept-Language).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Invalid,
    NotFound,
    Conflict,
    Unauthorized,
    Forbidden,
    /// Too many requests: try again after `retry_after_seconds`.
    RateLimited,
    /// What was sent is bigger than allowed (an upload).
    TooLarge,
    /// An outside service did not answer (timeout, down): nothing was decided, try again.
    Unavailable,
    Internal,
}

#[derive(Debug, Clone)]
pub struct ServiceError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub field: Option<String>,
    pub message_en: String,
    pub message_zh: String,
    /// For `RateLimited`: seconds until a new try can succeed.
    pub retry_after_seconds: Option<i64>,
}

impl ServiceError {
    pub fn new(
        kind: ErrorKind,
        code: &'static str,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        ServiceError {
            kind,
            code,
            field: None,
            message_en: en.into(),
            message_zh: zh.into(),
            retry_after_seconds: None,
        }
    }

    /// A `RateLimited` error saying how long to wait, in minutes or seconds.
    pub fn rate_limited(
        code: &'static str,
        field: &str,
        wait_seconds: i64,
        what_en: &str,
        what_zh: &str,
    ) -> Self {
        let wait = wait_seconds.max(1);
        let (en, zh) = if wait >= 120 {
            let minutes = (wait + 59) / 60;
            (
                format!("{what_en}: try again in {minutes} minutes"),
                format!("{what_zh}，请{minutes}分钟后再试"),
            )
        } else {
            (
                format!("{what_en}: try again in {wait} seconds"),
                format!("{what_zh}，请{wait}秒后再试"),
            )
        };
        let mut error = ServiceError::new(ErrorKind::RateLimited, code, en, zh).with_field(field);
        error.retry_after_seconds = Some(wait);
        error
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The message in `lang`.
    pub fn message(&self, lang: domain::Lang) -> &str {
        lang.pick(&self.message_zh, &self.message_en)
    }

    pub fn internal(context: &str, err: impl fmt::Display) -> Self {
        tracing::error!(%err, "{context}");
        ServiceError::new(
            ErrorKind::Internal,
            "internal",
            format!("internal error: {context}"),
            format!("内部错误：{context}"),
        )
    }

    /// Maps an X.509 error about the caller's input to a field-named error.
    pub fn from_pki(err: pki::PkiError, input_field: &str) -> Self {
        use pki::PkiError as P;
        let en = err.to_string();
        match err {
            P::MalformedCsr(_) => ServiceError::new(
                ErrorKind::Invalid,
                "csr_malformed",
                en,
                "证书请求（CSR）格式错误，无法解析",
            )
            .with_field(input_field),
            P::BadCsrSignature => ServiceError::new(
                ErrorKind::Invalid,
                "csr_bad_signature",
                en,
                "证书请求（CSR）的签名验证失败",
            )
            .with_field(input_field),
            P::KeyFamilyMismatch {
                ref expected,
                ref found,
            } => {
                let zh =
                    format!("证书请求的密钥类型为 {found}，该 CA 只签发 {expected} 密钥的证书");
                ServiceError::new(ErrorKind::Invalid, "csr_key_mismatch", en, zh)
                    .with_field(input_field)
            }
            P::UnsupportedAlgorithm(_) => ServiceError::new(
                ErrorKind::Invalid,
                "unsupported_algorithm",
                en,
                "不支持的算法或密钥",
            )
            .with_field(input_field),
            P::Subject {
                ref field,
                ref reason,
            } => {
                let zh = format!("证书主题字段 {field} 无效：{reason}");
                let f = if field == "days" {
                    "days".to_string()
                } else {
                    format!("subject.{field}")
                };
                ServiceError::new(ErrorKind::Invalid, "subject_invalid", en, zh).with_field(f)
            }
            P::UnknownProfile(ref p) => {
                let zh = format!("未知的证书模板“{p}”");
                ServiceError::new(ErrorKind::Invalid, "unknown_profile", en, zh)
                    .with_field("profile")
            }
            P::UnknownReason { ref given, .. } => {
                let zh = format!("未知的注销原因“{given}”");
                ServiceError::new(ErrorKind::Invalid, "unknown_reason", en, zh).with_field("reason")
            }
            P::Encoding(_) => {
                ServiceError::new(ErrorKind::Invalid, "malformed", en, "数据格式错误")
                    .with_field(input_field)
            }
            other => ServiceError::internal("x509", other),
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message_en),
            None => f.write_str(&self.message_en),
        }
    }
}

impl std::error::Error for ServiceError {}

impl From<store::StoreError> for ServiceError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::LostRace { .. } => ServiceError::new(
                ErrorKind::Conflict,
                "changed_meanwhile",
                format!("{e}: someone else changed it first; reload and try again"),
                "已被他人处理或修改，请刷新后重试",
            ),
            store::StoreError::Duplicate(rule) => ServiceError::new(
                ErrorKind::Conflict,
                "duplicate",
                format!("{rule}: it exists already"),
                "已存在相同的记录",
            ),
            e => ServiceError::internal("database", e),
        }
    }
}

/// A field a domain rule refused: `invalid`, naming the field (message `field: reason`).
impl From<domain::FieldError> for ServiceError {
    fn from(e: domain::FieldError) -> Self {
        ServiceError::new(
            ErrorKind::Invalid,
            e.code,
            format!("{}: {}", e.field, e.en),
            e.zh,
        )
        .with_field(e.field)
    }
}

/// A change a state machine refuses: the thing is not in a state that allows it.
impl From<domain::Refused> for ServiceError {
    fn from(e: domain::Refused) -> Self {
        ServiceError::new(
            ErrorKind::Conflict,
            "invalid_transition",
            e.to_string(),
            format!("当前状态（{}）不允许此操作（{}）", e.from, e.event),
        )
    }
}
