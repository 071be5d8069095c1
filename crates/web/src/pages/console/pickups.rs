//! 现场领取 in the console: the applications whose keys wait at the counter, each with the
//! pickup code to type (the one the customer received by SMS) and a way to send a new code.
//! The use cases check the role.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Role;
use services::flows::application::Application;
use services::flows::hand_over;

use super::{require_operator, require_operator_posting};
use crate::AppState;
use crate::pages::{
    Chrome, Form, FormError, PageRequest, error_page, framed, render, see_other, status_and_error,
};

const CLERKS: [Role; 2] = [Role::Counter, Role::Admin];

#[derive(Template)]
#[template(path = "console/pickups.html")]
struct PickupsPage {
    chrome: Chrome,
    waiting: Vec<Application>,
    /// The application whose form was refused.
    refused: Option<i64>,
    error: Option<FormError>,
    /// A new code was just sent for this application.
    resent: Option<i64>,
}
framed!(PickupsPage);

impl PickupsPage {
    fn refused_here(&self, id: &i64) -> bool {
        self.refused == Some(*id)
    }
}

async fn show(
    state: &AppState,
    request: &PageRequest,
    refused: Option<i64>,
    error: Option<(FormError, StatusCode)>,
    resent: Option<i64>,
) -> Response {
    let (operator, chrome) = match require_operator(state, request, &CLERKS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let waiting = match hand_over::waiting(&state.app, &operator.actor()).await {
        Ok(list) => list,
        Err(e) => return error_page(chrome, &e),
    };
    let (status, error) = status_and_error(error);
    render(
        status,
        &PickupsPage {
            chrome,
            waiting,
            refused,
            error,
            resent,
        },
    )
}

pub async fn page(State(state): State<AppState>, request: PageRequest) -> Response {
    show(&state, &request, None, None, None).await
}

#[derive(serde::Deserialize, Default)]
pub struct PickupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// Hands over (`hand_over`) or sends a new code (`new_code`).
pub async fn act(
    State(state): State<AppState>,
    request: PageRequest,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<PickupForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &CLERKS, &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &services::flows::application::not_found(0));
    };
    let actor = operator.actor();
    let result = match action.as_str() {
        "hand_over" => hand_over::hand_over(&state.app, &actor, id, &form.code).await,
        "new_code" => hand_over::send_new_code(&state.app, &actor, id).await,
        _ => Err(services::flows::application::not_found(id)),
    };
    match (result, action.as_str()) {
        (Ok(()), "new_code") => show(&state, &request, None, None, Some(id)).await,
        (Ok(()), _) => see_other("/console/pickups", None),
        (Err(e), _) => {
            let error = FormError::failed(&e, request.lang);
            show(&state, &request, Some(id), Some(error), None).await
        }
    }
}
