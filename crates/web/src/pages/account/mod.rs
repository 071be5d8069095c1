//! The customer's account pages: registration, login, logout, password reset, and 个人中心
//! (profile, password, address book). Each is a plain HTML form (works without
//! JavaScript) calling the same use cases as `/api/v1`.

mod addresses;
pub(crate) mod applications;
mod certificates;
pub(crate) mod code_form;
mod login;
pub(crate) mod orders;
mod password;
mod profile;
mod register;
mod reset;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use domain::AddressInput;
use services::ServiceError;
use services::flows::application::Applicant;
use services::people::accounts::CustomerSession;
use services::people::actor::Actor;
use services::people::profiles::{self, Profile};
use services::people::sessions::LiveSession;

use crate::AppState;
use crate::pages::desk::Desk;
use crate::pages::{Chrome, FormError, NavItem, PageRequest, Tr, hall_frame, see_other};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/register", get(register::form).post(register::submit))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/logout-everywhere", post(login::logout_everywhere))
        .route("/password-reset", get(reset::form).post(reset::submit))
        .route("/me", get(profile::page).post(profile::save))
        .route("/me/password", get(password::form).post(password::submit))
        .route("/me/addresses", get(addresses::page).post(addresses::add))
        .route(
            "/me/addresses/{id}",
            get(addresses::edit_form).post(addresses::update),
        )
        .route("/me/addresses/{id}/default", post(addresses::make_default))
        .route("/me/addresses/{id}/delete", post(addresses::delete))
        .route("/applications", get(applications::list))
        .route("/certificates", get(certificates::list))
        .route("/certificates/{serial}", get(certificates::details))
        .route(
            "/certificates/{serial}/{format}",
            get(certificates::download),
        )
        .route("/orders", get(orders::list).post(orders::place_order))
        .route("/orders/new", get(orders::new_form))
        .route("/orders/{id}", get(orders::page))
        .route("/orders/{id}/cancel", post(orders::cancel_order))
        .route("/orders/{id}/pay-online", post(orders::pay_online))
        .route("/orders/{id}/state", get(orders::order_state))
        .route(
            "/orders/{id}/voucher",
            post(orders::upload_voucher).layer(axum::extract::DefaultBodyLimit::max(
                crate::api::applications::UPLOAD_BODY_LIMIT,
            )),
        )
        .route("/orders/{id}/vouchers/{voucher}", get(orders::voucher))
        .route("/orders/{id}/voucher-link", post(orders::voucher_link))
        .route(
            "/orders/{id}/invoices/{invoice}/{format}",
            get(orders::invoice_file),
        )
        .merge(applications::wizard_routes::<SignedIn>())
        .route(
            "/c/{code}/apply",
            get(applications::start_form).post(applications::start),
        )
}

/// The logged-in customer, if the session cookie is valid.
async fn optional_customer(state: &AppState, request: &PageRequest) -> Option<CustomerSession> {
    crate::auth::customer(state, &request.headers).await.ok()
}

/// The logged-in customer of a 个人中心 page; anyone else is sent to the login page, which
/// comes back here afterwards.
pub struct SignedIn(pub CustomerSession);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match crate::auth::customer(state, &parts.headers).await {
            Ok(customer) => Ok(SignedIn(customer)),
            Err(_) => {
                let here = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                let next: String =
                    percent_encoding::utf8_percent_encode(here, percent_encoding::NON_ALPHANUMERIC)
                        .to_string();
                Err(see_other(&format!("/login?next={next}"), None))
            }
        }
    }
}

impl Desk for SignedIn {
    const BASE: &'static str = "/applications";
    const LIST: &'static str = "/applications";

    fn live(&self) -> &LiveSession {
        &self.0.live
    }
    fn frame(&self, state: &AppState, request: &PageRequest) -> Chrome {
        hall_frame(state, request, Some(&self.0))
    }
    fn actor(&self) -> Actor {
        self.0.actor()
    }
    async fn applicant(&self, _: &AppState, _: i64) -> Result<Applicant, ServiceError> {
        Ok(Applicant::customer(&self.0))
    }
    async fn prefill(&self, state: &AppState) -> (Profile, Option<AddressInput>) {
        let profile = profiles::get(&state.app, &self.0).await.unwrap_or_default();
        let default_address = profiles::addresses(&state.app, &self.0)
            .await
            .ok()
            .and_then(|list| list.into_iter().find(|a| a.is_default))
            .map(|a| a.address.to_input());
        (profile, default_address)
    }
}

/// The frame of a 个人中心 page, with its navigation.
fn personal(
    state: &AppState,
    request: &PageRequest,
    customer: &CustomerSession,
    current: &str,
) -> Chrome {
    let mut chrome = hall_frame(state, request, Some(customer));
    chrome.nav = [
        ("/me", "me.profile"),
        ("/applications", "me.applications"),
        ("/orders", "me.orders"),
        ("/certificates", "me.certificates"),
        ("/me/addresses", "me.addresses"),
        ("/me/password", "me.password"),
    ]
    .into_iter()
    .map(|(href, label)| NavItem {
        href,
        label,
        current: href == current,
    })
    .collect();
    chrome
}

fn field_error(t: &Tr, field: &str, key: &str) -> FormError {
    FormError {
        field: Some(field.to_string()),
        message: t.t(key).to_string(),
        code: "invalid_field",
    }
}

/// A second password field that must repeat the first.
fn confirm(t: &Tr, password: &str, confirmation: &str) -> Result<(), FormError> {
    if password != confirmation {
        return Err(field_error(
            t,
            "password_confirm",
            "error.password_mismatch",
        ));
    }
    Ok(())
}
