//! The channels as data (`/api/v1/channels`): what a relying system or another front end
//! needs to show a channel's products, fees and rules. Public, like the channel pages.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use domain::Channel;

use crate::AppState;
use crate::error::ApiError;
use crate::lang::AcceptLang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/channels", get(list))
        .route("/channels/{code}", get(one))
}

/// The enabled channels, by code (money in integer fen).
#[utoipa::path(get, path = "/api/v1/channels", responses((status = 200, description = "the enabled channels' definitions, as in the hall configuration")))]
pub async fn list(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
) -> Result<Json<Vec<Channel>>, ApiError> {
    services::hall::channels::enabled(&state.app)
        .await
        .map(Json)
        .map_err(|e| ApiError::new(e, lang))
}

/// One enabled channel.
#[utoipa::path(get, path = "/api/v1/channels/{code}", params(("code" = String, Path, description = "The channel's code, e.g. huanbao")), responses((status = 200, description = "the channel's definition"), (status = 404, description = "no such enabled channel")))]
pub async fn one(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Path(code): Path<String>,
) -> Result<Json<Channel>, ApiError> {
    services::hall::channels::get_enabled(&state.app, &code)
        .await
        .map(Json)
        .map_err(|e| ApiError::new(e, lang))
}
