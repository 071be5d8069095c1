//! Notification messages and the retry of failed ones, for administrators.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::{MessageStatus, Status};
use serde::{Deserialize, Serialize};
use services::notifications;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Operator;
use crate::error::{ApiError, ErrorBody};
use crate::lang::AcceptLang;
use crate::query::ApiQuery;

#[derive(Deserialize, IntoParams)]
pub struct OutboxQuery {
    /// Messages in this state (default: failed).
    #[param(value_type = Option<MessageStatusName>)]
    status: Option<String>,
}

/// Where a message stands (`domain::MessageStatus`).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum MessageStatusName {
    Pending,
    Sending,
    Sent,
    Failed,
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
#[utoipa::path(get, path = "/api/v1/console/outbox", security(("console" = [])), params(OutboxQuery), responses((status = 200, body = [MessageView]), (status = 422, body = ErrorBody, description = "a parameter it cannot read or an unknown status; `field` names it")))]
pub async fn outbox(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    ApiQuery(query): ApiQuery<OutboxQuery>,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    let status = match query.status.as_deref() {
        None => Some(MessageStatus::Failed),
        Some(text) => MessageStatus::parse(text),
    };
    let Some(status) = status else {
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
#[utoipa::path(post, path = "/api/v1/console/outbox/{id}/retry", security(("console" = [])), params(("id" = i64, Path, description = "The message id")), responses((status = 204), (status = 404, body = ErrorBody, description = "no failed message with that id"), (status = 422, body = ErrorBody, description = "the id is not a number")))]
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
