//! Customer accounts over the API: SMS codes, registration, login, logout (here or
//! everywhere), password reset and change, and who is logged in.
//!
//! A login sets the `certhall_session` cookie (HttpOnly, SameSite=Lax, Secure behind TLS;
//! a new token at every login) and returns the session's CSRF token. Every state-changing
//! request made with the cookie must carry that token in `X-CSRF-Token`. Requests without
//! a session are JSON only (a cross-site form cannot send JSON without a CORS preflight).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use services::people::accounts::{self, NewSession, Registration};
use services::people::sms_codes::{self, CodePurpose};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Customer, CustomerWithCsrf, session_cookie, session_token, with_session_cookie};
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ErrorBody};
use crate::json_body::ApiJson;
use crate::lang::AcceptLang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sms-codes", post(send_code))
        .route("/accounts", post(register))
        .route("/sessions", post(login).delete(logout_everywhere))
        .route("/sessions/current", delete(logout))
        .route("/password-resets", post(reset_password))
        .route("/me", get(me))
        .route("/me/password", put(change_password))
}

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    /// The number as shown in the header: 138****5678.
    phone_masked: String,
    /// Send it back in `X-CSRF-Token` with every state-changing request.
    csrf_token: String,
}

fn logged_in(state: &AppState, status: StatusCode, session: NewSession) -> Response {
    let cookie = session_cookie(state, &session.token, session.max_age_seconds);
    let view = SessionView {
        phone_masked: session.phone.masked(),
        csrf_token: session.csrf_token,
    };
    with_session_cookie((status, Json(view)).into_response(), cookie)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// 11-digit mainland mobile number (spaces, hyphens and a +86 prefix are also read).
    #[schema(pattern = "^1[3-9][0-9]{9}$", example = "13800138000")]
    phone: String,
    /// What the code is for.
    #[schema(value_type = CodePurposeName)]
    purpose: String,
}

/// What an SMS code is for.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum CodePurposeName {
    Register,
    ResetPassword,
}

#[derive(Serialize, ToSchema)]
pub struct CodeSentView {
    pub resend_after_seconds: i64,
    pub expires_in_seconds: i64,
}

/// The answer to a code sent: `202 Accepted` with when another may be asked for and how
/// long this one counts.
pub(crate) fn code_sent(
    sent: services::people::sms_codes::CodeSent,
) -> (StatusCode, Json<CodeSentView>) {
    (
        StatusCode::ACCEPTED,
        Json(CodeSentView {
            resend_after_seconds: sent.resend_after_seconds,
            expires_in_seconds: sent.expires_in_seconds,
        }),
    )
}

/// Sends an SMS verification code (6 digits, valid 5 minutes, single use).
#[utoipa::path(post, path = "/api/v1/sms-codes", request_body = CodeRequest, responses(
    (status = 202, body = CodeSentView, description = "The same answer whether or not the number has an account: a registration code for a registered number is replaced by an SMS telling its owner; a reset code for an unknown number is not sent"),
    (status = 422, description = "bad phone or purpose"),
    (status = 429, description = "resend too soon, or hourly limit of the number or address; Retry-After says when"),
))]
pub async fn send_code(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let purpose = match body.purpose.as_str() {
        "register" => CodePurpose::Register,
        "reset_password" => CodePurpose::ResetPassword,
        other => {
            return Err(ApiError::invalid(
                lang,
                "invalid_purpose",
                "purpose",
                format!("purpose {other:?}: use register or reset_password"),
                "验证码用途无效",
            ));
        }
    };
    let sent = sms_codes::send(&state.app, &body.phone, purpose, &ip, lang)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(code_sent(sent))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(pattern = "^1[3-9][0-9]{9}$", example = "13800138000")]
    phone: String,
    /// The 6-digit code sent by `POST /api/v1/sms-codes` (purpose `register`).
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    code: String,
    /// 8 to 64 characters, letters and digits, not containing the phone number.
    #[schema(
        min_length = 8,
        max_length = 64,
        pattern = "^[A-Za-z0-9]*([A-Za-z][A-Za-z0-9]*[0-9]|[0-9][A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]*$"
    )]
    password: String,
    /// `true`: the customer has read and accepts the certificate service agreement and
    /// privacy policy (required; recorded with the agreement's version).
    agree: bool,
}

/// Registers a number (with its SMS code) and logs in.
#[utoipa::path(post, path = "/api/v1/accounts", request_body = RegisterRequest, responses(
    (status = 201, body = SessionView, description = "Registered; the session cookie is set"),
    (status = 409, description = "already registered"),
    (status = 422, description = "bad phone, code or password; `field` names it"),
    (status = 429, description = "too many failures from this address, or the server is busy hashing passwords; Retry-After says when"),
))]
pub async fn register(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<Response, ApiError> {
    let registration = Registration {
        phone: &body.phone,
        code: &body.code,
        password: &body.password,
        accepts_terms: body.agree,
    };
    let session = accounts::register(
        &state.app,
        registration,
        &ip,
        session_token(&headers).as_deref(),
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    Ok(logged_in(&state, StatusCode::CREATED, session))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(pattern = "^1[3-9][0-9]{9}$", example = "13800138000")]
    phone: String,
    #[schema(min_length = 1, max_length = 1024)]
    password: String,
}

/// Logs in with number and password.
#[utoipa::path(post, path = "/api/v1/sessions", request_body = LoginRequest, responses(
    (status = 200, body = SessionView, description = "Logged in; the session cookie is set"),
    (status = 401, description = "wrong number or password"),
    (status = 429, description = "too many failures of this account or address; Retry-After says when"),
))]
pub async fn login(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let session = accounts::login(
        &state.app,
        &body.phone,
        &body.password,
        &ip,
        session_token(&headers).as_deref(),
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    Ok(logged_in(&state, StatusCode::OK, session))
}

fn logged_out(state: &AppState) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(state, "", 0));
    response
}

/// Logs out this session.
#[utoipa::path(delete, path = "/api/v1/sessions/current", security(("customer" = [])), responses((status = 204, description = "Logged out; the cookie is removed")))]
pub async fn logout(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
) -> Result<Response, ApiError> {
    accounts::logout(&state.app, &session, false)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(logged_out(&state))
}

/// Logs out every session of the account ("log out everywhere").
#[utoipa::path(delete, path = "/api/v1/sessions", security(("customer" = [])), responses((status = 204, description = "Every session of the account ended")))]
pub async fn logout_everywhere(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
) -> Result<Response, ApiError> {
    accounts::logout(&state.app, &session, true)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(logged_out(&state))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[schema(pattern = "^1[3-9][0-9]{9}$", example = "13800138000")]
    phone: String,
    /// The 6-digit code sent by `POST /api/v1/sms-codes` (purpose `reset_password`).
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    code: String,
    /// 8 to 64 characters, letters and digits, not containing the phone number.
    #[schema(
        min_length = 8,
        max_length = 64,
        pattern = "^[A-Za-z0-9]*([A-Za-z][A-Za-z0-9]*[0-9]|[0-9][A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]*$"
    )]
    new_password: String,
}

/// Sets a new password with a reset code; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/password-resets", request_body = ResetRequest, responses(
    (status = 204), (status = 422, description = "bad code or password (an unknown number has no valid code)"), (status = 429, description = "too many failures from this address; Retry-After says when"),
))]
pub async fn reset_password(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::reset_password(&state.app, &body.phone, &body.code, &body.new_password, &ip)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is logged in, and the session's CSRF token.
#[utoipa::path(get, path = "/api/v1/me", security(("customer" = [])), responses((status = 200, body = SessionView)))]
pub async fn me(Customer(session): Customer) -> Json<SessionView> {
    Json(SessionView {
        phone_masked: session.phone.masked(),
        csrf_token: session.live.csrf_token,
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(min_length = 1, max_length = 1024)]
    old_password: String,
    /// 8 to 64 characters, letters and digits, not containing the phone number.
    #[schema(
        min_length = 8,
        max_length = 64,
        pattern = "^[A-Za-z0-9]*([A-Za-z][A-Za-z0-9]*[0-9]|[0-9][A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]*$"
    )]
    new_password: String,
}

/// Changes the password; the account's other sessions end.
#[utoipa::path(put, path = "/api/v1/me/password", request_body = ChangePasswordRequest, security(("customer" = [])), responses(
    (status = 204, description = "Changed; the account's other sessions ended"), (status = 422, body = ErrorBody, description = "wrong old password or weak new one"),
))]
pub async fn change_password(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::change_password(&state.app, &session, &body.old_password, &body.new_password)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}
