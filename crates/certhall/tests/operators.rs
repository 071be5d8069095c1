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
        serde_json::json!({"phone": "13700001111", "code": code, "password": "custpass123"}),
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
