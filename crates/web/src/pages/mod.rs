//! Server-rendered pages: the customer's business hall and the operator console.
//!
//! Every page is an askama template that extends `base.html` and gets a [`Chrome`]: the
//! language, the site's name, hotline and hours, who is logged in and the CSRF token of
//! its forms. Forms post `application/x-www-form-urlencoded` with a hidden `csrf` field:
//! the session's token when logged in, otherwise the `certhall_form` cookie's value
//! (double submit). A form error re-renders the form with the field named and the values
//! kept (never a password).

pub(crate) mod account;
mod chrome;
mod console;
pub(crate) mod desk;
mod form;
mod hall;
pub mod i18n;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::Lang;
use services::ServiceError;

pub use chrome::{Area, Chrome, NavItem, hall_frame};
pub use form::{CsrfForm, Form, FormError, LoginForm, NextQuery, run_form, status_and_error};
pub use i18n::Tr;

use crate::AppState;
use crate::cookies;
use crate::lang::from_accept_language;

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
    match cookies::read(headers, LANG_COOKIE).as_deref() {
        Some("en") => Lang::En,
        Some("zh") => Lang::Zh,
        _ => from_accept_language(headers),
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

/// Notices a page may show after a redirect (`?notice=key`): only these keys, so a link
/// cannot put words of its own on a page.
pub const NOTICES: [&str; 10] = [
    "registered",
    "logged_out",
    "logged_out_everywhere",
    "password_reset",
    "password_changed",
    "profile_saved",
    "address_saved",
    "message_retried",
    "channel_saved",
    "readdressed",
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

impl FromRequestParts<AppState> for PageRequest {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(PageRequest {
            lang: page_lang(&parts.headers),
            here: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            form_cookie: cookies::read(&parts.headers, FORM_COOKIE)
                .filter(|v| services::people::sessions::form_token_valid(&state.app, v)),
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
            cookies::set(FORM_COOKIE, token, 86400, "Lax", chrome.secure_cookies),
        );
    }
    response
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
    let refusal = FormError::failed(error, chrome.t.lang);
    refusal_page(chrome, refusal)
}

/// [`error_page`] for a refusal already turned into a form error (a post that is not a
/// form page, such as logout).
pub fn refusal_page(chrome: Chrome, (error, status): (FormError, StatusCode)) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => chrome.t.t("error.not_found"),
        StatusCode::FORBIDDEN => chrome.t.t("error.forbidden"),
        _ => chrome.t.t("error.title"),
    }
    .to_string();
    render(
        status,
        &MessagePage {
            chrome,
            title,
            message: error.message,
        },
    )
}

/// `303 See Other` to `to`, optionally with a cookie.
pub fn see_other(to: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = Redirect::to(to).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// China Standard Time, as the console shows times.
pub(crate) fn local_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .map(|t| t.to_offset(time::macros::offset!(+8)))
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| unix.to_string())
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
