//! The documents an application carries (资料上传): which slots there are, which ones an
//! application needs (the business licence; the organisation code certificate when the
//! organisation has not converted; the agent's ID card, both sides; the stamped
//! authorisation letter; a person's own ID card), and what the application records of an
//! uploaded one (its SHA-256, so the SMS-signed submission covers the documents too).

use serde::{Deserialize, Serialize};

use super::content::{Content, Registration, Subject};

/// A place for one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
}

impl DocumentSlot {
    pub const ALL: [DocumentSlot; 7] = [
        DocumentSlot::BusinessLicence,
        DocumentSlot::OrganisationCodeCertificate,
        DocumentSlot::AgentIdFront,
        DocumentSlot::AgentIdBack,
        DocumentSlot::AuthorisationLetter,
        DocumentSlot::HolderIdFront,
        DocumentSlot::HolderIdBack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentSlot::BusinessLicence => "business_licence",
            DocumentSlot::OrganisationCodeCertificate => "organisation_code_certificate",
            DocumentSlot::AgentIdFront => "agent_id_front",
            DocumentSlot::AgentIdBack => "agent_id_back",
            DocumentSlot::AuthorisationLetter => "authorisation_letter",
            DocumentSlot::HolderIdFront => "holder_id_front",
            DocumentSlot::HolderIdBack => "holder_id_back",
        }
    }

    pub fn parse(text: &str) -> Option<DocumentSlot> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            DocumentSlot::BusinessLicence => "营业执照",
            DocumentSlot::OrganisationCodeCertificate => "组织机构代码证",
            DocumentSlot::AgentIdFront => "经办人身份证（人像面）",
            DocumentSlot::AgentIdBack => "经办人身份证（国徽面）",
            DocumentSlot::AuthorisationLetter => "加盖公章的实名认证申请授权书",
            DocumentSlot::HolderIdFront => "身份证（人像面）",
            DocumentSlot::HolderIdBack => "身份证（国徽面）",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            DocumentSlot::BusinessLicence => "Business licence",
            DocumentSlot::OrganisationCodeCertificate => "Organisation code certificate",
            DocumentSlot::AgentIdFront => "Agent's ID card (photo side)",
            DocumentSlot::AgentIdBack => "Agent's ID card (emblem side)",
            DocumentSlot::AuthorisationLetter => "Stamped authorisation letter",
            DocumentSlot::HolderIdFront => "ID card (photo side)",
            DocumentSlot::HolderIdBack => "ID card (emblem side)",
        }
    }

    /// The documents an application needs, in the order the page asks for them; none
    /// before the holder is described.
    pub fn required(content: &Content) -> Vec<DocumentSlot> {
        match &content.subject {
            None => Vec::new(),
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
                slots
            }
            Some(Subject::Individual(_)) => {
                vec![DocumentSlot::HolderIdFront, DocumentSlot::HolderIdBack]
            }
        }
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

    #[test]
    fn slots_round_trip_and_have_names() {
        for slot in DocumentSlot::ALL {
            assert_eq!(DocumentSlot::parse(slot.as_str()), Some(slot));
            assert!(!slot.name_zh().is_empty() && !slot.name_en().is_empty());
        }
        assert_eq!(DocumentSlot::parse("selfie"), None);
    }
}
