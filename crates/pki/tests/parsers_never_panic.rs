//! The CSR and OCSP request parsers on systematically damaged input: every byte flipped
//! three ways and every truncation of real OpenSSL-made requests. Each case must end in a
//! clear `Err` (or, for harmless changes, `Ok`), never a panic. This runs in every test
//! run; `fuzz/` has the coverage-guided version (docs/FUZZING.md).

use certhall_pki as pki;
use pki::KeyFamily;

// Compiled in, so the test binary never depends on where the checkout was when it was built.
const ECDSA_CSR: &[u8] = include_bytes!("fixtures/ecdsa.csr.der");
const SM2_CSR: &[u8] = include_bytes!("fixtures/sm2.csr.der");
const RSA_CSR: &[u8] = include_bytes!("fixtures/rsa.csr.der");
const OCSP_REQUEST: &[u8] = include_bytes!("fixtures/ocsp-request.der");

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
    for (file, original, family) in [
        ("ecdsa.csr.der", ECDSA_CSR, KeyFamily::EcdsaP256),
        ("sm2.csr.der", SM2_CSR, KeyFamily::Sm2),
        ("rsa.csr.der", RSA_CSR, KeyFamily::Rsa),
    ] {
        let checked = pki::csr::check(original, family).expect("the fixture itself is valid");
        assert_eq!(checked.family, family);
        let mut refused = 0;
        for damaged in mutations(original) {
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
    let original = OCSP_REQUEST;
    let parsed = pki::ocsp::parse_request(original).expect("the fixture itself is valid");
    assert_eq!(parsed.ids.len(), 1);
    assert!(parsed.nonce.is_some());
    for damaged in mutations(original) {
        let _ = pki::ocsp::parse_request(&damaged);
    }
    assert!(
        pki::ocsp::parse_request(&vec![0x30; 100_000]).is_err(),
        "oversized input is refused"
    );
}
