//! An application's real-name verification over the API
//! (`/api/v1/applications/{id}/verification`): its state (asking the identity service for
//! the result of an open face check), a check by a method, the penny-drop's code, and the
//! documents for the reviewer instead. The same use cases as the pages (`flows::verify`):
//! a refusal names the field (422), no answer from the service is 503, and either way the
//! application is unchanged.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::application::verification::LegalRepresentativeForm;
use domain::application::{Method, Party};
use serde::{Deserialize, Serialize};
use services::ServiceError;
use services::flows::application::Applicant;
use services::flows::verify::{self, VerificationState};
use utoipa::ToSchema;

use super::applications::application_id;
use crate::AppState;
use crate::auth::{Customer, CustomerWithCsrf};
use crate::error::{ApiError, ErrorBody};
use crate::json_body::ApiJson;
use crate::lang::AcceptLang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/applications/{id}/verification", get(state))
        .route("/applications/{id}/verification/checks", post(check))
        .route("/applications/{id}/verification/code", post(code))
        .route("/applications/{id}/verification/documents", post(documents))
}

#[derive(Serialize, ToSchema)]
pub struct VerificationView {
    /// The application's version (name it in the next change).
    version: i64,
    parties: Vec<PartyView>,
}

#[derive(Serialize, ToSchema)]
pub struct PartyView {
    /// `organisation` or `agent`.
    party: String,
    /// The methods the channel offers for it.
    methods: Vec<String>,
    /// How it was verified: a method, or `documents`; absent until then.
    outcome: Option<String>,
    outcome_at: Option<i64>,
    /// Checks waiting for a code or a face.
    pending: Vec<PendingView>,
}

#[derive(Serialize, ToSchema)]
pub struct PendingView {
    id: i64,
    method: String,
    expires_at: i64,
    /// Penny-drop: tries left, and the account paid (masked).
    tries_left: Option<i64>,
    account: Option<String>,
    /// Face: the page for the phone, and it as a QR code (SVG).
    face_url: Option<String>,
    qr_svg: Option<String>,
}

fn view(state: VerificationState) -> VerificationView {
    VerificationView {
        version: state.version,
        parties: state
            .parties
            .into_iter()
            .map(|p| PartyView {
                party: p.party.as_str().into(),
                methods: p.methods.iter().map(|m| m.as_str().to_string()).collect(),
                outcome: p
                    .outcome
                    .as_ref()
                    .map(|o| o.method().map_or("documents", |m| m.as_str()).to_string()),
                outcome_at: p.outcome.as_ref().map(|o| o.at()),
                pending: p
                    .pending
                    .into_iter()
                    .map(|c| PendingView {
                        id: c.id,
                        method: c.method.as_str().into(),
                        expires_at: c.expires_at,
                        tries_left: (c.method == Method::PennyDrop).then_some(c.tries_left),
                        account: c.account,
                        face_url: c.face_url,
                        qr_svg: c.qr_svg,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The verification of a draft; an open face check's result is asked for first.
#[utoipa::path(get, path = "/api/v1/applications/{id}/verification", security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = VerificationView), (status = 404, body = ErrorBody),
))]
pub async fn state(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> Result<Json<VerificationView>, ApiError> {
    let id = application_id(&id, lang)?;
    let found = verify::state(&state.app, &Applicant::customer(&session), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(view(found)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    /// 开户银行.
    #[schema(max_length = 64)]
    bank: String,
    /// 对公账号, 8 to 32 digits.
    #[schema(max_length = 40)]
    number: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// The version read.
    version: i64,
    /// `penny_drop`, `legal_rep_mobile`, `legal_rep_bank_card`, `legal_rep_face`,
    /// `agent_mobile`, `agent_bank_card` or `agent_face`.
    method: String,
    /// For the legal representative's methods: `name`, `id_number`, `mobile`, and
    /// `bank_card` for the four-factor check.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    legal_representative: Option<LegalRepresentativeForm>,
    /// The agent's card, for `agent_bank_card`.
    #[serde(default)]
    #[schema(max_length = 32)]
    bank_card: Option<String>,
    /// The corporate account, for `penny_drop`.
    #[serde(default)]
    account: Option<AccountBody>,
    /// Face checks: also send the link by SMS to the person's phone.
    #[serde(default)]
    by_sms: bool,
}

fn unknown_method() -> ServiceError {
    ServiceError::new(
        services::ErrorKind::Invalid,
        "unknown_method",
        "not a verification method",
        "不是有效的认证方式",
    )
    .with_field("method")
}

/// A check by one method: answered at once for the mobile and bank card checks (the
/// outcome is recorded on a match); a penny-drop or a face check is opened and shows as
/// pending.
#[utoipa::path(post, path = "/api/v1/applications/{id}/verification/checks", request_body = CheckBody, security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = VerificationView), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "not a draft, or changed meanwhile"),
    (status = 422, body = ErrorBody, description = "a field's format (`legal_rep.mobile`, `legal_rep.bank_card`…), a method not offered, or the service's refusal naming the field"),
    (status = 429, body = ErrorBody, description = "too many checks today"),
    (status = 503, body = ErrorBody, description = "the identity service did not answer; nothing changed"),
))]
pub async fn check(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CheckBody>,
) -> Result<Json<VerificationView>, ApiError> {
    let id = application_id(&id, lang)?;
    let app = &state.app;
    let method =
        Method::parse(&body.method).ok_or_else(|| ApiError::new(unknown_method(), lang))?;
    let (account_bank, account_number) =
        body.account.map(|a| (a.bank, a.number)).unwrap_or_default();
    let input = verify::CheckInput {
        legal_representative: body.legal_representative.unwrap_or_default(),
        agent_bank_card: body.bank_card.unwrap_or_default(),
        account_bank,
        account_number,
        by_sms: body.by_sms,
    };
    verify::check(
        app,
        &Applicant::customer(&session),
        id,
        body.version,
        method,
        &input,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    let found = verify::state(app, &Applicant::customer(&session), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(view(found)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    version: i64,
    /// The six digits of the penny-drop's remark.
    #[schema(max_length = 16)]
    code: String,
}

/// The penny-drop's code, as read on the company's statement (3 tries, 48 hours).
#[utoipa::path(post, path = "/api/v1/applications/{id}/verification/code", request_body = CodeBody, security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = VerificationView), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "not a draft, or changed meanwhile"),
    (status = 422, body = ErrorBody, description = "wrong or expired code, or no transfer waiting (`code`)"),
))]
pub async fn code(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Json<VerificationView>, ApiError> {
    let id = application_id(&id, lang)?;
    verify::confirm_transfer(
        &state.app,
        &Applicant::customer(&session),
        id,
        body.version,
        &body.code,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    let found = verify::state(&state.app, &Applicant::customer(&session), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(view(found)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentsBody {
    version: i64,
    /// `organisation` or `agent`.
    party: String,
}

/// 上传资料人工审核: the party is left to the reviewer's check of the documents.
#[utoipa::path(post, path = "/api/v1/applications/{id}/verification/documents", request_body = DocumentsBody, security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = VerificationView), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "not a draft, or changed meanwhile"),
    (status = 422, body = ErrorBody, description = "a party this application does not verify (`party`)"),
))]
pub async fn documents(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DocumentsBody>,
) -> Result<Json<VerificationView>, ApiError> {
    let id = application_id(&id, lang)?;
    let party = Party::parse(&body.party).ok_or_else(|| {
        ApiError::new(
            ServiceError::new(
                services::ErrorKind::Invalid,
                "unknown_party",
                "`organisation` or `agent`",
                "应为 organisation 或 agent",
            )
            .with_field("party"),
            lang,
        )
    })?;
    verify::by_documents(
        &state.app,
        &Applicant::customer(&session),
        id,
        body.version,
        party,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    let found = verify::state(&state.app, &Applicant::customer(&session), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(view(found)))
}
