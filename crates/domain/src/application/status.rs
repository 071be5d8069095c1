//! The state machine of an application (申请单), one for every business type.
//!
//! ```text
//!            submit            take              approve
//!  Draft ──────────▶ Submitted ──────▶ UnderReview ───────▶ Approved ──▶ (fulfilment)
//!   ▲  ▲                │  ▲  release   │  │ reject
//!   │  └──── edit ──────┘  └────────────┘  ▼
//!   └─────────── edit ─────────────── Rejected
//!  Draft, Submitted, Rejected ── cancel ──▶ Cancelled
//!
//!  fulfilment, by the pipeline:
//!  Approved ── start_production ──▶ Producing ── ship ──▶ Shipped ── complete ──▶ Completed
//!                                      │  └── produced ──▶ ReadyForPickup ── complete ──┘
//!                                      ├── produced (issued onto the customer's own key) ──▶ Completed
//!                                      └── production_failed ──▶ Approved (produced again)
//!  Approved ── complete ──▶ Completed   (nothing to produce: unlock, revocation)
//!
//!  payment, by the pipeline (the channel's rule; nothing to pay: no payment step):
//!  before review (seed 000):     Draft ── submit ──▶ AwaitingPayment ── pay ──▶ Submitted
//!  before production (seed 003): UnderReview ── approve ──▶ AwaitingPayment ── pay ──▶ Paid
//!                                (Paid is then where fulfilment starts, instead of Approved)
//!  AwaitingPayment ── payment_failed ──▶ PaymentException ── pay ──▶ (as above)
//!  PaymentException ── await_payment ──▶ AwaitingPayment   (a new voucher; its order dropped)
//!  paid and nothing made yet ── refund ──▶ Cancelled   (finance cancels the paid order:
//!      from Draft, Submitted, Rejected, or where fulfilment starts; not under review)
//! ```
//!
//! Which steps an application has is data, its [`Pipeline`]: the business type says
//! whether something is produced and delivered, the customer's delivery choice says how,
//! the channel says where payment sits and the fee whether there is any. The transition
//! table takes the pipeline, so an unlock can never be "shipped", a new key never
//! "completed" before it is produced, and nothing produced before it is paid for. Payment
//! itself is the order's ([`crate::order`]); the flows move the applications of an order
//! as it is paid, and an application paid already (rejected, edited and resubmitted) is
//! moved on at once.

use crate::business::BusinessType;
use crate::transition::{Refused, Status, Transition, UnknownState};

/// Where an application stands, as the customer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationStatus {
    /// 填写中: being filled in, saved at every step.
    Draft,
    /// 待审核: signed and submitted; the customer may still take it back to edit.
    Submitted,
    /// 申请受理中: a reviewer has taken it; locked against the customer's edits.
    UnderReview,
    /// 审核拒绝: returned with a reason; the customer edits and resubmits (立即修改).
    Rejected,
    /// 审核通过.
    Approved,
    /// 待支付: waiting for its order to be placed and paid.
    AwaitingPayment,
    /// 支付异常: finance found a problem with its order's payment.
    PaymentException,
    /// 已支付: approved and paid (payment after review); production is next.
    Paid,
    /// 制证中.
    Producing,
    /// 可领取: made, waiting at the counter.
    ReadyForPickup,
    /// 已寄出: with the courier.
    Shipped,
    /// 已完成.
    Completed,
    /// 已取消.
    Cancelled,
}

/// What happens to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationEvent {
    /// The customer signs and submits it.
    Submit,
    /// The customer takes it back to change it (from 待审核 or 审核拒绝).
    Edit,
    /// A reviewer takes it (申请受理).
    Take,
    /// The reviewer puts it back in the queue without a decision.
    Release,
    Approve,
    Reject,
    /// The customer (or a clerk for them) gives it up.
    Cancel,
    StartProduction,
    /// Made: ready at the counter, or done when it was issued onto the customer's own key.
    Produced,
    /// Production failed; the application waits to be produced again.
    ProductionFailed,
    Ship,
    /// Received, picked up, or (nothing to produce) carried out.
    Complete,
    /// Its order is paid (transfer confirmed by finance, or paid online).
    Pay,
    /// Finance marked a problem with its order's payment.
    PaymentFailed,
    /// It waits for payment again: a new voucher was uploaded after an exception, or its
    /// order was cancelled or closed unpaid (it waits for a new order).
    AwaitPayment,
    /// Finance cancels its paid order and gives the money back (撤单退款); only before
    /// anything is made, and not while a reviewer holds it.
    Refund,
}

/// How what the application asks for reaches the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// A key is shipped by courier.
    Ship,
    /// A key waits at the counter.
    Pickup,
    /// Nothing travels: issued onto the customer's own key, or nothing made at all.
    None,
}

/// Where payment sits in an application's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStep {
    /// Nothing to pay (a free business).
    None,
    /// Paid after submission, before the CA reviews it (seed 000).
    BeforeReview,
    /// Reviewed first, paid before production (seed 003).
    BeforeProduction,
}

/// The steps of one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pipeline {
    pub payment: PaymentStep,
    /// A key is produced or a certificate issued after approval.
    pub production: bool,
    pub delivery: Delivery,
}

impl Pipeline {
    /// The steps of `business`, delivered by courier (`ships`) or at the counter, paid
    /// where `payment` says.
    pub fn of(business: BusinessType, ships: bool, payment: PaymentStep) -> Pipeline {
        let new_key = if ships {
            Delivery::Ship
        } else {
            Delivery::Pickup
        };
        match business {
            BusinessType::New | BusinessType::LossReplacement | BusinessType::DamageReplacement => {
                Pipeline {
                    payment,
                    production: true,
                    delivery: new_key,
                }
            }
            // A new certificate onto the key the customer already holds.
            BusinessType::Renewal | BusinessType::Change => Pipeline {
                payment,
                production: true,
                delivery: Delivery::None,
            },
            BusinessType::Unlock | BusinessType::Revocation => Pipeline {
                payment,
                production: false,
                delivery: Delivery::None,
            },
        }
    }

    /// Where fulfilment starts: approved, or approved and paid when payment follows review.
    pub fn ready(self) -> ApplicationStatus {
        if self.payment == PaymentStep::BeforeProduction {
            ApplicationStatus::Paid
        } else {
            ApplicationStatus::Approved
        }
    }

    /// Every distinct pipeline (the exhaustive tests walk them): the four ways of
    /// fulfilment, without payment, paid before review, paid before production.
    pub const ALL: [Pipeline; 12] = [
        Pipeline {
            payment: PaymentStep::None,
            production: true,
            delivery: Delivery::Ship,
        },
        Pipeline {
            payment: PaymentStep::None,
            production: true,
            delivery: Delivery::Pickup,
        },
        Pipeline {
            payment: PaymentStep::None,
            production: true,
            delivery: Delivery::None,
        },
        Pipeline {
            payment: PaymentStep::None,
            production: false,
            delivery: Delivery::None,
        },
        Pipeline {
            payment: PaymentStep::BeforeReview,
            production: true,
            delivery: Delivery::Ship,
        },
        Pipeline {
            payment: PaymentStep::BeforeReview,
            production: true,
            delivery: Delivery::Pickup,
        },
        Pipeline {
            payment: PaymentStep::BeforeReview,
            production: true,
            delivery: Delivery::None,
        },
        Pipeline {
            payment: PaymentStep::BeforeReview,
            production: false,
            delivery: Delivery::None,
        },
        Pipeline {
            payment: PaymentStep::BeforeProduction,
            production: true,
            delivery: Delivery::Ship,
        },
        Pipeline {
            payment: PaymentStep::BeforeProduction,
            production: true,
            delivery: Delivery::Pickup,
        },
        Pipeline {
            payment: PaymentStep::BeforeProduction,
            production: true,
            delivery: Delivery::None,
        },
        Pipeline {
            payment: PaymentStep::BeforeProduction,
            production: false,
            delivery: Delivery::None,
        },
    ];
}

impl ApplicationEvent {
    pub const ALL: [ApplicationEvent; 16] = [
        ApplicationEvent::Submit,
        ApplicationEvent::Edit,
        ApplicationEvent::Take,
        ApplicationEvent::Release,
        ApplicationEvent::Approve,
        ApplicationEvent::Reject,
        ApplicationEvent::Cancel,
        ApplicationEvent::StartProduction,
        ApplicationEvent::Produced,
        ApplicationEvent::ProductionFailed,
        ApplicationEvent::Ship,
        ApplicationEvent::Complete,
        ApplicationEvent::Pay,
        ApplicationEvent::PaymentFailed,
        ApplicationEvent::AwaitPayment,
        ApplicationEvent::Refund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationEvent::Submit => "submit",
            ApplicationEvent::Edit => "edit",
            ApplicationEvent::Take => "take",
            ApplicationEvent::Release => "release",
            ApplicationEvent::Approve => "approve",
            ApplicationEvent::Reject => "reject",
            ApplicationEvent::Cancel => "cancel",
            ApplicationEvent::StartProduction => "start_production",
            ApplicationEvent::Produced => "produced",
            ApplicationEvent::ProductionFailed => "production_failed",
            ApplicationEvent::Ship => "ship",
            ApplicationEvent::Complete => "complete",
            ApplicationEvent::Pay => "pay",
            ApplicationEvent::PaymentFailed => "payment_failed",
            ApplicationEvent::AwaitPayment => "await_payment",
            ApplicationEvent::Refund => "refund",
        }
    }
}

impl Status for ApplicationStatus {
    const ALL: &'static [Self] = &[
        ApplicationStatus::Draft,
        ApplicationStatus::Submitted,
        ApplicationStatus::UnderReview,
        ApplicationStatus::Rejected,
        ApplicationStatus::Approved,
        ApplicationStatus::AwaitingPayment,
        ApplicationStatus::PaymentException,
        ApplicationStatus::Paid,
        ApplicationStatus::Producing,
        ApplicationStatus::ReadyForPickup,
        ApplicationStatus::Shipped,
        ApplicationStatus::Completed,
        ApplicationStatus::Cancelled,
    ];

    fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Draft => "draft",
            ApplicationStatus::Submitted => "submitted",
            ApplicationStatus::UnderReview => "under_review",
            ApplicationStatus::Rejected => "rejected",
            ApplicationStatus::Approved => "approved",
            ApplicationStatus::AwaitingPayment => "awaiting_payment",
            ApplicationStatus::PaymentException => "payment_exception",
            ApplicationStatus::Paid => "paid",
            ApplicationStatus::Producing => "producing",
            ApplicationStatus::ReadyForPickup => "ready_for_pickup",
            ApplicationStatus::Shipped => "shipped",
            ApplicationStatus::Completed => "completed",
            ApplicationStatus::Cancelled => "cancelled",
        }
    }
}

impl TryFrom<String> for ApplicationStatus {
    type Error = UnknownState;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        ApplicationStatus::parse(&text).ok_or(UnknownState(text))
    }
}

impl ApplicationStatus {
    /// What the customer reads, in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            ApplicationStatus::Draft => "填写中",
            ApplicationStatus::Submitted => "待审核",
            ApplicationStatus::UnderReview => "申请受理中",
            ApplicationStatus::Rejected => "审核拒绝",
            ApplicationStatus::Approved => "审核通过",
            ApplicationStatus::AwaitingPayment => "待支付",
            ApplicationStatus::PaymentException => "支付异常",
            ApplicationStatus::Paid => "已支付",
            ApplicationStatus::Producing => "制证中",
            ApplicationStatus::ReadyForPickup => "可领取",
            ApplicationStatus::Shipped => "已寄出",
            ApplicationStatus::Completed => "已完成",
            ApplicationStatus::Cancelled => "已取消",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            ApplicationStatus::Draft => "Being filled in",
            ApplicationStatus::Submitted => "Awaiting review",
            ApplicationStatus::UnderReview => "Under review",
            ApplicationStatus::Rejected => "Rejected",
            ApplicationStatus::Approved => "Approved",
            ApplicationStatus::AwaitingPayment => "Awaiting payment",
            ApplicationStatus::PaymentException => "Payment problem",
            ApplicationStatus::Paid => "Paid",
            ApplicationStatus::Producing => "In production",
            ApplicationStatus::ReadyForPickup => "Ready for pickup",
            ApplicationStatus::Shipped => "Shipped",
            ApplicationStatus::Completed => "Completed",
            ApplicationStatus::Cancelled => "Cancelled",
        }
    }

    /// In the customer's hands: the data can be changed (and a second application for the
    /// same subject in the same channel is refused while one is).
    pub fn is_unfinished(self) -> bool {
        matches!(self, ApplicationStatus::Draft | ApplicationStatus::Rejected)
    }

    /// The one table of allowed changes, for an application with `pipeline`.
    pub fn apply(
        self,
        event: ApplicationEvent,
        pipeline: Pipeline,
    ) -> Result<Transition<ApplicationStatus>, Refused> {
        use ApplicationEvent as E;
        use ApplicationStatus as S;
        let ready = pipeline.ready();
        let paid = |pipeline: Pipeline| match pipeline.payment {
            PaymentStep::BeforeReview => Some(S::Submitted),
            PaymentStep::BeforeProduction => Some(S::Paid),
            PaymentStep::None => None,
        };
        let to = match (self, event) {
            (S::Draft, E::Submit) if pipeline.payment == PaymentStep::BeforeReview => {
                S::AwaitingPayment
            }
            (S::Draft, E::Submit) => S::Submitted,
            (S::Submitted | S::Rejected, E::Edit) => S::Draft,
            (S::AwaitingPayment, E::Edit) if pipeline.payment == PaymentStep::BeforeReview => {
                S::Draft
            }
            (S::Draft | S::Submitted | S::Rejected | S::AwaitingPayment, E::Cancel) => S::Cancelled,
            (S::Submitted, E::Take) => S::UnderReview,
            (S::UnderReview, E::Release) => S::Submitted,
            (S::UnderReview, E::Approve) if pipeline.payment == PaymentStep::BeforeProduction => {
                S::AwaitingPayment
            }
            (S::UnderReview, E::Approve) => S::Approved,
            (S::UnderReview, E::Reject) => S::Rejected,
            (S::AwaitingPayment | S::PaymentException, E::Pay) if paid(pipeline).is_some() => {
                paid(pipeline).unwrap_or(S::Submitted)
            }
            (S::AwaitingPayment, E::PaymentFailed) if pipeline.payment != PaymentStep::None => {
                S::PaymentException
            }
            (S::PaymentException, E::AwaitPayment) => S::AwaitingPayment,
            (S::Draft | S::Submitted | S::Rejected, E::Refund)
                if pipeline.payment != PaymentStep::None =>
            {
                S::Cancelled
            }
            (from, E::Refund) if from == ready && pipeline.payment != PaymentStep::None => {
                S::Cancelled
            }
            (from, E::StartProduction) if from == ready && pipeline.production => S::Producing,
            (from, E::Complete) if from == ready && !pipeline.production => S::Completed,
            (S::Producing, E::ProductionFailed) if pipeline.production => ready,
            (S::Producing, E::Produced) if pipeline.delivery == Delivery::Pickup => {
                S::ReadyForPickup
            }
            (S::Producing, E::Produced)
                if pipeline.production && pipeline.delivery == Delivery::None =>
            {
                S::Completed
            }
            (S::Producing, E::Ship) if pipeline.delivery == Delivery::Ship => S::Shipped,
            (S::Shipped | S::ReadyForPickup, E::Complete) => S::Completed,
            (from, event) => {
                return Err(Refused {
                    machine: "application",
                    from: from.as_str(),
                    event: event.as_str(),
                });
            }
        };
        Ok(Transition::new(self, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationEvent as E;
    use ApplicationStatus as S;

    /// Which pipelines a row of the table holds for.
    type Holds = fn(&Pipeline) -> bool;

    fn any(_: &Pipeline) -> bool {
        true
    }
    fn before_review(p: &Pipeline) -> bool {
        p.payment == PaymentStep::BeforeReview
    }
    fn before_production(p: &Pipeline) -> bool {
        p.payment == PaymentStep::BeforeProduction
    }
    fn paying(p: &Pipeline) -> bool {
        p.payment != PaymentStep::None
    }
    fn approved_starts(p: &Pipeline) -> bool {
        p.payment != PaymentStep::BeforeProduction
    }
    fn approved_and_made(p: &Pipeline) -> bool {
        approved_starts(p) && p.production
    }
    fn approved_and_nothing_made(p: &Pipeline) -> bool {
        approved_starts(p) && !p.production
    }
    fn paid_and_made(p: &Pipeline) -> bool {
        before_production(p) && p.production
    }
    fn paid_and_nothing_made(p: &Pipeline) -> bool {
        before_production(p) && !p.production
    }
    fn picked_up(p: &Pipeline) -> bool {
        p.delivery == Delivery::Pickup
    }
    fn onto_own_key(p: &Pipeline) -> bool {
        p.production && p.delivery == Delivery::None
    }
    fn shipped(p: &Pipeline) -> bool {
        p.delivery == Delivery::Ship
    }

    /// (from, event, the pipelines it is allowed in, to): the table written out again, by
    /// hand, so that a change to one is caught by the other.
    fn expected() -> Vec<(S, E, Holds, S)> {
        vec![
            (S::Draft, E::Submit, |p| !before_review(p), S::Submitted),
            (S::Draft, E::Submit, before_review, S::AwaitingPayment),
            (S::Submitted, E::Edit, any, S::Draft),
            (S::Rejected, E::Edit, any, S::Draft),
            (S::AwaitingPayment, E::Edit, before_review, S::Draft),
            (S::Draft, E::Cancel, any, S::Cancelled),
            (S::Submitted, E::Cancel, any, S::Cancelled),
            (S::Rejected, E::Cancel, any, S::Cancelled),
            (S::AwaitingPayment, E::Cancel, any, S::Cancelled),
            (S::Submitted, E::Take, any, S::UnderReview),
            (S::UnderReview, E::Release, any, S::Submitted),
            (
                S::UnderReview,
                E::Approve,
                |p| !before_production(p),
                S::Approved,
            ),
            (
                S::UnderReview,
                E::Approve,
                before_production,
                S::AwaitingPayment,
            ),
            (S::UnderReview, E::Reject, any, S::Rejected),
            (S::AwaitingPayment, E::Pay, before_review, S::Submitted),
            (S::PaymentException, E::Pay, before_review, S::Submitted),
            (S::AwaitingPayment, E::Pay, before_production, S::Paid),
            (S::PaymentException, E::Pay, before_production, S::Paid),
            (
                S::AwaitingPayment,
                E::PaymentFailed,
                paying,
                S::PaymentException,
            ),
            (
                S::PaymentException,
                E::AwaitPayment,
                any,
                S::AwaitingPayment,
            ),
            (
                S::Approved,
                E::StartProduction,
                approved_and_made,
                S::Producing,
            ),
            (S::Paid, E::StartProduction, paid_and_made, S::Producing),
            (
                S::Approved,
                E::Complete,
                approved_and_nothing_made,
                S::Completed,
            ),
            (S::Paid, E::Complete, paid_and_nothing_made, S::Completed),
            (
                S::Producing,
                E::ProductionFailed,
                approved_and_made,
                S::Approved,
            ),
            (S::Producing, E::ProductionFailed, paid_and_made, S::Paid),
            (S::Producing, E::Produced, picked_up, S::ReadyForPickup),
            (S::Producing, E::Produced, onto_own_key, S::Completed),
            (S::Producing, E::Ship, shipped, S::Shipped),
            (S::Shipped, E::Complete, any, S::Completed),
            (S::ReadyForPickup, E::Complete, any, S::Completed),
            (S::Draft, E::Refund, paying, S::Cancelled),
            (S::Submitted, E::Refund, paying, S::Cancelled),
            (S::Rejected, E::Refund, paying, S::Cancelled),
            (S::Approved, E::Refund, before_review, S::Cancelled),
            (S::Paid, E::Refund, before_production, S::Cancelled),
        ]
    }

    #[test]
    fn every_state_event_and_pipeline_is_decided() {
        let table = expected();
        for &from in ApplicationStatus::ALL {
            for event in ApplicationEvent::ALL {
                for pipeline in Pipeline::ALL {
                    let want = table
                        .iter()
                        .find(|(f, e, holds, _)| *f == from && *e == event && holds(&pipeline))
                        .map(|(_, _, _, to)| *to);
                    let got = from.apply(event, pipeline);
                    assert_eq!(
                        got.as_ref().ok().map(|t| t.to()),
                        want,
                        "{from:?} + {event:?} in {pipeline:?}"
                    );
                    if let Ok(t) = got {
                        assert_eq!(t.from(), from);
                    }
                }
            }
        }
    }

    #[test]
    fn final_states_allow_nothing() {
        for from in [S::Completed, S::Cancelled] {
            for event in ApplicationEvent::ALL {
                for pipeline in Pipeline::ALL {
                    assert!(from.apply(event, pipeline).is_err());
                }
            }
        }
        assert_eq!(
            S::Completed
                .apply(E::Cancel, Pipeline::ALL[0])
                .unwrap_err()
                .to_string(),
            "application: cancel is not allowed when completed"
        );
    }

    #[test]
    fn every_state_can_be_reached_from_a_draft() {
        let mut reached = vec![S::Draft];
        let mut i = 0;
        while i < reached.len() {
            for event in ApplicationEvent::ALL {
                for pipeline in Pipeline::ALL {
                    if let Ok(t) = reached[i].apply(event, pipeline)
                        && !reached.contains(&t.to())
                    {
                        reached.push(t.to());
                    }
                }
            }
            i += 1;
        }
        assert_eq!(reached.len(), ApplicationStatus::ALL.len());
    }

    #[test]
    fn business_types_have_the_pipelines_the_product_describes() {
        let of = |business, ships| Pipeline::of(business, ships, PaymentStep::BeforeProduction);
        let pipeline = |production, delivery| Pipeline {
            payment: PaymentStep::BeforeProduction,
            production,
            delivery,
        };
        assert_eq!(of(BusinessType::New, true), pipeline(true, Delivery::Ship));
        assert_eq!(
            of(BusinessType::New, false),
            pipeline(true, Delivery::Pickup)
        );
        assert_eq!(
            of(BusinessType::Renewal, true),
            pipeline(true, Delivery::None)
        );
        assert_eq!(
            of(BusinessType::Unlock, true),
            pipeline(false, Delivery::None)
        );
        assert_eq!(
            of(BusinessType::Revocation, false),
            pipeline(false, Delivery::None)
        );
        assert!(
            Pipeline::ALL
                .iter()
                .all(|p| Pipeline::ALL.iter().filter(|q| q == &p).count() == 1)
        );
    }

    #[test]
    fn nothing_is_produced_before_it_is_paid() {
        // Walk every path from a draft: production never starts in a paying pipeline
        // without a `Pay` on the way.
        for pipeline in Pipeline::ALL.into_iter().filter(paying) {
            let mut seen = vec![(S::Draft, false)];
            let mut i = 0;
            while i < seen.len() {
                let (from, paid) = seen[i];
                for event in ApplicationEvent::ALL {
                    if let Ok(t) = from.apply(event, pipeline) {
                        if t.to() == S::Producing {
                            assert!(paid || event != E::StartProduction, "{pipeline:?}");
                        }
                        let next = (t.to(), paid || event == E::Pay);
                        if !seen.contains(&next) {
                            seen.push(next);
                        }
                    }
                }
                i += 1;
            }
            assert!(seen.iter().any(|(s, _)| *s == S::Completed), "{pipeline:?}");
        }
    }

    #[test]
    fn statuses_round_trip_and_have_both_names() {
        for &status in ApplicationStatus::ALL {
            assert_eq!(ApplicationStatus::parse(status.as_str()), Some(status));
            assert!(!status.name_zh().is_empty() && !status.name_en().is_empty());
        }
        assert!(S::Draft.is_unfinished() && S::Rejected.is_unfinished());
        assert!(!S::Submitted.is_unfinished());
    }
}
