//! Operator management (administrators): create with roles, change roles, disable,
//! enable, reset a password (shown once).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Role;
use serde::Deserialize;
use services::people::operators::{self, OperatorSession};
use services::{ErrorKind, ServiceError};

use super::{require_operator, require_operator_posting};
use crate::AppState;
use crate::pages::{
    Chrome, Form, FormError, PageRequest, error_page, framed, render, status_and_error,
};

pub struct OperatorRow {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<(&'static str, &'static str, bool)>,
    pub disabled: bool,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "console/operators.html")]
struct OperatorsPage {
    chrome: Chrome,
    operators: Vec<OperatorRow>,
    /// The form to create one: values kept after an error.
    new_username: String,
    new_name: String,
    all_roles: Vec<(&'static str, &'static str)>,
    /// A password to show once (after creation or a reset), with whose it is.
    password: Option<(String, String)>,
    error: Option<FormError>,
}

async fn operators_view(
    state: &AppState,
    operator: &OperatorSession,
    chrome: Chrome,
    password: Option<(String, String)>,
    error: Option<(FormError, StatusCode)>,
    new: (String, String),
) -> Response {
    let records = match operators::list(&state.app, &operator.actor()).await {
        Ok(list) => list,
        Err(e) => return error_page(chrome, &e),
    };
    let t = &chrome.t;
    let operators = records
        .into_iter()
        .map(|o| OperatorRow {
            roles: Role::ALL
                .iter()
                .map(|r| (r.as_str(), t.role(*r), o.roles.contains(*r)))
                .collect(),
            is_self: o.id == operator.operator_id,
            username: o.username,
            display_name: o.display_name,
            disabled: o.disabled,
        })
        .collect();
    let all_roles = Role::ALL.iter().map(|r| (r.as_str(), t.role(*r))).collect();
    let (status, error) = status_and_error(error);
    render(
        status,
        &OperatorsPage {
            chrome,
            operators,
            new_username: new.0,
            new_name: new.1,
            all_roles,
            password,
            error,
        },
    )
}

pub async fn page(State(state): State<AppState>, request: PageRequest) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &[Role::Admin]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    operators_view(&state, &operator, chrome, None, None, Default::default()).await
}

/// The operator forms: create (username, name, roles) and change (action, roles).
#[derive(Deserialize)]
pub struct OperatorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    /// One entry per ticked checkbox.
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    action: String,
}

pub async fn create(
    State(state): State<AppState>,
    request: PageRequest,
    Form(form): Form<OperatorForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &[Role::Admin], &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let username = form.username.trim().to_string();
    let name = form.display_name.trim().to_string();
    let roles = form.roles.join(",");
    let result = operators::create(&state.app, &operator.actor(), &username, &name, &roles).await;
    match result {
        Ok(password) => {
            let shown = Some((username, password.to_string()));
            operators_view(&state, &operator, chrome, shown, None, Default::default()).await
        }
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            operators_view(
                &state,
                &operator,
                chrome,
                None,
                Some(error),
                (username, name),
            )
            .await
        }
    }
}

pub async fn change(
    State(state): State<AppState>,
    request: PageRequest,
    Path(username): Path<String>,
    Form(form): Form<OperatorForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &[Role::Admin], &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let roles = form.roles.join(",");
    let change = match form.action.as_str() {
        "roles" => Ok(operators::Change::Roles(&roles)),
        "disable" => Ok(operators::Change::Disable),
        "enable" => Ok(operators::Change::Enable),
        "reset_password" => Ok(operators::Change::ResetPassword),
        _ => Err(ServiceError::new(
            ErrorKind::Invalid,
            "invalid_action",
            "unknown action",
            "操作无效",
        )
        .with_field("action")),
    };
    let result = match change {
        Ok(c) => operators::change(&state.app, &operator.actor(), &username, c).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(password) => {
            let shown = password.map(|p| (username, p.to_string()));
            operators_view(&state, &operator, chrome, shown, None, Default::default()).await
        }
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            operators_view(
                &state,
                &operator,
                chrome,
                None,
                Some(error),
                Default::default(),
            )
            .await
        }
    }
}

framed!(OperatorsPage);
