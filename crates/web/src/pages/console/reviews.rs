//! 审核 in the console: the review queue against the channels' promises (overdue first),
//! and one application with its data, timeline and the reviewer's actions (take, put
//! back, approve, reject with a reason). The use cases check the role and the separation
//! of duties; this page only leaves out the buttons the status does not allow.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::application::{DocumentSlot, Registration, RejectReason, Subject};
use domain::{ApplicationStatus, Role};
use serde::Deserialize;
use services::ServiceError;
use services::flows::application::{self, Application, TimelineEntry};
use services::flows::print;
use services::flows::review::{self, QueueItem};

use super::{require_operator, require_operator_posting};
use crate::AppState;
use crate::pages::account::applications::{Facts, status_class};
use crate::pages::{
    Chrome, Form, FormError, PageRequest, error_page, framed, local_time, render, see_other,
    status_and_error,
};

const REVIEWERS: [Role; 2] = [Role::Reviewer, Role::Admin];

#[derive(Template)]
#[template(path = "console/reviews.html")]
struct QueuePage {
    chrome: Chrome,
    items: Vec<QueueItem>,
}
framed!(QueuePage);

impl QueuePage {
    fn due(&self, item: &QueueItem) -> String {
        local_time(item.due.seconds())
    }
    fn since(&self, item: &QueueItem) -> String {
        local_time(
            item.application
                .submitted_at
                .unwrap_or(item.application.created_at),
        )
    }
    fn holder(&self, item: &QueueItem) -> String {
        item.application
            .content
            .subject
            .as_ref()
            .map(|s| s.name().to_string())
            .unwrap_or_default()
    }
    fn badge(&self, status: &ApplicationStatus) -> &'static str {
        status_class(*status)
    }
}

pub async fn queue(State(state): State<AppState>, request: PageRequest) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &REVIEWERS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match review::queue(&state.app, &operator.actor()).await {
        Ok(items) => render(StatusCode::OK, &QueuePage { chrome, items }),
        Err(e) => error_page(chrome, &e),
    }
}

#[derive(Template)]
#[template(path = "console/application.html")]
struct ReviewPage {
    chrome: Chrome,
    app: Application,
    timeline: Vec<TimelineEntry>,
    reasons: Vec<RejectReason>,
    error: Option<FormError>,
    /// The check code the letter printed from the current data carries.
    letter_code: Option<String>,
}
framed!(ReviewPage);

impl Facts for ReviewPage {
    fn facts_app(&self) -> &Application {
        &self.app
    }
    fn facts_chrome(&self) -> &Chrome {
        &self.chrome
    }
}

impl ReviewPage {
    fn badge(&self) -> &'static str {
        status_class(self.app.status)
    }
    fn is(&self, status: &str) -> bool {
        domain::Status::as_str(self.app.status) == status
    }
    fn reason_name(&self, reason: &RejectReason) -> &str {
        self.chrome.pick(reason.name_zh(), reason.name_en())
    }
    fn entry_what(&self, entry: &TimelineEntry) -> &str {
        self.chrome
            .pick(entry.action.name_zh(), entry.action.name_en())
    }
    /// The customer as 申请人, an operator by username (the audit log's `operator:ID:NAME`).
    fn entry_by(&self, entry: &TimelineEntry) -> String {
        match entry.by.split(':').collect::<Vec<_>>().as_slice() {
            ["customer"] => self.chrome.pick("申请人", "Applicant").into(),
            ["operator", _, name] => (*name).into(),
            _ => entry.by.clone(),
        }
    }
    fn entry_status(&self, entry: &TimelineEntry) -> String {
        entry
            .status
            .map(|s| self.chrome.pick(s.name_zh(), s.name_en()).to_string())
            .unwrap_or_default()
    }
}

async fn show(
    state: &AppState,
    request: &PageRequest,
    id: &str,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let (operator, chrome) = match require_operator(state, request, &REVIEWERS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let actor = operator.actor();
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &application::not_found(0));
    };
    let app = match application::get_for_operator(&state.app, &actor, id).await {
        Ok(app) => app,
        Err(e) => return error_page(chrome, &e),
    };
    let timeline = application::timeline(&state.app, &actor, id)
        .await
        .unwrap_or_default();
    let (status, error) = status_and_error(error);
    let letter_code =
        print::current_check_code(&state.app, &app, print::Printable::AuthorisationLetter);
    render(
        status,
        &ReviewPage {
            chrome,
            app,
            timeline,
            reasons: RejectReason::ALL.to_vec(),
            error,
            letter_code,
        },
    )
}

pub async fn page(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
) -> Response {
    show(&state, &request, &id, None).await
}

#[derive(Deserialize, Default)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

pub async fn act(
    State(state): State<AppState>,
    request: PageRequest,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ReviewForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &REVIEWERS, &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let actor = operator.actor();
    let Ok(number) = id.parse::<i64>() else {
        return error_page(chrome, &application::not_found(0));
    };
    let app = &state.app;
    let result: Result<(), ServiceError> = match action.as_str() {
        "take" => review::take(app, &actor, number).await,
        "release" => review::release(app, &actor, number).await,
        "approve" => review::approve(app, &actor, number).await,
        "reject" => {
            let rejection = review::Rejection {
                reason: form.reason.clone(),
                note: form.note.clone(),
            };
            review::reject(app, &actor, number, &rejection).await
        }
        _ => Err(application::not_found(number)),
    };
    match result {
        Ok(()) if action == "take" => see_other(&format!("/console/applications/{number}"), None),
        Ok(()) => see_other("/console/reviews", None),
        Err(e) => {
            show(
                &state,
                &request,
                &id,
                Some(FormError::failed(&e, request.lang)),
            )
            .await
        }
    }
}

async fn serve_document(
    state: &AppState,
    request: &PageRequest,
    id: &str,
    slot: &str,
    thumbnail: bool,
) -> Response {
    let (operator, chrome) = match require_operator(state, request, &REVIEWERS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &application::not_found(0));
    };
    match application::document(&state.app, &operator.actor(), id, slot, thumbnail).await {
        Ok(jpeg) => crate::upload::image_response(jpeg, slot),
        Err(e) => error_page(chrome, &e),
    }
}

pub async fn document(
    State(state): State<AppState>,
    request: PageRequest,
    Path((id, slot)): Path<(String, String)>,
) -> Response {
    serve_document(&state, &request, &id, &slot, false).await
}

pub async fn thumbnail(
    State(state): State<AppState>,
    request: PageRequest,
    Path((id, slot)): Path<(String, String)>,
) -> Response {
    serve_document(&state, &request, &id, &slot, true).await
}

#[derive(Template)]
#[template(path = "console/document.html")]
struct ViewerPage {
    chrome: Chrome,
    id: i64,
    number: String,
    slot: String,
    name: String,
}
framed!(ViewerPage);

/// One document of an application in a viewer that rotates and zooms it (reviewers).
pub async fn viewer(
    State(state): State<AppState>,
    request: PageRequest,
    Path((id, slot)): Path<(String, String)>,
) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &REVIEWERS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &application::not_found(0));
    };
    let app = match application::get_for_operator(&state.app, &operator.actor(), id).await {
        Ok(app) => app,
        Err(e) => return error_page(chrome, &e),
    };
    let Some(slot) = DocumentSlot::parse(&slot).filter(|s| app.content.documents.contains_key(s))
    else {
        return error_page(chrome, &application::not_found(id));
    };
    let name = chrome
        .pick(slot.name_zh(&app.channel), slot.name_en(&app.channel))
        .to_string();
    render(
        StatusCode::OK,
        &ViewerPage {
            chrome,
            id,
            number: app.number,
            slot: slot.as_str().to_string(),
            name,
        },
    )
}

/// The letter or form of an application, as the customer prints it.
pub async fn printout(
    State(state): State<AppState>,
    request: PageRequest,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &REVIEWERS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let what = file.strip_suffix(".pdf").and_then(print::Printable::parse);
    let printed = match (id.parse::<i64>(), what) {
        (Ok(id), Some(what)) => print::print(&state.app, &operator.actor(), id, what).await,
        _ => Err(application::not_found(0)),
    };
    match printed {
        Ok((name, pdf)) => crate::upload::pdf_response(pdf, &name),
        Err(e) => error_page(chrome, &e),
    }
}
