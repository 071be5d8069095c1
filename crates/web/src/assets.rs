//! The pages' static assets, compiled into the binary (no CDN, no web fonts).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

const APP_CSS: &str = include_str!("../assets/app.css");
const LOGO_SVG: &str = include_str!("../assets/logo.svg");
const DOCUMENTS_JS: &str = include_str!("../assets/documents.js");
const VIEWER_JS: &str = include_str!("../assets/viewer.js");
const VERIFICATION_JS: &str = include_str!("../assets/verification.js");
const ORDER_JS: &str = include_str!("../assets/order.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/assets/app.css",
            get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/assets/documents.js",
            get(|| async { asset(DOCUMENTS_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/verification.js",
            get(|| async { asset(VERIFICATION_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/order.js",
            get(|| async { asset(ORDER_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/viewer.js",
            get(|| async { asset(VIEWER_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/logo.svg",
            get(|| async { asset(LOGO_SVG, "image/svg+xml") }),
        )
        .route(
            "/favicon.ico",
            get(|| async { asset(LOGO_SVG, "image/svg+xml") }),
        )
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Assets change only with the binary; an hour keeps upgrades visible soon enough.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
