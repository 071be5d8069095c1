//! Delegated OCSP responder certificates are issued on first start and renewed when they
//! come within the renewal margin of expiry; the new one signs from then on.

use std::time::Duration;

use certhall_services::{Pki, PkiSettings};
use store::Store;

async fn open(dir: &std::path::Path, renew_before: Duration) -> std::sync::Arc<Pki> {
    let store = Store::connect(&format!("sqlite://{}", dir.join("db").display()))
        .await
        .unwrap();
    let mut settings = PkiSettings::with_defaults(dir);
    settings.ocsp_responder_renew_before = renew_before;
    Pki::open(store, settings).await.unwrap()
}

async fn responders_issued(pki: &Pki) -> usize {
    store::audit::list(
        &pki.store,
        &store::audit::AuditFilter {
            action_prefix: "ocsp_responder.issue".into(),
            ..Default::default()
        },
        1000,
    )
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
    let first = pki.ocsp.responder_expiries();
    drop(pki);

    // Within the margin (30-day certificates, a 7-day margin): reused.
    let pki = open(dir.path(), Duration::from_secs(7 * 86_400)).await;
    assert_eq!(responders_issued(&pki).await, 6);
    drop(pki);

    // A margin longer than the certificates' life: every one is due, and renewed.
    let pki = open(dir.path(), Duration::from_secs(31 * 86_400)).await;
    assert_eq!(responders_issued(&pki).await, 12);
    let renewed = pki.ocsp.responder_expiries();
    assert_eq!(renewed.len(), first.len());
    for (ca, not_after) in renewed {
        let old = first.iter().find(|(c, _)| *c == ca).unwrap().1;
        assert!(
            not_after >= old,
            "the renewed responder of CA {ca} is the newer one"
        );
    }
}
