//! Why a reviewer returns an application: a fixed list (so that reports can count them and
//! the customer reads a clear sentence), plus the reviewer's own words.

/// A reason from the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// The organisation's or person's data do not match the documents.
    DataMismatch,
    /// A document is missing, unreadable or cut off.
    DocumentUnclear,
    /// The authorisation letter is not stamped, or stamped with another seal.
    LetterNotStamped,
    /// The letter's data are not the application's (printed before a change).
    LetterOutdated,
    /// The real-name verification did not pass.
    VerificationFailed,
    /// Anything else; the reviewer's words say what.
    Other,
}

impl RejectReason {
    pub const ALL: [RejectReason; 6] = [
        RejectReason::DataMismatch,
        RejectReason::DocumentUnclear,
        RejectReason::LetterNotStamped,
        RejectReason::LetterOutdated,
        RejectReason::VerificationFailed,
        RejectReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::DataMismatch => "data_mismatch",
            RejectReason::DocumentUnclear => "document_unclear",
            RejectReason::LetterNotStamped => "letter_not_stamped",
            RejectReason::LetterOutdated => "letter_outdated",
            RejectReason::VerificationFailed => "verification_failed",
            RejectReason::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<RejectReason> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            RejectReason::DataMismatch => "填写的信息与证件不一致",
            RejectReason::DocumentUnclear => "资料缺失或不清晰",
            RejectReason::LetterNotStamped => "授权书未加盖公章或公章不符",
            RejectReason::LetterOutdated => "授权书信息与申请不一致，请重新下载打印",
            RejectReason::VerificationFailed => "实名认证未通过",
            RejectReason::Other => "其他原因",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            RejectReason::DataMismatch => "The data entered do not match the documents",
            RejectReason::DocumentUnclear => "A document is missing or unreadable",
            RejectReason::LetterNotStamped => "The authorisation letter is not (properly) stamped",
            RejectReason::LetterOutdated => {
                "The authorisation letter does not match the application; print it again"
            }
            RejectReason::VerificationFailed => "The real-name verification did not pass",
            RejectReason::Other => "Other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip() {
        for reason in RejectReason::ALL {
            assert_eq!(RejectReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(RejectReason::parse("bored"), None);
    }
}
