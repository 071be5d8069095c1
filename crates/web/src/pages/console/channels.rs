//! Channels (administrators): the list with the separation-of-duties rules, and a
//! channel's definition edited as TOML (checked, versioned, audited).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Role;
use serde::Deserialize;
use services::hall::channels;

use super::{require_operator, require_operator_posting};
use crate::AppState;
use crate::pages::local_time;
use crate::pages::{Chrome, Form, FormError, PageRequest, error_page, framed, render, see_other};

pub struct ChannelRow {
    pub code: String,
    pub name: String,
    pub enabled: bool,
    pub version: i64,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "console/channels.html")]
struct ChannelsPage {
    chrome: Chrome,
    rows: Vec<ChannelRow>,
    duties: Vec<(String, String)>,
}

pub async fn page(State(state): State<AppState>, request: PageRequest) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &[Role::Admin]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let channels = match channels::all(&state.app, &operator.actor()).await {
        Ok(list) => list,
        Err(e) => return error_page(chrome, &e),
    };
    let rows = channels
        .into_iter()
        .map(|c| ChannelRow {
            name: chrome
                .pick(&c.channel.name_zh, &c.channel.name_en)
                .to_string(),
            code: c.channel.code,
            enabled: c.channel.enabled,
            version: c.version,
            updated: local_time(c.updated_at),
        })
        .collect();
    let duty_name = |d: domain::Duty| chrome.t.t(&format!("duty.{}", d.as_str())).to_string();
    let duties = state
        .app
        .hall
        .separation_of_duties
        .0
        .iter()
        .map(|rule| (duty_name(rule.first), duty_name(rule.then)))
        .collect();
    render(
        StatusCode::OK,
        &ChannelsPage {
            chrome,
            rows,
            duties,
        },
    )
}

#[derive(Template)]
#[template(path = "console/channel_edit.html")]
struct ChannelEditPage {
    chrome: Chrome,
    code: String,
    version: i64,
    definition: String,
    error: Option<FormError>,
}

pub async fn edit_form(
    State(state): State<AppState>,
    request: PageRequest,
    Path(code): Path<String>,
) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &[Role::Admin]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let stored = match channels::get(&state.app, &operator.actor(), &code).await {
        Ok(stored) => stored,
        Err(e) => return error_page(chrome, &e),
    };
    let definition = match channels::to_toml(&stored.channel) {
        Ok(text) => text,
        Err(e) => return error_page(chrome, &e),
    };
    render(
        StatusCode::OK,
        &ChannelEditPage {
            chrome,
            code,
            version: stored.version,
            definition,
            error: None,
        },
    )
}

#[derive(Deserialize)]
pub struct ChannelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    definition: String,
}

pub async fn save(
    State(state): State<AppState>,
    request: PageRequest,
    Path(code): Path<String>,
    Form(form): Form<ChannelForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &[Role::Admin], &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    match channels::update(
        &state.app,
        &operator.actor(),
        &code,
        &form.definition,
        form.version,
    )
    .await
    {
        Ok(_) => see_other(
            &format!("/console/channels/{code}?notice=channel_saved"),
            None,
        ),
        Err(e) => render(
            crate::error::status_of(e.kind),
            &ChannelEditPage {
                error: Some(FormError::from_service(&e, request.lang)),
                chrome,
                code,
                version: form.version,
                definition: form.definition,
            },
        ),
    }
}

framed!(ChannelsPage, ChannelEditPage);
