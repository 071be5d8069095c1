//! The 15-digit business licence registration number (工商注册号), GS 15-2006: fourteen
//! digits and a check digit by ISO 7064 MOD 11,10. Licences issued since 2016 carry the
//! unified social credit code instead; organisations that have not converted (未三证合一)
//! still give this number with their organisation code.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a string is not a business licence number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LicenceNumberError {
    #[error("must be 15 digits, got {0} characters")]
    Format(usize),
    #[error("check digit should be {expected}")]
    CheckDigit { expected: u32 },
}

impl LicenceNumberError {
    pub fn message_zh(&self) -> String {
        match self {
            LicenceNumberError::Format(n) => {
                format!("营业执照注册号应为15位数字，实际为{n}位")
            }
            LicenceNumberError::CheckDigit { expected } => {
                format!("营业执照注册号校验位错误，应为“{expected}”")
            }
        }
    }
}

/// ISO 7064 MOD 11,10: the check digit of `body` (digits only).
fn check_digit(body: &[u32]) -> u32 {
    let mut product = 10;
    for digit in body {
        let sum = (product % 11 + digit) % 10;
        product = if sum == 0 { 10 } else { sum } * 2;
    }
    (11 - product % 11) % 10
}

/// A business licence number whose check digit is right.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LicenceNumber(String);

impl LicenceNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for LicenceNumber {
    type Err = LicenceNumberError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let number = input.trim();
        let digits: Option<Vec<u32>> = number.chars().map(|c| c.to_digit(10)).collect();
        let digits = match digits {
            Some(d) if d.len() == 15 && number.is_ascii() => d,
            _ => return Err(LicenceNumberError::Format(number.chars().count())),
        };
        let expected = check_digit(&digits[..14]);
        if digits[14] != expected {
            return Err(LicenceNumberError::CheckDigit { expected });
        }
        Ok(LicenceNumber(number.to_string()))
    }
}

impl TryFrom<String> for LicenceNumber {
    type Error = LicenceNumberError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<LicenceNumber> for String {
    fn from(number: LicenceNumber) -> String {
        number.0
    }
}

impl fmt::Display for LicenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_worked_example() {
        // domain-cn-ca.md §1.4: 110108000000016, P_14 mod 11 = 5, check 6.
        assert_eq!(
            "110108000000016".parse::<LicenceNumber>().unwrap().as_str(),
            "110108000000016"
        );
    }

    #[test]
    fn the_check_is_the_digit_that_makes_the_mod_11_10_sum_one() {
        // Recompute the whole ISO 7064 check over all fifteen digits (it must be 1).
        let full = |n: &str| {
            let mut p = 10;
            let mut last = 0;
            for d in n.chars().map(|c| c.to_digit(10).unwrap()) {
                last = (p % 11 + d) % 10;
                p = if last == 0 { 10 } else { last } * 2;
            }
            last
        };
        assert_eq!(full("110108000000016"), 1);
        for body in ["35010020012345", "44030000000000", "99999999999999"] {
            let digits: Vec<u32> = body.chars().map(|c| c.to_digit(10).unwrap()).collect();
            let number = format!("{body}{}", check_digit(&digits));
            assert_eq!(full(&number), 1, "{number}");
            assert!(number.parse::<LicenceNumber>().is_ok());
        }
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            "110108000000017".parse::<LicenceNumber>(),
            Err(LicenceNumberError::CheckDigit { expected: 6 })
        );
        assert_eq!(
            "11010800000001".parse::<LicenceNumber>(),
            Err(LicenceNumberError::Format(14))
        );
        assert_eq!(
            "11010800000001A".parse::<LicenceNumber>(),
            Err(LicenceNumberError::Format(15))
        );
        assert!(
            LicenceNumberError::Format(3)
                .message_zh()
                .contains("15位数字")
        );
    }
}
