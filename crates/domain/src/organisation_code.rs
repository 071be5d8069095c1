//! Organisation code (组织机构代码), GB 11714-1997: eight body characters and a check
//! character, shown as `XXXXXXXX-X`. Organisations that have not converted to the unified
//! social credit code (未三证合一) give it with their 15-digit business licence number; in a
//! USCC it is characters 9 to 17.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// GB 11714 weights of the eight body characters.
const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Why a string is not an organisation code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrganisationCodeError {
    #[error("must be 9 characters (8 digits or capital letters and a check character), got {0}")]
    Length(usize),
    #[error("character {position} ('{character}') is not a digit or capital letter")]
    Character { position: usize, character: char },
    #[error("check character should be '{expected}'")]
    CheckCharacter { expected: char },
}

impl OrganisationCodeError {
    pub fn message_zh(&self) -> String {
        match self {
            OrganisationCodeError::Length(n) => {
                format!("组织机构代码应为9位（8位本体代码加1位校验码），实际为{n}位")
            }
            OrganisationCodeError::Character {
                position,
                character,
            } => format!("组织机构代码第{position}位字符“{character}”无效"),
            OrganisationCodeError::CheckCharacter { expected } => {
                format!("组织机构代码校验码错误，应为“{expected}”")
            }
        }
    }
}

/// The check character of an eight-character body: digits 0-9 and letters A-Z are worth
/// 0 to 35 (not the USCC's table). `None` if a character is neither.
pub(crate) fn check_character(body: &[char]) -> Option<char> {
    let mut sum = 0u32;
    for (c, w) in body.iter().zip(WEIGHTS) {
        if c.is_ascii_lowercase() {
            return None;
        }
        sum += c.to_digit(36)? * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10)?,
    })
}

/// An organisation code whose check character is right, stored without the hyphen.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrganisationCode(String);

impl OrganisationCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The printed form, `60003734-1`.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..8], &self.0[8..])
    }
}

impl FromStr for OrganisationCode {
    type Err = OrganisationCodeError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let code: String = input
            .trim()
            .to_ascii_uppercase()
            .chars()
            .filter(|c| *c != '-')
            .collect();
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 9 {
            return Err(OrganisationCodeError::Length(chars.len()));
        }
        for (i, c) in chars.iter().enumerate() {
            let allowed = c.is_ascii_digit() || c.is_ascii_uppercase();
            if !allowed || (i == 8 && !(c.is_ascii_digit() || *c == 'X')) {
                return Err(OrganisationCodeError::Character {
                    position: i + 1,
                    character: *c,
                });
            }
        }
        let expected = check_character(&chars[..8]).ok_or(OrganisationCodeError::Length(0))?;
        if chars[8] != expected {
            return Err(OrganisationCodeError::CheckCharacter { expected });
        }
        Ok(OrganisationCode(code))
    }
}

impl TryFrom<String> for OrganisationCode {
    type Error = OrganisationCodeError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<OrganisationCode> for String {
    fn from(code: OrganisationCode) -> String {
        code.0
    }
}

impl fmt::Display for OrganisationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_worked_examples_with_or_without_hyphen() {
        // domain-cn-ca.md §1.2: 60003734-1 and M000100Y-4.
        assert_eq!(
            "60003734-1".parse::<OrganisationCode>().unwrap().as_str(),
            "600037341"
        );
        let code: OrganisationCode = "m000100y4".parse().unwrap();
        assert_eq!(code.display(), "M000100Y-4");
    }

    #[test]
    fn check_values_ten_and_eleven_are_x_and_zero() {
        // Bodies whose sums give 11 − (S mod 11) = 10 and = 11.
        let body: Vec<char> = "00000001".chars().collect(); // S = 2 → 9
        assert_eq!(check_character(&body), Some('9'));
        let body: Vec<char> = "00000010".chars().collect(); // S = 4 → 7
        assert_eq!(check_character(&body), Some('7'));
        let body: Vec<char> = "10000000".chars().collect(); // S = 3 → 8
        assert_eq!(check_character(&body), Some('8'));
        let body: Vec<char> = "00000000".chars().collect(); // S = 0 → 11 → '0'
        assert_eq!(check_character(&body), Some('0'));
        let body: Vec<char> = "00000100".chars().collect(); // S = 8 → 3
        assert_eq!(check_character(&body), Some('3'));
        let body: Vec<char> = "00100000".chars().collect(); // S = 9 → 2
        assert_eq!(check_character(&body), Some('2'));
        let body: Vec<char> = "00010000".chars().collect(); // S = 10 → 1
        assert_eq!(check_character(&body), Some('1'));
        let body: Vec<char> = "01000000".chars().collect(); // S = 7 → 4
        assert_eq!(check_character(&body), Some('4'));
        let body: Vec<char> = "00001000".chars().collect(); // S = 5 → 6
        assert_eq!(check_character(&body), Some('6'));
        let body: Vec<char> = "00000002".chars().collect(); // S = 4 → 7
        assert_eq!(check_character(&body), Some('7'));
        let body: Vec<char> = "00000005".chars().collect(); // S = 10 → 1
        assert_eq!(check_character(&body), Some('1'));
        let body: Vec<char> = "00000006".chars().collect(); // S = 12 → 11 − 1 = 10 → 'X'
        assert_eq!(check_character(&body), Some('X'));
        assert_eq!(
            "00000006X".parse::<OrganisationCode>().unwrap().display(),
            "00000006-X"
        );
    }

    #[test]
    fn refusals_say_why_in_both_languages() {
        assert_eq!(
            "60003734-2".parse::<OrganisationCode>(),
            Err(OrganisationCodeError::CheckCharacter { expected: '1' })
        );
        assert_eq!(
            "6000373".parse::<OrganisationCode>(),
            Err(OrganisationCodeError::Length(7))
        );
        let e = "6000*734-1".parse::<OrganisationCode>().unwrap_err();
        assert_eq!(
            e,
            OrganisationCodeError::Character {
                position: 5,
                character: '*'
            }
        );
        assert!(e.message_zh().contains("第5位"));
    }
}
