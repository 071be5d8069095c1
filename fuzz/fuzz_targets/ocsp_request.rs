//! Any bytes given as an OCSP request body: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pki::ocsp::parse_request(data);
});
