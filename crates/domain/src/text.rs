//! Free text entered by a person (names, addresses): the one rule for every human text
//! field, since these words end up printed on certificates, PDFs and parcels. Normalised to
//! NFC, trimmed, bounded; no control characters, no bidirectional overrides or isolates
//! (U+202E turns "txt.exe" into "exe.txt" on screen), no invisible format characters
//! (U+200B, U+FEFF…), and at most [`MAX_COMBINING_RUN`] combining marks on one letter.
//! Empty means "not given".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::field_error::FieldError;

/// Combining marks allowed after one base character (Vietnamese needs two: ệ is e + two).
pub const MAX_COMBINING_RUN: usize = 2;

/// Characters that change how text around them is shown without being seen themselves:
/// bidirectional controls, zero-width characters, the byte-order mark, soft hyphen,
/// invisible operators.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}'
        | '\u{E0000}'..='\u{E007F}')
}

/// Why `text` (already NFC) is not acceptable human text, if it is not.
fn fault(text: &str) -> Option<(&'static str, &'static str)> {
    if text.chars().any(char::is_control) {
        return Some(("contains control characters", "含有无效字符"));
    }
    if text.chars().any(is_invisible_format) {
        return Some((
            "contains invisible or text-direction characters",
            "含有不可见字符或文字方向控制字符",
        ));
    }
    let mut run = 0;
    for c in text.chars() {
        run = if is_combining_mark(c) { run + 1 } else { 0 };
        if run > MAX_COMBINING_RUN {
            return Some((
                "has too many combining marks on one letter",
                "含有过多的组合附加符号",
            ));
        }
    }
    if text.chars().next().is_some_and(is_combining_mark) {
        return Some(("starts with a combining mark", "以组合附加符号开头"));
    }
    None
}

/// `value` as stored and printed: NFC and trimmed, if it passes the rule of this module
/// (any length). For text that does not come through a form field, e.g. a certificate
/// subject's attribute.
pub fn human(value: &str) -> Result<String, (&'static str, &'static str)> {
    let normalised: String = value.trim().nfc().collect();
    match fault(&normalised) {
        Some(why) => Err(why),
        None => Ok(normalised),
    }
}

/// At most `max` characters of `value`, with "…" when cut: for logging and auditing what a
/// stranger typed without storing all of it.
pub fn clip(value: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(value),
        Some((end, _)) => std::borrow::Cow::Owned(format!("{}…", &value[..end])),
    }
}

/// `value` trimmed; `None` when empty; an error naming `field` when longer than `max`
/// characters or holding control characters. `name_zh` is the field's name in messages.
pub fn optional(
    field: &str,
    value: Option<&str>,
    max: usize,
    name_zh: &str,
) -> Result<Option<String>, FieldError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let text = human(value).map_err(|(en, zh)| {
        FieldError::new(field, "invalid_field", en, format!("{name_zh}{zh}"))
    })?;
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            "invalid_field",
            format!("at most {max} characters"),
            format!("{name_zh}最多{max}个字符"),
        ));
    }
    Ok(Some(text))
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

    #[test]
    fn refuses_what_prints_differently_from_what_it_is() {
        for trap in [
            "abc\u{202E}gpj.exe",
            "张\u{200B}三",
            "\u{FEFF}张三",
            "张三\u{2066}",
            "\u{200B}\u{200B}",
            "Za\u{0301}\u{0302}\u{0303}\u{0304}lgo",
            "\u{0301}abc",
        ] {
            let e = optional("name", Some(trap), 40, "姓名").unwrap_err();
            assert_eq!(e.field, "name", "{trap:?}");
            assert!(e.zh.starts_with("姓名"), "{trap:?}: {}", e.zh);
        }
    }

    #[test]
    fn normalises_to_nfc_and_keeps_real_names() {
        // "é" typed as e + combining acute is stored as the one character U+00E9.
        assert_eq!(
            optional("name", Some("Jose\u{0301}"), 10, "姓名"),
            Ok(Some("Jos\u{00E9}".into()))
        );
        // Vietnamese stacks two marks on one letter; that is allowed.
        assert!(human("Nguye\u{0302}\u{0303}n").is_ok());
        for name in [
            "北京某某科技有限公司",
            "阿卜杜热西提·买买提",
            "O'Brien-Smith",
        ] {
            assert_eq!(human(name).as_deref(), Ok(name));
        }
    }

    #[test]
    fn clips_long_text_for_the_log() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("张三李四王五", 2), "张三…");
        assert_eq!(clip(&"a".repeat(60_000), 64).chars().count(), 65);
    }
}
