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
        badge(status)
    }
}

fn badge(status: &CertificateStatus) -> &'static str {
    match status {
        CertificateStatus::Valid => "good",
        CertificateStatus::OnHold => "wait",
        CertificateStatus::Revoked => "bad",
    }
}

#[derive(Template)]
#[template(path = "account/certificate.html")]
struct CertificatePage {
    chrome: Chrome,
    c: MyCertificate,
    /// Past its validity now.
    expired: bool,
    /// Days of validity left (0 once expired).
    days_left: i64,
}
framed!(CertificatePage);

impl CertificatePage {
    fn time(&self, at: &i64) -> String {
        local_time(*at)
    }
    fn badge(&self, status: &CertificateStatus) -> &'static str {
        badge(status)
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

/// `/certificates/{serial}`: one certificate, whole.
pub async fn details(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path(serial): Path<String>,
) -> Response {
    let chrome = personal(&state, &request, &customer, "/certificates");
    match certificates::one(&state.app, &customer, &serial).await {
        Ok(c) => {
            let now = state.app.now().seconds();
            render(
                StatusCode::OK,
                &CertificatePage {
                    chrome,
                    expired: c.not_after < now,
                    days_left: ((c.not_after - now) / 86_400).max(0),
                    c,
                },
            )
        }
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
