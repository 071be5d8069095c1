//! Delegated OCSP responder certificates are issued on first start and renewed when they
//! come within the renewal margin of expiry; the new one signs from then on.

use std::sync::Arc;
use std::time::Duration;

use certhall_services::people::actor::Actor;
use certhall_services::{App, Config, Notifiers, audit, ca};
use domain::time::SystemClock;
use providers::notify::sandbox::SandboxNotifier;

async fn open(dir: &std::path::Path, renew_before: Duration) -> Arc<App> {
    let mut config = Config::under(dir, Arc::new(SystemClock)).unwrap();
    config.ca.ocsp_responder_renew_before = renew_before;
    let sandbox = Arc::new(SandboxNotifier::new());
    let notifiers = Notifiers {
        sms: sandbox.clone(),
        email: sandbox,
    };
    let app = App::open(config, notifiers).await.unwrap();
    app.open_ca().await.unwrap();
    app
}

async fn responders_issued(app: &App) -> usize {
    let query = domain::AuditFilter {
        action_prefix: "ocsp_responder.issue".into(),
        ..Default::default()
    };
    audit::list(app, &Actor::System, &query, 1000)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn responders_are_renewed_before_they_expire() {
    let dir = tempfile::tempdir().unwrap();
    let pki = open(dir.path(), Duration::from_secs(7 * 86_400)).await;
    assert_eq!(
        responders_issued(&pki).await,
        6,
        "one per CA on first start"
    );
    let first = ca::ocsp::responder_expiries(&pki).await.unwrap();
    drop(pki);

    // Within the margin (30-day certificates, a 7-day margin): reused.
    let pki = open(dir.path(), Duration::from_secs(7 * 86_400)).await;
    assert_eq!(responders_issued(&pki).await, 6);
    drop(pki);

    // A margin longer than the certificates' life: every one is due, and renewed.
    let pki = open(dir.path(), Duration::from_secs(31 * 86_400)).await;
    assert_eq!(responders_issued(&pki).await, 12);
    let renewed = ca::ocsp::responder_expiries(&pki).await.unwrap();
    assert_eq!(renewed.len(), first.len());
    for (ca, not_after) in renewed {
        let old = first.iter().find(|(c, _)| *c == ca).unwrap().1;
        assert!(
            not_after >= old,
            "the renewed responder of CA {ca} is the newer one"
        );
    }
}
