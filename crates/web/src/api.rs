//! The REST API (`/api/v1`) for registration-authority integrations: issue from a CSR,
//! revoke, look up. Authenticated with `Authorization: Bearer <token>` (tokens come from
//! `certhall token create`, scoped to CAs and profiles). Described by `/api/v1/openapi.json`.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use pki::RevocationReason;
use pki::name::SubjectFields;
use serde::{Deserialize, Serialize};
use services::actor::Actor;
use services::issuance::IssueRequest;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ErrorBody, Lang};
use crate::json_body::ApiJson;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/cas", get(list_cas))
        .route("/certificates", post(issue))
        .route("/certificates/{serial}", get(get_certificate))
        .route("/certificates/{serial}/revocation", post(revoke))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "CertHall API", description = "Issue, revoke and look up certificates. Errors are {\"error\": {\"code\", \"message\", \"field\"}}; messages follow Accept-Language (Chinese by default)."),
    paths(
        list_cas, issue, get_certificate, revoke,
        crate::account_api::send_code, crate::account_api::register, crate::account_api::login,
        crate::account_api::logout, crate::account_api::logout_everywhere, crate::account_api::reset_password,
        crate::account_api::me, crate::account_api::change_password,
        crate::console_api::login, crate::console_api::me, crate::console_api::logout,
        crate::console_api::list_operators, crate::console_api::audit_log,
        crate::console_api::outbox, crate::console_api::retry_message,
        crate::profile_api::get_profile, crate::profile_api::put_profile, crate::profile_api::list_addresses,
        crate::profile_api::add_address, crate::profile_api::update_address, crate::profile_api::delete_address,
        crate::profile_api::make_default,
        crate::channel_api::list, crate::channel_api::one,
    ),
    components(schemas(
        CaView, IssueBody, CertificateView, RevokeBody, RevocationView, ErrorBody,
        crate::account_api::CodeRequest, crate::account_api::CodeSentView, crate::account_api::RegisterRequest,
        crate::account_api::LoginRequest, crate::account_api::SessionView, crate::account_api::ResetRequest,
        crate::account_api::ChangePasswordRequest,
        crate::console_api::ConsoleLogin, crate::console_api::OperatorView, crate::console_api::AuditView, crate::console_api::MessageView,
        crate::profile_api::ProfileBody, crate::profile_api::AddressBody, crate::profile_api::AddressView, crate::profile_api::Created,
    )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

/// The caller, authenticated by bearer token.
struct Caller(Actor);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = Lang::from_headers(&parts.headers);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        state
            .pki
            .authenticate_token(token.trim())
            .await
            .map(Caller)
            .map_err(|e| ApiError::new(e, lang))
    }
}

#[derive(Serialize, ToSchema)]
struct CaView {
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
async fn list_cas(State(state): State<AppState>) -> Json<Vec<CaView>> {
    Json(
        state
            .pki
            .registry
            .all()
            .iter()
            .map(|ca| CaView {
                name: ca.name.clone(),
                algorithm: ca.family.as_str().into(),
                role: ca.role.as_str().into(),
                subject: ca.subject.clone(),
                not_after: rfc3339(ca.not_after),
                sha256: ca.sha256.clone(),
                certificate_url: ca.urls.ca_issuers.clone(),
                crl_url: ca.urls.crl.clone(),
            })
            .collect(),
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct IssueBody {
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
struct CertificateView {
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
async fn issue(
    State(state): State<AppState>,
    lang: Lang,
    Caller(actor): Caller,
    ApiJson(body): ApiJson<IssueBody>,
) -> Result<impl IntoResponse, ApiError> {
    let subject = match &body.subject {
        Some(text) => Some(
            text.parse::<SubjectFields>()
                .map_err(|e| ApiError::new(services::ServiceError::from_pki(e, "subject"), lang))?,
        ),
        None => None,
    };
    let issued = state
        .pki
        .issue(
            IssueRequest {
                ca: &body.ca,
                profile: &body.profile,
                csr: body.csr.as_bytes(),
                days: body.days,
                subject,
            },
            &actor,
        )
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let pem = pki::certificate::to_pem(&issued.der)
        .map_err(|e| ApiError::new(services::ServiceError::internal("pem", e), lang))?;
    Ok((
        StatusCode::CREATED,
        Json(CertificateView {
            serial: issued.serial,
            ca: issued.ca,
            profile: issued.profile,
            subject: issued.subject,
            not_before: rfc3339(issued.not_before),
            not_after: rfc3339(issued.not_after),
            status: "valid".into(),
            revoked_at: None,
            revocation_reason: None,
            certificate_pem: pem,
        }),
    ))
}

/// Looks up a certificate and its status. Tokens see only certificates of their CAs.
#[utoipa::path(get, path = "/api/v1/certificates/{serial}", security(("bearer" = [])),
    params(("serial" = String, Path, description = "Hexadecimal serial")),
    responses((status = 200, body = CertificateView), (status = 404, body = ErrorBody)))]
async fn get_certificate(
    State(state): State<AppState>,
    lang: Lang,
    Caller(actor): Caller,
    Path(serial): Path<String>,
) -> Result<Json<CertificateView>, ApiError> {
    let not_found = || {
        ApiError::new(
            services::ServiceError::new(
                services::ErrorKind::NotFound,
                "unknown_serial",
                format!("no certificate with serial {serial}"),
                format!("没有序列号为 {serial} 的证书"),
            )
            .with_field("serial"),
            lang,
        )
    };
    let canonical = pki::serial::Serial::from_hex(&serial)
        .map_err(|_| not_found())?
        .to_hex();
    let record = store::certificates::find_by_serial(&state.pki.store, &canonical)
        .await
        .map_err(|e| ApiError::new(e.into(), lang))?
        .ok_or_else(not_found)?;
    let ca = state
        .pki
        .registry
        .by_id(record.ca_id)
        .ok_or_else(not_found)?;
    // Out-of-scope certificates look like missing ones: no probing other CAs' serials.
    actor.check_ca(&ca.name).map_err(|_| not_found())?;
    let reason = record
        .reason
        .and_then(|c| u8::try_from(c).ok())
        .and_then(RevocationReason::from_code);
    let status = match reason {
        None => "valid",
        Some(RevocationReason::CertificateHold) => "on_hold",
        Some(_) => "revoked",
    };
    let pem = pki::certificate::to_pem(&record.der)
        .map_err(|e| ApiError::new(services::ServiceError::internal("pem", e), lang))?;
    Ok(Json(CertificateView {
        serial: record.serial,
        ca: ca.name.clone(),
        profile: record.profile,
        subject: record.subject,
        not_before: rfc3339(record.not_before),
        not_after: rfc3339(record.not_after),
        status: status.into(),
        revoked_at: record.revoked_at.map(rfc3339),
        revocation_reason: reason.map(|r| r.as_str().to_string()),
        certificate_pem: pem,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    /// keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation,
    /// certificateHold, removeFromCRL (releases a hold), privilegeWithdrawn, unspecified.
    reason: String,
}

#[derive(Serialize, ToSchema)]
struct RevocationView {
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
async fn revoke(
    State(state): State<AppState>,
    lang: Lang,
    Caller(actor): Caller,
    Path(serial): Path<String>,
    ApiJson(body): ApiJson<RevokeBody>,
) -> Result<Json<RevocationView>, ApiError> {
    let reason: RevocationReason = body
        .reason
        .parse()
        .map_err(|e| ApiError::new(services::ServiceError::from_pki(e, "reason"), lang))?;
    let revoked = state
        .pki
        .revoke(&serial, reason, &actor)
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
fn rfc3339(unix: i64) -> String {
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
