//! Console login and logout.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use services::people::operators;

use super::require_operator_posting;
use crate::AppState;
use crate::auth::console_cookie;
use crate::client_ip::ClientIp;
use crate::pages::{
    Area, Chrome, CsrfForm, Form, FormError, LoginForm, NextQuery, PageRequest, error_page, framed,
    render, run_form, safe_next, see_other,
};

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    chrome: Chrome,
    username: String,
    next: String,
    error: Option<FormError>,
}
framed!(LoginPage);

pub async fn form(
    State(state): State<AppState>,
    request: PageRequest,
    Query(query): Query<NextQuery>,
) -> Response {
    let chrome = request.chrome(&state, Area::Console, None, None);
    render(
        StatusCode::OK,
        &LoginPage {
            chrome,
            username: String::new(),
            next: safe_next(query.next.as_deref(), "/console"),
            error: None,
        },
    )
}

pub async fn submit(
    State(state): State<AppState>,
    request: PageRequest,
    ClientIp(ip): ClientIp,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref(), "/console");
    let next = if next.starts_with("/console") {
        next
    } else {
        "/console".into()
    };
    let result = run_form(&request, &form.csrf, None, || async {
        let started = operators::login(
            &state.app,
            form.login.trim(),
            &form.password,
            &ip,
            crate::auth::console_token(&request.headers).as_deref(),
        )
        .await?;
        let cookie = console_cookie(&state, &started.token, started.max_age_seconds);
        Ok(see_other(&next, Some(cookie)))
    })
    .await;
    match result {
        Ok(done) => done,
        Err((error, status)) => render(
            status,
            &LoginPage {
                chrome: request.chrome(&state, Area::Console, None, None),
                username: form.login.trim().to_string(),
                next,
                error: Some(error),
            },
        ),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    request: PageRequest,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (operator, chrome) = match require_operator_posting(&state, &request, &[], &form.csrf).await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(e) = operators::logout(&state.app, &operator).await {
        return error_page(chrome, &e);
    }
    see_other("/console/login", Some(console_cookie(&state, "", 0)))
}
