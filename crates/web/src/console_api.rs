//! The operator console's API (`/api/v1/console`): its own login and session cookie
//! (`certhall_console`; a customer session never opens it), CSRF tokens, and role checks
//! on every resource.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::Role;
use serde::{Deserialize, Serialize};
use services::operators::{self, OperatorSession};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, Lang};
use crate::json_body::ApiJson;
use crate::session_cookie;

pub const CONSOLE_COOKIE: &str = "certhall_console";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/session", post(login).get(me).delete(logout))
        .route("/console/operators", get(list_operators))
        .route("/console/audit", get(audit_log))
        .route("/console/outbox", get(outbox))
        .route("/console/outbox/{id}/retry", post(retry_message))
}

/// The logged-in operator (from the console cookie).
pub struct Operator(pub OperatorSession);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = Lang::from_headers(&parts.headers);
        let token = session_cookie::read(&parts.headers, CONSOLE_COOKIE).unwrap_or_default();
        let session = operators::session(&state.pki.store, &token)
            .await
            .map_err(|e| ApiError::new(e, lang))?;
        // State-changing requests need the session's CSRF token.
        if !parts.method.is_safe() {
            session_cookie::check_csrf(parts, &session.live)?;
        }
        Ok(Operator(session))
    }
}

pub(crate) fn console_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    session_cookie::set(
        CONSOLE_COOKIE,
        value,
        max_age,
        "Strict",
        state.secure_cookies,
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsoleLogin {
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct OperatorView {
    username: String,
    display_name: String,
    roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled: Option<bool>,
}

/// Console login.
#[utoipa::path(post, path = "/api/v1/console/session", request_body = ConsoleLogin, responses(
    (status = 200, body = OperatorView, description = "Logged in; the console cookie is set"),
    (status = 401, description = "wrong username or password, or disabled"),
    (status = 429, description = "too many failures; Retry-After says when"),
))]
pub async fn login(
    State(state): State<AppState>,
    lang: Lang,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<ConsoleLogin>,
) -> Result<Response, ApiError> {
    let started = operators::login(&state.pki.store, &body.username, &body.password, &ip)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let session = operators::session(&state.pki.store, &started.token)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let mut response = Json(view(&session, true)).into_response();
    let max_age = started.expires_at - pki::time::now_unix();
    response.headers_mut().insert(
        header::SET_COOKIE,
        console_cookie(&state, &started.token, max_age),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
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
#[utoipa::path(get, path = "/api/v1/console/session", responses((status = 200, body = OperatorView), (status = 401)))]
pub async fn me(Operator(session): Operator) -> Json<OperatorView> {
    Json(view(&session, true))
}

/// Console logout.
#[utoipa::path(delete, path = "/api/v1/console/session", responses((status = 204), (status = 401), (status = 403, description = "no or wrong X-CSRF-Token")))]
pub async fn logout(
    State(state): State<AppState>,
    lang: Lang,
    Operator(session): Operator,
) -> Result<Response, ApiError> {
    operators::logout(&state.pki.store, &session)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, console_cookie(&state, "", 0));
    Ok(response)
}

/// The operators (administrators only).
#[utoipa::path(get, path = "/api/v1/console/operators", responses((status = 200, body = [OperatorView]), (status = 401), (status = 403, description = "not an administrator")))]
pub async fn list_operators(
    State(state): State<AppState>,
    lang: Lang,
    Operator(session): Operator,
) -> Result<Json<Vec<OperatorView>>, ApiError> {
    session
        .require_any(&[Role::Admin])
        .map_err(|e| ApiError::new(e, lang))?;
    let operators = store::operators::list(&state.pki.store)
        .await
        .map_err(|e| ApiError::new(e.into(), lang))?;
    Ok(Json(
        operators
            .into_iter()
            .map(|o| OperatorView {
                username: o.username,
                display_name: o.display_name,
                roles: o.roles.split(',').map(str::to_string).collect(),
                csrf_token: None,
                disabled: Some(o.disabled_at.is_some()),
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Only actions starting with this, e.g. `certificate.`
    action: Option<String>,
    /// Only actors starting with this, e.g. `operator:admin`.
    actor: Option<String>,
    /// Only objects starting with this, e.g. `channel:huanbao`.
    object: Option<String>,
    /// Only events at or after this Unix time.
    from: Option<i64>,
    /// Only events before this Unix time.
    until: Option<i64>,
    /// Only events older than this sequence number (the next page).
    before: Option<i64>,
    /// At most this many, newest first (1 to 500, default 100).
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditView {
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    object: String,
    details: serde_json::Value,
}

/// The audit log with filters (administrators only).
#[utoipa::path(get, path = "/api/v1/console/audit", params(AuditQuery), responses((status = 200, body = [AuditView]), (status = 401), (status = 403)))]
pub async fn audit_log(
    State(state): State<AppState>,
    lang: Lang,
    Operator(session): Operator,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    session
        .require_any(&[Role::Admin])
        .map_err(|e| ApiError::new(e, lang))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid(
            lang,
            "invalid_limit",
            "limit",
            "limit: 1 to 500",
            "limit：1至500",
        ));
    }
    let filter = store::audit::AuditFilter {
        action_prefix: query.action.unwrap_or_default(),
        actor_prefix: query.actor.unwrap_or_default(),
        object_prefix: query.object.unwrap_or_default(),
        from: query.from,
        until: query.until,
        before_seq: query.before,
    };
    let events = store::audit::list(&state.pki.store, &filter, limit)
        .await
        .map_err(|e| ApiError::new(e.into(), lang))?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| AuditView {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                object: e.object,
                details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct OutboxQuery {
    /// pending, sending, sent or failed (default: failed).
    status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageView {
    id: i64,
    channel: String,
    recipient: String,
    template: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: i64,
}

/// Notification messages by status, failed ones by default (administrators only).
#[utoipa::path(get, path = "/api/v1/console/outbox", params(OutboxQuery), responses((status = 200, body = [MessageView]), (status = 401), (status = 403)))]
pub async fn outbox(
    State(state): State<AppState>,
    lang: Lang,
    Operator(session): Operator,
    Query(query): Query<OutboxQuery>,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    session
        .require_any(&[Role::Admin])
        .map_err(|e| ApiError::new(e, lang))?;
    let status = query.status.unwrap_or_else(|| "failed".into());
    if !["pending", "sending", "sent", "failed"].contains(&status.as_str()) {
        return Err(ApiError::invalid(
            lang,
            "invalid_status",
            "status",
            "status: pending, sending, sent or failed",
            "状态应为 pending、sending、sent 或 failed",
        ));
    }
    let messages = store::outbox::list(&state.pki.store, Some(&status), 200)
        .await
        .map_err(|e| ApiError::new(e.into(), lang))?;
    Ok(Json(
        messages
            .into_iter()
            .map(|m| MessageView {
                id: m.id,
                channel: m.channel,
                recipient: m.recipient,
                template: m.template,
                status: m.status,
                attempts: m.attempts,
                last_error: m.last_error,
                created_at: m.created_at,
            })
            .collect(),
    ))
}

/// Queues a failed message again (administrators only; audited).
#[utoipa::path(post, path = "/api/v1/console/outbox/{id}/retry", responses((status = 204), (status = 403), (status = 404, description = "no failed message with that id")))]
pub async fn retry_message(
    State(state): State<AppState>,
    lang: Lang,
    Operator(session): Operator,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    session
        .require_any(&[Role::Admin])
        .map_err(|e| ApiError::new(e, lang))?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid(lang, "invalid_id", "id", "id: a number", "编号应为数字"))?;
    services::notifications::retry_failed(&state.pki.store, id, &session.actor())
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}
