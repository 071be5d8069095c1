//! The running server: REST API with tokens, CRL publication after revocations, OCSP
//! answered to the OpenSSL client, SM2 CRL and OCSP signatures checked independently,
//! pkilint on CRLs and OCSP responses, health, metrics and OpenAPI.

mod common;
use common::*;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)))
}

fn crl_text(der: &std::path::Path) -> String {
    openssl(&[
        "crl",
        "-inform",
        "DER",
        "-in",
        der.to_str().unwrap(),
        "-noout",
        "-text",
    ])
}

fn crl_number(text: &str) -> u64 {
    let line = text
        .lines()
        .skip_while(|l| !l.contains("X509v3 CRL Number"))
        .nth(1)
        .expect("CRL number");
    line.trim().parse().expect("decimal CRL number")
}

#[test]
fn rest_api_issues_and_revokes_with_scoped_tokens() {
    let instance = Instance::sqlite();
    let token = instance.ok(&[
        "token",
        "create",
        "--name",
        "ra-1",
        "--cas",
        "ecdsa-ca",
        "--profiles",
        "org-sign,person-sign",
    ]);
    let token = token.trim().to_string();
    assert!(token.starts_with("cht_"));
    let server = instance.serve();
    let csr = std::fs::read_to_string(make_csr(
        instance.dir.path(),
        "ecdsa",
        &format!("/C=CN/O=某某集团/organizationIdentifier={USCC}/CN=某某集团"),
    ))
    .unwrap();
    let auth = format!("Bearer {token}");
    let body = |ca: &str, csr: &str| {
        serde_json::json!({"ca": ca, "profile": "org-sign", "csr": csr}).to_string()
    };

    let (status, headers, resp) = http(
        "POST",
        &server.url("/api/v1/certificates"),
        &[("content-type", "application/json")],
        body("ecdsa-ca", &csr).as_bytes(),
    );
    assert_eq!(status, 401);
    assert_eq!(json(&resp)["error"]["code"], "unauthorized");
    assert_eq!(header(&headers, "www-authenticate"), Some("Bearer"));

    let (status, _, resp) = http(
        "POST",
        &server.url("/api/v1/certificates"),
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        body("rsa-ca", &csr).as_bytes(),
    );
    assert_eq!(status, 403);
    assert_eq!(json(&resp)["error"]["field"], "ca");

    let (status, _, resp) = http(
        "POST",
        &server.url("/api/v1/certificates"),
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        body("ecdsa-ca", "not a csr").as_bytes(),
    );
    assert_eq!(status, 422);
    let err = json(&resp);
    assert_eq!(err["error"]["field"], "csr");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("证书请求"),
        "Chinese by default: {err}"
    );
    let (_, _, resp) = http(
        "POST",
        &server.url("/api/v1/certificates"),
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
            ("accept-language", "en-US,en;q=0.9"),
        ],
        body("ecdsa-ca", "not a csr").as_bytes(),
    );
    assert!(
        json(&resp)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PKCS#10"),
        "English on request"
    );

    let (status, _, resp) = http(
        "POST",
        &server.url("/api/v1/certificates"),
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        b"{\"ca\": \"ecdsa-ca\"",
    );
    assert_eq!(status, 422);
    assert_eq!(json(&resp)["error"]["field"], "body");
    assert_eq!(json(&resp)["error"]["code"], "invalid_json", "cut short");
    let big = format!(
        "{{\"ca\":\"ecdsa-ca\",\"profile\":\"org-sign\",\"csr\":\"{}\"}}",
        "A".repeat(70 * 1024)
    );
    let (status, _, _) = http(
        "POST",
        &server.url("/api/v1/certificates"),
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        big.as_bytes(),
    );
    assert_eq!(status, 413);

    let (status, _, resp) = http(
        "POST",
        &server.url("/api/v1/certificates"),
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        body("ecdsa-ca", &csr).as_bytes(),
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&resp));
    let issued = json(&resp);
    let serial = issued["serial"].as_str().unwrap().to_string();
    let cert = instance.path("api.pem");
    std::fs::write(&cert, issued["certificate_pem"].as_str().unwrap()).unwrap();
    let out = openssl(&[
        "verify",
        "-CAfile",
        instance.chain("ecdsa").to_str().unwrap(),
        cert.to_str().unwrap(),
    ]);
    assert!(out.contains(": OK"));

    let (status, _, resp) = http(
        "GET",
        &server.url(&format!("/api/v1/certificates/{serial}")),
        &[("authorization", &auth)],
        b"",
    );
    assert_eq!(status, 200);
    assert_eq!(json(&resp)["status"], "valid");
    let revoke_url = server.url(&format!("/api/v1/certificates/{serial}/revocation"));
    let (status, _, resp) = http(
        "POST",
        &revoke_url,
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        br#"{"reason": "keyCompromise"}"#,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&resp));
    assert_eq!(json(&resp)["status"], "revoked");
    let (status, _, resp) = http(
        "POST",
        &revoke_url,
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        br#"{"reason": "superseded"}"#,
    );
    assert_eq!(status, 409);
    assert_eq!(json(&resp)["error"]["code"], "invalid_transition");
    let (status, _, resp) = http(
        "POST",
        &revoke_url,
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        br#"{"reason": "stolen"}"#,
    );
    assert_eq!(status, 422);
    assert_eq!(json(&resp)["error"]["field"], "reason");

    // A certificate of a CA outside the token's scope is invisible to it.
    let (_, other_serial) = instance.issue("rsa-ca", "person-sign", "/CN=王五");
    let (status, _, _) = http(
        "GET",
        &server.url(&format!("/api/v1/certificates/{other_serial}")),
        &[("authorization", &auth)],
        b"",
    );
    assert_eq!(status, 404);
    let (status, _, _) = http(
        "POST",
        &server.url(&format!("/api/v1/certificates/{other_serial}/revocation")),
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        br#"{"reason": "superseded"}"#,
    );
    assert_eq!(
        status, 404,
        "outside the scope a serial is not found, as one that does not exist"
    );
    let (status, _, _) = http(
        "POST",
        &server.url("/api/v1/certificates/7fffffffffffffffffffffffffff/revocation"),
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        br#"{"reason": "superseded"}"#,
    );
    assert_eq!(status, 404);

    // A token limited to one profile cannot hold, release or look up a certificate of
    // another profile of the same CA (issue 11, finding 3).
    let org_only = instance.ok(&[
        "token",
        "create",
        "--name",
        "ra-org",
        "--cas",
        "ecdsa-ca",
        "--profiles",
        "org-sign",
    ]);
    let org_auth = format!("Bearer {}", org_only.trim());
    let (_, person_serial) = instance.issue("ecdsa-ca", "person-sign", "/CN=赵六");
    for reason in ["certificate_hold", "remove_from_crl", "key_compromise"] {
        let (status, _, _) = http(
            "POST",
            &server.url(&format!("/api/v1/certificates/{person_serial}/revocation")),
            &[
                ("content-type", "application/json"),
                ("authorization", &org_auth),
            ],
            format!(r#"{{"reason": "{reason}"}}"#).as_bytes(),
        );
        assert_eq!(status, 404, "{reason}");
    }
    let (status, _, _) = http(
        "GET",
        &server.url(&format!("/api/v1/certificates/{person_serial}")),
        &[("authorization", &org_auth)],
        b"",
    );
    assert_eq!(status, 404);
    let (_, _, resp) = http(
        "GET",
        &server.url(&format!("/api/v1/certificates/{person_serial}")),
        &[("authorization", &auth)],
        b"",
    );
    assert_eq!(
        json(&resp)["status"],
        "valid",
        "nothing was held or revoked"
    );

    instance.ok(&["token", "revoke", "--name", "ra-1"]);
    let (status, _, _) = http(
        "GET",
        &server.url(&format!("/api/v1/certificates/{serial}")),
        &[("authorization", &auth)],
        b"",
    );
    assert_eq!(status, 401, "a revoked token no longer works");
}

#[test]
fn crls_are_published_after_revocation_and_verify_with_openssl() {
    let instance = Instance::sqlite();
    let (leaf, serial) = instance.issue("ecdsa-ca", "person-sign", "/CN=赵六");
    let (sm2_leaf, sm2_serial) = instance.issue("sm2-ca", "person-sign", "/CN=钱七");
    let server = instance.serve();
    let fetch = |ca: &str, name: &str| {
        let (status, headers, body) =
            http("GET", &server.url(&format!("/pki/crl/{ca}.crl")), &[], b"");
        assert_eq!(status, 200);
        assert_eq!(
            header(&headers, "content-type"),
            Some("application/pkix-crl")
        );
        let path = instance.path(name);
        std::fs::write(&path, body).unwrap();
        path
    };
    let before = crl_number(&crl_text(&fetch("ecdsa-ca", "before.crl")));
    instance.ok(&[
        "ca",
        "revoke",
        "--serial",
        &serial,
        "--reason",
        "keyCompromise",
    ]);
    instance.ok(&[
        "ca",
        "revoke",
        "--serial",
        &sm2_serial,
        "--reason",
        "certificateHold",
    ]);
    let wanted = serial.to_uppercase();
    let crl = eventually(15, || {
        let path = fetch("ecdsa-ca", "after.crl");
        crl_text(&path).contains(&wanted).then_some(path)
    });
    let text = crl_text(&crl);
    assert!(text.contains("Key Compromise"), "{text}");
    assert!(crl_number(&text) > before, "CRL number must grow");
    let chain = instance.chain("ecdsa");
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
    let crl_pem = instance.path("after-crl.pem");
    openssl(&[
        "crl",
        "-inform",
        "DER",
        "-in",
        crl.to_str().unwrap(),
        "-out",
        crl_pem.to_str().unwrap(),
    ]);
    let root_arl = fetch("ecdsa-root", "root.crl");
    let arl_pem = instance.path("root-crl.pem");
    openssl(&[
        "crl",
        "-inform",
        "DER",
        "-in",
        root_arl.to_str().unwrap(),
        "-out",
        arl_pem.to_str().unwrap(),
    ]);
    let both = instance.path("crls.pem");
    std::fs::write(
        &both,
        std::fs::read_to_string(&crl_pem).unwrap() + &std::fs::read_to_string(&arl_pem).unwrap(),
    )
    .unwrap();
    let out = std::process::Command::new("openssl")
        .args([
            "verify",
            "-crl_check_all",
            "-CRLfile",
            both.to_str().unwrap(),
            "-CAfile",
            chain.to_str().unwrap(),
            leaf.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let out =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.contains("certificate revoked"), "{out}");
    pkilint("lint_crl", &["-t", "CRL", "-p", "PKIX"], &crl);
    pkilint("lint_crl", &["-t", "ARL", "-p", "PKIX"], &root_arl);

    // The SM2 CRL: the hold is listed, the signature checked independently.
    let sm2_crl = eventually(15, || {
        let path = fetch("sm2-ca", "sm2.crl");
        crl_text(&path)
            .contains(&sm2_serial.to_uppercase())
            .then_some(path)
    });
    assert!(crl_text(&sm2_crl).contains("Certificate Hold"));
    sm2_verify("crl", &instance.ca_cert("sm2-ca"), &sm2_crl);
    pkilint("lint_crl", &["-t", "CRL", "-p", "PKIX"], &sm2_crl);
    let _ = sm2_leaf;

    // CA certificates are served as DER.
    let (status, headers, body) = http("GET", &server.url("/pki/ca/ecdsa-ca.crt"), &[], b"");
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/pkix-cert")
    );
    assert_eq!(body[0], 0x30);
    let (status, _, _) = http("GET", &server.url("/pki/ca/nope.crt"), &[], b"");
    assert_eq!(status, 404);
}

#[test]
fn ocsp_answers_the_openssl_client() {
    let instance = Instance::sqlite();
    let (leaf, serial) = instance.issue(
        "ecdsa-ca",
        "org-sign",
        &format!("/O=甲公司/organizationIdentifier={USCC}/CN=甲公司"),
    );
    let (rsa_leaf, _) = instance.issue("rsa-ca", "person-sign", "/CN=孙八");
    let server = instance.serve();
    let url = server.url("/ocsp");
    let ask = |family: &str, cert: &std::path::Path| {
        let chain = instance.chain(family);
        openssl(&[
            "ocsp",
            "-issuer",
            instance.ca_cert(&format!("{family}-ca")).to_str().unwrap(),
            "-cert",
            cert.to_str().unwrap(),
            "-url",
            &url,
            "-CAfile",
            chain.to_str().unwrap(),
        ])
    };
    let out = ask("ecdsa", &leaf);
    assert!(
        out.contains("Response verify OK") && out.contains(": good"),
        "{out}"
    );
    assert!(!out.contains("WARNING: no nonce"), "nonce echoed: {out}");
    let out = ask("rsa", &rsa_leaf);
    assert!(
        out.contains("Response verify OK") && out.contains(": good"),
        "{out}"
    );

    instance.ok(&[
        "ca",
        "revoke",
        "--serial",
        &serial,
        "--reason",
        "keyCompromise",
    ]);
    let out = ask("ecdsa", &leaf);
    assert!(
        out.contains(": revoked")
            && out.contains("Reason: keyCompromise")
            && out.contains("Revocation Time"),
        "revocation is seen at once: {out}"
    );

    // Unknown serial of a CA we run.
    let chain_path = instance.chain("ecdsa");
    let out = openssl(&[
        "ocsp",
        "-issuer",
        instance.ca_cert("ecdsa-ca").to_str().unwrap(),
        "-serial",
        "0x1234567890",
        "-url",
        &url,
        "-CAfile",
        chain_path.to_str().unwrap(),
    ]);
    assert!(
        out.contains(": unknown") && out.contains("Response verify OK"),
        "{out}"
    );

    // GET with a base64 request (RFC 6960 A.1), without nonce: cacheable.
    let get_url = ocsp_get_url(&instance, &server, "rsa", &rsa_leaf);
    let mut answers = Vec::new();
    for _ in 0..2 {
        let (status, headers, body) = http("GET", &get_url, &[], b"");
        assert_eq!(status, 200);
        assert_eq!(
            header(&headers, "content-type"),
            Some("application/ocsp-response")
        );
        assert!(
            header(&headers, "cache-control")
                .unwrap()
                .contains("max-age=")
        );
        answers.push(body);
    }
    assert_eq!(
        answers[0], answers[1],
        "the second GET is served from the cache"
    );
    let resp = instance.path("resp.der");
    std::fs::write(&resp, &answers[0]).unwrap();
    let rsa_chain = instance.chain("rsa");
    let out = openssl(&[
        "ocsp",
        "-respin",
        resp.to_str().unwrap(),
        "-issuer",
        instance.ca_cert("rsa-ca").to_str().unwrap(),
        "-cert",
        rsa_leaf.to_str().unwrap(),
        "-CAfile",
        rsa_chain.to_str().unwrap(),
        "-no_nonce",
    ]);
    assert!(
        out.contains("Response verify OK") && out.contains(": good"),
        "{out}"
    );
    pkilint("lint_ocsp_response", &[], &resp);

    // Garbage gets malformedRequest (an OCSP response, status 1), never an HTTP error.
    for garbage in [&b"garbage"[..], b"", &[0x30, 0x80, 0x00][..]] {
        let (status, _, body) = http(
            "POST",
            &url,
            &[("content-type", "application/ocsp-request")],
            garbage,
        );
        assert_eq!(status, 200);
        assert_eq!(body, [0x30, 0x03, 0x0a, 0x01, 0x01]);
    }
    let (status, _, body) = http("GET", &server.url("/ocsp/!!!not-base64"), &[], b"");
    assert_eq!((status, body), (200, vec![0x30, 0x03, 0x0a, 0x01, 0x01]));

    // A CA we do not run: unauthorized (status 6).
    let other = Instance::sqlite();
    let (foreign, _) = other.issue("ecdsa-ca", "person-sign", "/CN=外人");
    let req = instance.path("foreign.der");
    openssl(&[
        "ocsp",
        "-issuer",
        other.ca_cert("ecdsa-ca").to_str().unwrap(),
        "-cert",
        foreign.to_str().unwrap(),
        "-reqout",
        req.to_str().unwrap(),
    ]);
    let (_, _, body) = http(
        "POST",
        &url,
        &[("content-type", "application/ocsp-request")],
        &std::fs::read(&req).unwrap(),
    );
    assert_eq!(body, [0x30, 0x03, 0x0a, 0x01, 0x06]);
}

#[test]
fn sm2_ocsp_responses_are_signed_by_the_delegated_responder() {
    let instance = Instance::sqlite();
    let (leaf, serial) = instance.issue("sm2-ca", "person-sign", "/CN=周九");
    let server = instance.serve();
    let ca = instance.ca_cert("sm2-ca");
    let req = instance.path("sm2-req.der");
    openssl(&[
        "ocsp",
        "-issuer",
        ca.to_str().unwrap(),
        "-cert",
        leaf.to_str().unwrap(),
        "-reqout",
        req.to_str().unwrap(),
    ]);
    let request = std::fs::read(&req).unwrap();
    let post = |name: &str| {
        let (status, _, body) = http(
            "POST",
            &server.url("/ocsp"),
            &[("content-type", "application/ocsp-request")],
            &request,
        );
        assert_eq!(status, 200);
        let path = instance.path(name);
        std::fs::write(&path, body).unwrap();
        path
    };
    let good = post("sm2-good.der");
    let text = openssl(&[
        "ocsp",
        "-respin",
        good.to_str().unwrap(),
        "-resp_text",
        "-noverify",
        "-no_nonce",
    ]);
    assert!(
        text.contains("Cert Status: good") && text.contains("OCSP Nonce"),
        "{text}"
    );
    sm2_verify("ocsp", &ca, &good);
    pkilint("lint_ocsp_response", &[], &good);
    instance.ok(&[
        "ca",
        "revoke",
        "--serial",
        &serial,
        "--reason",
        "cessationOfOperation",
    ]);
    let revoked = post("sm2-revoked.der");
    let text = openssl(&[
        "ocsp",
        "-respin",
        revoked.to_str().unwrap(),
        "-resp_text",
        "-noverify",
        "-no_nonce",
    ]);
    assert!(
        text.contains("Cert Status: revoked") && text.contains("cessationOfOperation"),
        "{text}"
    );
    sm2_verify("ocsp", &ca, &revoked);
}

#[test]
fn health_metrics_and_openapi() {
    let instance = Instance::sqlite();
    instance.issue("ecdsa-ca", "person-sign", "/CN=吴十");
    let server = instance.serve();
    let (status, _, body) = http("GET", &server.url("/healthz"), &[], b"");
    assert_eq!((status, body), (200, b"ok\n".to_vec()));
    // One OCSP request so the OCSP counters exist.
    http("POST", &server.url("/ocsp"), &[], b"x");
    let (status, _, body) = http("GET", &server.url("/metrics"), &[], b"");
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    for metric in [
        "certhall_ocsp_responses_total{cached=\"false\",result=\"malformed\"} 1",
        "certhall_crls_published_total",
        "certhall_crl_generation_seconds_bucket",
        "certhall_ocsp_seconds_bucket",
    ] {
        assert!(text.contains(metric), "missing {metric}:\n{text}");
    }
    let (status, _, body) = http("GET", &server.url("/api/v1/openapi.json"), &[], b"");
    assert_eq!(status, 200);
    let doc = json(&body);
    for path in [
        "/api/v1/certificates",
        "/api/v1/certificates/{serial}/revocation",
        "/api/v1/cas",
    ] {
        assert!(doc["paths"][path].is_object(), "OpenAPI lacks {path}");
    }
    let (status, _, body) = http("GET", &server.url("/api/v1/cas"), &[], b"");
    assert_eq!(status, 200);
    assert_eq!(json(&body).as_array().unwrap().len(), 6);
}

fn ocsp_status(instance: &Instance, url: &str) -> String {
    let (_, _, body) = http("GET", url, &[], b"");
    let path = instance.path(&format!("resp-{}.der", hex_id()));
    std::fs::write(&path, body).unwrap();
    let text = openssl(&[
        "ocsp",
        "-respin",
        path.to_str().unwrap(),
        "-resp_text",
        "-noverify",
        "-no_nonce",
    ]);
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Cert Status: "))
        .unwrap_or("none")
        .to_string()
}

#[test]
fn caches_follow_revocations_at_once_and_across_nodes() {
    let instance = Instance::sqlite();
    let token = instance
        .ok(&["token", "create", "--name", "ra"])
        .trim()
        .to_string();
    let (by_api, serial_api) = instance.issue("ecdsa-ca", "person-sign", "/CN=甲");
    let (by_cli, serial_cli) = instance.issue("ecdsa-ca", "person-sign", "/CN=乙");
    // Two nodes on one database, as behind a load balancer.
    let node_a = instance.serve();
    let node_b = instance.serve();
    let a_api = ocsp_get_url(&instance, &node_a, "ecdsa", &by_api);
    let b_api = ocsp_get_url(&instance, &node_b, "ecdsa", &by_api);
    let b_cli = ocsp_get_url(&instance, &node_b, "ecdsa", &by_cli);
    for url in [&a_api, &b_api, &b_cli] {
        assert_eq!(ocsp_status(&instance, url), "good");
        assert_eq!(ocsp_status(&instance, url), "good", "now from the cache");
    }
    let (_, _, crl_before) = http("GET", &node_b.url("/pki/crl/ecdsa-ca.crl"), &[], b"");

    // Revoked through node A: node A's cache drops the answer at once.
    let (status, _, _) = http(
        "POST",
        &node_a.url(&format!("/api/v1/certificates/{serial_api}/revocation")),
        &[
            ("content-type", "application/json"),
            ("authorization", &format!("Bearer {token}")),
        ],
        br#"{"reason": "keyCompromise"}"#,
    );
    assert_eq!(status, 200);
    assert_eq!(
        ocsp_status(&instance, &a_api),
        "revoked",
        "the revoking node answers revoked at once"
    );
    // Node B and a revocation from the command line are seen within seconds.
    instance.ok(&[
        "ca",
        "revoke",
        "--serial",
        &serial_cli,
        "--reason",
        "superseded",
    ]);
    eventually(10, || {
        (ocsp_status(&instance, &b_api) == "revoked").then_some(())
    });
    eventually(10, || {
        (ocsp_status(&instance, &b_cli) == "revoked").then_some(())
    });
    let crl = eventually(15, || {
        let (_, _, body) = http("GET", &node_b.url("/pki/crl/ecdsa-ca.crl"), &[], b"");
        let path = instance.path(&format!("b-{}.crl", hex_id()));
        std::fs::write(&path, &body).unwrap();
        let text = crl_text(&path);
        (text.contains(&serial_api.to_uppercase()) && text.contains(&serial_cli.to_uppercase()))
            .then_some(body)
    });
    assert_ne!(crl, crl_before);
}
