//! Cross-site requests that change something are refused before any handler runs: a
//! browser says where a request comes from (`Sec-Fetch-Site`, `Origin`), and a form or
//! script on another site must not log a visitor in, post a form or call the API with the
//! visitor's cookies. The CSRF tokens check the same thing per session; this covers what
//! has no session yet (login CSRF) and stands behind the tokens everywhere.
//!
//! Requests without either header (the command line, registration-authority systems,
//! OCSP clients, payment providers' notices) are not browsers' and pass.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use services::{ErrorKind, ServiceError};

use crate::AppState;
use crate::error::ApiError;
use crate::lang::from_accept_language;

/// Whether a state-changing request with these headers comes from this site's own pages:
/// `Sec-Fetch-Site` when the browser sends it, else an `Origin` that is this host or the
/// public URL's origin (behind a proxy that rewrites `Host`).
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        // "none": typed in the address bar or a bookmark; "same-origin": our own pages.
        Some("same-origin" | "none") => return true,
        Some(_) => return false,
        None => {}
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    // The public URL's origin: scheme and authority, without the path.
    let public_origin = public_url
        .split_once("://")
        .map(|(scheme, rest)| (scheme, rest.split('/').next().unwrap_or("")));
    if let Some((scheme, authority)) = public_origin
        && origin.eq_ignore_ascii_case(&format!("{scheme}://{authority}"))
    {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let authority = origin.split_once("://").map(|(_, authority)| authority);
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// The middleware: GET, HEAD and OPTIONS pass; other methods only from this site.
pub async fn same_site_only(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method().is_safe() || same_origin(request.headers(), state.app.public_url()) {
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

    const PUBLIC: &str = "https://ca.example.cn/hall";

    #[test]
    fn only_this_sites_pages_and_non_browsers_pass() {
        let host = ("host", "hall.example.cn");
        assert!(same_origin(&headers(&[host]), PUBLIC));
        assert!(same_origin(
            &headers(&[host, ("sec-fetch-site", "same-origin")]),
            PUBLIC
        ));
        assert!(same_origin(
            &headers(&[host, ("sec-fetch-site", "none")]),
            PUBLIC
        ));
        assert!(!same_origin(
            &headers(&[host, ("sec-fetch-site", "cross-site")]),
            PUBLIC
        ));
        assert!(!same_origin(
            &headers(&[host, ("sec-fetch-site", "same-site")]),
            PUBLIC
        ));
        assert!(same_origin(
            &headers(&[host, ("origin", "https://hall.example.cn")]),
            PUBLIC
        ));
        assert!(!same_origin(
            &headers(&[host, ("origin", "https://evil.example")]),
            PUBLIC
        ));
        assert!(!same_origin(&headers(&[host, ("origin", "null")]), PUBLIC));
        // Behind a proxy that rewrites Host, the public URL's origin still passes.
        let proxied = ("host", "127.0.0.1:8080");
        assert!(same_origin(
            &headers(&[proxied, ("origin", "https://ca.example.cn")]),
            PUBLIC
        ));
        assert!(!same_origin(
            &headers(&[proxied, ("origin", "https://ca.example.cn.evil")]),
            PUBLIC
        ));
    }
}
