//! The home page: the channels a customer can do business in.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::public_frame;
use crate::AppState;
use crate::pages::{Chrome, PageRequest, error_page, framed, render};

/// A channel as a card on the home page.
pub struct ChannelCard {
    pub code: String,
    pub name: String,
    pub relying_system: String,
    pub business: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "hall/home.html")]
struct HomePage {
    chrome: Chrome,
    channels: Vec<ChannelCard>,
}
framed!(HomePage);

pub async fn home(State(state): State<AppState>, request: PageRequest) -> Response {
    let chrome = public_frame(&state, &request).await;
    let channels = match services::hall::channels::enabled(&state.app).await {
        Ok(list) => list,
        Err(e) => return error_page(chrome, &e),
    };
    let en = chrome.is_en();
    let cards = channels
        .into_iter()
        .map(|ch| ChannelCard {
            name: if en {
                ch.name_en.clone()
            } else {
                ch.name_zh.clone()
            },
            relying_system: if en {
                ch.relying_system.name_en.clone()
            } else {
                ch.relying_system.name_zh.clone()
            },
            business: ch
                .offered()
                .map(|(b, _)| if en { b.name_en() } else { b.name_zh() })
                .collect(),
            code: ch.code,
        })
        .collect();
    render(
        StatusCode::OK,
        &HomePage {
            chrome,
            channels: cards,
        },
    )
}
