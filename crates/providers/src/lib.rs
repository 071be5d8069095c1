//! CertHall's adapters to the outside world. Each kind of service is a trait with its own
//! types (never a table row), a real adapter that speaks the provider's protocol, and a
//! sandbox that behaves like the real service, failures included, for demos and tests.
//! The use cases (`services`) see only the traits; the binary chooses the implementations.
//!
//! Today: notifications ([`notify`]: SMS and e-mail), document storage ([`storage`]: the
//! local file system, S3-compatible object stores) and real-name verification
//! ([`identity`]), online payment ([`payment`]: Alipay and WeChat Pay; their simulator is
//! the crate `certhall-paysim`), invoicing ([`invoicing`]) and couriers ([`courier`]:
//! waybills and tracking through kuaidi100). Each module is laid out the
//! same way: `mod.rs` (the trait and its types), `sandbox.rs`, one file per real adapter.

pub mod courier;
pub mod identity;
pub mod invoicing;
pub mod notify;
pub mod payment;
pub mod signed_json;
pub mod signing;
pub mod storage;

/// The HTTP client every adapter uses: rustls with aws-lc-rs (installed as the process's
/// provider if none is), webpki roots, a total timeout per request.
pub(crate) fn http_client(timeout: std::time::Duration) -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}
