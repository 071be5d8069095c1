//! The business flows: an application (申请单) of one of the seven business types goes
//! through one pipeline (apply → pay → review → produce → ship), and each verb is one file
//! here, named as the customer or clerk says it: [`apply`], [`submit`], [`edit`],
//! [`cancel`], [`review`], [`upload`], [`print`], [`verify`], [`counter`] (现场办理: a clerk
//! applies for a customer who came in person, through the same verbs), [`place`] (下单:
//! applications into an order), [`pay`] (the transfer's voucher), [`confirm_payment`]
//! (finance's 核款 and 支付异常), [`refund`] (撤单退款, and money an order did not need),
//! [`invoice`] (发票: requested when paid, issued by finance or the invoicing provider),
//! [`usb_key`] (介质: the inventory a producer takes blank keys from), [`produce`] (制证:
//! a workstation puts the certificate onto a key), [`ship`] (寄出 and 签收), [`hand_over`]
//! (可领取: the pickup code, the counter's hand-over), [`readdress`] (修改邮寄地址 until
//! review), [`certificates`] (我的证书); `renew.rs`, `unlock.rs`, `replace.rs`,
//! `change.rs` follow with their issues.
//! [`application`] holds what they share: loading with authorization, sealing the content,
//! saving it, and [`application::change_status`], the one way a flow changes a status;
//! [`order`] the same for orders.
//!
//! Each follows the shape of [`crate::ca::revoke`]: it takes `&App` and the acting
//! session, checks the role and the separation of duties ([`crate::people::actor`]), and in
//! one transaction reads, asks `domain::ApplicationStatus::apply` for the change, writes it
//! through `store::transition`, appends its audit event and queues its notifications
//! ([`crate::notifications::enqueue`]). Outside services are called through the
//! `providers` traits, outside the transaction or via the outbox. Its `//!` lists the
//! transitions it makes (`Submitted → UnderReview`).

pub mod application;
pub mod apply;
pub mod cancel;
pub mod certificates;
pub mod confirm_payment;
pub mod counter;
pub mod edit;
pub mod hand_over;
pub mod import_statement;
pub mod invoice;
pub mod order;
pub mod pay;
pub mod place;
pub mod print;
pub mod produce;
pub mod readdress;
pub mod refund;
pub mod review;
pub mod ship;
pub mod submit;
pub mod upload;
pub mod usb_key;
pub mod verify;
