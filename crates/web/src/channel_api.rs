//! The channels as data (`/api/v1/channels`): what a relying system or another front end
//! needs to show a channel's products, fees and rules. Public, like the channel pages.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use domain::Channel;

use crate::AppState;
use crate::error::{ApiError, Lang};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/channels", get(list))
        .route("/channels/{code}", get(one))
}

/// The enabled channels, by code (money in integer fen).
#[utoipa::path(get, path = "/api/v1/channels", responses((status = 200, description = "the enabled channels' definitions, as in the hall configuration")))]
pub async fn list(
    State(state): State<AppState>,
    lang: Lang,
) -> Result<Json<Vec<Channel>>, ApiError> {
    let channels = services::channels::list(&state.pki.store)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(
        channels
            .into_iter()
            .map(|c| c.channel)
            .filter(|c| c.enabled)
            .collect(),
    ))
}

/// One enabled channel.
#[utoipa::path(get, path = "/api/v1/channels/{code}", responses((status = 200, description = "the channel's definition"), (status = 404, description = "no such enabled channel")))]
pub async fn one(
    State(state): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
) -> Result<Json<Channel>, ApiError> {
    services::channels::get_enabled(&state.pki.store, &code)
        .await
        .map(Json)
        .map_err(|e| ApiError::new(e, lang))
}
