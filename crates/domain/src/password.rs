//! The password rule shown at registration (密码规则) and checked everywhere a password is set.

use crate::PhoneNumber;

/// The rule, as shown to customers.
pub const RULE_ZH: &str = "密码长度8至64位，须同时包含字母和数字，且不能包含手机号";
pub const RULE_EN: &str =
    "8 to 64 characters, with both letters and digits, not containing the phone number";

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("must be 8 to 64 characters")]
    Length,
    #[error("must contain both letters and digits")]
    Classes,
    #[error("must not contain the phone number")]
    ContainsPhone,
}

impl PasswordError {
    pub fn message_zh(&self) -> &'static str {
        match self {
            PasswordError::Length => "密码长度应为8至64位",
            PasswordError::Classes => "密码须同时包含字母和数字",
            PasswordError::ContainsPhone => "密码不能包含手机号",
        }
    }
}

/// Checks a new password against the rule.
pub fn check_new_password(password: &str, phone: &PhoneNumber) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if !(8..=64).contains(&length) {
        return Err(PasswordError::Length);
    }
    if !password.chars().any(|c| c.is_alphabetic()) || !password.chars().any(|c| c.is_ascii_digit())
    {
        return Err(PasswordError::Classes);
    }
    if password.contains(phone.as_str()) {
        return Err(PasswordError::ContainsPhone);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        let phone: PhoneNumber = "13800138000".parse().unwrap();
        assert_eq!(check_new_password("abc12345", &phone), Ok(()));
        assert_eq!(check_new_password("密码password1", &phone), Ok(()));
        assert_eq!(
            check_new_password("abc1234", &phone),
            Err(PasswordError::Length)
        );
        assert_eq!(
            check_new_password(&"a1".repeat(33), &phone),
            Err(PasswordError::Length)
        );
        assert_eq!(
            check_new_password("abcdefgh", &phone),
            Err(PasswordError::Classes)
        );
        assert_eq!(
            check_new_password("12345678", &phone),
            Err(PasswordError::Classes)
        );
        assert_eq!(
            check_new_password("a13800138000", &phone),
            Err(PasswordError::ContainsPhone)
        );
    }
}
