//! The delivery state machine of a notification (SMS or e-mail) in the outbox.
//!
//! ```text
//!            claim              delivered
//!  Pending ────────▶ Sending ─────────────▶ Sent
//!     ▲                │  ▲ │
//!     │     not yet    │  │ │ take over (a worker died mid-send;
//!     └────────────────┘  └─┘  the outcome is in doubt)
//!     │                  │
//!     │ requeue          │ give up
//!     └──── Failed ◀─────┘
//! ```
//! `Sent` is final. `Failed` waits for an administrator, whose retry puts it back in line.

use crate::transition::{Refused, Status, Transition, UnknownState};

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Sms,
    Email,
}

impl MessageKind {
    pub const ALL: [MessageKind; 2] = [MessageKind::Sms, MessageKind::Email];

    /// The stored name (`sms`, `email`).
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Sms => "sms",
            MessageKind::Email => "email",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// Waiting for its next attempt.
    Pending,
    /// A worker claimed it and is sending (until its claim runs out).
    Sending,
    Sent,
    /// Given up; an administrator may retry it.
    Failed,
}

/// What happens to a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageEvent {
    /// A worker takes a due message.
    Claim,
    /// A worker takes over a message whose claim ran out.
    TakeOver,
    /// The provider accepted it.
    Delivered,
    /// Not delivered, to be tried again later.
    NotYet,
    /// Not delivered, and not to be tried again automatically.
    GiveUp,
    /// An administrator puts a failed message back in line.
    Requeue,
}

impl MessageEvent {
    pub const ALL: [MessageEvent; 6] = [
        MessageEvent::Claim,
        MessageEvent::TakeOver,
        MessageEvent::Delivered,
        MessageEvent::NotYet,
        MessageEvent::GiveUp,
        MessageEvent::Requeue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageEvent::Claim => "claim",
            MessageEvent::TakeOver => "take_over",
            MessageEvent::Delivered => "delivered",
            MessageEvent::NotYet => "not_yet",
            MessageEvent::GiveUp => "give_up",
            MessageEvent::Requeue => "requeue",
        }
    }
}

impl Status for MessageStatus {
    const ALL: &'static [Self] = &[
        MessageStatus::Pending,
        MessageStatus::Sending,
        MessageStatus::Sent,
        MessageStatus::Failed,
    ];

    fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
        }
    }
}

/// Statuses and kinds are read straight from their columns, by their stored names.
impl TryFrom<String> for MessageStatus {
    type Error = UnknownState;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        MessageStatus::parse(&text).ok_or(UnknownState(text))
    }
}

impl TryFrom<String> for MessageKind {
    type Error = UnknownState;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        MessageKind::parse(&text).ok_or(UnknownState(text))
    }
}

impl MessageStatus {
    /// The one table of allowed changes.
    pub fn apply(self, event: MessageEvent) -> Result<Transition<MessageStatus>, Refused> {
        use MessageEvent::*;
        use MessageStatus::*;
        let to = match (self, event) {
            (Pending, Claim) => Sending,
            (Sending, TakeOver) => Sending,
            (Sending, Delivered) => Sent,
            (Sending, NotYet) => Pending,
            (Sending, GiveUp) => Failed,
            (Failed, Requeue) => Pending,
            (from, event) => {
                return Err(Refused {
                    machine: "message",
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
    use MessageEvent::*;
    use MessageStatus::*;

    #[test]
    fn every_state_and_event_pair_is_decided() {
        let allowed = [
            (Pending, Claim, Sending),
            (Sending, TakeOver, Sending),
            (Sending, Delivered, Sent),
            (Sending, NotYet, Pending),
            (Sending, GiveUp, Failed),
            (Failed, Requeue, Pending),
        ];
        for &from in MessageStatus::ALL {
            for event in MessageEvent::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                let got = from.apply(event).ok().map(|t| t.to());
                assert_eq!(got, expected, "{from:?} + {event:?}");
                if let Ok(t) = from.apply(event) {
                    assert_eq!(t.from(), from);
                }
            }
        }
        assert_eq!(
            Sent.apply(Requeue).unwrap_err().to_string(),
            "message: requeue is not allowed when sent"
        );
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for &status in MessageStatus::ALL {
            assert_eq!(MessageStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(MessageStatus::parse("lost"), None);
    }
}
