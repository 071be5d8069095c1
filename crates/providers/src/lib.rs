//! CertHall's adapters to the outside world. Each kind of service is a trait with its own
//! types (never a table row), a real adapter that speaks the provider's protocol, and a
//! sandbox that behaves like the real service, failures included, for demos and tests.
//! The use cases (`services`) see only the traits; the binary chooses the implementations.
//!
//! Today: notifications ([`notify`]: SMS and e-mail) and document storage ([`storage`]). Payment, identity verification,
//! object storage and invoicing adapters come as sibling modules, each laid out the same
//! way: `mod.rs` (the trait and its types), `sandbox.rs`, one file per real adapter.

pub mod notify;
pub mod storage;
