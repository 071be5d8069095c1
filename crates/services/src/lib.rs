//! CertHall's use cases, around one application object, [`App`].
//!
//! Every use case is a function `verb(app: &App, who, input)` in a file named for what the
//! customer or clerk does, in a wing of its noun:
//!
//! - [`ca`]: the CA engine behind a narrow door (issue, revoke, CRL, OCSP, API tokens);
//! - [`people`]: customers, operators, who is acting ([`people::actor`]), sessions,
//!   credentials, SMS codes, profiles and address books;
//! - [`hall`]: the hall configuration, channels, the working calendar, the console's queues;
//! - [`notifications`]: messages through the outbox, their templates and their delivery;
//! - [`audit`]: the hash-chained log, read and verified;
//! - [`jobs`]: the background jobs `serve` runs, one file each;
//! - [`flows`]: the business flows (apply, pay, review, produce, ship, …) as they come.
//!
//! A use case checks who may act (roles, separation of duties) itself, so every face of
//! CertHall (pages, API, command line) gets the same answer; then, in one transaction, it
//! reads, asks the domain's state machine, writes, appends its audit event and queues its
//! notifications. `web` sees this crate only: the store stays private to it.

pub mod app;
pub mod audit;
pub mod ca;
pub mod documents;
mod error;
pub mod flows;
pub mod hall;
pub mod jobs;
pub mod metrics;
pub mod notifications;
pub mod people;
mod secrets;

pub use app::{App, Config, Notifiers, OnlinePayment};
pub use error::{ErrorKind, ServiceError};
