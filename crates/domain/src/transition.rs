//! Status changes. Every stored status (a column `status` of some table) belongs to a state
//! machine here, which alone decides which changes are allowed: it hands out a
//! [`Transition`], and the one writer of status columns (`store::transition`) takes nothing
//! else. A `Transition` cannot be made outside this crate, so no code can write a status
//! change the rules did not produce.

use std::fmt;

/// The states of one state machine, each with a stable name (what the database stores).
pub trait Status: Copy + Eq + fmt::Debug + Send + Sync + 'static {
    /// Every state, in a fixed order (the exhaustive tests walk it).
    const ALL: &'static [Self];

    fn as_str(self) -> &'static str;

    /// The state stored as `text`, if it is one.
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.as_str() == text)
    }
}

/// A stored name that is not a state of the machine (a corrupt row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a known state")]
pub struct UnknownState(pub String);

/// A change from one state to another that a state machine allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition<S> {
    from: S,
    to: S,
}

impl<S: Status> Transition<S> {
    /// Only the state machines of this crate make transitions.
    pub(crate) fn new(from: S, to: S) -> Self {
        Transition { from, to }
    }

    pub fn from(&self) -> S {
        self.from
    }

    pub fn to(&self) -> S {
        self.to
    }
}

/// A change a state machine refuses: in `from`, `event` is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{machine}: {event} is not allowed when {from}")]
pub struct Refused {
    pub machine: &'static str,
    pub from: &'static str,
    pub event: &'static str,
}

/// For a state machine's exhaustive test: every state × event of `states` and `events`
/// gives what `expected` (the table written out again by hand) says, a refusal where it
/// says nothing, and each transition starts where it was asked from.
#[cfg(test)]
pub(crate) fn assert_table<S: Status, E: Copy + PartialEq + fmt::Debug>(
    states: &[S],
    events: &[E],
    expected: &[(S, E, S)],
    apply: impl Fn(S, E) -> Result<Transition<S>, Refused>,
) {
    for &from in states {
        for &event in events {
            let want = expected
                .iter()
                .find(|(f, e, _)| *f == from && *e == event)
                .map(|(_, _, to)| *to);
            let got = apply(from, event);
            assert_eq!(
                got.as_ref().ok().map(|t| t.to()),
                want,
                "{from:?} + {event:?}"
            );
            if let Ok(t) = got {
                assert_eq!(t.from(), from);
            }
        }
        assert_eq!(S::parse(from.as_str()), Some(from), "{from:?} round-trips");
    }
}
