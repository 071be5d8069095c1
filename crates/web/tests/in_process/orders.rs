//! Orders and bank transfers on the in-process application: placing an order of one
//! holder's submitted applications (priced from the channel's fees, methods by business),
//! the voucher, finance's exception and confirmation through the console's pages, what
//! that does to the applications (payment after review in fjca: an application approved
//! after its order was paid is 已支付 at once), another customer reaching nothing, and the
//! unpaid order reminded once and closed on the settable clock. On SQLite and PostgreSQL.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Client, TestApp, input_value, jpeg};
use services::people::actor::Actor;

const PHONE: &str = "13800138501";

fn organisation(name: &str, uscc: &str) -> Value {
    json!({"name": name, "nature": "enterprise", "industry": "C", "three_in_one": true,
           "uscc": uscc, "department": "财务部"})
}

/// A submitted fjca organisation application; its id.
pub(crate) async fn submitted_fjca(
    test: &TestApp,
    client: &mut Client<'_>,
    phone: &str,
    org: Value,
) -> i64 {
    let start = json!({"channel": "fjca", "product": "org-cert", "years": 1, "quantity": 1});
    let answer = client.call("POST", "/api/v1/applications", start).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let id = answer.json()["id"].as_i64().unwrap();
    let agent =
        json!({"name": "陈七", "email": "chen@example.cn", "id_number": "11010519491231002X"});
    let delivery = json!({
        "courier": "ems", "save_address": false,
        "address": {"recipient": "陈七", "phone": phone, "province": "福建省", "city": "福州市",
                    "district": "鼓楼区", "detail": "五四路2号", "postal_code": "350001"},
        "invoice": {"needed": true, "kind": "electronic_normal", "email": "fp@example.cn"},
    });
    let mut version = 1;
    for (step, mut body) in [
        ("subject", json!({"organisation": org})),
        ("agent", json!({"agent": agent})),
        ("delivery", delivery),
    ] {
        body["version"] = json!(version);
        let answer = client
            .call("PUT", &format!("/api/v1/applications/{id}/{step}"), body)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{step}: {}", answer.text);
        version = answer.json()["version"].as_i64().unwrap();
    }
    let shown = client
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await
        .json();
    let photo = jpeg(64, 48);
    for slot in shown["missing_documents"].as_array().unwrap() {
        let slot = slot.as_str().unwrap();
        let answer = client
            .upload(
                &format!("/api/v1/applications/{id}/documents/{slot}"),
                &photo,
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{slot}: {}",
            answer.text
        );
        version = answer.json()["version"].as_i64().unwrap();
    }
    let body = json!({"version": version, "agreement_version": shown["agreement_version"]});
    let answer = client
        .call("PUT", &format!("/api/v1/applications/{id}/agreement"), body)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    version = answer.json()["version"].as_i64().unwrap();
    test.sign_and_submit(client, phone, id, version).await;
    id
}

pub(crate) async fn status_of(client: &mut Client<'_>, id: i64) -> String {
    client
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await
        .json()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Posts a console form of `page` (its CSRF token read from the page).
pub(crate) async fn console_post(
    client: &mut Client<'_>,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let shown = client.page(page).await;
    assert_eq!(shown.status, StatusCode::OK, "{page}: {}", shown.text);
    let csrf = input_value(&shown.text, "csrf");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let answer = client.form(action, &all).await;
    (answer.status, answer.text)
}

async fn transfer_flow(test: TestApp) {
    let mut customer = test.customer(PHONE, [10, 5, 0, 1]).await;
    let first = submitted_fjca(
        &test,
        &mut customer,
        PHONE,
        organisation("福州某某科技有限公司", "91350100M000100Y43"),
    )
    .await;
    // 继续申请: a second key for the same organisation, and one for another organisation.
    let second = submitted_fjca(
        &test,
        &mut customer,
        PHONE,
        organisation("福州某某科技有限公司", "91350100M000100Y43"),
    )
    .await;
    let other = submitted_fjca(
        &test,
        &mut customer,
        PHONE,
        organisation("厦门另一家有限公司", "91110108MA01KPGK0L"),
    )
    .await;
    // fjca reviews first and is paid before production: submitted, not waiting for payment.
    assert_eq!(status_of(&mut customer, first).await, "submitted");
    let waiting = customer
        .call("GET", "/api/v1/orders/awaiting-applications", json!(null))
        .await
        .json();
    assert_eq!(waiting.as_array().unwrap().len(), 3, "{waiting}");
    assert_eq!(waiting[0]["methods"], json!(["bank_transfer"]));

    // One holder per order; fjca takes new certificates by transfer only.
    let place = |ids: Vec<i64>, method: &str| json!({"applications": ids, "method": method});
    let answer = customer
        .call(
            "POST",
            "/api/v1/orders",
            place(vec![first, other], "bank_transfer"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["code"], "mixed_holders");
    let answer = customer
        .call(
            "POST",
            "/api/v1/orders",
            place(vec![first, second], "online"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["field"], "method");
    assert_eq!(
        answer.json()["error"]["message"],
        "本渠道的证书新办业务不支持在线支付（微信、支付宝）"
    );
    let answer = customer
        .call(
            "POST",
            "/api/v1/orders",
            place(vec![first, second], "bank_transfer"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let order = answer.json();
    let id = order["id"].as_i64().unwrap();
    assert_eq!(order["status"], "awaiting_payment");
    assert_eq!(order["amount_fen"], 2 * 26000);
    assert_eq!(order["amount"], "520.00");
    assert_eq!(order["lines"].as_array().unwrap().len(), 2);
    assert_eq!(
        order["remittance"]["payee"],
        "福建省数字安全证书管理有限公司"
    );
    assert!(order["number"].as_str().unwrap().starts_with("DD2026"));
    // An application is in one order at a time.
    let answer = customer
        .call(
            "POST",
            "/api/v1/orders",
            place(vec![first], "bank_transfer"),
        )
        .await;
    assert_eq!(answer.json()["error"]["code"], "not_orderable");
    // While the order holds them, the applications are neither edited nor cancelled.
    for action in ["edit", "cancellation"] {
        let answer = customer
            .call(
                "POST",
                &format!("/api/v1/applications/{first}/{action}"),
                json!(null),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::CONFLICT,
            "{action}: {}",
            answer.text
        );
        assert_eq!(answer.json()["error"]["code"], "in_order");
    }

    // Another customer reaches nothing of the order by any URL.
    let mut stranger = test.customer("13900139501", [10, 5, 0, 2]).await;
    let voucher_url = format!("/api/v1/orders/{id}/voucher");
    let photo = jpeg(80, 60);
    for (method, path) in [
        ("GET", format!("/api/v1/orders/{id}")),
        ("POST", format!("/api/v1/orders/{id}/cancellation")),
    ] {
        let answer = stranger.call(method, &path, json!(null)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
    let fields = [
        ("remitter", "福州某某科技有限公司"),
        ("remitted_on", "2026-11-02"),
    ];
    let answer = stranger.upload_with(&voucher_url, &fields, &photo).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(
        stranger
            .call("GET", "/api/v1/orders", json!(null))
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    let page = stranger.page(&format!("/orders/{id}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    // The voucher: its fields checked, then an image checked by content.
    for (fields, field) in [
        (
            [("remitter", " "), ("remitted_on", "2026-11-02")],
            "remitter",
        ),
        (
            [
                ("remitter", "福州某某科技有限公司"),
                ("remitted_on", "2026/11/02"),
            ],
            "remitted_on",
        ),
        (
            [
                ("remitter", "福州某某科技有限公司"),
                ("remitted_on", "2026-11-09"),
            ],
            "remitted_on",
        ),
    ] {
        let answer = customer.upload_with(&voucher_url, &fields, &photo).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(answer.json()["error"]["field"], field);
    }
    let answer = customer
        .upload_with(&voucher_url, &fields, b"%PDF-1.7 not an image")
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["field"], "file");
    let answer = customer.upload_with(&voucher_url, &fields, &photo).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    assert_eq!(answer.json()["status"], "awaiting_confirmation");
    let voucher = answer.json()["vouchers"][0]["id"].as_i64().unwrap();
    let (status, image) = customer
        .bytes(&format!("/api/v1/orders/{id}/vouchers/{voucher}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(image.starts_with(&[0xFF, 0xD8]), "a re-encoded JPEG");
    let (status, _) = stranger
        .bytes(&format!("/api/v1/orders/{id}/vouchers/{voucher}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Finance: a reviewer is refused the queue; finance marks an exception with a reason.
    let mut reviewer = test.operator("shen", "reviewer").await;
    assert_eq!(
        reviewer.page("/console/payments").await.status,
        StatusCode::FORBIDDEN
    );
    let mut finance = test.operator("caiwu", "finance").await;
    let queue = finance.page("/console/payments").await;
    assert!(
        queue.text.contains(order["number"].as_str().unwrap()),
        "{}",
        queue.text
    );
    let order_page = format!("/console/orders/{id}");
    let (status, text) = console_post(
        &mut finance,
        &order_page,
        &format!("{order_page}/exception"),
        &[("reason", " ")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(
        text.contains("aria-invalid=\"true\""),
        "the reason is named"
    );
    let (status, _) = console_post(
        &mut finance,
        &order_page,
        &format!("{order_page}/exception"),
        &[("reason", "未查到该笔汇款，请核对金额")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    test.run_jobs().await;
    let sms = test.sms.delivered_to(PHONE).last().unwrap().text.clone();
    assert!(
        sms.contains("支付异常") && sms.contains("未查到该笔汇款"),
        "{sms}"
    );
    let shown = customer
        .call("GET", &format!("/api/v1/orders/{id}"), json!(null))
        .await
        .json();
    assert_eq!(shown["status"], "payment_exception");
    assert_eq!(shown["exception_reason"], "未查到该笔汇款，请核对金额");
    // Under review first in fjca: the applications are not touched by the order's exception.
    assert_eq!(status_of(&mut customer, first).await, "submitted");
    // A confirmation now is refused: nothing waits to be confirmed.
    let (status, _) = console_post(
        &mut finance,
        &order_page,
        &format!("{order_page}/confirm"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A new voucher (seed 000 图15), then finance confirms; the customer is told.
    let answer = customer
        .upload_with(&voucher_url, &fields, &jpeg(90, 70))
        .await;
    assert_eq!(answer.json()["status"], "awaiting_confirmation");
    assert_eq!(answer.json()["vouchers"].as_array().unwrap().len(), 2);
    let (status, _) = console_post(
        &mut finance,
        &order_page,
        &format!("{order_page}/confirm"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    test.run_jobs().await;
    assert!(
        test.sms
            .delivered_to(PHONE)
            .last()
            .unwrap()
            .text
            .contains("已确认收款")
    );
    let shown = customer
        .call("GET", &format!("/api/v1/orders/{id}"), json!(null))
        .await
        .json();
    assert_eq!(shown["status"], "paid");
    assert!(shown["paid_at"].is_i64());
    // A paid order is neither cancelled nor given another voucher.
    let answer = customer
        .call(
            "POST",
            &format!("/api/v1/orders/{id}/cancellation"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    let answer = customer.upload_with(&voucher_url, &fields, &photo).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    // A paid application is not cancelled by a click (a refund is finance's).
    let answer = customer
        .call(
            "POST",
            &format!("/api/v1/applications/{first}/cancellation"),
            json!(null),
        )
        .await;
    assert_eq!(answer.json()["error"]["code"], "paid");

    // The reviewer approves: payment after review, already paid, so 已支付 at once.
    for action in ["take", "approve"] {
        let answer = reviewer
            .call(
                "POST",
                &format!("/api/v1/console/applications/{first}/{action}"),
                json!(null),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::NO_CONTENT,
            "{action}: {}",
            answer.text
        );
    }
    let shown = customer
        .call("GET", &format!("/api/v1/applications/{first}"), json!(null))
        .await
        .json();
    assert_eq!(
        (shown["status"].as_str(), shown["status_name"].as_str()),
        (Some("paid"), Some("已支付"))
    );
    let actions: Vec<&str> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.ends_with(&[
            "application.order",
            "application.take",
            "application.approve",
            "application.pay"
        ]),
        "{actions:?}"
    );
    // The other holder's application still waits for an order of its own.
    let waiting = customer
        .call("GET", "/api/v1/orders/awaiting-applications", json!(null))
        .await
        .json();
    assert_eq!(
        waiting
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![other]
    );

    // The order's life in the audit log, and the customer's pages.
    let mut admin = test.operator("guanli", "admin").await;
    let log = admin
        .call(
            "GET",
            &format!("/api/v1/console/audit?object=order:{id}"),
            json!(null),
        )
        .await;
    let logged: Vec<String> = log
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for action in [
        "order.place",
        "order.voucher",
        "order.exception",
        "order.confirm",
        "order.view",
    ] {
        assert!(logged.iter().any(|a| a == action), "{action} in {logged:?}");
    }
    let list = customer.page("/orders").await;
    assert!(list.text.contains(order["number"].as_str().unwrap()) && list.text.contains("已支付"));
    assert!(
        list.text.contains("/orders/new"),
        "the waiting application is pointed out"
    );
}

#[tokio::test]
async fn a_transfer_is_excepted_then_confirmed_and_pays_the_applications() {
    transfer_flow(TestApp::new().await).await;
}

#[tokio::test]
async fn the_same_transfer_on_postgresql() {
    transfer_flow(TestApp::on_postgres().await).await;
}

#[tokio::test]
async fn whoever_confirmed_the_payment_does_not_review() {
    let test = TestApp::new().await;
    let mut customer = test.customer(PHONE, [10, 5, 1, 1]).await;
    let first = submitted_fjca(
        &test,
        &mut customer,
        PHONE,
        organisation("福州某某科技有限公司", "91350100M000100Y43"),
    )
    .await;
    let order = customer
        .call(
            "POST",
            "/api/v1/orders",
            json!({"applications": [first], "method": "bank_transfer"}),
        )
        .await
        .json();
    let id = order["id"].as_i64().unwrap();
    let fields = [
        ("remitter", "福州某某科技有限公司"),
        ("remitted_on", "2026-11-02"),
    ];
    customer
        .upload_with(
            &format!("/api/v1/orders/{id}/voucher"),
            &fields,
            &jpeg(64, 48),
        )
        .await;
    let mut both = test.operator("jianren", "finance,reviewer").await;
    let page = format!("/console/orders/{id}");
    let (status, _) = console_post(&mut both, &page, &format!("{page}/confirm"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let answer = both
        .call(
            "POST",
            &format!("/api/v1/console/applications/{first}/take"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text);
    assert_eq!(answer.json()["error"]["code"], "duty_conflict");
}

#[tokio::test]
async fn an_unpaid_order_is_reminded_once_then_closed_and_its_applications_freed() {
    let test = TestApp::new().await;
    let mut customer = test.customer(PHONE, [10, 5, 2, 1]).await;
    let first = submitted_fjca(
        &test,
        &mut customer,
        PHONE,
        organisation("福州某某科技有限公司", "91350100M000100Y43"),
    )
    .await;
    let place = json!({"applications": [first], "method": "bank_transfer"});
    let id = customer
        .call("POST", "/api/v1/orders", place.clone())
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let sms_before = test.sms.delivered_to(PHONE).len();
    let day = std::time::Duration::from_secs(86_400);
    // Two days: nothing yet (fjca reminds after 3 natural days).
    test.clock.advance(day * 2);
    let round = services::jobs::unpaid_orders::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!((round.reminded, round.closed), (0, 0));
    // Three days: one reminder, and only one however often the job runs.
    test.clock.advance(day);
    let round = services::jobs::unpaid_orders::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!((round.reminded, round.closed), (1, 0));
    let round = services::jobs::unpaid_orders::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!((round.reminded, round.closed), (0, 0));
    test.run_jobs().await;
    let delivered = test.sms.delivered_to(PHONE);
    assert_eq!(delivered.len(), sms_before + 1);
    assert!(
        delivered.last().unwrap().text.contains("尚未支付"),
        "{}",
        delivered.last().unwrap().text
    );
    // Fifteen days: closed; the application waits for a new order, which can be placed.
    test.clock.advance(day * 12);
    let round = services::jobs::unpaid_orders::run_once(&test.app)
        .await
        .unwrap();
    assert_eq!((round.reminded, round.closed), (0, 1));
    // The session did not last two weeks: the customer logs in again.
    let mut customer = test.client([10, 5, 2, 1]);
    let login = json!({"phone": PHONE, "password": "goodpass123"});
    let answer = customer.call("POST", "/api/v1/sessions", login).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let shown = customer
        .call("GET", &format!("/api/v1/orders/{id}"), json!(null))
        .await
        .json();
    assert_eq!(
        (shown["status"].as_str(), shown["status_name"].as_str()),
        (Some("closed"), Some("已关闭")),
        "{shown}"
    );
    let answer = customer
        .upload_with(
            &format!("/api/v1/orders/{id}/voucher"),
            &[("remitter", "x公司"), ("remitted_on", "2026-11-02")],
            &jpeg(64, 48),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::CONFLICT,
        "a closed order takes no voucher"
    );
    let again = customer.call("POST", "/api/v1/orders", place.clone()).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    // Cancelled by the customer: freed the same way.
    let again_id = again.json()["id"].as_i64().unwrap();
    let answer = customer
        .call(
            "POST",
            &format!("/api/v1/orders/{again_id}/cancellation"),
            json!(null),
        )
        .await;
    assert_eq!(answer.json()["status"], "cancelled");
    let answer = customer.call("POST", "/api/v1/orders", place).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
}

/// Pays applications `ids` of `customer` by bank transfer: the order placed, the voucher
/// uploaded, the payment confirmed by a new finance operator `finance`. The order's id.
pub(crate) async fn pay_by_transfer(
    test: &TestApp,
    customer: &mut Client<'_>,
    ids: &[i64],
    finance: &str,
) -> i64 {
    let answer = customer
        .call(
            "POST",
            "/api/v1/orders",
            json!({"applications": ids, "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let id = answer.json()["id"].as_i64().unwrap();
    let fields = [
        (
            "remitter",
            answer.json()["holder_name"].as_str().unwrap().to_string(),
        ),
        ("remitted_on", "2026-11-02".to_string()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = customer
        .upload_with(
            &format!("/api/v1/orders/{id}/voucher"),
            &fields,
            &jpeg(64, 48),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let mut finance = test.operator(finance, "finance").await;
    let page = format!("/console/orders/{id}");
    let (status, text) = console_post(&mut finance, &page, &format!("{page}/confirm"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    id
}

#[tokio::test]
async fn a_bank_statement_proposes_matches_that_finance_confirms_and_twice_adds_nothing() {
    let test = TestApp::new().await;
    let mut customer = test.customer(PHONE, [10, 5, 3, 1]).await;
    let ours = organisation("福州某某科技有限公司", "91350100M000100Y43");
    let first = submitted_fjca(&test, &mut customer, PHONE, ours).await;
    let second = submitted_fjca(
        &test,
        &mut customer,
        PHONE,
        organisation("厦门另一家有限公司", "91110108MA01KPGK0L"),
    )
    .await;
    let place = |id: i64| json!({"applications": [id], "method": "bank_transfer"});
    let a = customer
        .call("POST", "/api/v1/orders", place(first))
        .await
        .json();
    let b = customer
        .call("POST", "/api/v1/orders", place(second))
        .await
        .json();
    let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let b_number = b["number"].as_str().unwrap();
    // Four credits: A by amount and name (full-width brackets and a space aside); B by amount
    // and its number in the remark though a director paid it; one of the right amount from
    // a stranger; one of a known remitter with another amount. And a debit.
    let csv = format!(
        "\u{feff}交易日期,借方发生额,贷方发生额,对方户名,对方账号,摘要\r\n\
         2026-11-03 09:12:00,,\"260.00\",福州某某科技有限公司 ,6222001,货款\r\n\
         2026-11-03,,260,张某某,6222002,\"{b_number} 证书费\"\r\n\
         2026-11-04,,260.00,无关公司,6222003,\r\n\
         2026-11-04,,180.00,厦门另一家有限公司,6222004,\r\n\
         2026-11-05,500.00,,房租,6222005,\r\n"
    );
    let mut finance = test.operator("caiwu", "finance").await;
    let page = finance.page("/console/statements").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = input_value(&page.text, "csrf");
    let fields = [("csrf", csrf.as_str()), ("profile", "generic")];
    let answer = finance
        .upload_with("/console/statements", &fields, csv.as_bytes())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert!(
        answer.text.contains("已导入 4 笔入账，推荐匹配 2 笔"),
        "{}",
        answer.text
    );
    assert!(
        answer.text.contains("但汇款户名不是订单主体"),
        "{}",
        answer.text
    );
    assert!(answer.text.contains("但金额不符"));
    // The same file again: nothing added.
    let answer = finance
        .upload_with("/console/statements", &fields, csv.as_bytes())
        .await;
    assert!(answer.text.contains("该文件此前已导入"), "{}", answer.text);
    assert_eq!(answer.text.matches("data-testid=\"credit-row\"").count(), 4);
    // A bad file names the line; a customer cannot reach the page.
    let bad = "交易日期,借方发生额,贷方发生额,对方户名,对方账号,摘要\n2026-11-03,,26O,甲,1,\n";
    let answer = finance
        .upload_with("/console/statements", &fields, bad.as_bytes())
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.text.contains("第 2 行"), "{}", answer.text);
    assert_ne!(
        customer.page("/console/statements").await.status,
        StatusCode::OK
    );

    // Finance confirms both proposals: the orders are paid, without any voucher.
    let credits = services::flows::import_statement::credits(
        &test.app,
        &services::people::actor::Actor::Cli("test".into()),
    )
    .await
    .unwrap();
    let proposed: Vec<i64> = credits
        .iter()
        .filter(|c| c.record.status == domain::statement::CreditStatus::Proposed)
        .map(|c| c.record.id)
        .collect();
    assert_eq!(proposed.len(), 2);
    for id in &proposed {
        let (status, text) = console_post(
            &mut finance,
            "/console/statements",
            &format!("/console/statements/credits/{id}/confirm"),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    }
    for id in [a_id, b_id] {
        let shown = customer
            .call("GET", &format!("/api/v1/orders/{id}"), json!(null))
            .await
            .json();
        assert_eq!(shown["status"], "paid", "{shown}");
    }
    // A confirmed credit is not confirmed twice; an unmatched one is set aside.
    let (status, _) = console_post(
        &mut finance,
        "/console/statements",
        &format!("/console/statements/credits/{}/confirm", proposed[0]),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let unmatched = credits
        .iter()
        .find(|c| c.record.status == domain::statement::CreditStatus::Unmatched)
        .unwrap()
        .record
        .id;
    let (status, _) = console_post(
        &mut finance,
        "/console/statements",
        &format!("/console/statements/credits/{unmatched}/dismiss"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn one_transfer_for_several_orders_of_one_organisation_pays_them_all() {
    let test = TestApp::new().await;
    let mut customer = test.customer(PHONE, [10, 5, 4, 1]).await;
    let holder = "福州某某科技有限公司";
    let mut orders = Vec::new();
    for _ in 0..3 {
        let application = submitted_fjca(
            &test,
            &mut customer,
            PHONE,
            organisation(holder, "91350100M000100Y43"),
        )
        .await;
        let placed = customer
            .call(
                "POST",
                "/api/v1/orders",
                json!({"applications": [application], "method": "bank_transfer"}),
            )
            .await
            .json();
        orders.push((
            placed["id"].as_i64().unwrap(),
            placed["amount_fen"].as_i64().unwrap(),
        ));
    }
    let each = orders[0].1;
    assert!(orders.iter().all(|(_, fen)| *fen == each));
    let yuan = |fen: i64| domain::Fen(u64::try_from(fen).unwrap()).yuan();
    // Two orders' worth: any two of the three would do, so it is not proposed. All three's
    // worth: one way only, proposed for the three.
    let csv = format!(
        "交易日期,借方发生额,贷方发生额,对方户名,对方账号,摘要\n\
         2026-11-03,,{},{holder},6222001,证书费\n\
         2026-11-03,,{},{holder},6222001,证书费三个\n",
        yuan(2 * each),
        yuan(3 * each)
    );
    let finance = Actor::Cli("test".into());
    let imported = services::flows::import_statement::import(
        &test.app,
        &finance,
        "generic",
        "11月.csv",
        csv.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!((imported.credits, imported.proposed), (2, 1));
    let credits = services::flows::import_statement::credits(&test.app, &finance)
        .await
        .unwrap();
    let two = credits
        .iter()
        .find(|c| c.record.amount_fen == 2 * each)
        .unwrap();
    assert_eq!(
        two.record.status,
        domain::statement::CreditStatus::Unmatched
    );
    assert!(two.orders.is_empty());
    assert!(
        two.record.note.as_deref().unwrap().contains("不同组合"),
        "{:?}",
        two.record.note
    );
    let three = credits
        .iter()
        .find(|c| c.record.amount_fen == 3 * each)
        .unwrap();
    assert_eq!(
        three.record.status,
        domain::statement::CreditStatus::Proposed
    );
    let ids: Vec<i64> = three.orders.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, orders.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    assert!(three.record.note.as_deref().unwrap().contains("3 个订单"));

    // The console lists the three orders on the credit; finance confirms it once, and the
    // three orders are paid together, each audited.
    let mut console = test.operator("caiwu", "finance").await;
    let page = console.page("/console/statements").await;
    for (_, number) in &three.orders {
        assert!(page.text.contains(number.as_str()), "{number}");
    }
    let (status, text) = console_post(
        &mut console,
        "/console/statements",
        &format!("/console/statements/credits/{}/confirm", three.record.id),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    for (id, _) in &orders {
        let shown = customer
            .call("GET", &format!("/api/v1/orders/{id}"), json!(null))
            .await
            .json();
        assert_eq!(shown["status"], "paid", "{shown}");
        assert_eq!(
            test.audit_actions(&format!("order:{id}"), "order.confirm")
                .await
                .len(),
            1
        );
    }
    let again =
        services::flows::confirm_payment::confirm_credit(&test.app, &finance, three.record.id)
            .await
            .unwrap_err();
    assert_eq!(again.code, "invalid_transition");
}

#[tokio::test]
async fn a_voucher_is_photographed_with_a_phone_through_a_one_time_link() {
    let test = TestApp::new().await;
    let phone_number = "13800138601";
    let mut customer = test.customer(phone_number, [10, 5, 6, 1]).await;
    let application = submitted_fjca(
        &test,
        &mut customer,
        phone_number,
        organisation("福州手机汇款有限公司", "91350100M000100Y43"),
    )
    .await;
    let answer = customer
        .call(
            "POST",
            "/api/v1/orders",
            json!({"applications": [application], "method": "bank_transfer"}),
        )
        .await;
    let order = answer.json()["id"].as_i64().unwrap();
    let number = answer.json()["number"].as_str().unwrap().to_string();
    let page = format!("/orders/{order}");
    let action = format!("{page}/voucher-link");
    // The remitter and the date are checked on the computer, beside their fields.
    let (status, text) = console_post(
        &mut customer,
        &page,
        &action,
        &[
            ("remitter", "福州手机汇款有限公司"),
            ("remitted_on", "2099-01-01"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("remitted_on-error"), "{text}");
    let (status, text) = console_post(
        &mut customer,
        &page,
        &action,
        &[
            ("remitter", "福州手机汇款有限公司"),
            ("remitted_on", "2026-11-01"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("data-testid=\"phone-link\"") && text.contains("<svg"));
    let url = text
        .split("data-testid=\"phone-url\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string();
    let path = url.trim_start_matches("http://127.0.0.1:8080").to_string();
    assert!(path.starts_with("/m/"), "{url}");

    // The phone: no login; the page names the order; the photo goes in once.
    let mut phone = test.client([10, 9, 9, 7]);
    let shown = phone.page(&path).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.text.contains(&number) && shown.text.contains("汇款底单"));
    let refused = phone.upload(&path, b"%PDF-1.4 not an image").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = phone.upload_form(&path, "", &jpeg(64, 48)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.text.contains("data-testid=\"phone-done\""));
    let again = phone.upload_form(&path, "", &jpeg(64, 48)).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "the link works once");

    // The order waits for finance, with the voucher as typed on the computer.
    let shown = crate::online::order_json(&mut customer, order).await;
    assert_eq!(shown["status"], "awaiting_confirmation");
    assert_eq!(shown["vouchers"][0]["remitter"], "福州手机汇款有限公司");
    assert_eq!(shown["vouchers"][0]["remitted_on"], "2026-11-01");
    // Another customer cannot make a link for this order.
    let mut stranger = test.customer("13900139701", [10, 5, 6, 2]).await;
    let mine = stranger.page("/orders").await;
    let csrf = input_value(&mine.text, "csrf");
    let answer = stranger
        .form(
            &action,
            &[
                ("csrf", csrf.as_str()),
                ("remitter", "x"),
                ("remitted_on", "2026-11-01"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}
