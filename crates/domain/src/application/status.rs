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
//! ```
//!
//! Which fulfilment steps an application has is data, its [`Pipeline`]: the business type
//! says whether something is produced and delivered, the customer's delivery choice says
//! how. The transition table takes the pipeline, so an unlock can never be "shipped" and a
//! new key never "completed" before it is produced. Payment (the next issue) enters the
//! same table the same way: as a step the channel's pipeline has, before review or after.

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

/// The fulfilment steps of one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pipeline {
    /// A key is produced or a certificate issued after approval.
    pub production: bool,
    pub delivery: Delivery,
}

impl Pipeline {
    /// The steps of `business`, delivered by courier (`ships`) or at the counter.
    pub fn of(business: BusinessType, ships: bool) -> Pipeline {
        let new_key = if ships {
            Delivery::Ship
        } else {
            Delivery::Pickup
        };
        match business {
            BusinessType::New | BusinessType::LossReplacement | BusinessType::DamageReplacement => {
                Pipeline {
                    production: true,
                    delivery: new_key,
                }
            }
            // A new certificate onto the key the customer already holds.
            BusinessType::Renewal | BusinessType::Change => Pipeline {
                production: true,
                delivery: Delivery::None,
            },
            BusinessType::Unlock | BusinessType::Revocation => Pipeline {
                production: false,
                delivery: Delivery::None,
            },
        }
    }

    /// Every distinct pipeline (the exhaustive tests walk them).
    pub const ALL: [Pipeline; 4] = [
        Pipeline {
            production: true,
            delivery: Delivery::Ship,
        },
        Pipeline {
            production: true,
            delivery: Delivery::Pickup,
        },
        Pipeline {
            production: true,
            delivery: Delivery::None,
        },
        Pipeline {
            production: false,
            delivery: Delivery::None,
        },
    ];
}

impl ApplicationEvent {
    pub const ALL: [ApplicationEvent; 12] = [
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
        let to = match (self, event) {
            (S::Draft, E::Submit) => S::Submitted,
            (S::Submitted | S::Rejected, E::Edit) => S::Draft,
            (S::Draft | S::Submitted | S::Rejected, E::Cancel) => S::Cancelled,
            (S::Submitted, E::Take) => S::UnderReview,
            (S::UnderReview, E::Release) => S::Submitted,
            (S::UnderReview, E::Approve) => S::Approved,
            (S::UnderReview, E::Reject) => S::Rejected,
            (S::Approved, E::StartProduction) if pipeline.production => S::Producing,
            (S::Approved, E::Complete) if !pipeline.production => S::Completed,
            (S::Producing, E::ProductionFailed) if pipeline.production => S::Approved,
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

    const SHIP: Pipeline = Pipeline::ALL[0];
    const PICKUP: Pipeline = Pipeline::ALL[1];
    const ONTO_OWN_KEY: Pipeline = Pipeline::ALL[2];
    const NOTHING_MADE: Pipeline = Pipeline::ALL[3];

    /// (from, event, the pipelines it is allowed in, to): the table written out again, by
    /// hand, so that a change to one is caught by the other.
    fn expected() -> Vec<(S, E, Vec<Pipeline>, S)> {
        let all = Pipeline::ALL.to_vec();
        vec![
            (S::Draft, E::Submit, all.clone(), S::Submitted),
            (S::Submitted, E::Edit, all.clone(), S::Draft),
            (S::Rejected, E::Edit, all.clone(), S::Draft),
            (S::Draft, E::Cancel, all.clone(), S::Cancelled),
            (S::Submitted, E::Cancel, all.clone(), S::Cancelled),
            (S::Rejected, E::Cancel, all.clone(), S::Cancelled),
            (S::Submitted, E::Take, all.clone(), S::UnderReview),
            (S::UnderReview, E::Release, all.clone(), S::Submitted),
            (S::UnderReview, E::Approve, all.clone(), S::Approved),
            (S::UnderReview, E::Reject, all.clone(), S::Rejected),
            (
                S::Approved,
                E::StartProduction,
                vec![SHIP, PICKUP, ONTO_OWN_KEY],
                S::Producing,
            ),
            (S::Approved, E::Complete, vec![NOTHING_MADE], S::Completed),
            (
                S::Producing,
                E::ProductionFailed,
                vec![SHIP, PICKUP, ONTO_OWN_KEY],
                S::Approved,
            ),
            (S::Producing, E::Produced, vec![PICKUP], S::ReadyForPickup),
            (S::Producing, E::Produced, vec![ONTO_OWN_KEY], S::Completed),
            (S::Producing, E::Ship, vec![SHIP], S::Shipped),
            (S::Shipped, E::Complete, all.clone(), S::Completed),
            (S::ReadyForPickup, E::Complete, all, S::Completed),
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
                        .find(|(f, e, p, _)| *f == from && *e == event && p.contains(&pipeline))
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
            S::Completed.apply(E::Cancel, SHIP).unwrap_err().to_string(),
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
        assert_eq!(Pipeline::of(BusinessType::New, true), SHIP);
        assert_eq!(Pipeline::of(BusinessType::New, false), PICKUP);
        assert_eq!(Pipeline::of(BusinessType::Renewal, true), ONTO_OWN_KEY);
        assert_eq!(Pipeline::of(BusinessType::Unlock, true), NOTHING_MADE);
        assert_eq!(Pipeline::of(BusinessType::Revocation, false), NOTHING_MADE);
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
