//! The operators, for administrators.

use axum::Json;
use axum::extract::State;
use services::people::operators;

use super::session::OperatorView;
use crate::AppState;
use crate::auth::Operator;
use crate::error::ApiError;
use crate::lang::AcceptLang;

/// The operators (administrators only).
#[utoipa::path(get, path = "/api/v1/console/operators", security(("console" = [])), responses((status = 200, body = [OperatorView])))]
pub async fn list_operators(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
) -> Result<Json<Vec<OperatorView>>, ApiError> {
    let operators = operators::list(&state.app, &session.actor())
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(
        operators
            .into_iter()
            .map(|o| OperatorView {
                username: o.username,
                display_name: o.display_name,
                roles: o.roles.iter().map(|r| r.as_str().to_string()).collect(),
                csrf_token: None,
                disabled: Some(o.disabled),
            })
            .collect(),
    ))
}
