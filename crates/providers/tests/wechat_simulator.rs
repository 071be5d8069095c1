//! The WeChat Pay Native adapter against the simulator's APIv3 face on 127.0.0.1: signed
//! requests, answers verified by the WeChat Pay public key and its id, notices decrypted
//! and verified at every delivery, resent until answered 204; what a merchant must survive
//! (an impostor's key, a clock too far off, forged notices, another amount, refunds sent
//! twice or beyond what was paid).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use certhall_providers::payment::wechat::{WechatNative, WechatSettings};
use certhall_providers::payment::{
    CloseOutcome, Notice, NoticeError, NoticeHeaders, Noticed, PaymentError, PaymentProvider,
    RefundFailure, RefundOutcome, RefundRequest, TradeRequest, TradeState,
};
use domain::Fen;
use domain::time::{Clock, SettableClock, UnixTime};
use paysim::{NoticeFault, RefundEnd, Simulator};

const MCHID: &str = "1900000001";
const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";

fn clock() -> Arc<SettableClock> {
    Arc::new(SettableClock::at(UnixTime::from_seconds(1_793_000_000)))
}

async fn simulator(clock: &Arc<SettableClock>) -> Simulator {
    let c = clock.clone();
    Simulator::start_with_clock(0, 100_000.0, Arc::new(move || c.now().seconds()))
        .await
        .unwrap()
}

fn adapter(sim: &Simulator, private_key: String, clock: Arc<SettableClock>) -> Arc<WechatNative> {
    let (public_key, public_key_id, apiv3) = sim.wechat_keys();
    Arc::new(
        WechatNative::new(
            WechatSettings {
                base_url: sim.base_url().to_string(),
                mchid: MCHID.into(),
                appid: "wx0000000000000001".into(),
                merchant_serial: SERIAL.into(),
                private_key: zeroize::Zeroizing::new(private_key),
                public_key,
                public_key_id,
                apiv3_key: zeroize::Zeroizing::new(apiv3),
                timeout: Duration::from_secs(5),
            },
            clock,
        )
        .unwrap(),
    )
}

type Verdicts = Arc<Mutex<Vec<Result<Notice, NoticeError>>>>;

/// A notice endpoint on 127.0.0.1 that verifies with the adapter; the first `fail_first`
/// deliveries meet a 500.
async fn endpoint(provider: Arc<WechatNative>, fail_first: usize) -> (String, Verdicts) {
    let verdicts: Verdicts = Arc::default();
    let seen = Arc::new(Mutex::new(0usize));
    let kept = verdicts.clone();
    let handler = move |headers: HeaderMap, body: Bytes| {
        let (provider, kept, seen) = (provider.clone(), kept.clone(), seen.clone());
        async move {
            let n = {
                let mut seen = seen.lock().unwrap();
                *seen += 1;
                *seen
            };
            if n <= fail_first {
                return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, String::new());
            }
            let received = NoticeHeaders::new(
                headers
                    .iter()
                    .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
            );
            let verdict = provider.verify_notice(&received, &body);
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
        "http://{}/pay/notify/wechat",
        listener.local_addr().unwrap()
    );
    let router = axum::Router::new().route("/pay/notify/wechat", axum::routing::post(handler));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, verdicts)
}

fn trade(no: &str, fen: u64, notify_url: &str) -> TradeRequest {
    TradeRequest {
        out_trade_no: no.into(),
        amount: Fen(fen),
        subject: "CertHall 订单 DD20261102000001".into(),
        expires_at: "2026-10-26 17:33:20".into(),
        notify_url: notify_url.into(),
    }
}

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
async fn a_native_payment_is_made_notified_queried_and_refunded() {
    let clock = clock();
    let sim = simulator(&clock).await;
    let key = sim.new_wechat_merchant(MCHID, SERIAL).unwrap();
    let wechat = adapter(&sim, key, clock.clone());
    let (url, verdicts) = endpoint(wechat.clone(), 2).await;

    let code = wechat
        .precreate(&trade("CH00000000010000001", 26000, &url))
        .await
        .unwrap();
    assert!(code.contains("/wechat/qr/CH00000000010000001"), "{code}");
    assert_eq!(
        wechat.query("CH00000000010000001").await.unwrap(),
        TradeState::Pending
    );
    assert_eq!(
        wechat.query("CH-NO-SUCH").await.unwrap(),
        TradeState::Unknown
    );

    // The buyer scans the code: the simulator's page shows the amount and pays it.
    let http = reqwest::Client::new();
    let page = http.get(&code).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("微信支付") && page.contains("¥260.00"),
        "{page}"
    );
    let paid = http
        .post(format!(
            "{}/_sim/wechat/CH00000000010000001/pay",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 200);
    // The simulator logs a delivery once it has the answer, a moment after the shop took it.
    eventually(|| !verdicts.lock().unwrap().is_empty() && sim.deliveries().len() == 3).await;
    let statuses: Vec<u16> = sim.deliveries().iter().map(|d| d.status).collect();
    assert_eq!(statuses, [500, 500, 204], "resent until answered 204");
    let notice = verdicts.lock().unwrap()[0].clone().unwrap();
    assert_eq!(notice.app_id, MCHID);
    assert!(matches!(
        notice.about,
        Noticed::Trade(TradeState::Paid {
            amount: Fen(26000),
            ..
        })
    ));
    assert!(matches!(
        wechat.query("CH00000000010000001").await.unwrap(),
        TradeState::Paid {
            amount: Fen(26000),
            ..
        }
    ));
    assert_eq!(
        wechat.close("CH00000000010000001").await.unwrap(),
        CloseOutcome::AlreadyPaid
    );

    let refund = |no: &str, fen| RefundRequest {
        out_trade_no: "CH00000000010000001".into(),
        out_refund_no: no.into(),
        amount: Fen(fen),
        paid: Fen(26000),
        reason: "取消订单".into(),
        notify_url: String::new(),
    };
    // The answer is lost after the refund was made: no definite answer.
    sim.lose_next_answers(1);
    let lost = wechat.refund(&refund("RF1", 10000)).await.unwrap_err();
    assert!(matches!(lost, PaymentError::Unknown(_)), "{lost:?}");
    assert_eq!(
        wechat.refund(&refund("RF1", 10000)).await.unwrap(),
        RefundOutcome::Refunded { moved: true }
    );
    // The same number again refunds once (the simulator keeps one refund of 100.00).
    assert!(wechat.refund(&refund("RF1", 10000)).await.is_ok());
    let e = wechat.refund(&refund("RF2", 16001)).await.unwrap_err();
    assert!(
        matches!(e, PaymentError::Refused { ref code, .. } if code == "NOT_ENOUGH"),
        "{e:?}"
    );
    // What is left is exactly 160.00: RF1 moved money once.
    assert_eq!(
        wechat.refund(&refund("RF3", 16000)).await.unwrap(),
        RefundOutcome::Refunded { moved: true }
    );

    // An unpaid one closes with 204.
    wechat
        .precreate(&trade("CH00000000010000002", 100, &url))
        .await
        .unwrap();
    assert_eq!(
        wechat.close("CH00000000010000002").await.unwrap(),
        CloseOutcome::Closed
    );
    assert_eq!(
        wechat.query("CH00000000010000002").await.unwrap(),
        TradeState::Closed
    );
}

#[tokio::test]
async fn refunds_settled_later_are_queried_and_notified_success_abnormal_or_closed() {
    let clock = clock();
    let sim = simulator(&clock).await;
    let key = sim.new_wechat_merchant(MCHID, SERIAL).unwrap();
    let wechat = adapter(&sim, key, clock.clone());
    let (url, verdicts) = endpoint(wechat.clone(), 0).await;
    wechat
        .precreate(&trade("CH00000000030000001", 30000, &url))
        .await
        .unwrap();
    assert!(sim.pay("CH00000000030000001", NoticeFault::None));
    eventually(|| verdicts.lock().unwrap().len() == 1).await;
    sim.wechat_refunds_settle_later(true);
    let refund = |no: &str, fen| RefundRequest {
        out_trade_no: "CH00000000030000001".into(),
        out_refund_no: no.into(),
        amount: Fen(fen),
        paid: Fen(30000),
        reason: "取消订单".into(),
        notify_url: url.clone(),
    };
    // Not made yet: the query says so.
    assert_eq!(
        wechat.query_refund(&refund("RF1", 10000)).await.unwrap(),
        RefundOutcome::NotMade
    );
    for (no, end) in [
        ("RF1", RefundEnd::Success),
        ("RF2", RefundEnd::Abnormal),
        ("RF3", RefundEnd::Closed),
    ] {
        assert_eq!(
            wechat.refund(&refund(no, 10000)).await.unwrap(),
            RefundOutcome::Processing
        );
        // Asked again, with the same number: still one refund, in progress.
        assert_eq!(
            wechat.refund(&refund(no, 10000)).await.unwrap(),
            RefundOutcome::Processing
        );
        assert_eq!(
            wechat.query_refund(&refund(no, 10000)).await.unwrap(),
            RefundOutcome::Processing
        );
        assert!(sim.settle_wechat_refund(no, end, NoticeFault::None));
        assert!(
            !sim.settle_wechat_refund(no, end, NoticeFault::None),
            "ends once"
        );
    }
    // Each end comes as a signed, encrypted REFUND.* notice naming the refund.
    eventually(|| verdicts.lock().unwrap().len() == 4).await;
    let noticed: Vec<Noticed> = verdicts.lock().unwrap()[1..]
        .iter()
        .map(|v| v.clone().unwrap().about)
        .collect();
    let ended = |no: &str, outcome| Noticed::Refund {
        out_refund_no: no.into(),
        outcome,
    };
    for expected in [
        ended("RF1", RefundOutcome::Refunded { moved: true }),
        ended("RF2", RefundOutcome::Failed(RefundFailure::Abnormal)),
        ended("RF3", RefundOutcome::Failed(RefundFailure::Closed)),
    ] {
        assert!(noticed.contains(&expected), "{noticed:?}");
    }
    // And the query says the same.
    assert_eq!(
        wechat.query_refund(&refund("RF2", 10000)).await.unwrap(),
        RefundOutcome::Failed(RefundFailure::Abnormal)
    );
    // A closed refund gives its amount back to what may be refunded; an abnormal one
    // does not (the money is held until the merchant routes it otherwise).
    sim.wechat_refunds_settle_later(false);
    assert_eq!(
        wechat.refund(&refund("RF4", 10000)).await.unwrap(),
        RefundOutcome::Refunded { moved: true }
    );
    let e = wechat.refund(&refund("RF5", 1)).await.unwrap_err();
    assert!(
        matches!(e, PaymentError::Refused { ref code, .. } if code == "NOT_ENOUGH"),
        "{e:?}"
    );
}

#[tokio::test]
async fn forged_notices_another_amount_an_impostor_and_a_clock_off_are_refused() {
    let clock = clock();
    let sim = simulator(&clock).await;
    let key = sim.new_wechat_merchant(MCHID, SERIAL).unwrap();
    let wechat = adapter(&sim, key, clock.clone());
    let (url, verdicts) = endpoint(wechat.clone(), 0).await;
    wechat
        .precreate(&trade("CH00000000020000001", 44000, &url))
        .await
        .unwrap();
    wechat
        .precreate(&trade("CH00000000020000002", 44000, &url))
        .await
        .unwrap();
    assert!(sim.pay("CH00000000020000001", NoticeFault::BadSignature));
    assert!(sim.pay("CH00000000020000002", NoticeFault::WrongAmount));
    // 1 + 15 deliveries of the forged one, each refused.
    eventually(|| {
        sim.deliveries()
            .iter()
            .filter(|d| d.out_trade_no == "CH00000000020000001")
            .count()
            == 16
    })
    .await;
    let verdicts = verdicts.lock().unwrap().clone();
    assert_eq!(
        verdicts
            .iter()
            .filter(|v| **v == Err(NoticeError::BadSignature))
            .count(),
        16
    );
    assert!(
        sim.deliveries()
            .iter()
            .filter(|d| d.out_trade_no == "CH00000000020000001")
            .all(|d| d.status == 401)
    );
    let wrong = verdicts
        .iter()
        .filter_map(|v| v.as_ref().ok())
        .find(|n| n.out_trade_no == "CH00000000020000002")
        .unwrap();
    assert!(matches!(
        wrong.about,
        Noticed::Trade(TradeState::Paid {
            amount: Fen(44001),
            ..
        })
    ));

    // A request signed with a key the simulator does not know: 401 SIGN_ERROR.
    let impostor_key = Simulator::start(0, 1.0)
        .await
        .unwrap()
        .new_wechat_merchant(MCHID, SERIAL)
        .unwrap();
    let impostor = adapter(&sim, impostor_key, clock.clone());
    let e = impostor
        .precreate(&trade("CH00000000020000003", 100, &url))
        .await
        .unwrap_err();
    assert!(
        matches!(e, PaymentError::Refused { ref code, .. } if code == "SIGN_ERROR"),
        "{e:?}"
    );
    // A merchant clock ten minutes off: refused, and the answer's time is not believed.
    let late = Arc::new(SettableClock::at(UnixTime::from_seconds(1_793_000_600)));
    let key = sim.new_wechat_merchant(MCHID, SERIAL).unwrap();
    let skewed = adapter(&sim, key, late);
    assert!(skewed.query("CH00000000020000002").await.is_err());
}
