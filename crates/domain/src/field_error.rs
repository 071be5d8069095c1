//! A value refused by a rule: which field, a stable code, and why, in English and Chinese.
//! Every checked type of this crate reports its faults this way, so the layers above turn
//! them into an API error or a form message without translating anything themselves.

/// A field at fault and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {en}")]
pub struct FieldError {
    /// Path of the field, e.g. `products[1].validity_years` or `postal_code`.
    pub field: String,
    /// Stable machine-readable code, e.g. `invalid_phone`.
    pub code: &'static str,
    pub en: String,
    pub zh: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: &'static str,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            code,
            en: en.into(),
            zh: zh.into(),
        }
    }
}
