//! The business flows: an application (申请单) of one of the seven business types goes
//! through one pipeline (apply → pay → review → produce → ship), and each verb becomes one
//! file here, named as the customer or clerk says it: `apply.rs`, `review.rs`, `pay.rs`,
//! `confirm_payment.rs`, `produce.rs`, `ship.rs`, `renew.rs`, `unlock.rs`, `replace.rs`,
//! `change.rs`, `revoke.rs`, `invoice.rs`, `bill.rs`.
//!
//! Each follows the shape of [`crate::ca::revoke`]: it takes `&App` and the acting
//! session, checks the role and the separation of duties ([`crate::people::actor`]), and in
//! one transaction reads, asks `domain::<noun>::Status::apply` for the change, writes it
//! through `store::transition`, appends its audit event and queues its notifications
//! ([`crate::notifications::enqueue`]). Outside services are called through the
//! `providers` traits, outside the transaction or via the outbox. Its `//!` lists the
//! transitions it makes (`Submitted → UnderReview`). Nothing lives here yet: the
//! applications issue brings the first.
