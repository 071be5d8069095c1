//! The state machine of an invoice (发票): asked for with the application (its invoice
//! choice), requested when the order is paid, issued by finance (the issued file attached,
//! or made by the invoicing provider), and, for a paper invoice, mailed.
//!
//! ```text
//!             issue                  mail (paper only)
//!  Requested ───────▶ Issued ─────────────────────────▶ Mailed
//!     │ withdraw (the order was refunded before the invoice was issued)
//!     ▼
//!  Withdrawn
//! ```
//! `Mailed` and `Withdrawn` are final; an electronic invoice ends `Issued`.

use crate::transition::{Refused, Status, Transition, UnknownState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoiceStatus {
    /// 待开票.
    Requested,
    /// 已开票: the file can be downloaded (a paper one waits to be mailed).
    Issued,
    /// 已寄出: the paper invoice is with the courier.
    Mailed,
    /// 已撤销: its order was refunded before it was issued.
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoiceEvent {
    Issue,
    Mail,
    Withdraw,
}

impl InvoiceEvent {
    pub const ALL: [InvoiceEvent; 3] = [
        InvoiceEvent::Issue,
        InvoiceEvent::Mail,
        InvoiceEvent::Withdraw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceEvent::Issue => "issue",
            InvoiceEvent::Mail => "mail",
            InvoiceEvent::Withdraw => "withdraw",
        }
    }
}

impl Status for InvoiceStatus {
    const ALL: &'static [Self] = &[
        InvoiceStatus::Requested,
        InvoiceStatus::Issued,
        InvoiceStatus::Mailed,
        InvoiceStatus::Withdrawn,
    ];

    fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Requested => "requested",
            InvoiceStatus::Issued => "issued",
            InvoiceStatus::Mailed => "mailed",
            InvoiceStatus::Withdrawn => "withdrawn",
        }
    }
}

impl TryFrom<String> for InvoiceStatus {
    type Error = UnknownState;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        InvoiceStatus::parse(&text).ok_or(UnknownState(text))
    }
}

impl InvoiceStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            InvoiceStatus::Requested => "待开票",
            InvoiceStatus::Issued => "已开票",
            InvoiceStatus::Mailed => "已寄出",
            InvoiceStatus::Withdrawn => "已撤销",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            InvoiceStatus::Requested => "To be issued",
            InvoiceStatus::Issued => "Issued",
            InvoiceStatus::Mailed => "Mailed",
            InvoiceStatus::Withdrawn => "Withdrawn",
        }
    }

    /// The one table. `paper`: the invoice is a paper one (only those are mailed).
    pub fn apply(
        self,
        event: InvoiceEvent,
        paper: bool,
    ) -> Result<Transition<InvoiceStatus>, Refused> {
        use InvoiceEvent as E;
        use InvoiceStatus as S;
        let to = match (self, event) {
            (S::Requested, E::Issue) => S::Issued,
            (S::Issued, E::Mail) if paper => S::Mailed,
            (S::Requested, E::Withdraw) => S::Withdrawn,
            (from, event) => {
                return Err(Refused {
                    machine: "invoice",
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
    use InvoiceEvent as E;
    use InvoiceStatus as S;

    #[test]
    fn every_state_and_event_is_decided() {
        for paper in [false, true] {
            let mut expected = vec![
                (S::Requested, E::Issue, S::Issued),
                (S::Requested, E::Withdraw, S::Withdrawn),
            ];
            if paper {
                expected.push((S::Issued, E::Mail, S::Mailed));
            }
            crate::transition::assert_table(
                InvoiceStatus::ALL,
                &InvoiceEvent::ALL,
                &expected,
                |from, event| from.apply(event, paper),
            );
        }
        assert_eq!(
            S::Issued.apply(E::Issue, false).unwrap_err().to_string(),
            "invoice: issue is not allowed when issued"
        );
        for &status in InvoiceStatus::ALL {
            assert_eq!(InvoiceStatus::parse(status.as_str()), Some(status));
            assert!(!status.name_zh().is_empty() && !status.name_en().is_empty());
        }
    }
}
