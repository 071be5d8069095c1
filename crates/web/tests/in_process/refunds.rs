//! Refunds on the in-process application: finance cancels a paid order and gives back part
//! of an online payment through Alipay (the simulator on 127.0.0.1) with a fixed refund
//! number, so that the retry after a lost answer refunds once, and the payment's notice
//! sent again afterwards changes nothing; a bank-transfer order's
//! refund recorded with the bank's reference; an application under review stops the
//! refund, all or nothing; the customer is told; nobody but finance gives money back.
//! On SQLite and PostgreSQL.

use axum::http::StatusCode;
use paysim::{NoticeFault, RefundEnd, Simulator};
use serde_json::json;
use services::flows::refund::{self, RefundForm};
use services::people::actor::Actor;

use crate::harness::TestApp;
use crate::online::{
    notice_log, order_status, ordered_online, scan_code, scan_code_of, until_status,
};
use crate::orders::{console_post, pay_by_transfer, status_of, submitted_fjca};

const PHONE: &str = "13800138101";

#[tokio::test]
async fn finance_refunds_part_of_an_online_payment_once_though_the_answer_is_lost() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    online_refund(&sim, TestApp::with_alipay(&sim).await).await;
}

#[tokio::test]
async fn the_same_online_refund_on_postgresql() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    online_refund(&sim, TestApp::with_alipay_on_postgres(&sim).await).await;
}

async fn online_refund(sim: &Simulator, test: TestApp) {
    let mut customer = test.customer(PHONE, [10, 7, 0, 1]).await;
    let (order, application) = ordered_online(&test, &mut customer).await;
    let trade = scan_code(&mut customer, order).await;
    assert!(sim.pay(&trade, NoticeFault::None));
    until_status(&mut customer, order, "paid").await;
    let paid = crate::online::order_json(&mut customer, order).await["amount_fen"]
        .as_u64()
        .unwrap();

    let page = format!("/console/orders/{order}");
    let action = format!("{page}/refund");
    // Only finance gives money back: a reviewer's post is refused, in the service too.
    let mut reviewer = test.operator("shenhe", "reviewer").await;
    let (status, _) = console_post(&mut reviewer, "/console/reviews", &action, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let owner = services::flows::order::get(&test.app, &Actor::Cli("test".into()), order)
        .await
        .unwrap()
        .customer_id;
    let customer_actor = Actor::Customer(owner);
    let refused = refund::refund(
        &test.app,
        &customer_actor,
        order,
        &RefundForm {
            amount: String::new(),
            reason: "我想退款".into(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code, "role_required", "{refused:?}");

    // More than was paid is refused, naming the field; nothing changes.
    let mut finance = test.operator("caiwu", "finance").await;
    let shown = finance.page(&page).await;
    assert!(shown.text.contains("撤单并退款"), "the form is offered");
    let too_much = format!("{}.01", paid / 100);
    let (status, text) = console_post(
        &mut finance,
        &page,
        &action,
        &[("amount", too_much.as_str()), ("reason", "客户申请撤单")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("不超过已支付") && text.contains("amount-error"));
    assert_eq!(order_status(&mut customer, order).await, "paid");

    // 100.00 yuan back; Alipay's answer is lost after it refunded.
    sim.lose_next_answers(1);
    let (status, text) = console_post(
        &mut finance,
        &page,
        &action,
        &[("amount", "100.00"), ("reason", "客户申请撤单，扣除介质费")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    assert_eq!(sim.refunded_fen(&trade), 10_000, "the provider refunded");
    assert_eq!(order_status(&mut customer, order).await, "refunded");
    assert_eq!(status_of(&mut customer, application).await, "cancelled");
    let shown = crate::online::order_json(&mut customer, order).await;
    assert_eq!(shown["refunds"][0]["status"], "pending", "{shown}");
    assert_eq!(shown["refunds"][0]["amount_fen"], 10_000);
    assert_eq!(shown["refunds"][0]["online"], true);
    // The invoice asked for with the application is withdrawn with the order.
    assert_eq!(shown["invoices"][0]["status"], "withdrawn", "{shown}");

    // The reconciliation asks again with the same number: recorded, and refunded once.
    let round = services::jobs::reconcile_payments::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!(round.refunded, 1, "{round:?}");
    assert_eq!(sim.refunded_fen(&trade), 10_000, "once");
    let round = services::jobs::reconcile_payments::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!(round.refunded, 0);
    let shown = crate::online::order_json(&mut customer, order).await;
    assert_eq!(shown["status"], "refunded");
    assert_eq!(shown["refunds"][0]["status"], "refunded", "{shown}");
    assert_eq!(shown["refunds"].as_array().unwrap().len(), 1);
    // The customer reads it on the order page and by SMS.
    let mine = customer.page(&format!("/orders/{order}")).await;
    assert!(mine.text.contains("data-testid=\"refund\"") && mine.text.contains("¥100.00"));
    test.run_jobs().await;
    let sms = test.sms.delivered_to(PHONE);
    assert!(
        sms.iter()
            .any(|m| m.text.contains("已撤销") && m.text.contains("100.00元")),
        "{sms:?}"
    );

    // Alipay sends the original payment notice again after the refund: acknowledged,
    // and nothing moves back.
    assert!(sim.send_notice(&trade, "TRADE_SUCCESS").await);
    let shown = crate::online::order_json(&mut customer, order).await;
    assert_eq!(shown["status"], "refunded");
    assert_eq!(shown["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(status_of(&mut customer, application).await, "cancelled");

    // Further refunds of the cancelled order add up to at most what was paid: 1.00 more;
    // then more than is left is refused before the provider is asked; then the rest.
    let finance = Actor::Cli("test".into());
    let more = |amount: &str| RefundForm {
        amount: amount.into(),
        reason: "追加退款".into(),
    };
    refund::refund(&test.app, &finance, order, &more("1.00"))
        .await
        .unwrap();
    assert_eq!(sim.refunded_fen(&trade), 10_100);
    let left = paid - 10_100;
    let too_much = domain::Fen(left + 1).yuan();
    let refused = refund::refund(&test.app, &finance, order, &more(&too_much))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code, refused.field.as_deref()),
        ("amount_out_of_range", Some("amount"))
    );
    assert_eq!(
        sim.refunded_fen(&trade),
        10_100,
        "the provider was not asked"
    );
    refund::refund(&test.app, &finance, order, &more(""))
        .await
        .unwrap();
    assert_eq!(sim.refunded_fen(&trade), paid, "all of it, at last");
    let numbers: Vec<String> = refund::of_order(&test.app, order)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.refund_no)
        .collect();
    assert_eq!(
        numbers,
        [1, 2, 3].map(|n| format!("RD{order:010}{n:02}")),
        "each with its own fixed number"
    );
    let nothing_left = refund::refund(&test.app, &finance, order, &more("0.01"))
        .await
        .unwrap_err();
    assert_eq!(nothing_left.code, "amount_out_of_range");

    // Every step is audited on the order and the application.
    let actions = test.audit_actions(&format!("order:{order}"), "").await;
    assert!(
        actions.iter().any(|a| a == "order.withdraw")
            && actions.iter().filter(|a| *a == "order.refund_more").count() == 2
            && actions.iter().any(|a| a == "order.refund"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn wechat_refunds_settled_later_end_by_notice_by_query_or_with_finance() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    settled_later(&sim, TestApp::with_alipay(&sim).await).await;
}

#[tokio::test]
async fn wechat_refunds_settled_later_on_postgresql() {
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    settled_later(&sim, TestApp::with_alipay_on_postgres(&sim).await).await;
}

/// Refund `n` of `order` (finance's numbering) as its customer reads it: (status, JSON).
async fn refund_status(customer: &mut crate::harness::Client<'_>, order: i64, n: usize) -> String {
    crate::online::order_json(customer, order).await["refunds"][n]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Waits, bounded, for a refund's notice to reach the application over HTTP.
async fn until_refund(customer: &mut crate::harness::Client<'_>, order: i64, n: usize, want: &str) {
    for _ in 0..400 {
        if refund_status(customer, order, n).await == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("refund {n} of order {order} never became {want}");
}

async fn settled_later(sim: &Simulator, test: TestApp) {
    let phone = PHONE;
    let mut customer = test.customer(phone, [10, 7, 2, 1]).await;
    let (order, _) = ordered_online(&test, &mut customer).await;
    let trade = scan_code_of(&mut customer, order, "wechat").await;
    assert!(sim.pay(&trade, NoticeFault::None));
    until_status(&mut customer, order, "paid").await;
    sim.wechat_refunds_settle_later(true);
    let finance = Actor::Cli("test".into());
    let reconcile = || services::jobs::reconcile_payments::run_once(&test.app);
    let number = |n: u32| format!("RD{order:010}{n:02}");

    // 1. PROCESSING, then REFUND.SUCCESS by notice.
    let give = |amount: &str| RefundForm {
        amount: amount.into(),
        reason: "客户申请撤单".into(),
    };
    refund::refund(&test.app, &finance, order, &give("100.00"))
        .await
        .unwrap();
    assert_eq!(refund_status(&mut customer, order, 0).await, "pending");
    assert_eq!(reconcile().await.unwrap().refunded, 0, "settling: not yet");
    // The notice comes twice at once: recorded once (the audit count below).
    assert!(sim.settle_wechat_refund(&number(1), RefundEnd::Success, NoticeFault::Twice));
    until_refund(&mut customer, order, 0, "refunded").await;
    let refunds = refund::of_order(&test.app, order).await.unwrap();
    assert!(refunds[0].refunded_at.is_some() && refunds[0].failure.is_none());

    // 2. PROCESSING, then REFUND.ABNORMAL: to finance, the customer told.
    refund::refund(&test.app, &finance, order, &give("20.00"))
        .await
        .unwrap();
    assert!(sim.settle_wechat_refund(&number(2), RefundEnd::Abnormal, NoticeFault::None));
    until_refund(&mut customer, order, 1, "abnormal").await;
    let refunds = refund::of_order(&test.app, order).await.unwrap();
    assert_eq!(refunds[1].failure.as_deref(), Some("ABNORMAL"));
    assert!(refunds[1].awaits_transfer() && refunds[1].refunded_at.is_none());
    // Asked no more, and nothing moves by itself.
    test.clock.advance(std::time::Duration::from_secs(3600));
    assert_eq!(reconcile().await.unwrap().refunded, 0);
    assert_eq!(refund_status(&mut customer, order, 1).await, "abnormal");
    test.run_jobs().await;
    let sms = test.sms.delivered_to(phone);
    assert!(
        sms.iter()
            .any(|m| m.text.contains("未能原路退回") && m.text.contains("20.00元")),
        "{sms:?}"
    );
    let mine = customer.page(&format!("/orders/{order}")).await;
    assert!(mine.text.contains("退款异常") && mine.text.contains("改以银行转账退还"));
    // Finance sees it first, on the dashboard and the order page, and records the
    // bank transfer.
    let mut console = test.operator("caiwu", "finance").await;
    let dashboard = console.page("/console").await;
    assert!(dashboard.text.contains("待转账退款"), "{}", dashboard.text);
    let payments = console.page("/console/payments").await;
    let first_row = payments
        .text
        .split("data-testid=\"refund-row\"")
        .nth(1)
        .unwrap();
    assert!(first_row.contains(&number(2)) && first_row.contains("退款异常"));
    let page = format!("/console/orders/{order}");
    let shown = console.page(&page).await;
    assert!(shown.text.contains("data-testid=\"refund-failure\""));
    let action = format!("/console/refunds/{}/transfer", refunds[1].id);
    let (status, text) = console_post(
        &mut console,
        &page,
        &action,
        &[("bank_reference", "CMB2026120600031")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    assert_eq!(refund_status(&mut customer, order, 1).await, "refunded");
    // The provider's word after finance's transfer changes nothing.
    let log_before = notice_log(&test).await.len();
    assert!(!sim.settle_wechat_refund(&number(2), RefundEnd::Success, NoticeFault::None));
    assert_eq!(notice_log(&test).await.len(), log_before);

    // 3. PROCESSING, the notice lost: the query finds it, a minute on (not sooner).
    refund::refund(&test.app, &finance, order, &give("1.00"))
        .await
        .unwrap();
    assert!(sim.settle_wechat_refund(&number(3), RefundEnd::Success, NoticeFault::Drop));
    assert_eq!(reconcile().await.unwrap().refunded, 0, "asked a moment ago");
    assert_eq!(refund_status(&mut customer, order, 2).await, "pending");
    test.clock.advance(std::time::Duration::from_secs(60));
    assert_eq!(reconcile().await.unwrap().refunded, 1);
    assert_eq!(refund_status(&mut customer, order, 2).await, "refunded");

    // Every end is audited on the order once; the notice log says what each did.
    let actions = test.audit_actions(&format!("order:{order}"), "").await;
    assert_eq!(
        actions.iter().filter(|a| *a == "order.refund").count(),
        3,
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "order.refund_abnormal")
            .count(),
        1
    );
    let effects: Vec<String> = notice_log(&test)
        .await
        .into_iter()
        .filter(|(no, verdict, _)| *no == trade && verdict == "verified")
        .map(|(_, _, effect)| effect)
        .collect();
    assert!(
        effects.iter().any(|e| e == "refunded") && effects.iter().any(|e| e == "refund_abnormal"),
        "{effects:?}"
    );
}

#[tokio::test]
async fn a_transfer_refund_waits_for_the_review_and_is_recorded_with_the_banks_reference() {
    let test = TestApp::new().await;
    let phone = "13800138701";
    let mut customer = test.customer(phone, [10, 7, 1, 1]).await;
    let org = json!({"name": "福州退款测试有限公司", "nature": "enterprise", "industry": "C",
                     "three_in_one": true, "uscc": "91350100M000100Y43", "department": "财务部"});
    let application = submitted_fjca(&test, &mut customer, phone, org).await;
    let order = pay_by_transfer(&test, &mut customer, &[application], "caiwu").await;
    assert_eq!(order_status(&mut customer, order).await, "paid");

    // A reviewer holds the application: the refund stops, all or nothing.
    let mut reviewer = test.operator("shenhe", "reviewer").await;
    let take = format!("/api/v1/console/applications/{application}/take");
    assert_eq!(
        reviewer.call("POST", &take, json!(null)).await.status,
        StatusCode::NO_CONTENT
    );
    let finance = Actor::Cli("test".into());
    let form = RefundForm {
        amount: String::new(),
        reason: "客户重复办理，撤单".into(),
    };
    let refused = refund::refund(&test.app, &finance, order, &form)
        .await
        .unwrap_err();
    assert_eq!(refused.code, "invalid_transition", "{refused:?}");
    assert_eq!(order_status(&mut customer, order).await, "paid");
    assert!(
        refund::of_order(&test.app, order).await.unwrap().is_empty(),
        "nothing half-done"
    );
    let release = format!("/api/v1/console/applications/{application}/release");
    assert_eq!(
        reviewer.call("POST", &release, json!(null)).await.status,
        StatusCode::NO_CONTENT
    );

    // Released: refunded in full, to be sent back by bank.
    let id = refund::refund(&test.app, &finance, order, &form)
        .await
        .unwrap();
    assert_eq!(order_status(&mut customer, order).await, "refunded");
    assert_eq!(status_of(&mut customer, application).await, "cancelled");
    let refunds = refund::of_order(&test.app, order).await.unwrap();
    assert_eq!(refunds.len(), 1);
    assert!(!refunds[0].online && refunds[0].refunded_at.is_none());
    let paid = crate::online::order_json(&mut customer, order).await["amount_fen"]
        .as_u64()
        .unwrap();
    assert_eq!(refunds[0].amount.0, paid, "in full");

    // Finance records the bank's reference: without one, the field is named.
    let mut console = test.operator("caiwu2", "finance").await;
    let page = format!("/console/orders/{order}");
    let action = format!("/console/refunds/{id}/transfer");
    let (status, text) =
        console_post(&mut console, &page, &action, &[("bank_reference", " ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("银行交易流水号"), "{text}");
    let (status, text) = console_post(
        &mut console,
        &page,
        &action,
        &[("bank_reference", "ICBC2026120600017")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    let refunds = refund::of_order(&test.app, order).await.unwrap();
    assert_eq!(
        refunds[0].bank_reference.as_deref(),
        Some("ICBC2026120600017")
    );
    assert!(refunds[0].refunded_at.is_some());
    // Recorded once.
    let again = refund::record_transfer(&test.app, &finance, id, "ICBC2026120600018")
        .await
        .unwrap_err();
    assert_eq!(again.code, "invalid_transition");
    let shown = console.page(&page).await;
    assert!(shown.text.contains("ICBC2026120600017") && shown.text.contains("已退款"));
}

#[tokio::test]
async fn a_channel_with_its_own_merchant_is_paid_and_refunded_through_it() {
    use services::hall::merchants::{self, MerchantKeys};
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let test = TestApp::with_alipay(&sim).await;
    // huanbao's money goes to another Alipay app than the installation's.
    let private_key = sim.new_merchant("2021000000000002").unwrap();
    let keys = |private_key: &str| MerchantKeys::Alipay {
        gateway: sim.alipay_gateway(),
        app_id: "2021000000000002".into(),
        seller_id: None,
        private_key: zeroize::Zeroizing::new(private_key.to_string()),
        alipay_public_key: sim.alipay_public_key_pem(),
    };
    let admin = Actor::Cli("test".into());
    let refused = merchants::set(
        &test.app,
        &Actor::Customer(1),
        Some("huanbao"),
        &keys(&private_key),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code, "role_required");
    let refused = merchants::set(&test.app, &admin, Some("huanbao"), &keys("not a key"))
        .await
        .unwrap_err();
    assert_eq!(refused.code, "invalid_merchant_keys");
    merchants::set(&test.app, &admin, Some("huanbao"), &keys(&private_key))
        .await
        .unwrap();
    let listed = merchants::list(&test.app, &admin).await.unwrap();
    assert_eq!(
        (listed[0].channel.as_str(), listed[0].app_id.as_str()),
        ("huanbao", "2021000000000002")
    );

    // The order's trade is the channel's app's; its notice pays the order.
    let mut customer = test.customer(PHONE, [10, 7, 2, 1]).await;
    let (order, _) = ordered_online(&test, &mut customer).await;
    let trade = scan_code(&mut customer, order).await;
    assert_eq!(
        sim.trade_app_id(&trade).as_deref(),
        Some("2021000000000002")
    );
    assert!(sim.pay(&trade, NoticeFault::None));
    until_status(&mut customer, order, "paid").await;
    // Refunded through the same app (the simulator refuses another app's request).
    refund::refund(
        &test.app,
        &admin,
        order,
        &RefundForm {
            amount: String::new(),
            reason: "渠道商户退款".into(),
        },
    )
    .await
    .unwrap();
    assert!(
        sim.refunded_fen(&trade) > 0,
        "refunded through the channel's app"
    );
    assert_eq!(
        refund::of_order(&test.app, order).await.unwrap()[0].status,
        domain::refund::RefundStatus::Refunded
    );

    // The key is sealed: no stretch of it is in the database files.
    assert_key_not_stored(&test, &private_key);
    assert_eq!(
        test.audit_actions("merchant:huanbao", "merchant.").await,
        ["merchant.set"]
    );
}

#[tokio::test]
async fn the_installations_merchant_sealed_in_the_database_wins_over_the_key_files() {
    use services::hall::merchants::{self, MerchantKeys};
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let test = TestApp::with_alipay(&sim).await;
    let private_key = sim.new_merchant("2021000000000003").unwrap();
    let admin = Actor::Cli("test".into());
    merchants::set(
        &test.app,
        &admin,
        None,
        &MerchantKeys::Alipay {
            gateway: sim.alipay_gateway(),
            app_id: "2021000000000003".into(),
            seller_id: None,
            private_key: zeroize::Zeroizing::new(private_key.clone()),
            alipay_public_key: sim.alipay_public_key_pem(),
        },
    )
    .await
    .unwrap();
    let listed = merchants::list(&test.app, &admin).await.unwrap();
    assert_eq!(
        (listed[0].channel.as_str(), listed[0].app_id.as_str()),
        ("*", "2021000000000003")
    );
    // Every channel without its own now pays through the sealed merchant.
    let mut customer = test.customer(PHONE, [10, 7, 3, 1]).await;
    let (order, _) = ordered_online(&test, &mut customer).await;
    let trade = scan_code(&mut customer, order).await;
    assert_eq!(
        sim.trade_app_id(&trade).as_deref(),
        Some("2021000000000003")
    );
    assert!(sim.pay(&trade, NoticeFault::None));
    until_status(&mut customer, order, "paid").await;
    assert_key_not_stored(&test, &private_key);
}

/// No stretch of the private key `pem` (three 32-character probes of its body) is in the
/// database files: it is sealed.
fn assert_key_not_stored(test: &TestApp, pem: &str) {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    for at in [body.len() / 4, body.len() / 2, 3 * body.len() / 4] {
        test.assert_not_stored(&body.as_bytes()[at..at + 32], "the private key");
    }
}
