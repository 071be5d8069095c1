//! The Alipay adapter against the simulator on 127.0.0.1: the real requests, signatures,
//! answers and notices, and the provider's behaviours a merchant must survive (a trade
//! unknown until scanned, notices resent until answered `success`, sent twice, dropped,
//! badly signed or with another amount; refunds idempotent and bounded; a request signed
//! with the wrong key refused).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use axum::body::Bytes;
use axum::http::HeaderMap;
use certhall_providers::payment::alipay::{AlipayF2F, AlipaySettings};
use certhall_providers::payment::{
    CloseOutcome, Notice, NoticeError, NoticeHeaders, Noticed, PaymentError, PaymentProvider,
    RefundOutcome, RefundRequest, TradeRequest, TradeState,
};
use domain::Fen;
use paysim::{NoticeFault, Simulator};

const APP_ID: &str = "2021000000000001";

/// A merchant key (PKCS#8 PEM) and its public half registered with the simulator.
fn merchant(sim: &Simulator) -> String {
    let key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    sim.register_alipay_app(APP_ID, key.public_key().as_ref());
    let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key).unwrap();
    use base64::Engine;
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(der.as_ref())
    )
}

fn adapter(sim: &Simulator, private_key: String) -> Arc<AlipayF2F> {
    let clock = Arc::new(domain::time::SettableClock::at(
        domain::time::UnixTime::from_seconds(1_793_000_000),
    ));
    Arc::new(
        AlipayF2F::new(
            AlipaySettings {
                gateway: sim.alipay_gateway(),
                app_id: APP_ID.into(),
                private_key: zeroize::Zeroizing::new(private_key),
                alipay_public_key: sim.alipay_public_key_pem(),
                timeout: Duration::from_secs(5),
            },
            clock,
        )
        .unwrap(),
    )
}

/// A merchant's notice endpoint on 127.0.0.1: verifies each notice with the adapter,
/// keeps the verdicts, answers as Alipay wants; refuses the first `fail_first` deliveries.
struct Merchant {
    url: String,
    verdicts: Arc<Mutex<Vec<Result<Notice, NoticeError>>>>,
}

async fn notify_endpoint(provider: Arc<AlipayF2F>, fail_first: usize) -> Merchant {
    let verdicts: Arc<Mutex<Vec<Result<Notice, NoticeError>>>> = Arc::default();
    let seen = Arc::new(Mutex::new(0usize));
    let kept = verdicts.clone();
    let handler = move |headers: HeaderMap, body: Bytes| {
        let provider = provider.clone();
        let kept = kept.clone();
        let seen = seen.clone();
        async move {
            let n = {
                let mut seen = seen.lock().unwrap();
                *seen += 1;
                *seen
            };
            if n <= fail_first {
                return (
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "busy".to_string(),
                );
            }
            let content_type = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let verdict = provider
                .verify_notice(&NoticeHeaders::new([("Content-Type", content_type)]), &body);
            let (status, text) = provider.notice_answer(verdict.is_ok());
            kept.lock().unwrap().push(verdict);
            (
                axum::http::StatusCode::from_u16(status).unwrap(),
                text.to_string(),
            )
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/pay/notify/alipay",
        listener.local_addr().unwrap()
    );
    let router = axum::Router::new().route("/pay/notify/alipay", axum::routing::post(handler));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Merchant { url, verdicts }
}

fn trade(no: &str, fen: u64, notify_url: &str) -> TradeRequest {
    TradeRequest {
        out_trade_no: no.into(),
        amount: Fen(fen),
        subject: "CertHall 订单 DD20261102000001".into(),
        expires_at: "2026-11-02 12:00:00".into(),
        notify_url: notify_url.into(),
    }
}

/// Waits (bounded) until `check` holds; the simulator delivers on its own tasks.
async fn eventually(mut check: impl FnMut() -> bool) {
    for _ in 0..400 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the simulator did not get there in 4 s");
}

#[tokio::test]
async fn a_trade_is_created_scanned_paid_notified_queried_and_refunded() {
    // Alipay's 25-hour schedule in about a second.
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let alipay = adapter(&sim, merchant(&sim));
    // The merchant's endpoint is down for the first two deliveries.
    let shop = notify_endpoint(alipay.clone(), 2).await;

    let qr = alipay
        .precreate(&trade("PA0001", 26000, &shop.url))
        .await
        .unwrap();
    assert!(qr.ends_with("/alipay/qr/PA0001"), "{qr}");
    // Created again with the same data: the same trade; with another amount: refused.
    assert_eq!(
        alipay
            .precreate(&trade("PA0001", 26000, &shop.url))
            .await
            .unwrap(),
        qr
    );
    let e = alipay
        .precreate(&trade("PA0001", 26001, &shop.url))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        PaymentError::Refused {
            code: "ACQ.CONTEXT_INCONSISTENT".into(),
            message: "交易信息被篡改".into()
        }
    );
    // Alipay knows the trade only once the buyer scans.
    assert_eq!(alipay.query("PA0001").await.unwrap(), TradeState::Unknown);
    assert!(sim.scan("PA0001"));
    assert_eq!(alipay.query("PA0001").await.unwrap(), TradeState::Pending);

    assert!(sim.pay("PA0001", NoticeFault::None));
    // The simulator logs a delivery once it has the answer, a moment after the shop took it.
    eventually(|| !shop.verdicts.lock().unwrap().is_empty() && sim.deliveries().len() == 3).await;
    let deliveries = sim.deliveries();
    assert_eq!(
        deliveries.iter().map(|d| d.attempt).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(deliveries[2].answer, "success");
    let notice = shop.verdicts.lock().unwrap()[0].clone().unwrap();
    assert_eq!(notice.app_id, APP_ID);
    assert_eq!(notice.out_trade_no, "PA0001");
    let Noticed::Trade(TradeState::Paid {
        amount,
        provider_ref,
    }) = &notice.about
    else {
        panic!("{notice:?}")
    };
    assert_eq!(*amount, Fen(26000));
    assert_eq!(
        alipay.query("PA0001").await.unwrap(),
        TradeState::Paid {
            amount: Fen(26000),
            provider_ref: provider_ref.clone()
        }
    );
    // A paid trade is not closed: the payment stands.
    assert_eq!(
        alipay.close("PA0001").await.unwrap(),
        CloseOutcome::AlreadyPaid
    );

    // Refunds: idempotent on their number, never more than was paid; the last closes it.
    let refund = |no: &str, fen| RefundRequest {
        out_trade_no: "PA0001".into(),
        out_refund_no: no.into(),
        amount: Fen(fen),
        paid: Fen(26000),
        reason: "取消订单".into(),
        notify_url: String::new(),
    };
    assert_eq!(
        alipay.refund(&refund("RF1", 10000)).await.unwrap(),
        RefundOutcome::Refunded { moved: true }
    );
    assert_eq!(
        alipay.refund(&refund("RF1", 10000)).await.unwrap(),
        RefundOutcome::Refunded { moved: false }
    );
    let e = alipay.refund(&refund("RF2", 16001)).await.unwrap_err();
    assert!(
        matches!(e, PaymentError::Refused { ref code, .. } if code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"),
        "{e:?}"
    );
    assert_eq!(
        alipay.refund(&refund("RF3", 16000)).await.unwrap(),
        RefundOutcome::Refunded { moved: true }
    );
    assert_eq!(alipay.query("PA0001").await.unwrap(), TradeState::Closed);
}

#[tokio::test]
async fn notices_that_must_not_be_believed_are_not() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let alipay = adapter(&sim, merchant(&sim));
    let shop = notify_endpoint(alipay.clone(), 0).await;
    for (no, fault) in [
        ("PA0002", NoticeFault::BadSignature),
        ("PA0003", NoticeFault::WrongAmount),
        ("PA0004", NoticeFault::Twice),
        ("PA0005", NoticeFault::Drop),
    ] {
        alipay
            .precreate(&trade(no, 44000, &shop.url))
            .await
            .unwrap();
        assert!(sim.pay(no, fault));
    }
    // The badly signed one is refused at every delivery (8 in all), the others taken.
    eventually(|| {
        sim.deliveries()
            .iter()
            .filter(|d| d.out_trade_no == "PA0002")
            .count()
            == 8
    })
    .await;
    let verdicts = shop.verdicts.lock().unwrap().clone();
    assert_eq!(
        verdicts
            .iter()
            .filter(|v| **v == Err(NoticeError::BadSignature))
            .count(),
        8
    );
    let taken: Vec<&Notice> = verdicts.iter().filter_map(|v| v.as_ref().ok()).collect();
    // Authentic, but another amount: the adapter reports what was signed; the merchant's
    // own check of the amount turns it into a payment exception.
    let wrong = taken.iter().find(|n| n.out_trade_no == "PA0003").unwrap();
    assert!(matches!(
        wrong.about,
        Noticed::Trade(TradeState::Paid {
            amount: Fen(44001),
            ..
        })
    ));
    // Twice at once: two deliveries of one notice id.
    let twice: Vec<&&Notice> = taken
        .iter()
        .filter(|n| n.out_trade_no == "PA0004")
        .collect();
    assert_eq!(twice.len(), 2);
    assert_eq!(twice[0].id, twice[1].id);
    // Dropped: nothing arrives; the query tells.
    assert!(!sim.deliveries().iter().any(|d| d.out_trade_no == "PA0005"));
    assert!(matches!(
        alipay.query("PA0005").await.unwrap(),
        TradeState::Paid {
            amount: Fen(44000),
            ..
        }
    ));
    // A notice nobody signed, or signed for a form it is not, is refused.
    assert_eq!(
        alipay
            .verify_notice(
                &NoticeHeaders::new([("content-type", "application/x-www-form-urlencoded")]),
                b"out_trade_no=PA0005&trade_status=TRADE_SUCCESS"
            )
            .unwrap_err(),
        NoticeError::Unsigned
    );
    assert!(matches!(
        alipay.verify_notice(
            &NoticeHeaders::new([("content-type", "application/json")]),
            b"{}"
        ),
        Err(NoticeError::Malformed(_))
    ));
}

#[tokio::test]
async fn a_request_signed_with_another_key_is_refused_and_nothing_is_concluded() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let _registered = merchant(&sim);
    let impostor = adapter(&sim, {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key).unwrap();
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(der.as_ref())
    });
    let e = impostor
        .precreate(&trade("PA0009", 100, "http://127.0.0.1:9/none"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, PaymentError::Unknown(ref m) if m.contains("without its signature")),
        "{e:?}"
    );
    assert_eq!(sim.refused_requests(), 1);
    // A closed code pays no more.
    let alipay = adapter(&sim, merchant(&sim));
    alipay
        .precreate(&trade("PA0010", 100, "http://127.0.0.1:9/none"))
        .await
        .unwrap();
    assert_eq!(
        alipay.close("PA0010").await.unwrap(),
        CloseOutcome::NotFound
    );
    assert!(!sim.pay("PA0010", NoticeFault::None));
}
