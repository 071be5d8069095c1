//! The state machine of a refund (退款): money given back for an order, through the
//! provider that took it (a fixed refund number, so a retry after a timeout refunds once)
//! or, for a bank transfer, by finance's own transfer back, recorded with the bank's
//! reference.
//!
//! ```text
//!           refunded (the provider's word)
//!  Pending ─────────────────────────────────▶ Refunded
//!     │ └── record_transfer (finance sent it back by bank) ──▲
//!     │ fail (the provider could not: WeChat Pay ABNORMAL / CLOSED)  │
//!     ▼                                                          │
//!  Abnormal ── record_transfer, or refunded (re-routed by the ───┘
//!              merchant platform's 异常退款, the provider's word)
//! ```
//! A refund is created `Pending`: by finance cancelling a paid order (in full or in part),
//! or by the system for a payment its order did not need. `Abnormal` waits for finance.
//! `Refunded` is final.

use crate::transition::{Refused, Status, Transition, UnknownState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundStatus {
    /// Asked for; the money has not gone back yet (or the provider is still settling it).
    Pending,
    /// 退款异常: the provider could not give the money back; finance must.
    Abnormal,
    /// 已退款.
    Refunded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundEvent {
    /// The provider stated that the refund was made.
    Refunded,
    /// The provider stated that it could not make the refund.
    Fail,
    /// Finance transferred the money back and records the bank's reference.
    RecordTransfer,
}

impl RefundEvent {
    pub const ALL: [RefundEvent; 3] = [
        RefundEvent::Refunded,
        RefundEvent::Fail,
        RefundEvent::RecordTransfer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundEvent::Refunded => "refunded",
            RefundEvent::Fail => "fail",
            RefundEvent::RecordTransfer => "record_transfer",
        }
    }
}

impl Status for RefundStatus {
    const ALL: &'static [Self] = &[
        RefundStatus::Pending,
        RefundStatus::Abnormal,
        RefundStatus::Refunded,
    ];

    fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Abnormal => "abnormal",
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
            RefundStatus::Abnormal => "退款异常",
            RefundStatus::Refunded => "已退款",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            RefundStatus::Pending => "Refund in progress",
            RefundStatus::Abnormal => "Refund failed at the provider",
            RefundStatus::Refunded => "Refunded",
        }
    }

    /// The one table: money goes back once.
    pub fn apply(self, event: RefundEvent) -> Result<Transition<RefundStatus>, Refused> {
        use RefundEvent as E;
        use RefundStatus as S;
        match (self, event) {
            (S::Pending | S::Abnormal, E::Refunded | E::RecordTransfer) => {
                Ok(Transition::new(self, S::Refunded))
            }
            (S::Pending, E::Fail) => Ok(Transition::new(self, S::Abnormal)),
            (from, event) => Err(Refused {
                machine: "refund",
                from: from.as_str(),
                event: event.as_str(),
            }),
        }
    }
}

/// How long after the provider accepted a refund (`PROCESSING`) it is asked every minute.
pub const ASK_OFTEN_SECONDS: i64 = 5 * 60;

/// Whether to ask the provider about a pending online refund at `now` (Unix seconds).
/// Never answered definitely yet (`settling_since` empty: not sent, timed out, refused):
/// every round. Accepted and settling: every minute for five minutes, then every ten
/// (WeChat Pay's advice for refund queries: every minute, then back off after 5 minutes).
pub fn ask_again(settling_since: Option<i64>, asked_at: Option<i64>, now: i64) -> bool {
    match (settling_since, asked_at) {
        (Some(since), Some(asked)) => {
            let every = if now - since < ASK_OFTEN_SECONDS {
                60
            } else {
                600
            };
            now - asked >= every
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settling_refund_is_asked_every_minute_then_every_ten() {
        assert!(ask_again(None, None, 0));
        assert!(ask_again(None, Some(100), 101), "not accepted: every round");
        // Accepted at 1000.
        assert!(!ask_again(Some(1000), Some(1000), 1059));
        assert!(ask_again(Some(1000), Some(1000), 1060));
        assert!(ask_again(Some(1000), Some(1230), 1290));
        // Five minutes on: every ten.
        assert!(!ask_again(Some(1000), Some(1300), 1360));
        assert!(!ask_again(Some(1000), Some(1300), 1899));
        assert!(ask_again(Some(1000), Some(1300), 1900));
    }

    #[test]
    fn every_state_and_event_is_decided_and_money_goes_back_once() {
        use RefundEvent as E;
        use RefundStatus as S;
        let expected = [
            (S::Pending, E::Refunded, S::Refunded),
            (S::Pending, E::RecordTransfer, S::Refunded),
            (S::Pending, E::Fail, S::Abnormal),
            (S::Abnormal, E::RecordTransfer, S::Refunded),
            (S::Abnormal, E::Refunded, S::Refunded),
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
