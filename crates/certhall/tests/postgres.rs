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
