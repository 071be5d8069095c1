//! CertHall over HTTP (axum): the business hall's and the console's pages, the REST API,
//! OCSP, CRL and CA certificate publishing, health and metrics.
//!
//! Handlers are thin: they find out who is calling ([`auth`]), parse the input, call one
//! use case of `services` on the [`services::App`] and render its answer. This crate does
//! not depend on `store`: every read and write goes through a use case, which also decides
//! what the caller may do.

mod api;
mod assets;
mod auth;
mod client_ip;
mod cookies;
mod error;
mod json_body;
mod lang;
mod ocsp;
mod ops;
mod origin;
mod pages;
mod pay_notify;
mod publish;
mod query;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use services::App;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use client_ip::IpRange;
pub use error::ApiError;

/// Largest request body anywhere (CSRs are a few KiB).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Everything a handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    /// Mark cookies `Secure` (when the public URL is https).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<IpRange>>,
}

/// The whole HTTP application. Serve it with `into_make_service_with_connect_info::<SocketAddr>()`
/// so that limits can see the client's address.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(assets::routes())
        .merge(publish::routes())
        .merge(ocsp::routes())
        .merge(pay_notify::routes())
        .merge(ops::routes())
        .nest("/api/v1", api::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            origin::same_site_only,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
