//! Who is calling, found one way for pages and the API alike: the customer of the
//! `certhall_session` cookie, the operator of the `certhall_console` cookie, or the
//! registration-authority system of a bearer token; and the CSRF check that goes with a
//! cookie session. The extractors here serve the API; pages call [`customer`] and
//! [`operator`] and decide themselves what to show a visitor who is not logged in.
//!
//! Authentication only: what the caller may do is decided by the use case it calls.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use services::people::accounts::{self, CustomerSession};
use services::people::actor::Actor;
use services::people::operators::{self, OperatorSession};
use services::people::sessions::LiveSession;
use services::{ErrorKind, ServiceError};

use crate::AppState;
use crate::cookies;
use crate::error::ApiError;
use crate::lang::from_accept_language;

/// The customer's session cookie (HttpOnly, SameSite=Lax).
pub const SESSION_COOKIE: &str = "certhall_session";
/// The operator console's session cookie (HttpOnly, SameSite=Strict).
pub const CONSOLE_COOKIE: &str = "certhall_console";
/// The header that carries a session's CSRF token on the API.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The customer session cookie `headers` carry, if any (a login ends it).
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    cookies::read(headers, SESSION_COOKIE)
}

/// The console session cookie `headers` carry, if any (a login ends it).
pub fn console_token(headers: &HeaderMap) -> Option<String> {
    cookies::read(headers, CONSOLE_COOKIE)
}

/// The customer whose session cookie `headers` carry.
pub async fn customer(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<CustomerSession, ServiceError> {
    let token = cookies::read(headers, SESSION_COOKIE).unwrap_or_default();
    accounts::session(&state.app, &token).await
}

/// The operator whose console cookie `headers` carry.
pub async fn operator(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<OperatorSession, ServiceError> {
    let token = cookies::read(headers, CONSOLE_COOKIE).unwrap_or_default();
    operators::session(&state.app, &token).await
}

/// Refuses a request whose `X-CSRF-Token` is not the session's.
pub fn check_csrf(headers: &HeaderMap, session: &LiveSession) -> Result<(), ServiceError> {
    let given = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if session.csrf_matches(given) {
        return Ok(());
    }
    Err(ServiceError::new(
        ErrorKind::Forbidden,
        "csrf",
        "missing or wrong X-CSRF-Token header",
        "请求缺少有效的防伪令牌（X-CSRF-Token）",
    )
    .with_field(CSRF_HEADER))
}

/// The customer's session cookie, to set (`max_age` 0 with an empty value removes it).
pub fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    cookies::set(SESSION_COOKIE, value, max_age, "Lax", state.secure_cookies)
}

/// The console's session cookie, to set (`max_age` 0 with an empty value removes it).
pub fn console_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    cookies::set(
        CONSOLE_COOKIE,
        value,
        max_age,
        "Strict",
        state.secure_cookies,
    )
}

/// An API answer that starts a session: the cookie set, never cached.
pub fn with_session_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::SET_COOKIE, cookie);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn api_error(parts: &Parts, error: ServiceError) -> ApiError {
    ApiError::new(error, from_accept_language(&parts.headers))
}

/// The logged-in customer (API).
pub struct Customer(pub CustomerSession);

impl FromRequestParts<AppState> for Customer {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        customer(state, &parts.headers)
            .await
            .map(Customer)
            .map_err(|e| api_error(parts, e))
    }
}

/// The logged-in customer of a state-changing request: the CSRF header must match (API).
pub struct CustomerWithCsrf(pub CustomerSession);

impl FromRequestParts<AppState> for CustomerWithCsrf {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Customer(session) = Customer::from_request_parts(parts, state).await?;
        check_csrf(&parts.headers, &session.live).map_err(|e| api_error(parts, e))?;
        Ok(CustomerWithCsrf(session))
    }
}

/// The logged-in operator; a state-changing request needs the session's CSRF token (API).
pub struct Operator(pub OperatorSession);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = operator(state, &parts.headers)
            .await
            .map_err(|e| api_error(parts, e))?;
        if !parts.method.is_safe() {
            check_csrf(&parts.headers, &session.live).map_err(|e| api_error(parts, e))?;
        }
        Ok(Operator(session))
    }
}

/// A registration-authority system, by its bearer token (API).
pub struct Caller(pub Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        services::ca::api_tokens::authenticate(&state.app, token.trim())
            .await
            .map(Caller)
            .map_err(|e| api_error(parts, e))
    }
}
