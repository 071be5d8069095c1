//! Production (制证): one job per attempt to put an application's certificate onto a blank
//! USB key, driven by the producer's workstation (`certhall-key produce`) step by step.
//!
//! ```text
//!            issue (the CSR signed on the key; the certificate issued)
//!  Started ──────────────▶ Issued ── finish (written, read back, the key signs for it) ──▶ Done
//!     │                       │
//!     └──── fail ─────────────┴──▶ Failed   (the step that failed is kept)
//! ```
//!
//! A failed job leaves nothing that can pass for a product: a certificate issued for it is
//! revoked (superseded), the key goes back to stock or to damaged, and the application can
//! be produced again by a new job.

use crate::transition::{Refused, Status, Transition, UnknownState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// The key is taken and being initialised; its PINs are set.
    Started,
    /// The certificate is issued for the key's CSR; it is being written to the key.
    Issued,
    /// Written, read back and proven: the key is a product.
    Done,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobEvent {
    Issue,
    Finish,
    Fail,
}

impl JobEvent {
    pub const ALL: [JobEvent; 3] = [JobEvent::Issue, JobEvent::Finish, JobEvent::Fail];

    pub fn as_str(self) -> &'static str {
        match self {
            JobEvent::Issue => "issue",
            JobEvent::Finish => "finish",
            JobEvent::Fail => "fail",
        }
    }
}

impl Status for JobStatus {
    const ALL: &'static [Self] = &[
        JobStatus::Started,
        JobStatus::Issued,
        JobStatus::Done,
        JobStatus::Failed,
    ];

    fn as_str(self) -> &'static str {
        match self {
            JobStatus::Started => "started",
            JobStatus::Issued => "issued",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }
}

impl TryFrom<String> for JobStatus {
    type Error = UnknownState;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        JobStatus::parse(&text).ok_or(UnknownState(text))
    }
}

impl JobStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            JobStatus::Started => "写入中",
            JobStatus::Issued => "证书已签发，写入中",
            JobStatus::Done => "制证完成",
            JobStatus::Failed => "制证失败",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            JobStatus::Started => "Initialising the key",
            JobStatus::Issued => "Certificate issued, writing",
            JobStatus::Done => "Produced",
            JobStatus::Failed => "Failed",
        }
    }

    /// The one table.
    pub fn apply(self, event: JobEvent) -> Result<Transition<JobStatus>, Refused> {
        let to = match (self, event) {
            (JobStatus::Started, JobEvent::Issue) => JobStatus::Issued,
            (JobStatus::Issued, JobEvent::Finish) => JobStatus::Done,
            (JobStatus::Started | JobStatus::Issued, JobEvent::Fail) => JobStatus::Failed,
            (from, event) => {
                return Err(Refused {
                    machine: "production",
                    from: from.as_str(),
                    event: event.as_str(),
                });
            }
        };
        Ok(Transition::new(self, to))
    }
}

/// The steps of producing a key, as the workstation reports a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Reading the inserted key's serial and model.
    ReadKey,
    /// C_InitToken with the security officer's PIN.
    InitToken,
    /// C_InitPIN: the user PIN.
    SetPin,
    /// The key pair, generated on the key.
    GenerateKey,
    /// The certificate request, signed on the key.
    SignRequest,
    /// The server's issuance.
    Issue,
    /// Writing the certificate to the key.
    WriteCertificate,
    /// Reading it back and proving that the key signs for it.
    Verify,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::ReadKey,
        Step::InitToken,
        Step::SetPin,
        Step::GenerateKey,
        Step::SignRequest,
        Step::Issue,
        Step::WriteCertificate,
        Step::Verify,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::ReadKey => "read_key",
            Step::InitToken => "init_token",
            Step::SetPin => "set_pin",
            Step::GenerateKey => "generate_key",
            Step::SignRequest => "sign_request",
            Step::Issue => "issue",
            Step::WriteCertificate => "write_certificate",
            Step::Verify => "verify",
        }
    }

    pub fn parse(text: &str) -> Option<Step> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Step::ReadKey => "读取介质",
            Step::InitToken => "初始化介质",
            Step::SetPin => "设置用户口令",
            Step::GenerateKey => "生成密钥对",
            Step::SignRequest => "生成证书请求",
            Step::Issue => "签发证书",
            Step::WriteCertificate => "写入证书",
            Step::Verify => "校验",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Step::ReadKey => "Reading the key",
            Step::InitToken => "Initialising the key",
            Step::SetPin => "Setting the user PIN",
            Step::GenerateKey => "Generating the key pair",
            Step::SignRequest => "Signing the request",
            Step::Issue => "Issuing the certificate",
            Step::WriteCertificate => "Writing the certificate",
            Step::Verify => "Verifying",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_event_is_decided() {
        use JobEvent as E;
        use JobStatus as S;
        let expected = [
            (S::Started, E::Issue, S::Issued),
            (S::Started, E::Fail, S::Failed),
            (S::Issued, E::Finish, S::Done),
            (S::Issued, E::Fail, S::Failed),
        ];
        crate::transition::assert_table(
            JobStatus::ALL,
            &JobEvent::ALL,
            &expected,
            JobStatus::apply,
        );
        for &status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        for step in Step::ALL {
            assert_eq!(Step::parse(step.as_str()), Some(step));
            assert!(!step.name_zh().is_empty() && !step.name_en().is_empty());
        }
        // A finished job never fails afterwards, and a failed one never finishes.
        assert!(S::Done.apply(E::Fail).is_err());
        assert!(S::Failed.apply(E::Finish).is_err());
    }
}
