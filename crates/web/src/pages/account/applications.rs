//! 我的申请 and the new-certificate wizard: the list (未完成 ones continue or cancel), and one
//! page per application that shows the step to fill in (each saved as it is posted), the
//! confirmation with the SMS-signed submission, or, once submitted, the read-only data
//! with the timeline and the actions its status allows. Plain HTML forms calling the same
//! use cases as `/api/v1/applications`; a refused step re-renders with what was typed and
//! the field named.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::application::verification::LegalRepresentativeForm;
use domain::application::{
    AgentForm, Content, DocumentSlot, IndividualForm, Invoice, InvoiceForm, Method,
    OrganisationForm, Outcome, Party, PinRoute, Registration, Step, Subject,
    content::{INDUSTRIES, serde_plain_name},
};
use domain::channel::{ApplicantKind, Holder, InvoiceKind};
use domain::{AddressInput, ApplicationStatus};
use serde::Deserialize;
use services::ServiceError;
use services::flows::application::{self, Applicant, Application, TimelineEntry};
use services::flows::{apply, cancel, edit, print, readdress, submit, upload, verify};
use services::people::accounts::CustomerSession;

use super::SignedIn;
use crate::AppState;
use crate::client_ip::ClientIp;
use crate::pages::desk::Desk;
use crate::pages::{
    Chrome, Form, FormError, PageRequest, error_page, framed, hall_frame, render, run_form,
    see_other, status_and_error,
};

/// The wizard's routes under `D::BASE`: one application's page, its steps, actions,
/// verification, documents and printouts.
pub(crate) fn wizard_routes<D: Desk>() -> Router<AppState> {
    let under = |tail: &str| format!("{}/{{id}}{tail}", D::BASE);
    Router::new()
        .route(&under(""), get(page::<D>))
        .route(&under("/steps/{step}"), post(save_step::<D>))
        .route(&under("/{action}"), post(act::<D>))
        .route(&under("/verification"), get(verification_state::<D>))
        .route(&under("/verification/{action}"), post(verify_action::<D>))
        .route(
            &under("/documents/{slot}"),
            get(document::<D>)
                .post(upload_document::<D>)
                .layer(DefaultBodyLimit::max(
                    crate::api::applications::UPLOAD_BODY_LIMIT,
                )),
        )
        .route(&under("/documents"), get(documents_state::<D>))
        .route(&under("/documents/{slot}/phone"), post(phone_link::<D>))
        .route(&under("/print/{file}"), get(printout::<D>))
        .route(&under("/documents/{slot}/thumbnail"), get(thumbnail::<D>))
}

#[derive(Template)]
#[template(path = "account/applications.html")]
struct ListPage {
    chrome: Chrome,
    applications: Vec<Application>,
}
framed!(ListPage);

impl ListPage {
    fn badge(&self, status: &ApplicationStatus) -> &'static str {
        status_class(*status)
    }
    fn can_cancel(&self, app: &Application) -> bool {
        cancellable(app)
    }
}

pub async fn list(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
) -> Response {
    let chrome = hall_frame(&state, &request, Some(&customer));
    match application::mine(&state.app, &customer).await {
        Ok(applications) => render(
            StatusCode::OK,
            &ListPage {
                chrome,
                applications,
            },
        ),
        Err(e) => error_page(chrome, &e),
    }
}

#[derive(Template)]
#[template(path = "account/application.html")]
struct ApplicationPage {
    chrome: Chrome,
    /// Where this application's pages are: the hall's or the counter's ([`Desk::BASE`]).
    base: &'static str,
    /// The list the crumbs lead back to.
    list: &'static str,
    /// Where the signing code goes (the customer's number, masked).
    agent_phone: String,
    app: Application,
    /// The step whose form is shown (a draft), or `Confirm`.
    step: Step,
    steps: Vec<Step>,
    /// What the form shows: as typed (after a refusal) or as saved.
    values: BTreeMap<String, String>,
    error: Option<FormError>,
    timeline: Vec<TimelineEntry>,
    agreement_version: String,
    code_sent: bool,
    industries: &'static [(&'static str, &'static str, &'static str)],
    /// A phone upload link just made, shown as a QR code beside its slot.
    phone: Option<upload::PhoneLink>,
    /// The verification step's parties and checks (on that step).
    verification: Option<verify::VerificationState>,
    /// Its keys' parcel, once shipped.
    shipment: Option<services::flows::ship::ShipmentRecord>,
    /// The parcel's journey from the courier platform (none without one, or when it does
    /// not answer).
    tracking: Option<services::flows::ship::Tracking>,
}
framed!(ApplicationPage);

impl ApplicationPage {
    /// The courier's name (the channel's) and its tracking page, of the shipment.
    fn parcel_courier(&self, code: &str) -> String {
        self.app
            .channel
            .couriers
            .iter()
            .find(|c| c.code == code)
            .map_or_else(
                || code.to_string(),
                |c| self.chrome.pick(&c.name_zh, &c.name_en).to_string(),
            )
    }
    fn tracking_url(&self, code: &str, number: &str) -> Option<String> {
        domain::courier::tracking_url(code, number)
    }
    fn v(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }
    fn checked(&self, key: &str, value: &str) -> bool {
        self.v(key) == value
    }
    fn is_org(&self) -> bool {
        self.app.content.holder == Holder::Organization
    }
    fn natures(&self) -> Vec<(&'static str, &'static str)> {
        self.app
            .channel
            .applicants
            .iter()
            .filter(|a| **a != ApplicantKind::Individual)
            .map(|a| {
                (
                    serde_plain_name(*a),
                    self.chrome.pick(a.name_zh(), a.name_en()),
                )
            })
            .collect()
    }
    fn status_class(&self) -> &'static str {
        status_class(self.app.status)
    }
    fn status_name(&self) -> &str {
        self.chrome
            .pick(self.app.status.name_zh(), self.app.status.name_en())
    }
    fn step_name(&self, step: &Step) -> &str {
        self.chrome.pick(step.name_zh(), step.name_en())
    }
    fn step_done(&self, step: &Step) -> bool {
        *step < self.app.next_step
    }
    fn ships(&self) -> bool {
        self.app.channel.ships()
    }
    fn entry_what(&self, entry: &TimelineEntry) -> String {
        let mut what = self
            .chrome
            .pick(entry.action.name_zh(), entry.action.name_en())
            .to_string();
        if let Some(step) = entry.step {
            what = format!("{what}：{}", self.step_name(&step));
        }
        what
    }
    fn entry_by(&self, entry: &TimelineEntry) -> String {
        match entry.by.as_str() {
            "customer" => self.chrome.pick("申请人", "Applicant").into(),
            "counter" => self.chrome.pick("现场受理员", "Counter clerk").into(),
            // A reviewer, finance, a producer or a shipper: the customer deals with the CA.
            "operator" => self.chrome.pick("工作人员", "Staff").into(),
            "system" => self.chrome.pick("系统", "System").into(),
            other => other.into(),
        }
    }
    fn entry_status(&self, entry: &TimelineEntry) -> String {
        entry
            .status
            .map(|s| self.chrome.pick(s.name_zh(), s.name_en()).to_string())
            .unwrap_or_default()
    }
    fn slots(&self) -> Vec<DocumentSlot> {
        DocumentSlot::required(&self.app.content, &self.app.channel)
    }
    fn uploaded(&self, slot: &DocumentSlot) -> bool {
        self.app.content.documents.contains_key(slot)
    }
    fn phone_for(&self, slot: &DocumentSlot) -> Option<&upload::PhoneLink> {
        self.phone.as_ref().filter(|p| p.slot == *slot)
    }
    fn slot_name<'a>(&'a self, slot: &'a DocumentSlot) -> &'a str {
        self.chrome.pick(
            slot.name_zh(&self.app.channel),
            slot.name_en(&self.app.channel),
        )
    }
    fn waits_for_order(&self) -> bool {
        services::flows::order::waits_for_order(&self.app)
    }
    fn slot_help(&self, slot: &DocumentSlot) -> &str {
        let (zh, en) = slot.help(&self.app.channel);
        self.chrome.pick(zh, en)
    }
    /// What the state machine allows, less what an open order holds (the use case refuses
    /// the same).
    fn can_edit(&self) -> bool {
        self.app
            .status
            .apply(domain::ApplicationEvent::Edit, self.app.pipeline)
            .is_ok()
            && (self.app.order_id.is_none() || self.app.paid)
    }
    /// The mailing address can still be changed online (the use case checks the same).
    fn can_readdress(&self) -> bool {
        readdress::allowed_in(self.app.status) && self.app.content.shipping.is_some()
    }
    fn outcome_time(&self, outcome: &Outcome) -> String {
        crate::pages::local_time(outcome.at())
    }
    fn method_name(&self, method: Method) -> &str {
        self.chrome.pick(method.name_zh(), method.name_en())
    }
    fn party_name(&self, party: &Party) -> &str {
        self.chrome.pick(party.name_zh(), party.name_en())
    }
    fn offers(&self, party: &verify::PartyState, method: &str) -> bool {
        party.methods.iter().any(|m| m.as_str() == method)
    }
    fn pending_of<'a>(
        &self,
        party: &'a verify::PartyState,
        method: &str,
    ) -> Option<&'a verify::PendingCheck> {
        party
            .pending
            .iter()
            .rev()
            .find(|p| p.method.as_str() == method)
    }
    fn awaits_face(&self) -> bool {
        self.verification.as_ref().is_some_and(|v| {
            v.parties
                .iter()
                .any(|p| p.pending.iter().any(|c| c.face_url.is_some()))
        })
    }
    fn can_cancel(&self) -> bool {
        cancellable(&self.app)
    }
}

impl Facts for ApplicationPage {
    fn facts_app(&self) -> &Application {
        &self.app
    }
    fn facts_chrome(&self) -> &Chrome {
        &self.chrome
    }
    fn document_base(&self) -> String {
        format!("{}/{}/documents", self.base, self.app.id)
    }
}

/// What `account/application_facts.html` (the application's data, read-only) asks of the
/// page that includes it: the customer's page and the reviewer's.
pub(crate) trait Facts {
    fn facts_app(&self) -> &Application;
    fn facts_chrome(&self) -> &Chrome;

    /// Where the page's document images are (the customer's or the console's routes).
    fn document_base(&self) -> String {
        let app = self.facts_app();
        if self.facts_chrome().in_console() {
            format!("/console/applications/{}/documents", app.id)
        } else {
            format!("/applications/{}/documents", app.id)
        }
    }
    fn product_name(&self) -> &str {
        let app = self.facts_app();
        app.channel
            .products
            .iter()
            .find(|p| p.code == app.content.product.product)
            .map(|p| self.facts_chrome().pick(&p.name_zh, &p.name_en))
            .unwrap_or("")
    }
    fn price(&self) -> String {
        self.facts_app()
            .price
            .map(|p| p.to_string())
            .unwrap_or_default()
    }
    fn subject(&self) -> Option<&Subject> {
        self.facts_app().content.subject.as_ref()
    }
    fn time(&self, at: &i64) -> String {
        crate::pages::local_time(*at)
    }
    fn courier_name(&self) -> String {
        let app = self.facts_app();
        let code = app.content.shipping.as_ref().map(|s| s.courier.as_str());
        app.channel
            .couriers
            .iter()
            .find(|c| Some(c.code.as_str()) == code)
            .map(|c| self.facts_chrome().pick(&c.name_zh, &c.name_en).to_string())
            .unwrap_or_default()
    }
    fn custom_label(&self, key: &str) -> String {
        self.facts_app()
            .channel
            .custom_fields
            .iter()
            .find(|f| f.key == key)
            .map(|f| {
                self.facts_chrome()
                    .pick(&f.label_zh, &f.label_en)
                    .to_string()
            })
            .unwrap_or_else(|| key.to_string())
    }
    fn invoice_code(&self, kind: &InvoiceKind) -> &'static str {
        kind.as_str()
    }
    fn invoice_text(&self, invoice: &Invoice) -> String {
        invoice.summary(self.facts_chrome().t.lang)
    }
    /// Each verified party: who, and how it was verified (with what it checked, masked).
    fn verification_lines(&self) -> Vec<(String, String)> {
        let app = self.facts_app();
        let chrome = self.facts_chrome();
        Party::ALL
            .into_iter()
            .filter_map(|party| {
                let outcome = app.content.verification.of(party)?;
                let mut text = format!(
                    "{} · {}",
                    chrome.pick(outcome.name_zh(), outcome.name_en()),
                    crate::pages::local_time(outcome.at())
                );
                match outcome {
                    Outcome::PennyDrop { account, .. } => {
                        text = format!("{text} · {}", account.masked());
                    }
                    Outcome::LegalRepresentative { person, .. } => {
                        text = format!(
                            "{text} · {} {} {}",
                            chrome.pick("法定代表人", "legal representative"),
                            person.name,
                            person.mobile.masked()
                        );
                    }
                    Outcome::Agent { .. } | Outcome::Documents { .. } => {}
                }
                Some((
                    chrome.pick(party.name_zh(), party.name_en()).to_string(),
                    text,
                ))
            })
            .collect()
    }
    /// Where the key's PIN will go.
    fn pin_text(&self) -> Option<String> {
        let app = self.facts_app();
        let chrome = self.facts_chrome();
        Some(match app.content.pin_route(app.channel.pin.delivery)? {
            PinRoute::EnvelopeWithKey => chrome
                .pick("密码信封随介质寄送", "Sealed envelope with the key")
                .into(),
            PinRoute::InitialPinToChange => chrome
                .pick(
                    "统一初始密码，收到后修改",
                    "Published initial PIN, change on receipt",
                )
                .into(),
            PinRoute::Sms { mobile } => format!(
                "{} {}",
                chrome.pick("短信发送至", "By SMS to"),
                mobile.masked()
            ),
            PinRoute::PaymentRemark { account } => format!(
                "{} {}",
                chrome.pick("对公账户收款附言：", "In the remark of a payment to"),
                account.masked()
            ),
        })
    }
}

/// The CSS class of a status badge.
/// Whether the customer may cancel `app` now: what the state machine allows, less what an
/// open order holds or what is paid (the use case refuses the same).
fn cancellable(app: &Application) -> bool {
    app.status
        .apply(domain::ApplicationEvent::Cancel, app.pipeline)
        .is_ok()
        && app.order_id.is_none()
        && !app.paid
}

pub(crate) fn status_class(status: ApplicationStatus) -> &'static str {
    match status {
        ApplicationStatus::Rejected
        | ApplicationStatus::Cancelled
        | ApplicationStatus::PaymentException => "bad",
        ApplicationStatus::Approved
        | ApplicationStatus::Paid
        | ApplicationStatus::Completed
        | ApplicationStatus::Shipped
        | ApplicationStatus::ReadyForPickup => "good",
        _ => "wait",
    }
}

/// The saved values of `step`, as its form's fields.
fn saved_values(
    content: &Content,
    step: Step,
    profile: &services::people::profiles::Profile,
    default_address: Option<AddressInput>,
    phone: &str,
) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    let mut keep = |k: &str, value: &str| {
        v.insert(k.to_string(), value.to_string());
    };
    match step {
        Step::Product => {
            keep("product", &content.product.product);
            keep("years", &content.product.years.to_string());
            keep("quantity", &content.product.quantity.to_string());
        }
        Step::Subject => match &content.subject {
            Some(Subject::Organisation(o)) => {
                let f = o.to_form();
                keep("name", &f.name);
                keep("nature", &f.nature);
                keep("industry", &f.industry);
                keep("three_in_one", if f.three_in_one { "yes" } else { "no" });
                keep("uscc", &f.uscc);
                keep("licence_number", &f.licence_number);
                keep("organisation_code", &f.organisation_code);
                keep("department", &f.department);
                for (k, value) in &f.custom {
                    keep(&format!("custom.{k}"), value);
                }
            }
            Some(Subject::Individual(i)) => {
                keep("name", &i.name);
                keep("id_number", &i.id_number);
                keep("address", &i.address);
            }
            None => {
                keep("three_in_one", "yes");
                keep("nature", "enterprise");
            }
        },
        Step::Agent => {
            let f = match &content.agent {
                Some(agent) => agent.to_form(),
                // Prefilled from the profile (个人资料).
                None => AgentForm {
                    name: profile.name.clone().unwrap_or_default(),
                    email: profile.email.clone().unwrap_or_default(),
                    landline: profile.landline.clone().unwrap_or_default(),
                    position: String::new(),
                    id_number: profile.id_number.clone().unwrap_or_default(),
                },
            };
            keep("name", &f.name);
            keep("email", &f.email);
            keep("landline", &f.landline);
            keep("position", &f.position);
            keep("id_number", &f.id_number);
        }
        Step::Delivery => {
            let address = content
                .shipping
                .as_ref()
                .map(|s| s.address.clone())
                .or(default_address)
                .unwrap_or_else(|| AddressInput {
                    recipient: content
                        .agent
                        .as_ref()
                        .map(|a| a.name.clone())
                        .unwrap_or_default(),
                    phone: phone.to_string(),
                    ..AddressInput::default()
                });
            keep(
                "courier",
                content
                    .shipping
                    .as_ref()
                    .map(|s| s.courier.as_str())
                    .unwrap_or(""),
            );
            for (k, value) in address_fields(&address) {
                keep(k, value);
            }
            let invoice = content.invoice.as_ref().map(|i| i.to_form());
            let f = invoice.unwrap_or_else(|| InvoiceForm {
                needed: true,
                kind: "electronic_normal".into(),
                email: content
                    .agent
                    .as_ref()
                    .map(|a| a.email.clone())
                    .unwrap_or_default(),
                ..InvoiceForm::default()
            });
            keep(
                "invoice_needed",
                if f.needed || content.invoice.is_none() {
                    "yes"
                } else {
                    "no"
                },
            );
            keep("invoice_kind", &f.kind);
            keep("invoice.title", &f.title);
            keep("invoice.email", &f.email);
            keep("invoice.taxpayer_id", &f.taxpayer_id);
            keep("invoice.address_phone", &f.address_phone);
            keep("invoice.bank", &f.bank);
            keep("invoice.account", &f.account);
        }
        Step::Verification => {
            // A verified legal representative is offered again after a change elsewhere.
            if let Some(Outcome::LegalRepresentative { person, .. }) =
                &content.verification.organisation
            {
                let f = person.to_form();
                keep("legal_rep.name", &f.name);
                keep("legal_rep.id_number", &f.id_number);
                keep("legal_rep.mobile", &f.mobile);
            }
        }
        Step::Documents | Step::Agreement | Step::Confirm => {}
    }
    v
}

#[derive(Deserialize, Default)]
pub struct StepQuery {
    #[serde(default)]
    step: Option<String>,
    #[serde(default)]
    sent: Option<String>,
}

fn parse_id(text: &str) -> Result<i64, ServiceError> {
    text.parse().map_err(|_| application::not_found(0))
}

/// Renders application `id` at `step` (or where it stands), with `posted` values and an
/// error after a refusal.
async fn show<D: Desk>(
    state: &AppState,
    request: &PageRequest,
    desk: &D,
    id: Result<i64, ServiceError>,
    step: Option<Step>,
    posted: Option<(BTreeMap<String, String>, (FormError, StatusCode))>,
    code_sent: bool,
) -> Response {
    show_with(state, request, desk, id, step, posted, code_sent, None).await
}

/// [`show`] with a phone upload link to show.
#[allow(clippy::too_many_arguments)]
async fn show_with<D: Desk>(
    state: &AppState,
    request: &PageRequest,
    desk: &D,
    id: Result<i64, ServiceError>,
    step: Option<Step>,
    posted: Option<(BTreeMap<String, String>, (FormError, StatusCode))>,
    code_sent: bool,
    phone: Option<upload::PhoneLink>,
) -> Response {
    let chrome = desk.frame(state, request);
    let found = match id {
        Ok(id) => match desk.applicant(state, id).await {
            Ok(applicant) => application::get(&state.app, &applicant, id)
                .await
                .map(|app| (app, applicant)),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let (app, applicant) = match found {
        Ok(found) => found,
        Err(e) => return error_page(chrome, &e),
    };
    let timeline = application::timeline(&state.app, &desk.actor(), app.id)
        .await
        .unwrap_or_default();
    // A draft shows the step asked for if its data exist or it is the next one.
    let step = match step {
        Some(s) if s <= app.next_step => s,
        _ => app.next_step,
    };
    let (profile, default_address) = desk.prefill(state).await;
    let (values, error) = match posted {
        Some((values, error)) => (values, Some(error)),
        None => (
            saved_values(
                &app.content,
                step,
                &profile,
                default_address,
                applicant.phone.as_str(),
            ),
            None,
        ),
    };
    // Past the draft, the form to change the mailing address starts from the current one.
    let mut values = values;
    if !app.is_editable()
        && !values.contains_key("address.recipient")
        && let Some(shipping) = &app.content.shipping
    {
        for (k, value) in address_fields(&shipping.address) {
            values.insert(k.to_string(), value.to_string());
        }
    }
    let (status, error) = status_and_error(error);
    let agreement_version = apply::agreement_version(&app.channel);
    // The verification step is there only where the channel verifies someone.
    let verifies =
        !domain::application::verification::parties(&app.channel, app.content.holder).is_empty();
    let steps: Vec<Step> = Step::ALL
        .into_iter()
        .filter(|s| *s != Step::Verification || verifies)
        .collect();
    let verification = if step == Step::Verification && app.is_editable() {
        verify::state(&state.app, &applicant, app.id).await.ok()
    } else {
        None
    };
    let shipment = services::flows::ship::of_application(&state.app, app.id)
        .await
        .unwrap_or_default();
    let tracking = services::flows::ship::tracking(&state.app, &app)
        .await
        .ok()
        .flatten()
        .and_then(Result::ok);
    render(
        status,
        &ApplicationPage {
            chrome,
            base: D::BASE,
            list: D::LIST,
            agent_phone: applicant.phone.masked(),
            app,
            step,
            steps,
            values,
            error,
            timeline,
            agreement_version,
            code_sent,
            industries: &INDUSTRIES,
            phone,
            verification,
            shipment,
            tracking,
        },
    )
}

pub async fn page<D: Desk>(
    State(state): State<AppState>,
    request: PageRequest,
    desk: D,
    Path(id): Path<String>,
    Query(query): Query<StepQuery>,
) -> Response {
    let step = query.step.as_deref().and_then(Step::parse);
    show(
        &state,
        &request,
        &desk,
        parse_id(&id),
        step,
        None,
        query.sent.is_some(),
    )
    .await
}

pub(crate) type Posted = Vec<(String, String)>;

pub(crate) fn to_map(posted: &Posted) -> BTreeMap<String, String> {
    posted.iter().cloned().collect()
}

pub(crate) fn field<'a>(values: &'a BTreeMap<String, String>, key: &str) -> &'a str {
    values.get(key).map(String::as_str).unwrap_or("")
}

/// The mailing address typed in the `address.*` fields.
fn posted_address(values: &BTreeMap<String, String>) -> AddressInput {
    let f = |key: &str| field(values, key).to_string();
    let postal = f("address.postal_code");
    AddressInput {
        recipient: f("address.recipient"),
        phone: f("address.phone"),
        province: f("address.province"),
        city: f("address.city"),
        district: f("address.district"),
        detail: f("address.detail"),
        postal_code: (!postal.trim().is_empty()).then_some(postal),
    }
}

/// The `address.*` fields showing `address`.
fn address_fields(address: &AddressInput) -> [(&'static str, &str); 7] {
    [
        ("address.recipient", &address.recipient),
        ("address.phone", &address.phone),
        ("address.province", &address.province),
        ("address.city", &address.city),
        ("address.district", &address.district),
        ("address.detail", &address.detail),
        (
            "address.postal_code",
            address.postal_code.as_deref().unwrap_or(""),
        ),
    ]
}

/// A step's post: the CSRF check, the use case, back to the application (its next step)
/// or the same step again with what was typed and the error.
pub async fn save_step<D: Desk>(
    State(state): State<AppState>,
    request: PageRequest,
    desk: D,
    Path((id, step)): Path<(String, String)>,
    Form(posted): Form<Posted>,
) -> Response {
    let values = to_map(&posted);
    let id = parse_id(&id);
    let step = Step::parse(&step);
    let result = run_form(
        &request,
        field(&values, "csrf"),
        Some(desk.live()),
        || async {
            let id = id.clone()?;
            let applicant = desk.applicant(&state, id).await?;
            let version: i64 = field(&values, "version").parse().unwrap_or(-1);
            let app = &state.app;
            let f = |k: &str| field(&values, k).to_string();
            match step {
                Some(Step::Product) => {
                    let input = apply::ProductInput {
                        product: f("product"),
                        years: f("years").parse().unwrap_or(0),
                        quantity: f("quantity").parse().unwrap_or(0),
                    };
                    apply::choose_product(app, &applicant, id, version, &input).await?;
                }
                Some(Step::Subject) => {
                    let input = if field(&values, "holder") == "individual" {
                        apply::SubjectInput::Individual(IndividualForm {
                            name: f("name"),
                            id_number: f("id_number"),
                            address: f("address"),
                        })
                    } else {
                        apply::SubjectInput::Organisation(OrganisationForm {
                            name: f("name"),
                            nature: f("nature"),
                            industry: f("industry"),
                            three_in_one: f("three_in_one") != "no",
                            uscc: f("uscc"),
                            licence_number: f("licence_number"),
                            organisation_code: f("organisation_code"),
                            department: f("department"),
                            custom: values
                                .iter()
                                .filter_map(|(k, v)| {
                                    k.strip_prefix("custom.")
                                        .map(|k| (k.to_string(), v.clone()))
                                })
                                .collect(),
                        })
                    };
                    apply::describe_subject(app, &applicant, id, version, &input).await?;
                }
                Some(Step::Agent) => {
                    let form = AgentForm {
                        name: f("name"),
                        email: f("email"),
                        landline: f("landline"),
                        position: f("position"),
                        id_number: f("id_number"),
                    };
                    apply::describe_agent(app, &applicant, id, version, &form).await?;
                }
                Some(Step::Delivery) => {
                    let input = apply::DeliveryInput {
                        courier: f("courier"),
                        address: posted_address(&values),
                        save_address: field(&values, "save_address") == "on",
                        invoice: InvoiceForm {
                            needed: f("invoice_needed") == "yes",
                            kind: f("invoice_kind"),
                            title: f("invoice.title"),
                            email: f("invoice.email"),
                            taxpayer_id: f("invoice.taxpayer_id"),
                            address_phone: f("invoice.address_phone"),
                            bank: f("invoice.bank"),
                            account: f("invoice.account"),
                        },
                    };
                    apply::choose_delivery(app, &applicant, id, version, &input).await?;
                }
                Some(Step::Agreement) => {
                    if field(&values, "agree") != "on" {
                        return Err(ServiceError::new(
                            services::ErrorKind::Invalid,
                            "terms_not_accepted",
                            "agree: read and accept the agreement",
                            "请阅读并同意协议书",
                        )
                        .with_field("agree"));
                    }
                    apply::accept_agreement(app, &applicant, id, version, &f("agreement_version"))
                        .await?;
                }
                _ => return Err(application::not_found(id)),
            }
            Ok(see_other(&format!("{}/{id}", D::BASE), None))
        },
    )
    .await;
    match result {
        Ok(done) => done,
        Err(error) => {
            show(
                &state,
                &request,
                &desk,
                id,
                step,
                Some((values, error)),
                false,
            )
            .await
        }
    }
}

/// Sends the signing code, or submits with it, or takes back / cancels.
pub async fn act<D: Desk>(
    State(state): State<AppState>,
    request: PageRequest,
    ClientIp(ip): ClientIp,
    desk: D,
    Path((id, action)): Path<(String, String)>,
    Form(posted): Form<Posted>,
) -> Response {
    let values = to_map(&posted);
    let id = parse_id(&id);
    let mut sent = false;
    let result = run_form(
        &request,
        field(&values, "csrf"),
        Some(desk.live()),
        || async {
            let id = id.clone()?;
            let applicant = desk.applicant(&state, id).await?;
            let app = &state.app;
            let back = format!("{}/{id}", D::BASE);
            match action.as_str() {
                "code" => {
                    submit::send_code(app, &applicant, id, &ip, request.lang).await?;
                    return Ok(see_other(&format!("{back}?sent=1"), None));
                }
                "submit" => {
                    sent = true;
                    let version: i64 = field(&values, "version").parse().unwrap_or(-1);
                    submit::submit(app, &applicant, id, version, field(&values, "code")).await?;
                }
                "edit" => edit::edit(app, &applicant, id).await?,
                "readdress-code" => {
                    readdress::send_code(app, &applicant, id, &ip, request.lang).await?;
                    return Ok(see_other(&format!("{back}?sent=1#readdress"), None));
                }
                "readdress" => {
                    sent = true;
                    let version: i64 = field(&values, "version").parse().unwrap_or(-1);
                    let address = posted_address(&values);
                    let code = field(&values, "code");
                    readdress::readdress(app, &applicant, id, version, &address, code).await?;
                    return Ok(see_other(&format!("{back}?notice=readdressed"), None));
                }
                "receipt" => services::flows::ship::confirm_receipt(app, &applicant, id).await?,
                "cancel" => {
                    cancel::cancel(app, &applicant, id).await?;
                    return Ok(see_other(D::LIST, None));
                }
                _ => return Err(application::not_found(id)),
            }
            Ok(see_other(&back, None))
        },
    )
    .await;
    match result {
        Ok(done) => done,
        Err(error) => {
            show(
                &state,
                &request,
                &desk,
                id,
                Some(Step::Confirm),
                Some((values, error)),
                sent,
            )
            .await
        }
    }
}

/// Step 1 of a new application: the hall's (`/c/{code}/apply`) and the counter's, which
/// also asks for the customer's mobile.
#[derive(Template)]
#[template(path = "hall/apply.html")]
pub(crate) struct StartPage {
    pub(crate) chrome: Chrome,
    pub(crate) channel: domain::Channel,
    pub(crate) values: BTreeMap<String, String>,
    pub(crate) error: Option<FormError>,
    /// Where the form posts.
    pub(crate) action: String,
    /// At the counter: the customer's mobile is asked for.
    pub(crate) counter: bool,
}
framed!(StartPage);

impl StartPage {
    fn v(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }
    fn price_of(&self, years: &u32) -> String {
        self.channel
            .fees
            .new_certificate(*years)
            .map(|p| p.to_string())
            .unwrap_or_default()
    }
}

async fn start_page(
    state: &AppState,
    request: &PageRequest,
    customer: &CustomerSession,
    code: &str,
    values: BTreeMap<String, String>,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let chrome = hall_frame(state, request, Some(customer));
    let channel = match services::hall::channels::get_enabled(&state.app, code).await {
        Ok(channel) => channel,
        Err(e) => return error_page(chrome, &e),
    };
    let (status, error) = status_and_error(error);
    render(
        status,
        &StartPage {
            action: format!("/c/{}/apply", channel.code),
            chrome,
            channel,
            values,
            error,
            counter: false,
        },
    )
}

/// Step 1 of a new application in a channel (its entry URL `/c/{code}` links here).
pub async fn start_form(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path(code): Path<String>,
) -> Response {
    let values = [("years", "1"), ("quantity", "1")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    start_page(&state, &request, &customer, &code, values, None).await
}

pub async fn start(
    State(state): State<AppState>,
    request: PageRequest,
    SignedIn(customer): SignedIn,
    Path(code): Path<String>,
    Form(posted): Form<Posted>,
) -> Response {
    let values = to_map(&posted);
    let result = run_form(
        &request,
        field(&values, "csrf"),
        Some(&customer.live),
        || async {
            let input = apply::ProductInput {
                product: field(&values, "product").to_string(),
                years: field(&values, "years").parse().unwrap_or(0),
                quantity: field(&values, "quantity").parse().unwrap_or(0),
            };
            let applicant = Applicant::customer(&customer);
            let id = apply::start(&state.app, &applicant, &code, &input).await?;
            Ok(see_other(&format!("/applications/{id}"), None))
        },
    )
    .await;
    match result {
        Ok(done) => done,
        Err(error) => start_page(&state, &request, &customer, &code, values, Some(error)).await,
    }
}

/// A document's upload from the documents step (multipart: `csrf`, then `file`).
pub async fn upload_document<D: Desk>(
    State(state): State<AppState>,
    request: PageRequest,
    desk: D,
    Path((id, slot)): Path<(String, String)>,
    form: Multipart,
) -> Response {
    let id = parse_id(&id);
    let result: Result<Response, (FormError, StatusCode)> = async {
        let limit = state.app.documents.max_upload_bytes;
        let sent = crate::upload::read(form, limit, &[])
            .await
            .map_err(|e| FormError::failed(&e, request.lang))?;
        run_form(&request, &sent.csrf, Some(desk.live()), || async {
            let id = id.clone()?;
            let applicant = desk.applicant(&state, id).await?;
            upload::upload(&state.app, &applicant, id, &slot, sent.bytes).await?;
            Ok(see_other(&format!("{}/{id}?step=documents", D::BASE), None))
        })
        .await
    }
    .await;
    match result {
        Ok(done) => done,
        Err(error) => {
            let posted = Some((BTreeMap::new(), error));
            show(
                &state,
                &request,
                &desk,
                id,
                Some(Step::Documents),
                posted,
                false,
            )
            .await
        }
    }
}

async fn serve_document<D: Desk>(
    state: &AppState,
    request: &PageRequest,
    desk: &D,
    id: &str,
    slot: &str,
    thumbnail: bool,
) -> Response {
    let found = match parse_id(id) {
        Ok(id) => application::document(&state.app, &desk.actor(), id, slot, thumbnail).await,
        Err(e) => Err(e),
    };
    match found {
        Ok(jpeg) => crate::upload::image_response(jpeg, slot),
        Err(e) => error_page(desk.frame(state, request), &e),
    }
}

pub async fn document<D: Desk>(
    State(state): State<AppState>,
    request: PageRequest,
    desk: D,
    Path((id, slot)): Path<(String, String)>,
) -> Response {
    serve_document(&state, &request, &desk, &id, &slot, false).await
}

pub async fn thumbnail<D: Desk>(
    State(state): State<AppState>,
    request: PageRequest,
    desk: D,
    Path((id, slot)): Path<(String, String)>,
) -> Response {
    serve_document(&state, &request, &desk, &id, &slot, true).await
}

/// The authorisation letter or the application form as a PDF (`letter.pdf`, `form.pdf`).
pub async fn printout<D: Desk>(
    State(state): State<AppState>,
    request: PageRequest,
    desk: D,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let what = file
        .strip_suffix(".pdf")
        .and_then(print::Printable::parse)
        .ok_or_else(|| application::not_found(0));
    let printed = match (parse_id(&id), what) {
        (Ok(id), Ok(what)) => print::print(&state.app, &desk.actor(), id, what).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match printed {
        Ok((name, pdf)) => crate::upload::pdf_response(pdf, &name),
        Err(e) => error_page(desk.frame(&state, &request), &e),
    }
}

/// Makes a phone upload link for a slot and shows its QR code.
pub async fn phone_link<D: Desk>(
    State(state): State<AppState>,
    request: PageRequest,
    desk: D,
    Path((id, slot)): Path<(String, String)>,
    Form(form): Form<crate::pages::CsrfForm>,
) -> Response {
    let id = parse_id(&id);
    let mut made = None;
    let result = run_form(&request, &form.csrf, Some(desk.live()), || async {
        let id = id.clone()?;
        let applicant = desk.applicant(&state, id).await?;
        made = Some(upload::phone_link(&state.app, &applicant, id, &slot).await?);
        // The page below is the answer; this one is not sent.
        Ok(().into_response())
    })
    .await;
    let posted = result.err().map(|error| (BTreeMap::new(), error));
    show_with(
        &state,
        &request,
        &desk,
        id,
        Some(Step::Documents),
        posted,
        false,
        made,
    )
    .await
}

/// What the documents step polls while a QR code is shown: the application's version and
/// the slots uploaded.
/// A small JSON answer for a page's script, never kept by the browser.
pub(crate) fn not_stored_json(value: serde_json::Value) -> Response {
    let mut response = axum::Json(value).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

pub async fn documents_state<D: Desk>(
    State(state): State<AppState>,
    desk: D,
    Path(id): Path<String>,
) -> Response {
    let found = match parse_id(&id) {
        Ok(id) => match desk.applicant(&state, id).await {
            Ok(applicant) => application::get(&state.app, &applicant, id).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match found {
        Ok(app) => {
            let uploaded: Vec<&str> = app.content.documents.keys().map(|s| s.as_str()).collect();
            not_stored_json(serde_json::json!({"version": app.version, "uploaded": uploaded}))
        }
        Err(e) => (crate::error::status_of(e.kind), e.code).into_response(),
    }
}

/// A post of the verification step: start or finish a check, or leave a party to the
/// reviewer; back to the step (or on, once every party is done), or the step again with
/// what was typed and the service's answer.
pub async fn verify_action<D: Desk>(
    State(state): State<AppState>,
    request: PageRequest,
    desk: D,
    Path((id, action)): Path<(String, String)>,
    Form(posted): Form<Posted>,
) -> Response {
    let values = to_map(&posted);
    let id = parse_id(&id);
    let result = run_form(
        &request,
        field(&values, "csrf"),
        Some(desk.live()),
        || async {
            let id = id.clone()?;
            let applicant = desk.applicant(&state, id).await?;
            let app = &state.app;
            let f = |k: &str| field(&values, k).to_string();
            let version: i64 = f("version").parse().unwrap_or(-1);
            match (Method::parse(&action), action.as_str()) {
                (Some(method), _) => {
                    let input = verify::CheckInput {
                        legal_representative: LegalRepresentativeForm {
                            name: f("legal_rep.name"),
                            id_number: f("legal_rep.id_number"),
                            mobile: f("legal_rep.mobile"),
                            bank_card: f("legal_rep.bank_card"),
                        },
                        agent_bank_card: f("agent.bank_card"),
                        account_bank: f("account.bank"),
                        account_number: f("account.number"),
                        by_sms: f("delivery") == "sms",
                    };
                    verify::check(app, &applicant, id, version, method, &input).await?;
                }
                (None, "penny_drop_code") => {
                    verify::confirm_transfer(app, &applicant, id, version, &f("code")).await?;
                }
                (None, "documents_organisation") => {
                    verify::by_documents(app, &applicant, id, version, Party::Organisation).await?;
                }
                (None, "documents_agent") => {
                    verify::by_documents(app, &applicant, id, version, Party::Agent).await?;
                }
                _ => return Err(application::not_found(id)),
            }
            let now = application::get(app, &applicant, id).await?;
            let next = if now.next_step == Step::Verification {
                format!("{}/{id}?step=verification", D::BASE)
            } else {
                format!("{}/{id}", D::BASE)
            };
            Ok(see_other(&next, None))
        },
    )
    .await;
    match result {
        Ok(done) => done,
        Err(error) => {
            show(
                &state,
                &request,
                &desk,
                id,
                Some(Step::Verification),
                Some((values, error)),
                false,
            )
            .await
        }
    }
}

/// The verification's state for the page's script while a face check is open: the
/// version grows when a result arrives (the page then reloads).
pub async fn verification_state<D: Desk>(
    State(state): State<AppState>,
    desk: D,
    Path(id): Path<String>,
) -> Response {
    let found = match parse_id(&id) {
        Ok(id) => match desk.applicant(&state, id).await {
            Ok(applicant) => verify::state(&state.app, &applicant, id).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match found {
        Ok(v) => {
            let pending: Vec<i64> = v
                .parties
                .iter()
                .flat_map(|p| p.pending.iter().map(|c| c.id))
                .collect();
            not_stored_json(serde_json::json!({"version": v.version, "pending": pending}))
        }
        Err(e) => (crate::error::status_of(e.kind), e.code).into_response(),
    }
}
