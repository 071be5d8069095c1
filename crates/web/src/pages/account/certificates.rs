//! 我的证书: the customer's certificates (holder, validity in Beijing time, status, the key
//! that carries each) and their download as PEM, DER or CER. The use case decides what is
//! the customer's.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::CertificateStatus;
use services::flows::certificates::{self, MyCertificate};

use super::{SignedIn, personal};
use crate::AppState;
use crate::pages::{Chrome, PageRequest, error_page, framed, local_time, render};

#[derive(Template)]
#[template(path = "account/certificates.html")]
struct CertificatesPage {
    chrome: Chrome,
    certificates: Vec<MyCertificate>,
}
framed!(CertificatesPage);

impl CertificatesPage {
    fn time(&self, at: &i64) -> String {
        local_time(*at)
    }
    fn badge(&self, status: &CertificateStatus) -> &'static str {
        match status {
            CertificateStatus::Valid => "good",
            CertificateStatus::OnHold => "wait",
            CertificateStatus::Revoked => "bad",
        }
    }
    /// The holder's name: the subject's CN.
    fn holder(&self, subject: &str) -> String {
        subject
            .split(',')
            .find_map(|part| part.trim().strip_prefix("CN="))
            .unwrap_or(subject)
            .to_string()
    }
}

pub async fn list(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
) -> Response {
    let chrome = personal(&state, &request, &customer, "/certificates");
    match certificates::mine(&state.app, &customer).await {
        Ok(certificates) => render(
            StatusCode::OK,
            &CertificatesPage {
                chrome,
                certificates,
            },
        ),
        Err(e) => error_page(chrome, &e),
    }
}

/// `/certificates/{serial}/{pem,der,cer}`: the certificate as a file.
pub async fn download(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path((serial, format)): Path<(String, String)>,
) -> Response {
    let chrome = personal(&state, &request, &customer, "/certificates");
    let found = match certificates::one(&state.app, &customer, &serial).await {
        Ok(found) => found,
        Err(e) => return error_page(chrome, &e),
    };
    let (bytes, content_type) = match format.as_str() {
        "pem" => match pki::certificate::to_pem(&found.der) {
            Ok(pem) => (pem.into_bytes(), "application/x-pem-file"),
            Err(e) => return error_page(chrome, &services::ServiceError::internal("pem", e)),
        },
        "der" | "cer" => (found.der, "application/pkix-cert"),
        _ => {
            return error_page(
                chrome,
                &services::ServiceError::new(
                    services::ErrorKind::NotFound,
                    "unknown_format",
                    "PEM, DER or CER",
                    "格式应为 PEM、DER 或 CER",
                ),
            );
        }
    };
    (
        [
            ("content-type", content_type.to_string()),
            ("x-content-type-options", "nosniff".to_string()),
            ("cache-control", "private, no-store".to_string()),
            (
                "content-disposition",
                format!("attachment; filename=\"{}.{format}\"", found.serial),
            ),
        ],
        bytes,
    )
        .into_response()
}
