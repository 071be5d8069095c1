//! The invoicing HTTP adapter against a platform that speaks CertHall's signed JSON: it
//! checks our signatures, keys the invoice by our request number (asked again, the same
//! invoice), signs its answers, refuses a buyer it does not accept, and can be told to be
//! down or to sign with another secret: nothing but a verified "issued" is an invoice.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use certhall_providers::invoicing::http::{DraftRequest, HttpIssuer, IssueResult};
use certhall_providers::invoicing::{InvoiceDraft, InvoiceIssuer, InvoiceLine, InvoicingError};
use certhall_providers::signing;
use domain::Fen;
use domain::channel::InvoiceKind;
use domain::time::{Clock, SettableClock, UnixTime};

const SECRET: &[u8] = b"0123456789abcdef-invoice-secret!";
const HONEST: u8 = 0;
const DOWN: u8 = 1;
const BAD_SIGNATURE: u8 = 2;

struct Platform {
    clock: Arc<SettableClock>,
    mode: AtomicU8,
    issued: Mutex<BTreeMap<String, IssueResult>>,
    calls: Mutex<u32>,
}

async fn platform(clock: Arc<SettableClock>) -> (String, Arc<Platform>) {
    let state = Arc::new(Platform {
        clock,
        mode: AtomicU8::new(HONEST),
        issued: Mutex::new(BTreeMap::new()),
        calls: Mutex::new(0),
    });
    let shared = state.clone();
    let app = axum::Router::new().route(
        "/v1/invoices",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let state = shared.clone();
            async move { handle(&state, &headers, &body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

fn handle(state: &Platform, headers: &HeaderMap, body: &[u8]) -> Response {
    *state.calls.lock().unwrap() += 1;
    let get = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let timestamp: i64 = get("x-certhall-timestamp").parse().unwrap_or(0);
    if !signing::verify(SECRET, timestamp, body, &get("x-certhall-signature")) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mode = state.mode.load(Ordering::SeqCst);
    if mode == DOWN {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let envelope: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(envelope["app_id"], "certhall-ca");
    let draft: DraftRequest = serde_json::from_value(envelope["request"].clone()).unwrap();
    let result = {
        let mut issued = state.issued.lock().unwrap();
        let next = issued.len();
        let result = issued.entry(draft.request_no.clone()).or_insert_with(|| {
            if draft.title.contains("拒绝") {
                IssueResult::Refused {
                    reason: "购买方名称与纳税人识别号不一致".into(),
                }
            } else {
                let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
                IssueResult::Issued {
                    number: format!("2611{next:016}"),
                    issued_on: draft.issued_on.clone(),
                    pdf_base64: b64(
                        format!("%PDF-1.7 {} {}", draft.title, draft.total_fen).as_bytes()
                    ),
                    xml_base64: Some(b64(b"<?xml version=\"1.0\"?><EInvoice/>")),
                }
            }
        });
        serde_json::to_value(&*result).unwrap()
    };
    let reply =
        serde_json::to_vec(&serde_json::json!({"nonce": envelope["nonce"], "result": result}))
            .unwrap();
    let now = state.clock.now().seconds();
    let secret: &[u8] = if mode == BAD_SIGNATURE {
        b"not-the-shared-secret-at-all!!!!"
    } else {
        SECRET
    };
    (
        [
            ("x-certhall-timestamp", now.to_string()),
            (
                "x-certhall-signature",
                signing::signature(secret, now, &reply),
            ),
        ],
        reply,
    )
        .into_response()
}

fn draft(request_no: &str, title: &str) -> InvoiceDraft {
    InvoiceDraft {
        request_no: request_no.into(),
        kind: InvoiceKind::VatSpecial,
        title: title.into(),
        taxpayer_id: Some("91350100M000100Y43".into()),
        address_phone: Some("福州市鼓楼区五四路2号 0591-88888888".into()),
        bank_account: Some("中国银行福州分行 1234567890123456".into()),
        seller: "某某数字证书认证中心".into(),
        order_number: "DD20261206000001".into(),
        lines: vec![InvoiceLine {
            description: "证书新办".into(),
            amount: Fen(34_000),
        }],
        total: Fen(34_000),
        issued_on: "2026-12-06".into(),
    }
}

#[tokio::test]
async fn the_http_adapter_issues_once_per_request_and_trusts_only_a_signed_answer() {
    let clock = Arc::new(SettableClock::at(UnixTime::from_seconds(1_796_500_000)));
    let (url, platform) = platform(clock.clone()).await;
    let issuer = HttpIssuer::new(
        &url,
        "certhall-ca",
        SECRET,
        Duration::from_secs(2),
        clock.clone(),
    )
    .unwrap();

    let first = issuer
        .issue(&draft("FP000000000101", "福州某某科技有限公司"))
        .await
        .unwrap();
    assert_eq!(first.number.len(), 20);
    assert!(
        first.pdf.starts_with(b"%PDF-") && String::from_utf8_lossy(&first.pdf).contains("34000")
    );
    assert!(first.xml.unwrap().starts_with(b"<?xml"));
    // Asked again with the same request number (our retry after a timeout): the same one.
    let again = issuer
        .issue(&draft("FP000000000101", "福州某某科技有限公司"))
        .await
        .unwrap();
    assert_eq!(again.number, first.number);
    let other = issuer
        .issue(&draft("FP000000000201", "福州某某科技有限公司"))
        .await
        .unwrap();
    assert_ne!(other.number, first.number);

    // A refusal is definite, with the platform's reason.
    let refused = issuer.issue(&draft("FP000000000301", "拒绝开票公司")).await;
    assert_eq!(
        refused,
        Err(InvoicingError::Refused(
            "购买方名称与纳税人识别号不一致".into()
        ))
    );

    // Down, or an answer signed with another secret: no invoice, asked again later.
    platform.mode.store(DOWN, Ordering::SeqCst);
    assert!(matches!(
        issuer.issue(&draft("FP000000000401", "甲")).await,
        Err(InvoicingError::Unavailable(_))
    ));
    platform.mode.store(BAD_SIGNATURE, Ordering::SeqCst);
    assert!(matches!(
        issuer.issue(&draft("FP000000000401", "甲")).await,
        Err(InvoicingError::Unavailable(_))
    ));
    // Our own requests carry our signature: one signed with another secret is refused.
    platform.mode.store(HONEST, Ordering::SeqCst);
    let stranger = HttpIssuer::new(
        &url,
        "certhall-ca",
        b"someone-else-s-secret-0123456789",
        Duration::from_secs(2),
        clock,
    )
    .unwrap();
    assert!(matches!(
        stranger.issue(&draft("FP000000000501", "乙")).await,
        Err(InvoicingError::Unavailable(_))
    ));
    assert!(*platform.calls.lock().unwrap() >= 7);
}
