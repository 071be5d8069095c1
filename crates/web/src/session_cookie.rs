//! Session cookies and the CSRF check, the same for customers and the console.

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use services::sessions::LiveSession;
use services::{ErrorKind, ServiceError};

use crate::error::{ApiError, Lang};

/// The header that carries a session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of cookie `name`, if the request has it.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, Path=/, the given SameSite, Secure behind TLS. An empty
/// value with `max_age` 0 removes the cookie.
pub fn set(name: &str, value: &str, max_age: i64, same_site: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// Refuses a request whose `X-CSRF-Token` is not the session's.
pub fn check_csrf(parts: &Parts, session: &LiveSession) -> Result<(), ApiError> {
    let given = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if session.csrf_matches(given) {
        return Ok(());
    }
    Err(ApiError::new(
        ServiceError::new(
            ErrorKind::Forbidden,
            "csrf",
            "missing or wrong X-CSRF-Token header",
            "请求缺少有效的防伪令牌（X-CSRF-Token）",
        )
        .with_field(CSRF_HEADER),
        Lang::from_headers(&parts.headers),
    ))
}
