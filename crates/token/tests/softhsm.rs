//! A blank key as a vendor ships it (a SoftHSM2 token initialised with transport PINs),
//! made the way production makes it: wiped and initialised with a new SO PIN and a user
//! PIN, a key pair generated on it (P-256, then RSA-2048), a request built and signed on
//! it, a certificate written with the key pair's CKA_ID and read back. Checked from
//! outside with OpenSC's `pkcs11-tool`: the private key is on the key, sensitive and never
//! extractable, its CKA_ID the certificate's; the old SO PIN no longer logs in; the new
//! user PIN does. One test per process: SOFTHSM2_CONF is the process's.

use std::path::{Path, PathBuf};
use std::process::Command;

use pki::name::SubjectFields;
use pki::{KeyFamily, Signer};
use token::Module;

use token::softhsm::MODULE;
const TRANSPORT_SO_PIN: &str = "12345678";
const TRANSPORT_USER_PIN: &str = "87654321";

/// A SoftHSM2 configuration under `dir` with one blank key; the configuration's path.
fn blank_key(dir: &Path) -> PathBuf {
    let conf = token::softhsm::configure(dir).unwrap();
    token::softhsm::init_token(&conf, "BLANK", TRANSPORT_SO_PIN, TRANSPORT_USER_PIN).unwrap();
    conf
}

fn pkcs11_tool(conf: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", conf)
        .arg("--module")
        .arg(MODULE)
        .args(args)
        .output()
        .expect("pkcs11-tool (package opensc)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn a_blank_key_is_initialised_given_a_key_pair_and_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let conf = blank_key(dir.path());
    // SAFETY: this test binary runs one test, in its own process, before any thread reads
    // the environment.
    unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
    let module = Module::load(Path::new(MODULE)).unwrap();
    let key = module.key(None).unwrap();
    assert!(!key.serial.is_empty(), "{key:?}");
    assert_eq!(key.vendor, "SoftHSM project");
    let serial = key.serial.clone();

    let so_pin = "8402175593017264";
    let user_pin = "31415926";
    module
        .initialise(key.slot, TRANSPORT_SO_PIN, "CertHall SQ1", so_pin, user_pin)
        .unwrap();
    let key = module
        .key(Some(&serial))
        .expect("the same key, its serial kept");
    assert_eq!(key.label, "CertHall SQ1");
    // A wrong SO PIN is refused; the transport PINs are gone.
    assert!(
        module
            .initialise(key.slot, TRANSPORT_SO_PIN, "again", so_pin, user_pin)
            .is_err()
    );
    let (ok, _) = pkcs11_tool(
        &conf,
        &[
            "--token-label",
            "CertHall SQ1",
            "--login",
            "--pin",
            TRANSPORT_USER_PIN,
            "--list-objects",
        ],
    );
    assert!(!ok, "the transport user PIN no longer logs in");

    for (family, id) in [
        (KeyFamily::EcdsaP256, vec![0x11; 20]),
        (KeyFamily::Rsa, vec![0x22; 20]),
    ] {
        let signer = module
            .generate(key.slot, user_pin, family, "CertHall SQ1", &id, None)
            .unwrap();
        assert_eq!(signer.family(), family);
        // The request, signed on the key, checks.
        let subject: SubjectFields = "/C=CN/O=某公司/CN=某公司".parse().unwrap();
        let csr = pki::csr::build(&signer, &subject).unwrap();
        let checked = pki::csr::check(&csr, family).unwrap();
        assert_eq!(&checked.public_key, signer.public_key());
        // A certificate of the key's public key (here one it signs itself), written with
        // the key pair's CKA_ID and read back whole.
        let now = domain::UnixTime::from_seconds(1_790_000_000);
        let issued = pki::certificate::self_signed_root(
            &signer,
            &"/C=CN/O=测试/CN=测试根".parse().unwrap(),
            &pki::serial::Serial::random().unwrap(),
            365,
            now,
        )
        .unwrap();
        module
            .write_certificate(key.slot, user_pin, &id, "CertHall SQ1", &issued.der)
            .unwrap();
        assert_eq!(module.read_certificate(key.slot, &id).unwrap(), issued.der);
        let pem = pki::certificate::to_pem(&issued.der).unwrap();
        let path = dir.path().join(format!("{}.pem", family.as_str()));
        std::fs::write(&path, pem).unwrap();
        let verified = Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(&path)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            verified.status.success(),
            "{}",
            String::from_utf8_lossy(&verified.stderr)
        );
    }
    assert!(matches!(
        module.read_certificate(key.slot, &[0x33; 20]),
        Err(token::TokenError::NoCertificate)
    ));

    // From outside: the private keys are on the key, sensitive and never extractable, and
    // each certificate carries its key pair's CKA_ID.
    let (ok, listing) = pkcs11_tool(
        &conf,
        &[
            "--token-label",
            "CertHall SQ1",
            "--login",
            "--pin",
            user_pin,
            "--list-objects",
        ],
    );
    assert!(ok, "{listing}");
    // Each object starts on an unindented line; its attributes follow, indented.
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
    let private: Vec<&String> = objects
        .iter()
        .filter(|o| o.contains("Private Key Object"))
        .collect();
    assert_eq!(private.len(), 2, "{listing}");
    for object in &private {
        assert!(
            object.contains("never extractable") && object.contains("sensitive"),
            "{object}"
        );
    }
    for id in [
        "1111111111111111111111111111111111111111",
        "2222222222222222222222222222222222222222",
    ] {
        let with_id = objects.iter().filter(|o| o.contains(id)).count();
        assert_eq!(
            with_id, 3,
            "private key, public key and certificate share {id}: {listing}"
        );
    }
    // The SO PIN the server made unlocks the key (a new user PIN set as SO, as an unlock
    // does); the transport one does not.
    let unlock = |so: &str| {
        pkcs11_tool(
            &conf,
            &[
                "--token-label",
                "CertHall SQ1",
                "--login",
                "--login-type",
                "so",
                "--so-pin",
                so,
                "--init-pin",
                "--new-pin",
                "99999999",
            ],
        )
    };
    assert!(!unlock(TRANSPORT_SO_PIN).0);
    let (ok, out) = unlock(so_pin);
    assert!(ok, "{out}");
    let (ok, out) = pkcs11_tool(
        &conf,
        &[
            "--token-label",
            "CertHall SQ1",
            "--login",
            "--pin",
            "99999999",
            "--list-objects",
        ],
    );
    assert!(ok, "{out}");
}
