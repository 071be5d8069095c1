//! CA keys in a PKCS#11 token (SoftHSM2): `ca init` generates the RSA and ECDSA CA keys in
//! the token; certificates, CRLs and OCSP then work as with software keys. SoftHSM2 has
//! no SM2 mechanism, so the SM2 CAs stay in software (docs/HSM.md).

mod common;
use common::*;

use token::softhsm::MODULE;

#[test]
fn ca_keys_live_in_softhsm2() {
    let mut instance = Instance::sqlite();
    let conf = token::softhsm::configure(&instance.path("softhsm")).unwrap();
    token::softhsm::init_token(&conf, "certhall-ca", "87654321", "12345678").unwrap();
    let pin = instance.path("pin");
    std::fs::write(&pin, "12345678\n").unwrap();
    instance
        .extra_env
        .push(("SOFTHSM2_CONF".into(), conf.display().to_string()));

    let out = instance.ok(&[
        "ca",
        "init",
        "--pkcs11-module",
        MODULE,
        "--pkcs11-token",
        "certhall-ca",
        "--pkcs11-pin-file",
        pin.to_str().unwrap(),
    ]);
    assert!(out.contains("pkcs11"), "{out}");
    let again = instance.run(&["ca", "init"]);
    assert!(!again.status.success(), "a second init is refused");

    // Without the PIN the HSM CAs cannot be opened, and the error says what to set.
    let out = instance.run(&["ca", "list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("CERTHALL_PKCS11_PIN_FILE"));

    instance
        .extra_env
        .push(("CERTHALL_PKCS11_PIN_FILE".into(), pin.display().to_string()));
    let list: serde_json::Value =
        serde_json::from_str(&instance.ok(&["ca", "list", "--json"])).unwrap();
    for ca in list.as_array().unwrap() {
        let expected = if ca["algorithm"] == "sm2" {
            "software"
        } else {
            "pkcs11"
        };
        assert_eq!(ca["key_storage"], expected, "{ca}");
    }
    let objects = std::process::Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", &conf)
        .args([
            "--module",
            MODULE,
            "--token-label",
            "certhall-ca",
            "--login",
            "--pin",
            "12345678",
            "--list-objects",
        ])
        .output()
        .expect("pkcs11-tool (package opensc)");
    let listing = String::from_utf8_lossy(&objects.stdout);
    for label in ["rsa-root", "rsa-ca", "ecdsa-root", "ecdsa-ca"] {
        assert!(
            listing.contains(&format!("label:      {label}")),
            "{label} not in the token:\n{listing}"
        );
    }
    assert!(!listing.contains("sm2-"), "SoftHSM2 holds no SM2 keys");

    for family in ["ecdsa", "rsa"] {
        let root = instance.ca_cert(&format!("{family}-root"));
        let ca = instance.ca_cert(&format!("{family}-ca"));
        openssl(&[
            "verify",
            "-check_ss_sig",
            "-CAfile",
            root.to_str().unwrap(),
            root.to_str().unwrap(),
        ]);
        let (leaf, serial) = instance.issue(&format!("{family}-ca"), "person-sign", "/CN=硬件");
        let out = openssl(&[
            "verify",
            "-CAfile",
            root.to_str().unwrap(),
            "-untrusted",
            ca.to_str().unwrap(),
            leaf.to_str().unwrap(),
        ]);
        assert!(out.contains(": OK"), "{out}");
        instance.ok(&[
            "ca",
            "revoke",
            "--serial",
            &serial,
            "--reason",
            "superseded",
        ]);
        let crl = instance.path(&format!("{family}-hsm.crl"));
        instance.ok(&[
            "ca",
            "crl",
            "--ca",
            &format!("{family}-ca"),
            "--out",
            crl.to_str().unwrap(),
        ]);
        let chain = instance.chain(family);
        let out = openssl(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            crl.to_str().unwrap(),
            "-CAfile",
            chain.to_str().unwrap(),
            "-noout",
        ]);
        assert!(out.contains("verify OK"), "{out}");
    }
}
