//! Rules of time, checked at the dates they are about by moving the application's clock,
//! never by waiting: an SMS code lives 5 minutes; promises are counted in working days of
//! the State Council's calendar.

use std::time::Duration;

use domain::time::{ChinaDate, UnixTime};
use providers::notify::sandbox::Failure;
use serde_json::json;
use services::hall::queues;
use services::people::actor::Actor;

use crate::harness::{TestApp, at};

#[tokio::test]
async fn an_sms_code_expires_after_five_minutes_of_the_clock() {
    let test = TestApp::new().await;
    let mut browser = test.client([10, 0, 0, 1]);
    let phone = "13800138001";
    let send_code = json!({"phone": phone, "purpose": "register"});
    let answer = browser
        .call("POST", "/api/v1/sms-codes", send_code.clone())
        .await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    assert_eq!(answer.json()["expires_in_seconds"], 300);
    let first = test.sms_code(phone).await;

    // Five minutes and a second later the code is refused, naming the field.
    test.clock.advance(Duration::from_secs(301));
    let register = |code: &str| json!({"phone": phone, "code": code, "password": "goodpass123", "agree": true});
    let answer = browser
        .call("POST", "/api/v1/accounts", register(&first))
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.json()["error"]["code"], "code_expired");
    assert_eq!(answer.json()["error"]["field"], "code");

    // A new code, used at 4 minutes 59 seconds, registers the number.
    let answer = browser.call("POST", "/api/v1/sms-codes", send_code).await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    let second = test.sms_code(phone).await;
    test.clock.advance(Duration::from_secs(299));
    let answer = browser
        .call("POST", "/api/v1/accounts", register(&second))
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.json()["phone_masked"], "138****8001");
}

/// An installation whose only channel is huanbao (review: 2 working days), at `now`.
async fn huanbao_at(now: UnixTime) -> TestApp {
    let test = TestApp::with(|config| config.hall.channels.retain(|c| c.code == "huanbao")).await;
    test.clock.set(now);
    test
}

#[tokio::test]
async fn a_review_promise_of_two_working_days_spans_the_national_day_holiday() {
    // Wednesday 30 September 2026, 10:00 in Beijing; 1 to 7 October are the holiday.
    let test = huanbao_at(at("2026-09-30", 10, 0)).await;
    let cli = Actor::Cli("test".into());
    let review = |list: Vec<queues::QueueSummary>| {
        list.into_iter()
            .find(|q| q.key == "review")
            .expect("the review queue")
    };
    let q = review(queues::summaries(&test.app, &cli).await.unwrap());
    assert_eq!(q.promise_working_days, Some(2));
    let due: ChinaDate = "2026-10-09".parse().unwrap();
    assert_eq!(
        q.due_if_new_today,
        Some(due),
        "8 and 9 October are the two working days"
    );

    // The console shows the same to a reviewer.
    let mut console = test.operator("li-shen", "reviewer").await;
    let page = console.page("/console").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("2 个工作日"), "{}", page.text);
    assert!(
        page.text
            .contains(r#"<dd data-testid="due-today">2026-10-09</dd>"#),
        "{}",
        page.text
    );

    // Friday 9 October: the Saturday after it is worked (调休), so it is the next day.
    test.clock.set(at("2026-10-09", 9, 0));
    let q = review(queues::summaries(&test.app, &cli).await.unwrap());
    assert_eq!(q.due_if_new_today, Some("2026-10-12".parse().unwrap()));
    assert_eq!(
        test.app
            .calendar
            .add_working_days("2026-10-09".parse().unwrap(), 1),
        "2026-10-10".parse().unwrap()
    );
}

#[tokio::test]
async fn an_item_is_overdue_only_once_its_last_working_day_has_ended() {
    // A notification that fails for good on 30 September waits for an administrator, whose
    // promise is one working day: the holiday does not count against it.
    let test = huanbao_at(at("2026-09-30", 10, 0)).await;
    test.sms.fail_next(1, Failure::Refused);
    let mut browser = test.client([10, 0, 0, 3]);
    let answer = browser
        .call(
            "POST",
            "/api/v1/sms-codes",
            json!({"phone": "13800138003", "purpose": "register"}),
        )
        .await;
    assert_eq!(answer.status, 202);
    test.run_jobs().await;
    let admin = Actor::Cli("test".into());
    let failed = |list: Vec<queues::QueueSummary>| {
        list.into_iter()
            .find(|q| q.key == "failed_messages")
            .expect("the queue")
    };
    let q = failed(queues::summaries(&test.app, &admin).await.unwrap());
    assert_eq!(q.count, 1, "the gateway refused the number");
    assert_eq!(
        q.oldest_due,
        Some("2026-10-08".parse::<ChinaDate>().unwrap().end())
    );
    assert!(!q.overdue);

    test.clock.set(at("2026-10-08", 23, 59));
    assert!(!failed(queues::summaries(&test.app, &admin).await.unwrap()).overdue);
    test.clock.set(at("2026-10-09", 0, 0));
    assert!(failed(queues::summaries(&test.app, &admin).await.unwrap()).overdue);
}
