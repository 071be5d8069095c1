//! The audit log, filtered (administrators): by action (the filter offers the log's whole
//! vocabulary, `domain::AuditAction`), actor, object and dates in China Standard Time.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::{AuditAction, ChinaDate, Role};
use serde::Deserialize;
use services::audit;
use services::{ErrorKind, ServiceError};

use super::require_operator;
use crate::AppState;
use crate::pages::local_time;
use crate::pages::{Chrome, FormError, PageRequest, error_page, framed, render};

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    before: Option<i64>,
}

pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    /// What the action means, in the page's language.
    pub action_name: Option<&'static str>,
    pub object: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    chrome: Chrome,
    action: String,
    actor: String,
    object: String,
    from: String,
    until: String,
    rows: Vec<AuditRow>,
    /// What the action filter offers: each group (`certificate.`) and each action.
    action_choices: Vec<(String, String)>,
    next_page: Option<String>,
    error: Option<FormError>,
}

const AUDIT_PAGE: i64 = 50;

/// A `YYYY-MM-DD` day in China Standard Time as Unix time (its midnight), plus `days`.
fn day_start(text: &str, field: &str, days: i64) -> Result<Option<i64>, ServiceError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let date: ChinaDate = text.trim().parse().map_err(|_| {
        ServiceError::new(
            ErrorKind::Invalid,
            "invalid_date",
            "a date like 2026-11-23",
            "日期格式应为 2026-11-23",
        )
        .with_field(field)
    })?;
    Ok(Some(date.plus_days(days).start().seconds()))
}

pub async fn page(
    State(state): State<AppState>,
    request: PageRequest,
    Query(query): Query<AuditQuery>,
) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &[Role::Admin]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let dates = day_start(&query.from, "from", 0)
        .and_then(|from| Ok((from, day_start(&query.until, "until", 1)?)));
    let (rows, next_page, error) = match dates {
        Err(e) => (
            Vec::new(),
            None,
            Some(FormError::from_service(&e, request.lang)),
        ),
        Ok((from, until)) => {
            let filter = domain::AuditFilter {
                action_prefix: query.action.trim().to_string(),
                actor_prefix: query.actor.trim().to_string(),
                object_prefix: query.object.trim().to_string(),
                from,
                until,
                before_seq: query.before,
            };
            let events = match audit::list(&state.app, &operator.actor(), &filter, AUDIT_PAGE).await
            {
                Ok(list) => list,
                Err(e) => return error_page(chrome, &e),
            };
            let next_page = (events.len() as i64 == AUDIT_PAGE).then(|| {
                let last = events.last().map_or(0, |e| e.seq);
                let enc = |s: &str| {
                    percent_encoding::utf8_percent_encode(
                        s.trim(),
                        percent_encoding::NON_ALPHANUMERIC,
                    )
                    .to_string()
                };
                format!(
                    "/console/audit?action={}&actor={}&object={}&from={}&until={}&before={last}",
                    enc(&query.action),
                    enc(&query.actor),
                    enc(&query.object),
                    enc(&query.from),
                    enc(&query.until)
                )
            });
            let rows = events
                .into_iter()
                .map(|e| AuditRow {
                    seq: e.seq,
                    at: local_time(e.at),
                    actor: e.actor,
                    action_name: AuditAction::ALL
                        .iter()
                        .find(|a| a.as_str() == e.action)
                        .map(|a| chrome.pick(a.name_zh(), a.name_en())),
                    action: e.action,
                    object: e.object,
                    details: e.details,
                })
                .collect();
            (rows, next_page, None)
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let action_choices = AuditAction::groups()
        .into_iter()
        .map(|group| (format!("{group}."), format!("{group}.*")))
        .chain(AuditAction::ALL.iter().map(|a| {
            (
                a.as_str().to_string(),
                chrome.pick(a.name_zh(), a.name_en()).to_string(),
            )
        }))
        .collect();
    render(
        status,
        &AuditPage {
            action_choices,
            chrome,
            action: query.action,
            actor: query.actor,
            object: query.object,
            from: query.from,
            until: query.until,
            rows,
            next_page,
            error,
        },
    )
}

framed!(AuditPage);
