//! The API's description, `GET /api/v1/openapi.json`: every operation with the statuses
//! it can answer and the constraints its input is checked against.

use axum::Json;
use axum::response::IntoResponse;
use utoipa::OpenApi;

use super::{accounts, certificates, channels, console, profile};
use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(title = "CertHall API", description = "Issue, revoke and look up certificates. Errors are {\"error\": {\"code\", \"message\", \"field\"}}; messages follow Accept-Language (Chinese by default)."),
    paths(
        certificates::list_cas, certificates::issue, certificates::get_certificate, certificates::revoke,
        accounts::send_code, accounts::register, accounts::login,
        accounts::logout, accounts::logout_everywhere, accounts::reset_password,
        accounts::me, accounts::change_password,
        console::session::login, console::session::me, console::session::logout,
        console::operators::list_operators, console::audit::audit_log,
        console::outbox::outbox, console::outbox::retry_message,
        profile::get_profile, profile::put_profile, profile::list_addresses,
        profile::add_address, profile::update_address, profile::delete_address,
        profile::make_default,
        channels::list, channels::one,
    ),
    components(schemas(
        certificates::CaView, certificates::IssueBody, certificates::CertificateView,
        certificates::RevokeBody, certificates::RevocationView, ErrorBody,
        accounts::CodeRequest, accounts::CodeSentView, accounts::RegisterRequest,
        accounts::LoginRequest, accounts::SessionView, accounts::ResetRequest,
        accounts::ChangePasswordRequest,
        console::session::ConsoleLogin, console::session::OperatorView, console::audit::AuditView,
        console::outbox::MessageView,
        profile::ProfileBody, profile::AddressBody, profile::AddressView, profile::Created,
    )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}
