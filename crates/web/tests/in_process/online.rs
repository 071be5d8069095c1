//! Paying online with Alipay, on the in-process application with the payment simulator on
//! 127.0.0.1 and the notice endpoint served for real: huanbao (paid before review) ordered
//! online, the QR code on the order page, the buyer pays in the simulator, the signed
//! notice pays the order and sends the application to review, by itself. A notice with a
//! bad signature changes nothing (kept with its verdict) and the reconciliation's signed
//! query settles the payment; a validly signed notice with another amount makes a payment
//! exception, answered `success`, the money given back and the order paid again; a
//! dropped notice is found by the query; the same notice eight times pays once; a
//! database error answers `fail` and the resend pays; a lost precreate answer costs
//! nothing.

use axum::http::StatusCode;
use paysim::{NoticeChange, NoticeFault, Simulator};
use serde_json::json;

use crate::harness::{Client, TestApp, input_value};

const PHONE: &str = "13800138101";

/// A submitted huanbao application (paid before review) ordered online; (order id, its
/// application's id).
pub(crate) async fn ordered_online(test: &TestApp, customer: &mut Client<'_>) -> (i64, i64) {
    let (id, version) = crate::applications::filled(customer, "91350100M000100Y43").await;
    test.sign_and_submit(customer, PHONE, id, version).await;
    let waiting = customer
        .call("GET", "/api/v1/orders/awaiting-applications", json!(null))
        .await
        .json();
    let methods = waiting
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap()["methods"]
        .clone();
    assert_eq!(
        methods,
        json!(["online", "bank_transfer"]),
        "online once configured"
    );
    let answer = customer
        .call(
            "POST",
            "/api/v1/orders",
            json!({"applications": [id], "method": "online"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    (answer.json()["id"].as_i64().unwrap(), id)
}

/// 扫码支付 on the order page (Alipay, offered first): the simulator's trade number from the
/// QR code's link.
pub(crate) async fn scan_code(customer: &mut Client<'_>, order: i64) -> String {
    scan_code_of(customer, order, "alipay").await
}

pub(crate) async fn scan_code_of(customer: &mut Client<'_>, order: i64, provider: &str) -> String {
    let page = customer.page(&format!("/orders/{order}")).await;
    let csrf = input_value(&page.text, "csrf");
    let shown = customer
        .form(
            &format!("/orders/{order}/pay-online"),
            &[("csrf", csrf.as_str()), ("provider", provider)],
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert!(shown.text.contains("data-testid=\"pay-qr\"") && shown.text.contains("<svg"));
    let link = shown
        .text
        .split(&format!("/{provider}/qr/"))
        .nth(1)
        .expect("the QR code's link");
    link.split('"').next().unwrap().to_string()
}

/// The notice log as finance reads it: (trade number, verdict, effect), newest first.
pub(crate) async fn notice_log(test: &TestApp) -> Vec<(String, String, String)> {
    let finance = services::people::actor::Actor::Cli("test".into());
    let (notices, _) = services::flows::pay::money_log(&test.app, &finance)
        .await
        .unwrap();
    notices
        .into_iter()
        .map(|n| (n.out_trade_no, n.verdict, n.effect))
        .collect()
}

/// Order `order` as its customer reads it through the API.
pub(crate) async fn order_json(customer: &mut Client<'_>, order: i64) -> serde_json::Value {
    customer
        .call("GET", &format!("/api/v1/orders/{order}"), json!(null))
        .await
        .json()
}

pub(crate) async fn order_status(customer: &mut Client<'_>, order: i64) -> String {
    order_json(customer, order).await["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Waits, bounded, for the simulator's notice to reach the application over HTTP.
pub(crate) async fn until_status(customer: &mut Client<'_>, order: i64, want: &str) {
    for _ in 0..400 {
        if order_status(customer, order).await == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("order {order} never became {want}");
}

#[tokio::test]
async fn huanbao_pays_online_and_the_notice_sends_it_to_review() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let test = TestApp::with_alipay(&sim).await;
    let mut customer = test.customer(PHONE, [10, 6, 0, 1]).await;
    let (order, application) = ordered_online(&test, &mut customer).await;
    let trade = scan_code(&mut customer, order).await;
    // Asking again shows the same code: one pending attempt per order.
    assert_eq!(scan_code(&mut customer, order).await, trade);
    // The state the page polls.
    let state = customer.page(&format!("/orders/{order}/state")).await;
    assert_eq!(state.json()["status"], "awaiting_payment");
    assert_eq!(state.headers["cache-control"], "no-store");

    assert!(sim.pay(&trade, NoticeFault::Twice));
    until_status(&mut customer, order, "paid").await;
    let shown = customer
        .call(
            "GET",
            &format!("/api/v1/applications/{application}"),
            json!(null),
        )
        .await
        .json();
    assert_eq!(
        shown["status"], "submitted",
        "paid before review: now reviewed"
    );
    test.run_jobs().await;
    assert!(
        test.sms
            .delivered_to(PHONE)
            .last()
            .unwrap()
            .text
            .contains("已确认收款")
    );
    // Twice at once: paid once, both answered success, both kept in the log.
    let deliveries: Vec<String> = sim.deliveries().iter().map(|d| d.answer.clone()).collect();
    assert_eq!(deliveries, ["success", "success"]);
    let log = notice_log(&test).await;
    let effects: Vec<&str> = log
        .iter()
        .map(|(_, verdict, effect)| {
            assert_eq!(verdict, "verified");
            effect.as_str()
        })
        .collect();
    assert!(
        effects.contains(&"paid") && effects.contains(&"duplicate"),
        "{effects:?}"
    );
    // Another customer cannot pay, or poll, this order.
    let mut stranger = test.customer("13900139601", [10, 6, 0, 2]).await;
    assert_eq!(
        stranger
            .page(&format!("/orders/{order}/state"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_forged_notice_changes_nothing_and_the_query_settles_the_payment() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    forged_dropped_and_wrong(&sim, TestApp::with_alipay(&sim).await).await;
}

#[tokio::test]
async fn the_same_notices_on_postgresql() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    forged_dropped_and_wrong(&sim, TestApp::with_alipay_on_postgres(&sim).await).await;
}

async fn forged_dropped_and_wrong(sim: &Simulator, test: TestApp) {
    let mut customer = test.customer(PHONE, [10, 6, 1, 1]).await;
    let (forged, _) = ordered_online(&test, &mut customer).await;
    let forged_trade = scan_code(&mut customer, forged).await;
    let (dropped, _) = ordered_online(&test, &mut customer).await;
    let dropped_trade = scan_code(&mut customer, dropped).await;
    let (wrong, _) = ordered_online(&test, &mut customer).await;
    let wrong_trade = scan_code(&mut customer, wrong).await;

    assert!(sim.pay(&forged_trade, NoticeFault::BadSignature));
    assert!(sim.pay(&dropped_trade, NoticeFault::Drop));
    assert!(sim.pay(&wrong_trade, NoticeFault::WrongAmount));
    // The forged notice is refused at each of its 8 deliveries and changes nothing.
    for _ in 0..400 {
        if sim
            .deliveries()
            .iter()
            .filter(|d| d.out_trade_no == forged_trade)
            .count()
            == 8
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        sim.deliveries()
            .iter()
            .filter(|d| d.out_trade_no == forged_trade)
            .all(|d| d.answer == "fail")
    );
    assert_eq!(
        order_status(&mut customer, forged).await,
        "awaiting_payment"
    );
    // The authentic notice with another amount: a payment exception, and `success`.
    until_status(&mut customer, wrong, "payment_exception").await;
    let shown = customer
        .call("GET", &format!("/api/v1/orders/{wrong}"), json!(null))
        .await
        .json();
    assert!(
        shown["exception_reason"].as_str().unwrap().contains("不符"),
        "{shown}"
    );
    assert!(
        sim.deliveries()
            .iter()
            .any(|d| d.out_trade_no == wrong_trade && d.answer == "success")
    );
    let log = notice_log(&test).await;
    assert!(
        log.iter()
            .any(|(no, verdict, _)| no.is_empty() && verdict.starts_with("rejected")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|(no, _, effect)| *no == wrong_trade && effect == "wrong_amount")
    );

    // A minute on, the reconciliation asks Alipay, which says (signed) both were paid.
    test.clock.advance(std::time::Duration::from_secs(61));
    let round = services::jobs::reconcile_payments::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!(round.paid, 2, "{round:?}");
    for order in [forged, dropped] {
        assert_eq!(order_status(&mut customer, order).await, "paid");
    }
    // The other amount was given back in full (its refund recorded at once by the
    // notice), and the customer pays the order again.
    assert_eq!(round.refunded, 1, "{round:?}");
    let wrong_order = customer
        .call("GET", &format!("/api/v1/orders/{wrong}"), json!(null))
        .await
        .json();
    let asked = wrong_order["amount_fen"].as_u64().unwrap();
    assert_eq!(sim.refunded_fen(&wrong_trade), asked + 1);
    assert_eq!(wrong_order["refunds"][0]["status"], "refunded");
    let again = scan_code(&mut customer, wrong).await;
    assert_ne!(again, wrong_trade);
    assert!(sim.pay(&again, NoticeFault::None));
    until_status(&mut customer, wrong, "paid").await;
    // Nothing left to settle: the next round changes nothing.
    let round = services::jobs::reconcile_payments::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!(round, services::jobs::reconcile_payments::Round::default());
    // A week on, housekeeping forgets the forged notices, and keeps the verified ones.
    test.clock
        .advance(std::time::Duration::from_secs(8 * 86_400));
    services::jobs::housekeeping::run_once(&test.app)
        .await
        .unwrap();
    let log = notice_log(&test).await;
    assert!(
        !log.iter()
            .any(|(_, verdict, _)| verdict.starts_with("rejected")),
        "{log:?}"
    );
    assert!(log.iter().any(|(_, verdict, _)| verdict == "verified"));
}

#[tokio::test]
async fn notices_for_another_app_or_payee_tampered_or_rsa1_pay_nothing() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let test = TestApp::with_alipay(&sim).await;
    let mut customer = test.customer(PHONE, [10, 6, 9, 1]).await;
    let (order, _) = ordered_online(&test, &mut customer).await;
    let trade = scan_code(&mut customer, order).await;
    let signed = |fields: &[(&'static str, &str)]| NoticeChange {
        signed: fields.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        tampered: Vec::new(),
    };
    let tampered = |fields: &[(&'static str, &str)]| NoticeChange {
        signed: Vec::new(),
        tampered: fields.iter().map(|(k, v)| (*k, v.to_string())).collect(),
    };
    // Authentic (Alipay's signature holds) but for another app, or another payee: not
    // ours. Answered `success` so that Alipay stops; nothing paid.
    let other_app = signed(&[
        ("app_id", "2021000000000999"),
        ("auth_app_id", "2021000000000999"),
    ]);
    assert!(
        sim.send_changed_notice(&trade, "TRADE_SUCCESS", &other_app)
            .await
    );
    let other_payee = signed(&[("seller_id", "2088000000000999")]);
    assert!(
        sim.send_changed_notice(&trade, "TRADE_SUCCESS", &other_payee)
            .await
    );
    // A body changed after signing, and `sign_type=RSA` (only RSA2 is taken): refused.
    let more = tampered(&[("total_amount", "0.01")]);
    assert!(
        !sim.send_changed_notice(&trade, "TRADE_SUCCESS", &more)
            .await
    );
    let rsa1 = tampered(&[("sign_type", "RSA")]);
    assert!(
        !sim.send_changed_notice(&trade, "TRADE_SUCCESS", &rsa1)
            .await
    );
    // An unknown parameter takes part in the signature, an empty one does not: both
    // verify (a waiting notice, which changes nothing).
    let extra = signed(&[("fund_bill_list", "[]"), ("passback_params", "")]);
    assert!(
        sim.send_changed_notice(&trade, "WAIT_BUYER_PAY", &extra)
            .await
    );
    assert_eq!(order_status(&mut customer, order).await, "awaiting_payment");
    let log: Vec<(String, String)> = notice_log(&test)
        .await
        .into_iter()
        .map(|(_, verdict, effect)| (verdict, effect))
        .collect();
    assert_eq!(
        log.iter()
            .filter(|(v, e)| v == "verified" && e == "not_ours")
            .count(),
        2,
        "{log:?}"
    );
    assert_eq!(
        log.iter()
            .filter(|(v, _)| v.starts_with("rejected"))
            .count(),
        2,
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|(v, e)| v == "verified" && e.starts_with("no_change"))
    );
    // Audited: the authentic ones (those not ours apart from the order), not the refused.
    assert_eq!(
        test.audit_actions(&format!("order:{order}"), "order.notice")
            .await
            .len(),
        1
    );
    assert_eq!(
        test.audit_actions("payment_notice:alipay", "order.notice")
            .await
            .len(),
        2
    );
    // Alipay's own notice then pays it.
    assert!(sim.pay(&trade, NoticeFault::None));
    until_status(&mut customer, order, "paid").await;
}

#[tokio::test]
async fn an_unpaid_code_expires_and_is_closed_at_the_provider_first() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let test = TestApp::with_alipay(&sim).await;
    let mut customer = test.customer(PHONE, [10, 6, 2, 1]).await;
    let (order, _) = ordered_online(&test, &mut customer).await;
    // Alipay makes the trade but its answer is lost: the customer is asked to try again.
    sim.lose_next_answers(1);
    let page = customer.page(&format!("/orders/{order}")).await;
    let csrf = input_value(&page.text, "csrf");
    let lost = customer
        .form(
            &format!("/orders/{order}/pay-online"),
            &[("csrf", csrf.as_str()), ("provider", "alipay")],
        )
        .await;
    assert_eq!(
        lost.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        lost.text
    );
    assert!(
        lost.text.contains("在线支付暂不可用，请稍后再试"),
        "{}",
        lost.text
    );
    assert!(!lost.text.contains("data-testid=\"pay-qr\""));
    // Again: a new trade, whose code is shown.
    let trade = scan_code(&mut customer, order).await;
    assert!(sim.scan(&trade));
    // A minute on, the reconciliation asks about both: the lost one was never scanned
    // (ACQ.TRADE_NOT_EXIST: still pending), the other is scanned and unpaid.
    test.clock.advance(std::time::Duration::from_secs(61));
    let round = services::jobs::reconcile_payments::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!(round, Default::default());
    // Two hours and more: both codes have expired; closed at Alipay (the lost one is
    // unknown there, nothing to close), then here.
    test.clock
        .advance(std::time::Duration::from_secs(2 * 3600 + 61));
    let round = services::jobs::reconcile_payments::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!(round.closed, 2);
    assert!(
        !sim.pay(&trade, NoticeFault::None),
        "a closed code takes no payment"
    );
    // The customer asks again: a new code, another trade.
    let mut customer = test.client([10, 6, 2, 1]);
    let login = json!({"phone": PHONE, "password": "goodpass123"});
    assert_eq!(
        customer
            .call("POST", "/api/v1/sessions", login)
            .await
            .status,
        StatusCode::OK
    );
    let again = scan_code(&mut customer, order).await;
    assert_ne!(again, trade);
}

#[tokio::test]
async fn the_same_notice_three_times_in_a_row_and_five_at_once_pays_once() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let test = TestApp::with_alipay(&sim).await;
    let mut customer = test.customer(PHONE, [10, 6, 7, 1]).await;
    let (order, _) = ordered_online(&test, &mut customer).await;
    let trade = scan_code(&mut customer, order).await;
    assert!(sim.pay(&trade, NoticeFault::None));
    until_status(&mut customer, order, "paid").await;
    // Alipay sends the same notice (the same notify_id) again: three times in a row, then
    // five at once. Every delivery is answered `success`.
    for _ in 0..3 {
        assert!(sim.send_notice(&trade, "TRADE_SUCCESS").await);
    }
    let again = || sim.send_notice(&trade, "TRADE_SUCCESS");
    let five = tokio::join!(again(), again(), again(), again(), again());
    assert_eq!(five, (true, true, true, true, true));
    assert_eq!(order_status(&mut customer, order).await, "paid");
    assert_eq!(
        test.audit_actions(&format!("order:{order}"), "order.confirm")
            .await
            .len(),
        1,
        "paid once"
    );
    let effects: Vec<String> = notice_log(&test)
        .await
        .into_iter()
        .filter(|(no, _, _)| *no == trade)
        .map(|(_, _, effect)| effect)
        .collect();
    assert_eq!(effects.iter().filter(|e| *e == "paid").count(), 1);
    assert_eq!(
        effects.iter().filter(|e| *e == "duplicate").count(),
        8,
        "{effects:?}"
    );
    // Each authentic notice is audited on the order, with what it did.
    assert_eq!(
        test.audit_actions(&format!("order:{order}"), "order.notice")
            .await
            .len(),
        9
    );
}

#[tokio::test]
async fn a_database_error_is_answered_fail_and_the_resend_pays_once() {
    // A slower simulator: Alipay's resends 2.4 s, 6 s, … apart become 240 ms, 600 ms, ….
    let sim = Simulator::start(0, 1_000.0).await.unwrap();
    failed_handler(&sim, TestApp::with_alipay(&sim).await).await;
}

#[tokio::test]
async fn a_database_error_on_postgresql() {
    let sim = Simulator::start(0, 1_000.0).await.unwrap();
    failed_handler(&sim, TestApp::with_alipay_on_postgres(&sim).await).await;
}

/// Makes the database refuse (`true`) or take again (`false`) every row of the notice log:
/// a trigger put in from outside, so that the notice's transaction fails as it would on a
/// real database error, with no code of CertHall changed.
async fn refuse_notices(test: &TestApp, refuse: bool) {
    let postgres = test.database_url.starts_with("postgres");
    let statements: &[&str] = match (postgres, refuse) {
        (false, true) => &[
            "CREATE TRIGGER injected_failure BEFORE INSERT ON provider_notices \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        ],
        (false, false) => &["DROP TRIGGER injected_failure"],
        (true, true) => &[
            "CREATE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$",
            "CREATE TRIGGER injected_failure BEFORE INSERT ON provider_notices \
             FOR EACH ROW EXECUTE FUNCTION injected_failure()",
        ],
        (true, false) => &[
            "DROP TRIGGER injected_failure ON provider_notices",
            "DROP FUNCTION injected_failure()",
        ],
    };
    use sqlx::Connection;
    let mut outside = sqlx::AnyConnection::connect(&test.database_url)
        .await
        .unwrap();
    for statement in statements {
        sqlx::query(statement).execute(&mut outside).await.unwrap();
    }
}

async fn failed_handler(sim: &Simulator, test: TestApp) {
    let mut customer = test.customer(PHONE, [10, 6, 8, 1]).await;
    let (order, _) = ordered_online(&test, &mut customer).await;
    let trade = scan_code(&mut customer, order).await;
    refuse_notices(&test, true).await;
    assert!(sim.pay(&trade, NoticeFault::None));
    // The first delivery meets the error: nothing is applied, and Alipay is told `fail`.
    for _ in 0..400 {
        if !sim.deliveries().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    refuse_notices(&test, false).await;
    let first = sim.deliveries()[0].clone();
    assert_eq!((first.status, first.answer.as_str()), (200, "fail"));
    // Alipay's next resend is taken: paid once.
    until_status(&mut customer, order, "paid").await;
    let deliveries = sim.deliveries();
    assert_eq!(
        deliveries.last().unwrap().answer,
        "success",
        "{deliveries:?}"
    );
    assert_eq!(
        test.audit_actions(&format!("order:{order}"), "order.confirm")
            .await
            .len(),
        1
    );
    // The failed delivery left nothing in the notice log; the one taken did.
    let effects: Vec<String> = notice_log(&test)
        .await
        .into_iter()
        .map(|(_, _, effect)| effect)
        .collect();
    assert_eq!(effects, ["paid"]);
}

#[tokio::test]
async fn a_payment_after_the_order_was_cancelled_is_refunded_once() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let test = TestApp::with_alipay(&sim).await;
    let mut customer = test.customer(PHONE, [10, 6, 3, 1]).await;
    let (order, _) = ordered_online(&test, &mut customer).await;
    let trade = scan_code(&mut customer, order).await;
    // The customer gives the order up while the code is still open on the phone, and pays.
    let answer = customer
        .call(
            "POST",
            &format!("/api/v1/orders/{order}/cancellation"),
            json!(null),
        )
        .await;
    assert_eq!(answer.json()["status"], "cancelled");
    assert!(sim.pay(&trade, NoticeFault::None));
    for _ in 0..400 {
        let log = notice_log(&test).await;
        if log.iter().any(|(_, _, effect)| effect == "refund_due") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        order_status(&mut customer, order).await,
        "cancelled",
        "never moved back"
    );
    // The money goes back: refunded in full at Alipay, once however often the job runs.
    let round = services::jobs::reconcile_payments::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!(round.refunded, 1, "{round:?}");
    let round = services::jobs::reconcile_payments::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!(round.refunded, 0);
    let actions = test
        .audit_actions(&format!("order:{order}"), "order.refund")
        .await;
    // Newest first: recorded as due when the notice came, then refunded (once).
    assert_eq!(actions, ["order.refund", "order.refund_due"]);
    // Finance sees it: the refund done, and the notice with what it did.
    let mut finance = test.operator("caiwu", "finance").await;
    let page = finance.page("/console/payments").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("data-testid=\"refund-row\"") && page.text.contains("已退款"));
    assert!(page.text.contains("data-testid=\"notice-row\"") && page.text.contains("refund_due"));
}

#[tokio::test]
async fn wechat_pay_pays_the_same_way() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let test = TestApp::with_alipay(&sim).await;
    let mut customer = test.customer(PHONE, [10, 6, 4, 1]).await;
    let (order, application) = ordered_online(&test, &mut customer).await;
    let trade = scan_code_of(&mut customer, order, "wechat").await;
    // The same order asked of Alipay gets its own code; WeChat's stays as it was.
    assert_ne!(scan_code_of(&mut customer, order, "alipay").await, trade);
    assert_eq!(scan_code_of(&mut customer, order, "wechat").await, trade);
    assert!(sim.pay(&trade, NoticeFault::Twice));
    until_status(&mut customer, order, "paid").await;
    let shown = customer
        .call(
            "GET",
            &format!("/api/v1/applications/{application}"),
            json!(null),
        )
        .await
        .json();
    assert_eq!(shown["status"], "submitted");
    // WeChat's notices are answered 204 without a body; both deliveries of the pair.
    let answered: Vec<u16> = sim.deliveries().iter().map(|d| d.status).collect();
    assert_eq!(answered, [204, 204]);
    let log = notice_log(&test).await;
    assert!(
        log.iter()
            .any(|(no, verdict, effect)| *no == trade && verdict == "verified" && effect == "paid"),
        "{log:?}"
    );
}

#[tokio::test]
async fn notices_out_of_order_never_move_a_state_back() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let test = TestApp::with_alipay(&sim).await;
    let mut customer = test.customer(PHONE, [10, 6, 5, 1]).await;
    let (order, _) = ordered_online(&test, &mut customer).await;
    let trade = scan_code(&mut customer, order).await;
    // Before the payment: a closing and a waiting notice are taken and change nothing.
    assert!(sim.send_notice(&trade, "TRADE_CLOSED").await);
    assert!(sim.send_notice(&trade, "WAIT_BUYER_PAY").await);
    assert_eq!(order_status(&mut customer, order).await, "awaiting_payment");
    assert!(sim.pay(&trade, NoticeFault::None));
    until_status(&mut customer, order, "paid").await;
    // After it: waiting, closed and finished again change nothing either.
    for status in ["WAIT_BUYER_PAY", "TRADE_CLOSED", "TRADE_FINISHED"] {
        assert!(sim.send_notice(&trade, status).await, "{status}");
    }
    assert_eq!(order_status(&mut customer, order).await, "paid");
    assert_eq!(
        test.audit_actions(&format!("order:{order}"), "order.confirm")
            .await
            .len(),
        1,
        "paid once"
    );
    let effects: Vec<String> = notice_log(&test)
        .await
        .into_iter()
        .filter(|(no, _, _)| *no == trade)
        .map(|(_, _, effect)| effect)
        .collect();
    assert!(effects.iter().any(|e| e == "paid"), "{effects:?}");
    assert!(effects.iter().any(|e| e == "duplicate"), "{effects:?}");
    assert!(
        effects.iter().any(|e| e.starts_with("no_change")),
        "{effects:?}"
    );
}

#[tokio::test]
async fn two_codes_both_paid_pay_the_order_once_and_the_second_goes_back() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let test = TestApp::with_alipay(&sim).await;
    let mut customer = test.customer(PHONE, [10, 6, 6, 1]).await;
    let (order, _) = ordered_online(&test, &mut customer).await;
    // The customer scanned the Alipay code, then asked for WeChat Pay's, and paid both.
    let alipay = scan_code_of(&mut customer, order, "alipay").await;
    let wechat = scan_code_of(&mut customer, order, "wechat").await;
    assert!(sim.pay(&alipay, NoticeFault::None));
    until_status(&mut customer, order, "paid").await;
    assert!(sim.pay(&wechat, NoticeFault::None));
    for _ in 0..400 {
        if notice_log(&test)
            .await
            .iter()
            .any(|(no, _, effect)| *no == wechat && effect == "refund_due")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Paid once; the second payment is given back by the reconciliation, once.
    let round = services::jobs::reconcile_payments::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!(round.refunded, 1, "{round:?}");
    assert_eq!(
        test.audit_actions(&format!("order:{order}"), "order.confirm")
            .await
            .len(),
        1
    );
    let shown = order_json(&mut customer, order).await;
    assert_eq!(shown["status"], "paid");
    assert_eq!(shown["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(shown["refunds"][0]["status"], "refunded");
    assert_eq!(shown["refunds"][0]["amount_fen"], shown["amount_fen"]);
}

#[tokio::test]
async fn a_late_notice_after_the_query_paid_the_order_changes_nothing() {
    // Alipay's first resend four minutes on, divided by 1,000: a quarter of a second.
    let sim = Simulator::start(0, 1_000.0).await.unwrap();
    let test = TestApp::with_alipay(&sim).await;
    let mut customer = test.customer(PHONE, [10, 6, 7, 1]).await;
    let (order, _) = ordered_online(&test, &mut customer).await;
    let trade = scan_code(&mut customer, order).await;
    assert!(sim.pay(&trade, NoticeFault::Late));
    // No notice yet: the reconciliation's signed query settles the payment first.
    test.clock.advance(std::time::Duration::from_secs(61));
    let round = services::jobs::reconcile_payments::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!(round.paid, 1, "{round:?}");
    assert_eq!(order_status(&mut customer, order).await, "paid");
    // Then the delayed notice arrives: answered success, a duplicate, nothing moves.
    for _ in 0..300 {
        if sim.deliveries().iter().any(|d| d.out_trade_no == trade) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let delivered = sim.deliveries();
    assert!(
        delivered
            .iter()
            .any(|d| d.out_trade_no == trade && d.attempt == 2 && d.answer == "success"),
        "{delivered:?}"
    );
    assert!(
        notice_log(&test)
            .await
            .iter()
            .any(|(no, _, effect)| *no == trade && effect == "duplicate")
    );
    assert_eq!(
        test.audit_actions(&format!("order:{order}"), "order.confirm")
            .await
            .len(),
        1
    );
}
