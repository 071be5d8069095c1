//! Separation of duties: which steps of one application must be done by different
//! operators (e.g. whoever reviewed it may not also confirm its payment). The rules are
//! configuration; this module decides.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::roles::Role;

/// A step an operator performs on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// 受理 (counter business entered by a clerk).
    CounterAccept,
    /// 审核.
    Review,
    /// 财务核款.
    ConfirmPayment,
    /// 制证.
    Produce,
    /// 发货.
    Ship,
}

impl Duty {
    pub const ALL: [Duty; 5] = [
        Duty::CounterAccept,
        Duty::Review,
        Duty::ConfirmPayment,
        Duty::Produce,
        Duty::Ship,
    ];

    /// The role that performs it.
    pub fn role(self) -> Role {
        match self {
            Duty::CounterAccept => Role::Counter,
            Duty::Review => Role::Reviewer,
            Duty::ConfirmPayment => Role::Finance,
            Duty::Produce => Role::Producer,
            Duty::Ship => Role::Shipper,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Duty::CounterAccept => "counter_accept",
            Duty::Review => "review",
            Duty::ConfirmPayment => "confirm_payment",
            Duty::Produce => "produce",
            Duty::Ship => "ship",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Duty::CounterAccept => "受理",
            Duty::Review => "审核",
            Duty::ConfirmPayment => "财务核款",
            Duty::Produce => "制证",
            Duty::Ship => "发货",
        }
    }
}

impl fmt::Display for Duty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "Whoever did `first` on an application may not do `then` on it", in either order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DutyRule {
    pub first: Duty,
    pub then: Duty,
}

/// Why an operator may not perform a duty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the same operator may not do both {done} and {wanted} on one application")]
pub struct DutyConflict {
    pub done: Duty,
    pub wanted: Duty,
}

/// The configured rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SeparationOfDuties(pub Vec<DutyRule>);

impl SeparationOfDuties {
    /// The rules most CAs use: review, payment confirmation and production by three people.
    pub fn recommended() -> Self {
        SeparationOfDuties(vec![
            DutyRule {
                first: Duty::Review,
                then: Duty::ConfirmPayment,
            },
            DutyRule {
                first: Duty::Review,
                then: Duty::Produce,
            },
        ])
    }

    /// May `operator` do `wanted` on an application whose earlier steps were `done`
    /// (duty, operator id)? Rules hold in both directions.
    pub fn check(
        &self,
        wanted: Duty,
        operator: i64,
        done: &[(Duty, i64)],
    ) -> Result<(), DutyConflict> {
        for &(earlier, by) in done {
            if by != operator || earlier == wanted {
                continue;
            }
            let forbidden = self.0.iter().any(|rule| {
                (rule.first == earlier && rule.then == wanted)
                    || (rule.first == wanted && rule.then == earlier)
            });
            if forbidden {
                return Err(DutyConflict {
                    done: earlier,
                    wanted,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_of_duties_is_decided_by_the_rules_alone() {
        let rules = SeparationOfDuties::recommended();
        let none = SeparationOfDuties::default();
        for earlier in Duty::ALL {
            for wanted in Duty::ALL {
                let done = [(earlier, 7)];
                // Another operator is never stopped.
                assert!(rules.check(wanted, 8, &done).is_ok());
                // Without rules nobody is stopped.
                assert!(none.check(wanted, 7, &done).is_ok());
                let pair = [earlier, wanted];
                let forbidden = earlier != wanted
                    && pair.contains(&Duty::Review)
                    && (pair.contains(&Duty::ConfirmPayment) || pair.contains(&Duty::Produce));
                assert_eq!(
                    rules.check(wanted, 7, &done).is_err(),
                    forbidden,
                    "{earlier} then {wanted}"
                );
            }
        }
    }

    #[test]
    fn a_conflict_names_both_duties() {
        let rules = SeparationOfDuties::recommended();
        let e = rules
            .check(
                Duty::ConfirmPayment,
                1,
                &[(Duty::Ship, 1), (Duty::Review, 1)],
            )
            .unwrap_err();
        assert_eq!(
            e,
            DutyConflict {
                done: Duty::Review,
                wanted: Duty::ConfirmPayment
            }
        );
    }
}
