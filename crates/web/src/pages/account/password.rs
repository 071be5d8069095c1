//! 个人中心: changing the password (the old one, the new one twice).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use services::people::accounts;

use super::{SignedIn, confirm, personal};
use crate::AppState;
use crate::pages::{Chrome, Form, FormError, PageRequest, framed, render, run_form, see_other};

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    chrome: Chrome,
    error: Option<FormError>,
}
framed!(PasswordPage);

pub async fn form(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
) -> Response {
    let chrome = personal(&state, &request, &customer, "/me/password");
    render(
        StatusCode::OK,
        &PasswordPage {
            chrome,
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn submit(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Form(form): Form<PasswordForm>,
) -> Response {
    let chrome = personal(&state, &request, &customer, "/me/password");
    let result = if !request.csrf_ok(&form.csrf, Some(&customer.live)) {
        Err((FormError::csrf(&chrome.t), StatusCode::FORBIDDEN))
    } else if let Err(e) = confirm(&chrome.t, &form.new_password, &form.password_confirm) {
        Err((e, StatusCode::UNPROCESSABLE_ENTITY))
    } else {
        run_form(&request, &form.csrf, Some(&customer.live), || async {
            accounts::change_password(
                &state.app,
                &customer,
                &form.old_password,
                &form.new_password,
            )
            .await?;
            Ok(see_other("/me?notice=password_changed", None))
        })
        .await
    };
    match result {
        Ok(done) => done,
        Err((error, status)) => render(
            status,
            &PasswordPage {
                chrome,
                error: Some(error),
            },
        ),
    }
}
