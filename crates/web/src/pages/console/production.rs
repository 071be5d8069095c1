//! 制证 in the console: the production queue (applications with keys still to make, the
//! longest waiting first) and the workstations' latest jobs, what each is doing and the
//! failures with their step. Keys are made on the workstation (`certhall-key produce`);
//! this page watches. The use cases check the role.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::Role;
use domain::production::JobStatus;
use services::flows::produce::{self, JobView, QueueItem};

use super::require_operator;
use crate::AppState;
use crate::pages::{Chrome, PageRequest, error_page, framed, local_time, render};

const PRODUCERS: [Role; 2] = [Role::Producer, Role::Admin];

#[derive(Template)]
#[template(path = "console/production.html")]
struct ProductionPage {
    chrome: Chrome,
    queue: Vec<QueueItem>,
    jobs: Vec<JobView>,
}
framed!(ProductionPage);

impl ProductionPage {
    fn badge(&self, status: &JobStatus) -> &'static str {
        match status {
            JobStatus::Started | JobStatus::Issued => "wait",
            JobStatus::Done => "good",
            JobStatus::Failed => "bad",
        }
    }
    fn time(&self, at: &i64) -> String {
        local_time(*at)
    }
}

pub async fn page(State(state): State<AppState>, request: PageRequest) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &PRODUCERS).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let actor = operator.actor();
    match (
        produce::queue(&state.app, &actor).await,
        produce::jobs(&state.app, &actor).await,
    ) {
        (Ok(queue), Ok(jobs)) => render(
            StatusCode::OK,
            &ProductionPage {
                chrome,
                queue,
                jobs,
            },
        ),
        (Err(e), _) | (_, Err(e)) => error_page(chrome, &e),
    }
}
