//! The API's description, `GET /api/v1/openapi.json`: every operation with the statuses
//! it can answer and the constraints its input is checked against.

use axum::Json;
use axum::response::IntoResponse;
use utoipa::OpenApi;

use super::{
    accounts, applications, certificates, channels, console, orders, profile, verification,
};
use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(title = "CertHall API", description = "Issue, revoke and look up certificates. Errors are {\"error\": {\"code\", \"message\", \"field\"}}; messages follow Accept-Language (Chinese by default)."),
    paths(
        certificates::list_cas, certificates::issue, certificates::get_certificate, certificates::revoke,
        certificates::certificate_status, certificates::my_certificates, certificates::my_certificate,
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
        applications::list, applications::one, applications::start, applications::choose_product,
        applications::describe_subject, applications::describe_agent, applications::choose_delivery,
        applications::accept_agreement, applications::send_signing_code,
        applications::submit_application, applications::edit_application,
        applications::send_readdress_code, applications::readdress_application,
        applications::cancel_application, applications::upload_document,
        applications::get_document, console::reviews::document, applications::get_pdf, applications::make_phone_link,
        verification::state, verification::check, verification::code, verification::documents,
        console::reviews::queue, console::reviews::one, console::reviews::take,
        console::reviews::release, console::reviews::approve, console::reviews::reject,
        console::production::queue, console::production::start, console::production::csr,
        console::production::finish, console::production::fail,
        console::shipping::queue, console::shipping::ship_keys, console::shipping::make_waybill,
        applications::shipment, applications::confirm_receipt,
        orders::list, orders::awaiting, orders::place_order, orders::one, orders::cancel_order,
        orders::upload_voucher, orders::get_voucher, orders::get_invoice, orders::pay_online,
    ),
    components(schemas(
        certificates::CaView, certificates::IssueBody, certificates::CertificateView,
        certificates::RevokeBody, certificates::RevocationView, certificates::StatusView,
        certificates::MyCertificateView, ErrorBody,
        accounts::CodeRequest, accounts::CodeSentView, accounts::RegisterRequest,
        accounts::LoginRequest, accounts::SessionView, accounts::ResetRequest,
        accounts::ChangePasswordRequest,
        console::session::ConsoleLogin, console::session::OperatorView, console::audit::AuditView,
        console::outbox::MessageView, console::outbox::MessageStatusName, accounts::CodePurposeName,
        profile::ProfileBody, profile::AddressBody, profile::AddressView, profile::Created,
        verification::VerificationView, verification::PartyView, verification::PendingView,
        verification::AccountBody, verification::CheckBody, verification::CodeBody, verification::DocumentsBody,
        applications::ApplicationView, applications::OutcomeView, applications::ProductView, applications::SignatureView,
        applications::TimelineView, applications::StartBody, applications::Saved,
        applications::ProductBody, applications::SubjectBody, applications::AgentBody,
        applications::DeliveryBody, applications::AgreementBody, applications::SubmitBody,
        applications::ReaddressBody,
        console::reviews::QueueItemView, console::reviews::RejectBody,
        console::production::ProductionItemView, console::production::KeyBody,
        console::production::StartBody, console::production::StartedView,
        console::production::CsrBody, console::production::IssuedView,
        console::production::FinishBody, console::production::FailBody,
        console::shipping::ShippingItemView, console::shipping::ShipBody,
        console::shipping::WaybillBody, console::shipping::WaybillView,
        applications::ShipmentView, applications::TrackingEventView,
        applications::UploadForm, applications::UploadedView, applications::DocumentView, applications::PhoneLinkView,
        orders::OrderView, orders::LineView, orders::VoucherView, orders::RemittanceView,
        orders::RefundView, orders::InvoiceView,
        orders::AwaitingView, orders::PlaceBody, orders::VoucherForm, orders::OnlineCodeView,
    )),
    modifiers(&CommonResponses)
)]
struct ApiDoc;

/// The security schemes, and the statuses every operation can answer because of how it
/// authenticates and whether it takes a body. Added in this one place (where an operation
/// does not already say more), so that no operation forgets one:
///
/// - a JSON body: 400 (unreadable), 413 (over 64 KiB), 415 (not `application/json`),
///   422 (not what the operation takes; `field` names it by its path);
/// - a session cookie or a bearer token: 401 without a valid one;
/// - 403: a console operation outside the operator's roles, a token's scope, or a
///   state-changing cookie request without the session's `X-CSRF-Token` (that header is
///   added to those operations as a parameter).
struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "customer",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "The customer's session (set by registration and login)",
            ))),
        );
        components.add_security_scheme(
            "console",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::CONSOLE_COOKIE,
                "The operator's console session (set by the console login)",
            ))),
        );
        for item in openapi.paths.paths.values_mut() {
            for (safe, operation) in [
                (true, item.get.as_mut()),
                (false, item.post.as_mut()),
                (false, item.put.as_mut()),
                (false, item.delete.as_mut()),
                (false, item.patch.as_mut()),
            ] {
                if let Some(operation) = operation {
                    add_common_responses(operation, safe);
                }
            }
        }
    }
}

/// The names of the security schemes an operation requires.
fn schemes_of(operation: &utoipa::openapi::path::Operation) -> Vec<String> {
    let requirements = serde_json::to_value(&operation.security).unwrap_or_default();
    requirements
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_object())
        .flat_map(|r| r.keys().cloned())
        .collect()
}

fn add_common_responses(operation: &mut utoipa::openapi::path::Operation, safe: bool) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, Required, ResponseBuilder};
    let schemes = schemes_of(operation);
    let cookie = schemes.iter().any(|s| s == "customer" || s == "console");
    let console = schemes.iter().any(|s| s == "console");
    let bearer = schemes.iter().any(|s| s == "bearer");
    let mut add = |status: &str, description: &str| {
        let error = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build();
        let response = ResponseBuilder::new()
            .description(description)
            .content("application/json", error)
            .build();
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert(response.into());
    };
    if operation.request_body.is_some() {
        add("400", "The body could not be read");
        add("413", "The body is over 64 KiB");
        add(
            "415",
            "The body is not JSON (Content-Type: application/json)",
        );
        add(
            "422",
            "The body is not what this operation takes, or a value is refused; `field` names it",
        );
    }
    if cookie || bearer {
        add(
            "401",
            "Not logged in (no valid session cookie or bearer token)",
        );
    }
    if console {
        add(
            "403",
            "The operator's roles do not allow this, or no valid X-CSRF-Token",
        );
    } else if bearer {
        add("403", "The token's scope does not cover this CA or profile");
    } else if cookie && !safe {
        add("403", "Missing or wrong X-CSRF-Token");
    }
    if cookie && !safe {
        let csrf = ParameterBuilder::new()
            .name(crate::auth::CSRF_HEADER)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(
                "The session's CSRF token (from login or `GET /api/v1/me`)",
            ))
            .schema(Some(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String),
            ))
            .build();
        operation.parameters.get_or_insert_with(Vec::new).push(csrf);
    }
}

pub async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_lists_the_statuses_its_authentication_and_body_can_give() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let statuses = op["responses"].as_object().unwrap();
                let has = |s: &str| statuses.contains_key(s);
                let schemes: Vec<&str> = op["security"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r.as_object())
                    .flat_map(|r| r.keys().map(String::as_str))
                    .collect();
                let at = format!("{method} {path}");
                if op.get("requestBody").is_some() {
                    for s in ["400", "413", "415", "422"] {
                        assert!(has(s), "{at} lacks {s}");
                    }
                }
                if !schemes.is_empty() {
                    assert!(has("401"), "{at} lacks 401");
                }
                let cookie = schemes.iter().any(|s| *s == "customer" || *s == "console");
                if cookie && method != "get" {
                    assert!(has("403"), "{at} lacks 403");
                    let csrf = op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|p| p["name"] == "x-csrf-token" && p["required"] == true);
                    assert!(csrf, "{at} does not ask for X-CSRF-Token");
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 79, "every operation of the API is described");
        let phone = &doc["components"]["schemas"]["CodeRequest"]["properties"]["phone"];
        assert_eq!(phone["pattern"], "^1[3-9][0-9]{9}$");
        let purpose = &doc["components"]["schemas"]["CodePurposeName"]["enum"];
        assert_eq!(purpose, &serde_json::json!(["register", "reset_password"]));
        // The documented statuses are the state machine's, by their stored names.
        use domain::Status;
        let statuses = &doc["components"]["schemas"]["MessageStatusName"]["enum"];
        let stored: Vec<&str> = domain::MessageStatus::ALL
            .iter()
            .map(|s| s.as_str())
            .collect();
        assert_eq!(statuses, &serde_json::json!(stored));
    }
}
