//! Operators: the initial administrator on first start (password only in a 0600 file,
//! never in the logs), operator management from the CLI, console login with its own
//! session cookie, role checks, CSRF, disabling, throttling, and realm separation from
//! customer sessions.

mod common;
use common::*;

use std::os::unix::fs::PermissionsExt;

fn console(server: &Server) -> Client<'_> {
    let mut client = Client::new(server);
    client.cookie_name = "certhall_console";
    client
}

#[test]
fn operators_roles_and_the_console_session() {
    let instance = Instance::sqlite();
    let server = instance.serve();
    let file = instance.path("data/initial-admin-password");
    let password = std::fs::read_to_string(&file)
        .expect("the initial administrator's password file")
        .trim()
        .to_string();
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(password.len(), 16);
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.contains("Initial administrator \"admin\" created; its password is in")
            && log.contains("initial-admin-password"),
        "{log}"
    );
    assert!(!log.contains(&password), "the password is never logged");
    drop(server);
    let server = instance.serve();
    assert!(
        !server.log.lock().unwrap().contains("Initial administrator"),
        "only on the first start"
    );

    let mut admin = console(&server);
    let (status, headers, body) = admin.call(
        "POST",
        "/api/v1/console/session",
        serde_json::json!({"username": "admin", "password": password}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["roles"], serde_json::json!(["admin"]));
    let cookie = header(&headers, "set-cookie").unwrap();
    assert!(
        cookie.starts_with("certhall_console=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let reviewer_password = instance
        .ok(&[
            "operator",
            "create",
            "--username",
            "li-shen",
            "--name",
            "李审",
            "--roles",
            "reviewer",
        ])
        .trim()
        .to_string();
    let bad = instance.run(&[
        "operator",
        "create",
        "--username",
        "Bad Name",
        "--name",
        "x",
        "--roles",
        "reviewer",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("username: 3 to 32 lowercase letters"));
    let bad = instance.run(&[
        "operator",
        "create",
        "--username",
        "wang",
        "--name",
        "王",
        "--roles",
        "boss",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("roles: unknown role \"boss\""));
    let dup = instance.run(&[
        "operator",
        "create",
        "--username",
        "li-shen",
        "--name",
        "x",
        "--roles",
        "finance",
    ]);
    assert!(String::from_utf8_lossy(&dup.stderr).contains("exists"));

    let (status, _, body) = admin.call("GET", "/api/v1/console/operators", serde_json::Value::Null);
    assert_eq!(status, 200);
    assert_eq!(body.as_array().unwrap().len(), 2);
    let (status, _, body) = admin.call(
        "GET",
        "/api/v1/console/audit?action=operator.&limit=50",
        serde_json::Value::Null,
    );
    assert_eq!(status, 200);
    let actions: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"operator.create") && actions.contains(&"operator.login"),
        "{actions:?}"
    );
    let (status, _, body) = admin.call(
        "GET",
        "/api/v1/console/audit?limit=9999",
        serde_json::Value::Null,
    );
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("limit"))
    );

    // A reviewer is refused what needs an administrator, with the role named.
    let mut reviewer = console(&server);
    let (status, _, _) = reviewer.call(
        "POST",
        "/api/v1/console/session",
        serde_json::json!({"username": "li-shen", "password": reviewer_password}),
    );
    assert_eq!(status, 200);
    let (status, _, body) =
        reviewer.call("GET", "/api/v1/console/operators", serde_json::Value::Null);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("role_required"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("管理员")
    );
    assert_eq!(
        reviewer
            .call("GET", "/api/v1/console/audit", serde_json::Value::Null)
            .0,
        403
    );

    // Sessions do not cross realms: a console token is no customer session, and back.
    let mut as_customer = Client::new(&server);
    as_customer.cookie = admin.cookie.clone();
    assert_eq!(
        as_customer
            .call("GET", "/api/v1/me", serde_json::Value::Null)
            .0,
        401
    );
    let mut customer = Client::new(&server);
    customer.call(
        "POST",
        "/api/v1/sms-codes",
        serde_json::json!({"phone": "13700001111", "purpose": "register"}),
    );
    let code = code_for(&instance, "13700001111", "verification_code.register", None);
    let (status, _, _) = customer.call(
        "POST",
        "/api/v1/accounts",
        serde_json::json!({"phone": "13700001111", "code": code, "password": "custpass123", "agree": true}),
    );
    assert_eq!(status, 201);
    let mut customer_in_console = console(&server);
    customer_in_console.cookie = customer.cookie.clone();
    assert_eq!(
        customer_in_console
            .call("GET", "/api/v1/console/session", serde_json::Value::Null)
            .0,
        401,
        "a customer session never opens the console"
    );

    // Disabling ends the operator's sessions and refuses new logins.
    instance.ok(&["operator", "disable", "--username", "li-shen"]);
    assert_eq!(
        reviewer
            .call("GET", "/api/v1/console/session", serde_json::Value::Null)
            .0,
        401
    );
    let (status, _, _) = reviewer.call(
        "POST",
        "/api/v1/console/session",
        serde_json::json!({"username": "li-shen", "password": reviewer_password}),
    );
    assert_eq!(status, 401);
    instance.ok(&["operator", "enable", "--username", "li-shen"]);
    let new_password = instance
        .ok(&["operator", "reset-password", "--username", "li-shen"])
        .trim()
        .to_string();
    assert_ne!(new_password, reviewer_password);
    instance.ok(&[
        "operator",
        "roles",
        "--username",
        "li-shen",
        "--roles",
        "reviewer,finance",
    ]);
    let listing = instance.ok(&["operator", "list"]);
    assert!(
        listing.contains("reviewer,finance") && listing.contains("li-shen"),
        "{listing}"
    );

    // Console logout needs the CSRF token.
    let csrf = admin.csrf.take();
    assert_eq!(
        admin
            .call("DELETE", "/api/v1/console/session", serde_json::Value::Null)
            .0,
        403
    );
    admin.csrf = csrf;
    assert_eq!(
        admin
            .call("DELETE", "/api/v1/console/session", serde_json::Value::Null)
            .0,
        204
    );
    assert_eq!(
        admin
            .call("GET", "/api/v1/console/session", serde_json::Value::Null)
            .0,
        401
    );

    // Throttling: five wrong passwords, then a stated wait.
    let mut guesser = console(&server);
    for _ in 0..5 {
        assert_eq!(
            guesser
                .call(
                    "POST",
                    "/api/v1/console/session",
                    serde_json::json!({"username": "admin", "password": "wrong"})
                )
                .0,
            401
        );
    }
    let (status, headers, body) = guesser.call(
        "POST",
        "/api/v1/console/session",
        serde_json::json!({"username": "admin", "password": password}),
    );
    assert_eq!(status, 429, "{body}");
    assert!(header(&headers, "retry-after").is_some());

    let audit = instance.ok(&["audit", "list", "--action", "operator.", "--limit", "100"]);
    for action in [
        "operator.create",
        "operator.login",
        "operator.login_failed",
        "operator.disable",
        "operator.enable",
        "operator.reset_password",
        "operator.roles",
        "operator.logout",
    ] {
        assert!(audit.contains(action), "no {action}:\n{audit}");
    }
}

#[test]
fn administrators_see_failed_messages_and_retry_them() {
    let instance = Instance::sqlite();
    // Two messages queued, one of them given up on by the worker.
    instance.ok(&["outbox", "test", "--email", "ops@example.cn"]);
    instance.ok(&["outbox", "test", "--email", "it@example.cn"]);
    let out = std::process::Command::new("python3")
        .args(["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update outbox set status='failed', last_error='550 no such user' where recipient='it@example.cn'\"); c.commit()"])
        .arg(instance.path("data/certhall.db"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let server = instance.serve();
    let password = std::fs::read_to_string(instance.path("data/initial-admin-password"))
        .unwrap()
        .trim()
        .to_string();
    let mut admin = console(&server);
    admin.call(
        "POST",
        "/api/v1/console/session",
        serde_json::json!({"username": "admin", "password": password}),
    );
    let (status, _, body) = admin.call("GET", "/api/v1/console/outbox", serde_json::Value::Null);
    assert_eq!(status, 200);
    let failed = body.as_array().unwrap();
    assert_eq!(failed.len(), 1, "{body}");
    assert_eq!(
        (
            failed[0]["recipient"].as_str(),
            failed[0]["last_error"].as_str()
        ),
        (Some("it@example.cn"), Some("550 no such user"))
    );
    let id = failed[0]["id"].as_i64().unwrap();
    let (status, _, body) = admin.call(
        "GET",
        "/api/v1/console/outbox?status=lost",
        serde_json::Value::Null,
    );
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("status"))
    );

    let reviewer_password = instance
        .ok(&[
            "operator",
            "create",
            "--username",
            "zhao",
            "--name",
            "赵",
            "--roles",
            "reviewer",
        ])
        .trim()
        .to_string();
    let mut reviewer = console(&server);
    reviewer.call(
        "POST",
        "/api/v1/console/session",
        serde_json::json!({"username": "zhao", "password": reviewer_password}),
    );
    assert_eq!(
        reviewer
            .call("GET", "/api/v1/console/outbox", serde_json::Value::Null)
            .0,
        403
    );
    assert_eq!(
        reviewer
            .call(
                "POST",
                &format!("/api/v1/console/outbox/{id}/retry"),
                serde_json::Value::Null
            )
            .0,
        403
    );

    assert_eq!(
        admin
            .call(
                "POST",
                &format!("/api/v1/console/outbox/{id}/retry"),
                serde_json::Value::Null
            )
            .0,
        204
    );
    let (status, _, body) = admin.call(
        "POST",
        &format!("/api/v1/console/outbox/{id}/retry"),
        serde_json::Value::Null,
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("unknown_message")),
        "only failed messages"
    );
    // The worker of the running server delivers it now.
    eventually(10, || {
        let (_, _, sent) = admin.call(
            "GET",
            "/api/v1/console/outbox?status=sent",
            serde_json::Value::Null,
        );
        (sent.as_array().unwrap().len() == 2).then_some(())
    });
    let audit = instance.ok(&["audit", "list", "--action", "outbox.retry"]);
    assert!(
        audit.contains(":admin") && audit.contains(&format!("message:{id}")),
        "{audit}"
    );
}
