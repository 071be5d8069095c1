//! CertHall over HTTP (axum): the business hall's and the console's pages, the REST API,
//! OCSP, CRL and CA certificate publishing, health and metrics. Handlers are thin: they parse, call a use case of [`services::Pki`], and
//! render.

mod account_api;
mod api;
mod assets;
mod channel_api;
mod client_ip;
mod console_api;
mod error;
mod json_body;
mod ocsp;
mod ops;
mod pages;
mod profile_api;
mod publish;
mod session_cookie;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use services::Pki;
use services::accounts::Accounts;
use services::profiles::Profiles;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use client_ip::IpRange;
pub use error::{ApiError, Lang};

/// Largest request body anywhere (CSRs are a few KiB).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Everything a handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pki: Arc<Pki>,
    pub accounts: Arc<Accounts>,
    pub profiles: Arc<Profiles>,
    /// Mark cookies `Secure` (when the public URL is https).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<IpRange>>,
    /// The hall's site settings and separation-of-duties rules.
    pub hall: Arc<HallSettings>,
}

/// What the pages need from the hall configuration (channels live in the database).
pub struct HallSettings {
    pub site: services::hall::Site,
    pub duties: domain::SeparationOfDuties,
}

/// The whole HTTP application. Serve it with `into_make_service_with_connect_info::<SocketAddr>()`
/// so that limits can see the client's address.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(assets::routes())
        .merge(publish::routes())
        .merge(ocsp::routes())
        .merge(ops::routes())
        .nest(
            "/api/v1",
            api::routes()
                .merge(account_api::routes())
                .merge(channel_api::routes())
                .merge(profile_api::routes())
                .merge(console_api::routes()),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
