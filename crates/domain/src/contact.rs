//! Contact details typed by a person: e-mail addresses and landlines (固定电话). Mobile
//! numbers have their own type ([`crate::PhoneNumber`]).

use crate::field_error::FieldError;

fn invalid(field: &str, en: &str, zh: &str) -> FieldError {
    FieldError::new(field, "invalid_field", en, zh)
}

/// An e-mail address: one `@`, something before it, a dotted domain after it, no spaces,
/// at most 254 characters.
pub fn email(field: &str, value: &str) -> Result<String, FieldError> {
    let email = value.trim();
    let ok = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(email.to_string())
    } else {
        Err(invalid(
            field,
            "not an e-mail address",
            "电子邮箱格式不正确",
        ))
    }
}

/// A landline: `0591-87654321` (area code 0XX or 0XXX, 7 or 8 digits, an optional
/// `-extension` of up to 6 digits) or the same digits without the hyphen.
pub fn landline(field: &str, value: &str) -> Result<String, FieldError> {
    let number = value.trim();
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let area_ok = |a: &str| a.starts_with('0') && (3..=4).contains(&a.len()) && digits(a);
    let local_ok = |l: &str| (7..=8).contains(&l.len()) && digits(l);
    let ok = match number.split('-').collect::<Vec<_>>().as_slice() {
        [area, local] => area_ok(area) && local_ok(local),
        [area, local, extension] => {
            area_ok(area) && local_ok(local) && extension.len() <= 6 && digits(extension)
        }
        [all] => all.starts_with('0') && (10..=12).contains(&all.len()) && digits(all),
        _ => false,
    };
    if ok {
        Ok(number.to_string())
    } else {
        Err(invalid(
            field,
            "a landline such as 0591-87654321",
            "固定电话格式应如 0591-87654321",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses() {
        assert_eq!(email("email", " a@b.cn ").unwrap(), "a@b.cn");
        for bad in ["a@b", "@b.cn", "a b@c.cn", "a@.cn", "a@b.cn.", "a@b@c.cn"] {
            assert_eq!(email("agent.email", bad).unwrap_err().field, "agent.email");
        }
    }

    #[test]
    fn landlines() {
        for good in [
            "0591-87654321",
            "010-1234567",
            "0591-87654321-123",
            "059187654321",
        ] {
            assert!(landline("landline", good).is_ok(), "{good}");
        }
        for bad in ["591-87654321", "0591-123", "0591-87654321-1234567", "abc"] {
            assert!(landline("landline", bad).is_err(), "{bad}");
        }
    }
}
