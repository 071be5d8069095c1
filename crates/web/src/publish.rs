//! `GET /pki/ca/{ca}.crt` (DER) and `GET /pki/crl/{ca}.crl` (DER).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use services::LoadedCa;

use crate::AppState;
use crate::error::{ApiError, Lang};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pki/ca/{file}", get(ca_certificate))
        .route("/pki/crl/{file}", get(crl))
}

fn not_found(lang: Lang, file: &str) -> ApiError {
    ApiError::new(
        services::ServiceError::new(
            services::ErrorKind::NotFound,
            "not_found",
            format!("no such file: {file}"),
            format!("文件不存在：{file}"),
        ),
        lang,
    )
}

/// The CA a file name such as `sm2-ca.crt` names, given the extension it must have.
fn ca_of<'a>(
    state: &'a AppState,
    file: &str,
    extension: &str,
    lang: Lang,
) -> Result<&'a Arc<LoadedCa>, ApiError> {
    file.strip_suffix(extension)
        .and_then(|name| state.pki.registry.by_name(name))
        .ok_or_else(|| not_found(lang, file))
}

async fn ca_certificate(
    State(state): State<AppState>,
    Path(file): Path<String>,
    lang: Lang,
) -> Result<Response, ApiError> {
    let ca = ca_of(&state, &file, ".crt", lang)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pkix-cert"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        ca.cert_der.clone(),
    )
        .into_response())
}

async fn crl(
    State(state): State<AppState>,
    Path(file): Path<String>,
    lang: Lang,
) -> Result<Response, ApiError> {
    let ca = ca_of(&state, &file, ".crl", lang)?;
    let crl = state
        .pki
        .current_crl(ca)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let max_age = (crl.next_update - pki::time::now_unix()).clamp(0, 3600);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pkix-crl".to_string()),
            (header::CACHE_CONTROL, format!("public, max-age={max_age}")),
        ],
        crl.der.clone(),
    )
        .into_response())
}
