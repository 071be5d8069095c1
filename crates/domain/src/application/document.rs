//! The documents an application carries (资料上传): which slots there are, which ones an
//! application needs (the business licence; the organisation code certificate when the
//! organisation has not converted; the agent's ID card, both sides; the stamped
//! authorisation letter; a person's own ID card), and what the application records of an
//! uploaded one (its SHA-256, so the SMS-signed submission covers the documents too).

use serde::{Deserialize, Serialize};

use super::content::{Content, Registration, Subject};
use crate::channel::{Channel, ExtraDocument, Holder};

/// A place for one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocumentSlot {
    /// 营业执照.
    BusinessLicence,
    /// 组织机构代码证 (organisations not converted to the USCC).
    OrganisationCodeCertificate,
    /// 经办人身份证人像面.
    AgentIdFront,
    /// 经办人身份证国徽面.
    AgentIdBack,
    /// 加盖公章的实名认证申请授权书.
    AuthorisationLetter,
    /// 申请人身份证人像面 (individual certificates).
    HolderIdFront,
    /// 申请人身份证国徽面.
    HolderIdBack,
    /// A document the channel lists (`[[channels.documents]]`).
    Extra(ExtraSlot),
}

/// The name of a channel's own slot, `extra.{code}`, kept inline so that a slot stays
/// `Copy` and names itself without the channel.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExtraSlot {
    bytes: [u8; ExtraSlot::CAPACITY],
    len: u8,
}

impl ExtraSlot {
    const PREFIX: &'static str = "extra.";
    const CAPACITY: usize = 32;

    /// The slot of the channel's document `code` (2 to 24 of `[a-z0-9_]`, a letter first:
    /// what `Channel::validate` admits).
    pub fn new(code: &str) -> Option<ExtraSlot> {
        let valid = (2..=24).contains(&code.len())
            && code.starts_with(|c: char| c.is_ascii_lowercase())
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return None;
        }
        let mut bytes = [0u8; ExtraSlot::CAPACITY];
        let name = [ExtraSlot::PREFIX.as_bytes(), code.as_bytes()].concat();
        bytes[..name.len()].copy_from_slice(&name);
        Some(ExtraSlot {
            bytes,
            len: name.len() as u8,
        })
    }

    /// `extra.{code}`.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written (checked in `new`).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    /// The channel's code of the document.
    pub fn code(&self) -> &str {
        &self.as_str()[ExtraSlot::PREFIX.len()..]
    }
}

impl std::fmt::Debug for ExtraSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_str())
    }
}

impl DocumentSlot {
    /// The standard slots (a channel adds its own as [`DocumentSlot::Extra`]).
    pub const STANDARD: [DocumentSlot; 7] = [
        DocumentSlot::BusinessLicence,
        DocumentSlot::OrganisationCodeCertificate,
        DocumentSlot::AgentIdFront,
        DocumentSlot::AgentIdBack,
        DocumentSlot::AuthorisationLetter,
        DocumentSlot::HolderIdFront,
        DocumentSlot::HolderIdBack,
    ];

    /// The slot's name in URLs, the API and the stored content.
    pub fn as_str(&self) -> &str {
        match self {
            DocumentSlot::BusinessLicence => "business_licence",
            DocumentSlot::OrganisationCodeCertificate => "organisation_code_certificate",
            DocumentSlot::AgentIdFront => "agent_id_front",
            DocumentSlot::AgentIdBack => "agent_id_back",
            DocumentSlot::AuthorisationLetter => "authorisation_letter",
            DocumentSlot::HolderIdFront => "holder_id_front",
            DocumentSlot::HolderIdBack => "holder_id_back",
            DocumentSlot::Extra(extra) => extra.as_str(),
        }
    }

    /// A slot by its name; whether an application takes it is [`DocumentSlot::required`]'s.
    pub fn parse(text: &str) -> Option<DocumentSlot> {
        if let Some(code) = text.strip_prefix(ExtraSlot::PREFIX) {
            return ExtraSlot::new(code).map(DocumentSlot::Extra);
        }
        Self::STANDARD.into_iter().find(|s| s.as_str() == text)
    }

    /// The channel's listing of its own slot, if it still lists it.
    fn listed<'c>(&self, channel: &'c Channel) -> Option<&'c ExtraDocument> {
        match self {
            DocumentSlot::Extra(extra) => channel.documents.iter().find(|d| d.code == extra.code()),
            _ => None,
        }
    }

    pub fn name_zh<'a>(&'a self, channel: &'a Channel) -> &'a str {
        match self {
            DocumentSlot::BusinessLicence => "营业执照",
            DocumentSlot::OrganisationCodeCertificate => "组织机构代码证",
            DocumentSlot::AgentIdFront => "经办人身份证（人像面）",
            DocumentSlot::AgentIdBack => "经办人身份证（国徽面）",
            DocumentSlot::AuthorisationLetter => "加盖公章的实名认证申请授权书",
            DocumentSlot::HolderIdFront => "身份证（人像面）",
            DocumentSlot::HolderIdBack => "身份证（国徽面）",
            DocumentSlot::Extra(extra) => self
                .listed(channel)
                .map_or(extra.code(), |d| d.name_zh.as_str()),
        }
    }

    pub fn name_en<'a>(&'a self, channel: &'a Channel) -> &'a str {
        match self {
            DocumentSlot::BusinessLicence => "Business licence",
            DocumentSlot::OrganisationCodeCertificate => "Organisation code certificate",
            DocumentSlot::AgentIdFront => "Agent's ID card (photo side)",
            DocumentSlot::AgentIdBack => "Agent's ID card (emblem side)",
            DocumentSlot::AuthorisationLetter => "Stamped authorisation letter",
            DocumentSlot::HolderIdFront => "ID card (photo side)",
            DocumentSlot::HolderIdBack => "ID card (emblem side)",
            DocumentSlot::Extra(extra) => self
                .listed(channel)
                .map_or(extra.code(), |d| d.name_en.as_str()),
        }
    }

    /// What the page says about the slot beyond its name (the channel's help for its own).
    pub fn help<'c>(&self, channel: &'c Channel) -> (&'c str, &'c str) {
        self.listed(channel)
            .map_or(("", ""), |d| (d.help_zh.as_str(), d.help_en.as_str()))
    }

    /// The documents an application needs, in the order the page asks for them: the
    /// standard ones of its holder, then those its channel lists for that holder; none
    /// before the holder is described.
    pub fn required(content: &Content, channel: &Channel) -> Vec<DocumentSlot> {
        let (mut slots, holder) = match &content.subject {
            None => return Vec::new(),
            Some(Subject::Organisation(o)) => {
                let mut slots = vec![DocumentSlot::BusinessLicence];
                if matches!(o.registration, Registration::Licence { .. }) {
                    slots.push(DocumentSlot::OrganisationCodeCertificate);
                }
                slots.extend([
                    DocumentSlot::AgentIdFront,
                    DocumentSlot::AgentIdBack,
                    DocumentSlot::AuthorisationLetter,
                ]);
                (slots, Holder::Organization)
            }
            Some(Subject::Individual(_)) => (
                vec![DocumentSlot::HolderIdFront, DocumentSlot::HolderIdBack],
                Holder::Individual,
            ),
        };
        slots.extend(
            channel
                .documents
                .iter()
                .filter(|d| d.holder.is_none_or(|h| h == holder))
                .filter_map(|d| ExtraSlot::new(&d.code).map(DocumentSlot::Extra)),
        );
        slots
    }
}

// Stored and sent by name, so a channel's slot is a plain map key in JSON.
impl Serialize for DocumentSlot {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DocumentSlot {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DocumentSlot::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown document slot {text:?}")))
    }
}

/// An uploaded document, as the application records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRef {
    /// SHA-256 (hex) of the stored image (the normalised JPEG).
    pub sha256: String,
    pub at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn huanbao() -> Channel {
        let text = include_str!("../../../services/hall.toml");
        let value: toml::Value = toml::from_str(text).unwrap();
        value["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"].as_str() == Some("huanbao"))
            .unwrap()
            .clone()
            .try_into::<Channel>()
            .unwrap()
    }

    #[test]
    fn slots_round_trip_and_have_names() {
        let channel = huanbao();
        let ten_ring = DocumentSlot::parse("extra.ten_ring_certificate").unwrap();
        for slot in DocumentSlot::STANDARD.into_iter().chain([ten_ring]) {
            assert_eq!(DocumentSlot::parse(slot.as_str()), Some(slot));
            let json = serde_json::to_string(&slot).unwrap();
            assert_eq!(json, format!("\"{}\"", slot.as_str()));
            assert_eq!(serde_json::from_str::<DocumentSlot>(&json).unwrap(), slot);
            assert!(!slot.name_zh(&channel).is_empty() && !slot.name_en(&channel).is_empty());
        }
        assert_eq!(ten_ring.name_zh(&channel), "中国环境标志（十环）认证证书");
        assert_eq!(DocumentSlot::parse("selfie"), None);
        for bad in ["extra.", "extra.x", "extra.Ten", "extra.1ring", "extra.a-b"] {
            assert_eq!(DocumentSlot::parse(bad), None, "{bad}");
        }
        let longest = format!("extra.{}", "a".repeat(24));
        assert_eq!(DocumentSlot::parse(&longest).unwrap().as_str(), longest);
        assert_eq!(
            DocumentSlot::parse(&format!("extra.{}", "a".repeat(25))),
            None
        );
        // A slot the channel no longer lists is still named, by its code.
        let gone = DocumentSlot::parse("extra.old_paper").unwrap();
        assert_eq!(gone.name_en(&channel), "old_paper");
    }
}
