//! Console login, who is logged in, logout.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use services::people::operators::{self, OperatorSession};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Operator, console_cookie, with_session_cookie};
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::json_body::ApiJson;
use crate::lang::AcceptLang;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsoleLogin {
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct OperatorView {
    pub(super) username: String,
    pub(super) display_name: String,
    pub(super) roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) disabled: Option<bool>,
}

/// Console login.
#[utoipa::path(post, path = "/api/v1/console/session", request_body = ConsoleLogin, responses(
    (status = 200, body = OperatorView, description = "Logged in; the console cookie is set"),
    (status = 401, description = "wrong username or password, or disabled"),
    (status = 429, description = "too many failures; Retry-After says when"),
))]
pub async fn login(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<ConsoleLogin>,
) -> Result<Response, ApiError> {
    let started = operators::login(
        &state.app,
        &body.username,
        &body.password,
        &ip,
        crate::auth::console_token(&headers).as_deref(),
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    let session = operators::session(&state.app, &started.token)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let cookie = console_cookie(&state, &started.token, started.max_age_seconds);
    Ok(with_session_cookie(
        Json(view(&session, true)).into_response(),
        cookie,
    ))
}

fn view(session: &OperatorSession, with_csrf: bool) -> OperatorView {
    OperatorView {
        username: session.username.clone(),
        display_name: session.display_name.clone(),
        roles: session
            .roles
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
        csrf_token: with_csrf.then(|| session.live.csrf_token.clone()),
        disabled: None,
    }
}

/// The logged-in operator, roles and CSRF token.
#[utoipa::path(get, path = "/api/v1/console/session", security(("console" = [])), responses((status = 200, body = OperatorView)))]
pub async fn me(Operator(session): Operator) -> Json<OperatorView> {
    Json(view(&session, true))
}

/// Console logout.
#[utoipa::path(delete, path = "/api/v1/console/session", security(("console" = [])), responses((status = 204, description = "Logged out; the cookie is removed")))]
pub async fn logout(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
) -> Result<Response, ApiError> {
    operators::logout(&state.app, &session)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, console_cookie(&state, "", 0));
    Ok(response)
}
