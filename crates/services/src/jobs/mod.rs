//! The background jobs `serve` runs, one file each, all started by [`spawn_all`]. Each job
//! is a loop around a `run_once(&App)` that does one round and returns; tests call the
//! rounds directly (with the settable clock) instead of waiting for the loops.
//!
//! With several `serve` nodes on one database, jobs that must run on one node at a time
//! take a lease first (`store::leases`); the CRL publisher does.

pub mod crl;
pub mod housekeeping;
pub mod invoices;
pub mod ocsp_renewal;
pub mod outbox;
pub mod pin_transfers;
pub mod receipts;
pub mod reconcile_payments;
pub mod unpaid_orders;

use std::sync::Arc;

use crate::App;

/// Starts every job on the current runtime (once the CA engine is open).
pub fn spawn_all(app: &Arc<App>) {
    tokio::spawn(crl::run(app.clone()));
    tokio::spawn(housekeeping::run(app.clone()));
    tokio::spawn(ocsp_renewal::run(app.clone()));
    tokio::spawn(outbox::run(app.clone()));
    tokio::spawn(unpaid_orders::run(app.clone()));
    tokio::spawn(reconcile_payments::run(app.clone()));
    tokio::spawn(invoices::run(app.clone()));
    tokio::spawn(receipts::run(app.clone()));
    tokio::spawn(pin_transfers::run(app.clone()));
}
