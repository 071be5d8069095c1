//! Login (登录) and logout (退出, here or everywhere).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use services::people::accounts;

use super::optional_customer;
use crate::AppState;
use crate::auth::session_cookie;
use crate::client_ip::ClientIp;
use crate::pages::{
    Chrome, CsrfForm, Form, FormError, LoginForm, NextQuery, PageRequest, framed, hall_frame,
    refusal_page, render, run_form, safe_next, see_other,
};

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    chrome: Chrome,
    phone: String,
    next: String,
    error: Option<FormError>,
}
framed!(LoginPage);

pub async fn form(
    State(state): State<AppState>,
    request: PageRequest,
    Query(query): Query<NextQuery>,
) -> Response {
    let chrome = hall_frame(&state, &request, None);
    render(
        StatusCode::OK,
        &LoginPage {
            chrome,
            phone: String::new(),
            next: safe_next(query.next.as_deref(), "/me"),
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
    let next = safe_next(form.next.as_deref(), "/me");
    let result = run_form(&request, &form.csrf, None, || async {
        let session = accounts::login(
            &state.app,
            &form.login,
            &form.password,
            &ip,
            crate::auth::session_token(&request.headers).as_deref(),
        )
        .await?;
        let cookie = session_cookie(&state, &session.token, session.max_age_seconds);
        Ok(see_other(&next, Some(cookie)))
    })
    .await;
    match result {
        Ok(done) => done,
        Err((error, status)) => render(
            status,
            &LoginPage {
                chrome: hall_frame(&state, &request, None),
                phone: form.login.trim().to_string(),
                next,
                error: Some(error),
            },
        ),
    }
}

async fn end_session(
    state: AppState,
    request: PageRequest,
    form: CsrfForm,
    everywhere: bool,
) -> Response {
    let Some(customer) = optional_customer(&state, &request).await else {
        return see_other("/", Some(session_cookie(&state, "", 0)));
    };
    let to = if everywhere {
        "/login?notice=logged_out_everywhere"
    } else {
        "/login?notice=logged_out"
    };
    let result = run_form(&request, &form.csrf, Some(&customer.live), || async {
        accounts::logout(&state.app, &customer, everywhere).await?;
        Ok(see_other(to, Some(session_cookie(&state, "", 0))))
    })
    .await;
    match result {
        Ok(done) => done,
        Err(refusal) => refusal_page(hall_frame(&state, &request, Some(&customer)), refusal),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    request: PageRequest,
    Form(form): Form<CsrfForm>,
) -> Response {
    end_session(state, request, form, false).await
}

pub async fn logout_everywhere(
    State(state): State<AppState>,
    request: PageRequest,
    Form(form): Form<CsrfForm>,
) -> Response {
    end_session(state, request, form, true).await
}
