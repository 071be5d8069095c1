//! The operator console's pages: login, the dashboard of work queues, operator management,
//! the audit log, failed notifications and channels. What an operator may see and do is
//! decided by the use cases; the console only leaves out of its navigation what the
//! operator's roles cannot open.

mod audit;
mod channels;
mod counter;
mod dashboard;
mod invoices;
mod keys;
mod login;
mod messages;
mod operators;
pub(crate) mod payments;
mod pickups;
mod production;
mod reviews;
mod shipping;
mod statements;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use domain::Role;
use services::people::operators::OperatorSession;

use crate::AppState;
use crate::pages::{
    Area, Chrome, FormError, NavItem, PageRequest, Tr, error_page, refusal_page, see_other,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(dashboard::page))
        .route("/console/login", get(login::form).post(login::submit))
        .route("/console/logout", post(login::logout))
        .route(
            "/console/operators",
            get(operators::page).post(operators::create),
        )
        .route("/console/operators/{username}", post(operators::change))
        .route("/console/audit", get(audit::page))
        .route("/console/messages", get(messages::page))
        .route("/console/messages/{id}/retry", post(messages::retry))
        .route("/console/counter", get(counter::page))
        .route(
            "/console/counter/new/{code}",
            get(counter::start_form).post(counter::start),
        )
        .merge(crate::pages::account::applications::wizard_routes::<
            counter::Clerk,
        >())
        .route("/console/reviews", get(reviews::queue))
        .route("/console/applications/{id}", get(reviews::page))
        .route("/console/applications/{id}/{action}", post(reviews::act))
        .route(
            "/console/applications/{id}/documents/{slot}",
            get(reviews::document),
        )
        .route(
            "/console/applications/{id}/print/{file}",
            get(reviews::printout),
        )
        .route(
            "/console/applications/{id}/documents/{slot}/thumbnail",
            get(reviews::thumbnail),
        )
        .route(
            "/console/applications/{id}/documents/{slot}/view",
            get(reviews::viewer),
        )
        .route("/console/payments", get(payments::queue))
        .route(
            "/console/statements",
            get(statements::page).post(statements::upload).layer(
                axum::extract::DefaultBodyLimit::max(
                    4 * 1024 * 1024 + crate::upload::FRAMING_BYTES,
                ),
            ),
        )
        .route(
            "/console/statements/credits/{id}/{action}",
            post(statements::decide),
        )
        .route("/console/invoices", get(invoices::queue))
        .route("/console/invoices/{id}", get(invoices::page))
        .route(
            "/console/invoices/{id}/files/{action}",
            post(invoices::upload).layer(axum::extract::DefaultBodyLimit::max(
                invoices::MAX_INVOICE_BYTES + crate::upload::FRAMING_BYTES,
            )),
        )
        .route("/console/invoices/{id}/{action}", post(invoices::act))
        .route(
            "/console/orders/{order}/invoices/{id}/{format}",
            get(invoices::download),
        )
        .route("/console/orders/{id}", get(payments::page))
        .route("/console/orders/{id}/{action}", post(payments::act))
        .route(
            "/console/refunds/{id}/transfer",
            post(payments::record_transfer),
        )
        .route(
            "/console/orders/{id}/vouchers/{voucher}",
            get(payments::voucher),
        )
        .route("/console/production", get(production::page))
        .route("/console/shipping", get(shipping::page))
        .route("/console/pickups", get(pickups::page))
        .route("/console/pickups/{id}/{action}", post(pickups::act))
        .route("/console/shipping/{id}", post(shipping::ship_keys))
        .route(
            "/console/shipping/{id}/waybill",
            post(shipping::make_waybill),
        )
        .route("/console/keys", get(keys::page).post(keys::receive))
        .route(
            "/console/keys/list",
            post(keys::receive_list).layer(axum::extract::DefaultBodyLimit::max(
                keys::MAX_LIST_BYTES + crate::upload::FRAMING_BYTES,
            )),
        )
        .route("/console/keys/{id}", get(keys::key))
        .route("/console/keys/{id}/{event}", post(keys::act))
        .route("/console/channels", get(channels::page))
        .route(
            "/console/channels/{code}",
            get(channels::edit_form).post(channels::save),
        )
}

/// The console's navigation: each item with the roles that may open it.
const NAV: [(&str, &str, &[Role]); 14] = [
    ("/console", "console.dashboard", &[]),
    (
        "/console/counter",
        "console.counter",
        &[Role::Counter, Role::Admin],
    ),
    (
        "/console/reviews",
        "console.reviews",
        &[Role::Reviewer, Role::Admin],
    ),
    (
        "/console/payments",
        "console.payments",
        &[Role::Finance, Role::Admin],
    ),
    (
        "/console/statements",
        "console.statements",
        &[Role::Finance, Role::Admin],
    ),
    (
        "/console/invoices",
        "console.invoices",
        &[Role::Finance, Role::Admin],
    ),
    (
        "/console/production",
        "console.production",
        &[Role::Producer, Role::Admin],
    ),
    (
        "/console/keys",
        "console.keys",
        &[Role::Producer, Role::Admin],
    ),
    (
        "/console/shipping",
        "console.shipping",
        &[Role::Shipper, Role::Admin],
    ),
    (
        "/console/pickups",
        "console.pickups",
        &[Role::Counter, Role::Admin],
    ),
    ("/console/operators", "console.operators", &[Role::Admin]),
    ("/console/channels", "console.channels", &[Role::Admin]),
    ("/console/audit", "console.audit", &[Role::Admin]),
    ("/console/messages", "console.messages", &[Role::Admin]),
];

async fn optional_operator(state: &AppState, request: &PageRequest) -> Option<OperatorSession> {
    crate::auth::operator(state, &request.headers).await.ok()
}

/// The logged-in operator and the page's frame, or the response to send instead: the
/// login page when nobody is logged in. `roles` only spares a round trip to the use case
/// for a page the operator cannot open (403 naming the role); the use cases decide.
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
    let chrome = console_frame(state, request, &operator);
    if !roles.is_empty()
        && let Err(e) = operator.actor().require_any(roles)
    {
        return Err(error_page(chrome, &e));
    }
    Ok((operator, chrome))
}

/// The console's frame for `operator`: the header and the navigation they may open.
fn console_frame(state: &AppState, request: &PageRequest, operator: &OperatorSession) -> Chrome {
    let mut chrome = request.chrome(
        state,
        Area::Console,
        Some(format!("{} ({})", operator.display_name, operator.username)),
        Some(&operator.live.csrf_token),
    );
    let path = request.here.split('?').next().unwrap_or("");
    chrome.nav = NAV
        .iter()
        .filter(|(_, _, needs)| needs.is_empty() || operator.has_any(needs))
        .map(|&(href, label, _)| NavItem {
            href,
            label,
            current: path == href || (href != "/console" && path.starts_with(href)),
        })
        .collect();
    chrome
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
        let refusal = (FormError::csrf(&chrome.t), StatusCode::FORBIDDEN);
        return Err(refusal_page(chrome, refusal));
    }
    Ok((operator, chrome))
}

/// "3 天 2 小时" / "3 d 2 h".
fn age(t: &Tr, seconds: i64) -> String {
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
