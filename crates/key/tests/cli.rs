//! The binary's face: `certhall-key keys` lists the inserted keys of a module (a SoftHSM2
//! key here) with vendor, model, serial and label; `produce` without its server refuses
//! with the usage. The production itself is tested against a served CertHall in
//! `crates/web/tests/in_process/production.rs` (through this crate's library).

use std::process::Command;

#[test]
fn keys_are_listed_and_produce_needs_its_server() {
    let dir = tempfile::tempdir().unwrap();
    let conf = token::softhsm::configure(dir.path()).unwrap();
    token::softhsm::init_token(&conf, "BLANK", "12345678", "87654321").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_certhall-key"))
        .env("SOFTHSM2_CONF", &conf)
        .args(["keys", "--module", token::softhsm::MODULE])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("SoftHSM project\tSoftHSM v2\t") && text.contains("BLANK"),
        "{text}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_certhall-key"))
        .args(["produce", "--module", token::softhsm::MODULE])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--server"));
}
