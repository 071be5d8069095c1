//! Documents of an application over the API: only real JPEG/PNG images within the limit
//! (checked by content, the limit counted while the body streams), truncated ones refused,
//! each re-encoded and stored encrypted; nothing is kept of a refused upload; only the
//! customer who owns the application and operators with a reading role see them, and
//! each operator's look is audited; a replaced document is shredded, and so are all of a
//! cancelled application's.

use axum::http::StatusCode;
use serde_json::json;
use services::people::actor::Actor;

use crate::harness::{Client, TestApp, jpeg};

const PHONE: &str = "13800138301";

/// A huanbao draft described up to the documents step; returns its id.
async fn draft(client: &mut Client<'_>) -> i64 {
    let start = json!({"channel": "huanbao", "product": "org-usbkey", "years": 1, "quantity": 1});
    let answer = client.call("POST", "/api/v1/applications", start).await;
    let id = answer.json()["id"].as_i64().unwrap();
    let org = json!({"name": "北京环保科技有限公司", "nature": "enterprise", "industry": "C",
        "three_in_one": true, "uscc": "91350100M000100Y43",
        "custom": {"ten_ring_cert_no": "CCEL-2026-0001"}});
    let answer = client
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/subject"),
            json!({"version": 1, "organisation": org}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    id
}

pub(crate) fn stored_objects(test: &TestApp) -> Vec<std::path::PathBuf> {
    let root = test.app.data_dir.join("documents").join("docs");
    match std::fs::read_dir(root) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn only_real_images_within_the_limit_are_kept_and_nothing_of_a_refusal() {
    let test = TestApp::new().await;
    let mut customer = test.customer(PHONE, [10, 2, 0, 1]).await;
    let id = draft(&mut customer).await;
    let url = |slot: &str| format!("/api/v1/applications/{id}/documents/{slot}");

    // A PDF renamed .png, an HTML page, a truncated JPEG, more than 2 MiB: refused.
    let photo = jpeg(640, 480);
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            b"%PDF-1.7\n1 0 obj".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_an_image",
        ),
        (
            b"<html><script>alert(1)</script>".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_an_image",
        ),
        (
            photo[..photo.len() / 3].to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "truncated_image",
        ),
        (
            vec![0xFF; 2 * 1024 * 1024 + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
        ),
        (
            vec![0xFF; 3 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
        ),
    ];
    for (bytes, status, code) in cases {
        let answer = customer.upload(&url("business_licence"), &bytes).await;
        assert_eq!(answer.status, status, "{code}: {}", answer.text);
        assert_eq!(answer.json()["error"]["code"], code);
        assert_eq!(answer.json()["error"]["field"], "file");
    }
    assert!(
        stored_objects(&test).is_empty(),
        "nothing stored of a refusal"
    );
    let shown = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await;
    assert_eq!(shown.json()["version"], 2, "the application did not change");
    // A slot this application does not take (a converted organisation has no code certificate).
    let answer = customer
        .upload(&url("organisation_code_certificate"), &photo)
        .await;
    assert_eq!(answer.json()["error"]["code"], "slot_not_needed");
    let answer = customer.upload(&url("selfie"), &photo).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);

    // A real photo with something appended: stored re-encoded, encrypted at rest.
    let mut tampered = photo.clone();
    tampered.extend_from_slice(b"<?php system($_GET['c']); ?>");
    let answer = customer.upload(&url("business_licence"), &tampered).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    assert_eq!(
        (
            answer.json()["width"].as_u64(),
            answer.json()["height"].as_u64()
        ),
        (Some(640), Some(480))
    );
    let sha = answer.json()["sha256"].as_str().unwrap().to_string();
    let objects = stored_objects(&test);
    assert_eq!(objects.len(), 2, "the image and its thumbnail");
    // The image as served (decrypted): its first 32 bytes appear in no stored object. (Three
    // bytes like a JPEG's magic can occur by chance in ciphertext; 32 cannot.)
    let (status, served) = customer.bytes(&url("business_licence")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(served.starts_with(&[0xFF, 0xD8, 0xFF]));
    for path in &objects {
        let bytes = std::fs::read(path).unwrap();
        assert!(!bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "not a JPEG");
        assert!(
            !bytes.windows(32).any(|w| w == &served[..32]),
            "no JPEG in the clear"
        );
        assert!(!bytes.windows(5).any(|w| w == b"<?php"));
    }
    let image = customer
        .page(&format!("{}?thumbnail=false", url("business_licence")))
        .await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.headers["content-type"], "image/jpeg");
    assert_eq!(image.headers["cache-control"], "private, no-store");
    assert_eq!(image.headers["x-content-type-options"], "nosniff");
    let shown = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await;
    assert_eq!(shown.json()["documents"][0]["slot"], "business_licence");
    assert_eq!(shown.json()["documents"][0]["sha256"], sha.as_str());
    assert_eq!(
        shown.json()["missing_documents"],
        json!([
            "agent_id_front",
            "agent_id_back",
            "authorisation_letter",
            "extra.ten_ring_certificate"
        ])
    );

    // Replacing it shreds the old one.
    let answer = customer
        .upload(&url("business_licence"), &jpeg(320, 240))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_ne!(answer.json()["sha256"].as_str().unwrap(), sha);
    assert_eq!(
        stored_objects(&test).len(),
        2,
        "the replaced objects are gone"
    );

    // Exactly 2 MiB is within the limit (refused here only because it is no image).
    let answer = customer
        .upload(&url("agent_id_front"), &vec![0u8; 2 * 1024 * 1024])
        .await;
    assert_eq!(answer.json()["error"]["code"], "not_an_image");
}

#[tokio::test]
async fn documents_are_for_their_customer_and_reading_operators_only() {
    let test = TestApp::new().await;
    let mut owner = test.customer(PHONE, [10, 2, 0, 2]).await;
    let id = draft(&mut owner).await;
    let path = format!("/api/v1/applications/{id}/documents/business_licence");
    assert_eq!(
        owner.upload(&path, &jpeg(100, 80)).await.status,
        StatusCode::CREATED
    );

    let mut stranger = test.customer("13900139302", [10, 2, 0, 3]).await;
    for (method, answer) in [
        ("GET", stranger.page(&path).await),
        ("POST", stranger.upload(&path, &jpeg(10, 10)).await),
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method}");
    }
    let page = stranger
        .page(&format!(
            "/applications/{id}/documents/business_licence/thumbnail"
        ))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    let console = format!("/api/v1/console/applications/{id}/documents/business_licence");
    let mut shipper = test.operator("fahuoyuan", "shipper").await;
    assert_eq!(shipper.page(&console).await.status, StatusCode::FORBIDDEN);
    let mut reviewer = test.operator("shenheyuan", "reviewer").await;
    let seen = reviewer.page(&format!("{console}?thumbnail=true")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.headers["content-type"], "image/jpeg");
    let filter = domain::AuditFilter {
        action_prefix: "application.document_view".into(),
        ..Default::default()
    };
    let events = services::audit::list(&test.app, &Actor::Cli("test".into()), &filter, 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert!(events[0].actor.contains("shenheyuan"));
    // The customer's timeline does not show the operators' looks.
    let shown = owner
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await;
    let timeline = shown.json()["timeline"].to_string();
    assert!(timeline.contains("application.upload"));
    assert!(!timeline.contains("application.document_view"));
}

#[tokio::test]
async fn a_phone_uploads_once_through_its_link_and_the_computer_sees_it() {
    let test = TestApp::new().await;
    let mut customer = test.customer(PHONE, [10, 2, 0, 4]).await;
    let id = draft(&mut customer).await;
    let make =
        |slot: &'static str| format!("/api/v1/applications/{id}/documents/{slot}/phone-link");
    let answer = customer
        .call("POST", &make("agent_id_front"), json!(null))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let link = answer.json();
    let url = link["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:8080/m/"), "{url}");
    assert!(
        link["qr_svg"].as_str().unwrap().starts_with("<?xml")
            || link["qr_svg"].as_str().unwrap().contains("<svg")
    );
    let path = url.trim_start_matches("http://127.0.0.1:8080").to_string();
    let token = path.trim_start_matches("/m/").to_string();
    // Only the token's hash is kept.
    for file in ["certhall.db", "certhall.db-wal"] {
        if let Ok(bytes) = std::fs::read(test.app.data_dir.join(file)) {
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "{file}"
            );
        }
    }

    // The phone: no login; the page names the slot, the upload is checked like any.
    let mut phone = test.client([10, 9, 9, 9]);
    let page = phone.page(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("经办人身份证（人像面）"));
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    let refused = phone.upload(&path, b"%PDF-1.4 not an image").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Two uploads at once through one link store one document.
    let mut second_phone = test.client([10, 9, 9, 8]);
    let photo = jpeg(200, 150);
    let (a, b) = tokio::join!(
        phone.upload(&path, &photo),
        second_phone.upload(&path, &photo)
    );
    let statuses = [a.status, b.status];
    assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
    assert!(
        statuses.contains(&StatusCode::NOT_FOUND),
        "{statuses:?}: the link works once"
    );
    assert_eq!(
        stored_objects(&test).len(),
        2,
        "one image and its thumbnail"
    );
    // The computer sees it (the page polls /applications/{id}/documents).
    let state = customer
        .page(&format!("/applications/{id}/documents"))
        .await;
    assert_eq!(state.json()["uploaded"], json!(["agent_id_front"]));
    let again = phone.page(&path).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // A new link replaces the one before; a link expires after ten minutes.
    let first = customer
        .call("POST", &make("agent_id_back"), json!(null))
        .await
        .json();
    let second = customer
        .call("POST", &make("agent_id_back"), json!(null))
        .await
        .json();
    let old = first["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:8080")
        .to_string();
    assert_eq!(
        phone.upload(&old, &photo).await.status,
        StatusCode::NOT_FOUND
    );
    test.clock.advance(std::time::Duration::from_secs(11 * 60));
    let late = second["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:8080")
        .to_string();
    assert_eq!(
        phone.upload(&late, &photo).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(stored_objects(&test).len(), 2);
    // Another customer cannot make a link for this application.
    let mut stranger = test.customer("13900139305", [10, 2, 0, 5]).await;
    let answer = stranger
        .call("POST", &make("agent_id_back"), json!(null))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

/// A cancelled application keeps no document: rows and sealed objects are gone, the
/// cancellation's audit event says how many.
#[tokio::test]
async fn cancelling_shreds_the_documents() {
    let test = TestApp::new().await;
    let mut customer = test.customer(PHONE, [10, 2, 3, 1]).await;
    let id = draft(&mut customer).await;
    let photo = jpeg(320, 240);
    for slot in ["business_licence", "agent_id_front"] {
        let answer = customer
            .upload(
                &format!("/api/v1/applications/{id}/documents/{slot}"),
                &photo,
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    }
    assert_eq!(
        stored_objects(&test).len(),
        4,
        "two images and their thumbnails"
    );
    let answer = customer
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/cancellation"),
            json!(null),
        )
        .await;
    assert!(answer.status.is_success(), "{}", answer.text);
    let cli = Actor::Cli("test".into());
    let filter = domain::AuditFilter {
        action_prefix: "application.cancel".into(),
        ..Default::default()
    };
    let events = services::audit::list(&test.app, &cli, &filter, 5)
        .await
        .unwrap();
    assert!(
        events[0].details.contains("\"documents_shredded\":2"),
        "{}",
        events[0].details
    );
    assert!(
        stored_objects(&test).is_empty(),
        "{:?}",
        stored_objects(&test)
    );
    let (status, _) = customer
        .bytes(&format!(
            "/api/v1/applications/{id}/documents/business_licence"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
