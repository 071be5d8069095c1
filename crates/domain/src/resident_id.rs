//! Resident identity numbers (公民身份号码), GB 11643-1999: 6-digit address code, birth date
//! YYYYMMDD, 3-digit sequence, ISO 7064 MOD 11-2 check character.

use std::fmt;

use crate::time::ChinaDate;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Why a string is not a resident identity number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("must be 18 characters: 17 digits and a check digit or X")]
    Format,
    #[error("characters 7 to 14 must be a real birth date, not in the future")]
    BirthDate,
    #[error("check character should be '{expected}'")]
    CheckCharacter { expected: char },
}

impl ResidentIdError {
    pub fn message_zh(&self) -> String {
        match self {
            ResidentIdError::Format => "身份证号码应为18位：17位数字加1位校验码（数字或X）".into(),
            ResidentIdError::BirthDate => "身份证号码第7至14位应为真实的出生日期".into(),
            ResidentIdError::CheckCharacter { expected } => {
                format!("身份证号码校验码错误，应为“{expected}”")
            }
        }
    }
}

/// An 18-character resident identity number with a valid check character and birth date.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

impl ResidentId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the number; the birth date must not be after `today` (the rule takes the
    /// date from the caller's clock).
    pub fn parse_on(input: &str, today: ChinaDate) -> Result<Self, ResidentIdError> {
        let today = today.yyyymmdd();
        let id = input.trim().to_ascii_uppercase();
        let bytes = id.as_bytes();
        if bytes.len() != 18
            || !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(ResidentIdError::Format);
        }
        let birth: u32 = id[6..14].parse().map_err(|_| ResidentIdError::Format)?;
        if !is_real_date(birth) || birth > today || birth < 18000101 {
            return Err(ResidentIdError::BirthDate);
        }
        let sum: u32 = bytes[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        let expected = CHECK[(sum % 11) as usize];
        if char::from(bytes[17]) != expected {
            return Err(ResidentIdError::CheckCharacter { expected });
        }
        Ok(ResidentId(id))
    }
}

fn is_real_date(yyyymmdd: u32) -> bool {
    let (year, month, day) = (yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(date: &str) -> ChinaDate {
        date.parse().unwrap()
    }

    fn parse(id: &str) -> Result<ResidentId, ResidentIdError> {
        ResidentId::parse_on(id, on("2026-12-01"))
    }

    #[test]
    fn accepts_the_test_vectors() {
        for id in [
            "11010519491231002X",
            "440524188001010014",
            "360426199101010071",
        ] {
            assert_eq!(parse(id).unwrap().as_str(), id);
        }
        assert_eq!(
            parse("11010519491231002x").unwrap().as_str(),
            "11010519491231002X",
            "lower-case x is accepted and stored upper-case"
        );
    }

    #[test]
    fn rejects_the_invalid_vector_and_says_why() {
        // 2023-11-01 birth date, wrong check digit.
        assert_eq!(
            ResidentId::parse_on("110101202311012171", on("2026-11-23")),
            Err(ResidentIdError::CheckCharacter { expected: '6' })
        );
        assert_eq!(
            ResidentId::parse_on("110101202311012176", on("2023-10-31")),
            Err(ResidentIdError::BirthDate),
            "a birth date in the future"
        );
        assert_eq!(
            ResidentId::parse_on("110105194902300020", on("2026-11-23")),
            Err(ResidentIdError::BirthDate),
            "30 February"
        );
        assert_eq!(parse("1101051949"), Err(ResidentIdError::Format));
        assert!(ResidentIdError::Format.message_zh().contains("18位"));
    }
}
