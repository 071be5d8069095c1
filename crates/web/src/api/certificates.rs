//! Certificates over the API:
//! - for registration-authority integrations: the CAs (public), issue from a CSR, look up,
//!   revoke / hold / release, authenticated with `Authorization: Bearer <token>` (tokens
//!   come from `certhall token create`, scoped to CAs and profiles);
//! - the public status look-up (`/certificate-status/{serial}`), for anyone, rationed;
//! - 我的证书 (`/me/certificates`): a customer's own certificates, in their session.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::Lang;
use pki::RevocationReason;
use serde::{Deserialize, Serialize};
use services::ca::{self, CertificateInfo, IssueRequest};
use services::flows::{self, certificates::MyCertificate};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Caller, Customer};
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ErrorBody};
use crate::json_body::ApiJson;
use crate::lang::AcceptLang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cas", get(list_cas))
        .route("/certificates", post(issue))
        .route("/certificates/{serial}", get(get_certificate))
        .route("/certificates/{serial}/revocation", post(revoke))
        .route("/certificate-status/{serial}", get(certificate_status))
        .route("/me/certificates", get(my_certificates))
        .route("/me/certificates/{serial}", get(my_certificate))
}

#[derive(Serialize, ToSchema)]
pub struct CaView {
    name: String,
    /// `sm2`, `rsa` or `ecdsa`.
    algorithm: String,
    /// `root` or `issuing`.
    role: String,
    subject: String,
    /// RFC 3339, UTC.
    not_after: String,
    sha256: String,
    certificate_url: String,
    crl_url: String,
}

/// The CAs of this installation (public: relying parties need them).
#[utoipa::path(get, path = "/api/v1/cas", responses((status = 200, body = [CaView])))]
pub async fn list_cas(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
) -> Result<Json<Vec<CaView>>, ApiError> {
    let cas = ca::list(&state.app)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(
        cas.into_iter()
            .map(|ca| CaView {
                name: ca.name,
                algorithm: ca.family.as_str().into(),
                role: ca.role.as_str().into(),
                subject: ca.subject,
                not_after: rfc3339(ca.not_after),
                sha256: ca.sha256,
                certificate_url: ca.certificate_url,
                crl_url: ca.crl_url,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    /// An issuing CA's name, e.g. `ecdsa-ca`.
    ca: String,
    /// `org-sign`, `org-enc`, `person-sign` or `ocsp`.
    profile: String,
    /// The PKCS#10 request, PEM.
    csr: String,
    /// Validity in days (default: the profile's).
    days: Option<u32>,
    /// Replaces subject fields of the CSR, e.g. `/C=CN/O=某公司/organizationIdentifier=91350100M000100Y43/CN=某公司`.
    subject: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CertificateView {
    serial: String,
    ca: String,
    profile: String,
    subject: String,
    not_before: String,
    not_after: String,
    /// `valid`, `on_hold` or `revoked`.
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revocation_reason: Option<String>,
    certificate_pem: String,
}

/// Issues a certificate from a CSR.
#[utoipa::path(post, path = "/api/v1/certificates", request_body = IssueBody,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CertificateView, description = "Issued and durably stored"),
        (status = 401, body = ErrorBody, description = "No or bad token"),
        (status = 403, body = ErrorBody, description = "The token's scope does not cover this CA or profile"),
        (status = 404, body = ErrorBody, description = "Unknown CA"),
        (status = 413, description = "Body over 64 KiB"),
        (status = 422, body = ErrorBody, description = "Bad CSR, subject, profile or validity; `field` names it"),
    ))]
pub async fn issue(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Caller(actor): Caller,
    ApiJson(body): ApiJson<IssueBody>,
) -> Result<impl IntoResponse, ApiError> {
    let request = IssueRequest {
        ca: &body.ca,
        profile: &body.profile,
        csr: body.csr.as_bytes(),
        days: body.days,
        subject: body.subject.as_deref(),
    };
    let issued = ca::issue(&state.app, &actor, request)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok((StatusCode::CREATED, Json(view(issued, lang)?)))
}

/// A certificate as the API shows it.
fn view(found: CertificateInfo, lang: Lang) -> Result<CertificateView, ApiError> {
    let pem = super::pem(&found.der, lang)?;
    Ok(CertificateView {
        serial: found.serial,
        ca: found.ca,
        profile: found.profile,
        subject: found.subject,
        not_before: rfc3339(found.not_before),
        not_after: rfc3339(found.not_after),
        status: found.status.as_str().into(),
        revoked_at: found.revoked_at.map(rfc3339),
        revocation_reason: found.reason.map(|r| r.as_str().to_string()),
        certificate_pem: pem,
    })
}

/// Looks up a certificate and its status. Tokens see only certificates of their CAs.
#[utoipa::path(get, path = "/api/v1/certificates/{serial}", security(("bearer" = [])),
    params(("serial" = String, Path, description = "Hexadecimal serial")),
    responses((status = 200, body = CertificateView), (status = 404, body = ErrorBody)))]
pub async fn get_certificate(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Caller(actor): Caller,
    Path(serial): Path<String>,
) -> Result<Json<CertificateView>, ApiError> {
    let found = ca::certificates::find(&state.app, &actor, &serial)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(view(found, lang)?))
}

#[derive(Serialize, ToSchema)]
pub struct StatusView {
    /// Canonical hexadecimal, lower case.
    serial: String,
    /// `good`, `revoked` (also a hold: reason `certificateHold`) or `unknown` (not issued here).
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revocation_reason: Option<String>,
    /// The issuing CA, when the certificate is ours.
    #[serde(skip_serializing_if = "Option::is_none")]
    ca: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_after: Option<String>,
    /// Past `not_after` when answered.
    expired: bool,
    checked_at: String,
}

/// The public status of a certificate (证书状态查询): no credentials, nothing of the
/// holder, rationed per client address (relying systems that ask often use OCSP).
#[utoipa::path(get, path = "/api/v1/certificate-status/{serial}",
    params(("serial" = String, Path, description = "Hexadecimal serial, colons allowed")),
    responses(
        (status = 200, body = StatusView, description = "good, revoked or unknown"),
        (status = 422, body = ErrorBody, description = "Not a serial number (`field`: serial)"),
        (status = 429, body = ErrorBody, description = "Too many look-ups from this address; see Retry-After"),
    ))]
pub async fn certificate_status(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    ClientIp(ip): ClientIp,
    Path(serial): Path<String>,
) -> Result<Json<StatusView>, ApiError> {
    let answer = ca::status::look_up(&state.app, &ip, &serial)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let (revoked_at, revocation_reason) = match answer.state {
        ca::status::PublicState::Revoked { at, reason } => {
            (Some(rfc3339(at)), Some(reason.as_str().to_string()))
        }
        _ => (None, None),
    };
    Ok(Json(StatusView {
        expired: answer.expired(),
        status: answer.state.as_str().into(),
        serial: answer.serial,
        revoked_at,
        revocation_reason,
        ca: answer.ca,
        not_before: answer.not_before.map(rfc3339),
        not_after: answer.not_after.map(rfc3339),
        checked_at: rfc3339(answer.checked_at),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation,
    /// certificateHold, removeFromCRL (releases a hold), privilegeWithdrawn, unspecified.
    reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct RevocationView {
    serial: String,
    ca: String,
    /// `valid` (hold released), `on_hold` or `revoked`.
    status: String,
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<String>,
}

/// Revokes, holds, or releases a hold on a certificate.
#[utoipa::path(post, path = "/api/v1/certificates/{serial}/revocation", request_body = RevokeBody,
    security(("bearer" = [])),
    params(("serial" = String, Path, description = "Hexadecimal serial")),
    responses(
        (status = 200, body = RevocationView),
        (status = 404, body = ErrorBody, description = "Unknown serial"),
        (status = 409, body = ErrorBody, description = "Already revoked, or not on hold for removeFromCRL"),
        (status = 422, body = ErrorBody, description = "Unknown reason or malformed serial"),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Caller(actor): Caller,
    Path(serial): Path<String>,
    ApiJson(body): ApiJson<RevokeBody>,
) -> Result<Json<RevocationView>, ApiError> {
    let reason: RevocationReason = body
        .reason
        .parse()
        .map_err(|e| ApiError::new(services::ServiceError::from_pki(e, "reason"), lang))?;
    let revoked = ca::revoke(&state.app, &actor, &serial, reason)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(RevocationView {
        serial: revoked.serial,
        ca: revoked.ca,
        status: revoked.status.as_str().into(),
        reason: revoked.reason.as_str().into(),
        revoked_at: revoked.revoked_at.map(rfc3339),
    }))
}

/// RFC 3339 in UTC.
pub(crate) fn rfc3339(unix: i64) -> String {
    match pki::time::generalized_time(unix) {
        Ok(t) => {
            let d = t.to_date_time();
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                d.year(),
                d.month(),
                d.day(),
                d.hour(),
                d.minutes(),
                d.seconds()
            )
        }
        Err(_) => unix.to_string(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct MyCertificateView {
    serial: String,
    /// The holder (the subject's CN) and the whole subject.
    holder: String,
    subject: String,
    ca: String,
    profile: String,
    not_before: String,
    not_after: String,
    /// `valid`, `on_hold` or `revoked` (expiry follows from `not_after`).
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revocation_reason: Option<String>,
    /// The USB key that carries it.
    key_serial: String,
    key_model: String,
    application_id: i64,
    application_number: String,
    channel: String,
    produced_at: String,
    sha256: String,
    certificate_pem: String,
}

fn my_view(c: MyCertificate, lang: Lang) -> Result<MyCertificateView, ApiError> {
    let pem = super::pem(&c.der, lang)?;
    Ok(MyCertificateView {
        holder: c.holder().to_string(),
        sha256: c.sha256(),
        serial: c.serial,
        subject: c.subject,
        ca: c.ca,
        profile: c.profile,
        not_before: rfc3339(c.not_before),
        not_after: rfc3339(c.not_after),
        status: c.status.as_str().into(),
        revoked_at: c.revoked_at.map(rfc3339),
        revocation_reason: c.reason.map(|r| r.as_str().to_string()),
        key_serial: c.key_serial,
        key_model: c.key_model,
        application_id: c.application_id,
        application_number: c.application_number,
        channel: c.channel_code,
        produced_at: rfc3339(c.produced_at),
        certificate_pem: pem,
    })
}

/// 我的证书: the certificates produced for the customer's applications, newest first.
#[utoipa::path(get, path = "/api/v1/me/certificates", security(("customer" = [])),
    responses((status = 200, body = [MyCertificateView]), (status = 401, body = ErrorBody)))]
pub async fn my_certificates(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
) -> Result<Json<Vec<MyCertificateView>>, ApiError> {
    let list = flows::certificates::mine(&state.app, &session)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(
        list.into_iter()
            .map(|c| my_view(c, lang))
            .collect::<Result<_, _>>()?,
    ))
}

/// One of the customer's certificates; another's is "not found".
#[utoipa::path(get, path = "/api/v1/me/certificates/{serial}", security(("customer" = [])),
    params(("serial" = String, Path, description = "Hexadecimal serial")),
    responses((status = 200, body = MyCertificateView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn my_certificate(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
    Path(serial): Path<String>,
) -> Result<Json<MyCertificateView>, ApiError> {
    let found = flows::certificates::one(&state.app, &session, &serial)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(my_view(found, lang)?))
}
