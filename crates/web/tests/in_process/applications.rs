//! The new-certificate application from the first click to the reviewer's decision, over
//! the API on the in-process application: every step saved and checked, refusals that name
//! the field and change nothing, the duplicate rule, the SMS-signed submission, review with
//! rejection, edit, resubmission and approval, the notices in the outbox, the timeline,
//! and who may see what. The same flow runs on PostgreSQL.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Client, TestApp, jpeg};

pub(crate) const PHONE: &str = "13800138101";

fn organisation(uscc: &str) -> Value {
    json!({
        "name": "北京环保科技有限公司", "nature": "enterprise", "industry": "C",
        "three_in_one": true, "uscc": uscc, "department": "采购部",
        "custom": {"ten_ring_cert_no": "CCEL-2026-0001"},
    })
}

fn agent() -> Value {
    json!({"name": "张三", "email": "zhang@example.cn", "landline": "010-12345678",
           "position": "采购经理", "id_number": "11010519491231002X"})
}

fn delivery(version: i64) -> Value {
    json!({
        "version": version, "courier": "sto", "save_address": true,
        "address": {"recipient": "张三", "phone": PHONE, "province": "北京市", "city": "北京市",
                    "district": "海淀区", "detail": "中关村大街1号", "postal_code": "100080"},
        "invoice": {"needed": true, "kind": "electronic_normal", "email": "fp@example.cn"},
    })
}

async fn get(client: &mut Client<'_>, id: i64) -> Value {
    let answer = client
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.json()
}

/// Starts a huanbao application and fills every step; returns (id, version).
pub(crate) async fn filled(client: &mut Client<'_>, uscc: &str) -> (i64, i64) {
    let start = json!({"channel": "huanbao", "product": "org-usbkey", "years": 2, "quantity": 1});
    let answer = client.call("POST", "/api/v1/applications", start).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let id = answer.json()["id"].as_i64().unwrap();
    let mut version = answer.json()["version"].as_i64().unwrap();
    let steps = [
        (
            "subject",
            json!({"version": 0, "organisation": organisation(uscc)}),
        ),
        ("agent", json!({"version": 0, "agent": agent()})),
        ("delivery", delivery(0)),
    ];
    for (step, mut body) in steps {
        body["version"] = json!(version);
        let answer = client
            .call("PUT", &format!("/api/v1/applications/{id}/{step}"), body)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{step}: {}", answer.text);
        version = answer.json()["version"].as_i64().unwrap();
    }
    let photo = jpeg(64, 48);
    // Whatever the application still needs: the standard slots and the channel's own
    // (huanbao's ten-ring certificate).
    let missing = get(client, id).await["missing_documents"].clone();
    let missing: Vec<String> = serde_json::from_value(missing).unwrap();
    assert!(
        missing.contains(&"business_licence".to_string()),
        "{missing:?}"
    );
    for slot in missing {
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
    let agreement = get(client, id).await["agreement_version"].clone();
    let body = json!({"version": version, "agreement_version": agreement});
    let answer = client
        .call("PUT", &format!("/api/v1/applications/{id}/agreement"), body)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json()["next_step"], "confirm");
    (id, answer.json()["version"].as_i64().unwrap())
}

async fn sign_and_submit(test: &TestApp, client: &mut Client<'_>, id: i64, version: i64) -> Value {
    test.sign_and_submit(client, PHONE, id, version).await
}

async fn the_whole_flow(test: TestApp) {
    let mut customer = test.customer(PHONE, [10, 1, 0, 1]).await;

    // A wrong USCC check character is refused, naming the field; nothing is stored.
    let start = json!({"channel": "huanbao", "product": "org-usbkey", "years": 2, "quantity": 1});
    let answer = customer.call("POST", "/api/v1/applications", start).await;
    let id = answer.json()["id"].as_i64().unwrap();
    let before = get(&mut customer, id).await;
    let bad =
        json!({"version": before["version"], "organisation": organisation("91350100M000100Y44")});
    let answer = customer
        .call("PUT", &format!("/api/v1/applications/{id}/subject"), bad)
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["field"], "uscc");
    assert_eq!(
        answer.json()["error"]["message"],
        "统一社会信用代码校验位错误，应为“3”"
    );
    let after = get(&mut customer, id).await;
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["next_step"], "subject");
    assert!(after["organisation"].is_null());
    // The price comes from the channel's fees: a set plus a second year.
    assert_eq!(after["price_fen"], 26000 + 18000);
    let answer = customer
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/cancellation"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);

    // Fill in everything; a stale version is refused.
    let (id, version) = filled(&mut customer, "91350100M000100Y43").await;
    let stale = json!({"version": version - 1, "agent": agent()});
    let answer = customer
        .call("PUT", &format!("/api/v1/applications/{id}/agent"), stale)
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.json()["error"]["code"], "changed_meanwhile");
    let shown = get(&mut customer, id).await;
    assert_eq!(shown["agent"]["name"], "张三");
    assert_eq!(
        shown["invoice"]["title"], "北京环保科技有限公司",
        "title defaults to the holder"
    );
    // The delivery address went into the address book too.
    let book = customer
        .call("GET", "/api/v1/me/addresses", json!(null))
        .await;
    assert_eq!(book.json()[0]["detail"], "中关村大街1号");

    // The same organisation cannot be started twice while one is unfinished.
    let start = json!({"channel": "huanbao", "product": "org-usbkey", "years": 1, "quantity": 1});
    let answer = customer
        .call("POST", "/api/v1/applications", start.clone())
        .await;
    let second = answer.json()["id"].as_i64().unwrap();
    let body = json!({"version": answer.json()["version"], "organisation": organisation("91350100M000100Y43")});
    let answer = customer
        .call(
            "PUT",
            &format!("/api/v1/applications/{second}/subject"),
            body.clone(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.json()["error"]["code"], "unfinished_application");
    let number = shown["number"].as_str().unwrap();
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains(number)
    );

    // A wrong signing code changes nothing but counts a try.
    let answer = customer
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/signing-code"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let answer = customer
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/submission"),
            json!({"version": version, "code": "000000"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["field"], "code");
    assert_eq!(get(&mut customer, id).await["status"], "draft");
    let code = test.sms_code(PHONE).await;
    let answer = customer
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/submission"),
            json!({"version": version, "code": code}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let signed = answer.json();
    assert_eq!(signed["digest"].as_str().unwrap().len(), 64);
    assert_eq!(signed["phone"], "138****8101");
    // huanbao is paid before review (seed 000): 待支付 until its order is paid.
    let shown = get(&mut customer, id).await;
    assert_eq!(
        (shown["status"].as_str(), shown["status_name"].as_str()),
        (Some("awaiting_payment"), Some("待支付"))
    );
    let mut reviewer = test.operator("lisi", "reviewer").await;
    let queue = reviewer
        .call("GET", "/api/v1/console/reviews", json!(null))
        .await;
    assert!(
        queue.json().as_array().unwrap().is_empty(),
        "not reviewed unpaid"
    );
    crate::orders::pay_by_transfer(&test, &mut customer, &[id], "caiwu").await;
    let shown = get(&mut customer, id).await;
    assert_eq!(
        (shown["status"].as_str(), shown["status_name"].as_str()),
        (Some("submitted"), Some("待审核"))
    );

    // 继续申请: now the second one for the same organisation may go on.
    let answer = customer
        .call(
            "PUT",
            &format!("/api/v1/applications/{second}/subject"),
            body,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);

    // A shipper cannot open the review queue; a reviewer takes, rejects with a reason.
    let mut shipper = test.operator("wangwu", "shipper").await;
    let answer = shipper
        .call("GET", "/api/v1/console/reviews", json!(null))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = shipper
        .call(
            "POST",
            &format!("/api/v1/console/applications/{id}/take"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let queue = reviewer
        .call("GET", "/api/v1/console/reviews", json!(null))
        .await;
    assert_eq!(queue.status, StatusCode::OK);
    assert_eq!(queue.json()[0]["application"]["id"], id);
    assert_eq!(queue.json()[0]["overdue"], false);
    let answer = reviewer
        .call(
            "POST",
            &format!("/api/v1/console/applications/{id}/take"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    assert_eq!(get(&mut customer, id).await["status_name"], "申请受理中");
    // Locked: the customer can neither take it back nor cancel it now.
    for action in ["edit", "cancellation"] {
        let answer = customer
            .call(
                "POST",
                &format!("/api/v1/applications/{id}/{action}"),
                json!(null),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{action}");
    }
    let answer = reviewer
        .call(
            "POST",
            &format!("/api/v1/console/applications/{id}/reject"),
            json!({"reason": "other"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["field"], "note");
    let answer = reviewer
        .call(
            "POST",
            &format!("/api/v1/console/applications/{id}/reject"),
            json!({"reason": "data_mismatch", "note": "部门名称与授权书不一致"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    test.run_jobs().await;
    let sms = test.sms.delivered_to(PHONE).last().unwrap().text.clone();
    assert!(
        sms.contains("审核未通过") && sms.contains("部门名称与授权书不一致"),
        "{sms}"
    );
    assert!(
        test.email
            .delivered_to("zhang@example.cn")
            .last()
            .unwrap()
            .text
            .contains("立即修改")
    );
    let shown = get(&mut customer, id).await;
    assert_eq!(shown["status_name"], "审核拒绝");
    assert!(
        shown["reject_reason"]
            .as_str()
            .unwrap()
            .contains("部门名称")
    );

    // 立即修改: the other draft for the organisation must go first; then edit and resubmit.
    let answer = customer
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/edit"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.json()["error"]["code"], "unfinished_application");
    customer
        .call(
            "POST",
            &format!("/api/v1/applications/{second}/cancellation"),
            json!(null),
        )
        .await;
    let answer = customer
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/edit"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    let shown = get(&mut customer, id).await;
    assert_eq!(shown["status"], "draft");
    assert!(shown["signed"].is_null(), "an edit voids the signature");
    let mut org = organisation("91350100M000100Y43");
    org["department"] = json!("采购二部");
    let answer = customer
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/subject"),
            json!({"version": shown["version"], "organisation": org}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let version = answer.json()["version"].as_i64().unwrap();
    let resigned = sign_and_submit(&test, &mut customer, id, version).await;
    // Paid already: back in the review queue at once, not waiting for payment again.
    assert_eq!(get(&mut customer, id).await["status"], "submitted");
    assert_ne!(
        resigned["digest"], signed["digest"],
        "a new content, a new digest"
    );

    reviewer
        .call(
            "POST",
            &format!("/api/v1/console/applications/{id}/take"),
            json!(null),
        )
        .await;
    // Another reviewer cannot decide on an application this one holds.
    let mut other = test.operator("zhaoliu", "reviewer").await;
    let answer = other
        .call(
            "POST",
            &format!("/api/v1/console/applications/{id}/approve"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = reviewer
        .call(
            "POST",
            &format!("/api/v1/console/applications/{id}/approve"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    test.run_jobs().await;
    assert!(
        test.sms
            .delivered_to(PHONE)
            .last()
            .unwrap()
            .text
            .contains("已审核通过")
    );

    // The timeline: every step with its time and who did it.
    let shown = get(&mut customer, id).await;
    assert_eq!(shown["status_name"], "审核通过");
    let actions: Vec<&str> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    let expected = [
        "application.start",
        "application.save",
        "application.save",
        "application.save",
        "application.upload",
        "application.upload",
        "application.upload",
        "application.upload",
        "application.upload",
        "application.save",
        "application.submit",
        "application.order",
        "application.pay",
        "application.take",
        "application.reject",
        "application.edit",
        "application.save",
        "application.submit",
        "application.pay",
        "application.take",
        "application.approve",
    ];
    assert_eq!(actions, expected);

    let reject = &shown["timeline"][14];
    assert_eq!(
        (reject["by"].as_str(), reject["status"].as_str()),
        (Some("operator"), Some("rejected"))
    );
    let console = reviewer
        .call(
            "GET",
            &format!("/api/v1/console/applications/{id}"),
            json!(null),
        )
        .await;
    assert!(
        console.json()["timeline"][14]["by"]
            .as_str()
            .unwrap()
            .starts_with("operator:"),
        "operators see who did it"
    );
}

#[tokio::test]
async fn a_customer_applies_is_rejected_edits_resubmits_and_is_approved() {
    the_whole_flow(TestApp::new().await).await;
}

#[tokio::test]
async fn the_same_flow_on_postgresql() {
    the_whole_flow(TestApp::on_postgres().await).await;
}

#[tokio::test]
async fn the_same_flow_with_documents_in_s3() {
    the_whole_flow(TestApp::on_s3().await).await;
}

#[tokio::test]
async fn another_customer_reaches_nothing_of_it_by_any_url() {
    let test = TestApp::new().await;
    let mut owner = test.customer(PHONE, [10, 1, 0, 2]).await;
    let (id, version) = filled(&mut owner, "91350100M000100Y43").await;
    let mut stranger = test.customer("13900139002", [10, 1, 0, 3]).await;
    let gets = [format!("/api/v1/applications/{id}")];
    for path in &gets {
        let answer = stranger.call("GET", path, json!(null)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.json()["error"]["code"], "unknown_application");
    }
    let puts = [
        (
            "subject",
            json!({"version": version, "organisation": organisation("91110000600037341L")}),
        ),
        ("agent", json!({"version": version, "agent": agent()})),
        ("delivery", delivery(version)),
        (
            "agreement",
            json!({"version": version, "agreement_version": "x"}),
        ),
        (
            "product",
            json!({"version": version, "product": "org-usbkey", "years": 1, "quantity": 1}),
        ),
    ];
    for (step, body) in puts {
        let answer = stranger
            .call("PUT", &format!("/api/v1/applications/{id}/{step}"), body)
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{step}");
    }
    for action in ["signing-code", "submission", "edit", "cancellation"] {
        let body = if action == "submission" {
            json!({"version": version, "code": "123456"})
        } else {
            json!(null)
        };
        let answer = stranger
            .call("POST", &format!("/api/v1/applications/{id}/{action}"), body)
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{action}");
    }
    let list = stranger
        .call("GET", "/api/v1/applications", json!(null))
        .await;
    assert_eq!(list.json(), json!([]));
    // The owner's application is untouched.
    let shown = get(&mut owner, id).await;
    assert_eq!(
        (shown["status"].as_str(), shown["version"].as_i64()),
        (Some("draft"), Some(version))
    );
    // The use case itself refuses the stranger, whatever the face.
    let timeline = services::flows::application::timeline(
        &test.app,
        &services::people::actor::Actor::Customer(shown["id"].as_i64().unwrap() + 1000),
        id,
    )
    .await;
    assert!(timeline.is_err());
}

#[tokio::test]
async fn an_individual_and_an_unconverted_organisation_apply_too() {
    let test = TestApp::new().await;
    let mut customer = test.customer(PHONE, [10, 1, 0, 4]).await;
    // fjca sells individual certificates; the ID number is checked with its birth date.
    let channel = customer
        .call("GET", "/api/v1/channels/fjca", json!(null))
        .await;
    let product = channel.json()["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["holder"] == "individual")
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let start = json!({"channel": "fjca", "product": product, "years": 1, "quantity": 1});
    let answer = customer.call("POST", "/api/v1/applications", start).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let id = answer.json()["id"].as_i64().unwrap();
    let person = |id_number: &str| json!({"name": "李四", "id_number": id_number, "address": "福州市鼓楼区五四路1号"});
    let answer = customer
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/subject"),
            json!({"version": 1, "organisation": organisation("91350100M000100Y43")}),
        )
        .await;
    assert_eq!(answer.json()["error"]["code"], "wrong_holder");
    let answer = customer
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/subject"),
            json!({"version": 1, "individual": person("110105194912310021")}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["field"], "id_number");
    let answer = customer
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/subject"),
            json!({"version": 1, "individual": person("11010519491231002X")}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let shown = get(&mut customer, id).await;
    assert_eq!(shown["individual"]["id_number"], "11010519491231002X");

    // huanbao, not converted: 15-digit licence number and 9-character organisation code.
    let start = json!({"channel": "huanbao", "product": "org-usbkey", "years": 1, "quantity": 3});
    let answer = customer.call("POST", "/api/v1/applications", start).await;
    let id = answer.json()["id"].as_i64().unwrap();
    let mut org = organisation("");
    org["three_in_one"] = json!(false);
    org["licence_number"] = json!("110108000000017");
    org["organisation_code"] = json!("60003734-1");
    let answer = customer
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/subject"),
            json!({"version": 1, "organisation": org}),
        )
        .await;
    assert_eq!(answer.json()["error"]["field"], "licence_number");
    assert_eq!(
        answer.json()["error"]["message"],
        "营业执照注册号校验位错误，应为“6”"
    );
    org["licence_number"] = json!("110108000000016");
    let answer = customer
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/subject"),
            json!({"version": 1, "organisation": org}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let shown = get(&mut customer, id).await;
    assert_eq!(shown["organisation"]["organisation_code"], "60003734-1");
    assert_eq!(shown["price_fen"], 26000 * 3);
}

#[tokio::test]
async fn the_mailing_address_changes_until_review_signed_again() {
    readdress(TestApp::new().await).await;
}

#[tokio::test]
async fn the_same_address_change_on_postgresql() {
    readdress(TestApp::on_postgres().await).await;
}

/// 修改邮寄地址 (seed 002): after submission and until review, signed with a new SMS code;
/// the signature then covers the new address, the queue place is kept; a bad field or a
/// wrong code changes nothing; once a reviewer has it, only the hotline can help.
async fn readdress(test: TestApp) {
    let mut customer = test.customer(PHONE, [10, 1, 7, 1]).await;
    let (id, version) = filled(&mut customer, "91350100M000100Y43").await;
    let path = |tail: &str| format!("/api/v1/applications/{id}/mailing-address{tail}");
    let new_address = json!({"recipient": "李四", "phone": "13900139000", "province": "上海市",
        "city": "上海市", "district": "浦东新区", "detail": "世纪大道100号", "postal_code": "200120"});
    // A draft changes its address in its delivery step.
    let answer = customer.call("POST", &path("/code"), json!(null)).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.text);
    assert_eq!(answer.json()["error"]["code"], "still_draft");

    let signed = sign_and_submit(&test, &mut customer, id, version).await;
    let before = get(&mut customer, id).await;
    assert_eq!(before["status"], "awaiting_payment");
    let version = before["version"].as_i64().unwrap();

    test.clock.advance(std::time::Duration::from_secs(61));
    let answer = customer.call("POST", &path("/code"), json!(null)).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    let code = test.sms_code(PHONE).await;
    // A wrong code, then a bad postal code: refused naming the field, nothing changes.
    let wrong = customer
        .call(
            "PUT",
            &path(""),
            json!({"version": version, "address": new_address, "code": "000000"}),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text
    );
    assert_eq!(wrong.json()["error"]["field"], "code");
    let mut bad = new_address.clone();
    bad["postal_code"] = json!("2001");
    let refused = customer
        .call(
            "PUT",
            &path(""),
            json!({"version": version, "address": bad, "code": code}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"]["field"], "address.postal_code");
    assert_eq!(get(&mut customer, id).await["address"], before["address"]);

    // Changed: the courier and status stay, the signature is new and covers the new
    // content, the place in the queue (submitted_at) is kept.
    let done = customer
        .call(
            "PUT",
            &path(""),
            json!({"version": version, "address": new_address, "code": code}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let after = get(&mut customer, id).await;
    assert_eq!(after["address"]["recipient"], "李四");
    assert_eq!(after["address"]["city"], "上海市");
    assert_eq!(after["courier"], before["courier"]);
    assert_eq!(after["status"], "awaiting_payment");
    assert_eq!(after["version"], version + 1);
    assert_eq!(after["submitted_at"], before["submitted_at"]);
    assert_ne!(after["signed"]["digest"], signed["digest"]);
    let current = services::flows::application::get_for_operator(
        &test.app,
        &services::people::actor::Actor::Cli("test".into()),
        id,
    )
    .await
    .unwrap();
    assert_eq!(
        after["signed"]["digest"],
        services::flows::submit::signing_digest(&current).unwrap(),
        "the signature covers the application as it now stands"
    );
    assert_eq!(
        test.audit_actions(&format!("application:{id}"), "application.readdress")
            .await
            .len(),
        1
    );
    // The code is spent.
    let again = customer
        .call(
            "PUT",
            &path(""),
            json!({"version": version + 1, "address": new_address, "code": code}),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Another customer cannot change it.
    let mut stranger = test.customer("13800138109", [10, 1, 7, 9]).await;
    let theirs = stranger.call("POST", &path("/code"), json!(null)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    // Paid, then taken by a reviewer: too late online.
    crate::orders::pay_by_transfer(&test, &mut customer, &[id], "caiwu").await;
    let mut reviewer = test.operator("shenhe", "reviewer").await;
    let taken = reviewer
        .call(
            "POST",
            &format!("/api/v1/console/applications/{id}/take"),
            json!(null),
        )
        .await;
    assert_eq!(taken.status, StatusCode::NO_CONTENT, "{}", taken.text);
    let late = customer.call("POST", &path("/code"), json!(null)).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.json()["error"]["code"], "already_reviewed");
    assert!(
        late.text.contains("客服"),
        "the refusal says who can still help: {}",
        late.text
    );
    let page = customer.page(&format!("/applications/{id}")).await;
    assert!(!page.text.contains("data-testid=\"readdress\""));
}
