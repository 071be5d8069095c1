//! 现场受理 in the console: a counter clerk applies for a customer who came in person. The
//! page lists the channels that take new certificates at the counter and the applications
//! entered there; starting one asks for the customer's mobile and the product, and then
//! the clerk goes through the customer's own wizard under `/console/counter/applications`
//! (the [`Clerk`] desk), where the use cases check what the clerk may reach.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use domain::{AddressInput, ApplicationStatus, BusinessType, Channel};
use services::ServiceError;
use services::flows::application::{Applicant, Application};
use services::flows::apply::ProductInput;
use services::flows::counter::{self, CLERKS, CounterInput};
use services::people::actor::Actor;
use services::people::operators::OperatorSession;
use services::people::profiles::Profile;
use services::people::sessions::LiveSession;

use super::{console_frame, require_operator};
use crate::AppState;
use crate::pages::account::applications::{Posted, StartPage, field, status_class, to_map};
use crate::pages::desk::Desk;
use crate::pages::{
    Chrome, Form, FormError, PageRequest, error_page, framed, local_time, render, run_form,
    see_other, status_and_error,
};

/// A counter clerk at the console, working on an application entered at the counter.
pub struct Clerk {
    operator: OperatorSession,
}

impl FromRequestParts<AppState> for Clerk {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let request = match PageRequest::from_request_parts(parts, state).await {
            Ok(request) => request,
            Err(never) => match never {},
        };
        let (operator, _) = require_operator(state, &request, &CLERKS).await?;
        Ok(Clerk { operator })
    }
}

impl Desk for Clerk {
    const BASE: &'static str = "/console/counter/applications";
    const LIST: &'static str = "/console/counter";

    fn live(&self) -> &LiveSession {
        &self.operator.live
    }
    fn frame(&self, state: &AppState, request: &PageRequest) -> Chrome {
        console_frame(state, request, &self.operator)
    }
    fn actor(&self) -> Actor {
        self.operator.actor()
    }
    async fn applicant(&self, state: &AppState, id: i64) -> Result<Applicant, ServiceError> {
        counter::applicant(&state.app, &self.operator.actor(), id).await
    }
    async fn prefill(&self, _: &AppState) -> (Profile, Option<AddressInput>) {
        // The clerk types what the customer shows; the customer's profile is not shown.
        (Profile::default(), None)
    }
}

#[derive(Template)]
#[template(path = "console/counter.html")]
struct CounterPage {
    chrome: Chrome,
    channels: Vec<Channel>,
    applications: Vec<Application>,
}
framed!(CounterPage);

impl CounterPage {
    fn badge(&self, status: &ApplicationStatus) -> &'static str {
        status_class(*status)
    }
    fn time(&self, at: &i64) -> String {
        local_time(*at)
    }
    fn holder(&self, application: &Application) -> String {
        application
            .content
            .subject
            .as_ref()
            .map(|s| s.name().to_string())
            .unwrap_or_default()
    }
}

fn takes_new_at_counter(channel: &Channel) -> bool {
    channel
        .business
        .get(&BusinessType::New)
        .is_some_and(|rule| rule.counter)
}

pub async fn page(State(state): State<AppState>, request: PageRequest) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &CLERKS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let listed = async {
        let applications = counter::list(&state.app, &operator.actor()).await?;
        let channels = services::hall::channels::enabled(&state.app).await?;
        Ok::<_, ServiceError>((applications, channels))
    }
    .await;
    match listed {
        Ok((applications, channels)) => render(
            StatusCode::OK,
            &CounterPage {
                chrome,
                channels: channels.into_iter().filter(takes_new_at_counter).collect(),
                applications,
            },
        ),
        Err(e) => error_page(chrome, &e),
    }
}

async fn start_page(
    state: &AppState,
    chrome: Chrome,
    code: &str,
    values: BTreeMap<String, String>,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let channel = match services::hall::channels::get_enabled(&state.app, code).await {
        Ok(channel) => channel,
        Err(e) => return error_page(chrome, &e),
    };
    let (status, error) = status_and_error(error);
    render(
        status,
        &StartPage {
            action: format!("/console/counter/new/{}", channel.code),
            chrome,
            channel,
            values,
            error,
            counter: true,
        },
    )
}

/// The counter's step 1: the customer's mobile and the product.
pub async fn start_form(
    State(state): State<AppState>,
    request: PageRequest,
    Path(code): Path<String>,
) -> Response {
    let (_, chrome) = match require_operator(&state, &request, &CLERKS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let values = [("years", "1"), ("quantity", "1")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    start_page(&state, chrome, &code, values, None).await
}

pub async fn start(
    State(state): State<AppState>,
    request: PageRequest,
    Path(code): Path<String>,
    Form(posted): Form<Posted>,
) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &CLERKS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let values = to_map(&posted);
    let result = run_form(
        &request,
        field(&values, "csrf"),
        Some(&operator.live),
        || async {
            let input = CounterInput {
                phone: field(&values, "phone").trim().to_string(),
                channel: code.clone(),
                product: ProductInput {
                    product: field(&values, "product").to_string(),
                    years: field(&values, "years").parse().unwrap_or(0),
                    quantity: field(&values, "quantity").parse().unwrap_or(0),
                },
            };
            let id = counter::accept(&state.app, &operator.actor(), &input).await?;
            Ok(see_other(&format!("{}/{id}", Clerk::BASE), None))
        },
    )
    .await;
    match result {
        Ok(done) => done,
        Err(error) => start_page(&state, chrome, &code, values, Some(error)).await,
    }
}
