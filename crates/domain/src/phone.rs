//! Mainland mobile numbers (手机号): 11 digits starting 1[3-9]. The regex only says a number
//! could exist; owning it is proven by an SMS code.

use std::fmt;
use std::str::FromStr;

/// Why a string is not a mainland mobile number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an 11-digit mainland mobile number starting with 13 to 19")]
pub struct PhoneNumberError;

impl PhoneNumberError {
    pub fn message_zh(&self) -> &'static str {
        "请输入11位中国大陆手机号码（以13至19开头）"
    }
}

/// A mainland mobile number, 11 digits, without country code or separators.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown after login: 138****5678.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneNumberError;

    /// Accepts spaces and hyphens between digits and a +86 / 86 / 0086 prefix.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let digits: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let national = ["+86", "0086", "86"]
            .iter()
            .find_map(|prefix| digits.strip_prefix(prefix).filter(|rest| rest.len() == 11))
            .unwrap_or(&digits);
        let bytes = national.as_bytes();
        let valid = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if valid {
            Ok(PhoneNumber(national.to_string()))
        } else {
            Err(PhoneNumberError)
        }
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneNumberError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> String {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_test_vectors_and_usual_spellings() {
        for (input, number) in [
            ("13800138000", "13800138000"),
            ("19912345678", "19912345678"),
            ("+86 138-0013-8000", "13800138000"),
            ("008613800138000", "13800138000"),
            ("8613800138000", "13800138000"),
        ] {
            assert_eq!(input.parse::<PhoneNumber>().unwrap().as_str(), number);
        }
    }

    #[test]
    fn rejects_what_cannot_be_a_mobile_number() {
        for input in [
            "12345678901",
            "1380013800",
            "138001380001",
            "1380013800a",
            "",
            "02112345678",
        ] {
            assert_eq!(
                input.parse::<PhoneNumber>(),
                Err(PhoneNumberError),
                "{input}"
            );
        }
    }

    #[test]
    fn masks_the_middle_four_digits() {
        assert_eq!(
            "13812345678".parse::<PhoneNumber>().unwrap().masked(),
            "138****5678"
        );
    }
}
