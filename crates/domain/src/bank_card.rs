//! Personal bank card numbers (银行卡号), as the four-factor check takes them: 16 to 19
//! digits whose last is the Luhn check digit (ISO/IEC 7812-1). The check catches a mistyped
//! digit before a paid verification service is asked.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankCardError {
    #[error("a bank card number has 16 to 19 digits")]
    Length,
    #[error("the card number's check digit is wrong (Luhn): check the number on the card")]
    CheckDigit,
}

impl BankCardError {
    pub fn message_zh(&self) -> &'static str {
        match self {
            BankCardError::Length => "银行卡号应为16至19位数字",
            BankCardError::CheckDigit => "银行卡号校验位错误，请核对卡面上的卡号",
        }
    }
}

/// A card number that passed the Luhn check, digits only.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BankCard(String);

impl BankCard {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown back: the last four digits.
    pub fn masked(&self) -> String {
        format!("**** {}", &self.0[self.0.len() - 4..])
    }
}

/// Never the whole number in logs.
impl fmt::Debug for BankCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BankCard({})", self.masked())
    }
}

/// Whether the digits end with a correct Luhn check digit.
pub fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl FromStr for BankCard {
    type Err = BankCardError;

    /// Accepts spaces and hyphens between the digits.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if !(16..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BankCardError::Length);
        }
        if !luhn_valid(digits.as_bytes()) {
            return Err(BankCardError::CheckDigit);
        }
        Ok(BankCard(digits))
    }
}

impl TryFrom<String> for BankCard {
    type Error = BankCardError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<BankCard> for String {
    fn from(card: BankCard) -> String {
        card.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_vectors() {
        // ISO/IEC 7812-1's example and the well-known test card.
        assert!(luhn_valid(b"79927398713"));
        assert!(luhn_valid(b"4111111111111111"));
        assert!(!luhn_valid(b"79927398710"));
        for good in [
            "6222020200112233446",
            "6212 2602 0000 0000 006",
            "6228480012345678903",
        ] {
            assert!(good.parse::<BankCard>().is_ok(), "{good}");
        }
    }

    #[test]
    fn every_single_digit_change_is_caught() {
        let good = "6222020200112233446";
        for at in 0..good.len() {
            for d in b'0'..=b'9' {
                let mut bytes = good.as_bytes().to_vec();
                if bytes[at] == d {
                    continue;
                }
                bytes[at] = d;
                let text = String::from_utf8(bytes).unwrap();
                assert_eq!(text.parse::<BankCard>(), Err(BankCardError::CheckDigit));
            }
        }
    }

    #[test]
    fn lengths_and_masking() {
        assert_eq!("123".parse::<BankCard>(), Err(BankCardError::Length));
        assert_eq!(
            "62220202001122334a".parse::<BankCard>(),
            Err(BankCardError::Length)
        );
        let card: BankCard = "6222020200112233446".parse().unwrap();
        assert_eq!(card.masked(), "**** 3446");
        assert!(!format!("{card:?}").contains("622202"));
    }
}
