//! The binary's face: `certhall-key keys` lists the inserted keys of a module (a SoftHSM2
//! key here) with vendor, model, serial and label; `produce` without its server refuses
//! with the usage. The production itself is tested against a served CertHall in
//! `crates/web/tests/in_process/production.rs` (through this crate's library).

use std::process::Command;

#[test]
fn keys_are_listed_and_produce_needs_its_server() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!("directories.tokendir = {}\n", tokens.display()),
    )
    .unwrap();
    let made = Command::new("softhsm2-util")
        .env("SOFTHSM2_CONF", &conf)
        .args([
            "--init-token",
            "--free",
            "--label",
            "BLANK",
            "--so-pin",
            "12345678",
            "--pin",
            "87654321",
        ])
        .output()
        .expect("softhsm2-util");
    assert!(made.status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_certhall-key"))
        .env("SOFTHSM2_CONF", &conf)
        .args(["keys", "--module", "/usr/lib/softhsm/libsofthsm2.so"])
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
        .args(["produce", "--module", "/usr/lib/softhsm/libsofthsm2.so"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--server"));
}
