//! The customer's applications over the API (`/api/v1/applications`): start one, fill in
//! its steps (each saved at once, naming the version it read), send the signing code,
//! submit, take it back to edit, cancel; read one with its timeline, or all. Only the
//! session's own customer is ever read or changed: another customer's id is "not found",
//! exactly like one that does not exist (the use cases check it).

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use domain::application::PinRoute;
use domain::application::{AgentForm, IndividualForm, InvoiceForm, OrganisationForm, Subject};
use domain::{AddressInput, Lang, Status};
use serde::{Deserialize, Serialize};
use services::flows::application::{self, Applicant, Application, TimelineEntry};
use services::flows::{apply, cancel, edit, print, readdress, submit, upload};
use utoipa::ToSchema;

use super::accounts::CodeSentView;
use crate::AppState;
use crate::auth::{Customer, CustomerWithCsrf};
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ErrorBody};
use crate::json_body::ApiJson;
use crate::lang::AcceptLang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/applications", get(list).post(start))
        .route("/applications/{id}", get(one))
        .route("/applications/{id}/product", put(choose_product))
        .route("/applications/{id}/subject", put(describe_subject))
        .route("/applications/{id}/agent", put(describe_agent))
        .route("/applications/{id}/delivery", put(choose_delivery))
        .route("/applications/{id}/agreement", put(accept_agreement))
        .route("/applications/{id}/signing-code", post(send_signing_code))
        .route("/applications/{id}/submission", post(submit_application))
        .route("/applications/{id}/edit", post(edit_application))
        .route(
            "/applications/{id}/mailing-address",
            put(readdress_application),
        )
        .route(
            "/applications/{id}/mailing-address/code",
            post(send_readdress_code),
        )
        .route("/applications/{id}/cancellation", post(cancel_application))
        .route("/applications/{id}/shipment", get(shipment))
        .route("/applications/{id}/receipt", post(confirm_receipt))
        .route("/applications/{id}/pdf/{kind}", get(get_pdf))
        .route(
            "/applications/{id}/documents/{slot}/phone-link",
            post(make_phone_link),
        )
        .route(
            "/applications/{id}/documents/{slot}",
            post(upload_document)
                .get(get_document)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
}

/// The body limit of an upload route: the largest image plus the multipart framing.
pub(crate) const UPLOAD_BODY_LIMIT: usize = 2 * 1024 * 1024 + crate::upload::FRAMING_BYTES;

/// An application id from the path; anything else is "not found" like an unknown id.
pub(crate) fn application_id(text: &str, lang: Lang) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::new(application::not_found(0), lang))
}

#[derive(Serialize, ToSchema)]
pub struct ProductView {
    product: String,
    years: u32,
    quantity: u32,
}

#[derive(Serialize, ToSchema)]
pub struct SignatureView {
    /// SHA-256 (hex) of what was signed.
    digest: String,
    at: i64,
    /// The number the code went to, masked.
    phone: String,
}

#[derive(Serialize, ToSchema)]
pub struct TimelineView {
    at: i64,
    /// The audit action, e.g. `application.submit`.
    action: String,
    /// What happened, in the request's language.
    what: String,
    /// `customer`, `operator` (as the customer sees reviewers) or the operator's label.
    by: String,
    status: Option<String>,
    step: Option<String>,
    reason: Option<String>,
}

fn timeline_view(entry: &TimelineEntry, lang: Lang) -> TimelineView {
    TimelineView {
        at: entry.at,
        action: entry.action.as_str().into(),
        what: lang
            .pick(entry.action.name_zh(), entry.action.name_en())
            .into(),
        by: entry.by.clone(),
        status: entry.status.map(|s| s.as_str().into()),
        step: entry.step.map(|s| s.as_str().into()),
        reason: entry.reason.clone(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    slot: String,
    /// SHA-256 (hex) of the stored image.
    sha256: String,
    at: i64,
}

/// An application with what the customer entered (forms as they can be sent back).
#[derive(Serialize, ToSchema)]
pub struct ApplicationView {
    id: i64,
    /// The receipt number (申请单号).
    number: String,
    channel: String,
    business: String,
    /// `draft`, `submitted`, `under_review`, `rejected`, `approved`, … `cancelled`.
    status: String,
    /// The status as the customer reads it, in the request's language.
    status_name: String,
    /// The first step not yet done (`confirm` when everything is filled in).
    next_step: String,
    /// Name it in every save and in the submission.
    version: i64,
    /// In fen, from the channel's fees.
    price_fen: Option<u64>,
    product: ProductView,
    /// `organization` or `individual`.
    holder: String,
    #[schema(value_type = Option<Object>)]
    organisation: Option<OrganisationForm>,
    #[schema(value_type = Option<Object>)]
    individual: Option<IndividualForm>,
    #[schema(value_type = Option<Object>)]
    agent: Option<AgentForm>,
    courier: Option<String>,
    #[schema(value_type = Option<Object>)]
    address: Option<AddressInput>,
    #[schema(value_type = Option<Object>)]
    invoice: Option<InvoiceForm>,
    /// The uploaded documents.
    documents: Vec<DocumentView>,
    /// The slots still to upload.
    missing_documents: Vec<String>,
    /// The real-name verification of each party done so far.
    verification: Vec<OutcomeView>,
    /// Where the key's PIN will go, by the channel's policy and the verification:
    /// `envelope_with_key`, `initial_pin_to_change`, `sms` or `payment_remark`.
    pin_delivery: Option<String>,
    /// The accepted agreement's version, when accepted.
    agreement_accepted: Option<String>,
    /// The channel's agreement's current version (accept this one).
    agreement_version: String,
    signed: Option<SignatureView>,
    submitted_at: Option<i64>,
    reject_reason: Option<String>,
    created_at: i64,
    updated_at: i64,
    /// Every step with its time and who did it (in `GET /applications/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    timeline: Option<Vec<TimelineView>>,
}

/// One party's verification outcome.
#[derive(Serialize, ToSchema)]
pub struct OutcomeView {
    /// `organisation` or `agent`.
    party: String,
    /// The method (`penny_drop`, `legal_rep_mobile`, …), or `documents` for the reviewer's
    /// manual check.
    method: String,
    /// The method as the customer reads it.
    name: String,
    at: i64,
}

pub(crate) fn view(
    a: &Application,
    lang: Lang,
    timeline: Option<&[TimelineEntry]>,
) -> ApplicationView {
    let (organisation, individual) = match &a.content.subject {
        Some(Subject::Organisation(o)) => (Some(o.to_form()), None),
        Some(Subject::Individual(i)) => (None, Some(i.to_form())),
        None => (None, None),
    };
    ApplicationView {
        id: a.id,
        number: a.number.clone(),
        channel: a.channel.code.clone(),
        business: a.business.as_str().into(),
        status: a.status.as_str().into(),
        status_name: lang.pick(a.status.name_zh(), a.status.name_en()).into(),
        next_step: a.next_step.as_str().into(),
        version: a.version,
        price_fen: a.price.map(|p| p.0),
        product: ProductView {
            product: a.content.product.product.clone(),
            years: a.content.product.years,
            quantity: a.content.product.quantity,
        },
        holder: match a.content.holder {
            domain::channel::Holder::Organization => "organization".into(),
            domain::channel::Holder::Individual => "individual".into(),
        },
        organisation,
        individual,
        agent: a.content.agent.as_ref().map(|g| g.to_form()),
        courier: a.content.shipping.as_ref().map(|s| s.courier.clone()),
        address: a.content.shipping.as_ref().map(|s| s.address.clone()),
        invoice: a.content.invoice.as_ref().map(|i| i.to_form()),
        documents: a
            .content
            .documents
            .iter()
            .map(|(slot, doc)| DocumentView {
                slot: slot.as_str().into(),
                sha256: doc.sha256.clone(),
                at: doc.at,
            })
            .collect(),
        missing_documents: a
            .content
            .missing_documents(&a.channel)
            .into_iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        verification: domain::application::Party::ALL
            .into_iter()
            .filter_map(|party| {
                let o = a.content.verification.of(party)?;
                Some(OutcomeView {
                    party: party.as_str().into(),
                    method: o.method().map_or("documents", |m| m.as_str()).into(),
                    name: lang.pick(o.name_zh(), o.name_en()).into(),
                    at: o.at(),
                })
            })
            .collect(),
        pin_delivery: a.content.pin_route(a.channel.pin.delivery).map(|r| {
            match r {
                PinRoute::EnvelopeWithKey => "envelope_with_key",
                PinRoute::InitialPinToChange => "initial_pin_to_change",
                PinRoute::Sms { .. } => "sms",
                PinRoute::PaymentRemark { .. } => "payment_remark",
            }
            .to_string()
        }),
        agreement_accepted: a.content.agreement.as_ref().map(|g| g.version.clone()),
        agreement_version: apply::agreement_version(&a.channel),
        signed: a.signed.as_ref().map(|s| SignatureView {
            digest: s.digest.clone(),
            at: s.at,
            phone: s.phone.clone(),
        }),
        submitted_at: a.submitted_at,
        reject_reason: a.reject_reason.clone(),
        created_at: a.created_at,
        updated_at: a.updated_at,
        timeline: timeline.map(|t| t.iter().map(|e| timeline_view(e, lang)).collect()),
    }
}

/// The customer's applications, newest first (未完成 ones can be continued or cancelled).
#[utoipa::path(get, path = "/api/v1/applications", security(("customer" = [])), responses((status = 200, body = [ApplicationView])))]
pub async fn list(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
) -> Result<Json<Vec<ApplicationView>>, ApiError> {
    let list = application::mine(&state.app, &session)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(list.iter().map(|a| view(a, lang, None)).collect()))
}

/// One of the customer's applications, with its timeline.
#[utoipa::path(get, path = "/api/v1/applications/{id}", security(("customer" = [])), params(("id" = i64, Path, description = "The application id (another customer's is not found)")), responses(
    (status = 200, body = ApplicationView), (status = 404, body = ErrorBody, description = "no such application of this customer"),
))]
pub async fn one(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let id = application_id(&id, lang)?;
    let found = application::get(&state.app, &Applicant::customer(&session), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let timeline = application::timeline(&state.app, &session.actor(), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(view(&found, lang, Some(&timeline))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The channel's code, e.g. `huanbao`.
    channel: String,
    /// One of the channel's products.
    product: String,
    /// One of the product's validity options.
    #[schema(minimum = 1, maximum = 5)]
    years: u32,
    #[schema(minimum = 1, maximum = 50)]
    quantity: u32,
}

#[derive(Serialize, ToSchema)]
pub struct Saved {
    id: i64,
    version: i64,
    next_step: String,
}

async fn saved(
    state: &AppState,
    session: &services::people::accounts::CustomerSession,
    id: i64,
    lang: Lang,
) -> Result<Json<Saved>, ApiError> {
    let found = application::get(&state.app, &Applicant::customer(session), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(Saved {
        id,
        version: found.version,
        next_step: found.next_step.as_str().into(),
    }))
}

/// Starts a new-certificate application (step 1: channel, product, validity, quantity).
#[utoipa::path(post, path = "/api/v1/applications", request_body = StartBody, security(("customer" = [])), responses(
    (status = 201, body = Saved), (status = 404, body = ErrorBody, description = "no such channel"),
    (status = 422, body = ErrorBody, description = "a product, validity or quantity the channel does not offer; `field` names it"),
))]
pub async fn start(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    ApiJson(body): ApiJson<StartBody>,
) -> Result<impl IntoResponse, ApiError> {
    let input = apply::ProductInput {
        product: body.product,
        years: body.years,
        quantity: body.quantity,
    };
    let id = apply::start(
        &state.app,
        &Applicant::customer(&session),
        &body.channel,
        &input,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    Ok((
        StatusCode::CREATED,
        saved(&state, &session, id, lang).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    /// The version the customer saw.
    version: i64,
    product: String,
    #[schema(minimum = 1, maximum = 5)]
    years: u32,
    #[schema(minimum = 1, maximum = 50)]
    quantity: u32,
}

/// Changes the product, validity or quantity of a draft.
#[utoipa::path(put, path = "/api/v1/applications/{id}/product", request_body = ProductBody, security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = Saved), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not a draft, or changed meanwhile (`version`)"), (status = 422, body = ErrorBody),
))]
pub async fn choose_product(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProductBody>,
) -> Result<Json<Saved>, ApiError> {
    let id = application_id(&id, lang)?;
    let input = apply::ProductInput {
        product: body.product,
        years: body.years,
        quantity: body.quantity,
    };
    apply::choose_product(
        &state.app,
        &Applicant::customer(&session),
        id,
        body.version,
        &input,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    saved(&state, &session, id, lang).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectBody {
    version: i64,
    /// For an organisation certificate: `name`, `nature` (`enterprise`,
    /// `individual_business`, `public_institution`), `industry` (GB/T 4754 section letter),
    /// `three_in_one` with `uscc`, or `licence_number` and `organisation_code`;
    /// `department`; `custom` (the channel's fields by key).
    #[schema(value_type = Option<Object>)]
    organisation: Option<OrganisationForm>,
    /// For an individual certificate: `name`, `id_number`, `address`.
    #[schema(value_type = Option<Object>)]
    individual: Option<IndividualForm>,
}

/// Step 2: the organisation, or the person. A second unfinished application of this
/// account for the same holder in the channel is refused (409 `unfinished_application`).
#[utoipa::path(put, path = "/api/v1/applications/{id}/subject", request_body = SubjectBody, security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = Saved), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "not a draft, changed meanwhile, or another unfinished application for the same holder"),
    (status = 422, body = ErrorBody, description = "a field is wrong (e.g. the USCC's check character); `field` names it"),
))]
pub async fn describe_subject(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SubjectBody>,
) -> Result<Json<Saved>, ApiError> {
    let id = application_id(&id, lang)?;
    let input = match (body.organisation, body.individual) {
        (Some(o), None) => apply::SubjectInput::Organisation(o),
        (None, Some(i)) => apply::SubjectInput::Individual(i),
        _ => {
            return Err(ApiError::invalid(
                lang,
                "wrong_holder",
                "holder",
                "give either organisation or individual",
                "请填写单位信息或个人信息之一",
            ));
        }
    };
    apply::describe_subject(
        &state.app,
        &Applicant::customer(&session),
        id,
        body.version,
        &input,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    saved(&state, &session, id, lang).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentBody {
    version: i64,
    /// `name`, `email`, `landline`, `position`, `id_number` (the mobile is the account's).
    #[schema(value_type = Object)]
    agent: AgentForm,
}

/// Step 3: the agent (经办人).
#[utoipa::path(put, path = "/api/v1/applications/{id}/agent", request_body = AgentBody, security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = Saved), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
))]
pub async fn describe_agent(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AgentBody>,
) -> Result<Json<Saved>, ApiError> {
    let id = application_id(&id, lang)?;
    apply::describe_agent(
        &state.app,
        &Applicant::customer(&session),
        id,
        body.version,
        &body.agent,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    saved(&state, &session, id, lang).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryBody {
    version: i64,
    /// One of the channel's couriers (when the channel ships).
    #[serde(default)]
    courier: String,
    /// `recipient`, `phone`, `province`, `city`, `district`, `detail`, `postal_code`.
    #[serde(default)]
    #[schema(value_type = Object)]
    address: AddressInput,
    /// Also keep the address in the address book.
    #[serde(default)]
    save_address: bool,
    /// `needed`, `kind` (`electronic_normal`, `paper_normal`, `vat_special`), `title`,
    /// `email`, and for VAT special `taxpayer_id`, `address_phone`, `bank`, `account`.
    #[schema(value_type = Object)]
    invoice: InvoiceForm,
}

/// Step 4: delivery and invoice.
#[utoipa::path(put, path = "/api/v1/applications/{id}/delivery", request_body = DeliveryBody, security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = Saved), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
))]
pub async fn choose_delivery(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DeliveryBody>,
) -> Result<Json<Saved>, ApiError> {
    let id = application_id(&id, lang)?;
    let input = apply::DeliveryInput {
        courier: body.courier,
        address: body.address,
        save_address: body.save_address,
        invoice: body.invoice,
    };
    apply::choose_delivery(
        &state.app,
        &Applicant::customer(&session),
        id,
        body.version,
        &input,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    saved(&state, &session, id, lang).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementBody {
    version: i64,
    /// The `agreement_version` the customer read and accepts.
    agreement_version: String,
}

/// Step 6: accepts the channel's agreement (协议书) in the version read.
#[utoipa::path(put, path = "/api/v1/applications/{id}/agreement", request_body = AgreementBody, security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = Saved), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not a draft, changed meanwhile, or the agreement changed since it was read"),
))]
pub async fn accept_agreement(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AgreementBody>,
) -> Result<Json<Saved>, ApiError> {
    let id = application_id(&id, lang)?;
    apply::accept_agreement(
        &state.app,
        &Applicant::customer(&session),
        id,
        body.version,
        &body.agreement_version,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    saved(&state, &session, id, lang).await
}

/// Sends the SMS code that signs the submission to the agent's (the account's) phone.
#[utoipa::path(post, path = "/api/v1/applications/{id}/signing-code", security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 202, body = CodeSentView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not a draft"),
    (status = 422, body = ErrorBody, description = "not complete: `field` names the first missing step"), (status = 429, body = ErrorBody),
))]
pub async fn send_signing_code(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    ClientIp(ip): ClientIp,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = application_id(&id, lang)?;
    let sent = submit::send_code(&state.app, &Applicant::customer(&session), id, &ip, lang)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(crate::api::accounts::code_sent(sent))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// The version the confirmation page showed.
    version: i64,
    /// The SMS code.
    code: String,
}

/// Submits the application, signed with the SMS code (待审核).
#[utoipa::path(post, path = "/api/v1/applications/{id}/submission", request_body = SubmitBody, security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = SignatureView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not a draft, or changed since it was confirmed"),
    (status = 422, body = ErrorBody, description = "wrong, expired or used code (`code`), or not complete"),
))]
pub async fn submit_application(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SubmitBody>,
) -> Result<Json<SignatureView>, ApiError> {
    let id = application_id(&id, lang)?;
    let signature = submit::submit(
        &state.app,
        &Applicant::customer(&session),
        id,
        body.version,
        &body.code,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    Ok(Json(SignatureView {
        digest: signature.digest,
        at: signature.at,
        phone: signature.phone,
    }))
}

/// Sends the SMS code that signs a change of the mailing address (until review).
#[utoipa::path(post, path = "/api/v1/applications/{id}/mailing-address/code", security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 202, body = CodeSentView), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "still a draft, reviewed already, or not sent by courier (`field`: address)"), (status = 429, body = ErrorBody),
))]
pub async fn send_readdress_code(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    ClientIp(ip): ClientIp,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = application_id(&id, lang)?;
    let sent = readdress::send_code(&state.app, &Applicant::customer(&session), id, &ip, lang)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(crate::api::accounts::code_sent(sent))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReaddressBody {
    /// The version the customer saw.
    version: i64,
    /// `recipient`, `phone`, `province`, `city`, `district`, `detail`, `postal_code`.
    #[schema(value_type = Object)]
    address: AddressInput,
    /// The SMS code from `mailing-address/code`.
    code: String,
}

/// Changes the mailing address of a submitted application not yet reviewed (修改邮寄地址),
/// signed again with the SMS code. The courier and the status stay.
#[utoipa::path(put, path = "/api/v1/applications/{id}/mailing-address", request_body = ReaddressBody, security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = Saved, description = "the new version"), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "reviewed already, still a draft, or changed meanwhile"),
    (status = 422, body = ErrorBody, description = "an address field (`address.city`…) or the code (`code`) is wrong"),
))]
pub async fn readdress_application(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReaddressBody>,
) -> Result<Json<Saved>, ApiError> {
    let id = application_id(&id, lang)?;
    readdress::readdress(
        &state.app,
        &Applicant::customer(&session),
        id,
        body.version,
        &body.address,
        &body.code,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    saved(&state, &session, id, lang).await
}

/// Takes a submitted (not yet taken) or rejected application back to edit it (立即修改).
#[utoipa::path(post, path = "/api/v1/applications/{id}/edit", security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "under review or decided"),
))]
pub async fn edit_application(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = application_id(&id, lang)?;
    edit::edit(&state.app, &Applicant::customer(&session), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancels a draft, a submitted (not yet taken) or a rejected application.
#[utoipa::path(post, path = "/api/v1/applications/{id}/cancellation", security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "under review or decided"),
))]
pub async fn cancel_application(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = application_id(&id, lang)?;
    cancel::cancel(&state.app, &Applicant::customer(&session), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ShipmentView {
    /// The courier's code (`sf`, `sto`, `ems`…).
    courier: String,
    tracking_no: String,
    /// The courier's tracking page, when CertHall knows it.
    tracking_url: Option<String>,
    shipped_at: i64,
    received_at: Option<i64>,
    /// `confirmed` (签收 by the customer), `courier` (signed for, by the courier's record)
    /// or `assumed`.
    receipt: Option<String>,
    /// Where the parcel is, from the courier platform where one is configured: `waiting`,
    /// `collected`, `in_transit`, `delivering`, `signed`, `problem` or `returned`.
    #[serde(skip_serializing_if = "Option::is_none")]
    parcel_state: Option<String>,
    /// The parcel's journey from the courier platform, newest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<TrackingEventView>,
}

#[derive(Serialize, ToSchema)]
pub struct TrackingEventView {
    /// Unix seconds.
    at: i64,
    context: String,
    location: String,
}

/// The shipment of the customer's application (已寄出: courier and tracking number).
#[utoipa::path(get, path = "/api/v1/applications/{id}/shipment", security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = ShipmentView), (status = 404, body = ErrorBody, description = "no such application of yours, or not shipped"),
))]
pub async fn shipment(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> Result<Json<ShipmentView>, ApiError> {
    let id = application_id(&id, lang)?;
    // Another customer's application is "not found", as a missing one.
    let current = application::get(&state.app, &Applicant::customer(&session), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let found = services::flows::ship::of_application(&state.app, id)
        .await
        .map_err(|e| ApiError::new(e, lang))?
        .ok_or_else(|| {
            ApiError::new(
                services::ServiceError::new(
                    services::ErrorKind::NotFound,
                    "not_shipped",
                    "not shipped yet",
                    "尚未寄出",
                ),
                lang,
            )
        })?;
    // The platform's trouble leaves the shipment without its journey, not unanswered.
    let tracking = services::flows::ship::tracking(&state.app, &current)
        .await
        .map_err(|e| ApiError::new(e, lang))?
        .and_then(Result::ok);
    let (parcel_state, events) = match tracking {
        Some(t) => (
            Some(t.state.as_str().to_string()),
            t.events
                .into_iter()
                .map(|e| TrackingEventView {
                    at: e.at,
                    context: e.context,
                    location: e.location,
                })
                .collect(),
        ),
        None => (None, Vec::new()),
    };
    Ok(Json(ShipmentView {
        tracking_url: domain::courier::tracking_url(&found.courier, &found.tracking_no),
        courier: found.courier,
        tracking_no: found.tracking_no,
        shipped_at: found.shipped_at,
        received_at: found.received_at,
        receipt: found.receipt,
        parcel_state,
        events,
    }))
}

/// Confirms that the application's keys arrived (签收): 已完成.
#[utoipa::path(post, path = "/api/v1/applications/{id}/receipt", security(("customer" = [])), params(("id" = i64, Path)), responses(
    (status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not shipped, or received already"),
))]
pub async fn confirm_receipt(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = application_id(&id, lang)?;
    services::flows::ship::confirm_receipt(&state.app, &Applicant::customer(&session), id)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// A JPEG or PNG image, at most 2 MiB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Serialize, ToSchema)]
pub struct UploadedView {
    slot: String,
    /// SHA-256 (hex) of the stored (re-encoded) image.
    sha256: String,
    width: u32,
    height: u32,
    version: i64,
    next_step: String,
}

/// Uploads a document into a slot of a draft (`business_licence`,
/// `organisation_code_certificate`, `agent_id_front`, `agent_id_back`,
/// `authorisation_letter`, `holder_id_front`, `holder_id_back`): a JPEG or PNG of at most
/// 2 MiB, checked by its content, re-encoded without metadata, stored encrypted.
#[utoipa::path(post, path = "/api/v1/applications/{id}/documents/{slot}", request_body(content = UploadForm, content_type = "multipart/form-data"), security(("customer" = [])), params(("id" = i64, Path), ("slot" = String, Path)), responses(
    (status = 201, body = UploadedView), (status = 404, body = ErrorBody, description = "no such application or slot"),
    (status = 409, body = ErrorBody, description = "not a draft"), (status = 413, body = ErrorBody, description = "over 2 MiB"),
    (status = 422, body = ErrorBody, description = "not a JPEG or PNG, truncated, corrupt, too many pixels, or a slot this application does not take"),
))]
pub async fn upload_document(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path((id, slot)): Path<(String, String)>,
    form: Multipart,
) -> Result<impl IntoResponse, ApiError> {
    let id = application_id(&id, lang)?;
    let limit = state.app.documents.max_upload_bytes;
    let sent = crate::upload::read(form, limit, &[])
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    let done = upload::upload(
        &state.app,
        &Applicant::customer(&session),
        id,
        &slot,
        sent.bytes,
    )
    .await
    .map_err(|e| ApiError::new(e, lang))?;
    Ok((
        StatusCode::CREATED,
        Json(UploadedView {
            slot: done.slot.as_str().into(),
            sha256: done.sha256,
            width: done.width,
            height: done.height,
            version: done.version,
            next_step: done.next_step.as_str().into(),
        }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DocumentQuery {
    /// The 320-pixel thumbnail instead of the image.
    #[serde(default)]
    pub(crate) thumbnail: bool,
}

impl DocumentQuery {
    pub(crate) fn thumbnail(&self) -> bool {
        self.thumbnail
    }
}

/// An uploaded document's image (JPEG; never cached).
#[utoipa::path(get, path = "/api/v1/applications/{id}/documents/{slot}", security(("customer" = [])), params(("id" = i64, Path), ("slot" = String, Path), DocumentQuery), responses(
    (status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ErrorBody, description = "no such application, slot or document"),
))]
pub async fn get_document(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
    Path((id, slot)): Path<(String, String)>,
    crate::query::ApiQuery(query): crate::query::ApiQuery<DocumentQuery>,
) -> Result<axum::response::Response, ApiError> {
    let id = application_id(&id, lang)?;
    let jpeg = application::document(&state.app, &session.actor(), id, &slot, query.thumbnail)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(crate::upload::image_response(jpeg, &slot))
}

/// The authorisation letter (`letter`, organisations), the application form (`form`) or the
/// receipt to mail with the papers (`receipt`, where the channel wants paper) as an A4 PDF
/// made from the application's data, with its check code.
#[utoipa::path(get, path = "/api/v1/applications/{id}/pdf/{kind}", security(("customer" = [])), params(("id" = i64, Path), ("kind" = String, Path, description = "`letter`, `form` or `receipt`")), responses(
    (status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "not printable now (holder or agent missing; the form after review where the channel forbids it; the receipt before submission or where the channel wants no paper)"),
    (status = 422, body = ErrorBody, description = "a character the font lacks"),
))]
pub async fn get_pdf(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    Customer(session): Customer,
    Path((id, kind)): Path<(String, String)>,
) -> Result<axum::response::Response, ApiError> {
    let id = application_id(&id, lang)?;
    let what = print::Printable::parse(&kind)
        .ok_or_else(|| ApiError::new(application::not_found(id), lang))?;
    let (name, pdf) = print::print(&state.app, &session.actor(), id, what)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok(crate::upload::pdf_response(pdf, &name))
}

#[derive(Serialize, ToSchema)]
pub struct PhoneLinkView {
    slot: String,
    /// The page the phone opens (works once, for 10 minutes).
    url: String,
    /// The URL as a QR code, SVG.
    qr_svg: String,
    expires_at: i64,
}

/// Makes a one-time link (and its QR code) for uploading a document of a draft from a
/// phone; an earlier link of the slot stops working.
#[utoipa::path(post, path = "/api/v1/applications/{id}/documents/{slot}/phone-link", security(("customer" = [])), params(("id" = i64, Path), ("slot" = String, Path)), responses(
    (status = 201, body = PhoneLinkView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "not a draft"),
    (status = 422, body = ErrorBody, description = "a slot this application does not take"),
))]
pub async fn make_phone_link(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
    CustomerWithCsrf(session): CustomerWithCsrf,
    Path((id, slot)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let id = application_id(&id, lang)?;
    let link = upload::phone_link(&state.app, &Applicant::customer(&session), id, &slot)
        .await
        .map_err(|e| ApiError::new(e, lang))?;
    Ok((
        StatusCode::CREATED,
        Json(PhoneLinkView {
            slot: link.slot.as_str().into(),
            url: link.url,
            qr_svg: link.qr_svg,
            expires_at: link.expires_at,
        }),
    ))
}
