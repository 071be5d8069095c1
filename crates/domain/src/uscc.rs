//! Unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! 18 characters: registration authority, organisation kind, six-digit region code, the
//! nine-character organisation code (GB 11714, with its own check character) and a check
//! character over the first seventeen.

use std::fmt;
use std::str::FromStr;

/// The 31 characters of GB 32100; the value of a character is its index.
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// W_i = 3^(i-1) mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a string is not a unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("must be 18 characters, got {0}")]
    Length(usize),
    #[error("character {position} ('{character}') is not allowed")]
    Character { position: usize, character: char },
    #[error("characters 3 to 8 must be a region code of six digits")]
    Region,
    #[error("the embedded organisation code (characters 9 to 17) fails its check")]
    OrganisationCode,
    #[error("check character should be '{expected}'")]
    CheckCharacter { expected: char },
}

impl UsccError {
    /// The same reason in Chinese, for messages shown to customers.
    pub fn message_zh(&self) -> String {
        match self {
            UsccError::Length(n) => format!("统一社会信用代码应为18位，实际为{n}位"),
            UsccError::Character {
                position,
                character,
            } => format!("统一社会信用代码第{position}位字符“{character}”无效"),
            UsccError::Region => "统一社会信用代码第3至8位应为6位数字的行政区划码".into(),
            UsccError::OrganisationCode => {
                "统一社会信用代码第9至17位（组织机构代码）校验不通过".into()
            }
            UsccError::CheckCharacter { expected } => {
                format!("统一社会信用代码校验位错误，应为“{expected}”")
            }
        }
    }
}

/// A unified social credit code whose check characters are right.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

impl Uscc {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Uscc {
    type Err = UsccError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let code = input.trim().to_ascii_uppercase();
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 18 {
            return Err(UsccError::Length(chars.len()));
        }
        let mut values = [0u32; 18];
        for (i, c) in chars.iter().enumerate() {
            values[i] =
                CHARSET
                    .iter()
                    .position(|&b| char::from(b) == *c)
                    .ok_or(UsccError::Character {
                        position: i + 1,
                        character: *c,
                    })? as u32;
        }
        if !chars[2..8].iter().all(char::is_ascii_digit) {
            return Err(UsccError::Region);
        }
        if !organisation_code_is_valid(&chars[8..17]) {
            return Err(UsccError::OrganisationCode);
        }
        let sum: u32 = values[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
        let check = (31 - sum % 31) % 31;
        if values[17] != check {
            return Err(UsccError::CheckCharacter {
                expected: char::from(CHARSET[check as usize]),
            });
        }
        Ok(Uscc(code))
    }
}

/// Characters 9 to 17 are an organisation code, with its own check (GB 11714).
fn organisation_code_is_valid(code: &[char]) -> bool {
    crate::organisation_code::check_character(&code[..8]) == Some(code[8])
}

impl TryFrom<String> for Uscc {
    type Error = UsccError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Uscc> for String {
    fn from(value: Uscc) -> String {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_standard_test_vectors() {
        for code in [
            "91350100M000100Y43",
            "91110000600037341L",
            "12100000400009880K",
        ] {
            assert_eq!(code.parse::<Uscc>().unwrap().as_str(), code);
        }
    }

    #[test]
    fn accepts_lower_case_and_stores_upper_case() {
        assert_eq!(
            "91110000600037341l".parse::<Uscc>().unwrap().as_str(),
            "91110000600037341L"
        );
    }

    #[test]
    fn rejects_a_wrong_check_character_and_says_which_is_right() {
        assert_eq!(
            "91350100M000100Y4Z".parse::<Uscc>(),
            Err(UsccError::Character {
                position: 18,
                character: 'Z'
            })
        );
        assert_eq!(
            "91350100M000100Y44".parse::<Uscc>(),
            Err(UsccError::CheckCharacter { expected: '3' })
        );
    }

    #[test]
    fn rejects_bad_length_region_and_organisation_code() {
        assert_eq!("9135".parse::<Uscc>(), Err(UsccError::Length(4)));
        assert_eq!("9135A100M000100Y43".parse::<Uscc>(), Err(UsccError::Region));
        // Organisation code M000100Y-5 is wrong (the right check is 4).
        assert_eq!(
            "91350100M000100Y53".parse::<Uscc>(),
            Err(UsccError::OrganisationCode)
        );
    }

    #[test]
    fn errors_have_chinese_messages() {
        assert!(UsccError::Length(3).message_zh().contains("18位"));
    }
}
