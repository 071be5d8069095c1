//! The CSR and OCSP request parsers on systematically damaged input: every byte flipped
//! three ways and every truncation of real OpenSSL-made requests. Each case must end in a
//! clear `Err` (or, for harmless changes, `Ok`), never a panic. This runs in every test
//! run; `fuzz/` has the coverage-guided version (docs/FUZZING.md).

use certhall_pki as pki;
use pki::KeyFamily;

fn mutations(original: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..original.len() {
        for change in [0x00u8, 0xff, 0x80] {
            let mut m = original.to_vec();
            m[i] = if change == 0x80 { m[i] ^ 0x80 } else { change };
            out.push(m);
        }
        out.push(original[..i].to_vec());
    }
    out
}

#[test]
fn damaged_csrs_are_refused_without_panicking() {
    for (file, family) in [
        ("ecdsa.csr.der", KeyFamily::EcdsaP256),
        ("sm2.csr.der", KeyFamily::Sm2),
        ("rsa.csr.der", KeyFamily::Rsa),
    ] {
        let original = std::fs::read(format!(
            "{}/tests/fixtures/{file}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let checked = pki::csr::check(&original, family).expect("the fixture itself is valid");
        assert_eq!(checked.family, family);
        let mut refused = 0;
        for damaged in mutations(&original) {
            if pki::csr::check(&damaged, family).is_err() {
                refused += 1;
            }
        }
        // Nearly every change breaks the DER or the signature.
        assert!(
            refused * 100 >= (original.len() * 4) * 95,
            "{file}: only {refused} refused"
        );
    }
}

#[test]
fn damaged_ocsp_requests_are_refused_without_panicking() {
    let original = std::fs::read(format!(
        "{}/tests/fixtures/ocsp-request.der",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let parsed = pki::ocsp::parse_request(&original).expect("the fixture itself is valid");
    assert_eq!(parsed.ids.len(), 1);
    assert!(parsed.nonce.is_some());
    for damaged in mutations(&original) {
        let _ = pki::ocsp::parse_request(&damaged);
    }
    assert!(
        pki::ocsp::parse_request(&vec![0x30; 100_000]).is_err(),
        "oversized input is refused"
    );
}
