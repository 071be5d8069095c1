//! `GET /pki/ca/{ca}.crt` (DER) and `GET /pki/crl/{ca}.crl` (DER).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::Lang;

use crate::AppState;
use crate::error::ApiError;
use crate::lang::AcceptLang;

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

async fn ca_certificate(
    State(state): State<AppState>,
    Path(file): Path<String>,
    AcceptLang(lang): AcceptLang,
) -> Result<Response, ApiError> {
    let Some(name) = file.strip_suffix(".crt") else {
        return Err(not_found(lang, &file));
    };
    let ca = services::ca::by_name(&state.app, name)
        .await
        .map_err(|e| ApiError::new(e, lang))?
        .ok_or_else(|| not_found(lang, &file))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pkix-cert"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        ca.cert_der,
    )
        .into_response())
}

async fn crl(
    State(state): State<AppState>,
    Path(file): Path<String>,
    AcceptLang(lang): AcceptLang,
) -> Result<Response, ApiError> {
    let Some(name) = file.strip_suffix(".crl") else {
        return Err(not_found(lang, &file));
    };
    let crl = services::ca::crl::current(&state.app, name)
        .await
        .map_err(|e| ApiError::new(e, lang))?
        .ok_or_else(|| not_found(lang, &file))?;
    let max_age = (crl.next_update - state.app.now().seconds()).clamp(0, 3600);
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
