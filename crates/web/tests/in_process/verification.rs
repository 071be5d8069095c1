//! Real-name verification (实名认证) in the wizard, through the pages a customer posts,
//! against the sandbox identity service: each kind of refusal and each missing answer
//! reaches the customer as a message naming the field, and the application stays exactly
//! as it was; the penny-drop's code with its tries and its time on the settable clock; a
//! face check finished on the sandbox's page from a link sent by SMS; the PIN route that
//! follows from the method; a changed agent forgetting the agent's verification.

use std::time::Duration;

use axum::http::StatusCode;
use domain::application::Method;
use domain::channel::PinDelivery;
use serde_json::{Value, json};

use crate::harness::{Client, TestApp, input_value};

const PHONE: &str = "13800138701";

async fn with_verification() -> TestApp {
    TestApp::with(|config| {
        let huanbao = config
            .hall
            .channels
            .iter_mut()
            .find(|c| c.code == "huanbao")
            .unwrap();
        huanbao.verification.methods = Method::ALL.to_vec();
        huanbao.pin.delivery = PinDelivery::LegalRepresentative;
    })
    .await
}

fn organisation(name: &str) -> Value {
    json!({
        "name": name, "nature": "enterprise", "industry": "C", "three_in_one": true,
        "uscc": "91350100M000100Y43", "custom": {"ten_ring_cert_no": "CCEL-2026-0001"},
    })
}

async fn get(client: &mut Client<'_>, id: i64) -> Value {
    let answer = client
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.json()
}

async fn put(client: &mut Client<'_>, id: i64, step: &str, mut body: Value) -> i64 {
    body["version"] = get(client, id).await["version"].clone();
    let answer = client
        .call("PUT", &format!("/api/v1/applications/{id}/{step}"), body)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{step}: {}", answer.text);
    answer.json()["version"].as_i64().unwrap()
}

/// A huanbao application filled up to the verification step; returns its id.
async fn up_to_verification(client: &mut Client<'_>) -> i64 {
    let start = json!({"channel": "huanbao", "product": "org-usbkey", "years": 1, "quantity": 1});
    let answer = client.call("POST", "/api/v1/applications", start).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let id = answer.json()["id"].as_i64().unwrap();
    put(
        client,
        id,
        "subject",
        json!({"organisation": organisation("北京环保科技有限公司")}),
    )
    .await;
    put(
        client,
        id,
        "agent",
        json!({"agent": {"name": "张三", "email": "zhang@example.cn", "id_number": "11010519491231002X"}}),
    )
    .await;
    put(
        client,
        id,
        "delivery",
        json!({
            "courier": "sto", "save_address": false,
            "address": {"recipient": "张三", "phone": PHONE, "province": "北京市", "city": "北京市",
                        "district": "海淀区", "detail": "中关村大街1号"},
            "invoice": {"needed": false},
        }),
    )
    .await;
    assert_eq!(get(client, id).await["next_step"], "verification");
    id
}

/// The application without its timeline (a refused check is in the audit log, and so in
/// the timeline; nothing else may change).
fn without_timeline(mut application: Value) -> Value {
    application.as_object_mut().unwrap().remove("timeline");
    application
}

/// The page's CSRF field.
fn csrf(page: &str) -> String {
    input_value(page, "csrf")
}

/// Posts the verification step's `action` with `fields` as the page would.
async fn post(
    client: &mut Client<'_>,
    id: i64,
    action: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let page = client
        .page(&format!("/applications/{id}?step=verification"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let token = csrf(&page.text);
    let version = get(client, id).await["version"].to_string();
    let mut all = vec![("csrf", token.as_str()), ("version", version.as_str())];
    all.extend_from_slice(fields);
    let answer = client
        .form(&format!("/applications/{id}/verification/{action}"), &all)
        .await;
    (answer.status, answer.text)
}

fn legal<'a>(name: &'a str, mobile: &'a str, card: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("legal_rep.name", name),
        ("legal_rep.id_number", "11010519491231002X"),
        ("legal_rep.mobile", mobile),
        ("legal_rep.bank_card", card),
    ]
}

#[tokio::test]
async fn every_refusal_reaches_the_customer_and_changes_nothing() {
    let test = with_verification().await;
    let mut client = test.customer(PHONE, [10, 7, 0, 1]).await;
    let id = up_to_verification(&mut client).await;
    let before = get(&mut client, id).await;

    let card = "6222020200112233446";
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode, &'a str);
    let cases: Vec<Case> = vec![
        (
            "legal_rep_mobile",
            legal("王法人", "13912340000", ""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "姓名、身份证号与手机号不一致",
        ),
        (
            "legal_rep_bank_card",
            legal("王法人", "13912340003", card),
            StatusCode::UNPROCESSABLE_ENTITY,
            "银行卡信息与姓名、身份证号或银行预留手机号不一致",
        ),
        (
            "legal_rep_bank_card",
            legal("王法人", "13800138000", "6222020200112233445"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "银行卡号校验位错误",
        ),
        (
            "legal_rep_mobile",
            legal("李不符", "13800138000", ""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "法定代表人姓名与工商登记信息不一致",
        ),
        (
            "legal_rep_mobile",
            legal("王法人", "13912340001", ""),
            StatusCode::SERVICE_UNAVAILABLE,
            "实名认证服务响应超时",
        ),
        (
            "legal_rep_mobile",
            legal("王法人", "13912340002", ""),
            StatusCode::SERVICE_UNAVAILABLE,
            "实名认证服务暂不可用",
        ),
        (
            "legal_rep_mobile",
            legal("王法人", "1391234", ""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "请输入11位中国大陆手机号码",
        ),
        (
            "penny_drop",
            vec![
                ("account.bank", "工商银行北京分行"),
                ("account.number", "0200004509014410000"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "银行未能向该对公账户打款",
        ),
        (
            "penny_drop_code",
            vec![("code", "123456")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "没有待验证的对公打款",
        ),
    ];
    for (action, fields, status, message) in cases {
        let (got, page) = post(&mut client, id, action, &fields).await;
        assert_eq!(got, status, "{action} {fields:?}");
        assert!(
            page.contains(message),
            "{action}: {message} not in the page"
        );
        assert!(page.contains("data-testid=\"verify-error\""));
        // What was typed is kept (a code is typed again).
        if action != "penny_drop_code" {
            assert!(
                page.contains(fields[0].1),
                "{action}: the form lost what was typed"
            );
        }
        assert_eq!(
            without_timeline(get(&mut client, id).await),
            without_timeline(before.clone()),
            "{action}: the application changed"
        );
    }

    // The registry's answers about the company itself.
    for (name, message) in [
        ("查无此企业科技有限公司", "工商登记中查无此企业"),
        ("已注销环保科技有限公司", "注销或吊销"),
    ] {
        put(
            &mut client,
            id,
            "subject",
            json!({"organisation": organisation(name)}),
        )
        .await;
        let before = get(&mut client, id).await;
        let (status, page) = post(
            &mut client,
            id,
            "legal_rep_mobile",
            &legal("王法人", "13800138000", ""),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains(message), "{name}");
        assert_eq!(
            without_timeline(get(&mut client, id).await),
            without_timeline(before)
        );
    }

    // A method the channel does not offer is refused too.
    let test = TestApp::new().await;
    let mut client = test.customer(PHONE, [10, 7, 0, 2]).await;
    let start = json!({"channel": "huanbao", "product": "org-usbkey", "years": 1, "quantity": 1});
    let id = client
        .call("POST", "/api/v1/applications", start)
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let page = client.page(&format!("/applications/{id}")).await;
    let token = csrf(&page.text);
    let answer = client
        .form(
            &format!("/applications/{id}/verification/agent_mobile"),
            &[("csrf", &token), ("version", "1")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.text.contains("本申请无需"), "{}", answer.text);
}

#[tokio::test]
async fn a_penny_drop_has_three_tries_and_two_days_then_verifies() {
    let test = with_verification().await;
    let mut client = test.customer(PHONE, [10, 7, 0, 3]).await;
    let id = up_to_verification(&mut client).await;
    let account = [
        ("account.bank", "工商银行北京分行"),
        ("account.number", "0200 0045 0901 4412 345"),
    ];
    let code = |test: &TestApp| {
        let remark = test.app.identity_sandbox().unwrap().statement()[0]
            .remark
            .clone();
        remark
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
    };

    // Two days later the code no longer counts.
    let (status, page) = post(&mut client, id, "penny_drop", &account).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let line = test.app.identity_sandbox().unwrap().statement()[0].clone();
    assert!((1..=99).contains(&line.amount_fen));
    assert_eq!(line.account, "0200004509014412345");
    let page = client
        .page(&format!("/applications/{id}?step=verification"))
        .await;
    assert!(page.text.contains("data-testid=\"penny-pending\""));
    assert!(page.text.contains("****2345"));
    test.clock.advance(Duration::from_secs(48 * 3600));
    // The session ended meanwhile: the customer logs in again.
    let login = json!({"phone": PHONE, "password": "goodpass123"});
    let answer = client.call("POST", "/api/v1/sessions", login).await;
    assert!(answer.status.is_success(), "{}", answer.text);
    let (status, page) = post(
        &mut client,
        id,
        "penny_drop_code",
        &[("code", &code(&test))],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("打款验证码已过期"));

    // Three wrong codes end the transfer.
    post(&mut client, id, "penny_drop", &account).await;
    let right = code(&test);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (_, page) = post(&mut client, id, "penny_drop_code", &[("code", wrong)]).await;
    assert!(page.contains("还可尝试2次"), "{page}");
    let (_, page) = post(&mut client, id, "penny_drop_code", &[("code", wrong)]).await;
    assert!(page.contains("还可尝试1次"));
    let (_, page) = post(&mut client, id, "penny_drop_code", &[("code", wrong)]).await;
    assert!(page.contains("错误次数过多"));
    let (_, page) = post(&mut client, id, "penny_drop_code", &[("code", &right)]).await;
    assert!(
        page.contains("没有待验证的对公打款"),
        "a spent transfer's code does not count"
    );
    assert_eq!(get(&mut client, id).await["verification"], json!([]));

    // A new transfer supersedes the one before it; its code verifies.
    post(&mut client, id, "penny_drop", &account).await;
    let old = code(&test);
    post(&mut client, id, "penny_drop", &account).await;
    let new = code(&test);
    if old != new {
        let (_, page) = post(&mut client, id, "penny_drop_code", &[("code", &old)]).await;
        assert!(page.contains("验证码错误"));
    }
    let (status, _) = post(&mut client, id, "penny_drop_code", &[("code", &new)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let now = get(&mut client, id).await;
    assert_eq!(now["verification"][0]["party"], "organisation");
    assert_eq!(now["verification"][0]["method"], "penny_drop");
    assert_eq!(
        now["next_step"], "verification",
        "the agent is still to verify"
    );
    // The channel sends the PIN to the legal representative: in the remark of a payment
    // to the verified account.
    assert_eq!(now["pin_delivery"], "payment_remark");

    // The agent by the mobile real-name check of the account's number.
    let (status, _) = post(&mut client, id, "agent_mobile", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let now = get(&mut client, id).await;
    assert_eq!(now["verification"][1]["method"], "agent_mobile");
    assert_eq!(now["next_step"], "documents");

    // A changed agent is not the one verified.
    put(
        &mut client,
        id,
        "agent",
        json!({"agent": {"name": "李四", "email": "li@example.cn", "id_number": "11010519491231002X"}}),
    )
    .await;
    let now = get(&mut client, id).await;
    assert_eq!(now["next_step"], "verification");
    assert_eq!(now["verification"].as_array().unwrap().len(), 1);

    // The timeline (the audit log) has each check.
    let timeline = get(&mut client, id).await["timeline"].clone();
    let actions: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "application.verify_start",
        "application.verify_expire",
        "application.verify_fail",
        "application.verify_pass",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn a_face_check_by_sms_link_is_finished_on_the_phone() {
    let test = with_verification().await;
    let mut client = test.customer(PHONE, [10, 7, 0, 4]).await;
    let id = up_to_verification(&mut client).await;
    let mut fields = legal("王法人", "13800138702", "");
    fields.push(("delivery", "sms"));
    let (status, page) = post(&mut client, id, "legal_rep_face", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");

    // The QR code is on the page; the link went by SMS to the legal representative.
    let page = client
        .page(&format!("/applications/{id}?step=verification"))
        .await;
    assert!(page.text.contains("data-testid=\"face-link\""));
    assert!(page.text.contains("<svg"));
    assert!(page.text.contains("data-verification-poll"));
    test.run_jobs().await;
    let sms = test.sms.delivered_to("13800138702");
    assert_eq!(sms.len(), 1);
    assert!(sms[0].text.contains("刷脸认证"));
    let url = sms[0]
        .text
        .split_whitespace()
        .chain(sms[0].text.split('：'))
        .find_map(|w| {
            w.find("/sandbox/identity/face/")
                .map(|at| w[at..].to_string())
        })
        .unwrap();
    let url: String = url.chars().take_while(|c| !c.is_whitespace()).collect();

    // Not yet: the poll leaves it pending.
    let poll = client
        .page(&format!("/applications/{id}/verification"))
        .await;
    assert_eq!(poll.json()["pending"].as_array().unwrap().len(), 1);

    // The legal representative, on the phone (no login).
    let mut phone = test.client([10, 7, 0, 5]);
    let face = phone.page(&url).await;
    assert_eq!(face.status, StatusCode::OK);
    assert!(face.text.contains("王**"));
    assert!(!face.text.contains("11010519491231002X"));
    let done = phone.form(&url, &[("passed", "yes")]).await;
    assert!(done.text.contains("认证通过"));

    // The computer's poll settles it.
    let version = get(&mut client, id).await["version"].as_i64().unwrap();
    let poll = client
        .page(&format!("/applications/{id}/verification"))
        .await;
    assert!(poll.json()["version"].as_i64().unwrap() > version);
    let now = get(&mut client, id).await;
    assert_eq!(now["verification"][0]["method"], "legal_rep_face");
    assert_eq!(now["pin_delivery"], "sms");

    // The agent: a face check that fails on the phone, then the documents instead.
    let (status, _) = post(&mut client, id, "agent_face", &[("delivery", "qr")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = client
        .page(&format!("/applications/{id}?step=verification"))
        .await;
    let at = page.text.find("/sandbox/identity/face/").unwrap();
    let url: String = page.text[at..]
        .chars()
        .take_while(|c| *c != '"' && *c != '<')
        .collect();
    phone.form(&url, &[("passed", "no")]).await;
    client
        .page(&format!("/applications/{id}/verification"))
        .await;
    let now = get(&mut client, id).await;
    assert_eq!(now["verification"].as_array().unwrap().len(), 1);
    let (status, _) = post(&mut client, id, "documents_agent", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let now = get(&mut client, id).await;
    assert_eq!(now["verification"][1]["method"], "documents");
    assert_eq!(now["next_step"], "documents");

    // Another customer reaches none of it.
    let mut other = test.customer("13800138703", [10, 7, 0, 6]).await;
    let poll = other
        .page(&format!("/applications/{id}/verification"))
        .await;
    assert_eq!(poll.status, StatusCode::NOT_FOUND);
    let page = other.page("/applications").await;
    let token = csrf(&page.text);
    let answer = other
        .form(
            &format!("/applications/{id}/verification/documents_organisation"),
            &[("csrf", &token), ("version", "1")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_api_verifies_the_same_way() {
    let test = with_verification().await;
    let mut client = test.customer(PHONE, [10, 7, 0, 7]).await;
    let id = up_to_verification(&mut client).await;
    let path = format!("/api/v1/applications/{id}/verification");
    let state = client.call("GET", &path, json!(null)).await;
    assert_eq!(state.status, StatusCode::OK, "{}", state.text);
    let parties = state.json()["parties"].clone();
    assert_eq!(parties[0]["party"], "organisation");
    assert_eq!(parties[0]["methods"].as_array().unwrap().len(), 4);
    assert_eq!(parties[1]["methods"].as_array().unwrap().len(), 3);
    let version = state.json()["version"].as_i64().unwrap();

    let mismatch = json!({"version": version, "method": "legal_rep_mobile", "legal_representative":
        {"name": "王法人", "id_number": "11010519491231002X", "mobile": "13912340000"}});
    let answer = client
        .call_with(
            "POST",
            &format!("{path}/checks"),
            mismatch,
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["field"], "legal_rep.mobile");
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not registered to")
    );
    let down = json!({"version": version, "method": "agent_mobile"});
    // The agent's number is the account's: a sandbox "down" number has its own account.
    let mut other = test.customer("13912340002", [10, 7, 0, 8]).await;
    let other_id = up_to_verification(&mut other).await;
    let other_path = format!("/api/v1/applications/{other_id}/verification");
    let answer = other
        .call("POST", &format!("{other_path}/checks"), down.clone())
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.text
    );
    assert_eq!(answer.json()["error"]["code"], "verification_unavailable");
    // Another customer's application is not found.
    let answer = other
        .call("POST", &format!("{path}/checks"), down.clone())
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);

    let answer = client.call("POST", &format!("{path}/checks"), down).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json()["parties"][1]["outcome"], "agent_mobile");
    let version = answer.json()["version"].as_i64().unwrap();
    let answer = client
        .call(
            "POST",
            &format!("{path}/documents"),
            json!({"version": version, "party": "organisation"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json()["parties"][0]["outcome"], "documents");
    assert_eq!(get(&mut client, id).await["next_step"], "documents");
    // Documents only: the PIN goes to the agent's phone.
    assert_eq!(get(&mut client, id).await["pin_delivery"], "sms");
}

/// A huanbao application whose organisation a penny-drop verified, paid, approved and
/// produced onto key K0001: the job's id and the key's user PIN.
async fn produced_after_penny_drop(test: &TestApp) -> (i64, String) {
    let mut client = test.customer(PHONE, [10, 7, 0, 9]).await;
    let id = up_to_verification(&mut client).await;
    let account = [
        ("account.bank", "工商银行北京分行"),
        ("account.number", "0200 0045 0901 4412 345"),
    ];
    post(&mut client, id, "penny_drop", &account).await;
    let remark = test.app.identity_sandbox().unwrap().statement()[0]
        .remark
        .clone();
    let code: String = remark.chars().filter(char::is_ascii_digit).collect();
    let (status, _) = post(&mut client, id, "penny_drop_code", &[("code", &code)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = post(&mut client, id, "agent_mobile", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(get(&mut client, id).await["pin_delivery"], "payment_remark");
    // The rest of the application, then payment, review and production.
    let photo = crate::harness::jpeg(64, 48);
    let missing: Vec<String> =
        serde_json::from_value(get(&mut client, id).await["missing_documents"].clone()).unwrap();
    for slot in missing {
        let answer = client
            .upload(
                &format!("/api/v1/applications/{id}/documents/{slot}"),
                &photo,
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    }
    let shown = get(&mut client, id).await;
    let version = put(
        &mut client,
        id,
        "agreement",
        json!({"agreement_version": shown["agreement_version"]}),
    )
    .await;
    test.sign_and_submit(&mut client, PHONE, id, version).await;
    crate::orders::pay_by_transfer(test, &mut client, &[id], "caiwu").await;
    let mut reviewer = test.operator("shenhe", "reviewer").await;
    crate::production::approve(&mut reviewer, id).await;
    crate::production::receive(test, "测试厂商", "SM2-KEY", "K0001").await;
    let mut producer = test.operator("zhizheng", "producer").await;
    let job = crate::production::produce_one(&mut producer, id, "K0001").await;
    (
        job["job"].as_i64().unwrap(),
        job["user_pin"].as_str().unwrap().to_string(),
    )
}

/// Seed 004 §7: with the organisation verified by a penny-drop, the key's user PIN goes to
/// the same corporate account in the remark of a 0.01 元 payment once the key is made; a
/// retry pays once, and the payment is audited.
#[tokio::test]
async fn the_pin_goes_in_the_remark_of_a_payment_to_the_verified_account() {
    let test = with_verification().await;
    let (job_id, user_pin) = produced_after_penny_drop(&test).await;

    // Made once the key is: 0.01 元 to the verified account, the PIN in the remark; asked
    // again, nothing more is paid.
    let statement = || test.app.identity_sandbox().unwrap().statement();
    let before = statement().len();
    assert_eq!(
        services::jobs::pin_transfers::run_once(&test.app)
            .await
            .unwrap(),
        1
    );
    let lines = statement();
    assert_eq!(lines.len(), before + 1);
    // (The statement is newest first.)
    let line = &lines[0];
    assert_eq!(line.amount_fen, 1);
    assert_eq!(line.account, "0200004509014412345");
    assert_eq!(line.remark, format!("证书密码{user_pin}"));
    assert_eq!(
        services::jobs::pin_transfers::run_once(&test.app)
            .await
            .unwrap(),
        0
    );
    assert_eq!(statement().len(), before + 1, "paid once");
    assert_eq!(
        test.audit_actions(
            &format!("production:{job_id}"),
            "production.pin_transferred"
        )
        .await
        .len(),
        1
    );
    // The PIN went to the bank only: not kept in clear here.
    test.assert_not_stored(user_pin.as_bytes(), "the user PIN");
}

/// A PIN transfer that cannot be made (here the channel now sends PINs on paper) is
/// recorded and tried again, thirty times, then left to a person: audited once, no more
/// tries, nothing paid.
#[tokio::test]
async fn a_pin_transfer_that_keeps_failing_is_left_to_a_person() {
    let test = with_verification().await;
    let (job_id, _) = produced_after_penny_drop(&test).await;
    let admin = services::people::actor::Actor::Cli("test".into());
    let stored = services::hall::channels::get(&test.app, &admin, "huanbao")
        .await
        .unwrap();
    let mut channel = stored.channel.clone();
    channel.pin.delivery = PinDelivery::EnvelopeWithKey;
    let text = services::hall::channels::to_toml(&channel).unwrap();
    services::hall::channels::update(&test.app, &admin, "huanbao", &text, stored.version)
        .await
        .unwrap();
    let statement = || test.app.identity_sandbox().unwrap().statement().len();
    let before = statement();
    for _ in 0..31 {
        assert_eq!(
            services::jobs::pin_transfers::run_once(&test.app)
                .await
                .unwrap(),
            0
        );
    }
    assert_eq!(statement(), before, "nothing paid");
    let object = format!("production:{job_id}");
    assert_eq!(
        test.audit_actions(&object, "production.pin_transfer_failed")
            .await
            .len(),
        1
    );
    assert!(
        test.audit_actions(&object, "production.pin_transferred")
            .await
            .is_empty()
    );
}
