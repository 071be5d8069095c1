//! The server-rendered pages from outside (the browser tests in tests/browser drive them in
//! Chromium): object authorization on 个人中心 pages, CSRF on forms, security headers, the
//! channels seeded from the hall configuration, and a bad configuration refused at start.

mod common;
use common::*;

/// A form POST with a customer's cookie.
fn post_form(
    server: &Server,
    path: &str,
    cookie: &str,
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let cookie = format!("certhall_session={cookie}");
    let (status, headers, body) = http(
        "POST",
        &server.url(path),
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", &cookie),
        ],
        body.as_bytes(),
    );
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn get_page(server: &Server, path: &str, cookie: &str) -> (u16, Vec<(String, String)>, String) {
    let cookie = format!("certhall_session={cookie}");
    let (status, headers, body) = http("GET", &server.url(path), &[("cookie", &cookie)], b"");
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn address() -> serde_json::Value {
    serde_json::json!({
        "recipient": "张三", "phone": "13811112222", "province": "福建省", "city": "福州市",
        "district": "鼓楼区", "detail": "五四路100号", "postal_code": "350001"
    })
}

#[test]
fn pages_keep_each_customers_data_to_that_customer_and_check_csrf() {
    let instance = Instance::sqlite();
    let server = instance.serve();
    let mut alice = register_customer(&instance, &server, "13811110001", "alicepass1");
    let bob = register_customer(&instance, &server, "13811110002", "bobpass123");
    let (status, _, created) = alice.call("POST", "/api/v1/me/addresses", address());
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let bob_cookie = bob.cookie.clone().unwrap();
    let bob_csrf = bob.csrf.clone().unwrap();

    // Bob's session cannot see, change, default or delete Alice's address through pages.
    let (status, _, page) = get_page(&server, &format!("/me/addresses/{id}"), &bob_cookie);
    assert_eq!(status, 404, "{page}");
    assert!(!page.contains("五四路100号"));
    let form = format!(
        "csrf={bob_csrf}&recipient=x&phone=13800000000&province=a&city=b&district=c&detail=d"
    );
    for path in [
        format!("/me/addresses/{id}"),
        format!("/me/addresses/{id}/default"),
        format!("/me/addresses/{id}/delete"),
    ] {
        let (status, _, page) = post_form(&server, &path, &bob_cookie, &form);
        assert_eq!(status, 404, "{path}: {page}");
    }
    let (_, _, list) = alice.call("GET", "/api/v1/me/addresses", serde_json::Value::Null);
    assert_eq!(list[0]["detail"], "五四路100号");
    assert_eq!(list[0]["recipient"], "张三");

    // A form without the session's CSRF token changes nothing.
    let alice_cookie = alice.cookie.clone().unwrap();
    let (status, _, _) = post_form(&server, "/me", &alice_cookie, "csrf=forged&name=Mallory");
    assert_eq!(status, 403);
    let (status, _, _) = post_form(
        &server,
        "/me",
        &alice_cookie,
        &format!("csrf={bob_csrf}&name=Mallory"),
    );
    assert_eq!(status, 403);
    let (_, _, profile) = alice.call("GET", "/api/v1/me/profile", serde_json::Value::Null);
    assert_eq!(profile["name"], serde_json::Value::Null);
    // With it, the change is made (and a bad field is named, nothing saved).
    let alice_csrf = alice.csrf.clone().unwrap();
    let (status, _, page) = post_form(
        &server,
        "/me",
        &alice_cookie,
        &format!("csrf={alice_csrf}&name=%E5%BC%A0&email=not-an-email"),
    );
    assert_eq!(status, 422);
    assert!(page.contains("id=\"email-error\""), "{page}");
    let (status, headers, _) = post_form(
        &server,
        "/me",
        &alice_cookie,
        &format!("csrf={alice_csrf}&name=%E5%BC%A0"),
    );
    assert_eq!(
        (status, header(&headers, "location")),
        (303, Some("/me?notice=profile_saved"))
    );

    // 个人中心 without a session goes to the login page and comes back.
    let (status, headers, _) = http("GET", &server.url("/me/addresses"), &[], b"");
    assert_eq!(
        (status, header(&headers, "location")),
        (303, Some("/login?next=%2Fme%2Faddresses"))
    );
    // A customer's session does not open the console.
    let (status, headers, _) = get_page(&server, "/console/operators", &alice_cookie);
    assert_eq!(status, 303);
    assert!(
        header(&headers, "location")
            .unwrap()
            .starts_with("/console/login")
    );
}

#[test]
fn pages_carry_security_headers_and_assets_come_from_the_binary() {
    let instance = Instance::sqlite();
    let server = instance.serve();
    let (status, headers, body) = http("GET", &server.url("/"), &[], b"");
    assert_eq!(status, 200);
    let csp = header(&headers, "content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(header(&headers, "x-frame-options"), Some("DENY"));
    let page = String::from_utf8(body).unwrap();
    // Nothing loaded from elsewhere: no CDN, no remote fonts.
    for needle in ["src=\"http", "href=\"http"] {
        assert!(!page.contains(needle), "{needle} in the home page");
    }
    let (status, headers, css) = http("GET", &server.url("/assets/app.css"), &[], b"");
    assert_eq!(
        (status, header(&headers, "content-type")),
        (200, Some("text/css; charset=utf-8"))
    );
    assert!(!String::from_utf8(css).unwrap().contains("url(http"));
    // The anonymous form cookie is set with the page that carries the form.
    let (_, headers, _) = http("GET", &server.url("/login"), &[], b"");
    assert!(
        header(&headers, "set-cookie")
            .unwrap()
            .starts_with("certhall_form=")
    );
    // A page form must come urlencoded, and readable.
    let (status, _, body) = http(
        "POST",
        &server.url("/login"),
        &[("content-type", "application/json")],
        b"{}",
    );
    assert_eq!(status, 415);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("x-www-form-urlencoded")
    );
    let (status, _, _) = http(
        "POST",
        &server.url("/login"),
        &[("content-type", "application/x-www-form-urlencoded")],
        b"phone=1&phone=2",
    );
    assert_eq!(status, 400, "one field given twice");
}

#[test]
fn the_seed_channels_are_in_the_database_and_the_api() {
    let instance = Instance::sqlite();
    let server = instance.serve();
    let (status, _, body) = http("GET", &server.url("/api/v1/channels"), &[], b"");
    assert_eq!(status, 200);
    let channels = json(&body);
    let codes: Vec<&str> = channels
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["cecep", "fjca", "huanbao", "xct", "zgjg"]);
    let (status, _, body) = http("GET", &server.url("/api/v1/channels/zgjg"), &[], b"");
    assert_eq!(status, 200);
    let zgjg = json(&body);
    assert_eq!(zgjg["fees"]["new_per_set"], 26000);
    assert_eq!(zgjg["fees"]["renewal_per_year"], 18000);
    assert_eq!(zgjg["business"]["new"]["online"], false);
    let (status, _, body) = http(
        "GET",
        &server.url("/api/v1/channels/nope"),
        &[("accept-language", "en")],
        b"",
    );
    assert_eq!(
        (status, json(&body)["error"]["code"].as_str()),
        (404, Some("unknown_channel"))
    );
    drop(server);
    // Seeding is audited once; a second start adds nothing.
    let server = instance.serve();
    drop(server);
    let audit = instance.ok(&["audit", "list", "--action", "channel.create"]);
    assert_eq!(audit.lines().count(), 5, "{audit}");
}

#[test]
fn a_wrong_hall_configuration_stops_the_start_naming_the_field() {
    let instance = Instance::sqlite();
    let config = instance.path("hall.toml");
    let text = services::hall::config::DEFAULT_HALL_TOML.replacen(
        "validity_years = [1, 2]",
        "validity_years = [9]",
        1,
    );
    std::fs::write(&config, text).unwrap();
    let out = instance.run(&[
        "--hall-config",
        config.to_str().unwrap(),
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("channels[0].products[0].validity_years"),
        "{stderr}"
    );
}

#[test]
fn console_pages_check_roles_csrf_and_filters() {
    let instance = Instance::sqlite();
    let server = instance.serve();
    let password = std::fs::read_to_string(instance.path("data/initial-admin-password")).unwrap();
    let mut admin = Client::new(&server);
    admin.cookie_name = "certhall_console";
    let (status, _, body) = admin.call(
        "POST",
        "/api/v1/console/session",
        serde_json::json!({"username": "admin", "password": password.trim()}),
    );
    assert_eq!(status, 200, "{body}");
    let cookie = format!("certhall_console={}", admin.cookie.clone().unwrap());
    let csrf = admin.csrf.clone().unwrap();
    let get = |path: &str, cookie: &str| {
        let (status, _, body) = http("GET", &server.url(path), &[("cookie", cookie)], b"");
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    let post = |path: &str, cookie: &str, body: &str| {
        let (status, _, body) = http(
            "POST",
            &server.url(path),
            &[
                ("cookie", cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        );
        (status, String::from_utf8_lossy(&body).into_owned())
    };

    // Filters: a bad date is named; a prefix is a prefix, not a pattern.
    let (status, page) = get("/console/audit?from=2026-13-01", &cookie);
    assert_eq!(status, 422);
    assert!(page.contains("id=\"from-error\""), "{page}");
    let (status, page) = get("/console/audit?action=channel.create", &cookie);
    assert_eq!(
        (status, page.matches("data-testid=\"audit-row\"").count()),
        (200, 5)
    );
    let (_, page) = get("/console/audit?action=channel_create", &cookie);
    assert_eq!(
        page.matches("data-testid=\"audit-row\"").count(),
        0,
        "'_' must not be a wildcard"
    );
    let (_, page) = get("/console/audit?action=%25", &cookie);
    assert_eq!(
        page.matches("data-testid=\"audit-row\"").count(),
        0,
        "'%' must not be a wildcard"
    );

    // A change without the CSRF token is refused and changes nothing.
    let (status, _) = post(
        "/console/operators",
        &cookie,
        "csrf=forged&username=sneaky&display_name=x&roles=admin",
    );
    assert_eq!(status, 403);
    let (status, page) = post(
        "/console/operators",
        &cookie,
        &format!("csrf={csrf}&username=no-roles&display_name=x"),
    );
    assert_eq!(status, 422, "an operator needs a role");
    assert!(page.contains("请至少选择一个角色"), "{page}");
    let (status, page) = post(
        "/console/operators",
        &cookie,
        &format!(
            "csrf={csrf}&username=shen-li&display_name=%E6%9D%8E&roles=reviewer&roles=finance"
        ),
    );
    assert_eq!(status, 200);
    assert!(page.contains("data-testid=\"new-password\""));
    let (_, _, list) = admin.call("GET", "/api/v1/console/operators", serde_json::Value::Null);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["username"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{list}");
    assert!(!names.contains(&"sneaky"));
    let created = list
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["username"] == "shen-li")
        .unwrap();
    assert_eq!(
        created["roles"],
        serde_json::json!(["reviewer", "finance"]),
        "both ticked roles"
    );
    assert_eq!(created["display_name"], "李");
    // An administrator cannot lock themselves out.
    let (status, page) = post(
        "/console/operators/admin",
        &cookie,
        &format!("csrf={csrf}&action=disable"),
    );
    assert_eq!(status, 422, "{page}");

    // The reviewer sees the dashboard, not the administrators' pages.
    let new_password = page_password(
        &post(
            "/console/operators/shen-li",
            &cookie,
            &format!("csrf={csrf}&action=reset_password"),
        )
        .1,
    );
    let mut reviewer = Client::new(&server);
    reviewer.cookie_name = "certhall_console";
    let (status, _, _) = reviewer.call(
        "POST",
        "/api/v1/console/session",
        serde_json::json!({"username": "shen-li", "password": new_password}),
    );
    assert_eq!(status, 200);
    let reviewer_cookie = format!("certhall_console={}", reviewer.cookie.clone().unwrap());
    let (status, page) = get("/console", &reviewer_cookie);
    assert_eq!(status, 200);
    assert!(
        page.contains("待审核") && page.contains("待核款") && !page.contains("发送失败的消息"),
        "{page}"
    );
    for path in [
        "/console/operators",
        "/console/audit",
        "/console/messages",
        "/console/channels",
        "/console/channels/huanbao",
    ] {
        let (status, page) = get(path, &reviewer_cookie);
        assert_eq!(status, 403, "{path}");
        assert!(page.contains("管理员"), "{path}: {page}");
    }
    let (status, _) = post(
        "/console/channels/huanbao",
        &reviewer_cookie,
        &format!(
            "csrf={}&version=1&definition=x",
            reviewer.csrf.clone().unwrap()
        ),
    );
    assert_eq!(status, 403);
}

/// The password an operators page shows once.
fn page_password(page: &str) -> String {
    let start = page.find("<code>").expect("a password on the page") + "<code>".len();
    let end = page[start..].find("</code>").unwrap() + start;
    page[start..end].to_string()
}
