//! The operator console's pages: login, the dashboard of work queues, operator management,
//! the audit log, failed notifications and channels. Every page checks the operator's
//! roles; a page outside them answers 403 with the role it needs.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use domain::Role;
use serde::Deserialize;
use services::operators::{self, OperatorSession};
use services::queues::QueueSummary;
use services::{ErrorKind, ServiceError};
use store::audit::{AuditFilter, AuditRecord};
use store::outbox::MessageRecord;

use super::{
    Area, Chrome, Form, FormError, NavItem, PageRequest, framed, render, safe_next, see_other,
};
use crate::AppState;
use crate::client_ip::ClientIp;
use crate::console_api::{CONSOLE_COOKIE, console_cookie};
use crate::session_cookie as cookies;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(dashboard))
        .route("/console/login", get(login_form).post(login))
        .route("/console/logout", post(logout))
        .route(
            "/console/operators",
            get(operators_page).post(create_operator),
        )
        .route("/console/operators/{username}", post(change_operator))
        .route("/console/audit", get(audit_page))
        .route("/console/messages", get(messages_page))
        .route("/console/messages/{id}/retry", post(retry_message))
        .route("/console/channels", get(channels_page))
        .route(
            "/console/channels/{code}",
            get(channel_form).post(save_channel),
        )
}

/// The console's navigation: each item with the roles that may open it.
const NAV: [(&str, &str, &[Role]); 5] = [
    ("/console", "console.dashboard", &[]),
    ("/console/operators", "console.operators", &[Role::Admin]),
    ("/console/channels", "console.channels", &[Role::Admin]),
    ("/console/audit", "console.audit", &[Role::Admin]),
    ("/console/messages", "console.messages", &[Role::Admin]),
];

async fn optional_operator(state: &AppState, request: &PageRequest) -> Option<OperatorSession> {
    let token = cookies::read(&request.headers, CONSOLE_COOKIE)?;
    operators::session(&state.pki.store, &token).await.ok()
}

/// The logged-in operator and the page's frame, or the response to send instead: the
/// login page when nobody is logged in, 403 when the operator lacks every role in `roles`
/// (empty: any operator).
async fn require_operator(
    state: &AppState,
    request: &PageRequest,
    roles: &[Role],
) -> Result<(OperatorSession, Chrome), Response> {
    let Some(operator) = optional_operator(state, request).await else {
        let next: String = percent_encoding::utf8_percent_encode(
            &request.here,
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string();
        return Err(see_other(&format!("/console/login?next={next}"), None));
    };
    let mut chrome = request.chrome(
        state,
        Area::Console,
        Some(format!("{} ({})", operator.display_name, operator.username)),
        Some(&operator.live.csrf_token),
    );
    let path = request.here.split('?').next().unwrap_or("");
    chrome.nav = NAV
        .iter()
        .filter(|(_, _, needs)| needs.is_empty() || operator.require_any(needs).is_ok())
        .map(|&(href, label, _)| NavItem {
            href,
            label,
            current: path == href || (href != "/console" && path.starts_with(href)),
        })
        .collect();
    if !roles.is_empty()
        && let Err(e) = operator.require_any(roles)
    {
        return Err(super::error_page(chrome, &e));
    }
    Ok((operator, chrome))
}

/// [`require_operator`] for a form post: its `csrf` field must be the session's token.
async fn require_operator_posting(
    state: &AppState,
    request: &PageRequest,
    roles: &[Role],
    csrf: &str,
) -> Result<(OperatorSession, Chrome), Response> {
    let (operator, chrome) = require_operator(state, request, roles).await?;
    if !request.csrf_ok(csrf, Some(&operator.live)) {
        let message = chrome.t.t("error.csrf");
        let e = ServiceError::new(ErrorKind::Forbidden, "csrf", message, message);
        return Err(super::error_page(chrome, &e));
    }
    Ok((operator, chrome))
}

/// China Standard Time, as the console shows times.
fn local_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .map(|t| t.to_offset(time::macros::offset!(+8)))
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// "3 天 2 小时" / "3 d 2 h".
fn age(t: &super::Tr, seconds: i64) -> String {
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    if days > 0 {
        format!("{days} {} {hours} {}", t.t("time.days"), t.t("time.hours"))
    } else if hours > 0 {
        format!(
            "{hours} {} {minutes} {}",
            t.t("time.hours"),
            t.t("time.minutes")
        )
    } else {
        format!("{minutes} {}", t.t("time.minutes"))
    }
}

// ---- login -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "console_login.html")]
struct LoginPage {
    chrome: Chrome,
    username: String,
    next: String,
    error: Option<FormError>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    State(state): State<AppState>,
    request: PageRequest,
    Query(query): Query<NextQuery>,
) -> Response {
    let chrome = request.chrome(&state, Area::Console, None, None);
    render(
        StatusCode::OK,
        &LoginPage {
            chrome,
            username: String::new(),
            next: safe_next(query.next.as_deref(), "/console"),
            error: None,
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    request: PageRequest,
    ClientIp(ip): ClientIp,
    Form(form): Form<LoginForm>,
) -> Response {
    let chrome = request.chrome(&state, Area::Console, None, None);
    let next = safe_next(form.next.as_deref(), "/console");
    let next = if next.starts_with("/console") {
        next
    } else {
        "/console".into()
    };
    let (error, status) = if !request.csrf_ok(&form.csrf, None) {
        (FormError::csrf(&chrome.t), StatusCode::FORBIDDEN)
    } else {
        match operators::login(&state.pki.store, form.username.trim(), &form.password, &ip).await {
            Ok(started) => {
                let max_age = started.expires_at - pki::time::now_unix();
                return see_other(&next, Some(console_cookie(&state, &started.token, max_age)));
            }
            Err(e) => FormError::failed(&e, request.lang),
        }
    };
    render(
        status,
        &LoginPage {
            chrome,
            username: form.username.trim().to_string(),
            next,
            error: Some(error),
        },
    )
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    request: PageRequest,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (operator, chrome) = match require_operator_posting(&state, &request, &[], &form.csrf).await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(e) = operators::logout(&state.pki.store, &operator).await {
        return super::error_page(chrome, &e);
    }
    see_other("/console/login", Some(console_cookie(&state, "", 0)))
}

// ---- dashboard ---------------------------------------------------------------------

pub struct QueueRow {
    pub label: &'static str,
    pub role: &'static str,
    pub href: Option<&'static str>,
    pub count: i64,
    pub oldest: String,
    pub promise: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "console_dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    queues: Vec<QueueRow>,
    roles: Vec<&'static str>,
}

async fn dashboard(State(state): State<AppState>, request: PageRequest) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &[]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let summaries: Vec<QueueSummary> = match services::queues::summaries(&state.pki.store).await {
        Ok(list) => list,
        Err(e) => return super::error_page(chrome, &e),
    };
    let t = &chrome.t;
    let queues = summaries
        .into_iter()
        .filter(|q| operator.roles.contains(q.role))
        .map(|q| QueueRow {
            label: t.t(&format!("queue.{}", q.key)),
            role: t.role(q.role),
            href: q.href,
            count: q.count,
            oldest: q
                .oldest_age_seconds
                .map(|s| age(t, s))
                .unwrap_or_else(|| "—".into()),
            promise: q
                .promise_seconds
                .map(|s| age(t, s))
                .unwrap_or_else(|| "—".into()),
            overdue: q.overdue(),
        })
        .collect();
    let roles = operator.roles.iter().map(|r| t.role(r)).collect();
    render(
        StatusCode::OK,
        &DashboardPage {
            chrome,
            queues,
            roles,
        },
    )
}

// ---- operators ---------------------------------------------------------------------

pub struct OperatorRow {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<(&'static str, &'static str, bool)>,
    pub disabled: bool,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "console_operators.html")]
struct OperatorsPage {
    chrome: Chrome,
    operators: Vec<OperatorRow>,
    /// The form to create one: values kept after an error.
    new_username: String,
    new_name: String,
    all_roles: Vec<(&'static str, &'static str)>,
    /// A password to show once (after creation or a reset), with whose it is.
    password: Option<(String, String)>,
    error: Option<FormError>,
}

async fn operators_view(
    state: &AppState,
    operator: &OperatorSession,
    chrome: Chrome,
    password: Option<(String, String)>,
    error: Option<(FormError, StatusCode)>,
    new: (String, String),
) -> Response {
    let records = match store::operators::list(&state.pki.store).await {
        Ok(list) => list,
        Err(e) => return super::error_page(chrome, &e.into()),
    };
    let t = &chrome.t;
    let operators = records
        .into_iter()
        .map(|o| OperatorRow {
            roles: Role::ALL
                .iter()
                .map(|r| {
                    (
                        r.as_str(),
                        t.role(*r),
                        o.roles.split(',').any(|x| x == r.as_str()),
                    )
                })
                .collect(),
            is_self: o.id == operator.operator_id,
            username: o.username,
            display_name: o.display_name,
            disabled: o.disabled_at.is_some(),
        })
        .collect();
    let all_roles = Role::ALL.iter().map(|r| (r.as_str(), t.role(*r))).collect();
    let (status, error) = super::status_and_error(error);
    render(
        status,
        &OperatorsPage {
            chrome,
            operators,
            new_username: new.0,
            new_name: new.1,
            all_roles,
            password,
            error,
        },
    )
}

async fn operators_page(State(state): State<AppState>, request: PageRequest) -> Response {
    let (operator, chrome) = match require_operator(&state, &request, &[Role::Admin]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    operators_view(&state, &operator, chrome, None, None, Default::default()).await
}

/// The operator forms: create (username, name, roles) and change (action, roles).
#[derive(Deserialize)]
struct OperatorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    /// One entry per ticked checkbox.
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    action: String,
}

async fn create_operator(
    State(state): State<AppState>,
    request: PageRequest,
    Form(form): Form<OperatorForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &[Role::Admin], &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let username = form.username.trim().to_string();
    let name = form.display_name.trim().to_string();
    let roles = form.roles.join(",");
    let result = operators::create(
        &state.pki.store,
        &username,
        &name,
        &roles,
        &operator.actor(),
    )
    .await;
    match result {
        Ok(password) => {
            let shown = Some((username, password.to_string()));
            operators_view(&state, &operator, chrome, shown, None, Default::default()).await
        }
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            operators_view(
                &state,
                &operator,
                chrome,
                None,
                Some(error),
                (username, name),
            )
            .await
        }
    }
}

async fn change_operator(
    State(state): State<AppState>,
    request: PageRequest,
    Path(username): Path<String>,
    Form(form): Form<OperatorForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &[Role::Admin], &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let roles = form.roles.join(",");
    let change = match form.action.as_str() {
        "roles" => Ok(operators::Change::Roles(&roles)),
        "disable" => Ok(operators::Change::Disable),
        "enable" => Ok(operators::Change::Enable),
        "reset_password" => Ok(operators::Change::ResetPassword),
        _ => Err(ServiceError::new(
            ErrorKind::Invalid,
            "invalid_action",
            "unknown action",
            "操作无效",
        )
        .with_field("action")),
    };
    // An administrator cannot lock themselves out.
    let change = change.and_then(|c| {
        let locks_out = username == operator.username
            && (matches!(c, operators::Change::Disable)
                || matches!(c, operators::Change::Roles(r) if !r.split(',').any(|x| x == "admin")));
        if locks_out {
            Err(ServiceError::new(
                ErrorKind::Invalid,
                "self_lockout",
                "you cannot disable yourself or drop your own administrator role",
                "不能停用自己或取消自己的管理员角色",
            )
            .with_field("action"))
        } else {
            Ok(c)
        }
    });
    let result = match change {
        Ok(c) => operators::change(&state.pki.store, &username, c, &operator.actor()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(password) => {
            let shown = password.map(|p| (username, p.to_string()));
            operators_view(&state, &operator, chrome, shown, None, Default::default()).await
        }
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            operators_view(
                &state,
                &operator,
                chrome,
                None,
                Some(error),
                Default::default(),
            )
            .await
        }
    }
}

// ---- audit log ---------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct AuditQuery {
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
    pub object: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "console_audit.html")]
struct AuditPage {
    chrome: Chrome,
    action: String,
    actor: String,
    object: String,
    from: String,
    until: String,
    rows: Vec<AuditRow>,
    next_page: Option<String>,
    error: Option<FormError>,
}

const AUDIT_PAGE: i64 = 50;

/// A `YYYY-MM-DD` day in China Standard Time as Unix time (its midnight), plus `days`.
fn day_start(text: &str, field: &str, days: i64) -> Result<Option<i64>, ServiceError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), &format).map_err(|_| {
        ServiceError::new(
            ErrorKind::Invalid,
            "invalid_date",
            "a date like 2026-11-23",
            "日期格式应为 2026-11-23",
        )
        .with_field(field)
    })?;
    let midnight = date.midnight().assume_offset(time::macros::offset!(+8));
    Ok(Some(midnight.unix_timestamp() + days * 86_400))
}

async fn audit_page(
    State(state): State<AppState>,
    request: PageRequest,
    Query(query): Query<AuditQuery>,
) -> Response {
    let (_, chrome) = match require_operator(&state, &request, &[Role::Admin]).await {
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
            let filter = AuditFilter {
                action_prefix: query.action.trim().to_string(),
                actor_prefix: query.actor.trim().to_string(),
                object_prefix: query.object.trim().to_string(),
                from,
                until,
                before_seq: query.before,
            };
            let events: Vec<AuditRecord> =
                match store::audit::list(&state.pki.store, &filter, AUDIT_PAGE).await {
                    Ok(list) => list,
                    Err(e) => return super::error_page(chrome, &e.into()),
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
    render(
        status,
        &AuditPage {
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

// ---- failed messages ---------------------------------------------------------------

pub struct MessageRow {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub attempts: i64,
    pub last_error: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "console_messages.html")]
struct MessagesPage {
    chrome: Chrome,
    rows: Vec<MessageRow>,
    error: Option<FormError>,
}

async fn messages_view(
    state: &AppState,
    chrome: Chrome,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let messages: Vec<MessageRecord> =
        match store::outbox::list(&state.pki.store, Some("failed"), 200).await {
            Ok(list) => list,
            Err(e) => return super::error_page(chrome, &e.into()),
        };
    let rows = messages
        .into_iter()
        .map(|m| MessageRow {
            id: m.id,
            channel: m.channel,
            recipient: m.recipient,
            template: m.template,
            attempts: m.attempts,
            last_error: m.last_error.unwrap_or_default(),
            created: local_time(m.created_at),
        })
        .collect();
    let (status, error) = super::status_and_error(error);
    render(
        status,
        &MessagesPage {
            chrome,
            rows,
            error,
        },
    )
}

async fn messages_page(State(state): State<AppState>, request: PageRequest) -> Response {
    let (_, chrome) = match require_operator(&state, &request, &[Role::Admin]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    messages_view(&state, chrome, None).await
}

async fn retry_message(
    State(state): State<AppState>,
    request: PageRequest,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &[Role::Admin], &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let result = match id.parse::<i64>() {
        Ok(id) => {
            services::notifications::retry_failed(&state.pki.store, id, &operator.actor()).await
        }
        Err(_) => Err(ServiceError::new(
            ErrorKind::NotFound,
            "unknown_message",
            "no such message",
            "消息不存在",
        )),
    };
    match result {
        Ok(()) => see_other("/console/messages?notice=message_retried", None),
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            messages_view(&state, chrome, Some(error)).await
        }
    }
}

// ---- channels ----------------------------------------------------------------------

pub struct ChannelRow {
    pub code: String,
    pub name: String,
    pub enabled: bool,
    pub version: i64,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "console_channels.html")]
struct ChannelsPage {
    chrome: Chrome,
    rows: Vec<ChannelRow>,
    duties: Vec<(String, String)>,
}

async fn channels_page(State(state): State<AppState>, request: PageRequest) -> Response {
    let (_, chrome) = match require_operator(&state, &request, &[Role::Admin]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let channels = match services::channels::list(&state.pki.store).await {
        Ok(list) => list,
        Err(e) => return super::error_page(chrome, &e),
    };
    let rows = channels
        .into_iter()
        .map(|c| ChannelRow {
            name: chrome
                .pick(&c.channel.name_zh, &c.channel.name_en)
                .to_string(),
            code: c.channel.code,
            enabled: c.channel.enabled,
            version: c.version,
            updated: local_time(c.updated_at),
        })
        .collect();
    let duty_name = |d: domain::Duty| chrome.t.t(&format!("duty.{}", d.as_str())).to_string();
    let duties = state
        .hall
        .duties
        .0
        .iter()
        .map(|rule| (duty_name(rule.first), duty_name(rule.then)))
        .collect();
    render(
        StatusCode::OK,
        &ChannelsPage {
            chrome,
            rows,
            duties,
        },
    )
}

#[derive(Template)]
#[template(path = "console_channel_edit.html")]
struct ChannelEditPage {
    chrome: Chrome,
    code: String,
    version: i64,
    definition: String,
    error: Option<FormError>,
}

async fn channel_form(
    State(state): State<AppState>,
    request: PageRequest,
    Path(code): Path<String>,
) -> Response {
    let (_, chrome) = match require_operator(&state, &request, &[Role::Admin]).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let stored = match services::channels::get(&state.pki.store, &code).await {
        Ok(stored) => stored,
        Err(e) => return super::error_page(chrome, &e),
    };
    let definition = match services::channels::to_toml(&stored.channel) {
        Ok(text) => text,
        Err(e) => return super::error_page(chrome, &e),
    };
    render(
        StatusCode::OK,
        &ChannelEditPage {
            chrome,
            code,
            version: stored.version,
            definition,
            error: None,
        },
    )
}

#[derive(Deserialize)]
struct ChannelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    definition: String,
}

async fn save_channel(
    State(state): State<AppState>,
    request: PageRequest,
    Path(code): Path<String>,
    Form(form): Form<ChannelForm>,
) -> Response {
    let (operator, chrome) =
        match require_operator_posting(&state, &request, &[Role::Admin], &form.csrf).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    match services::channels::update(
        &state.pki.store,
        &code,
        &form.definition,
        form.version,
        &operator.actor(),
    )
    .await
    {
        Ok(_) => see_other(
            &format!("/console/channels/{code}?notice=channel_saved"),
            None,
        ),
        Err(e) => render(
            crate::error::status_of(e.kind),
            &ChannelEditPage {
                error: Some(FormError::from_service(&e, request.lang)),
                chrome,
                code,
                version: form.version,
                definition: form.definition,
            },
        ),
    }
}

framed!(
    LoginPage,
    DashboardPage,
    OperatorsPage,
    AuditPage,
    MessagesPage,
    ChannelsPage,
    ChannelEditPage
);
