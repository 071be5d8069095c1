//! The hall's public pages: the home page with the channels, each channel's page and the
//! certificate status look-up.

mod channel;
mod home;
mod phone;
mod sandbox;
mod status;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

use crate::AppState;
use crate::pages::{Chrome, PageRequest, hall_frame};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/c/{code}", get(channel::channel_page))
        .route("/status", get(status::page))
        .route(
            "/sandbox/identity/face/{reference}",
            get(sandbox::face).post(sandbox::finish_face),
        )
        .route("/sandbox/identity/bank", get(sandbox::bank))
        .route(
            "/m/{token}",
            get(phone::form)
                .post(phone::submit)
                .layer(DefaultBodyLimit::max(
                    crate::api::applications::UPLOAD_BODY_LIMIT,
                )),
        )
}

/// The frame of a public page: anonymous, or showing the customer who is logged in.
async fn public_frame(state: &AppState, request: &PageRequest) -> Chrome {
    let customer = crate::auth::customer(state, &request.headers).await.ok();
    hall_frame(state, request, customer.as_ref())
}
