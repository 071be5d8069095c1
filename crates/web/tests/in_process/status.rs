//! The public certificate status (证书状态查询), on the page and over the API: good,
//! revoked with its time and reason, unknown, a malformed serial refused naming the field,
//! nothing of the holder shown, and the ration per address on the application's clock.

use axum::http::StatusCode;
use pki::{KeyFamily, RevocationReason, SoftwareKey};
use serde_json::json;
use services::ca::{self, IssueRequest};
use services::people::actor::Actor;

use crate::harness::TestApp;

/// A certificate issued by the ECDSA CA for 测试状态公司; its serial.
async fn issued(test: &TestApp) -> String {
    let key = SoftwareKey::generate(
        KeyFamily::EcdsaP256,
        pki::software_key::RsaBits::from_bits(2048).unwrap(),
    )
    .unwrap();
    let csr = crate::production::forged_csr(&key);
    let issued = ca::issue(
        &test.app,
        &Actor::Cli("test".into()),
        IssueRequest {
            ca: "ecdsa-ca",
            profile: "org-sign",
            csr: csr.as_bytes(),
            days: Some(365),
            subject: Some(
                "/C=CN/O=测试状态公司/organizationIdentifier=91350100M000100Y43/CN=测试状态公司",
            ),
        },
    )
    .await
    .unwrap();
    issued.serial
}

#[tokio::test]
async fn anyone_learns_a_certificates_status_by_serial_and_nothing_of_its_holder() {
    let test = TestApp::with(|config| config.ca.status_lookups_per_minute = 6).await;
    let serial = issued(&test).await;
    let mut anyone = test.client([10, 6, 0, 1]);
    let path = |serial: &str| format!("/api/v1/certificate-status/{serial}");

    let good = anyone.call("GET", &path(&serial), json!(null)).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text);
    assert_eq!(good.json()["status"], "good");
    assert_eq!(good.json()["ca"], "ecdsa-ca");
    assert_eq!(good.json()["expired"], false);
    assert!(!good.text.contains("测试状态公司"), "{}", good.text);
    // Upper case with colons is the same certificate.
    let spaced: Vec<String> = serial
        .to_uppercase()
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8(pair.to_vec()).unwrap())
        .collect();
    let page = anyone
        .page(&format!("/status?serial={}", spaced.join(":")))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("data-state=\"good\"") && !page.text.contains("测试状态公司"),
        "{}",
        page.text
    );

    ca::revoke(
        &test.app,
        &Actor::Cli("test".into()),
        &serial,
        RevocationReason::KeyCompromise,
    )
    .await
    .unwrap();
    let revoked = anyone.call("GET", &path(&serial), json!(null)).await;
    assert_eq!(revoked.json()["status"], "revoked");
    assert_eq!(revoked.json()["revocation_reason"], "keyCompromise");
    assert!(revoked.json()["revoked_at"].is_string());

    let unknown = anyone.call("GET", &path("0badc0ffee"), json!(null)).await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(unknown.json()["status"], "unknown");
    assert!(unknown.json().get("ca").is_none());

    let malformed = anyone.call("GET", &path("not-a-serial"), json!(null)).await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(malformed.json()["error"]["field"], "serial");
    let page = anyone.page("/status?serial=xyz").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text.contains("serial-error"), "{}", page.text);

    // Six look-ups this minute (the page's two included): the seventh waits for the next
    // minute, another address does not.
    let refused = anyone.call("GET", &path(&serial), json!(null)).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    let wait: i64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let mut another = test.client([10, 6, 0, 2]);
    let answer = another.call("GET", &path(&serial), json!(null)).await;
    assert_eq!(answer.status, StatusCode::OK);
    test.clock
        .advance(std::time::Duration::from_secs(wait as u64));
    let answer = anyone.call("GET", &path(&serial), json!(null)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
}
