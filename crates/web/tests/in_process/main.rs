//! Tests of the business rules on an in-process application (see [`harness`]): the real
//! application object, store and router, a settable clock, the sandbox SMS service. One
//! test binary for all of them (each file a group), so adding a flow adds no link time.

mod harness;

mod applications;
mod consent;
mod console;
mod counter;
mod documents;
mod hardening;
mod invoices;
mod keys;
mod load;
mod online;
mod orders;
mod printing;
mod production;
mod refunds;
mod status;
mod time_rules;
mod verification;
