//! Free text entered by a person (names, addresses): trimmed, bounded, no control
//! characters. Empty means "not given".

use crate::field_error::FieldError;

/// `value` trimmed; `None` when empty; an error naming `field` when longer than `max`
/// characters or holding control characters. `name_zh` is the field's name in messages.
pub fn optional(
    field: &str,
    value: Option<&str>,
    max: usize,
    name_zh: &str,
) -> Result<Option<String>, FieldError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max => Err(FieldError::new(
            field,
            "invalid_field",
            format!("at most {max} characters"),
            format!("{name_zh}最多{max}个字符"),
        )),
        Some(v) if v.chars().any(char::is_control) => Err(FieldError::new(
            field,
            "invalid_field",
            "contains control characters",
            format!("{name_zh}含有无效字符"),
        )),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// Like [`optional`], but a missing value is an error.
pub fn required(field: &str, value: &str, max: usize, name_zh: &str) -> Result<String, FieldError> {
    optional(field, Some(value), max, name_zh)?.ok_or_else(|| {
        FieldError::new(
            field,
            "invalid_field",
            "is required",
            format!("请填写{name_zh}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_bounds_and_refuses_control_characters() {
        assert_eq!(
            optional("name", Some("  张三 "), 4, "姓名"),
            Ok(Some("张三".into()))
        );
        assert_eq!(optional("name", Some("   "), 4, "姓名"), Ok(None));
        assert_eq!(optional("name", None, 4, "姓名"), Ok(None));
        let e = optional("name", Some("张三李四王"), 4, "姓名").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.zh.as_str()),
            ("name", "姓名最多4个字符")
        );
        assert!(optional("name", Some("a\u{7}b"), 4, "姓名").is_err());
        assert_eq!(
            required("city", " ", 8, "城市").unwrap_err().zh,
            "请填写城市"
        );
    }
}
