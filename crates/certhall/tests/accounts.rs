//! Customer accounts over the API against the real server: registration with the SMS code
//! read from the outbox file, one account per number, code and login limits, sessions with
//! CSRF protection, logout everywhere, password reset and change.

mod common;
use common::*;

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)))
}

#[test]
fn register_login_sessions_and_passwords() {
    let instance = Instance::sqlite();
    let server = instance.serve();
    let mut alice = Client::new(&server);
    let phone = "13812345678";

    let (status, _, body) = alice.call(
        "POST",
        "/api/v1/sms-codes",
        serde_json::json!({"phone": "1381234", "purpose": "register"}),
    );
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("phone"))
    );
    let (status, _, body) = alice.call(
        "POST",
        "/api/v1/sms-codes",
        serde_json::json!({"phone": phone, "purpose": "register"}),
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["resend_after_seconds"], 60);
    let (status, headers, body) = alice.call(
        "POST",
        "/api/v1/sms-codes",
        serde_json::json!({"phone": phone, "purpose": "register"}),
    );
    assert_eq!(status, 429, "resend only after 60 s: {body}");
    assert!(
        header(&headers, "retry-after")
            .unwrap()
            .parse::<i64>()
            .unwrap()
            <= 60
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("秒后再试")
    );
    let code = code_for(&instance, phone, "verification_code.register", None);

    let (status, _, body) = alice.call(
        "POST",
        "/api/v1/accounts",
        serde_json::json!({"phone": phone, "code": code, "password": "short1", "agree": true}),
    );
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("password")),
        "{body}"
    );
    assert_eq!(
        body["error"]["message"],
        "密码长度应为8至64位（规则：密码长度8至64位，须同时包含字母和数字，且不能包含手机号）",
        "the reason, then the whole rule"
    );
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, _, body) = alice.call(
        "POST",
        "/api/v1/accounts",
        serde_json::json!({"phone": phone, "code": wrong, "password": "goodpass123", "agree": true}),
    );
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("code"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("还可尝试4次"),
        "{body}"
    );
    let (status, headers, body) = alice.call(
        "POST",
        "/api/v1/accounts",
        serde_json::json!({"phone": phone, "code": code, "password": "goodpass123", "agree": true}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["phone_masked"], "138****5678");
    let set_cookie = header(&headers, "set-cookie").unwrap();
    assert!(
        set_cookie.contains("HttpOnly")
            && set_cookie.contains("SameSite=Lax")
            && !set_cookie.contains("Secure"),
        "{set_cookie}"
    );
    let (status, _, body) = alice.call(
        "POST",
        "/api/v1/accounts",
        serde_json::json!({"phone": phone, "code": code, "password": "goodpass123", "agree": true}),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("code_used")),
        "a code works once"
    );

    // Asking again for a registration code is counted like any request: it does not say
    // the number is registered (the in-process tests follow the notice to the owner).
    let (status, _, body) = alice.call(
        "POST",
        "/api/v1/sms-codes",
        serde_json::json!({"phone": phone, "purpose": "register"}),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("code_resend_too_soon"))
    );

    let (status, _, body) = alice.call("GET", "/api/v1/me", serde_json::Value::Null);
    assert_eq!(
        (status, body["phone_masked"].as_str()),
        (200, Some("138****5678"))
    );
    let mut anonymous = Client::new(&server);
    assert_eq!(
        anonymous
            .call("GET", "/api/v1/me", serde_json::Value::Null)
            .0,
        401
    );

    // State changes with the cookie need the CSRF token.
    let csrf = alice.csrf.take();
    let (status, _, body) = alice.call(
        "DELETE",
        "/api/v1/sessions/current",
        serde_json::Value::Null,
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("csrf"))
    );
    alice.csrf = Some("0".repeat(64));
    assert_eq!(
        alice
            .call(
                "DELETE",
                "/api/v1/sessions/current",
                serde_json::Value::Null
            )
            .0,
        403
    );
    alice.csrf = csrf;

    // A second device; logging out everywhere ends both sessions.
    let mut phone_app = Client::new(&server);
    let (status, _, _) = phone_app.call(
        "POST",
        "/api/v1/sessions",
        serde_json::json!({"phone": phone, "password": "goodpass123"}),
    );
    assert_eq!(status, 200);
    assert_ne!(
        phone_app.cookie, alice.cookie,
        "every login gets a new session token"
    );
    assert_eq!(
        phone_app
            .call("DELETE", "/api/v1/sessions", serde_json::Value::Null)
            .0,
        204
    );
    assert_eq!(
        phone_app
            .call("GET", "/api/v1/me", serde_json::Value::Null)
            .0,
        401
    );
    assert_eq!(
        alice.call("GET", "/api/v1/me", serde_json::Value::Null).0,
        401
    );

    // Login throttling: five failures, then a wait that is stated, even for the right password.
    let mut mallory = Client::new(&server);
    for _ in 0..5 {
        let (status, _, body) = mallory.call(
            "POST",
            "/api/v1/sessions",
            serde_json::json!({"phone": phone, "password": "guess1234"}),
        );
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("wrong_credentials"))
        );
    }
    let (status, headers, body) = mallory.call(
        "POST",
        "/api/v1/sessions",
        serde_json::json!({"phone": phone, "password": "goodpass123"}),
    );
    assert_eq!(status, 429, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("分钟后再试"),
        "{body}"
    );
    assert!(
        header(&headers, "retry-after")
            .unwrap()
            .parse::<i64>()
            .unwrap()
            > 60
    );

    // Password reset by SMS code lifts the throttle and ends every session.
    let (status, _, _) = anonymous.call(
        "POST",
        "/api/v1/sms-codes",
        serde_json::json!({"phone": phone, "purpose": "reset_password"}),
    );
    assert_eq!(status, 202);
    let reset = code_for(&instance, phone, "verification_code.reset_password", None);
    let (status, _, body) = anonymous.call(
        "POST",
        "/api/v1/password-resets",
        serde_json::json!({"phone": phone, "code": reset, "new_password": "newpass456"}),
    );
    assert_eq!(status, 204, "{body}");
    let (status, _, _) = alice.call(
        "POST",
        "/api/v1/sessions",
        serde_json::json!({"phone": phone, "password": "goodpass123"}),
    );
    assert_eq!(status, 401, "the old password is gone");
    let (status, _, _) = alice.call(
        "POST",
        "/api/v1/sessions",
        serde_json::json!({"phone": phone, "password": "newpass456"}),
    );
    assert_eq!(status, 200);

    // Change password: old one required; other sessions end, this one stays.
    let mut other = Client::new(&server);
    other.call(
        "POST",
        "/api/v1/sessions",
        serde_json::json!({"phone": phone, "password": "newpass456"}),
    );
    let (status, _, body) = alice.call(
        "PUT",
        "/api/v1/me/password",
        serde_json::json!({"old_password": "wrong999x", "new_password": "third789x"}),
    );
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("old_password"))
    );
    let (status, _, _) = alice.call(
        "PUT",
        "/api/v1/me/password",
        serde_json::json!({"old_password": "newpass456", "new_password": "third789x"}),
    );
    assert_eq!(status, 204);
    assert_eq!(
        alice.call("GET", "/api/v1/me", serde_json::Value::Null).0,
        200
    );
    assert_eq!(
        other.call("GET", "/api/v1/me", serde_json::Value::Null).0,
        401
    );
    assert_eq!(
        alice
            .call(
                "DELETE",
                "/api/v1/sessions/current",
                serde_json::Value::Null
            )
            .0,
        204
    );
    assert_eq!(
        alice.call("GET", "/api/v1/me", serde_json::Value::Null).0,
        401
    );

    let audit = instance.ok(&["audit", "list", "--limit", "200"]);
    for action in [
        "sms_code.send",
        "customer.register",
        "customer.login",
        "customer.login_failed",
        "customer.password_reset",
        "customer.password_change",
        "customer.logout_everywhere",
        "customer.logout",
    ] {
        assert!(audit.contains(action), "no {action} in the audit log");
    }
    assert!(!audit.contains(phone), "the audit log shows numbers masked");
    let outbox = instance.ok(&["outbox", "list"]);
    assert!(
        outbox.contains("verification_code.register") && outbox.contains(" sent "),
        "{outbox}"
    );
}

#[test]
fn code_limits_per_number_and_english_messages() {
    let instance = Instance::sqlite();
    let server = instance.serve();
    let mut client = Client::new(&server);
    let (status, _, body) = client.call(
        "POST",
        "/api/v1/sms-codes",
        serde_json::json!({"phone": "13900000000", "purpose": "reset_password"}),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (202, None),
        "an unknown number gets the answer a customer's gets"
    );
    let (status, _, body) = client.call(
        "POST",
        "/api/v1/sms-codes",
        serde_json::json!({"phone": "13900000000", "purpose": "unlock"}),
    );
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("purpose"))
    );
    let (status, _, body) = client.call(
        "POST",
        "/api/v1/accounts",
        serde_json::json!({"phone": "13900000000", "code": "123456", "password": "goodpass123", "agree": true}),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("code_missing"))
    );
    let (status, _, body) = client.call("POST", "/api/v1/accounts", serde_json::json!({"phone": "13900000000", "code": "123456", "password": "goodpass123", "admin": true}));
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("admin")),
        "unknown fields are refused, naming the field"
    );
    assert_eq!(body["error"]["code"], "unknown_field");
    let (status, _, body) = client.call(
        "POST",
        "/api/v1/accounts",
        serde_json::json!({"phone": "13900000000", "password": "goodpass123"}),
    );
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("code")),
        "a missing field is named"
    );
    assert_eq!(body["error"]["message"], "缺少必填字段 code");
    let (status, _, body) = client.call(
        "POST",
        "/api/v1/sms-codes",
        serde_json::json!({"phone": 13900000000u64, "purpose": "register"}),
    );
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("phone")),
        "a value of the wrong type is named"
    );
    assert_eq!(
        body["error"]["message"],
        "字段 phone 应为字符串，收到的是数字"
    );
    let (_, _, body) = {
        let raw = serde_json::json!({"phone": "12", "purpose": "register"}).to_string();
        let (s, h, b) = http(
            "POST",
            &server.url("/api/v1/sms-codes"),
            &[
                ("content-type", "application/json"),
                ("accept-language", "en"),
            ],
            raw.as_bytes(),
        );
        (s, h, json(&b))
    };
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("11-digit"),
        "{body}"
    );
}

fn failed_logins(
    server: &Server,
    forwarded_for: impl Fn(usize) -> String,
    count: usize,
) -> Vec<u16> {
    (0..count)
        .map(|i| {
            let body =
                serde_json::json!({"phone": format!("1390000{i:04}"), "password": "wrongpass1"})
                    .to_string();
            let xff = forwarded_for(i);
            http(
                "POST",
                &server.url("/api/v1/sessions"),
                &[
                    ("content-type", "application/json"),
                    ("x-forwarded-for", &xff),
                ],
                body.as_bytes(),
            )
            .0
        })
        .collect()
}

#[test]
fn address_limits_follow_trusted_proxies_only() {
    // Behind a trusted proxy, each client address has its own budget of 20 failures.
    let mut instance = Instance::sqlite();
    instance
        .extra_env
        .push(("CERTHALL_TRUSTED_PROXIES".into(), "127.0.0.1,::1".into()));
    let server = instance.serve();
    assert!(
        failed_logins(&server, |_| "203.0.113.1".into(), 20)
            .iter()
            .all(|s| *s == 401)
    );
    assert_eq!(failed_logins(&server, |_| "203.0.113.1".into(), 1), [429]);
    assert_eq!(
        failed_logins(&server, |_| "203.0.113.2".into(), 1),
        [401],
        "another client is not throttled"
    );
    assert!(
        instance
            .ok(&[
                "audit",
                "list",
                "--action",
                "customer.login_failed",
                "--limit",
                "5"
            ])
            .contains("ip:203.0.113.2")
    );

    // Without a trusted proxy the header is ignored: forging it does not escape the limit.
    let instance = Instance::sqlite();
    let server = instance.serve();
    assert!(
        failed_logins(&server, |i| format!("198.51.100.{i}"), 20)
            .iter()
            .all(|s| *s == 401)
    );
    assert_eq!(
        failed_logins(&server, |_| "198.51.100.200".into(), 1),
        [429]
    );
}
