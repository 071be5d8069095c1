//! Failed notifications (administrators): what failed, why, and a retry.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::{MessageStatus, Role};
use services::notifications;
use services::people::operators::OperatorSession;
use services::{ErrorKind, ServiceError};

use super::{require_operator, require_operator_posting};
use crate::AppState;
use crate::pages::local_time;
use crate::pages::{
    Chrome, CsrfForm, Form, FormError, PageRequest, error_page, framed, render, see_other,
    status_and_error,
};

pub struct MessageRow {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub attempts: i64,
    pub last_error: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "console/messages.html")]
struct MessagesPage {
    chrome: Chrome,
    rows: Vec<MessageRow>,
    error: Option<FormError>,
}

async fn messages_view(
    state: &AppState,
    operator: &OperatorSession,
    chrome: Chrome,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let failed = Some(MessageStatus::Failed);
    let messages = match notifications::messages(&state.app, &operator.actor(), failed, 200).await {
        Ok(list) => list,
        Err(e) => return error_page(chrome, &e),
    };
    let rows = messages
        .into_iter()
        .map(|m| MessageRow {
            id: m.id,
            channel: m.kind.as_str().to_string(),
            recipient: m.recipient,
            template: m.template,
            attempts: m.attempts,
            last_error: m.last_error.unwrap_or_default(),
            created: local_time(m.created_at),
        })
        .collect();
    let (status, error) = status_and_error(error);
    render(
        status,
        &MessagesPage {
            chrome,
            rows,
            error,
        },
    )
}

pub async fn page(State(state): State<AppState>, request: PageRequest) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &[Role::Admin]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    messages_view(&state, &operator, chrome, None).await
}

pub async fn retry(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &[Role::Admin], &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let result = match id.parse::<i64>() {
        Ok(id) => notifications::retry(&state.app, &operator.actor(), id).await,
        Err(_) => Err(ServiceError::new(
            ErrorKind::NotFound,
            "unknown_message",
            "no such message",
            "消息不存在",
        )),
    };
    match result {
        Ok(()) => see_other("/console/messages?notice=message_retried", None),
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            messages_view(&state, &operator, chrome, Some(error)).await
        }
    }
}

framed!(MessagesPage);
