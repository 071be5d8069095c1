//! The USB key inventory on the in-process application: goods-in typed (a bad serial
//! refused by line, what was typed kept; a key received twice left as it was) and from a
//! vendor's delivery list, stock per model with the low-stock warning on the dashboard,
//! search by serial, a key's page with its history and the events a clerk applies by hand
//! (a reason required; only what the key's table allows); producers and administrators
//! only, in the service too. On SQLite and PostgreSQL.

use axum::http::StatusCode;
use services::flows::usb_key::{self, GoodsIn};
use services::people::actor::Actor;

use crate::harness::{TestApp, input_value};
use crate::orders::console_post;

#[tokio::test]
async fn keys_are_received_found_and_followed() {
    inventory(TestApp::new().await).await;
}

#[tokio::test]
async fn the_same_inventory_on_postgresql() {
    inventory(TestApp::on_postgres().await).await;
}

async fn inventory(test: TestApp) {
    let mut producer = test.operator("zhizheng", "producer").await;
    let page = producer.page("/console/keys").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("data-testid=\"no-stock\""));

    // A bad serial: refused naming its line; nothing received; what was typed is kept.
    let typed = [
        ("vendor", "飞天诚信"),
        ("model", "ePass3003"),
        ("batch", "FT-2026-12-01"),
        ("serials", "FT0000000001\nFT 0000000002\nFT0000000003"),
    ];
    let (status, text) =
        console_post(&mut producer, "/console/keys", "/console/keys", &typed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(
        text.contains("第 2 行") && text.contains("serials-error"),
        "{text}"
    );
    assert!(text.contains("FT-2026-12-01") && text.contains("FT 0000000002"));
    assert!(
        text.contains("data-testid=\"no-stock\""),
        "nothing received"
    );

    let typed = [
        ("vendor", "飞天诚信"),
        ("model", "ePass3003"),
        ("batch", "FT-2026-12-01"),
        ("serials", "FT0000000001\nFT0000000002\n\nFT0000000003\n"),
    ];
    let (status, text) =
        console_post(&mut producer, "/console/keys", "/console/keys", &typed).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("已入库 3 个介质"), "{text}");
    // Received again with one more: the three are left as they were.
    let again = [
        ("vendor", "飞天诚信"),
        ("model", "ePass3003"),
        ("batch", "FT-2026-12-02"),
        ("serials", "FT0000000003\nFT0000000004"),
    ];
    let (_, text) = console_post(&mut producer, "/console/keys", "/console/keys", &again).await;
    assert!(
        text.contains("已入库 1 个介质")
            && text.contains("此前已入库")
            && text.contains("FT0000000003"),
        "{text}"
    );

    // The vendor's delivery list: another vendor's model, columns in its own order.
    let list = "\u{feff}序列号,厂商,型号,批次\r\nWQ-A-0001,握奇,TimeCOS,WQ-01\r\nWQ-A-0002,握奇,TimeCOS,WQ-01\r\n";
    let shown = producer.page("/console/keys").await;
    let csrf = input_value(&shown.text, "csrf");
    let answer = producer
        .upload_with(
            "/console/keys/list",
            &[("csrf", csrf.as_str())],
            list.as_bytes(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert!(answer.text.contains("已入库 2 个介质"), "{}", answer.text);
    let bad = "vendor,model,serial,batch\nv,m,has space,b\n";
    let answer = producer
        .upload_with(
            "/console/keys/list",
            &[("csrf", csrf.as_str())],
            bad.as_bytes(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.text.contains("第 2 行"), "{}", answer.text);

    // Stock per model, both below the warning level (20), on the page and the dashboard.
    let actor = Actor::Cli("test".into());
    let stock = usb_key::stock(&test.app, &actor).await.unwrap();
    let counts: Vec<(&str, i64, bool)> = stock
        .iter()
        .map(|m| (m.model.as_str(), m.in_stock, m.low))
        .collect();
    assert_eq!(counts, [("TimeCOS", 2, true), ("ePass3003", 4, true)]);
    let page = producer.page("/console/keys").await;
    assert_eq!(page.text.matches("data-testid=\"low-stock\"").count(), 2);
    let dashboard = producer.page("/console").await;
    assert!(
        dashboard.text.contains("data-testid=\"low-stock-warning\"")
            && dashboard.text.contains("ePass3003"),
        "{}",
        dashboard.text
    );

    // Found by part of its serial (a LIKE wildcard is taken literally).
    let found = producer.page("/console/keys?q=0000000002").await;
    assert_eq!(found.text.matches("data-testid=\"key-row\"").count(), 1);
    assert!(found.text.contains("FT0000000002"));
    let none = producer.page("/console/keys?q=%25").await;
    assert!(
        none.text.contains("data-testid=\"no-keys\""),
        "{}",
        none.text
    );
    let key = usb_key::search(&test.app, &actor, "FT0000000002")
        .await
        .unwrap()[0]
        .id;

    // Its page: the history, and what a clerk may do by hand.
    let page = format!("/console/keys/{key}");
    let shown = producer.page(&page).await;
    assert!(
        shown.text.contains("在库") && shown.text.contains("介质入库"),
        "{}",
        shown.text
    );
    let damage = format!("{page}/damage");
    let (status, text) = console_post(&mut producer, &page, &damage, &[("reason", " ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("reason-error"), "{text}");
    let (status, _) = console_post(&mut producer, &page, &damage, &[("reason", "外壳破裂")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Production's own event is not done by hand; a damaged key is not produced onto.
    let (status, text) = console_post(
        &mut producer,
        &page,
        &format!("{page}/produce"),
        &[("reason", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    for (event, zh) in [("retire", "已注销"), ("reuse", "在库")] {
        let (status, _) = console_post(
            &mut producer,
            &page,
            &format!("{page}/{event}"),
            &[("reason", "返厂格式化")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{event}");
        let shown = producer.page(&page).await;
        assert!(shown.text.contains(zh), "{event}");
    }
    let (status, text) = console_post(
        &mut producer,
        &page,
        &format!("{page}/reuse"),
        &[("reason", "再来")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");
    let actions = test
        .audit_actions(&format!("usb_key:{key}"), "usb_key.")
        .await;
    assert_eq!(
        actions,
        [
            "usb_key.reuse",
            "usb_key.retire",
            "usb_key.damage",
            "usb_key.receive"
        ],
        "its history, newest first"
    );

    // Only producers and administrators: a finance operator is refused the page, and the
    // service refuses a customer whatever the face.
    let mut finance = test.operator("caiwu", "finance").await;
    assert_eq!(
        finance.page("/console/keys").await.status,
        StatusCode::FORBIDDEN
    );
    let refused = usb_key::receive_typed(
        &test.app,
        &Actor::Customer(1),
        &GoodsIn {
            vendor: "v".into(),
            model: "m".into(),
            batch: "b".into(),
            serials: "S1".into(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code, "role_required");
}
