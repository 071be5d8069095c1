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

    /// Yuan as written by a bank or a provider: `^\d{1,9}(\.\d{1,2})?$`, exactly ("260",
    /// "260.0" and "260.00" are 26000 fen). Signs, exponents, separators, more than two
    /// decimals and anything else are refused: no float ever touches an amount.
    pub fn parse_yuan(text: &str) -> Option<Fen> {
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text, None),
        };
        let digits = |s: &str, max: usize| {
            !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(whole, 9) || fraction.is_some_and(|f| !digits(f, 2)) {
            return None;
        }
        let yuan: u64 = whole.parse().ok()?;
        let fen: u64 = match fraction {
            None => 0,
            Some(f) if f.len() == 1 => f.parse::<u64>().ok()? * 10,
            Some(f) => f.parse().ok()?,
        };
        Some(Fen(yuan * 100 + fen))
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

    #[test]
    fn yuan_is_parsed_exactly_or_refused() {
        for (text, fen) in [
            ("0.01", 1),
            ("260", 26000),
            ("260.0", 26000),
            ("260.00", 26000),
            ("440.5", 44050),
            ("999999999.99", 99_999_999_999),
        ] {
            assert_eq!(Fen::parse_yuan(text), Some(Fen(fen)), "{text}");
            assert_eq!(Fen::parse_yuan(&Fen(fen).yuan()), Some(Fen(fen)));
        }
        for text in [
            "",
            "1e2",
            "-1",
            "+1",
            "260.001",
            "26,000",
            "26 000",
            ".5",
            "5.",
            "0x10",
            "１２",
            "1000000000",
            "NaN",
            "260.00 ",
        ] {
            assert_eq!(Fen::parse_yuan(text), None, "{text:?}");
        }
    }
}
