//! Production over the API on the in-process application, the server's side of
//! `certhall-key produce` (the key here is a software key standing for the token, whose own
//! test is `crates/key/tests`): a huanbao application paid, approved, and produced onto a
//! key of the inventory. The issued certificate carries the application's verified data,
//! whatever the CSR says; the key is produced once proven. A failure after issuance (the
//! write to the key) revokes the certificate, puts the key back in stock and the
//! application back in the queue, and the next job makes one valid certificate. Only a
//! producer produces; the reviewer who approved may not (separation of duties); a key not
//! in stock is refused; another producer's job is not found. On SQLite and PostgreSQL.

use axum::http::StatusCode;
use base64::Engine;
use pki::name::SubjectFields;
use pki::{KeyFamily, Signer, SoftwareKey};
use serde_json::{Value, json};
use services::flows::usb_key;
use services::people::actor::Actor;

use crate::harness::{Client, TestApp};
use crate::orders::pay_by_transfer;

const PHONE: &str = "13800138101";
/// SM2-with-SM3 (huanbao's product is SM2).
const SM2_WITH_SM3: &str = "1.2.156.10197.1.501";

#[tokio::test]
async fn a_paid_approved_application_is_produced_onto_a_key_in_stock() {
    produce(TestApp::new().await).await;
}

#[tokio::test]
async fn the_same_production_on_postgresql() {
    produce(TestApp::on_postgres().await).await;
}

/// Receives keys `serials` (one per line) of `vendor`'s `model` into stock.
pub(crate) async fn receive(test: &TestApp, vendor: &str, model: &str, serials: &str) {
    usb_key::receive_typed(
        &test.app,
        &Actor::Cli("test".into()),
        &usb_key::GoodsIn {
            vendor: vendor.into(),
            model: model.into(),
            batch: "B1".into(),
            serials: serials.into(),
        },
    )
    .await
    .unwrap();
}

/// A huanbao application paid by transfer and approved; its id.
async fn approved(test: &TestApp, customer: &mut Client<'_>, reviewer: &mut Client<'_>) -> i64 {
    let (id, version) = crate::applications::filled(customer, "91350100M000100Y43").await;
    test.sign_and_submit(customer, PHONE, id, version).await;
    pay_by_transfer(test, customer, &[id], "caiwu").await;
    approve(reviewer, id).await;
    id
}

/// The reviewer takes application `id` and approves it.
pub(crate) async fn approve(reviewer: &mut Client<'_>, id: i64) {
    for step in ["take", "approve"] {
        let answer = reviewer
            .call(
                "POST",
                &format!("/api/v1/console/applications/{id}/{step}"),
                json!(null),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::NO_CONTENT,
            "{step}: {}",
            answer.text
        );
    }
}

/// The key read from the token, and a fresh software key standing for its key pair.
fn token() -> SoftwareKey {
    SoftwareKey::generate(
        KeyFamily::Sm2,
        pki::software_key::RsaBits::from_bits(2048).unwrap(),
    )
    .unwrap()
}

/// A CSR of `key` that claims another holder: the server must ignore its subject.
pub(crate) fn forged_csr(key: &SoftwareKey) -> String {
    let subject: SubjectFields = "/C=CN/O=冒名公司/CN=冒名公司".parse().unwrap();
    let der = pki::csr::build(key, &subject).unwrap();
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
        lines.join("\n")
    )
}

pub(crate) async fn start(
    producer: &mut Client<'_>,
    application: Option<i64>,
    serial: &str,
) -> (StatusCode, Value) {
    let mut body = json!({
        "key": {"vendor": "测试厂商", "model": "SM2-KEY", "serial": serial},
        "workstation": "zhizheng-pc-01",
    });
    if let Some(id) = application {
        body["application"] = json!(id);
    }
    let answer = producer
        .call("POST", "/api/v1/console/production/jobs", body)
        .await;
    let json = if answer.text.is_empty() {
        Value::Null
    } else {
        answer.json()
    };
    (answer.status, json)
}

async fn produce(test: TestApp) {
    let cli = Actor::Cli("test".into());
    receive(&test, "测试厂商", "SM2-KEY", "K0001\nK0002").await;
    let mut customer = test.customer(PHONE, [10, 8, 0, 1]).await;
    let mut reviewer = test.operator("shenhe", "reviewer,producer").await;
    let id = approved(&test, &mut customer, &mut reviewer).await;
    let mut producer = test.operator("zhizheng", "producer").await;

    // In the queue; the reviewer who approved it may not produce it; a shipper may not.
    let queue = producer
        .call("GET", "/api/v1/console/production", json!(null))
        .await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.text);
    assert_eq!(queue.json()[0]["application"]["id"], id);
    assert_eq!(queue.json()[0]["keys_wanted"], 1);
    let (status, body) = start(&mut reviewer, Some(id), "K0001").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let mut shipper = test.operator("fahuo", "shipper").await;
    let (status, _) = start(&mut shipper, Some(id), "K0001").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = start(&mut customer, Some(id), "K0001").await;
    assert_ne!(
        status,
        StatusCode::CREATED,
        "a customer's session opens nothing here"
    );
    // A key that is not in stock is refused, naming the field.
    let (status, body) = start(&mut producer, Some(id), "K9999").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["field"], "key.serial");

    // 1. Started: the key assigned, its PINs given once (the initial one is the channel's
    // envelope PIN: random), the application being produced.
    let (status, job) = start(&mut producer, None, "K0001").await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let job_id = job["job"].as_i64().unwrap();
    assert_eq!(job["application"], id);
    assert_eq!(job["family"], "sm2");
    let so_pin = job["so_pin"].as_str().unwrap().to_string();
    assert_eq!(so_pin.len(), 16);
    assert!(so_pin.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(job["user_pin"].as_str().unwrap().len(), 8);
    let shown = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await
        .json();
    assert_eq!(shown["status"], "producing");
    // The same key cannot be taken twice.
    let (status, _) = start(&mut producer, Some(id), "K0001").await;
    assert_eq!(status, StatusCode::CONFLICT);

    // 2. Issued for the key's CSR; its forged subject is ignored.
    let key = token();
    let path = |step: &str| format!("/api/v1/console/production/jobs/{job_id}/{step}");
    let answer = producer
        .call("POST", &path("csr"), json!({"csr": forged_csr(&key)}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let pem = answer.json()["certificate"].as_str().unwrap().to_string();
    let der = pki::certificate::from_pem(pem.as_bytes()).unwrap();
    let certificate = pki::certificate::parse(&der).unwrap();
    let subject = certificate.tbs_certificate.subject.to_string();
    assert!(
        subject.contains("北京环保科技有限公司") && !subject.contains("冒名"),
        "{subject}"
    );
    let fields = SubjectFields::from_name(&certificate.tbs_certificate.subject).unwrap();
    assert_eq!(
        fields
            .organization_identifier
            .map(|u| u.to_string())
            .as_deref(),
        Some("91350100M000100Y43")
    );
    assert_eq!(fields.organizational_unit.as_deref(), Some("采购部"));
    // Issued once: asked again, refused.
    let again = producer
        .call("POST", &path("csr"), json!({"csr": forged_csr(&key)}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    // Another producer's job is not found.
    let mut other = test.operator("zhizheng2", "producer").await;
    let theirs = other
        .call("POST", &path("csr"), json!({"csr": forged_csr(&key)}))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    // 3. Finished: a signature by another key, or another certificate, is no proof.
    let wrong = finish(&mut producer, &job, &pem, &token()).await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text
    );
    let done = finish(&mut producer, &job, &pem, &key).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text);
    let stocked = usb_key::search(&test.app, &cli, "K0001").await.unwrap();
    assert_eq!(stocked[0].status, domain::usb_key::UsbKeyStatus::Produced);
    assert!(stocked[0].first_issued_at.is_some());
    assert_eq!(stocked[0].application_id, Some(id));
    // Shipped by courier: it waits for the shipper, out of the production queue.
    let queue = producer
        .call("GET", "/api/v1/console/production", json!(null))
        .await;
    assert_eq!(queue.json().as_array().unwrap().len(), 0, "{}", queue.text);
    let shown = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await
        .json();
    assert_eq!(shown["status"], "producing");

    // The PINs are nowhere in clear: not in the audit log, not in the database (the SQLite
    // files, or a dump of PostgreSQL).
    let audit = services::audit::list(&test.app, &cli, &domain::AuditFilter::default(), 1000)
        .await
        .unwrap();
    assert!(audit.iter().all(|e| !e.details.contains(&so_pin)));
    test.assert_not_stored(so_pin.as_bytes(), "the SO PIN");
    test.assert_not_stored(job["user_pin"].as_str().unwrap().as_bytes(), "the user PIN");
    let actions = test
        .audit_actions(&format!("production:{job_id}"), "")
        .await;
    assert_eq!(
        actions,
        ["production.finish", "production.issue", "production.start"]
    );

    // A second application whose certificate is issued, then the write to the key fails.
    let mut customer2 = test.customer("13800138102", [10, 8, 0, 2]).await;
    let (id2, version) = crate::applications::filled(&mut customer2, "91110108MA01KPGK0L").await;
    test.sign_and_submit(&mut customer2, "13800138102", id2, version)
        .await;
    pay_by_transfer(&test, &mut customer2, &[id2], "caiwu2").await;
    let mut reviewer2 = test.operator("shenhe2", "reviewer").await;
    approve(&mut reviewer2, id2).await;
    let (status, job2) = start(&mut producer, Some(id2), "K0002").await;
    assert_eq!(status, StatusCode::CREATED, "{job2}");
    let job2_id = job2["job"].as_i64().unwrap();
    let path2 = |step: &str| format!("/api/v1/console/production/jobs/{job2_id}/{step}");
    let key2 = token();
    let issued = producer
        .call("POST", &path2("csr"), json!({"csr": forged_csr(&key2)}))
        .await;
    let serial = issued.json()["serial"].as_str().unwrap().to_string();
    let bad_step = producer
        .call(
            "POST",
            &path2("fail"),
            json!({"step": "no_such_step", "message": "x"}),
        )
        .await;
    assert_eq!(bad_step.status, StatusCode::UNPROCESSABLE_ENTITY);
    let failed = producer
        .call(
            "POST",
            &path2("fail"),
            json!({"step": "write_certificate", "message": "CKR_DEVICE_MEMORY"}),
        )
        .await;
    assert_eq!(failed.status, StatusCode::NO_CONTENT, "{}", failed.text);
    // The certificate is revoked (superseded), the key back in stock, the application
    // back in the queue; a second report changes nothing.
    let revoked = services::ca::certificates::find(&test.app, &cli, &serial)
        .await
        .unwrap();
    assert_eq!(revoked.status, domain::CertificateStatus::Revoked);
    assert_eq!(revoked.reason, Some(pki::RevocationReason::Superseded));
    let again = producer
        .call(
            "POST",
            &path2("fail"),
            json!({"step": "write_certificate", "message": "again"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let stocked = usb_key::search(&test.app, &cli, "K0002").await.unwrap();
    assert_eq!(stocked[0].status, domain::usb_key::UsbKeyStatus::InStock);
    assert_eq!(stocked[0].application_id, None);
    // The console shows the failure with its step, and the application queued again.
    let page = producer.page("/console/production").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("data-testid=\"job-failure\"")
            && page.text.contains("写入证书")
            && page.text.contains("CKR_DEVICE_MEMORY"),
        "{}",
        page.text
    );
    assert_eq!(
        page.text.matches("data-testid=\"production-row\"").count(),
        1
    );
    let dashboard = producer.page("/console").await;
    assert!(dashboard.text.contains("href=\"/console/production\""));
    assert_eq!(
        shipper.page("/console/production").await.status,
        StatusCode::FORBIDDEN
    );
    let shown = customer2
        .call("GET", &format!("/api/v1/applications/{id2}"), json!(null))
        .await
        .json();
    assert_eq!(shown["status"], "approved");

    // Produced again, with the same key: one valid certificate for the application.
    let (status, job3) = start(&mut producer, Some(id2), "K0002").await;
    assert_eq!(status, StatusCode::CREATED, "{job3}");
    let job3_id = job3["job"].as_i64().unwrap();
    let path3 = |step: &str| format!("/api/v1/console/production/jobs/{job3_id}/{step}");
    let key3 = token();
    let issued = producer
        .call("POST", &path3("csr"), json!({"csr": forged_csr(&key3)}))
        .await;
    let pem3 = issued.json()["certificate"].as_str().unwrap().to_string();
    let done = finish(&mut producer, &job3, &pem3, &key3).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text);
    // Two certificates were issued for it: the first revoked, the second valid.
    let serial3 = issued.json()["serial"].as_str().unwrap().to_string();
    assert_ne!(serial3, serial);
    let valid = services::ca::certificates::find(&test.app, &cli, &serial3)
        .await
        .unwrap();
    assert_eq!(valid.status, domain::CertificateStatus::Valid);
    assert_eq!(valid.subject, revoked.subject, "the same holder's data");
}

/// The vendor's module in tests, and the transport PINs of a blank key as shipped.
const SOFTHSM: &str = token::softhsm::MODULE;
const TRANSPORT_SO_PIN: &str = "12345678";

/// A SoftHSM2 configuration under `dir` with one blank key (as a vendor ships it); this
/// process uses it from now on. One test per process (nextest): the environment is the
/// process's.
fn blank_softhsm_key(dir: &std::path::Path) -> std::path::PathBuf {
    let conf = token::softhsm::configure(dir).unwrap();
    token::softhsm::init_token(&conf, "BLANK", TRANSPORT_SO_PIN, "87654321").unwrap();
    // SAFETY: set before any PKCS#11 module is loaded, in this test's own process.
    unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
    conf
}

fn pkcs11_tool(conf: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", conf)
        .arg("--module")
        .arg(SOFTHSM)
        .args(args)
        .output()
        .expect("pkcs11-tool (package opensc)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test]
async fn certhall_key_produces_a_p256_key_and_a_failed_write_is_undone() {
    with_certhall_key("ecdsa", KeyFamily::EcdsaP256).await;
}

#[tokio::test]
async fn certhall_key_produces_an_rsa_key_and_a_failed_write_is_undone() {
    with_certhall_key("rsa", KeyFamily::Rsa).await;
}

/// `certhall-key produce` against a blank SoftHSM2 key, huanbao's product made of
/// `family`: SoftHSM2 has no SM2 (an SM2 key model is configured by its vendor mechanism,
/// docs/PRODUCTION.md).
async fn with_certhall_key(family: &'static str, key_family: KeyFamily) {
    let dir = tempfile::tempdir().unwrap();
    let conf = blank_softhsm_key(dir.path());
    let test = TestApp::with(move |config| {
        for channel in &mut config.hall.channels {
            if channel.code == "huanbao" {
                channel.products[0].family = family.into();
            }
        }
    })
    .await;
    let server = test.serve().await;
    let inserted = token::Module::load(std::path::Path::new(SOFTHSM))
        .unwrap()
        .key(None)
        .unwrap();
    let cli = Actor::Cli("test".into());
    receive(&test, &inserted.vendor, &inserted.model, &inserted.serial).await;
    let mut customer = test.customer(PHONE, [10, 8, 1, 1]).await;
    let mut reviewer = test.operator("shenhe", "reviewer").await;
    let id = approved(&test, &mut customer, &mut reviewer).await;
    let password = test.new_operator("zhizheng", "producer").await;
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, password.as_bytes()).unwrap();
    let transport = dir.path().join("transport-so-pin");
    std::fs::write(&transport, TRANSPORT_SO_PIN).unwrap();
    let envelope = dir.path().join("pin-envelope.txt");
    let args = certhall_key::ProduceArgs {
        server: server.clone(),
        user: "zhizheng".into(),
        password_file,
        module: SOFTHSM.into(),
        serial: None,
        application: Some(id),
        order: None,
        transport_so_pin_file: transport,
        pin_envelope: None,
        workstation: "zhizheng-pc-01".into(),
        sm2_mechanism: None,
    };

    // huanbao sends the PIN on paper: without an envelope the key is not touched, and goes
    // back to stock.
    let refused = certhall_key::produce(&args).await.unwrap_err();
    assert!(
        format!("{refused:#}").contains("--pin-envelope"),
        "{refused:#}"
    );
    let stocked = usb_key::search(&test.app, &cli, &inserted.serial)
        .await
        .unwrap();
    assert_eq!(stocked[0].status, domain::usb_key::UsbKeyStatus::InStock);
    // A customer's credentials produce nothing: the console does not know them.
    let jobs_before = services::flows::produce::jobs(&test.app, &cli)
        .await
        .unwrap()
        .len();
    let customer_password = dir.path().join("customer-password");
    std::fs::write(&customer_password, "goodpass123").unwrap();
    let refused = certhall_key::produce(&certhall_key::ProduceArgs {
        user: PHONE.into(),
        password_file: customer_password,
        pin_envelope: Some(envelope.clone()),
        ..args.clone()
    })
    .await
    .unwrap_err();
    assert!(format!("{refused:#}").contains("401"), "{refused:#}");
    assert_eq!(
        services::flows::produce::jobs(&test.app, &cli)
            .await
            .unwrap()
            .len(),
        jobs_before,
        "no job was started"
    );

    // The write to the key fails after the certificate was issued: it is revoked, the key
    // back in stock, the application back in the queue.
    let args = certhall_key::ProduceArgs {
        pin_envelope: Some(envelope.clone()),
        ..args
    };
    // SAFETY: this test's own process; read by `produce` on this thread.
    unsafe { std::env::set_var(certhall_key::INJECT_FAILURE, "write_certificate") };
    let failed = certhall_key::produce(&args).await.unwrap_err();
    unsafe { std::env::remove_var(certhall_key::INJECT_FAILURE) };
    assert!(
        format!("{failed:#}").contains("write_certificate"),
        "{failed:#}"
    );
    let jobs = services::flows::produce::jobs(&test.app, &cli)
        .await
        .unwrap();
    let first = jobs
        .iter()
        .find(|j| j.failed_step == Some(domain::production::Step::WriteCertificate))
        .expect("the failed job");
    let revoked_serial = first
        .certificate_serial
        .clone()
        .expect("issued before the write");
    let revoked = services::ca::certificates::find(&test.app, &cli, &revoked_serial)
        .await
        .unwrap();
    assert_eq!(revoked.status, domain::CertificateStatus::Revoked);
    let stocked = usb_key::search(&test.app, &cli, &inserted.serial)
        .await
        .unwrap();
    assert_eq!(stocked[0].status, domain::usb_key::UsbKeyStatus::InStock);
    let shown = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await
        .json();
    assert_eq!(shown["status"], "approved");

    // Produced again onto the same key (its SO PIN is now the failed job's, which the
    // server gives back): done.
    let made = certhall_key::produce(&args).await.unwrap();
    assert_eq!(made.key_serial, inserted.serial);
    assert_ne!(made.certificate_serial, revoked_serial);
    let stocked = usb_key::search(&test.app, &cli, &inserted.serial)
        .await
        .unwrap();
    assert_eq!(stocked[0].status, domain::usb_key::UsbKeyStatus::Produced);

    // The PIN envelope (owner-only) holds the user PIN, and it logs in; the key holds its
    // private key, sensitive and never extractable, with the certificate's CKA_ID.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&envelope).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let letter = std::fs::read_to_string(&envelope).unwrap();
    let user_pin = letter
        .lines()
        .find_map(|l| l.strip_prefix("用户口令 / PIN: "))
        .expect("the PIN line")
        .to_string();
    let (ok, listing) = pkcs11_tool(
        &conf,
        &[
            "--token-label",
            &format!("CertHall {}", made.application_number),
            "--login",
            "--pin",
            &user_pin,
            "--list-objects",
        ],
    );
    assert!(ok, "{listing}");
    let mut objects: Vec<String> = Vec::new();
    for line in listing.lines() {
        if !line.starts_with(char::is_whitespace) {
            objects.push(String::new());
        }
        if let Some(object) = objects.last_mut() {
            object.push_str(line);
            object.push('\n');
        }
    }
    let private = objects
        .iter()
        .find(|o| o.contains("Private Key Object"))
        .expect(&listing);
    assert!(private.contains("never extractable") && private.contains("sensitive"));
    let id_of = |o: &str| {
        o.lines()
            .find_map(|l| l.trim().strip_prefix("ID:"))
            .map(|id| id.trim().to_string())
    };
    let certificate_object = objects
        .iter()
        .find(|o| o.contains("Certificate Object"))
        .expect(&listing);
    assert_eq!(id_of(private), id_of(certificate_object));
    assert_eq!(
        objects
            .iter()
            .filter(|o| o.contains("Private Key Object"))
            .count(),
        1,
        "the failed job's key is gone"
    );

    // The certificate verifies with OpenSSL against the CA and carries the organisation.
    let issued = services::ca::certificates::find(&test.app, &cli, &made.certificate_serial)
        .await
        .unwrap();
    let cas = services::ca::list(&test.app).await.unwrap();
    let pem_file = |name: &str, der: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, pki::certificate::to_pem(der).unwrap()).unwrap();
        path
    };
    let root = cas
        .iter()
        .find(|c| c.family == key_family && c.role == services::ca::registry::CaRole::Root)
        .unwrap();
    let issuing = cas
        .iter()
        .find(|c| c.family == key_family && c.role == services::ca::registry::CaRole::Issuing)
        .unwrap();
    let (root, issuing, leaf) = (
        pem_file("root.pem", &root.cert_der),
        pem_file("issuing.pem", &issuing.cert_der),
        pem_file("leaf.pem", &issued.der),
    );
    let verified = std::process::Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(&root)
        .arg("-untrusted")
        .arg(&issuing)
        .arg(&leaf)
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let text = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-nameopt", "utf8", "-in"])
        .arg(&leaf)
        .output()
        .unwrap();
    let subject = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        subject.contains("北京环保科技有限公司") && subject.contains("91350100M000100Y43"),
        "{subject}"
    );
    // pkilint finds nothing in the produced certificate beyond what docs/PROFILES.md explains.
    certhall_testkit::pkilint("lint_pkix_cert", &[], &leaf);
}

#[tokio::test]
async fn a_pin_sent_by_sms_reaches_the_agent_once_the_key_is_made_and_is_not_kept() {
    let test = TestApp::with(|config| {
        for channel in &mut config.hall.channels {
            if channel.code == "huanbao" {
                channel.pin.delivery = domain::channel::PinDelivery::SmsToAgent;
            }
        }
    })
    .await;
    receive(&test, "测试厂商", "SM2-KEY", "K0001").await;
    let mut customer = test.customer(PHONE, [10, 8, 2, 1]).await;
    let mut reviewer = test.operator("shenhe", "reviewer").await;
    let id = approved(&test, &mut customer, &mut reviewer).await;
    let mut producer = test.operator("zhizheng", "producer").await;
    let (status, job) = start(&mut producer, Some(id), "K0001").await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert_eq!(job["pin_delivery"], "sms_to_agent");
    let user_pin = job["user_pin"].as_str().unwrap().to_string();
    let job_id = job["job"].as_i64().unwrap();
    let key = token();
    let path = |step: &str| format!("/api/v1/console/production/jobs/{job_id}/{step}");
    let issued = producer
        .call("POST", &path("csr"), json!({"csr": forged_csr(&key)}))
        .await;
    let pem = issued.json()["certificate"].as_str().unwrap().to_string();
    // Nothing is sent before the key is made.
    test.run_jobs().await;
    let before = test.sms.delivered_to(PHONE);
    assert!(before.iter().all(|m| !m.text.contains(&user_pin)));
    let done = finish(&mut producer, &job, &pem, &key).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text);
    test.run_jobs().await;
    let sms = test.sms.delivered_to(PHONE);
    assert!(
        sms.iter()
            .any(|m| m.text.contains(&user_pin) && m.text.contains("用户口令")),
        "{sms:?}"
    );
    // Delivered: its text is not kept, and the PIN is in the database only sealed.
    test.assert_not_stored(user_pin.as_bytes(), "the user PIN");
}

/// Posts `finish` of `job` with certificate `pem` and the job's challenge signed by
/// `signer` (the key's own, or another to prove nothing).
async fn finish(
    producer: &mut Client<'_>,
    job: &Value,
    pem: &str,
    signer: &SoftwareKey,
) -> crate::harness::Answer {
    let challenge = base64::engine::general_purpose::STANDARD
        .decode(job["challenge"].as_str().unwrap())
        .unwrap();
    let signature =
        base64::engine::general_purpose::STANDARD.encode(signer.sign(&challenge).unwrap());
    producer
        .call(
            "POST",
            &format!("/api/v1/console/production/jobs/{}/finish", job["job"]),
            json!({"certificate": pem, "algorithm": SM2_WITH_SM3, "signature": signature}),
        )
        .await
}

/// Produces application `id` onto key `serial` with a software key (the whole job: start,
/// CSR, finish); the started job (its id, PINs and challenge).
pub(crate) async fn produce_one(producer: &mut Client<'_>, id: i64, serial: &str) -> Value {
    let (status, job) = start(producer, Some(id), serial).await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    let key = token();
    let issued = producer
        .call(
            "POST",
            &format!("/api/v1/console/production/jobs/{}/csr", job["job"]),
            json!({"csr": forged_csr(&key)}),
        )
        .await;
    let pem = issued.json()["certificate"].as_str().unwrap().to_string();
    let done = finish(producer, &job, &pem, &key).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.text);
    job
}

#[tokio::test]
async fn a_made_key_is_shipped_tracked_and_received_or_assumed_received() {
    let test = TestApp::new().await;
    let cli = Actor::Cli("test".into());
    receive(&test, "测试厂商", "SM2-KEY", "K0001\nK0002").await;
    let mut customer = test.customer(PHONE, [10, 8, 3, 1]).await;
    let mut reviewer = test.operator("shenhe", "reviewer").await;
    let id = approved(&test, &mut customer, &mut reviewer).await;
    let mut producer = test.operator("zhizheng", "producer").await;
    produce_one(&mut producer, id, "K0001").await;

    // The shipper's queue: the application, due by the channel's promise (3 working days).
    let mut shipper = test.operator("fahuo", "shipper").await;
    let queue = shipper
        .call("GET", "/api/v1/console/shipping", json!(null))
        .await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.text);
    assert_eq!(queue.json()[0]["application"]["id"], id);
    assert_eq!(queue.json()[0]["overdue"], false);
    let page = shipper.page("/console/shipping").await;
    assert_eq!(page.text.matches("data-testid=\"shipping-row\"").count(), 1);
    // A producer does not ship; a courier the channel does not use, or a number not of the
    // courier's format, is refused naming the field.
    let path = format!("/api/v1/console/applications/{id}/ship");
    let answer = producer
        .call(
            "POST",
            &path,
            json!({"courier": "sf", "tracking_no": "SF1234567890123"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = shipper
        .call(
            "POST",
            &path,
            json!({"courier": "ems", "tracking_no": "EA123456789CN"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["field"], "courier");
    let (status, text) = crate::orders::console_post(
        &mut shipper,
        "/console/shipping",
        &format!("/console/shipping/{id}"),
        &[("courier", "sf"), ("tracking_no", "12345")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(
        text.contains("tracking-error") && text.contains("SF1234567890123"),
        "{text}"
    );
    assert!(text.contains("value=\"12345\""), "what was typed is kept");

    // Shipped: 已寄出, the key shipped, the SMS with the number and the tracking page.
    let answer = shipper
        .call(
            "POST",
            &path,
            json!({"courier": "sf", "tracking_no": "sf 1234 5678 90123"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    let shown = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await
        .json();
    assert_eq!(shown["status"], "shipped");
    let keys = usb_key::search(&test.app, &cli, "K0001").await.unwrap();
    assert_eq!(keys[0].status, domain::usb_key::UsbKeyStatus::Shipped);
    test.run_jobs().await;
    let sms = test.sms.delivered_to(PHONE);
    assert!(
        sms.iter().any(|m| m.text.contains("SF1234567890123")
            && m.text.contains("kuaidi100.com/chaxun?com=shunfeng")),
        "{sms:?}"
    );
    let parcel = customer
        .call(
            "GET",
            &format!("/api/v1/applications/{id}/shipment"),
            json!(null),
        )
        .await;
    assert_eq!(parcel.status, StatusCode::OK, "{}", parcel.text);
    assert_eq!(parcel.json()["tracking_no"], "SF1234567890123");
    // Another customer sees nothing of it.
    let mut stranger = test.customer("13800138109", [10, 8, 3, 9]).await;
    let theirs = stranger
        .call(
            "GET",
            &format!("/api/v1/applications/{id}/shipment"),
            json!(null),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let refused = stranger
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/receipt"),
            json!(null),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    // Shipped once.
    let again = shipper
        .call(
            "POST",
            &path,
            json!({"courier": "sf", "tracking_no": "SF1234567890124"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);

    // 我的证书: the certificate with the key that carries it, downloadable; another
    // customer gets nothing of it.
    let mine = customer.page("/certificates").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(
        mine.text.matches("data-testid=\"certificate-row\"").count(),
        1
    );
    assert!(mine.text.contains("K0001") && mine.text.contains("北京环保科技有限公司"));
    let serial = mine
        .text
        .split("<code>")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .unwrap()
        .to_string();
    let (status, pem) = customer.bytes(&format!("/certificates/{serial}/pem")).await;
    assert_eq!(status, StatusCode::OK);
    let issued = services::ca::certificates::find(&test.app, &cli, &serial)
        .await
        .unwrap();
    assert_eq!(pki::certificate::from_pem(&pem).unwrap(), issued.der);
    let (status, der) = customer.bytes(&format!("/certificates/{serial}/cer")).await;
    assert_eq!((status, der), (StatusCode::OK, issued.der.clone()));
    let (status, _) = stranger.bytes(&format!("/certificates/{serial}/pem")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let theirs = stranger.page("/certificates").await;
    assert!(theirs.text.contains("data-testid=\"no-certificates\""));

    // Its details page and the API: the key's model and serial, the application, the
    // fingerprint; another customer's "not found".
    let details = customer.page(&format!("/certificates/{serial}")).await;
    assert_eq!(details.status, StatusCode::OK);
    let fingerprint = pki::certificate::sha256_hex(&issued.der);
    for shown in ["SM2-KEY", "K0001", "SQ", fingerprint.as_str(), "/c/huanbao"] {
        assert!(details.text.contains(shown), "{shown}: {}", details.text);
    }
    let theirs = stranger.page(&format!("/certificates/{serial}")).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let listed = customer
        .call("GET", "/api/v1/me/certificates", json!(null))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let listed = listed.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["serial"], serial);
    assert_eq!(listed[0]["holder"], "北京环保科技有限公司");
    assert_eq!(listed[0]["key_serial"], "K0001");
    assert_eq!(listed[0]["application_id"], id);
    assert_eq!(listed[0]["status"], "valid");
    assert_eq!(listed[0]["sha256"], fingerprint);
    let theirs = stranger
        .call("GET", "/api/v1/me/certificates", json!(null))
        .await;
    assert_eq!(theirs.json(), json!([]));
    let theirs = stranger
        .call(
            "GET",
            &format!("/api/v1/me/certificates/{serial}"),
            json!(null),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    // The public status: good, with the CA and validity, and nothing of the holder.
    let mut anyone = test.client([10, 8, 3, 77]);
    let status = anyone
        .call(
            "GET",
            &format!("/api/v1/certificate-status/{serial}"),
            json!(null),
        )
        .await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text);
    assert_eq!(status.json()["status"], "good");
    assert_eq!(status.json()["ca"], issued.ca);
    assert!(
        !status.text.contains("北京环保") && !status.text.contains("91350100M000100Y43"),
        "{}",
        status.text
    );

    // The customer's page shows the parcel; 签收: 已完成, the key in use.
    let mine = customer.page(&format!("/applications/{id}")).await;
    assert!(
        mine.text.contains("data-testid=\"shipment\"")
            && mine.text.contains("data-testid=\"confirm-receipt\"")
            && mine.text.contains("顺丰"),
        "{}",
        mine.text
    );
    let received = customer
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/receipt"),
            json!(null),
        )
        .await;
    assert_eq!(received.status, StatusCode::NO_CONTENT, "{}", received.text);
    let shown = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await
        .json();
    assert_eq!(shown["status"], "completed");
    let keys = usb_key::search(&test.app, &cli, "K0001").await.unwrap();
    assert_eq!(keys[0].status, domain::usb_key::UsbKeyStatus::Active);
    let again = customer
        .call(
            "POST",
            &format!("/api/v1/applications/{id}/receipt"),
            json!(null),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // A second one nobody confirms: taken as received after the channel's days (15), not
    // a day sooner.
    let mut customer2 = test.customer("13800138102", [10, 8, 3, 2]).await;
    let (id2, version) = crate::applications::filled(&mut customer2, "91110108MA01KPGK0L").await;
    test.sign_and_submit(&mut customer2, "13800138102", id2, version)
        .await;
    pay_by_transfer(&test, &mut customer2, &[id2], "caiwu2").await;
    approve(&mut reviewer, id2).await;
    produce_one(&mut producer, id2, "K0002").await;
    let answer = shipper
        .call(
            "POST",
            &format!("/api/v1/console/applications/{id2}/ship"),
            json!({"courier": "sto", "tracking_no": "773012345678901"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    test.clock
        .advance(std::time::Duration::from_secs(14 * 86_400));
    assert_eq!(
        services::jobs::receipts::run_once(&test.app).await.unwrap(),
        0
    );
    test.clock.advance(std::time::Duration::from_secs(86_400));
    assert_eq!(
        services::jobs::receipts::run_once(&test.app).await.unwrap(),
        1
    );
    // (The customer's session has long expired: read as the command line does.)
    let parcel = services::flows::ship::of_application(&test.app, id2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(parcel.receipt.as_deref(), Some("assumed"));
    let shown = services::flows::application::get_for_operator(&test.app, &cli, id2)
        .await
        .unwrap();
    assert_eq!(shown.status, domain::ApplicationStatus::Completed);
    let actions = test
        .audit_actions(&format!("application:{id2}"), "application.")
        .await;
    assert!(
        actions.iter().any(|a| a == "application.ship")
            && actions.iter().any(|a| a == "application.complete"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn keys_collected_at_the_counter_are_handed_over_on_the_pickup_code() {
    // huanbao without couriers: its keys are collected at the counter (seed 003: 可领取).
    let test = TestApp::with(|config| {
        for channel in &mut config.hall.channels {
            if channel.code == "huanbao" {
                channel.couriers.clear();
            }
        }
    })
    .await;
    let cli = Actor::Cli("test".into());
    receive(&test, "测试厂商", "SM2-KEY", "K0001").await;
    let mut customer = test.customer(PHONE, [10, 8, 4, 1]).await;
    let mut reviewer = test.operator("shenhe", "reviewer").await;
    let id = approved(&test, &mut customer, &mut reviewer).await;
    let mut producer = test.operator("zhizheng", "producer").await;
    produce_one(&mut producer, id, "K0001").await;

    // 可领取, and the code by SMS (the outbox holds it sealed).
    let shown = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await
        .json();
    assert_eq!(shown["status"], "ready_for_pickup");
    test.run_jobs().await;
    let code_of = |test: &TestApp| {
        test.sms
            .delivered_to(PHONE)
            .iter()
            .rev()
            .find_map(|m| {
                m.text
                    .split("领取码 ")
                    .nth(1)
                    .map(|rest| rest.chars().take(6).collect::<String>())
            })
            .expect("the pickup code")
    };
    let code = code_of(&test);
    test.assert_not_stored(format!("领取码 {code}").as_bytes(), "the pickup code");

    // The clerk's page lists it; a wrong code is refused beside the field, counted.
    let mut clerk = test.operator("guitai", "counter").await;
    let page = clerk.page("/console/pickups").await;
    assert_eq!(page.text.matches("data-testid=\"pickup-row\"").count(), 1);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let action = format!("/console/pickups/{id}/hand_over");
    let (status, text) =
        crate::orders::console_post(&mut clerk, "/console/pickups", &action, &[("code", wrong)])
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(
        text.contains("领取码不正确") && text.contains("code-error"),
        "{text}"
    );
    // A shipper is not a counter clerk.
    let mut shipper = test.operator("fahuo", "shipper").await;
    assert_eq!(
        shipper.page("/console/pickups").await.status,
        StatusCode::FORBIDDEN
    );
    let refused = services::flows::hand_over::hand_over(&test.app, &Actor::Customer(1), id, &code)
        .await
        .unwrap_err();
    assert_eq!(refused.code, "role_required");

    // Four more wrong codes lock it, even for the right one, until a new code is sent.
    for _ in 0..4 {
        crate::orders::console_post(&mut clerk, "/console/pickups", &action, &[("code", wrong)])
            .await;
    }
    let (status, text) = crate::orders::console_post(
        &mut clerk,
        "/console/pickups",
        &action,
        &[("code", code.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("重新发送领取码"), "{text}");
    let (status, text) = crate::orders::console_post(
        &mut clerk,
        "/console/pickups",
        &format!("/console/pickups/{id}/new_code"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("data-testid=\"code-resent\""));
    test.run_jobs().await;
    let new_code = code_of(&test);

    // The new code hands the key over: 已完成, the key in use, audited.
    let (status, text) = crate::orders::console_post(
        &mut clerk,
        "/console/pickups",
        &action,
        &[("code", new_code.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{text}");
    let shown = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await
        .json();
    assert_eq!(shown["status"], "completed");
    let keys = usb_key::search(&test.app, &cli, "K0001").await.unwrap();
    assert_eq!(keys[0].status, domain::usb_key::UsbKeyStatus::Active);
    let actions = test
        .audit_actions(&format!("application:{id}"), "application.")
        .await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "application.pickup_refused")
            .count(),
        5
    );
    assert!(
        actions.iter().any(|a| a == "application.hand_over"),
        "{actions:?}"
    );
    let page = clerk.page("/console/pickups").await;
    assert!(page.text.contains("data-testid=\"pickups-empty\""));
}

#[tokio::test]
async fn a_waybill_is_made_through_the_courier_platform_and_the_parcel_followed_to_signed() {
    use providers::courier::kuaidi100::Kuaidi100;
    use providers::courier::sandbox::Kuaidi100Sandbox;
    let mut platform = None;
    let test = TestApp::with(|config| {
        let sandbox = std::sync::Arc::new(Kuaidi100Sandbox::new(config.clock.clone()));
        config.courier = Some(std::sync::Arc::new(Kuaidi100::sandboxed(
            sandbox.clone(),
            config.clock.clone(),
        )));
        platform = Some(sandbox);
    })
    .await;
    let sandbox = platform.unwrap();
    receive(&test, "测试厂商", "SM2-KEY", "K0001").await;
    let mut customer = test.customer(PHONE, [10, 8, 4, 1]).await;
    let mut reviewer = test.operator("shenhe", "reviewer").await;
    let id = approved(&test, &mut customer, &mut reviewer).await;
    let mut producer = test.operator("zhizheng", "producer").await;
    produce_one(&mut producer, id, "K0001").await;
    let mut shipper = test.operator("fahuo", "shipper").await;
    let page = shipper.page("/console/shipping").await;
    assert!(
        page.text.contains("data-testid=\"waybill\""),
        "{}",
        page.text
    );

    let path = format!("/api/v1/console/applications/{id}/waybill");
    // A producer does not ship; a courier the channel does not use is refused first.
    let refused = producer.call("POST", &path, json!({"courier": "sf"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = shipper.call("POST", &path, json!({"courier": "ems"})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(sandbox.waybills(), 0, "nothing asked of the platform");
    // The platform down: said so, nothing shipped; asked again, shipped.
    sandbox.fail_next(1);
    let down = shipper.call("POST", &path, json!({"courier": "sf"})).await;
    assert_eq!(
        down.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        down.text
    );
    assert_eq!(down.json()["error"]["code"], "courier_unavailable");
    assert!(
        services::flows::ship::of_application(&test.app, id)
            .await
            .unwrap()
            .is_none()
    );
    let made = shipper.call("POST", &path, json!({"courier": "sf"})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let tracking_no = made.json()["tracking_no"].as_str().unwrap().to_string();
    assert!(tracking_no.starts_with("SF"), "{tracking_no}");
    assert_eq!(sandbox.waybills(), 1);
    test.run_jobs().await;
    assert!(
        test.sms
            .delivered_to(PHONE)
            .iter()
            .any(|m| m.text.contains(&tracking_no)),
        "the customer's SMS has the waybill's number"
    );
    let again = shipper.call("POST", &path, json!({"courier": "sf"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "shipped once");

    // The customer follows it: not collected, then collected, then signed for by the
    // courier's record, which completes the application.
    let shipment = format!("/api/v1/applications/{id}/shipment");
    let parcel = customer.call("GET", &shipment, json!(null)).await.json();
    assert_eq!(parcel["parcel_state"], "waiting");
    // (In steps the customer's session outlives: it ends after two idle hours.)
    test.clock.advance(std::time::Duration::from_secs(90 * 60));
    let parcel = customer.call("GET", &shipment, json!(null)).await.json();
    assert_eq!(parcel["parcel_state"], "waiting");
    test.clock.advance(std::time::Duration::from_secs(90 * 60));
    let parcel = customer.call("GET", &shipment, json!(null)).await.json();
    assert_eq!(parcel["parcel_state"], "collected");
    assert_eq!(parcel["events"].as_array().unwrap().len(), 1);
    let mine = customer.page(&format!("/applications/{id}")).await;
    assert!(
        mine.text.contains("data-testid=\"parcel-events\"") && mine.text.contains("已揽收"),
        "{}",
        mine.text
    );
    // Read again within ten minutes, the journey is reused: the platform, down now, is not
    // asked. Past them it is, and its trouble leaves the parcel without a journey.
    sandbox.fail_next(1);
    let again = customer.call("GET", &shipment, json!(null)).await.json();
    assert_eq!(again["parcel_state"], "collected");
    test.clock.advance(std::time::Duration::from_secs(11 * 60));
    let down = customer.call("GET", &shipment, json!(null)).await;
    assert_eq!(down.status, StatusCode::OK, "{}", down.text);
    assert!(down.json().get("parcel_state").is_none(), "{}", down.text);
    assert_eq!(down.json()["tracking_no"], tracking_no.as_str());
    assert_eq!(
        services::jobs::receipts::run_once(&test.app).await.unwrap(),
        0
    );
    test.clock
        .advance(std::time::Duration::from_secs(28 * 3600));
    assert_eq!(
        services::jobs::receipts::run_once(&test.app).await.unwrap(),
        1
    );
    let parcel = services::flows::ship::of_application(&test.app, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(parcel.receipt.as_deref(), Some("courier"));
    let shown =
        services::flows::application::get_for_operator(&test.app, &Actor::Cli("test".into()), id)
            .await
            .unwrap();
    assert_eq!(shown.status, domain::ApplicationStatus::Completed);
}

#[tokio::test]
async fn a_paper_invoice_goes_in_the_parcel_once_it_is_issued() {
    let test = TestApp::new().await;
    let cli = Actor::Cli("test".into());
    receive(&test, "测试厂商", "SM2-KEY", "K0001").await;
    let mut customer = test.customer(PHONE, [10, 8, 5, 1]).await;
    let (id, version) = crate::applications::filled(&mut customer, "91350100M000100Y43").await;
    let delivery = json!({
        "version": version, "courier": "sf", "save_address": false,
        "address": {"recipient": "张三", "phone": PHONE, "province": "北京市", "city": "北京市",
                    "district": "海淀区", "detail": "中关村大街1号", "postal_code": "100080"},
        "invoice": {"needed": true, "kind": "paper_normal"},
    });
    let answer = customer
        .call(
            "PUT",
            &format!("/api/v1/applications/{id}/delivery"),
            delivery,
        )
        .await;
    let version = answer.json()["version"].as_i64().unwrap();
    test.sign_and_submit(&mut customer, PHONE, id, version)
        .await;
    let order = pay_by_transfer(&test, &mut customer, &[id], "caiwu").await;
    let mut reviewer = test.operator("shenhe", "reviewer").await;
    approve(&mut reviewer, id).await;
    let mut producer = test.operator("zhizheng", "producer").await;
    produce_one(&mut producer, id, "K0001").await;

    // Not issued yet: the queue says so, and putting it in the parcel is refused by name.
    let mut shipper = test.operator("fahuo", "shipper").await;
    let queue = shipper
        .call("GET", "/api/v1/console/shipping", json!(null))
        .await
        .json();
    assert_eq!(queue[0]["paper_invoices_waiting"], 1);
    assert_eq!(queue[0]["paper_invoices_ready"], 0);
    assert!(
        shipper
            .page("/console/shipping")
            .await
            .text
            .contains("data-testid=\"invoice-waiting\"")
    );
    let path = format!("/api/v1/console/applications/{id}/ship");
    let refused = shipper
        .call(
            "POST",
            &path,
            json!({"courier": "sf", "tracking_no": "SF1234567890123", "invoice_in_parcel": true}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(refused.json()["error"]["field"], "invoice_in_parcel");
    assert!(
        services::flows::ship::of_application(&test.app, id)
            .await
            .unwrap()
            .is_none(),
        "nothing shipped"
    );

    // Issued by finance: it goes in the parcel, mailed with the parcel's number.
    let shown = crate::online::order_json(&mut customer, order).await;
    let invoice = shown["invoices"][0]["id"].as_i64().unwrap();
    services::flows::invoice::attach(
        &test.app,
        &cli,
        invoice,
        "26112000000000012345",
        b"%PDF-1.7\n% issued on the tax platform\n",
    )
    .await
    .unwrap();
    let page = shipper.page("/console/shipping").await;
    assert!(
        page.text.contains("data-testid=\"invoice-in-parcel\""),
        "{}",
        page.text
    );
    let shipped = shipper
        .call(
            "POST",
            &path,
            json!({"courier": "sf", "tracking_no": "SF1234567890123", "invoice_in_parcel": true}),
        )
        .await;
    assert_eq!(shipped.status, StatusCode::NO_CONTENT, "{}", shipped.text);
    let shown = crate::online::order_json(&mut customer, order).await;
    assert_eq!(shown["invoices"][0]["status"], "mailed");
    assert_eq!(shown["invoices"][0]["tracking_no"], "SF1234567890123");
    let actions = test
        .audit_actions(&format!("order:{order}"), "invoice.mail")
        .await;
    assert_eq!(actions.len(), 1);
}

/// `certhall-key produce --order`: an order for two keys (one holder's application of
/// quantity 2: an order holds one holder's applications) onto the two blank keys inserted,
/// one each, their envelopes apart; asked again, nothing is left to make.
#[tokio::test]
async fn certhall_key_produces_every_application_of_an_order_onto_the_keys_inserted() {
    let dir = tempfile::tempdir().unwrap();
    let conf = token::softhsm::configure(dir.path()).unwrap();
    for label in ["BLANK1", "BLANK2"] {
        token::softhsm::init_token(&conf, label, TRANSPORT_SO_PIN, "87654321").unwrap();
    }
    // SAFETY: set before any PKCS#11 module is loaded, in this test's own process.
    unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
    let test = TestApp::with(|config| {
        for channel in &mut config.hall.channels {
            if channel.code == "huanbao" {
                channel.products[0].family = "ecdsa".into();
            }
        }
    })
    .await;
    let server = test.serve().await;
    let inserted: Vec<token::InsertedKey> = token::Module::load(std::path::Path::new(SOFTHSM))
        .unwrap()
        .keys()
        .unwrap()
        .into_iter()
        .filter(|k| k.initialised)
        .collect();
    assert_eq!(inserted.len(), 2);
    for key in &inserted {
        receive(&test, &key.vendor, &key.model, &key.serial).await;
    }
    let mut customer = test.customer(PHONE, [10, 8, 6, 1]).await;
    let (id, version) = crate::applications::filled(&mut customer, "91350100M000100Y43").await;
    let two = json!({"version": version, "product": "org-usbkey", "years": 2, "quantity": 2});
    let answer = customer
        .call("PUT", &format!("/api/v1/applications/{id}/product"), two)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let version = answer.json()["version"].as_i64().unwrap();
    test.sign_and_submit(&mut customer, PHONE, id, version)
        .await;
    let order = pay_by_transfer(&test, &mut customer, &[id], "caiwu").await;
    let mut reviewer = test.operator("shenhe", "reviewer").await;
    approve(&mut reviewer, id).await;
    let password = test.new_operator("zhizheng", "producer").await;
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, password.as_bytes()).unwrap();
    let transport = dir.path().join("transport-so-pin");
    std::fs::write(&transport, TRANSPORT_SO_PIN).unwrap();
    let args = certhall_key::ProduceArgs {
        server: server.clone(),
        user: "zhizheng".into(),
        password_file,
        module: SOFTHSM.into(),
        serial: None,
        application: None,
        order: Some(order),
        transport_so_pin_file: transport,
        pin_envelope: Some(dir.path().join("envelope.txt")),
        workstation: "zhizheng-pc-01".into(),
        sm2_mechanism: None,
    };
    let made = certhall_key::produce_order(&args, order).await.unwrap();
    assert_eq!(made.len(), 2, "{made:?}");
    assert_ne!(made[0].certificate_serial, made[1].certificate_serial);
    for (made, key) in made.iter().zip(&inserted) {
        assert_eq!(made.key_serial, key.serial, "in slot order");
        let envelope = dir.path().join(format!("envelope-{}.txt", key.serial));
        let text = std::fs::read_to_string(&envelope).unwrap();
        assert!(text.contains(&made.application_number), "{text}");
    }
    let cli = Actor::Cli("test".into());
    for key in &inserted {
        let found = usb_key::search(&test.app, &cli, &key.serial).await.unwrap();
        assert_eq!(found[0].status, domain::usb_key::UsbKeyStatus::Produced);
    }
    let shown = customer
        .call("GET", &format!("/api/v1/applications/{id}"), json!(null))
        .await
        .json();
    assert_eq!(shown["status"], "producing", "waiting for the shipper now");
    // Nothing of the order is left to make.
    let again = certhall_key::produce_order(&args, order).await.unwrap_err();
    assert!(format!("{again:#}").contains("nothing made"), "{again:#}");
}
