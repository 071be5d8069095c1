//! The payment providers' notices: `POST /pay/notify/{provider}`, outside the session and
//! CSRF machinery (a provider has neither; the notice's own signature is what counts). The
//! body is read as the exact bytes received, at most 64 KiB, before any form or JSON
//! parsing: the signature covers those bytes. The answer is the one the provider expects.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/pay/notify/{provider}",
        post(notice).layer(DefaultBodyLimit::max(64 * 1024)),
    )
}

async fn notice(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.app.online_payments_named(&provider).is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let received = services::flows::pay::NoticeHeaders::new(
        headers
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))),
    );
    let (status, text) =
        services::flows::pay::take_notice(&state.app, &provider, &received, &body).await;
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}
