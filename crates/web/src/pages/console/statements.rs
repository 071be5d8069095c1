//! 银行流水 in the console: finance imports a bank's statement export with the bank's
//! profile; the credits it holds are listed with the order each is proposed for (or why
//! none is), to confirm as the order's payment or to set aside. The use cases check the
//! role and the separation of duties.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Role;
use domain::statement::{BankProfile, CreditStatus};
use services::ServiceError;
use services::flows::confirm_payment;
use services::flows::import_statement::{self, CreditView, Imported};

use super::{require_operator, require_operator_posting};
use crate::AppState;
use crate::pages::{
    Chrome, Form, FormError, PageRequest, error_page, framed, render, see_other, status_and_error,
};

const FINANCE: [Role; 2] = [Role::Finance, Role::Admin];

/// The largest statement file taken.
const MAX_STATEMENT_BYTES: usize = 4 * 1024 * 1024;

#[derive(Template)]
#[template(path = "console/statements.html")]
struct StatementsPage {
    chrome: Chrome,
    profiles: Vec<BankProfile>,
    credits: Vec<CreditView>,
    imported: Option<Imported>,
    error: Option<FormError>,
}
framed!(StatementsPage);

impl StatementsPage {
    fn badge(&self, status: &CreditStatus) -> &'static str {
        match status {
            CreditStatus::Proposed | CreditStatus::Unmatched => "wait",
            CreditStatus::Confirmed => "good",
            CreditStatus::Dismissed => "bad",
        }
    }
    fn yuan(&self, fen: &i64) -> String {
        domain::Fen(u64::try_from(*fen).unwrap_or_default()).yuan()
    }
    fn is_proposed(&self, status: &CreditStatus) -> bool {
        *status == CreditStatus::Proposed
    }
    fn is_open(&self, status: &CreditStatus) -> bool {
        matches!(status, CreditStatus::Proposed | CreditStatus::Unmatched)
    }
}

async fn show(
    state: &AppState,
    request: &PageRequest,
    imported: Option<Imported>,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let (operator, chrome) = match require_operator(state, request, &FINANCE).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let credits = match import_statement::credits(&state.app, &operator.actor()).await {
        Ok(credits) => credits,
        Err(e) => return error_page(chrome, &e),
    };
    let (status, error) = status_and_error(error);
    render(
        status,
        &StatementsPage {
            chrome,
            profiles: state.app.hall.bank_profiles.clone(),
            credits,
            imported,
            error,
        },
    )
}

pub async fn page(State(state): State<AppState>, request: PageRequest) -> Response {
    show(&state, &request, None, None).await
}

pub async fn upload(
    State(state): State<AppState>,
    request: PageRequest,
    form: Multipart,
) -> Response {
    // Nobody reads a statement's body before being known as finance.
    if let Err(response) = require_operator(&state, &request, &FINANCE).await {
        return response;
    }
    let sent = match crate::upload::read(form, MAX_STATEMENT_BYTES, &["profile"]).await {
        Ok(sent) => sent,
        Err(e) => {
            return show(
                &state,
                &request,
                None,
                Some(FormError::failed(&e, request.lang)),
            )
            .await;
        }
    };
    let (operator, _) = match require_operator_posting(&state, &request, &FINANCE, &sent.csrf).await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let file_name = sent.file_name.clone().unwrap_or_default();
    match import_statement::import(
        &state.app,
        &operator.actor(),
        &sent.field("profile"),
        &file_name,
        &sent.bytes,
    )
    .await
    {
        Ok(imported) => show(&state, &request, Some(imported), None).await,
        Err(e) => {
            show(
                &state,
                &request,
                None,
                Some(FormError::failed(&e, request.lang)),
            )
            .await
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn decide(
    State(state): State<AppState>,
    request: PageRequest,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &FINANCE, &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let actor = operator.actor();
    let Ok(credit) = id.parse::<i64>() else {
        return error_page(chrome, &import_statement::unknown_credit(0));
    };
    let result: Result<(), ServiceError> = match action.as_str() {
        "confirm" => confirm_payment::confirm_credit(&state.app, &actor, credit).await,
        "dismiss" => confirm_payment::dismiss_credit(&state.app, &actor, credit).await,
        _ => Err(import_statement::unknown_credit(credit)),
    };
    match result {
        Ok(()) => see_other("/console/statements", None),
        Err(e) => {
            show(
                &state,
                &request,
                None,
                Some(FormError::failed(&e, request.lang)),
            )
            .await
        }
    }
}
