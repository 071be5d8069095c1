//! The revocation state machine of an issued certificate.
//!
//! ```text
//!   Valid ──hold──▶ OnHold ──release──▶ Valid
//!     │               │
//!     └──revoke──▶ Revoked ◀──revoke──┘
//! ```
//! `Revoked` is final. Expiry is not a state: it follows from the clock.

use std::fmt;

/// Where a certificate stands with respect to revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertificateStatus {
    Valid,
    /// Suspended with reason certificateHold; may be released.
    OnHold,
    Revoked,
}

/// What an operator or a business flow asks to happen to a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationEvent {
    /// Revoke for good (any reason but certificateHold).
    Revoke,
    /// Suspend (reason certificateHold).
    Hold,
    /// Lift a hold (reason removeFromCRL).
    Release,
}

/// A transition the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a certificate that is {from} cannot be {event}")]
pub struct TransitionError {
    pub from: CertificateStatus,
    pub event: RevocationEvent,
}

impl TransitionError {
    pub fn message_zh(&self) -> String {
        let from = match self.from {
            CertificateStatus::Valid => "有效",
            CertificateStatus::OnHold => "已冻结",
            CertificateStatus::Revoked => "已注销",
        };
        let event = match self.event {
            RevocationEvent::Revoke => "注销",
            RevocationEvent::Hold => "冻结",
            RevocationEvent::Release => "解冻",
        };
        format!("证书当前状态为“{from}”，不能{event}")
    }
}

impl CertificateStatus {
    pub const ALL: [CertificateStatus; 3] = [
        CertificateStatus::Valid,
        CertificateStatus::OnHold,
        CertificateStatus::Revoked,
    ];

    /// The one table of allowed transitions.
    pub fn apply(self, event: RevocationEvent) -> Result<CertificateStatus, TransitionError> {
        use CertificateStatus::*;
        use RevocationEvent::*;
        match (self, event) {
            (Valid | OnHold, Revoke) => Ok(Revoked),
            (Valid, Hold) => Ok(OnHold),
            (OnHold, Release) => Ok(Valid),
            (from, event) => Err(TransitionError { from, event }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "valid",
            CertificateStatus::OnHold => "on_hold",
            CertificateStatus::Revoked => "revoked",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "有效",
            CertificateStatus::OnHold => "已冻结",
            CertificateStatus::Revoked => "已注销",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "Valid",
            CertificateStatus::OnHold => "On hold",
            CertificateStatus::Revoked => "Revoked",
        }
    }
}

impl fmt::Display for CertificateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertificateStatus::Valid => "valid",
            CertificateStatus::OnHold => "on hold",
            CertificateStatus::Revoked => "revoked",
        })
    }
}

impl fmt::Display for RevocationEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RevocationEvent::Revoke => "revoked",
            RevocationEvent::Hold => "put on hold",
            RevocationEvent::Release => "released from hold",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CertificateStatus::*;
    use RevocationEvent::*;

    #[test]
    fn every_state_and_event_pair_is_decided() {
        let expected = [
            (Valid, Revoke, Some(Revoked)),
            (Valid, Hold, Some(OnHold)),
            (Valid, Release, None),
            (OnHold, Revoke, Some(Revoked)),
            (OnHold, Hold, None),
            (OnHold, Release, Some(Valid)),
            (Revoked, Revoke, None),
            (Revoked, Hold, None),
            (Revoked, Release, None),
        ];
        assert_eq!(expected.len(), CertificateStatus::ALL.len() * 3);
        for (from, event, to) in expected {
            assert_eq!(from.apply(event).ok(), to, "{from:?} + {event:?}");
        }
    }

    #[test]
    fn refusals_explain_themselves_in_both_languages() {
        let err = Revoked.apply(Revoke).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a certificate that is revoked cannot be revoked"
        );
        assert!(err.message_zh().contains("已注销"));
    }
}
