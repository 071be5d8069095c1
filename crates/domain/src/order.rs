//! The state machine of an order (订单): submitted applications of one holder in one
//! channel, priced from the channel's fees, paid by bank transfer (the customer uploads the
//! voucher, finance confirms it: 核款) and, in the next step of the work, online.
//!
//! ```text
//!                   upload_voucher                     confirm
//!  AwaitingPayment ───────────────▶ AwaitingConfirmation ───────▶ Paid
//!     │    │                          │        ▲
//!     │    │              raise_exception      │ upload_voucher (a new one)
//!     │    │                          ▼        │
//!     │    │                      PaymentException
//!     │    └── close (unpaid too long) ──▶ Closed
//!     └─────── cancel ──▶ Cancelled   (also from PaymentException)
//!  AwaitingPayment, AwaitingConfirmation, PaymentException ── settle ──▶ Paid
//!     (the money found otherwise: a credit of the bank statement, voucher or not, or the
//!      provider's signed word)
//!  AwaitingPayment ── raise_exception ──▶ PaymentException  (paid online, another amount)
//! Paid ── refund (finance cancels the paid order, money given back in full or in part) ──▶ Refunded
//! ```
//! `Refunded`, `Cancelled` and `Closed` are final. A closed or cancelled order lets its
//! applications go back to waiting for an order; a refunded one cancels them.

use crate::transition::{Refused, Status, Transition, UnknownState};

/// Where an order stands, as the customer and finance see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// 待支付: placed, nothing paid yet.
    AwaitingPayment,
    /// 待核款: the transfer's voucher is uploaded; finance checks the account.
    AwaitingConfirmation,
    /// 支付异常: finance found no matching credit (or a wrong amount); a new voucher is asked for.
    PaymentException,
    /// 已支付.
    Paid,
    /// 已取消: by the customer, before paying.
    Cancelled,
    /// 已关闭: left unpaid for longer than the channel allows.
    Closed,
    /// 已退款: paid, then cancelled by finance and the money given back (in full or in part).
    Refunded,
}

/// What happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderEvent {
    /// The customer uploads the transfer's voucher (汇款底单).
    UploadVoucher,
    /// Finance finds the money the voucher shows (核款).
    Confirm,
    /// The money is found otherwise: a bank statement's credit, or the provider's signed word.
    Settle,
    /// Finance finds no matching credit, or a wrong amount (支付异常).
    RaiseException,
    /// The customer gives the order up.
    Cancel,
    /// The order was left unpaid too long.
    Close,
    /// Finance cancels the paid order and gives the money back (撤单退款).
    Refund,
}

impl OrderEvent {
    pub const ALL: [OrderEvent; 7] = [
        OrderEvent::UploadVoucher,
        OrderEvent::Confirm,
        OrderEvent::Settle,
        OrderEvent::RaiseException,
        OrderEvent::Cancel,
        OrderEvent::Close,
        OrderEvent::Refund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderEvent::UploadVoucher => "upload_voucher",
            OrderEvent::Confirm => "confirm",
            OrderEvent::Settle => "settle",
            OrderEvent::RaiseException => "raise_exception",
            OrderEvent::Cancel => "cancel",
            OrderEvent::Close => "close",
            OrderEvent::Refund => "refund",
        }
    }
}

impl Status for OrderStatus {
    const ALL: &'static [Self] = &[
        OrderStatus::AwaitingPayment,
        OrderStatus::AwaitingConfirmation,
        OrderStatus::PaymentException,
        OrderStatus::Paid,
        OrderStatus::Cancelled,
        OrderStatus::Closed,
        OrderStatus::Refunded,
    ];

    fn as_str(self) -> &'static str {
        match self {
            OrderStatus::AwaitingPayment => "awaiting_payment",
            OrderStatus::AwaitingConfirmation => "awaiting_confirmation",
            OrderStatus::PaymentException => "payment_exception",
            OrderStatus::Paid => "paid",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Closed => "closed",
            OrderStatus::Refunded => "refunded",
        }
    }
}

impl TryFrom<String> for OrderStatus {
    type Error = UnknownState;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        OrderStatus::parse(&text).ok_or(UnknownState(text))
    }
}

impl OrderStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            OrderStatus::AwaitingPayment => "待支付",
            OrderStatus::AwaitingConfirmation => "待核款",
            OrderStatus::PaymentException => "支付异常",
            OrderStatus::Paid => "已支付",
            OrderStatus::Cancelled => "已取消",
            OrderStatus::Closed => "已关闭",
            OrderStatus::Refunded => "已退款",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            OrderStatus::AwaitingPayment => "Awaiting payment",
            OrderStatus::AwaitingConfirmation => "Awaiting confirmation",
            OrderStatus::PaymentException => "Payment problem",
            OrderStatus::Paid => "Paid",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Closed => "Closed",
            OrderStatus::Refunded => "Refunded",
        }
    }

    /// Still holding its applications: none of them can go into another order.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            OrderStatus::AwaitingPayment
                | OrderStatus::AwaitingConfirmation
                | OrderStatus::PaymentException
        )
    }

    /// The one table of allowed changes.
    pub fn apply(self, event: OrderEvent) -> Result<Transition<OrderStatus>, Refused> {
        use OrderEvent as E;
        use OrderStatus as S;
        let to = match (self, event) {
            (S::AwaitingPayment | S::PaymentException, E::UploadVoucher) => S::AwaitingConfirmation,
            (S::AwaitingConfirmation, E::Confirm) => S::Paid,
            (S::AwaitingPayment | S::AwaitingConfirmation | S::PaymentException, E::Settle) => {
                S::Paid
            }
            (S::AwaitingPayment | S::AwaitingConfirmation, E::RaiseException) => {
                S::PaymentException
            }
            (S::AwaitingPayment | S::PaymentException, E::Cancel) => S::Cancelled,
            (S::AwaitingPayment, E::Close) => S::Closed,
            (S::Paid, E::Refund) => S::Refunded,
            (from, event) => {
                return Err(Refused {
                    machine: "order",
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
    use OrderEvent as E;
    use OrderStatus as S;

    /// The table written out again by hand, so that a change to one is caught by the other.
    const EXPECTED: [(S, E, S); 12] = [
        (
            S::AwaitingPayment,
            E::UploadVoucher,
            S::AwaitingConfirmation,
        ),
        (
            S::PaymentException,
            E::UploadVoucher,
            S::AwaitingConfirmation,
        ),
        (S::AwaitingConfirmation, E::Confirm, S::Paid),
        (S::AwaitingPayment, E::Settle, S::Paid),
        (S::AwaitingConfirmation, E::Settle, S::Paid),
        (S::PaymentException, E::Settle, S::Paid),
        (S::AwaitingPayment, E::RaiseException, S::PaymentException),
        (
            S::AwaitingConfirmation,
            E::RaiseException,
            S::PaymentException,
        ),
        (S::AwaitingPayment, E::Cancel, S::Cancelled),
        (S::PaymentException, E::Cancel, S::Cancelled),
        (S::AwaitingPayment, E::Close, S::Closed),
        (S::Paid, E::Refund, S::Refunded),
    ];

    #[test]
    fn every_state_and_event_is_decided() {
        crate::transition::assert_table(
            OrderStatus::ALL,
            &OrderEvent::ALL,
            &EXPECTED,
            OrderStatus::apply,
        );
    }

    #[test]
    fn final_states_allow_nothing_and_hold_nothing() {
        for from in [S::Refunded, S::Cancelled, S::Closed] {
            assert!(!from.is_open());
            for event in OrderEvent::ALL {
                assert!(from.apply(event).is_err());
            }
        }
        // Paid: only finance's refund moves it.
        for event in OrderEvent::ALL {
            assert_eq!(S::Paid.apply(event).is_ok(), event == E::Refund);
        }
        assert_eq!(
            S::Paid.apply(E::Cancel).unwrap_err().to_string(),
            "order: cancel is not allowed when paid"
        );
        // A confirmed order is never confirmed twice, and a closed one never paid late.
        assert!(S::Paid.apply(E::Confirm).is_err());
        assert!(S::Closed.apply(E::UploadVoucher).is_err());
    }

    #[test]
    fn statuses_round_trip_and_have_both_names() {
        for &status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            assert!(!status.name_zh().is_empty() && !status.name_en().is_empty());
        }
        assert!(S::AwaitingPayment.is_open() && S::PaymentException.is_open());
    }
}
