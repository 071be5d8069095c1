//! The API's error format (fixed): `{"error": {"code", "message", "field"}}`, with the
//! message in Chinese or English by `Accept-Language` (Chinese unless English is preferred).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Lang;
use serde::Serialize;
use services::{ErrorKind, ServiceError};

/// An error with the language to render it in.
#[derive(Debug)]
pub struct ApiError {
    pub error: ServiceError,
    pub lang: Lang,
}

impl ApiError {
    pub fn new(error: ServiceError, lang: Lang) -> Self {
        ApiError { error, lang }
    }

    pub fn invalid(
        lang: Lang,
        code: &'static str,
        field: &str,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        ApiError::new(
            ServiceError::new(ErrorKind::Invalid, code, en, zh).with_field(field),
            lang,
        )
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `csr_bad_signature`.
    pub code: String,
    /// Human-readable message in the negotiated language.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.error;
        let retry_after = e.retry_after_seconds;
        let message = match self.lang {
            Lang::Zh => e.message_zh,
            Lang::En => e.message_en,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: e.code.to_string(),
                message,
                field: e.field,
            },
        };
        let mut response = (status_of(e.kind), axum::Json(body)).into_response();
        if let Some(seconds) = retry_after
            && let Ok(value) = header::HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if e.kind == ErrorKind::Unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
