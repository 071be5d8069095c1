//! The console reads through use cases that check roles: the audit filter offers the log's
//! whole vocabulary to an administrator, and a reviewer is refused the audit log by the use
//! case itself, whichever face asks.

use serde_json::json;
use services::people::actor::Actor;

use crate::harness::TestApp;

#[tokio::test]
async fn the_audit_filter_offers_every_action_and_only_administrators_read_the_log() {
    let test = TestApp::new().await;
    let mut admin = test.operator("wang-admin", "admin").await;
    let page = admin.page("/console/audit?action=operator.").await;
    assert_eq!(page.status, 200);
    for action in domain::AuditAction::ALL {
        let option = format!(
            r#"<option value="{}">{}</option>"#,
            action.as_str(),
            action.name_zh()
        );
        assert!(page.text.contains(&option), "the filter offers {action}");
    }
    assert!(
        page.text
            .contains(r#"<option value="certificate.">certificate.*</option>"#)
    );
    assert!(
        page.text.contains("创建操作员"),
        "rows say what the action means"
    );

    let mut reviewer = test.operator("li-shen", "reviewer").await;
    let api = reviewer
        .call("GET", "/api/v1/console/audit", json!(null))
        .await;
    assert_eq!(api.status, 403);
    assert_eq!(api.json()["error"]["code"], "role_required");
    assert_eq!(reviewer.page("/console/audit").await.status, 403);
    let reviewer_actor = Actor::Operator {
        id: 2,
        username: "li-shen".into(),
        roles: "reviewer".parse().unwrap(),
    };
    let filter = domain::AuditFilter::default();
    let refused = services::audit::list(&test.app, &reviewer_actor, &filter, 10).await;
    assert_eq!(
        refused.unwrap_err().code,
        "role_required",
        "the use case decides"
    );
}
