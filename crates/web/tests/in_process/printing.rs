//! The printed authorisation letter and application form: real PDFs whose text
//! `pdftotext` gives back exactly, with the Chinese font embedded as a subset with
//! ToUnicode (`pdffonts`), A4, the same bytes for the same data, a check code that changes
//! with the data, for the owner only, and a form refused after review where the channel
//! says so.

use std::process::Command;

use axum::http::StatusCode;
use serde_json::json;

use crate::harness::{Client, TestApp};

const PHONE: &str = "13800138401";

async fn described(client: &mut Client<'_>) -> i64 {
    let start = json!({"channel": "huanbao", "product": "org-usbkey", "years": 1, "quantity": 1});
    let id = client
        .call("POST", "/api/v1/applications", start)
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let org = json!({"name": "北京环保科技有限公司", "nature": "enterprise", "industry": "C",
        "three_in_one": true, "uscc": "91350100M000100Y43", "department": "采购部",
        "custom": {"ten_ring_cert_no": "CCEL-2026-0001"}});
    let answer = client
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/subject"),
            json!({"version": 1, "organisation": org}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let agent =
        json!({"name": "张三", "email": "zhang@example.cn", "id_number": "11010519491231002X"});
    let answer = client
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/agent"),
            json!({"version": 2, "agent": agent}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    id
}

/// Runs a poppler tool on `pdf`; its standard output.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new(tool)
        .args(args)
        .arg(&path)
        .args(if tool == "pdftotext" {
            vec!["-"]
        } else {
            vec![]
        })
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils; scripts/test.sh installs it): {e}"));
    assert!(
        output.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The application's number, as the PDF prints it.
async fn answer_number(customer: &mut Client<'_>, id: i64) -> String {
    let answer = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await;
    answer.json()["number"].as_str().unwrap().to_string()
}

/// The text of the one QR code on the PDF's first page (rendered at 150 dpi by pdftoppm).
fn qr_payload(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = dir.path().join("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-singlefile"])
        .arg(&path)
        .arg(&out)
        .status()
        .expect("pdftoppm (poppler-utils; scripts/test.sh installs it)");
    assert!(status.success());
    let page = image::open(out.with_extension("png")).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(page);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the page");
    grids[0].decode().expect("a readable QR code").1
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[tokio::test]
async fn the_letter_is_a_real_pdf_whose_text_and_check_code_follow_the_data() {
    let test = TestApp::new().await;
    let mut customer = test.customer(PHONE, [10, 3, 0, 1]).await;
    let id = described(&mut customer).await;
    let url = format!("/api/v1/applications/{id}/pdf/letter");
    let answer = customer.bytes(&url).await;
    assert_eq!(answer.0, StatusCode::OK);
    let pdf = answer.1;
    assert!(pdf.starts_with(b"%PDF-"));
    let text = squeeze(&poppler("pdftotext", &["-raw"], &pdf));
    for expected in [
        "实名认证申请授权书",
        "北京环保科技有限公司",
        "91350100M000100Y43",
        "采购部",
        "张三",
        "11010519491231002X",
        "13800138401",
        "（加盖单位公章）",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let code = text.split("核验码：").nth(1).unwrap()[..9].to_string();
    assert!(code.chars().nth(4) == Some('-'), "{code}");
    // The QR code at the foot says the same: the page rendered by poppler, read back.
    let number = answer_number(&mut customer, id).await;
    assert_eq!(qr_payload(&pdf), format!("CERTHALL-CHECK:{number}:{code}"));
    let fonts = poppler("pdffonts", &[], &pdf);
    let font_line = fonts.lines().nth(2).expect("a font");
    assert!(
        font_line.contains("yes yes yes"),
        "embedded, subset, ToUnicode: {fonts}"
    );
    assert_eq!(fonts.lines().count(), 3, "one font: {fonts}");
    let info = poppler("pdfinfo", &[], &pdf);
    assert!(info.contains("595.28 x 841.89"), "A4: {info}");
    // The same data, the same bytes.
    assert_eq!(customer.bytes(&url).await.1, pdf);

    // A change of the data printed changes the code: the old letter no longer passes.
    let org = json!({"name": "北京环保科技有限公司", "nature": "enterprise", "industry": "C",
        "three_in_one": true, "uscc": "91350100M000100Y43", "department": "采购二部",
        "custom": {"ten_ring_cert_no": "CCEL-2026-0001"}});
    let answer = customer
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/subject"),
            json!({"version": 3, "organisation": org}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let again = squeeze(&poppler(
        "pdftotext",
        &["-raw"],
        &customer.bytes(&url).await.1,
    ));
    assert!(again.contains("采购二部"));
    assert!(!again.contains(&code), "a new check code");

    // Another customer gets nothing.
    let mut stranger = test.customer("13900139402", [10, 3, 0, 2]).await;
    assert_eq!(stranger.bytes(&url).await.0, StatusCode::NOT_FOUND);
    // A reviewer prints it too (audited); a shipper may not.
    let mut shipper = test.operator("fahuoyuan", "shipper").await;
    let console = format!("/console/applications/{id}/print/letter.pdf");
    assert_eq!(shipper.bytes(&console).await.0, StatusCode::FORBIDDEN);
    let mut reviewer = test.operator("shenheyuan", "reviewer").await;
    let (status, printed) = reviewer.bytes(&console).await;
    assert_eq!(status, StatusCode::OK);
    assert!(squeeze(&poppler("pdftotext", &["-raw"], &printed)).contains("采购二部"));
    let filter = domain::AuditFilter {
        action_prefix: "application.document_view".into(),
        ..Default::default()
    };
    let cli = services::people::actor::Actor::Cli("test".into());
    let events = services::audit::list(&test.app, &cli, &filter, 10)
        .await
        .unwrap();
    assert!(events[0].details.contains("letter") && events[0].actor.contains("shenheyuan"));
    // The form prints too; an unknown kind is not found.
    let form = customer
        .bytes(&format!("/api/v1/applications/{id}/pdf/form"))
        .await;
    assert_eq!(form.0, StatusCode::OK);
    let form_text = squeeze(&poppler("pdftotext", &["-raw"], &form.1));
    assert!(form_text.contains("数字证书申请表"));
    let form_code = &form_text.split("核验码：").nth(1).unwrap()[..9];
    assert_eq!(
        qr_payload(&form.1),
        format!("CERTHALL-CHECK:{number}:{form_code}")
    );
    assert_eq!(
        customer
            .bytes(&format!("/api/v1/applications/{id}/pdf/cv"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_name_with_a_character_the_font_lacks_is_refused_with_the_character() {
    let test = TestApp::new().await;
    let mut customer = test.customer(PHONE, [10, 3, 0, 3]).await;
    let id = described(&mut customer).await;
    let org = json!({"name": "北京𠀀环保科技有限公司", "nature": "enterprise", "industry": "C",
        "three_in_one": true, "uscc": "91350100M000100Y43",
        "custom": {"ten_ring_cert_no": "CCEL-2026-0001"}});
    let answer = customer
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/subject"),
            json!({"version": 3, "organisation": org}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = customer
        .call(
            "GET",
            &format!("/api/v1/applications/{id}/pdf/letter"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["code"], "unprintable_characters");
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("𠀀")
    );
}

/// fjca wants paper (seed 003): once an application is submitted, its receipt (回执单)
/// lists what goes in the envelope and where it goes; not before, and not in a channel
/// that wants nothing mailed. A slot only another channel lists is refused by name.
#[tokio::test]
async fn the_receipt_says_what_to_mail_once_submitted() {
    let test = TestApp::new().await;
    let mut customer = test.customer(PHONE, [10, 3, 0, 3]).await;
    let start = json!({"channel": "fjca", "product": "person-cert", "years": 1, "quantity": 1});
    let answer = customer.call("POST", "/api/v1/applications", start).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let id = answer.json()["id"].as_i64().unwrap();
    let person = json!({"name": "李四", "id_number": "11010519491231002X", "address": "福州市鼓楼区五四路1号"});
    let agent =
        json!({"name": "李四", "email": "li@example.cn", "id_number": "11010519491231002X"});
    let delivery = json!({
        "courier": "ems", "save_address": false,
        "address": {"recipient": "李四", "phone": PHONE, "province": "福建省", "city": "福州市",
                    "district": "鼓楼区", "detail": "五四路1号", "postal_code": "350001"},
        "invoice": {"needed": false},
    });
    let mut version = 1;
    for (step, mut body) in [
        ("subject", json!({"individual": person})),
        ("agent", json!({"agent": agent})),
        ("delivery", delivery),
    ] {
        body["version"] = json!(version);
        let answer = customer
            .call("PUT", &format!("/api/v1/applications/{id}/{step}"), body)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{step}: {}", answer.text);
        version = answer.json()["version"].as_i64().unwrap();
    }
    let photo = crate::harness::jpeg(64, 48);
    let refused = customer
        .upload(
            &format!("/api/v1/applications/{id}/documents/extra.ten_ring_certificate"),
            &photo,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"]["code"], "slot_not_needed");
    for slot in ["holder_id_front", "holder_id_back"] {
        let answer = customer
            .upload(
                &format!("/api/v1/applications/{id}/documents/{slot}"),
                &photo,
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{slot}: {}",
            answer.text
        );
        version = answer.json()["version"].as_i64().unwrap();
    }
    let shown = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await
        .json();
    let body = json!({"version": version, "agreement_version": shown["agreement_version"]});
    let answer = customer
        .call("PUT", &format!("/api/v1/applications/{id}/agreement"), body)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    version = answer.json()["version"].as_i64().unwrap();

    let receipt = format!("/api/v1/applications/{id}/pdf/receipt");
    let before = customer.call("GET", &receipt, json!(null)).await;
    assert_eq!(before.status, StatusCode::CONFLICT);
    assert_eq!(
        before.json()["error"]["message"],
        "申请提交后才能打印回执单"
    );
    test.sign_and_submit(&mut customer, PHONE, id, version)
        .await;

    let (status, pdf) = customer.bytes(&receipt).await;
    assert_eq!(status, StatusCode::OK);
    let text = squeeze(&poppler("pdftotext", &["-raw"], &pdf));
    let number = answer_number(&mut customer, id).await;
    for expected in [
        "申请回执单",
        number.as_str(),
        "李四",
        "福建CA网上业务大厅",
        "请将以下材料一并邮寄至",
        "福建CA受理中心收，电话0591-968975",
        "1.本回执单",
        "4.经办人身份证复印件",
        "提交日期",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    // The receipt travels on top of the papers: no identity number on it.
    assert!(!text.contains("11010519491231002X"), "{text}");
    // The customer's page offers it, with the list of papers.
    let page = customer.page(&format!("/applications/{id}")).await;
    assert!(page.text.contains("receipt.pdf"), "{}", page.text);
    assert!(page.text.contains("邮寄纸质材料"));

    // huanbao wants no paper.
    let other = described(&mut customer).await;
    let answer = customer
        .call(
            "GET",
            &format!("/api/v1/applications/{other}/pdf/receipt"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.json()["error"]["code"], "not_printable");
}
