//! Forms: reading a posted form ([`Form`]), its CSRF check, and the error a form page shows
//! again beside the field at fault ([`FormError`]).

use std::future::Future;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Lang;
use serde::de::DeserializeOwned;
use services::ServiceError;
use services::people::sessions::LiveSession;

use super::{PageRequest, Tr};

/// A form with nothing but its CSRF token (logout, retry, make default, delete).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// `?next=` of a page that goes back somewhere after it (login).
#[derive(serde::Deserialize, Default)]
pub struct NextQuery {
    pub next: Option<String>,
}

/// A login form: the customer's phone or the operator's username, the password, and where
/// to go next.
#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub csrf: String,
    /// `phone` on the hall's form, `username` on the console's.
    #[serde(default, alias = "phone", alias = "username")]
    pub login: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
}

/// A form's post: the CSRF check (the session's token, or for an anonymous form the form
/// cookie's), then `act`, whose success is the response (usually a redirect). A refusal
/// comes back as the error to show beside the field, with the status to answer with.
pub async fn run_form<F, Fut>(
    request: &PageRequest,
    csrf: &str,
    session: Option<&LiveSession>,
    act: F,
) -> Result<Response, (FormError, StatusCode)>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Response, ServiceError>>,
{
    if !request.csrf_ok(csrf, session) {
        let t = Tr::new(request.lang);
        return Err((FormError::csrf(&t), StatusCode::FORBIDDEN));
    }
    act().await.map_err(|e| FormError::failed(&e, request.lang))
}

/// A posted form (`application/x-www-form-urlencoded`). Repeated names, such as the
/// console's role checkboxes, gather into a `Vec` field, which axum's own `Form`
/// (serde_urlencoded) cannot do; every page form goes through this one.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            let text = "表单须以 application/x-www-form-urlencoded 提交 / \
                        a form must be sent as application/x-www-form-urlencoded";
            return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, text).into_response());
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        // Page forms default every field, so only a hand-made body fails here.
        serde_html_form::from_bytes(&body).map(Form).map_err(|e| {
            let text = format!("表单无法读取 / the form cannot be read: {e}");
            (StatusCode::BAD_REQUEST, text).into_response()
        })
    }
}

/// A form's error: the field at fault (its `id` in the form) and the message.
pub struct FormError {
    pub field: Option<String>,
    pub message: String,
    /// The error's stable code (`phone_registered`…), for pages that offer a way out.
    pub code: &'static str,
}

impl FormError {
    pub fn from_service(error: &ServiceError, lang: Lang) -> Self {
        FormError {
            field: error.field.clone(),
            code: error.code,
            message: error.message(lang).to_string(),
        }
    }

    /// A service's refusal as a form error and the status to answer with.
    pub fn failed(error: &ServiceError, lang: Lang) -> (Self, StatusCode) {
        (
            FormError::from_service(error, lang),
            crate::error::status_of(error.kind),
        )
    }

    pub fn csrf(t: &Tr) -> Self {
        FormError {
            field: None,
            code: "csrf",
            message: t.t("error.csrf").to_string(),
        }
    }

    /// Whether it is about `field` (templates mark that input invalid).
    pub fn is(&self, field: &str) -> bool {
        self.field.as_deref() == Some(field)
    }
}

/// The status and the error of a form page shown again after `refusal` (200 without one).
pub fn status_and_error(
    refusal: Option<(FormError, StatusCode)>,
) -> (StatusCode, Option<FormError>) {
    match refusal {
        Some((error, status)) => (status, Some(error)),
        None => (StatusCode::OK, None),
    }
}

impl PageRequest {
    /// Whether a posted form's `csrf` field is right: the session's token when there is a
    /// session, else the form cookie's value.
    pub fn csrf_ok(&self, posted: &str, session: Option<&LiveSession>) -> bool {
        match session {
            Some(live) => live.csrf_matches(posted),
            None => match &self.form_cookie {
                Some(cookie) => {
                    !posted.is_empty()
                        && aws_lc_rs::constant_time::verify_slices_are_equal(
                            cookie.as_bytes(),
                            posted.as_bytes(),
                        )
                        .is_ok()
                }
                None => false,
            },
        }
    }
}
