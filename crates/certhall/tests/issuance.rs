//! Issuance through the CLI: every profile of every family verifies with OpenSSL and
//! passes pkilint; SM2 signatures OpenSSL 3.0 cannot check are checked independently; bad
//! input gets a clear error naming the field.

mod common;
use common::*;

fn subject_for(profile: &str) -> String {
    match profile {
        "person-sign" => "/C=CN/CN=张三".into(),
        "ocsp" => "/C=CN/O=CertHall/CN=Test OCSP Responder".into(),
        _ => format!(
            "/C=CN/ST=福建省/L=福州市/O=测试科技有限公司/OU=采购部/organizationIdentifier={USCC}/CN=测试科技有限公司"
        ),
    }
}

#[test]
fn every_profile_of_every_family_verifies_with_openssl_and_passes_pkilint() {
    let instance = Instance::sqlite();
    for family in ["ecdsa", "rsa", "sm2"] {
        let root = instance.ca_cert(&format!("{family}-root"));
        let ca = instance.ca_cert(&format!("{family}-ca"));
        pkilint("lint_pkix_cert", &[], &root);
        pkilint("lint_pkix_cert", &[], &ca);
        for profile in ["org-sign", "org-enc", "person-sign", "ocsp"] {
            let (cert, serial) =
                instance.issue(&format!("{family}-ca"), profile, &subject_for(profile));
            assert_eq!(serial.len(), 32, "128-bit serial expected, got {serial}");
            let (c, r, i) = (
                cert.to_str().unwrap(),
                root.to_str().unwrap(),
                ca.to_str().unwrap(),
            );
            if family == "sm2" {
                // OpenSSL 3.0 checks SM2 certificates with the user ID, one CA at a time
                // (openssl#23471), and cannot check the root's self-signature at all.
                let out = openssl(&[
                    "verify",
                    "-vfyopt",
                    SM2_ID,
                    "-partial_chain",
                    "-CAfile",
                    i,
                    c,
                ]);
                assert!(out.contains(": OK"), "{out}");
                sm2_verify("cert", &ca, &cert);
                sm2_verify("cert", &root, &ca);
                sm2_verify("cert", &root, &root);
            } else {
                let out = openssl(&["verify", "-CAfile", r, "-untrusted", i, c]);
                assert!(out.contains(": OK"), "{out}");
                openssl(&["verify", "-check_ss_sig", "-CAfile", r, r]);
            }
            pkilint("lint_pkix_cert", &[], &cert);
            let text = openssl(&["x509", "-in", c, "-noout", "-text", "-nameopt", "utf8"]);
            assert!(
                text.contains("CA Issuers - URI:http://127.0.0.1:8080/pki/ca/"),
                "{text}"
            );
            assert!(
                text.contains("URI:http://127.0.0.1:8080/pki/crl/"),
                "{text}"
            );
            assert!(text.contains("X509v3 Certificate Policies"), "{text}");
            match profile {
                "org-sign" | "org-enc" => {
                    assert!(
                        text.contains("O=测试科技有限公司") && text.contains("OU=采购部"),
                        "{text}"
                    );
                    assert!(
                        text.contains(&format!("organizationIdentifier={USCC}")),
                        "{text}"
                    );
                    assert_eq!(
                        text.contains("1.2.156.10260.4.4"),
                        family == "sm2",
                        "GM/T 0015 extension only for SM2:\n{text}"
                    );
                }
                "person-sign" => assert!(text.contains("CN=张三"), "{text}"),
                "ocsp" => {
                    assert!(
                        text.contains("OCSP Signing") && text.contains("OCSP No Check"),
                        "{text}"
                    );
                }
                _ => {}
            }
            let expected_usage = match (profile, family) {
                ("org-enc", "rsa") => "Key Encipherment, Data Encipherment",
                ("org-enc", "ecdsa") => "Key Agreement",
                ("org-enc", "sm2") => "Key Agreement",
                ("ocsp", _) => "Digital Signature",
                _ => "Digital Signature, Non Repudiation",
            };
            assert!(
                text.contains(expected_usage),
                "{profile}/{family} key usage:\n{text}"
            );
        }
    }
}

#[test]
fn ca_list_json_has_the_documented_fields_and_a_second_start_reuses_the_cas() {
    let instance = Instance::sqlite();
    let first: serde_json::Value =
        serde_json::from_str(&instance.ok(&["ca", "list", "--json"])).unwrap();
    let cas = first.as_array().unwrap();
    assert_eq!(cas.len(), 6);
    for family in ["sm2", "rsa", "ecdsa"] {
        for (suffix, role) in [("root", "root"), ("ca", "issuing")] {
            let ca = cas
                .iter()
                .find(|c| c["name"] == format!("{family}-{suffix}"))
                .expect("CA listed");
            assert_eq!(ca["algorithm"], family);
            assert_eq!(ca["role"], role);
            assert_eq!(ca["sha256"].as_str().unwrap().len(), 64);
            assert!(ca["subject"].as_str().unwrap().contains("CN=CertHall"));
            assert!(ca["not_after"].as_str().unwrap().starts_with("20"));
        }
    }
    let second: serde_json::Value =
        serde_json::from_str(&instance.ok(&["ca", "list", "--json"])).unwrap();
    assert_eq!(first, second, "the second start must reuse the same CAs");
    let rsa_root = openssl(&[
        "x509",
        "-in",
        instance.ca_cert("rsa-root").to_str().unwrap(),
        "-noout",
        "-text",
    ]);
    assert!(
        rsa_root.contains("Public-Key: (3072 bit)"),
        "RSA root is 3072 bits"
    );
    let rsa_ca = openssl(&[
        "x509",
        "-in",
        instance.ca_cert("rsa-ca").to_str().unwrap(),
        "-noout",
        "-text",
    ]);
    assert!(
        rsa_ca.contains("Public-Key: (2048 bit)"),
        "RSA issuing CA is 2048 bits"
    );
    let key_mode = std::fs::metadata(instance.path("data/master.key")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(key_mode.permissions().mode() & 0o777, 0o600);
}

#[test]
fn profiles_are_listed_with_their_contents() {
    let instance = Instance::sqlite();
    let text = instance.ok(&["ca", "profiles"]);
    for needle in [
        "org-sign",
        "org-enc",
        "person-sign",
        "ocsp",
        "organizationIdentifier",
        "OCSPSigning",
        "GM/T 0015",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&instance.ok(&["ca", "profiles", "--json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 4);
}

fn stderr_of(instance: &Instance, args: &[&str]) -> String {
    let out = instance.run(args);
    assert!(!out.status.success(), "certhall {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_input_gets_clear_errors() {
    let instance = Instance::sqlite();
    let dir = instance.dir.path();
    let garbage = dir.join("garbage.csr");
    std::fs::write(
        &garbage,
        b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
    )
    .unwrap();
    let err = stderr_of(
        &instance,
        &[
            "ca",
            "issue",
            "--ca",
            "ecdsa-ca",
            "--profile",
            "org-sign",
            "--csr",
            garbage.to_str().unwrap(),
        ],
    );
    assert!(err.contains("csr:") && err.contains("PKCS#10"), "{err}");

    // A CSR whose signature does not match: flip a byte of the signature.
    let good = make_csr(
        dir,
        "ecdsa",
        &format!("/O=X/organizationIdentifier={USCC}/CN=X"),
    );
    let der = dir.join("bad.der");
    openssl(&[
        "req",
        "-in",
        good.to_str().unwrap(),
        "-outform",
        "DER",
        "-out",
        der.to_str().unwrap(),
    ]);
    let mut bytes = std::fs::read(&der).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x55;
    std::fs::write(&der, &bytes).unwrap();
    let err = stderr_of(
        &instance,
        &[
            "ca",
            "issue",
            "--ca",
            "ecdsa-ca",
            "--profile",
            "org-sign",
            "--csr",
            der.to_str().unwrap(),
        ],
    );
    assert!(err.contains("signature does not verify"), "{err}");

    // An RSA key sent to the SM2 CA.
    let rsa = make_csr(dir, "rsa", "/CN=张三");
    let err = stderr_of(
        &instance,
        &[
            "ca",
            "issue",
            "--ca",
            "sm2-ca",
            "--profile",
            "person-sign",
            "--csr",
            rsa.to_str().unwrap(),
        ],
    );
    assert!(err.contains("RSA") && err.contains("SM2"), "{err}");

    // Organisation profile without a USCC; a wrong USCC; a root CA; an unknown profile.
    let no_uscc = make_csr(dir, "ecdsa", "/O=某公司/CN=某公司");
    let err = stderr_of(
        &instance,
        &[
            "ca",
            "issue",
            "--ca",
            "ecdsa-ca",
            "--profile",
            "org-sign",
            "--csr",
            no_uscc.to_str().unwrap(),
        ],
    );
    assert!(err.contains("subject.organizationIdentifier"), "{err}");
    let err = stderr_of(
        &instance,
        &[
            "ca",
            "issue",
            "--ca",
            "ecdsa-ca",
            "--profile",
            "org-sign",
            "--csr",
            no_uscc.to_str().unwrap(),
            "--subject",
            "organizationIdentifier=91350100M000100Y44",
        ],
    );
    assert!(
        err.contains("organizationIdentifier") && err.contains("check character"),
        "{err}"
    );
    let err = stderr_of(
        &instance,
        &[
            "ca",
            "issue",
            "--ca",
            "ecdsa-root",
            "--profile",
            "person-sign",
            "--csr",
            no_uscc.to_str().unwrap(),
        ],
    );
    assert!(err.contains("root CA"), "{err}");
    let err = stderr_of(
        &instance,
        &[
            "ca",
            "issue",
            "--ca",
            "ecdsa-ca",
            "--profile",
            "server",
            "--csr",
            no_uscc.to_str().unwrap(),
        ],
    );
    assert!(err.contains("profile") && err.contains("server"), "{err}");
    let err = stderr_of(
        &instance,
        &[
            "ca",
            "issue",
            "--ca",
            "nope",
            "--profile",
            "org-sign",
            "--csr",
            no_uscc.to_str().unwrap(),
        ],
    );
    assert!(err.contains("no CA named \"nope\""), "{err}");
    let err = stderr_of(
        &instance,
        &[
            "ca",
            "issue",
            "--ca",
            "ecdsa-ca",
            "--profile",
            "person-sign",
            "--csr",
            no_uscc.to_str().unwrap(),
            "--days",
            "9999",
        ],
    );
    assert!(err.contains("days"), "{err}");
}

#[test]
fn revocation_rules_hold_and_release() {
    let instance = Instance::sqlite();
    let (_, serial) = instance.issue("ecdsa-ca", "person-sign", "/CN=李四");
    let out = instance.ok(&[
        "ca",
        "revoke",
        "--serial",
        &serial,
        "--reason",
        "certificateHold",
    ]);
    assert!(out.contains("on hold"), "{out}");
    let out = instance.ok(&[
        "ca",
        "revoke",
        "--serial",
        &serial,
        "--reason",
        "removeFromCRL",
    ]);
    assert!(out.contains("valid"), "{out}");
    let err = stderr_of(
        &instance,
        &[
            "ca",
            "revoke",
            "--serial",
            &serial,
            "--reason",
            "removeFromCRL",
        ],
    );
    assert!(err.contains("cannot be released from hold"), "{err}");
    let out = instance.ok(&[
        "ca",
        "revoke",
        "--serial",
        &serial,
        "--reason",
        "keyCompromise",
    ]);
    assert!(out.contains("revoked"), "{out}");
    let err = stderr_of(
        &instance,
        &[
            "ca",
            "revoke",
            "--serial",
            &serial,
            "--reason",
            "superseded",
        ],
    );
    assert!(err.contains("revoked cannot be revoked"), "{err}");
    let err = stderr_of(
        &instance,
        &[
            "ca",
            "revoke",
            "--serial",
            "0123abcd",
            "--reason",
            "superseded",
        ],
    );
    assert!(err.contains("serial: no certificate with serial"), "{err}");
    let err = stderr_of(
        &instance,
        &["ca", "revoke", "--serial", &serial, "--reason", "stolen"],
    );
    assert!(
        err.contains("--reason") && err.contains("keyCompromise"),
        "{err}"
    );
    let err = stderr_of(
        &instance,
        &["ca", "revoke", "--serial", "xyz", "--reason", "superseded"],
    );
    assert!(err.contains("hexadecimal"), "{err}");
}

/// Issue 11, finding 13: the public base URL is the hierarchy's, recorded at first start;
/// the command line uses the record, a disagreeing flag is refused, and only
/// `ca set-public-url` changes it (audited).
#[test]
fn the_public_url_is_recorded_once_and_changed_only_on_purpose() {
    let instance = Instance::sqlite();
    instance.ok(&["--public-url", "https://ca.example.test/", "ca", "list"]);
    assert_eq!(
        instance.ok(&["ca", "public-url"]).trim(),
        "https://ca.example.test"
    );
    let aia = |cert: &std::path::Path| {
        openssl(&[
            "x509",
            "-in",
            cert.to_str().unwrap(),
            "-noout",
            "-ext",
            "authorityInfoAccess,crlDistributionPoints",
        ])
    };
    // Without the flag the command line writes the recorded URL, not a default.
    let (cert, _) = instance.issue("ecdsa-ca", "person-sign", "/CN=张三");
    let text = aia(&cert);
    assert!(
        text.contains("https://ca.example.test/pki/") && !text.contains("127.0.0.1"),
        "{text}"
    );

    let refused = stderr_of(
        &instance,
        &["--public-url", "http://127.0.0.1:8080", "ca", "list"],
    );
    assert!(
        refused.contains("https://ca.example.test") && refused.contains("set-public-url"),
        "{refused}"
    );
    let refused = stderr_of(&instance, &["ca", "set-public-url", "ftp://x"]);
    assert!(refused.contains("http://"), "{refused}");

    instance.ok(&["ca", "set-public-url", "https://pki.example.test"]);
    assert_eq!(
        instance.ok(&["ca", "public-url"]).trim(),
        "https://pki.example.test"
    );
    let (cert, _) = instance.issue("ecdsa-ca", "person-sign", "/CN=李四");
    assert!(aia(&cert).contains("https://pki.example.test/pki/"));
    let audit = instance.ok(&["audit", "list", "--action", "ca.public_url_set"]);
    assert_eq!(audit.lines().count(), 2, "{audit}");
    assert!(
        audit.contains("https://ca.example.test") && audit.contains("https://pki.example.test"),
        "{audit}"
    );
}
