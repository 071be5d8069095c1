//! The flow of the forms that prove a phone with an SMS code (registration, password
//! reset; unlock and replacement will use it too): the CSRF check, the "send code" button
//! (the form comes back with "code sent" or why not), the repeated password, then the
//! form's own action.

use std::future::Future;

use axum::http::StatusCode;
use axum::response::Response;
use services::ServiceError;
use services::people::sms_codes::{self, CodePurpose};

use super::confirm;
use crate::AppState;
use crate::pages::{Chrome, FormError, Framed, PageRequest, hall_frame, render, status_and_error};

/// A page with such a form: shown again with the phone kept and an error, if any.
pub trait CodeFormPage: Framed {
    fn show(chrome: Chrome, phone: String, error: Option<FormError>) -> Self;
}

/// Defines the page `$page` of an SMS-code form over `$template` (fields: the frame, the
/// phone, the error) and the handler `form` that shows it empty. The form's token is the
/// form cookie's even for a logged-in customer: one page carries one token, the one its
/// post checks.
macro_rules! code_form_page {
    ($page:ident, $template:literal) => {
        #[derive(askama::Template)]
        #[template(path = $template)]
        struct $page {
            chrome: $crate::pages::Chrome,
            phone: String,
            error: Option<$crate::pages::FormError>,
        }
        $crate::pages::framed!($page);

        impl $crate::pages::account::code_form::CodeFormPage for $page {
            fn show(
                chrome: $crate::pages::Chrome,
                phone: String,
                error: Option<$crate::pages::FormError>,
            ) -> Self {
                $page {
                    chrome,
                    phone,
                    error,
                }
            }
        }

        pub async fn form(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            request: $crate::pages::PageRequest,
        ) -> axum::response::Response {
            use $crate::pages::account::code_form::CodeFormPage;
            let chrome = $crate::pages::hall_frame(&state, &request, None);
            $crate::pages::render(
                axum::http::StatusCode::OK,
                &$page::show(chrome, String::new(), None),
            )
        }
    };
}
pub(crate) use code_form_page;

/// What an SMS-code form posts.
#[derive(serde::Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pub csrf: String,
    /// `send_code` for the "send code" button; anything else submits.
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub code: String,
    /// `password` on registration, `new_password` on the reset form.
    #[serde(default, alias = "new_password")]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
    /// Registration's consent to the agreement (a ticked checkbox).
    #[serde(default)]
    pub agree: Option<String>,
}

/// Runs the flow; `act` is the form's own action, whose success is the response (a
/// redirect) and whose refusal shows the form again with the field named.
pub async fn run<P, F, Fut>(
    state: &AppState,
    request: &PageRequest,
    ip: &str,
    fields: &CodeForm,
    purpose: CodePurpose,
    act: F,
) -> Response
where
    P: CodeFormPage,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Response, ServiceError>>,
{
    // Anonymous even for a logged-in customer: the form's token is the form cookie's.
    let mut chrome = hall_frame(state, request, None);
    let show = |chrome: Chrome, refusal: Option<(FormError, StatusCode)>| {
        let (status, error) = status_and_error(refusal);
        render(
            status,
            &P::show(chrome, fields.phone.trim().to_string(), error),
        )
    };
    if !request.csrf_ok(&fields.csrf, None) {
        let error = FormError::csrf(&chrome.t);
        return show(chrome, Some((error, StatusCode::FORBIDDEN)));
    }
    if fields.action == "send_code" {
        return match sms_codes::send(&state.app, &fields.phone, purpose, ip, request.lang).await {
            Ok(_) => {
                let notice = match purpose {
                    CodePurpose::Register => "notice.code_sent_register",
                    CodePurpose::ResetPassword => "notice.code_sent_reset",
                    _ => "notice.code_sent",
                };
                chrome.notice = Some(chrome.t.t(notice).to_string());
                show(chrome, None)
            }
            Err(e) => show(chrome, Some(FormError::failed(&e, request.lang))),
        };
    }
    if let Err(e) = confirm(&chrome.t, &fields.password, &fields.password_confirm) {
        return show(chrome, Some((e, StatusCode::UNPROCESSABLE_ENTITY)));
    }
    match act().await {
        Ok(done) => done,
        Err(e) => show(chrome, Some(FormError::failed(&e, request.lang))),
    }
}
