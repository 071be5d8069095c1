//! The audit log: every issuance and revocation is recorded, the log is append-only, and
//! `audit verify` finds the first altered or missing event.

mod common;
use common::*;

fn sqlite(instance: &Instance, sql: &str) -> std::process::Output {
    std::process::Command::new("python3")
        .args(["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()"])
        .arg(instance.path("data/certhall.db"))
        .arg(sql)
        .output()
        .expect("python3")
}

#[test]
fn audit_chain_records_changes_and_reports_the_first_broken_link() {
    let instance = Instance::sqlite();
    let (_, serial) = instance.issue("ecdsa-ca", "person-sign", "/CN=审计");
    instance.ok(&[
        "ca",
        "revoke",
        "--serial",
        &serial,
        "--reason",
        "superseded",
    ]);
    let listing = instance.ok(&["audit", "list", "--limit", "100"]);
    assert!(
        listing.contains("certificate.issue") && listing.contains("certificate.revoke"),
        "{listing}"
    );
    assert!(
        listing.contains(&format!("certificate:{serial}")),
        "{listing}"
    );
    assert!(
        listing.contains("ca.create") && listing.contains("ocsp_responder.issue"),
        "{listing}"
    );
    instance.ok(&["ca", "crl", "--ca", "ecdsa-ca"]);
    let crls = instance.ok(&["audit", "list", "--action", "crl.publish"]);
    assert!(
        crls.contains("ca:ecdsa-ca") && crls.contains("\"entries\":1") && crls.contains("cli:"),
        "{crls}"
    );
    let ok = instance.ok(&["audit", "verify"]);
    assert!(ok.contains("audit chain intact"), "{ok}");

    // The log refuses changes through SQL...
    let refused = sqlite(
        &instance,
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3",
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("append-only"));
    // ...and someone who removes the guard is caught by the chain.
    let tampered = sqlite(
        &instance,
        "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET actor = 'mallory' WHERE seq = 3",
    );
    assert!(
        tampered.status.success(),
        "{}",
        String::from_utf8_lossy(&tampered.stderr)
    );
    let out = instance.run(&["audit", "verify"]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("BROKEN at event 3") && text.contains("altered"),
        "{text}"
    );
}

#[test]
fn a_deleted_event_is_reported() {
    let instance = Instance::sqlite();
    instance.issue("rsa-ca", "person-sign", "/CN=删除");
    let out = sqlite(
        &instance,
        "DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE seq = 2",
    );
    assert!(out.status.success());
    let out = instance.run(&["audit", "verify"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("BROKEN at event 2"));
}
