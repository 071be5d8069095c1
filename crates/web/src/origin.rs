//! Cross-site requests that change something are refused before any handler runs: a
//! browser says where a request comes from (`Sec-Fetch-Site`, `Origin`), and a form or
//! script on another site must not log a visitor in, post a form or call the API with the
//! visitor's cookies. The CSRF tokens check the same thing per session; this covers what
//! has no session yet (login CSRF) and stands behind the tokens everywhere.
//!
//! Requests without either header (the command line, registration-authority systems,
//! OCSP clients, payment providers' notices) are not browsers' and pass.

use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use services::{ErrorKind, ServiceError};

use crate::error::ApiError;
use crate::lang::from_accept_language;

/// Whether a state-changing request with these headers comes from this site's own pages.
fn same_origin(headers: &HeaderMap) -> bool {
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        // "none": typed in the address bar or a bookmark; "same-origin": our own pages.
        Some("same-origin" | "none") => return true,
        Some(_) => return false,
        None => {}
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let authority = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, authority)| authority);
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// The middleware: GET, HEAD and OPTIONS pass; other methods only from this site.
pub async fn same_site_only(request: Request, next: Next) -> Response {
    if request.method().is_safe() || same_origin(request.headers()) {
        return next.run(request).await;
    }
    let lang = from_accept_language(request.headers());
    ApiError::new(
        ServiceError::new(
            ErrorKind::Forbidden,
            "cross_site",
            "a request from another site may not change anything here",
            "不接受来自其他网站的请求",
        )
        .with_field("origin"),
        lang,
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_this_sites_pages_and_non_browsers_pass() {
        let host = ("host", "hall.example.cn");
        assert!(same_origin(&headers(&[host])));
        assert!(same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "none")])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-site")
        ])));
        assert!(same_origin(&headers(&[
            host,
            ("origin", "https://hall.example.cn")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
    }
}
