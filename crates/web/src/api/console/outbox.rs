//! Notification messages and the retry of failed ones, for administrators.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::{MessageStatus, Status};
use serde::{Deserialize, Serialize};
use services::notifications;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Operator;
use crate::error::ApiError;
use crate::lang::AcceptLang;

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
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    Query(query): Query<OutboxQuery>,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    let text = query.status.unwrap_or_else(|| "failed".into());
    let Some(status) = MessageStatus::parse(&text) else {
        return Err(ApiError::invalid(
            lang,
            "invalid_status",
            "status",
            "status: pending, sending, sent or failed",
            "状态应为 pending、sending、sent 或 failed",
        ));
    };
    let messages = notifications::messages(&state.app, &session.actor(), Some(status), 200)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(
        messages
            .into_iter()
            .map(|m| MessageView {
                id: m.id,
                channel: m.kind.as_str().into(),
                recipient: m.recipient,
                template: m.template,
                status: m.status.as_str().into(),
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
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid(lang, "invalid_id", "id", "id: a number", "编号应为数字"))?;
    notifications::retry(&state.app, &session.actor(), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}
