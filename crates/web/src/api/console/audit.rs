//! The audit log with filters, for administrators.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use services::audit;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Operator;
use crate::error::{ApiError, ErrorBody};
use crate::lang::AcceptLang;
use crate::query::ApiQuery;

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
    #[param(minimum = 1, maximum = 500)]
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
#[utoipa::path(get, path = "/api/v1/console/audit", security(("console" = [])), params(AuditQuery), responses((status = 200, body = [AuditView]), (status = 422, body = ErrorBody, description = "a parameter it cannot read (`field` names it), or limit out of 1 to 500")))]
pub async fn audit_log(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
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
    let filter = domain::AuditFilter {
        action_prefix: query.action.unwrap_or_default(),
        actor_prefix: query.actor.unwrap_or_default(),
        object_prefix: query.object.unwrap_or_default(),
        from: query.from,
        until: query.until,
        before_seq: query.before,
    };
    let events = audit::list(&state.app, &session.actor(), &filter, limit)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
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
