//! The same binary on PostgreSQL: schema and hierarchy on first start and reuse after,
//! issuance, revocation, CRLs, OCSP and the audit chain.

mod common;
use common::*;

fn psql(instance: &Instance, sql: &str) -> std::process::Output {
    std::process::Command::new("psql")
        .args([
            instance.database_url.as_deref().unwrap(),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .output()
        .expect("psql")
}

#[test]
fn the_ca_engine_works_the_same_on_postgresql() {
    let instance = Instance::postgres();
    let first = instance.ok(&["ca", "list", "--json"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&first)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(
        first,
        instance.ok(&["ca", "list", "--json"]),
        "second start reuses the CAs"
    );
    assert!(
        !instance.path("data/certhall.db").exists(),
        "nothing written to SQLite"
    );

    let (leaf, serial) = instance.issue(
        "ecdsa-ca",
        "org-sign",
        &format!("/O=乙公司/organizationIdentifier={USCC}/CN=乙公司"),
    );
    let (sm2_leaf, _) = instance.issue("sm2-ca", "person-sign", "/CN=郑一");
    let chain = instance.chain("ecdsa");
    assert!(
        openssl(&[
            "verify",
            "-CAfile",
            chain.to_str().unwrap(),
            leaf.to_str().unwrap()
        ])
        .contains(": OK")
    );
    sm2_verify("cert", &instance.ca_cert("sm2-ca"), &sm2_leaf);

    let server = instance.serve();
    let ocsp = |expect: &str| {
        let out = openssl(&[
            "ocsp",
            "-issuer",
            instance.ca_cert("ecdsa-ca").to_str().unwrap(),
            "-cert",
            leaf.to_str().unwrap(),
            "-url",
            &server.url("/ocsp"),
            "-CAfile",
            chain.to_str().unwrap(),
        ]);
        assert!(
            out.contains(expect) && out.contains("Response verify OK"),
            "{out}"
        );
    };
    ocsp(": good");
    instance.ok(&[
        "ca",
        "revoke",
        "--serial",
        &serial,
        "--reason",
        "affiliationChanged",
    ]);
    ocsp(": revoked");
    let crl = instance.path("pg.crl");
    instance.ok(&[
        "ca",
        "crl",
        "--ca",
        "ecdsa-ca",
        "--out",
        crl.to_str().unwrap(),
    ]);
    let out = openssl(&[
        "crl",
        "-inform",
        "DER",
        "-in",
        crl.to_str().unwrap(),
        "-CAfile",
        chain.to_str().unwrap(),
        "-noout",
        "-text",
    ]);
    assert!(
        out.contains("verify OK")
            && out.contains(&serial.to_uppercase())
            && out.contains("Affiliation Changed"),
        "{out}"
    );
    drop(server);

    assert!(instance.ok(&["audit", "verify"]).contains("intact"));
    let refused = psql(
        &instance,
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 4",
    );
    assert!(
        !refused.status.success()
            && String::from_utf8_lossy(&refused.stderr).contains("append-only")
    );
    let tampered = psql(
        &instance,
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change; UPDATE audit_events SET details = '{}' WHERE seq = 4",
    );
    assert!(
        tampered.status.success(),
        "{}",
        String::from_utf8_lossy(&tampered.stderr)
    );
    let out = instance.run(&["audit", "verify"]);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stdout).contains("BROKEN at event 4")
    );
}

#[test]
fn accounts_profiles_operators_and_the_outbox_work_on_postgresql() {
    let instance = Instance::postgres();
    let server = instance.serve();
    // Channels seeded from the hall configuration, served from PostgreSQL.
    let (status, _, body) = http("GET", &server.url("/api/v1/channels"), &[], b"");
    assert_eq!(
        (status, json(&body).as_array().map(Vec::len)),
        (200, Some(5))
    );
    let (status, _, page) = http("GET", &server.url("/c/zgjg"), &[], b"");
    assert!(status == 200 && String::from_utf8_lossy(&page).contains("¥180.00"));
    // Audit filters with escaped LIKE prefixes.
    let audit = instance.ok(&["audit", "list", "--action", "channel.create"]);
    assert_eq!(audit.lines().count(), 5, "{audit}");
    let audit = instance.ok(&["audit", "list", "--action", "channel_create"]);
    assert_eq!(audit.lines().count(), 0, "{audit}");
    let mut alice = register_customer(&instance, &server, "13822220001", "alicepass1");
    let (status, _, body) = alice.call(
        "POST",
        "/api/v1/sms-codes",
        serde_json::json!({"phone": "13822220001", "purpose": "register"}),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("code_resend_too_soon")),
        "counted like any request, never 'already registered'"
    );
    let (status, _, body) = alice.call(
        "PUT",
        "/api/v1/me/profile",
        serde_json::json!({"name": "张三", "id_number": "11010519491231002X", "username": "zhang02", "email": "z@example.cn"}),
    );
    assert_eq!(
        (status, body["id_number"].as_str()),
        (200, Some("11010519491231002X")),
        "{body}"
    );
    let (status, _, body) = alice.call(
        "POST",
        "/api/v1/me/addresses",
        serde_json::json!({"recipient": "张三", "phone": "13811112222", "province": "福建省", "city": "福州市", "district": "鼓楼区", "detail": "五四路1号"}),
    );
    assert_eq!(status, 201, "{body}");
    let (_, _, list) = alice.call("GET", "/api/v1/me/addresses", serde_json::Value::Null);
    assert_eq!(list[0]["is_default"], true);
    let mut bob = register_customer(&instance, &server, "13822220002", "bobpass123");
    let id = list[0]["id"].as_i64().unwrap();
    assert_eq!(
        bob.call(
            "DELETE",
            &format!("/api/v1/me/addresses/{id}"),
            serde_json::Value::Null
        )
        .0,
        404
    );
    let (status, _, _) = bob.call(
        "PUT",
        "/api/v1/me/profile",
        serde_json::json!({"username": "zhang02"}),
    );
    assert_eq!(status, 409);

    // Throttling and sessions.
    let mut guesser = Client::new(&server);
    for _ in 0..5 {
        assert_eq!(
            guesser
                .call(
                    "POST",
                    "/api/v1/sessions",
                    serde_json::json!({"phone": "13822220002", "password": "nopenope1"})
                )
                .0,
            401
        );
    }
    assert_eq!(
        guesser
            .call(
                "POST",
                "/api/v1/sessions",
                serde_json::json!({"phone": "13822220002", "password": "bobpass123"})
            )
            .0,
        429
    );
    assert_eq!(
        alice
            .call("DELETE", "/api/v1/sessions", serde_json::Value::Null)
            .0,
        204
    );
    assert_eq!(
        alice.call("GET", "/api/v1/me", serde_json::Value::Null).0,
        401
    );

    // Operators and the console.
    let password = std::fs::read_to_string(instance.path("data/initial-admin-password"))
        .unwrap()
        .trim()
        .to_string();
    let mut admin = Client::new(&server);
    admin.cookie_name = "certhall_console";
    assert_eq!(
        admin
            .call(
                "POST",
                "/api/v1/console/session",
                serde_json::json!({"username": "admin", "password": password})
            )
            .0,
        200
    );
    instance.ok(&[
        "operator",
        "create",
        "--username",
        "qian",
        "--name",
        "钱",
        "--roles",
        "finance",
    ]);
    instance.ok(&["operator", "disable", "--username", "qian"]);
    let (status, _, operators) =
        admin.call("GET", "/api/v1/console/operators", serde_json::Value::Null);
    assert_eq!(status, 200);
    assert_eq!(
        operators
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["disabled"] == true)
            .count(),
        1
    );
    let (status, _, sent) = admin.call(
        "GET",
        "/api/v1/console/outbox?status=sent",
        serde_json::Value::Null,
    );
    assert_eq!(status, 200);
    assert!(
        sent.as_array().unwrap().len() >= 2,
        "the registration codes went out: {sent}"
    );
    assert!(instance.ok(&["audit", "verify"]).contains("intact"));
}
