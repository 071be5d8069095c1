//! Counter business (现场办理) through the console's pages: a clerk takes a new-certificate
//! application for a customer who came in person, in a channel that takes new certificates
//! only at the counter (zgjg, seed 001). The number without an account gets one (and an
//! SMS); a refused step opens nothing; the clerk goes through the same wizard with the same
//! checks, and the signing code goes to the customer's phone; the customer sets a password
//! and follows the application online, where the clerk shows as the counter. A clerk
//! reaches no online application, a reviewer no counter, and the clerk who entered an
//! application may not review it.

use axum::http::StatusCode;
use serde_json::json;

use crate::harness::{Client, TestApp, input_value, jpeg};

const PHONE: &str = "13800138201";
const BASE: &str = "/console/counter/applications";

/// Posts a form of the page at `page` (its CSRF and version) to `action` with `fields`.
async fn post(
    client: &mut Client<'_>,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let shown = client.page(page).await;
    assert_eq!(shown.status, StatusCode::OK, "{page}: {}", shown.text);
    let csrf = input_value(&shown.text, "csrf");
    let version = shown
        .text
        .contains("name=\"version\"")
        .then(|| input_value(&shown.text, "version"));
    let mut all = vec![("csrf", csrf.as_str())];
    if let Some(version) = &version {
        all.push(("version", version.as_str()));
    }
    all.extend_from_slice(fields);
    let answer = client.form(action, &all).await;
    let location = answer
        .headers
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (answer.status, answer.text, location)
}

fn organisation(uscc: &str) -> Vec<(&'static str, String)> {
    vec![
        ("holder", "organisation".into()),
        ("name", "中直机关某采购中心".into()),
        ("nature", "public_institution".into()),
        ("industry", "S".into()),
        ("three_in_one", "yes".into()),
        ("uscc", uscc.into()),
        ("department", "办公室".into()),
    ]
}

fn as_refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Starts a zgjg application at the counter for `phone`; returns its id.
async fn accept(clerk: &mut Client<'_>, phone: &str) -> Result<i64, (StatusCode, String)> {
    let (status, text, location) = post(
        clerk,
        "/console/counter/new/zgjg",
        "/console/counter/new/zgjg",
        &[
            ("phone", phone),
            ("product", "org-cert"),
            ("years", "1"),
            ("quantity", "1"),
        ],
    )
    .await;
    match location {
        Some(l) if status == StatusCode::SEE_OTHER => Ok(l
            .strip_prefix(&format!("{BASE}/"))
            .unwrap_or_else(|| panic!("redirect to {l}"))
            .parse()
            .unwrap()),
        _ => Err((status, text)),
    }
}

/// The clerk fills in every step of application `id` up to the confirmation.
async fn fill_in(clerk: &mut Client<'_>, id: i64, uscc: &str) {
    let page = format!("{BASE}/{id}");
    let subject = organisation(uscc);
    let (status, text, _) = post(
        clerk,
        &page,
        &format!("{page}/steps/subject"),
        &as_refs(&subject),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "subject: {text}");
    let agent = [
        ("name", "王五"),
        ("email", "wangwu@example.cn"),
        ("landline", "010-87654321"),
        ("position", "采购专员"),
        ("id_number", "11010519491231002X"),
    ];
    let (status, text, _) = post(clerk, &page, &format!("{page}/steps/agent"), &agent).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "agent: {text}");
    let delivery = [
        ("invoice_needed", "yes"),
        ("invoice_kind", "electronic_normal"),
        ("invoice.title", "中直机关某采购中心"),
        ("invoice.email", "fp@example.cn"),
    ];
    let (status, text, _) = post(clerk, &page, &format!("{page}/steps/delivery"), &delivery).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "delivery: {text}");
    let photo = jpeg(64, 48);
    for slot in [
        "business_licence",
        "agent_id_front",
        "agent_id_back",
        "authorisation_letter",
    ] {
        let shown = clerk.page(&format!("{page}?step=documents")).await;
        let csrf = input_value(&shown.text, "csrf");
        let answer = clerk
            .upload_form(&format!("{page}/documents/{slot}"), &csrf, &photo)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{slot}: {}",
            answer.text
        );
    }
    // The scanned image is the clerk's to see again.
    let (status, _) = clerk
        .bytes(&format!("{page}/documents/business_licence/thumbnail"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let shown = clerk.page(&format!("{page}?step=agreement")).await;
    let agreement = input_value(&shown.text, "agreement_version");
    let (status, text, _) = post(
        clerk,
        &format!("{page}?step=agreement"),
        &format!("{page}/steps/agreement"),
        &[("agree", "on"), ("agreement_version", &agreement)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "agreement: {text}");
}

#[tokio::test]
async fn a_clerk_applies_for_a_customer_who_came_in_person() {
    let test = TestApp::new().await;
    let mut clerk = test.operator("guitai", "counter").await;

    // The counter lists the channel that takes new certificates there.
    let counter = clerk.page("/console/counter").await;
    assert_eq!(counter.status, StatusCode::OK, "{}", counter.text);
    assert!(counter.text.contains("/console/counter/new/zgjg"));

    // A bad number, or a product the channel does not have, is refused naming the field,
    // and no account is opened (no SMS goes out).
    let (status, text) = accept(&mut clerk, "1380013820").await.unwrap_err();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text.contains("aria-invalid=\"true\" aria-describedby=\"phone-error\""),
        "{text}"
    );
    let (status, text, _) = post(
        &mut clerk,
        "/console/counter/new/zgjg",
        "/console/counter/new/zgjg",
        &[
            ("phone", PHONE),
            ("product", "none"),
            ("years", "1"),
            ("quantity", "1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    test.run_jobs().await;
    assert!(test.sms.delivered_to(PHONE).is_empty());

    // Accepted: the number gets an account and an SMS saying how to set a password.
    let id = accept(&mut clerk, PHONE).await.expect("accepted");
    test.run_jobs().await;
    let opened = test.sms.delivered_to(PHONE);
    assert_eq!(opened.len(), 1);
    assert!(opened[0].text.contains("忘记密码"), "{}", opened[0].text);
    assert!(opened[0].text.contains("SQ"), "{}", opened[0].text);

    fill_in(&mut clerk, id, "91350100M000100Y43").await;

    // The signing code goes to the customer's phone; the customer reads it out.
    let page = format!("{BASE}/{id}");
    let (status, text, _) = post(&mut clerk, &page, &format!("{page}/code"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    let code = test.sms_code(PHONE).await;
    let (status, text, _) = post(
        &mut clerk,
        &format!("{page}?step=confirm"),
        &format!("{page}/submit"),
        &[("code", &code)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    let list = clerk.page("/console/counter").await;
    assert!(list.text.contains("待审核"), "{}", list.text);

    // 继续申请: another application for the same organisation may follow a submitted one,
    // but not a second unfinished one, which is refused naming the first; the account is
    // the same (no second SMS about it).
    let second = accept(&mut clerk, PHONE).await.expect("second accepted");
    let fields = organisation("91350100M000100Y43");
    let subject = as_refs(&fields);
    let (status, text, _) = post(
        &mut clerk,
        &format!("{BASE}/{second}"),
        &format!("{BASE}/{second}/steps/subject"),
        &subject,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    let third = accept(&mut clerk, PHONE).await.expect("third accepted");
    let (status, text, _) = post(
        &mut clerk,
        &format!("{BASE}/{third}"),
        &format!("{BASE}/{third}/steps/subject"),
        &subject,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");
    assert!(text.contains(&format!("SQ20261102{second:06}")), "{text}");
    test.run_jobs().await;
    let opened = test
        .sms
        .delivered_to(PHONE)
        .iter()
        .filter(|m| m.text.contains("忘记密码"))
        .count();
    assert_eq!(opened, 1);

    // The customer sets a password with the reset code and follows it online; the
    // timeline shows the counter clerk, not a name.
    let mut customer = test.client([10, 2, 0, 1]);
    let login = json!({"phone": PHONE, "password": "goodpass123"});
    let answer = customer
        .call("POST", "/api/v1/sessions", login.clone())
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.text);
    test.clock.advance(std::time::Duration::from_secs(61));
    let asked = json!({"phone": PHONE, "purpose": "reset_password"});
    let answer = customer.call("POST", "/api/v1/sms-codes", asked).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    let code = test.sms_code(PHONE).await;
    let reset = json!({"phone": PHONE, "code": code, "new_password": "goodpass123"});
    let answer = customer
        .call("POST", "/api/v1/password-resets", reset)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    let answer = customer.call("POST", "/api/v1/sessions", login).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let mine = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text);
    assert_eq!(mine.json()["status"], "submitted");
    let shown = customer.page(&format!("/applications/{id}")).await;
    assert!(shown.text.contains("现场受理员"), "{}", shown.text);
    assert!(!shown.text.contains("guitai"), "{}", shown.text);

    // The customer's own online application (here: in another channel) is not the
    // counter's: the clerk's URLs answer "not found".
    let start = json!({"channel": "huanbao", "product": "org-usbkey", "years": 1, "quantity": 1});
    let answer = customer.call("POST", "/api/v1/applications", start).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let online = answer.json()["id"].as_i64().unwrap();
    assert_eq!(
        clerk.page(&format!("{BASE}/{online}")).await.status,
        StatusCode::NOT_FOUND
    );
    let (status, _, _) = post(
        &mut clerk,
        &format!("{BASE}/{id}"),
        &format!("{BASE}/{online}/cancel"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A reviewer has no counter; the clerk who entered it (here also a reviewer) may not
    // review it: counter_accept then review is separated in the default rules.
    let mut reviewer = test.operator("shenhe", "reviewer").await;
    assert_eq!(
        reviewer.page("/console/counter").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        reviewer.page(&format!("{BASE}/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
    let mut both = test.operator("guitai2", "counter,reviewer").await;
    let own = accept(&mut both, "13800138202").await.expect("accepted");
    fill_in(&mut both, own, "91350100M000100Y43").await;
    let page = format!("{BASE}/{own}");
    post(&mut both, &page, &format!("{page}/code"), &[]).await;
    let code = test.sms_code("13800138202").await;
    let (status, text, _) = post(
        &mut both,
        &format!("{page}?step=confirm"),
        &format!("{page}/submit"),
        &[("code", &code)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    let take = both
        .call(
            "POST",
            &format!("/api/v1/console/applications/{own}/take"),
            json!(null),
        )
        .await;
    assert_eq!(take.status, StatusCode::FORBIDDEN, "{}", take.text);
    assert!(take.text.contains("duty_conflict"), "{}", take.text);
    let take = reviewer
        .call(
            "POST",
            &format!("/api/v1/console/applications/{own}/take"),
            json!(null),
        )
        .await;
    assert_eq!(take.status, StatusCode::NO_CONTENT, "{}", take.text);

    // The dashboard counts what waits: two counter drafts, two applications in review.
    let cli = services::people::actor::Actor::Cli("test".into());
    let queues = services::hall::queues::summaries(&test.app, &cli)
        .await
        .unwrap();
    let count = |key: &str| queues.iter().find(|q| q.key == key).unwrap().count;
    assert_eq!((count("counter"), count("review")), (2, 2));
    let dashboard = clerk.page("/console").await;
    assert!(
        dashboard.text.contains("href=\"/console/counter\""),
        "{}",
        dashboard.text
    );
}
