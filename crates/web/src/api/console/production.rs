//! Production over the API, for the producer's workstation (`certhall-key produce`): the
//! queue, then a job's four steps (start on the key read, issue for its CSR, finish with
//! the proof, or fail naming the step). A producer's console session; roles and the
//! separation of duties are checked by the use cases. The start's answer carries the key's
//! PINs once: it is never cached.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use services::flows::produce::{self, Failure, KeyReport, Proof, StartRequest};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::applications::{ApplicationView, view};
use crate::auth::Operator;
use crate::error::{ApiError, ErrorBody};
use crate::json_body::ApiJson;
use crate::lang::AcceptLang;

fn invalid(field: &str, en: &str, zh: &str, lang: domain::Lang) -> ApiError {
    ApiError::new(
        services::ServiceError::new(
            services::ErrorKind::Invalid,
            "invalid_field",
            en.to_string(),
            zh.to_string(),
        )
        .with_field(field),
        lang,
    )
}

fn job_id(text: &str, lang: domain::Lang) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ApiError::new(
                services::ServiceError::new(
                    services::ErrorKind::NotFound,
                    "unknown_job",
                    format!("no production job {text:?}"),
                    "制证任务不存在",
                ),
                lang,
            )
        })
}

#[derive(Serialize, ToSchema)]
pub struct ProductionItemView {
    application: ApplicationView,
    /// Keys the application needs.
    keys_wanted: u32,
    keys_made: u32,
    keys_under_way: u32,
}

/// The production queue, the longest waiting first (producers and administrators).
#[utoipa::path(get, path = "/api/v1/console/production", security(("console" = [])), responses((status = 200, body = [ProductionItemView])))]
pub async fn queue(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
) -> Result<Json<Vec<ProductionItemView>>, ApiError> {
    let items = produce::queue(&state.app, &session.actor())
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(
        items
            .iter()
            .map(|item| ProductionItemView {
                application: view(&item.application, lang, None),
                keys_wanted: item.keys.0,
                keys_made: item.keys.1,
                keys_under_way: item.keys.2,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyBody {
    /// The key's `manufacturerID` (PKCS#11 `C_GetTokenInfo`).
    vendor: String,
    #[serde(default)]
    model: String,
    /// The key's `serialNumber`.
    serial: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The application to produce; the queue's first when absent.
    #[serde(default)]
    application: Option<i64>,
    /// Without `application`: the queue's first among this order's applications (404
    /// `order_done` once none is left).
    #[serde(default)]
    order: Option<i64>,
    key: KeyBody,
    /// The workstation's name.
    workstation: String,
}

#[derive(Serialize, ToSchema)]
pub struct StartedView {
    job: i64,
    application: i64,
    application_number: String,
    holder: String,
    /// `ecdsa` (P-256), `rsa` (2048) or `sm2`.
    family: String,
    /// The token label to set.
    label: String,
    /// The security officer's PIN to initialise the key with (given once; never shown).
    so_pin: String,
    /// The SO PIN the key holds now, when CertHall initialised it before; else the
    /// vendor's transport PIN opens it.
    current_so_pin: Option<String>,
    /// The user PIN to set.
    user_pin: String,
    user_pin_must_change: bool,
    /// `envelope_with_key` (the workstation prints the PIN envelope), `sms_to_agent`,
    /// `legal_representative` (sent by the server when the key is made) or
    /// `initial_pin_to_change`.
    pin_delivery: String,
    /// Base64: what the key signs at the end.
    challenge: String,
}

/// Starts producing a key: the key read must be in stock (producers).
#[utoipa::path(post, path = "/api/v1/console/production/jobs", request_body = StartBody, security(("console" = [])), responses(
    (status = 201, body = StartedView, description = "The job; the key's PINs, once"),
    (status = 404, body = ErrorBody, description = "no such application, or the queue is empty"),
    (status = 409, body = ErrorBody, description = "the key is not in stock, or the application not ready"),
    (status = 422, body = ErrorBody),
))]
pub async fn start(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    ApiJson(body): ApiJson<StartBody>,
) -> Result<Response, ApiError> {
    let started = produce::start(
        &state.app,
        &session.actor(),
        &StartRequest {
            application: body.application,
            order: body.order,
            key: KeyReport {
                vendor: body.key.vendor,
                model: body.key.model,
                serial: body.key.serial,
            },
            workstation: body.workstation,
        },
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    let view = StartedView {
        job: started.job,
        application: started.application,
        application_number: started.application_number,
        holder: started.holder,
        family: started.family,
        label: started.label,
        so_pin: started.so_pin.to_string(),
        current_so_pin: started.current_so_pin.map(|pin| pin.to_string()),
        pin_delivery: serde_json::to_value(started.pin_delivery)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        user_pin: started.user_pin.to_string(),
        user_pin_must_change: started.user_pin_must_change,
        challenge: base64::engine::general_purpose::STANDARD.encode(&started.challenge),
    };
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(view),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CsrBody {
    /// The certificate request signed on the key (PEM).
    csr: String,
}

#[derive(Serialize, ToSchema)]
pub struct IssuedView {
    serial: String,
    /// The certificate (PEM) to write to the key.
    certificate: String,
    /// The issuing CA's certificate (PEM).
    ca_certificate: String,
}

/// Issues the job's certificate for the key's CSR, with the application's subject.
#[utoipa::path(post, path = "/api/v1/console/production/jobs/{id}/csr", request_body = CsrBody, security(("console" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = IssuedView), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody, description = "a bad CSR"),
))]
pub async fn csr(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CsrBody>,
) -> Result<Json<IssuedView>, ApiError> {
    let id = job_id(&id, lang)?;
    let issued = produce::issue(&state.app, &session.actor(), id, body.csr.as_bytes())
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let pem = |der: &[u8]| crate::api::pem(der, lang);
    Ok(Json(IssuedView {
        certificate: pem(&issued.der)?,
        ca_certificate: pem(&issued.ca_der)?,
        serial: issued.serial,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishBody {
    /// The certificate as read back from the key (PEM).
    certificate: String,
    /// The signature algorithm's OID, dotted.
    algorithm: String,
    /// Base64: the job's challenge signed on the key.
    signature: String,
}

/// The key is made: the certificate read back and the challenge signed prove it.
#[utoipa::path(post, path = "/api/v1/console/production/jobs/{id}/finish", request_body = FinishBody, security(("console" = [])), params(("id" = i64, Path)), responses(
    (status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody, description = "the proof does not hold"),
))]
pub async fn finish(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FinishBody>,
) -> Result<StatusCode, ApiError> {
    let id = job_id(&id, lang)?;
    let certificate = pki::certificate::from_pem(body.certificate.as_bytes()).map_err(|_| {
        invalid(
            "certificate",
            "not a certificate (PEM)",
            "不是证书（PEM）",
            lang,
        )
    })?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(body.signature.trim())
        .map_err(|_| invalid("signature", "not base64", "签名应为 base64", lang))?;
    produce::finish(
        &state.app,
        &session.actor(),
        id,
        &Proof {
            certificate,
            algorithm: body.algorithm,
            signature,
        },
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailBody {
    /// `read_key`, `init_token`, `set_pin`, `generate_key`, `sign_request`, `issue`,
    /// `write_certificate` or `verify`.
    step: String,
    message: String,
    /// The key itself is faulty: it goes to damaged, not back to stock.
    #[serde(default)]
    key_damaged: bool,
}

/// A step failed: the job's certificate is revoked, the key back to stock (or damaged).
#[utoipa::path(post, path = "/api/v1/console/production/jobs/{id}/fail", request_body = FailBody, security(("console" = [])), params(("id" = i64, Path)), responses(
    (status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
))]
pub async fn fail(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Operator(session): Operator,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FailBody>,
) -> Result<StatusCode, ApiError> {
    let id = job_id(&id, lang)?;
    let step = domain::production::Step::parse(&body.step)
        .ok_or_else(|| invalid("step", "not a production step", "不是制证步骤", lang))?;
    produce::fail(
        &state.app,
        &session.actor(),
        id,
        &Failure {
            step,
            message: body.message,
            key_damaged: body.key_damaged,
        },
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}
