//! Server-rendered pages: the customer's business hall and the operator console.
//!
//! Every page is an askama template that extends `base.html` and gets a [`Chrome`]: the
//! language, the site's name, hotline and hours, who is logged in and the CSRF token of
//! its forms. Forms post `application/x-www-form-urlencoded` with a hidden `csrf` field:
//! the session's token when logged in, otherwise the `certhall_form` cookie's value
//! (double submit). A form error re-renders the form with the field named and the values
//! kept (never a password).

mod account;
mod console;
mod hall;
pub mod i18n;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use services::ServiceError;

use crate::AppState;
use crate::error::Lang;
use crate::session_cookie;
pub use i18n::Tr;

/// The anonymous forms' double-submit cookie.
const FORM_COOKIE: &str = "certhall_form";
/// The chosen language (`zh` or `en`), overriding Accept-Language.
const LANG_COOKIE: &str = "certhall_lang";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lang/{lang}", get(switch_language))
        .merge(hall::routes())
        .merge(account::routes())
        .merge(console::routes())
}

/// The language of a page: the cookie set by the switch, else Accept-Language.
pub fn page_lang(headers: &HeaderMap) -> Lang {
    match session_cookie::read(headers, LANG_COOKIE).as_deref() {
        Some("en") => Lang::En,
        Some("zh") => Lang::Zh,
        _ => Lang::from_headers(headers),
    }
}

/// A local path to go back to: absolute, not protocol-relative, no backslashes.
pub fn safe_next(next: Option<&str>, fallback: &str) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_string()
        }
        _ => fallback.to_string(),
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn switch_language(
    axum::extract::Path(lang): axum::extract::Path<String>,
    Query(query): Query<NextQuery>,
) -> Response {
    let value = if lang == "en" { "en" } else { "zh" };
    let mut response = Redirect::to(&safe_next(query.next.as_deref(), "/")).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={value}; Path=/; Max-Age=31536000; SameSite=Lax"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// Which part of the site a page belongs to (decides the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Hall,
    Console,
}

/// One item of the navigation bar.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page shows around its content.
pub struct Chrome {
    pub t: Tr,
    pub area: Area,
    pub ca_name: String,
    pub hotline: String,
    pub service_hours: String,
    pub email: String,
    /// Who is logged in, as shown in the header (masked phone, or operator name).
    pub user: Option<String>,
    /// The token every form of the page carries.
    pub csrf: String,
    /// The path and query of this page (the language switch comes back to it).
    pub here: String,
    pub nav: Vec<NavItem>,
    /// A one-off notice (e.g. "saved").
    pub notice: Option<String>,
    /// A new form cookie to set with the response.
    new_form_cookie: Option<String>,
    /// Mark that cookie `Secure` (the site is served over https).
    secure_cookies: bool,
}

impl Chrome {
    pub fn lang_tag(&self) -> &'static str {
        match self.t.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Whether the page belongs to the operator console (its header and links differ).
    pub fn in_console(&self) -> bool {
        self.area == Area::Console
    }

    pub fn is_en(&self) -> bool {
        self.t.lang == Lang::En
    }

    /// The language switch's link (to the other language, back to this page).
    pub fn switch_href(&self) -> String {
        let other = if self.is_en() { "zh" } else { "en" };
        let next: String =
            percent_encoding::utf8_percent_encode(&self.here, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        format!("/lang/{other}?next={next}")
    }

    /// Chinese or English, by the page's language.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.is_en() { en } else { zh }
    }
}

/// Notices a page may show after a redirect (`?notice=key`): only these keys, so a link
/// cannot put words of its own on a page.
pub const NOTICES: [&str; 9] = [
    "registered",
    "logged_out",
    "logged_out_everywhere",
    "password_reset",
    "password_changed",
    "profile_saved",
    "address_saved",
    "message_retried",
    "channel_saved",
];

/// What a page handler knows about the request before it renders.
pub struct PageRequest {
    pub lang: Lang,
    pub here: String,
    pub form_cookie: Option<String>,
    pub headers: HeaderMap,
    /// The `?notice=` key of a redirect, when it is one of [`NOTICES`].
    notice: Option<&'static str>,
}

impl<S: Send + Sync> FromRequestParts<S> for PageRequest {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageRequest {
            lang: page_lang(&parts.headers),
            here: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            form_cookie: session_cookie::read(&parts.headers, FORM_COOKIE)
                .filter(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit())),
            headers: parts.headers.clone(),
            notice: parts.uri.query().and_then(|query| {
                query
                    .split('&')
                    .filter_map(|pair| pair.strip_prefix("notice="))
                    .find_map(|key| NOTICES.into_iter().find(|n| *n == key))
            }),
        })
    }
}

impl PageRequest {
    /// The frame of a page; `session_csrf` is the logged-in session's token, if any.
    pub fn chrome(
        &self,
        state: &AppState,
        area: Area,
        user: Option<String>,
        session_csrf: Option<&str>,
    ) -> Chrome {
        let t = Tr::new(self.lang);
        let site = &state.hall.site;
        let (csrf, new_form_cookie) = match (session_csrf, &self.form_cookie) {
            (Some(token), _) => (token.to_string(), None),
            (None, Some(cookie)) => (cookie.clone(), None),
            (None, None) => {
                let fresh = services::sessions::random_hex(32).unwrap_or_default();
                (fresh.clone(), Some(fresh))
            }
        };
        let en = self.lang == Lang::En;
        Chrome {
            t,
            area,
            ca_name: if en {
                &site.ca_name_en
            } else {
                &site.ca_name_zh
            }
            .clone(),
            hotline: site.hotline.clone(),
            service_hours: if en {
                &site.service_hours_en
            } else {
                &site.service_hours_zh
            }
            .clone(),
            email: site.email.clone(),
            user,
            csrf,
            here: self.here.clone(),
            nav: Vec::new(),
            notice: self
                .notice
                .map(|key| t.t(&format!("notice.{key}")).to_string()),
            new_form_cookie,
            secure_cookies: state.secure_cookies,
        }
    }

    /// Whether a posted form's `csrf` field is right: the session's token when there is a
    /// session, else the form cookie's value.
    pub fn csrf_ok(&self, posted: &str, session: Option<&services::sessions::LiveSession>) -> bool {
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

/// A page template: it has a [`Chrome`].
pub trait Framed: Template {
    fn chrome(&self) -> &Chrome;
}

/// Implements [`Framed`] for page structs whose frame is the field `chrome`.
macro_rules! framed {
    ($($page:ty),+ $(,)?) => {
        $(impl $crate::pages::Framed for $page {
            fn chrome(&self) -> &$crate::pages::Chrome {
                &self.chrome
            }
        })+
    };
}
pub(crate) use framed;

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

/// A rendered page with the headers every page gets: no caching of personal pages, a
/// strict content security policy (no inline script, nothing from elsewhere), no framing.
pub fn render(status: StatusCode, page: &impl Framed) -> Response {
    let chrome = page.chrome();
    let body = match page.render() {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "template");
            return (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response();
        }
    };
    let mut response = (status, axum::response::Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if let Some(token) = &chrome.new_form_cookie {
        headers.append(
            header::SET_COOKIE,
            session_cookie::set(FORM_COOKIE, token, 86400, "Lax", chrome.secure_cookies),
        );
    }
    response
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
            message: match lang {
                Lang::Zh => error.message_zh.clone(),
                Lang::En => error.message_en.clone(),
            },
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

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub title: String,
    pub message: String,
}
framed!(MessagePage);

/// A page that only says what went wrong (not found, denied…), with the matching status.
pub fn error_page(chrome: Chrome, error: &ServiceError) -> Response {
    let status = crate::error::status_of(error.kind);
    let title = match status {
        StatusCode::NOT_FOUND => chrome.t.t("error.not_found"),
        StatusCode::FORBIDDEN => chrome.t.t("error.forbidden"),
        _ => chrome.t.t("error.title"),
    }
    .to_string();
    let message = FormError::from_service(error, chrome.t.lang).message;
    render(
        status,
        &MessagePage {
            chrome,
            title,
            message,
        },
    )
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

/// `303 See Other` to `to`, optionally with a cookie.
pub fn see_other(to: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = Redirect::to(to).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_paths_stay_on_this_site() {
        assert_eq!(safe_next(Some("/me?x=1"), "/"), "/me?x=1");
        assert_eq!(safe_next(Some("//evil.example"), "/"), "/");
        assert_eq!(safe_next(Some("https://evil.example"), "/"), "/");
        assert_eq!(safe_next(Some("/\\evil"), "/"), "/");
        assert_eq!(safe_next(None, "/console"), "/console");
    }
}
