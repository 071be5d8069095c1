//! 发票 in the console: finance's queue of invoices to issue (the earliest due first, each
//! with its promise) and of paper invoices to mail; one invoice with what the customer
//! asked for and finance's actions: attach the issued PDF (then its OFD or XML), have the
//! invoicing provider issue it, mail a paper one. The use cases check the role; this page
//! leaves out the buttons the status does not allow.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::Role;
use domain::invoice::InvoiceStatus;
use serde::Deserialize;
use services::ServiceError;
use services::flows::invoice::{self, InvoiceView, QueueItem};

use super::{require_operator, require_operator_posting};
use crate::AppState;
use crate::pages::{
    Chrome, Form, FormError, PageRequest, error_page, framed, local_time, render, see_other,
    status_and_error,
};

const FINANCE: [Role; 2] = [Role::Finance, Role::Admin];
/// The largest file the attach form takes (the use case checks 5 MB).
pub(crate) const MAX_INVOICE_BYTES: usize = 5 * 1024 * 1024 + 1;

#[derive(Template)]
#[template(path = "console/invoices.html")]
struct QueuePage {
    chrome: Chrome,
    items: Vec<QueueItem>,
}
framed!(QueuePage);

impl QueuePage {
    fn due(&self, item: &QueueItem) -> String {
        local_time(item.invoice.due_at)
    }
    fn late(&self, item: &QueueItem) -> bool {
        item.overdue > 0
    }
    fn to_mail(&self, item: &QueueItem) -> bool {
        item.invoice.status == InvoiceStatus::Issued
    }
}

pub async fn queue(State(state): State<AppState>, request: PageRequest) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &FINANCE).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match invoice::queue(&state.app, &operator.actor()).await {
        Ok(items) => render(StatusCode::OK, &QueuePage { chrome, items }),
        Err(e) => error_page(chrome, &e),
    }
}

#[derive(Template)]
#[template(path = "console/invoice.html")]
struct InvoicePage {
    chrome: Chrome,
    invoice: InvoiceView,
    error: Option<FormError>,
}
framed!(InvoicePage);

impl InvoicePage {
    fn requested(&self) -> bool {
        self.invoice.status == InvoiceStatus::Requested
    }
    fn issued(&self) -> bool {
        self.invoice.status != InvoiceStatus::Requested
            && self.invoice.status != InvoiceStatus::Withdrawn
    }
    fn mailable(&self) -> bool {
        self.invoice.status == InvoiceStatus::Issued && self.invoice.is_paper()
    }
    fn asked(&self) -> String {
        self.invoice.request.summary(self.chrome.t.lang)
    }
    fn due(&self) -> String {
        local_time(self.invoice.due_at)
    }
}

async fn show(
    state: &AppState,
    request: &PageRequest,
    id: &str,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let (operator, chrome) = match require_operator(state, request, &FINANCE).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let found = match id.parse::<i64>() {
        Ok(id) => invoice::get(&state.app, &operator.actor(), id).await,
        Err(_) => invoice::get(&state.app, &operator.actor(), 0).await,
    };
    let invoice = match found {
        Ok(invoice) => invoice,
        Err(e) => return error_page(chrome, &e),
    };
    let (status, error) = status_and_error(error);
    render(
        status,
        &InvoicePage {
            chrome,
            invoice,
            error,
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

/// Attaching the issued PDF (`attach`, with the number) or its OFD/XML (`add-file`).
pub async fn upload(
    State(state): State<AppState>,
    request: PageRequest,
    Path((id, action)): Path<(String, String)>,
    form: Multipart,
) -> Response {
    if let Err(response) = require_operator(&state, &request, &FINANCE).await {
        return response;
    }
    let refused = |e: ServiceError| FormError::failed(&e, request.lang);
    let sent = match crate::upload::read(form, MAX_INVOICE_BYTES, &["number"]).await {
        Ok(sent) => sent,
        Err(e) => return show(&state, &request, &id, Some(refused(e))).await,
    };
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &FINANCE, &sent.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let Ok(number) = id.parse::<i64>() else {
        return error_page(chrome, &ServiceError::internal("invoice", "bad id"));
    };
    let actor = operator.actor();
    let result = match action.as_str() {
        "attach" => {
            invoice::attach(
                &state.app,
                &actor,
                number,
                &sent.field("number"),
                &sent.bytes,
            )
            .await
        }
        "add-file" => invoice::add_file(&state.app, &actor, number, &sent.bytes).await,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match result {
        Ok(()) => see_other(&format!("/console/invoices/{number}"), None),
        Err(e) => show(&state, &request, &id, Some(refused(e))).await,
    }
}

#[derive(Deserialize, Default)]
pub struct InvoiceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    courier: String,
    #[serde(default)]
    tracking_no: String,
}

/// Issuing by the provider (`issue`) or mailing a paper invoice (`mail`).
pub async fn act(
    State(state): State<AppState>,
    request: PageRequest,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<InvoiceForm>,
) -> Response {
    let roles = [Role::Finance, Role::Shipper, Role::Admin];
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &roles, &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let Ok(number) = id.parse::<i64>() else {
        return error_page(chrome, &ServiceError::internal("invoice", "bad id"));
    };
    let actor = operator.actor();
    let result = match action.as_str() {
        "issue" => invoice::issue_with_provider(&state.app, &actor, number).await,
        "mail" => invoice::mail(&state.app, &actor, number, &form.courier, &form.tracking_no).await,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match result {
        Ok(()) => see_other(&format!("/console/invoices/{number}"), None),
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

/// A file of an issued invoice, for finance (audited).
pub async fn download(
    State(state): State<AppState>,
    request: PageRequest,
    Path((order, id, format)): Path<(String, String, String)>,
) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &FINANCE).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let (Ok(order), Ok(id)) = (order.parse::<i64>(), id.parse::<i64>()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match invoice::download(&state.app, &operator.actor(), order, id, &format).await {
        Ok(file) => crate::upload::invoice_response(file),
        Err(e) => error_page(chrome, &e),
    }
}
