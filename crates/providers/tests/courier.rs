//! The kuaidi100 adapter, against the sandbox in-process and over HTTP (the sandbox behind
//! a form-posting server on 127.0.0.1, as kuaidi100 is reached): waybills in the courier's
//! format, the same waybill for the same order number, no events until collection, the
//! journey on the clock to 签收, SF Express's phone rule, a wrong signature refused, an
//! outage reported as one.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use certhall_providers::courier::kuaidi100::{Api, Credentials, Kuaidi100};
use certhall_providers::courier::sandbox::Kuaidi100Sandbox;
use certhall_providers::courier::{
    CourierError, CourierService, ParcelState, Party, WaybillRequest,
};
use domain::time::{SettableClock, UnixTime};
use zeroize::Zeroizing;

fn request(order_no: &str, courier: &str) -> WaybillRequest {
    WaybillRequest {
        order_no: order_no.into(),
        courier: courier.into(),
        recipient: Party {
            name: "张三".into(),
            mobile: "13800138101".into(),
            address: "北京市 北京市 海淀区 中关村大街1号".into(),
        },
        sender: Party {
            name: "CertHall 数字证书认证中心".into(),
            mobile: "4000000000".into(),
            address: "福建省 福州市 鼓楼区 软件大道89号".into(),
        },
        cargo: "USB Key 数字证书".into(),
        count: 1,
    }
}

fn clock() -> Arc<SettableClock> {
    // 2026-11-02 10:00 in Beijing.
    Arc::new(SettableClock::at(UnixTime::from_seconds(1_793_584_800)))
}

async fn journey(courier: &dyn CourierService, sandbox: &Kuaidi100Sandbox, clock: &SettableClock) {
    let made = courier
        .create_waybill(&request("SQ20261102000001", "sf"))
        .await
        .unwrap();
    assert!(
        made.tracking_no.starts_with("SF") && made.tracking_no.len() == 15,
        "{made:?}"
    );
    // Asked again after a lost answer: the same waybill, no second parcel.
    let again = courier
        .create_waybill(&request("SQ20261102000001", "sf"))
        .await
        .unwrap();
    assert_eq!(again, made);
    assert_eq!(sandbox.waybills(), 1);
    let ems = courier
        .create_waybill(&request("SQ20261102000002", "ems"))
        .await
        .unwrap();
    assert!(domain::courier::tracking_number("ems", &ems.tracking_no).is_ok());

    // Not collected yet: kuaidi100's "no result", read as waiting.
    let track = courier
        .track("sf", &made.tracking_no, "13800138101")
        .await
        .unwrap();
    assert_eq!(track.state, ParcelState::Waiting);
    assert!(track.events.is_empty());
    clock.advance(Duration::from_secs(2 * 3600));
    let track = courier
        .track("sf", &made.tracking_no, "13800138101")
        .await
        .unwrap();
    assert_eq!(track.state, ParcelState::Collected);
    assert_eq!(track.events.len(), 1);
    assert!(track.events[0].context.contains("福州市"), "{track:?}");
    assert_eq!(track.events[0].at, 1_793_584_800 + 2 * 3600);
    clock.advance(Duration::from_secs(24 * 3600));
    let track = courier
        .track("sf", &made.tracking_no, "13800138101")
        .await
        .unwrap();
    assert_eq!(track.state, ParcelState::Delivering);
    assert!(track.events[0].at > track.events[1].at, "newest first");
    clock.advance(Duration::from_secs(4 * 3600));
    let track = courier
        .track("sf", &made.tracking_no, "13800138101")
        .await
        .unwrap();
    assert_eq!(track.state, ParcelState::Signed);
    assert_eq!(track.events.len(), 5);
    assert!(track.events[2].context.contains("北京市"), "{track:?}");

    // SF Express answers only with a phone of the parcel.
    let refused = courier
        .track("sf", &made.tracking_no, "")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, CourierError::Refused(ref m) if m.contains("手机号")),
        "{refused:?}"
    );
    let refused = courier
        .track("sf", &made.tracking_no, "13900009999")
        .await
        .unwrap_err();
    assert!(matches!(refused, CourierError::Refused(_)));
    // An incomplete address is the platform's refusal, with its reason.
    let mut bad = request("SQ20261102000003", "sto");
    bad.recipient.address = "北京".into();
    let refused = courier.create_waybill(&bad).await.unwrap_err();
    assert!(
        matches!(refused, CourierError::Refused(ref m) if m.contains("不完整")),
        "{refused:?}"
    );
    // An outage is one, and passes.
    sandbox.fail_next(1);
    let down = courier
        .create_waybill(&request("SQ20261102000004", "sto"))
        .await
        .unwrap_err();
    assert!(matches!(down, CourierError::Unavailable(_)), "{down:?}");
    courier
        .create_waybill(&request("SQ20261102000004", "sto"))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_adapter_makes_waybills_and_follows_parcels_in_the_sandbox() {
    let clock = clock();
    let sandbox = Arc::new(Kuaidi100Sandbox::new(clock.clone()));
    let courier = Kuaidi100::sandboxed(sandbox.clone(), clock.clone());
    assert_eq!(courier.name(), "kuaidi100-sandbox");
    journey(&courier, &sandbox, &clock).await;
}

async fn posted(
    State((sandbox, api)): State<(Arc<Kuaidi100Sandbox>, Api)>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let form: Vec<(String, String)> = serde_html_form::from_bytes(&body).unwrap();
    match sandbox.answer(api, &form) {
        Ok(body) => ([("content-type", "application/json;charset=UTF-8")], body).into_response(),
        Err(_) => axum::http::StatusCode::BAD_GATEWAY.into_response(),
    }
}

#[tokio::test]
async fn the_same_over_http_as_kuaidi100_is_reached_and_a_wrong_secret_is_refused() {
    let clock = clock();
    let sandbox = Arc::new(Kuaidi100Sandbox::new(clock.clone()));
    let app = axum::Router::new()
        .route(
            "/label/order",
            axum::routing::post(posted).with_state((sandbox.clone(), Api::Label)),
        )
        .route(
            "/poll/query.do",
            axum::routing::post(posted).with_state((sandbox.clone(), Api::Query)),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let label = format!("{base}/label/order");
    let query = format!("{base}/poll/query.do");
    let courier = Kuaidi100::new(
        Kuaidi100Sandbox::credentials(),
        &label,
        &query,
        clock.clone(),
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(courier.name(), "kuaidi100");
    journey(&courier, &sandbox, &clock).await;

    let forged = Kuaidi100::new(
        Credentials {
            secret: Zeroizing::new("another-secret".into()),
            ..Kuaidi100Sandbox::credentials()
        },
        &label,
        &query,
        clock.clone(),
        Duration::from_secs(5),
    )
    .unwrap();
    let refused = forged
        .create_waybill(&request("SQ20261102000009", "sf"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, CourierError::Refused(ref m) if m.contains("签名")),
        "{refused:?}"
    );
}
