//! Subject names: what a CSR or an operator says, and the DN a profile composes from it.

use std::str::FromStr;

use const_oid::db::rfc4519;
use der::asn1::{Any, ObjectIdentifier, PrintableStringRef, SetOfVec, Utf8StringRef};
use der::{Tag, Tagged};
use domain::Uscc;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::{PkiError, oids};

/// The subject attributes CertHall knows. A profile decides which are required.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectFields {
    pub country: Option<String>,
    pub province: Option<String>,
    pub locality: Option<String>,
    pub organization: Option<String>,
    pub organizational_unit: Option<String>,
    /// The unified social credit code, in X.520 organizationIdentifier.
    pub organization_identifier: Option<Uscc>,
    /// For individuals: a hash of the ID number (never the number itself).
    pub serial_number: Option<String>,
    pub common_name: Option<String>,
}

fn subject_error(field: &str, reason: impl Into<String>) -> PkiError {
    PkiError::Subject {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// The attribute keywords accepted in `--subject` and in CSRs, with their OIDs.
const ATTRIBUTES: [(&str, ObjectIdentifier); 8] = [
    ("C", rfc4519::C),
    ("ST", rfc4519::ST),
    ("L", rfc4519::L),
    ("O", rfc4519::O),
    ("OU", rfc4519::OU),
    ("organizationIdentifier", oids::ORGANIZATION_IDENTIFIER),
    ("serialNumber", rfc4519::SERIAL_NUMBER),
    ("CN", rfc4519::CN),
];

impl SubjectFields {
    fn slot(&mut self, keyword: &str) -> Option<&mut Option<String>> {
        Some(match keyword {
            "C" => &mut self.country,
            "ST" => &mut self.province,
            "L" => &mut self.locality,
            "O" => &mut self.organization,
            "OU" => &mut self.organizational_unit,
            "serialNumber" => &mut self.serial_number,
            "CN" => &mut self.common_name,
            _ => return None,
        })
    }

    fn set(&mut self, keyword: &str, value: &str) -> Result<(), PkiError> {
        // The rule of every human text field (domain::text): what a certificate shows is
        // what it says, NFC, no bidi overrides or invisible characters.
        let value = domain::text::human(value).map_err(|(en, _)| subject_error(keyword, en))?;
        let value = value.as_str();
        if value.is_empty() {
            return Err(subject_error(keyword, "must not be empty"));
        }
        if value.chars().count() > 64 {
            return Err(subject_error(keyword, "must be at most 64 characters"));
        }
        if keyword == "organizationIdentifier" {
            if self.organization_identifier.is_some() {
                return Err(subject_error(keyword, "given twice"));
            }
            let uscc = Uscc::from_str(value).map_err(|e| {
                subject_error(keyword, format!("not a unified social credit code: {e}"))
            })?;
            self.organization_identifier = Some(uscc);
            return Ok(());
        }
        if keyword == "C" && (value.len() != 2 || !value.chars().all(|c| c.is_ascii_uppercase())) {
            return Err(subject_error(
                "C",
                "must be a two-letter country code such as CN",
            ));
        }
        let slot = self
            .slot(keyword)
            .ok_or_else(|| subject_error(keyword, "unknown subject attribute"))?;
        if slot.is_some() {
            return Err(subject_error(keyword, "given twice"));
        }
        *slot = Some(value.to_string());
        Ok(())
    }

    /// Reads the attributes of a DN (from a CSR). Attributes CertHall does not know are an
    /// error that names them.
    pub fn from_name(name: &Name) -> Result<Self, PkiError> {
        let mut fields = SubjectFields::default();
        for rdn in name.0.iter() {
            for atv in rdn.0.iter() {
                let keyword = ATTRIBUTES
                    .iter()
                    .find(|(_, oid)| *oid == atv.oid)
                    .map(|(k, _)| *k)
                    .ok_or_else(|| {
                        subject_error(&atv.oid.to_string(), "subject attribute not allowed")
                    })?;
                let value = directory_string(&atv.value)
                    .ok_or_else(|| subject_error(keyword, "value is not a text string"))?;
                fields.set(keyword, &value)?;
            }
        }
        Ok(fields)
    }

    /// Fields given in `other` replace those here.
    pub fn overridden_by(mut self, other: SubjectFields) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f; } )* };
        }
        take!(
            country,
            province,
            locality,
            organization,
            organizational_unit,
            organization_identifier,
            serial_number,
            common_name
        );
        self
    }

    /// The DN in CertHall's fixed order, from the most significant RDN down:
    /// C, ST, L, O, OU, organizationIdentifier, serialNumber, CN.
    pub fn to_name(&self) -> Result<Name, PkiError> {
        let values: [Option<&str>; 8] = [
            self.country.as_deref(),
            self.province.as_deref(),
            self.locality.as_deref(),
            self.organization.as_deref(),
            self.organizational_unit.as_deref(),
            self.organization_identifier.as_ref().map(Uscc::as_str),
            self.serial_number.as_deref(),
            self.common_name.as_deref(),
        ];
        let mut rdns = Vec::new();
        for ((keyword, oid), value) in ATTRIBUTES.iter().zip(values) {
            let Some(value) = value else { continue };
            // Printable attributes stay PrintableString (RFC 5280 requires it for C and
            // serialNumber); text that may be Chinese is UTF8String.
            let any = if matches!(*keyword, "C" | "serialNumber" | "organizationIdentifier") {
                Any::from(
                    PrintableStringRef::new(value)
                        .map_err(|_| subject_error(keyword, "must be printable ASCII"))?,
                )
            } else {
                Any::from(Utf8StringRef::new(value)?)
            };
            let atv = AttributeTypeAndValue {
                oid: *oid,
                value: any,
            };
            rdns.push(RelativeDistinguishedName(SetOfVec::try_from(vec![atv])?));
        }
        if rdns.is_empty() {
            return Err(subject_error("subject", "must not be empty"));
        }
        Ok(RdnSequence(rdns))
    }
}

/// Text of a DirectoryString-like value (UTF8String, PrintableString, IA5String, BMPString).
/// A DN as people read it: RFC 4514's order and escaping, with the names of the attributes
/// CertHall writes (`organizationIdentifier=91350100M000100Y43` rather than its OID and the
/// value's hex); any other attribute as RFC 4514 writes it.
pub fn display(name: &Name) -> String {
    let mut parts = Vec::new();
    for rdn in name.0.iter().rev() {
        let values: Vec<String> = rdn
            .0
            .iter()
            .map(|atv| {
                let keyword = ATTRIBUTES.iter().find(|(_, oid)| *oid == atv.oid);
                match (keyword, directory_string(&atv.value)) {
                    (Some((keyword, _)), Some(value)) => format!("{keyword}={}", escape(&value)),
                    _ => atv.to_string(),
                }
            })
            .collect();
        parts.push(values.join("+"));
    }
    parts.join(",")
}

/// RFC 4514 §2.4: the characters that must be escaped in a value.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let leading = i == 0 && (c == ' ' || c == '#');
        let trailing = i + 1 == value.chars().count() && c == ' ';
        if matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\') || leading || trailing {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn directory_string(value: &Any) -> Option<String> {
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString => {
            String::from_utf8(value.value().to_vec()).ok()
        }
        Tag::BmpString => {
            let units: Vec<u16> = value
                .value()
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1)?]).into())
                .collect::<Option<Vec<u16>>>()?;
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

impl FromStr for SubjectFields {
    type Err = PkiError;

    /// Accepts the OpenSSL form `/C=CN/O=Org/CN=Name` (most significant first) and the
    /// RFC 4514 form `CN=Name,O=Org,C=CN` (least significant first). A backslash escapes
    /// a separator.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let input = input.trim();
        let (separator, body) = match input.strip_prefix('/') {
            Some(rest) => ('/', rest),
            None => (',', input),
        };
        let mut fields = SubjectFields::default();
        for part in split_unescaped(body, separator) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| subject_error(part, "expected KEY=VALUE"))?;
            let key = key.trim();
            let keyword = ATTRIBUTES
                .iter()
                .map(|(k, _)| *k)
                .find(|k| k.eq_ignore_ascii_case(key))
                .ok_or_else(|| {
                    subject_error(
                        key,
                        "unknown subject attribute (use C, ST, L, O, OU, organizationIdentifier, serialNumber, CN)",
                    )
                })?;
            fields.set(keyword, value)?;
        }
        Ok(fields)
    }
}

fn split_unescaped(input: &str, separator: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in input.chars() {
        match (escaped, c) {
            (false, '\\') => escaped = true,
            (false, c) if c == separator => parts.push(String::new()),
            (_, c) => {
                escaped = false;
                parts.last_mut().expect("never empty").push(c);
            }
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_orders_and_builds_the_canonical_dn() {
        let a: SubjectFields =
            "/C=CN/O=测试公司/OU=采购部/organizationIdentifier=91350100M000100Y43/CN=测试公司"
                .parse()
                .unwrap();
        let b: SubjectFields =
            "CN=测试公司,organizationIdentifier=91350100M000100Y43,OU=采购部,O=测试公司,C=CN"
                .parse()
                .unwrap();
        assert_eq!(a, b);
        let name = a.to_name().unwrap();
        assert_eq!(SubjectFields::from_name(&name).unwrap(), a);
        let text = name.to_string();
        assert!(text.starts_with("CN=测试公司"), "{text}");
        // As people read it: the attribute's name and its text, not an OID and hex; and
        // read back to the same fields.
        let shown = display(&name);
        assert_eq!(
            shown,
            "CN=测试公司,organizationIdentifier=91350100M000100Y43,OU=采购部,O=测试公司,C=CN"
        );
        assert_eq!(shown.parse::<SubjectFields>().unwrap(), a);
    }

    #[test]
    fn displayed_values_are_escaped_as_rfc_4514_says() {
        let fields: SubjectFields = "/C=CN/O=甲, 乙 \"丙\"/CN=#1 ".parse().unwrap();
        let shown = display(&fields.to_name().unwrap());
        // (The trailing space was trimmed when the fields were read.)
        assert_eq!(shown, r#"CN=\#1,O=甲\, 乙 \"丙\",C=CN"#);
    }

    #[test]
    fn names_the_bad_field() {
        let err = "/CN=x/organizationIdentifier=91350100M000100Y4Z"
            .parse::<SubjectFields>()
            .unwrap_err();
        assert!(
            matches!(err, PkiError::Subject { ref field, .. } if field == "organizationIdentifier")
        );
        let err = "/CN=x/XX=y".parse::<SubjectFields>().unwrap_err();
        assert!(matches!(err, PkiError::Subject { ref field, .. } if field == "XX"));
        let err = "/C=China".parse::<SubjectFields>().unwrap_err();
        assert!(matches!(err, PkiError::Subject { ref field, .. } if field == "C"));
        let err = "/CN=a/CN=b".parse::<SubjectFields>().unwrap_err();
        assert!(err.to_string().contains("twice"));
    }

    #[test]
    fn subjects_hold_only_text_that_shows_what_it_says() {
        for trap in [
            "/O=某某\u{202E}司公/CN=x",
            "/CN=张\u{200B}三",
            "/OU=\u{FEFF}采购部/CN=x",
        ] {
            let err = trap.parse::<SubjectFields>().unwrap_err();
            assert!(matches!(err, PkiError::Subject { .. }), "{trap:?}");
        }
        let f: SubjectFields = "/CN=Jose\u{0301}".parse().unwrap();
        assert_eq!(f.common_name.as_deref(), Some("Jos\u{e9}"), "stored as NFC");
    }

    #[test]
    fn escaped_separators_stay_in_values() {
        let f: SubjectFields = "CN=Smith\\, John,O=A/B".parse().unwrap();
        assert_eq!(f.common_name.as_deref(), Some("Smith, John"));
        assert_eq!(f.organization.as_deref(), Some("A/B"));
    }
}
