//! 证书状态查询 (`/status`): anyone types a serial and sees whether the certificate is good,
//! revoked (when and why) or unknown here, in Beijing time. Nothing of the holder is shown.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use services::ca::status::{self, PublicState, PublicStatus};

use super::public_frame;
use crate::AppState;
use crate::client_ip::ClientIp;
use crate::pages::form::FormError;
use crate::pages::{Chrome, PageRequest, framed, local_time, render};

#[derive(Template)]
#[template(path = "hall/status.html")]
struct StatusPage {
    chrome: Chrome,
    serial: String,
    answer: Option<PublicStatus>,
    error: Option<FormError>,
}
framed!(StatusPage);

impl StatusPage {
    fn time(&self, at: &i64) -> String {
        local_time(*at)
    }
    fn revoked(&self, state: &PublicState) -> Option<(String, &'static str)> {
        match state {
            PublicState::Revoked { at, reason } => Some((local_time(*at), reason.as_str())),
            _ => None,
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct StatusQuery {
    #[serde(default)]
    serial: String,
}

pub async fn page(
    State(state): State<AppState>,
    request: PageRequest,
    ClientIp(ip): ClientIp,
    Query(query): Query<StatusQuery>,
) -> Response {
    let chrome = public_frame(&state, &request).await;
    let serial = query.serial.trim().to_string();
    let (answer, error, code) = if serial.is_empty() {
        (None, None, StatusCode::OK)
    } else {
        match status::look_up(&state.app, &ip, &serial).await {
            Ok(answer) => (Some(answer), None, StatusCode::OK),
            Err(e) => {
                let (error, code) = FormError::failed(&e, chrome.t.lang);
                (None, Some(error), code)
            }
        }
    };
    render(
        code,
        &StatusPage {
            chrome,
            serial,
            answer,
            error,
        },
    )
}
