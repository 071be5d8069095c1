//! The REST API (`/api/v1`): one file per resource, the OpenAPI description in
//! [`openapi`]. Handlers authenticate through [`crate::auth`], read bodies through
//! [`crate::json_body::ApiJson`], call one use case and shape its answer.

pub mod accounts;
pub mod applications;
pub mod certificates;
pub mod channels;
pub mod console;
pub mod openapi;
pub mod orders;
pub mod profile;
pub mod verification;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::get;

use crate::AppState;

/// A certificate's DER as the PEM an answer carries.
pub(crate) fn pem(der: &[u8], lang: domain::Lang) -> Result<String, crate::error::ApiError> {
    pki::certificate::to_pem(der)
        .map_err(|e| crate::error::ApiError::new(services::ServiceError::internal("pem", e), lang))
}

/// Every API answer is personal or a session's (`/me` carries the CSRF token) unless it
/// says otherwise: not stored by the browser or a proxy.
async fn not_stored(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::openapi))
        .merge(certificates::routes())
        .merge(accounts::routes())
        .merge(channels::routes())
        .merge(profile::routes())
        .merge(applications::routes())
        .merge(orders::routes())
        .merge(verification::routes())
        .merge(console::routes())
        .layer(axum::middleware::map_response(not_stored))
}
