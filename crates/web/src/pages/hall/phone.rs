//! The phone's page of a one-time upload link (`/m/{token}`, from the QR code on the
//! computer): no login, the token is the credential; one photo (the camera is offered),
//! the same checks as any upload; the link works once and for ten minutes. The token is
//! kept out of referrers.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use services::flows::{pay, upload};

use crate::AppState;
use crate::pages::{Chrome, FormError, PageRequest, framed, local_time, render};

type Labelled = ((String, String), String, (String, String), String);

#[derive(Template)]
#[template(path = "hall/phone_upload.html")]
struct PhonePage {
    chrome: Chrome,
    token: String,
    /// What the number is (zh, en), the application's or order's number, what is uploaded
    /// (zh, en) and when the link expires.
    target: Option<Labelled>,
    done: bool,
    error: Option<FormError>,
}
framed!(PhonePage);

impl PhonePage {
    fn slot_name<'a>(&'a self, names: &'a (String, String)) -> &'a str {
        self.chrome.pick(&names.0, &names.1)
    }
}

async fn page(
    state: &AppState,
    request: &PageRequest,
    token: String,
    done: bool,
    error: Option<(FormError, StatusCode)>,
) -> Response {
    let chrome = super::public_frame(state, request).await;
    // A document's link, or an order's voucher link.
    let target =
        match upload::link_target(&state.app, &token).await {
            Ok(t) => Some((
                ("申请单号".to_string(), "Application".to_string()),
                t.number,
                t.slot_name,
                local_time(t.expires_at),
            )),
            Err(_) => pay::voucher_link_target(&state.app, &token).await.ok().map(
                |(number, expires_at)| {
                    (
                        ("订单号".to_string(), "Order".to_string()),
                        number,
                        ("汇款底单".to_string(), "Transfer voucher".to_string()),
                        local_time(expires_at),
                    )
                },
            ),
        };
    let (status, error) = match (error, &target, done) {
        (Some((e, status)), _, _) => (status, Some(e)),
        (None, None, false) => {
            let gone = services::ServiceError::new(
                services::ErrorKind::NotFound,
                "link_gone",
                "this upload link was used, replaced or has expired",
                "该上传链接已使用、已更新或已过期，请在电脑上重新生成二维码",
            );
            let (e, status) = FormError::failed(&gone, request.lang);
            (status, Some(e))
        }
        _ => (StatusCode::OK, None),
    };
    let mut response = render(
        status,
        &PhonePage {
            chrome,
            token,
            target,
            done,
            error,
        },
    );
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

pub async fn form(
    State(state): State<AppState>,
    request: PageRequest,
    Path(token): Path<String>,
) -> Response {
    page(&state, &request, token, false, None).await
}

pub async fn submit(
    State(state): State<AppState>,
    request: PageRequest,
    Path(token): Path<String>,
    form: Multipart,
) -> Response {
    let limit = state.app.documents.max_upload_bytes;
    let result = match crate::upload::read(form, limit, &[]).await {
        Ok(sent) => match upload::link_target(&state.app, &token).await {
            Ok(_) => upload::upload_by_link(&state.app, &token, sent.bytes)
                .await
                .map(|_| ()),
            Err(_) => pay::upload_voucher_by_link(&state.app, &token, sent.bytes)
                .await
                .map(|_| ()),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => page(&state, &request, token, true, None).await,
        Err(e) => {
            let error = FormError::failed(&e, request.lang);
            page(&state, &request, token, false, Some(error)).await
        }
    }
}
