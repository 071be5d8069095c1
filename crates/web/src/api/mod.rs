//! The REST API (`/api/v1`): one file per resource, the OpenAPI description in
//! [`openapi`]. Handlers authenticate through [`crate::auth`], read bodies through
//! [`crate::json_body::ApiJson`], call one use case and shape its answer.

pub mod accounts;
pub mod applications;
pub mod certificates;
pub mod channels;
pub mod console;
pub mod openapi;
pub mod profile;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::openapi))
        .merge(certificates::routes())
        .merge(accounts::routes())
        .merge(channels::routes())
        .merge(profile::routes())
        .merge(applications::routes())
        .merge(console::routes())
}
