//! What an outside probe of the hall found (issue 11), each finding shown the way it was
//! found and shown fixed: concurrent login bursts, unauthenticated floods, phone-number
//! enumeration, cross-site requests and planted cookies, two administrators demoting each
//! other, oversized and deceptive text, sessions left alive.

use axum::http::StatusCode;
use futures_util::future::join_all;
use services::people::actor::Actor;
use services::people::operators::{self, Change};

use crate::harness::TestApp;

/// Sends `bodies` to `path` all at once, each from its own client at `ip`; the statuses.
async fn burst(
    test: &TestApp,
    path: &str,
    ip: [u8; 4],
    bodies: Vec<serde_json::Value>,
) -> Vec<u16> {
    let mut clients: Vec<_> = bodies.iter().map(|_| test.client(ip)).collect();
    let calls = clients
        .iter_mut()
        .zip(bodies)
        .map(|(client, body)| client.call("POST", path, body));
    join_all(calls)
        .await
        .into_iter()
        .map(|answer| answer.status.as_u16())
        .collect()
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// Finding 1: the per-account (5) and per-address (20) limits hold however the requests
/// are timed, for customers and the console.
async fn login_limits_hold_in_bursts(test: TestApp) {
    let phone = "13800138101";
    test.customer(phone, [10, 9, 0, 1]).await;

    // 40 wrong passwords at the same moment: five are checked, the rest refused.
    let wrong = |p: &str| serde_json::json!({"phone": p, "password": "wrongpass1"});
    let statuses = burst(
        &test,
        "/api/v1/sessions",
        [10, 9, 1, 1],
        vec![wrong(phone); 40],
    )
    .await;
    assert_eq!(count(&statuses, 401), 5, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 35, "{statuses:?}");

    // 59 wrong and the right one last, on a fresh account: never more than five tries.
    let phone = "13800138102";
    test.customer(phone, [10, 9, 0, 2]).await;
    let mut bodies = vec![wrong(phone); 59];
    bodies.push(serde_json::json!({"phone": phone, "password": "goodpass123"}));
    let statuses = burst(&test, "/api/v1/sessions", [10, 9, 2, 1], bodies).await;
    assert!(
        count(&statuses, 401) + count(&statuses, 200) <= 5,
        "{statuses:?}"
    );
    assert_eq!(
        *statuses.last().unwrap(),
        429,
        "the right password came too late"
    );

    // One address trying 40 numbers at once: twenty are checked.
    let bodies = (0..40).map(|i| wrong(&format!("1370013{i:04}"))).collect();
    let statuses = burst(&test, "/api/v1/sessions", [10, 9, 3, 1], bodies).await;
    assert_eq!(count(&statuses, 401), 20, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 20, "{statuses:?}");

    // The console: 29 wrong and 1 right for one operator.
    let cli = Actor::Cli("test".into());
    let password = operators::create(&test.app, &cli, "clerk1", "Clerk", "reviewer")
        .await
        .unwrap();
    let mut bodies = vec![serde_json::json!({"username": "clerk1", "password": "wrong-one-1"}); 29];
    bodies.push(serde_json::json!({"username": "clerk1", "password": *password}));
    let statuses = burst(&test, "/api/v1/console/session", [10, 9, 4, 1], bodies).await;
    assert!(
        count(&statuses, 401) + count(&statuses, 200) <= 5,
        "{statuses:?}"
    );
    assert_eq!(*statuses.last().unwrap(), 429);
    // The console's per-address limit, over many names at once.
    let bodies = (0..30)
        .map(|i| serde_json::json!({"username": format!("nobody{i}"), "password": "x"}))
        .collect();
    let statuses = burst(&test, "/api/v1/console/session", [10, 9, 5, 1], bodies).await;
    assert_eq!(count(&statuses, 401), 20, "{statuses:?}");

    // Once the window has passed the account logs in again.
    test.clock.advance(std::time::Duration::from_secs(901));
    let mut client = test.client([10, 9, 2, 2]);
    let answer = client
        .call(
            "POST",
            "/api/v1/sessions",
            serde_json::json!({"phone": phone, "password": "goodpass123"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);

    // A day later housekeeping forgets the failures and throttle rows of the bursts (and
    // the spent codes), so a stranger trying many numbers cannot grow the tables for good.
    test.clock.advance(std::time::Duration::from_secs(86_401));
    let gone = services::jobs::housekeeping::run_once(&test.app)
        .await
        .unwrap();
    assert!(gone >= 150, "{gone} rows");
    assert_eq!(
        services::jobs::housekeeping::run_once(&test.app)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_limits_hold_in_bursts_on_sqlite() {
    login_limits_hold_in_bursts(TestApp::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_limits_hold_in_bursts_on_postgresql() {
    login_limits_hold_in_bursts(TestApp::on_postgres().await).await;
}

/// Finding 2: registration and reset look at the code before they hash, and count
/// against the address's limit; a flood is refused without costing argon2 time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registration_floods_are_refused_before_any_hash() {
    let test = TestApp::new().await;
    let bodies = (0..60)
        .map(|i| {
            serde_json::json!({"phone": format!("1350013{i:04}"), "code": "123456",
                "password": "goodpass123", "agree": true})
        })
        .collect();
    let statuses = burst(&test, "/api/v1/accounts", [10, 9, 6, 1], bodies).await;
    assert_eq!(
        count(&statuses, 422),
        20,
        "no code was ever sent: {statuses:?}"
    );
    assert_eq!(count(&statuses, 429), 40, "{statuses:?}");
    let bodies = (0..30)
        .map(|i| {
            serde_json::json!({"phone": format!("1350014{i:04}"), "code": "123456",
                "new_password": "goodpass123"})
        })
        .collect();
    let statuses = burst(&test, "/api/v1/password-resets", [10, 9, 7, 1], bodies).await;
    assert_eq!(count(&statuses, 422), 20, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 10, "{statuses:?}");

    // A real customer from another address registers as before.
    test.customer("13500139999", [10, 9, 6, 2]).await;
}

/// Finding 4: registration and reset answer a stranger the same whether or not the number
/// is a customer's, every probe counts against the limits, and the real owner is told.
#[tokio::test]
async fn phone_numbers_cannot_be_enumerated() {
    let test = TestApp::new().await;
    let customer = "13800138201";
    test.customer(customer, [10, 9, 8, 1]).await;
    test.clock.advance(std::time::Duration::from_secs(61));
    let stranger_number = "13800138202";
    let mut prober = test.client([10, 9, 8, 2]);
    let code = |phone: &str, purpose: &str| serde_json::json!({"phone": phone, "purpose": purpose});

    let known = prober
        .call("POST", "/api/v1/sms-codes", code(customer, "register"))
        .await;
    let unknown = prober
        .call(
            "POST",
            "/api/v1/sms-codes",
            code(stranger_number, "register"),
        )
        .await;
    assert_eq!((known.status, &known.text), (unknown.status, &unknown.text));
    assert_eq!(known.status, StatusCode::ACCEPTED);
    test.run_jobs().await;
    let told = test.sms.delivered_to(customer);
    let last = told.last().unwrap();
    assert_eq!(last.template, "account_exists");
    assert!(last.text.contains("已注册") && !last.text.chars().any(|c| c.is_ascii_digit()));
    // The stranger cannot get past the code for the registered number.
    let answer = prober
        .call(
            "POST",
            "/api/v1/accounts",
            serde_json::json!({"phone": customer, "code": "000000", "password": "goodpass123", "agree": true}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["code"], "code_wrong");

    test.clock.advance(std::time::Duration::from_secs(61));
    let known = prober
        .call(
            "POST",
            "/api/v1/sms-codes",
            code(customer, "reset_password"),
        )
        .await;
    let unknown = prober
        .call(
            "POST",
            "/api/v1/sms-codes",
            code("13800138203", "reset_password"),
        )
        .await;
    assert_eq!((known.status, &known.text), (unknown.status, &unknown.text));
    test.run_jobs().await;
    assert!(
        test.sms.delivered_to("13800138203").is_empty(),
        "no SMS to a stranger"
    );
    let reset = |phone: &str| serde_json::json!({"phone": phone, "code": "000000", "new_password": "goodpass123"});
    let known = prober
        .call("POST", "/api/v1/password-resets", reset(customer))
        .await;
    let unknown = prober
        .call("POST", "/api/v1/password-resets", reset("13800138203"))
        .await;
    assert_eq!(known.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        known.json()["error"]["code"],
        unknown.json()["error"]["code"]
    );

    // Every probe counts: the address's hourly limit (20) is reached by probes alone.
    let mut statuses = Vec::new();
    for i in 0..20 {
        let phone = format!("1360013{i:04}");
        let purpose = if i % 2 == 0 {
            "register"
        } else {
            "reset_password"
        };
        statuses.push(
            prober
                .call("POST", "/api/v1/sms-codes", code(&phone, purpose))
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(count(&statuses, 202), 16, "{statuses:?}");
    let refused = statuses.iter().rposition(|s| *s == 429);
    assert!(refused.is_some(), "{statuses:?}");
    // And a number's own limit (5 an hour) counts probes of it too.
    let mut other = test.client([10, 9, 8, 3]);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        test.clock.advance(std::time::Duration::from_secs(61));
        let answer = other
            .call(
                "POST",
                "/api/v1/sms-codes",
                code("13800138204", "reset_password"),
            )
            .await;
        statuses.push(answer.status.as_u16());
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429]);
}

/// Findings 6, 7 and 11: API answers are not cached; cross-site requests and planted form
/// cookies are refused; logging in ends the session the browser came with.
#[tokio::test]
async fn sessions_are_not_cached_forged_or_left_alive() {
    let test = TestApp::new().await;
    let mut alice = test.customer("13800138301", [10, 9, 9, 1]).await;
    let me = alice
        .call("GET", "/api/v1/me", serde_json::Value::Null)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.headers["cache-control"], "no-store");
    let refused = alice
        .call(
            "GET",
            "/api/v1/applications/999999",
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(refused.headers["cache-control"], "no-store");

    // Another site's script or form cannot post with the visitor's cookies.
    let login = serde_json::json!({"phone": "13800138301", "password": "goodpass123"});
    for headers in [
        [("origin", "https://evil.example")],
        [("sec-fetch-site", "cross-site")],
        [("sec-fetch-site", "same-site")],
    ] {
        let answer = alice
            .call_with("POST", "/api/v1/sessions", login.clone(), &headers)
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{headers:?}");
        assert_eq!(answer.json()["error"]["code"], "cross_site");
    }

    // A form cookie the server did not make does not pass (login CSRF with a planted
    // cookie), one it made does.
    let mut visitor = test.client([10, 9, 9, 2]);
    let planted = "ab".repeat(32);
    visitor.plant_cookie("certhall_form", &planted);
    let fields = [
        ("csrf", planted.as_str()),
        ("login", "13800138301"),
        ("password", "goodpass123"),
    ];
    let answer = visitor.form("/login", &fields).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text);
    visitor.page("/login").await;
    let issued = visitor.cookie("certhall_form").unwrap();
    assert_ne!(
        issued, planted,
        "the page replaces a cookie it did not sign"
    );
    let fields = [
        ("csrf", issued.as_str()),
        ("login", "13800138301"),
        ("password", "goodpass123"),
    ];
    let answer = visitor.form("/login", &fields).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);

    // Logging in as someone else in the same browser ends alice's session on the server.
    let alice_token = alice.cookie("certhall_session").unwrap();
    test.customer("13800138302", [10, 9, 9, 3]).await;
    let answer = alice
        .call(
            "POST",
            "/api/v1/sessions",
            serde_json::json!({"phone": "13800138302", "password": "goodpass123"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let mut replay = test.client([10, 9, 9, 4]);
    replay.plant_cookie("certhall_session", &alice_token);
    let answer = replay
        .call("GET", "/api/v1/me", serde_json::Value::Null)
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "the replaced session is gone"
    );
}

/// Finding 8: two administrators demoting each other at the same moment leave one.
async fn the_last_administrator_stays(test: TestApp) {
    let cli = Actor::Cli("test".into());
    for name in ["boss1", "boss2"] {
        operators::create(&test.app, &cli, name, name, "admin")
            .await
            .unwrap();
    }
    let everyone = operators::list(&test.app, &cli).await.unwrap();
    let actor = |name: &str| {
        let o = everyone.iter().find(|o| o.username == name).unwrap();
        Actor::Operator {
            id: o.id,
            username: o.username.clone(),
            roles: o.roles.clone(),
        }
    };
    let (one, two) = (actor("boss1"), actor("boss2"));
    for _ in 0..4 {
        let (a, b) = tokio::join!(
            operators::change(&test.app, &one, "boss2", Change::Roles("reviewer")),
            operators::change(&test.app, &two, "boss1", Change::Roles("reviewer")),
        );
        assert!(a.is_ok() != b.is_ok(), "exactly one succeeds: {a:?} {b:?}");
        let refusal = a.err().or(b.err()).unwrap();
        assert_eq!(refusal.code, "last_admin");
        let admins = operators::list(&test.app, &cli)
            .await
            .unwrap()
            .into_iter()
            .filter(|o| !o.disabled && o.roles.contains(domain::Role::Admin))
            .count();
        assert_eq!(admins, 1);
        // Put it back for the next round.
        for name in ["boss1", "boss2"] {
            operators::change(&test.app, &cli, name, Change::Roles("admin"))
                .await
                .unwrap();
        }
    }
    // Disabling the other administrator when they are the last is refused the same way.
    operators::change(&test.app, &one, "boss2", Change::Disable)
        .await
        .unwrap();
    let refusal = operators::change(&test.app, &cli, "boss1", Change::Disable)
        .await
        .unwrap_err();
    assert_eq!(refusal.code, "last_admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_administrator_stays_on_sqlite() {
    the_last_administrator_stays(TestApp::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_administrator_stays_on_postgresql() {
    the_last_administrator_stays(TestApp::on_postgres().await).await;
}

/// Findings 9, 10 and 12: what a stranger types is bounded before it is audited; text
/// that prints differently from what it is never gets in; query errors are JSON.
#[tokio::test]
async fn oversized_and_deceptive_text_is_bounded_or_refused() {
    let test = TestApp::new().await;
    let mut stranger = test.client([10, 9, 10, 1]);
    let huge = "a".repeat(60_000);
    let answer = stranger
        .call(
            "POST",
            "/api/v1/console/session",
            serde_json::json!({"username": huge, "password": "x"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let cli = Actor::Cli("test".into());
    let filter = domain::AuditFilter {
        action_prefix: "operator.login_failed".into(),
        ..Default::default()
    };
    let events = services::audit::list(&test.app, &cli, &filter, 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert!(
        events[0].object.chars().count() < 80,
        "{}",
        events[0].object.len()
    );

    let refusal = operators::create(&test.app, &cli, "clerk9", "张\u{200B}三", "reviewer")
        .await
        .unwrap_err();
    assert_eq!(refusal.field.as_deref(), Some("name"));

    let mut customer = test.customer("13800138401", [10, 9, 10, 2]).await;
    let answer = customer
        .call(
            "PUT",
            "/api/v1/me/profile",
            serde_json::json!({"name": "王\u{202E}五"}),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text
    );
    assert_eq!(answer.json()["error"]["field"], "name");

    let answer = customer
        .call(
            "GET",
            "/api/v1/applications/1/documents/licence?thumbnail=perhaps",
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["field"], "thumbnail");
}
