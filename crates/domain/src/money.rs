//! Money in integer fen (分): never a float, never negative.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount in fen (1 元 = 100 分).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub u64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// `self × n`, or `None` on overflow.
    pub fn times(self, n: u64) -> Option<Fen> {
        self.0.checked_mul(n).map(Fen)
    }

    /// `self + other`, or `None` on overflow.
    pub fn plus(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    /// Yuan with two decimals: `260.00`.
    pub fn yuan(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.yuan())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_yuan_with_two_decimals_and_checks_overflow() {
        assert_eq!(Fen(26000).yuan(), "260.00");
        assert_eq!(Fen(5).yuan(), "0.05");
        assert_eq!(Fen(8000).to_string(), "¥80.00");
        assert_eq!(Fen(18000).times(2), Some(Fen(36000)));
        assert_eq!(Fen(u64::MAX).times(2), None);
        assert_eq!(Fen(u64::MAX).plus(Fen(1)), None);
    }
}
