//! Couriers' tracking numbers (快递单号): each courier's format, checked when a parcel is
//! shipped, and where its tracking page is. A courier CertHall does not know by code gets
//! the general rule (6 to 30 letters and digits).

use crate::FieldError;

/// A courier's tracking numbers: its code, an example, its name on kuaidi100, the check.
struct Format {
    code: &'static str,
    example: &'static str,
    kuaidi100: &'static str,
    check: fn(&str) -> bool,
}

const fn courier_format(
    code: &'static str,
    example: &'static str,
    kuaidi100: &'static str,
    check: fn(&str) -> bool,
) -> Format {
    Format {
        code,
        example,
        kuaidi100,
        check,
    }
}

/// The formats of the couriers the seeds name, and a few more common ones.
const FORMATS: [Format; 6] = [
    // SF Express: SF and 13 digits (older numbers: 12 digits).
    courier_format("sf", "SF1234567890123", "shunfeng", |n| {
        n.strip_prefix("SF")
            .is_some_and(|d| d.len() == 13 && digits(d))
            || (n.len() == 12 && digits(n))
    }),
    // STO: 12 to 15 digits.
    courier_format("sto", "773012345678901", "shentong", |n| {
        (12..=15).contains(&n.len()) && digits(n)
    }),
    // EMS: an S10 item number (two letters, nine digits, two letters) or 13 digits.
    courier_format("ems", "EA123456789CN", "ems", |n| {
        let b = n.as_bytes();
        (n.len() == 13
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && digits(&n[2..11])
            && b[11..].iter().all(u8::is_ascii_uppercase))
            || (n.len() == 13 && digits(n))
    }),
    // YTO: YT and 13 digits.
    courier_format("yto", "YT1234567890123", "yuantong", |n| {
        n.strip_prefix("YT")
            .is_some_and(|d| d.len() == 13 && digits(d))
    }),
    // ZTO: 12 to 14 digits.
    courier_format("zto", "75312345678901", "zhongtong", |n| {
        (12..=14).contains(&n.len()) && digits(n)
    }),
    // JD Logistics: JD and 13 letters or digits.
    courier_format("jd", "JDVA12345678901", "jd", |n| {
        n.strip_prefix("JD")
            .is_some_and(|d| d.len() == 13 && d.bytes().all(|b| b.is_ascii_alphanumeric()))
    }),
];

fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Tracking number `text` of courier `courier` (its code, e.g. `sf`), normalised (spaces
/// removed, upper case), or why it is not one: naming the field `tracking_no` and, for a
/// known courier, an example of its format.
pub fn tracking_number(courier: &str, text: &str) -> Result<String, FieldError> {
    let number: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    match FORMATS.iter().find(|f| f.code == courier) {
        Some(Format { example, check, .. }) => {
            if check(&number) {
                Ok(number)
            } else {
                Err(FieldError::new(
                    "tracking_no",
                    "invalid_tracking_number",
                    format!("not a tracking number of this courier (e.g. {example})"),
                    format!("不是该快递公司的快递单号（例如 {example}）"),
                ))
            }
        }
        None => {
            if (6..=30).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                Ok(number)
            } else {
                Err(FieldError::new(
                    "tracking_no",
                    "invalid_tracking_number",
                    "a tracking number of 6 to 30 letters and digits",
                    "快递单号应为6至30位字母或数字",
                ))
            }
        }
    }
}

/// Courier `courier`'s code on kuaidi100 (`sf` → `shunfeng`), for the couriers above.
pub fn kuaidi100_code(courier: &str) -> Option<&'static str> {
    FORMATS
        .iter()
        .find(|f| f.code == courier)
        .map(|f| f.kuaidi100)
}

/// Our code of kuaidi100's `com` (`shunfeng` → `sf`).
pub fn from_kuaidi100(com: &str) -> Option<&'static str> {
    FORMATS.iter().find(|f| f.kuaidi100 == com).map(|f| f.code)
}

/// An example tracking number of courier `courier`, for the couriers above.
pub fn example(courier: &str) -> Option<&'static str> {
    FORMATS
        .iter()
        .find(|f| f.code == courier)
        .map(|f| f.example)
}

/// Where the customer follows parcel `number` of courier `courier`: the courier's page on
/// kuaidi100 (which every courier above answers), or none for an unknown courier.
pub fn tracking_url(courier: &str, number: &str) -> Option<String> {
    FORMATS.iter().find(|f| f.code == courier).map(|f| {
        format!(
            "https://www.kuaidi100.com/chaxun?com={}&nu={number}",
            f.kuaidi100
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_courier_takes_its_own_format() {
        assert_eq!(
            tracking_number("sf", "sf 1234 5678 90123").unwrap(),
            "SF1234567890123"
        );
        assert_eq!(
            tracking_number("sf", "123456789012").unwrap(),
            "123456789012"
        );
        assert!(tracking_number("sf", "SF123").is_err());
        assert!(tracking_number("sto", "77301234567890").is_ok());
        assert!(
            tracking_number("sto", "7730123456789012").is_err(),
            "16 digits"
        );
        assert_eq!(
            tracking_number("ems", "ea123456789cn").unwrap(),
            "EA123456789CN"
        );
        assert!(tracking_number("ems", "1123456789012").is_ok());
        assert!(tracking_number("ems", "E1123456789CN").is_err());
        assert!(tracking_number("yto", "YT1234567890123").is_ok());
        assert!(tracking_number("zto", "75312345678901").is_ok());
        assert!(tracking_number("jd", "JDVA12345678901").is_ok());
        let e = tracking_number("sf", "12345").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.code),
            ("tracking_no", "invalid_tracking_number")
        );
        assert!(e.zh.contains("SF1234567890123"));
        // An unknown courier: the general rule.
        assert_eq!(
            tracking_number("dbl", "dpk-1234567").unwrap_err().code,
            "invalid_tracking_number"
        );
        assert_eq!(tracking_number("dbl", "DPK1234567").unwrap(), "DPK1234567");
        assert_eq!(
            tracking_url("sf", "SF1234567890123").as_deref(),
            Some("https://www.kuaidi100.com/chaxun?com=shunfeng&nu=SF1234567890123")
        );
        assert_eq!(tracking_url("dbl", "X"), None);
    }
}
