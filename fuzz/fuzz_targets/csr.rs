//! Any bytes given as a CSR: parsed and checked for every key family; must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pki::KeyFamily;

fuzz_target!(|data: &[u8]| {
    for family in KeyFamily::ALL {
        let _ = pki::csr::check(data, family);
    }
});
