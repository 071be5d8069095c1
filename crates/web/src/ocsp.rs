//! OCSP over HTTP (RFC 6960 appendix A, RFC 5019): `POST /ocsp` with a DER body and
//! `GET /ocsp/{base64}`. Every reply is an OCSP response; bad input gets
//! `malformedRequest`, never an HTTP error page.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use services::ca::ocsp::OcspAnswer;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ocsp", post(ocsp_post))
        .route("/ocsp/", post(ocsp_post))
        .route("/ocsp/{*request}", get(ocsp_get))
}

fn render(state: &AppState, answer: OcspAnswer, cacheable: bool) -> Response {
    let mut response = (StatusCode::OK, answer.der).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/ocsp-response"),
    );
    if let (true, Some(this_update), Some(next_update)) =
        (cacheable, answer.this_update, answer.next_update)
    {
        let now = state.app.now().seconds();
        let max_age = (next_update - now).max(0);
        if let Ok(v) = HeaderValue::from_str(&format!(
            "public, max-age={max_age}, no-transform, must-revalidate"
        )) {
            headers.insert(header::CACHE_CONTROL, v);
        }
        if let Ok(v) = HeaderValue::from_str(&httpdate(this_update)) {
            headers.insert(header::LAST_MODIFIED, v);
        }
        if let Ok(v) = HeaderValue::from_str(&httpdate(next_update)) {
            headers.insert(header::EXPIRES, v);
        }
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

fn httpdate(unix: i64) -> String {
    let Ok(t) = pki::time::generalized_time(unix) else {
        return String::new();
    };
    let dt = t.to_date_time();
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[((unix / 86_400) % 7) as usize],
        dt.day(),
        MONTHS[usize::from(dt.month() - 1)],
        dt.year(),
        dt.hour(),
        dt.minutes(),
        dt.seconds()
    )
}

async fn ocsp_post(State(state): State<AppState>, body: Bytes) -> Response {
    let answer = services::ca::ocsp::answer(&state.app, &body).await;
    render(&state, answer, false)
}

async fn ocsp_get(State(state): State<AppState>, Path(request): Path<String>) -> Response {
    // Path has been percent-decoded by the extractor; base64 may be standard or URL-safe.
    let cleaned: String = request.chars().filter(|c| !c.is_whitespace()).collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&cleaned)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&cleaned))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&cleaned))
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&cleaned));
    let answer = match decoded {
        Ok(der) => services::ca::ocsp::answer(&state.app, &der).await,
        Err(_) => services::ca::ocsp::answer(&state.app, &[]).await,
    };
    let cacheable = answer.this_update.is_some();
    render(&state, answer, cacheable)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_http_dates() {
        assert_eq!(super::httpdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            super::httpdate(1_700_000_000),
            "Tue, 14 Nov 2023 22:13:20 GMT"
        );
    }
}
