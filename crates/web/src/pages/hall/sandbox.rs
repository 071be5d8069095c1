//! The identity sandbox's own pages, served only while the sandbox is the configured
//! verification service (otherwise 404): the face check a person finishes on a phone
//! (`/sandbox/identity/face/{reference}`, from the QR code or the SMS link; the reference
//! is the credential, as with a real service's link), and the sandbox bank's statement
//! (`/sandbox/identity/bank`), where a tester reads the penny-drop's code as the company
//! would on its own statement.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use services::flows::verify::{FaceState, FaceView, StatementLine};

use crate::AppState;
use crate::pages::{Chrome, Form, PageRequest, framed, local_time, render};

#[derive(Template)]
#[template(path = "hall/sandbox_face.html")]
struct FacePage {
    chrome: Chrome,
    reference: String,
    face: Option<FaceView>,
}
framed!(FacePage);

impl FacePage {
    fn state_text(&self) -> &str {
        match self.face.as_ref().map(|f| f.state) {
            Some(FaceState::Pending) => self.chrome.pick("待认证", "Waiting"),
            Some(FaceState::Passed) => self.chrome.pick(
                "认证通过，请回到电脑继续办理",
                "Passed: go back to the computer",
            ),
            Some(FaceState::Failed) => self.chrome.pick(
                "认证未通过（活体检测或人像比对失败）",
                "Not passed (liveness or face comparison failed)",
            ),
            Some(FaceState::Expired) | None => self.chrome.pick(
                "认证链接已过期或不存在",
                "The link has expired or does not exist",
            ),
        }
    }
    fn pending(&self) -> bool {
        self.face
            .as_ref()
            .is_some_and(|f| f.state == FaceState::Pending)
    }
}

/// Not the sandbox: these pages do not exist.
fn not_served(state: &AppState, request: &PageRequest) -> Response {
    let chrome = crate::pages::hall_frame(state, request, None);
    let error = services::ServiceError::new(
        services::ErrorKind::NotFound,
        "not_found",
        "no such page",
        "页面不存在",
    );
    crate::pages::error_page(chrome, &error)
}

fn face_page(state: &AppState, request: &PageRequest, reference: String) -> Response {
    let Some(sandbox) = state.app.identity_sandbox() else {
        return not_served(state, request);
    };
    let face = sandbox.face(&reference);
    let status = if face.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let chrome = crate::pages::hall_frame(state, request, None);
    let mut response = render(
        status,
        &FacePage {
            chrome,
            reference,
            face,
        },
    );
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

pub async fn face(
    State(state): State<AppState>,
    request: PageRequest,
    Path(reference): Path<String>,
) -> Response {
    face_page(&state, &request, reference)
}

/// The person "looks into the camera": `passed=yes` for a match, anything else for a
/// failed liveness check.
pub async fn finish_face(
    State(state): State<AppState>,
    request: PageRequest,
    Path(reference): Path<String>,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(sandbox) = state.app.identity_sandbox() {
        let passed = posted.iter().any(|(k, v)| k == "passed" && v == "yes");
        sandbox.complete_face(&reference, passed);
    }
    face_page(&state, &request, reference)
}

#[derive(Template)]
#[template(path = "hall/sandbox_bank.html")]
struct BankPage {
    chrome: Chrome,
    lines: Vec<StatementLine>,
}
framed!(BankPage);

impl BankPage {
    fn time(&self, at: &i64) -> String {
        local_time(*at)
    }
    fn yuan(&self, fen: &u32) -> String {
        domain::Fen(u64::from(*fen)).to_string()
    }
}

pub async fn bank(State(state): State<AppState>, request: PageRequest) -> Response {
    let Some(sandbox) = state.app.identity_sandbox() else {
        return not_served(&state, &request);
    };
    let chrome = crate::pages::hall_frame(&state, &request, None);
    render(
        StatusCode::OK,
        &BankPage {
            chrome,
            lines: sandbox.statement(),
        },
    )
}
