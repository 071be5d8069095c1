//! The state machine of a refund (退款): money given back for an order, through the
//! provider that took it (a fixed refund number, so a retry after a timeout refunds once)
//! or, for a bank transfer, by finance's own transfer back, recorded with the bank's
//! reference.
//!
//! ```text
//!           refunded (the provider's word)
//!  Pending ─────────────────────────────────▶ Refunded
//!     └───── record_transfer (finance sent it back by bank) ──┘
//! ```
//! A refund is created `Pending`: by finance cancelling a paid order (in full or in part),
//! or by the system for a payment its order did not need. `Refunded` is final.

use crate::transition::{Refused, Status, Transition, UnknownState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundStatus {
    /// Asked for; the money has not gone back yet (or the provider is still settling it).
    Pending,
    /// 已退款.
    Refunded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundEvent {
    /// The provider stated that the refund was made.
    Refunded,
    /// Finance transferred the money back and records the bank's reference.
    RecordTransfer,
}

impl RefundEvent {
    pub const ALL: [RefundEvent; 2] = [RefundEvent::Refunded, RefundEvent::RecordTransfer];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundEvent::Refunded => "refunded",
            RefundEvent::RecordTransfer => "record_transfer",
        }
    }
}

impl Status for RefundStatus {
    const ALL: &'static [Self] = &[RefundStatus::Pending, RefundStatus::Refunded];

    fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Refunded => "refunded",
        }
    }
}

impl TryFrom<String> for RefundStatus {
    type Error = UnknownState;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        RefundStatus::parse(&text).ok_or(UnknownState(text))
    }
}

impl RefundStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            RefundStatus::Pending => "退款中",
            RefundStatus::Refunded => "已退款",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            RefundStatus::Pending => "Refund in progress",
            RefundStatus::Refunded => "Refunded",
        }
    }

    /// The one table: money goes back once.
    pub fn apply(self, event: RefundEvent) -> Result<Transition<RefundStatus>, Refused> {
        match (self, event) {
            (RefundStatus::Pending, RefundEvent::Refunded | RefundEvent::RecordTransfer) => {
                Ok(Transition::new(self, RefundStatus::Refunded))
            }
            (from, event) => Err(Refused {
                machine: "refund",
                from: from.as_str(),
                event: event.as_str(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_event_is_decided_and_money_goes_back_once() {
        use RefundEvent as E;
        use RefundStatus as S;
        let expected = [
            (S::Pending, E::Refunded, S::Refunded),
            (S::Pending, E::RecordTransfer, S::Refunded),
        ];
        crate::transition::assert_table(
            RefundStatus::ALL,
            &RefundEvent::ALL,
            &expected,
            RefundStatus::apply,
        );
        assert_eq!(
            S::Refunded.apply(E::Refunded).unwrap_err().to_string(),
            "refund: refunded is not allowed when refunded"
        );
        for &status in RefundStatus::ALL {
            assert_eq!(RefundStatus::parse(status.as_str()), Some(status));
            assert!(!status.name_zh().is_empty() && !status.name_en().is_empty());
        }
    }
}
