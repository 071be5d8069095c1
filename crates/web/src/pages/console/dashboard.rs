//! The dashboard: the work queues of the operator's roles, each with its count, how long
//! the oldest item has waited, and its promise in working days (with the date an item
//! arriving today is due).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use services::flows::usb_key::{self, ModelStock};
use services::hall::queues;

use super::{age, require_operator};
use crate::AppState;
use crate::pages::local_time;
use crate::pages::{Chrome, PageRequest, error_page, framed, render};

pub struct QueueRow {
    pub label: &'static str,
    pub role: &'static str,
    pub href: Option<&'static str>,
    pub count: i64,
    pub oldest: String,
    pub promise: String,
    /// The last working day of the promise for an item arriving today.
    pub due_if_new_today: Option<String>,
    /// When the oldest item's promise runs out.
    pub oldest_due: Option<String>,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    queues: Vec<QueueRow>,
    roles: Vec<&'static str>,
    /// Models with fewer blank keys in stock than the warning level (keepers only).
    low_stock: Vec<ModelStock>,
    low_stock_level: u32,
}
framed!(DashboardPage);

pub async fn page(State(state): State<AppState>, request: PageRequest) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &[]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let summaries = match queues::summaries(&state.app, &operator.actor()).await {
        Ok(list) => list,
        Err(e) => return error_page(chrome, &e),
    };
    let now = state.app.now();
    let t = &chrome.t;
    let queues = summaries
        .into_iter()
        .map(|q| QueueRow {
            label: t.t(&format!("queue.{}", q.key)),
            role: t.role(q.role),
            href: q.href,
            count: q.count,
            oldest: q
                .oldest_since
                .map(|since| age(t, now.seconds_since(since).max(0)))
                .unwrap_or_else(|| "—".into()),
            promise: q
                .promise_working_days
                .map(|days| format!("{days} {}", t.t("queue.working_days")))
                .unwrap_or_else(|| "—".into()),
            due_if_new_today: q.due_if_new_today.map(|d| d.to_string()),
            oldest_due: q.oldest_due.map(|due| local_time(due.seconds())),
            overdue: q.overdue,
        })
        .collect();
    let roles = operator.roles.iter().map(|r| t.role(r)).collect();
    // Only those who keep the inventory are told (the use case refuses the others).
    let low_stock = usb_key::stock(&state.app, &operator.actor())
        .await
        .map(|models| models.into_iter().filter(|m| m.low).collect())
        .unwrap_or_default();
    render(
        StatusCode::OK,
        &DashboardPage {
            chrome,
            queues,
            roles,
            low_stock,
            low_stock_level: state.app.hall.inventory.low_stock,
        },
    )
}
