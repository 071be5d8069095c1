//! The consent to the service agreement is a rule of registration, whatever the face: the
//! API refuses a registration without it, as the page does, and the audit log records the
//! agreement's version with each registration.

use serde_json::json;
use services::people::actor::Actor;

use crate::harness::TestApp;

#[tokio::test]
async fn the_api_registers_nobody_who_has_not_accepted_the_agreement() {
    let test = TestApp::new().await;
    let mut client = test.client([10, 0, 1, 1]);
    let phone = "13800138011";
    let answer = client
        .call(
            "POST",
            "/api/v1/sms-codes",
            json!({"phone": phone, "purpose": "register"}),
        )
        .await;
    assert_eq!(answer.status, 202);
    let code = test.sms_code(phone).await;

    let answer = client
        .call(
            "POST",
            "/api/v1/accounts",
            json!({"phone": phone, "code": code, "password": "goodpass123"}),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert_eq!(
        (
            answer.json()["error"]["code"].as_str(),
            answer.json()["error"]["field"].as_str()
        ),
        (Some("missing_field"), Some("agree"))
    );
    let refused = json!({"phone": phone, "code": code, "password": "goodpass123", "agree": false});
    let answer = client.call("POST", "/api/v1/accounts", refused).await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.json()["error"]["code"], "terms_not_accepted");
    assert_eq!(answer.json()["error"]["field"], "agree");
    assert_eq!(answer.json()["error"]["message"], "请阅读并同意服务协议");

    // The code was not spent by the refusals: the consent is checked before it.
    let accepted = json!({"phone": phone, "code": code, "password": "goodpass123", "agree": true});
    let answer = client.call("POST", "/api/v1/accounts", accepted).await;
    assert_eq!(answer.status, 201, "{}", answer.text);

    let filter = domain::AuditFilter {
        action_prefix: "customer.register".into(),
        ..Default::default()
    };
    let events = services::audit::list(&test.app, &Actor::Cli("test".into()), &filter, 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let details: serde_json::Value = serde_json::from_str(&events[0].details).unwrap();
    assert_eq!(details["terms_accepted"], test.app.hall.site.terms_version);
}
