//! The state machine of an online payment attempt (支付尝试): one QR code of one provider for
//! one order. A new attempt is made when the last one expired; each has its own number
//! with the provider (`out_trade_no`).
//!
//! ```text
//!           pay (a verified notice or query)
//!  Pending ─────────────────────────────────▶ Paid
//!     │ close (expired, closed at the provider)   ▲
//!     ▼                                           │ pay: the buyer paid as it closed; the
//!  Closed ────────────────────────────────────────┘ money is real and is recorded
//! ```

use crate::transition::{Refused, Status, Transition, UnknownState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptStatus {
    Pending,
    Paid,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptEvent {
    /// The provider stated, signed, that it was paid.
    Pay,
    /// It expired and was closed at the provider.
    Close,
}

impl AttemptEvent {
    pub const ALL: [AttemptEvent; 2] = [AttemptEvent::Pay, AttemptEvent::Close];

    pub fn as_str(self) -> &'static str {
        match self {
            AttemptEvent::Pay => "pay",
            AttemptEvent::Close => "close",
        }
    }
}

impl Status for AttemptStatus {
    const ALL: &'static [Self] = &[
        AttemptStatus::Pending,
        AttemptStatus::Paid,
        AttemptStatus::Closed,
    ];

    fn as_str(self) -> &'static str {
        match self {
            AttemptStatus::Pending => "pending",
            AttemptStatus::Paid => "paid",
            AttemptStatus::Closed => "closed",
        }
    }
}

impl TryFrom<String> for AttemptStatus {
    type Error = UnknownState;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        AttemptStatus::parse(&text).ok_or(UnknownState(text))
    }
}

impl AttemptStatus {
    /// The one table: nothing moves back, a payment is never undone here.
    pub fn apply(self, event: AttemptEvent) -> Result<Transition<AttemptStatus>, Refused> {
        let to = match (self, event) {
            (AttemptStatus::Pending | AttemptStatus::Closed, AttemptEvent::Pay) => {
                AttemptStatus::Paid
            }
            (AttemptStatus::Pending, AttemptEvent::Close) => AttemptStatus::Closed,
            (from, event) => {
                return Err(Refused {
                    machine: "payment_attempt",
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

    #[test]
    fn every_state_and_event_is_decided_and_nothing_moves_back() {
        use AttemptEvent as E;
        use AttemptStatus as S;
        let expected = [
            (S::Pending, E::Pay, S::Paid),
            (S::Closed, E::Pay, S::Paid),
            (S::Pending, E::Close, S::Closed),
        ];
        crate::transition::assert_table(
            AttemptStatus::ALL,
            &AttemptEvent::ALL,
            &expected,
            AttemptStatus::apply,
        );
        assert!(S::Paid.apply(E::Pay).is_err(), "paid once");
        assert!(
            S::Paid.apply(E::Close).is_err(),
            "a payment is never closed away"
        );
    }
}
