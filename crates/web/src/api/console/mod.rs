//! The operator console's API (`/api/v1/console`): its own login and session cookie
//! (`certhall_console`; a customer session never opens it), CSRF tokens on every change,
//! and what the console shows. Which roles may see what is decided by the use cases.

pub mod audit;
pub mod operators;
pub mod outbox;
pub mod production;
pub mod reviews;
pub mod session;
pub mod shipping;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/session",
            post(session::login)
                .get(session::me)
                .delete(session::logout),
        )
        .route("/console/operators", get(operators::list_operators))
        .route("/console/audit", get(audit::audit_log))
        .route("/console/outbox", get(outbox::outbox))
        .route("/console/production", get(production::queue))
        .route("/console/shipping", get(shipping::queue))
        .route("/console/applications/{id}/ship", post(shipping::ship_keys))
        .route(
            "/console/applications/{id}/waybill",
            post(shipping::make_waybill),
        )
        .route("/console/production/jobs", post(production::start))
        .route("/console/production/jobs/{id}/csr", post(production::csr))
        .route(
            "/console/production/jobs/{id}/finish",
            post(production::finish),
        )
        .route("/console/production/jobs/{id}/fail", post(production::fail))
        .route("/console/outbox/{id}/retry", post(outbox::retry_message))
        .route("/console/reviews", get(reviews::queue))
        .route("/console/applications/{id}", get(reviews::one))
        .route("/console/applications/{id}/take", post(reviews::take))
        .route("/console/applications/{id}/release", post(reviews::release))
        .route("/console/applications/{id}/approve", post(reviews::approve))
        .route("/console/applications/{id}/reject", post(reviews::reject))
        .route(
            "/console/applications/{id}/documents/{slot}",
            get(reviews::document),
        )
}
