//! Invoices on the in-process application: paying an order requests the invoice its
//! applications asked for; the sandbox invoicing platform issues the electronic one in
//! the background round (once, however often it runs), the customer downloads the PDF and
//! the XML and gets the e-mail, another customer reaches nothing; finance attaches a paper
//! invoice issued elsewhere (bad number and wrong file refused by name), adds its XML, and
//! mails it with a tracking number the customer reads by SMS.

use axum::http::StatusCode;
use serde_json::json;

use crate::harness::{TestApp, input_value, jpeg};
use crate::orders::{console_post, pay_by_transfer, submitted_fjca};

#[tokio::test]
async fn an_electronic_invoice_is_issued_once_downloaded_and_mailed() {
    let test = TestApp::new().await;
    let phone = "13800138801";
    let mut customer = test.customer(phone, [10, 8, 0, 1]).await;
    let org = json!({"name": "福州发票测试有限公司", "nature": "enterprise", "industry": "C",
                     "three_in_one": true, "uscc": "91350100M000100Y43", "department": "财务部"});
    let application = submitted_fjca(&test, &mut customer, phone, org).await;
    let order = pay_by_transfer(&test, &mut customer, &[application], "caiwu").await;
    let shown = crate::online::order_json(&mut customer, order).await;
    let invoice = &shown["invoices"][0];
    assert_eq!(invoice["status"], "requested", "{shown}");
    assert_eq!(invoice["kind"], "electronic_normal");
    assert_eq!(invoice["title"], "福州发票测试有限公司");
    assert_eq!(invoice["amount_fen"], shown["amount_fen"]);
    let id = invoice["id"].as_i64().unwrap();
    // Finance sees it in the queue, due a day after payment.
    let mut finance = test.operator("caiwu2", "finance").await;
    let queue = finance.page("/console/invoices").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(
        queue.text.contains("data-testid=\"invoice-row\"")
            && queue.text.contains("福州发票测试有限公司")
    );

    // The background round has the sandbox issue it, once.
    assert_eq!(
        services::jobs::invoices::run_once(&test.app).await.unwrap(),
        1
    );
    assert_eq!(
        services::jobs::invoices::run_once(&test.app).await.unwrap(),
        0
    );
    let shown = crate::online::order_json(&mut customer, order).await;
    let invoice = &shown["invoices"][0];
    assert_eq!(invoice["status"], "issued");
    assert_eq!(invoice["formats"], json!(["pdf", "xml"]));
    let number = invoice["number"].as_str().unwrap().to_string();
    assert_eq!(number.len(), 20);

    // 电子发票下载 on the order page, and the XML through the API.
    let page = customer.page(&format!("/orders/{order}")).await;
    assert!(page.text.contains("data-testid=\"invoice-download\""));
    let (status, pdf) = customer
        .bytes(&format!("/orders/{order}/invoices/{id}/pdf"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));
    let xml = customer
        .call(
            "GET",
            &format!("/api/v1/orders/{order}/invoices/{id}/xml"),
            json!(null),
        )
        .await;
    assert_eq!(xml.status, StatusCode::OK);
    assert_eq!(xml.headers["content-type"], "application/xml");
    assert!(xml.text.contains(&format!("<EIid>{number}</EIid>")));
    assert!(
        xml.text
            .contains("<BuyerName>福州发票测试有限公司</BuyerName>")
    );
    // The file is sealed at rest: its bytes are in no stored object.
    let stored = crate::documents::stored_objects(&test);
    assert!(!stored.is_empty());
    for object in stored {
        let blob = std::fs::read(object).unwrap();
        assert!(!blob.windows(32).any(|w| w == &pdf[..32]));
    }

    // The e-mail goes to the address given with the application.
    test.run_jobs().await;
    let mail = test.email.delivered_to("fp@example.cn");
    assert!(mail.iter().any(|m| m.text.contains(&number)), "{mail:?}");

    // Another customer reaches nothing: the same answer as for no such invoice.
    let mut stranger = test.customer("13900139801", [10, 8, 0, 2]).await;
    let (status, _) = stranger
        .bytes(&format!("/orders/{order}/invoices/{id}/pdf"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let answer = stranger
        .call(
            "GET",
            &format!("/api/v1/orders/{order}/invoices/{id}/pdf"),
            json!(null),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    // Finance's download is audited.
    let (status, _) = finance
        .bytes(&format!("/console/orders/{order}/invoices/{id}/pdf"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions = test
        .audit_actions(&format!("order:{order}"), "invoice.")
        .await;
    for action in ["invoice.request", "invoice.issue", "invoice.view"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn finance_attaches_a_paper_invoice_adds_its_xml_and_mails_it() {
    let test = TestApp::new().await;
    let phone = crate::applications::PHONE;
    let mut customer = test.customer(phone, [10, 8, 1, 1]).await;
    let (id, version) = crate::applications::filled(&mut customer, "91350100M000100Y43").await;
    // A paper invoice instead (huanbao offers both; mailed within 30 days).
    let delivery = json!({
        "version": version, "courier": "sto", "save_address": false,
        "address": {"recipient": "张三", "phone": phone, "province": "北京市", "city": "北京市",
                    "district": "海淀区", "detail": "中关村大街1号", "postal_code": "100080"},
        "invoice": {"needed": true, "kind": "paper_normal"},
    });
    let answer = customer
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/delivery"),
            delivery,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let version = answer.json()["version"].as_i64().unwrap();
    test.sign_and_submit(&mut customer, phone, id, version)
        .await;
    let order = pay_by_transfer(&test, &mut customer, &[id], "caiwu").await;
    let shown = crate::online::order_json(&mut customer, order).await;
    let invoice = shown["invoices"][0]["id"].as_i64().unwrap();
    assert_eq!(shown["invoices"][0]["kind"], "paper_normal");
    let paid_at = shown["paid_at"].as_i64().unwrap();
    assert_eq!(
        shown["invoices"][0]["due_at"].as_i64().unwrap(),
        paid_at + 30 * 86_400
    );
    // Paper invoices are not issued by the background round.
    assert_eq!(
        services::jobs::invoices::run_once(&test.app).await.unwrap(),
        0
    );

    let mut finance = test.operator("caiwu2", "finance").await;
    let page = format!("/console/invoices/{invoice}");
    let attach = format!("{page}/files/attach");
    let shown = finance.page(&page).await;
    let csrf = input_value(&shown.text, "csrf");
    let pdf = b"%PDF-1.7\n% an invoice issued on the tax platform\n".to_vec();
    // A number that is not one, and an image instead of the PDF: refused by name.
    let answer = finance
        .upload_with(&attach, &[("csrf", &csrf), ("number", "12345")], &pdf)
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text
    );
    assert!(answer.text.contains("number-error") && answer.text.contains("发票号码应为20位数字"));
    let number = "26112000000000012345";
    let answer = finance
        .upload_with(
            &attach,
            &[("csrf", &csrf), ("number", number)],
            &jpeg(32, 32),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text
    );
    assert!(answer.text.contains("file-error"));
    let answer = finance
        .upload_with(&attach, &[("csrf", &csrf), ("number", number)], &pdf)
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    // Attached twice: refused, the first stands.
    let answer = finance
        .upload_with(&attach, &[("csrf", &csrf), ("number", number)], &pdf)
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.text);
    let xml = b"<?xml version=\"1.0\"?><EInvoice/>".to_vec();
    let answer = finance
        .upload_with(&format!("{page}/files/add-file"), &[("csrf", &csrf)], &xml)
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    let (status, got) = customer
        .bytes(&format!("/orders/{order}/invoices/{invoice}/pdf"))
        .await;
    assert_eq!((status, got), (StatusCode::OK, pdf));

    // Mailed: a bad tracking number is refused by name; then the customer reads it.
    let mail = format!("{page}/mail");
    let (status, text) = console_post(
        &mut finance,
        &page,
        &mail,
        &[("courier", "申通快递"), ("tracking_no", "12")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("tracking_no-error"));
    let (status, text) = console_post(
        &mut finance,
        &page,
        &mail,
        &[("courier", "申通快递"), ("tracking_no", "773012345678")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    let shown = crate::online::order_json(&mut customer, order).await;
    assert_eq!(shown["invoices"][0]["status"], "mailed");
    assert_eq!(shown["invoices"][0]["tracking_no"], "773012345678");
    assert_eq!(shown["invoices"][0]["formats"], json!(["pdf", "xml"]));
    test.run_jobs().await;
    assert!(
        test.sms
            .delivered_to(phone)
            .iter()
            .any(|m| m.text.contains("773012345678"))
    );
    // Nothing is left in finance's queue.
    let queue = finance.page("/console/invoices").await;
    assert!(queue.text.contains("data-testid=\"invoices-empty\""));
}
