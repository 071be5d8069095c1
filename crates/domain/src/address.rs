//! A postal address (收件地址): who receives, their mobile number, province, city, district,
//! the street address and an optional postal code. The address book keeps them and the
//! shipping of keys and invoices will use them.

use serde::{Deserialize, Serialize};

use crate::field_error::FieldError;
use crate::phone::{PhoneNumber, PhoneNumberError};
use crate::text;

/// An address as entered, not yet checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressInput {
    pub recipient: String,
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    pub postal_code: Option<String>,
}

/// A checked address: every part present and bounded, a real mobile number, a 6-digit
/// postal code if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    recipient: String,
    phone: PhoneNumber,
    province: String,
    city: String,
    district: String,
    detail: String,
    postal_code: Option<String>,
}

impl Address {
    /// Checks every field; the first fault names its field.
    pub fn parse(input: &AddressInput) -> Result<Address, FieldError> {
        let phone: PhoneNumber = input.phone.parse().map_err(|e: PhoneNumberError| {
            FieldError::new("phone", "invalid_phone", e.to_string(), e.message_zh())
        })?;
        let postal_code =
            text::optional("postal_code", input.postal_code.as_deref(), 6, "邮政编码")?;
        if let Some(code) = &postal_code
            && (code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(FieldError::new(
                "postal_code",
                "invalid_field",
                "six digits",
                "邮政编码应为6位数字",
            ));
        }
        Ok(Address {
            recipient: text::required("recipient", &input.recipient, 32, "收件人")?,
            phone,
            province: text::required("province", &input.province, 32, "省份")?,
            city: text::required("city", &input.city, 32, "城市")?,
            district: text::required("district", &input.district, 32, "区县")?,
            detail: text::required("detail", &input.detail, 128, "详细地址")?,
            postal_code,
        })
    }

    pub fn recipient(&self) -> &str {
        &self.recipient
    }
    pub fn phone(&self) -> &PhoneNumber {
        &self.phone
    }
    pub fn province(&self) -> &str {
        &self.province
    }
    pub fn city(&self) -> &str {
        &self.city
    }
    pub fn district(&self) -> &str {
        &self.district
    }
    pub fn detail(&self) -> &str {
        &self.detail
    }
    pub fn postal_code(&self) -> Option<&str> {
        self.postal_code.as_deref()
    }

    /// The fields again, as a form shows them.
    pub fn to_input(&self) -> AddressInput {
        AddressInput {
            recipient: self.recipient.clone(),
            phone: self.phone.as_str().to_string(),
            province: self.province.clone(),
            city: self.city.clone(),
            district: self.district.clone(),
            detail: self.detail.clone(),
            postal_code: self.postal_code.clone(),
        }
    }
}

/// An address kept in a customer's address book (地址维护).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressBookEntry {
    pub id: i64,
    pub address: Address,
    /// The one address forms are prefilled with.
    pub is_default: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AddressInput {
        AddressInput {
            recipient: " 张三 ".into(),
            phone: "+86 138-0013-8000".into(),
            province: "福建省".into(),
            city: "福州市".into(),
            district: "鼓楼区".into(),
            detail: "五四路 1 号".into(),
            postal_code: Some("350001".into()),
        }
    }

    #[test]
    fn a_good_address_is_kept_tidy() {
        let a = Address::parse(&input()).unwrap();
        assert_eq!(a.recipient(), "张三");
        assert_eq!(a.phone().as_str(), "13800138000");
        assert_eq!(a.to_input().postal_code.as_deref(), Some("350001"));
    }

    #[test]
    fn each_fault_names_its_field() {
        let mut bad = input();
        bad.postal_code = Some("35000".into());
        assert_eq!(Address::parse(&bad).unwrap_err().field, "postal_code");
        let mut bad = input();
        bad.phone = "12345".into();
        assert_eq!(Address::parse(&bad).unwrap_err().code, "invalid_phone");
        let mut bad = input();
        bad.detail = String::new();
        assert_eq!(Address::parse(&bad).unwrap_err().field, "detail");
        let mut no_code = input();
        no_code.postal_code = Some(" ".into());
        assert_eq!(Address::parse(&no_code).unwrap().postal_code(), None);
    }
}
