//! Real-name verification services (实名认证): one trait, [`IdentityVerifier`], for what
//! the verification vendors sell to Chinese CAs — a business-registry look-up of a company
//! and its legal representative, the three-factor check of a person's mobile (name, ID
//! number, number registered to them), the four-factor check of a bank card, a small
//! transfer to a corporate account with a remark (the penny-drop), and a face check with
//! liveness on the person's phone, whose result arrives later.
//!
//! Adapters: [`sandbox::SandboxIdentity`] (deterministic test identities, answers of every
//! kind, a face page and a bank statement for the tester) and [`http::HttpIdentity`]
//! (signed JSON over HTTP to a real service or a gateway in front of one).
//!
//! A definite answer ("no such company", "does not match") is an [`Answer`]; not getting
//! one (a timeout, the service down, an answer that fails its signature) is an
//! [`IdentityError`]: the customer may simply try again, and nothing was decided.

pub mod http;
pub mod sandbox;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// A company as the business registry knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    /// Exactly as on the business licence.
    pub name: String,
    /// The unified social credit code, or the 15-digit registration number.
    pub registration: String,
    /// The legal representative's name to compare with the registry, when there is one.
    pub legal_representative: Option<String>,
}

/// A person: name and resident ID number.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    pub id_number: String,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tail = self.id_number.get(self.id_number.len().saturating_sub(4)..);
        write!(f, "Person(…{})", tail.unwrap_or(""))
    }
}

/// The factors of a person check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "factors", rename_all = "snake_case")]
pub enum PersonCheck {
    /// 手机三要素: the number is registered to the person.
    Mobile { person: Person, mobile: String },
    /// 银行卡四要素: the card is the person's and the bank knows this number for it.
    BankCard {
        person: Person,
        card: String,
        mobile: String,
    },
}

/// A transfer of a few fen with a remark to a corporate account (对公打款).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub company: Company,
    pub bank: String,
    pub account: String,
    pub amount_fen: u32,
    /// What the company's statement shows with the credit (the code to type in).
    pub remark: String,
    /// The same key is the same transfer: a retry after a timeout pays once.
    pub idempotency_key: String,
}

/// What the service decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// Everything matches (or the transfer was made).
    Match,
    /// The factors do not belong together (name, ID number, number or card).
    Mismatch,
    /// The registry has no company of this name and registration number.
    NoSuchCompany,
    /// The company exists but is not operating (cancelled, revoked: 注销, 吊销).
    CompanyNotActive,
    /// The registry's legal representative is someone else.
    LegalRepresentativeMismatch,
    /// The bank refused the account (closed, not a corporate account, wrong bank).
    AccountRefused,
}

/// A face check as the service reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaceState {
    /// The person has not finished on the phone yet.
    Pending,
    Passed,
    /// The face did not match the ID photo, or liveness failed.
    Failed,
    /// The session's time ran out.
    Expired,
}

/// A face check started: the page the person opens on the phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceSession {
    /// The service's name of the session, to ask for its result.
    pub reference: String,
    /// The page to open: absolute for a real service; the sandbox gives a path on this
    /// site (`/sandbox/identity/face/…`).
    pub url: String,
    /// Seconds the session stays open.
    pub expires_in: i64,
}

/// No answer was had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("the identity service did not answer in time")]
    Timeout,
    #[error("the identity service is unavailable: {0}")]
    Unavailable(String),
    /// The answer could not be trusted or understood (bad signature, wrong shape).
    #[error("the identity service's answer was not valid: {0}")]
    Protocol(String),
}

/// A real-name verification service.
pub trait IdentityVerifier: Send + Sync {
    /// A short name for logs and the audit log.
    fn name(&self) -> &'static str;

    /// The business registry: the company exists, is operating, and (when given) has this
    /// legal representative.
    fn check_company<'a>(
        &'a self,
        company: &'a Company,
    ) -> BoxFuture<'a, Result<Answer, IdentityError>>;

    fn check_person<'a>(
        &'a self,
        check: &'a PersonCheck,
    ) -> BoxFuture<'a, Result<Answer, IdentityError>>;

    /// Pays the transfer (`Match`), or says why the bank would not (`AccountRefused`).
    fn send_transfer<'a>(
        &'a self,
        transfer: &'a Transfer,
    ) -> BoxFuture<'a, Result<Answer, IdentityError>>;

    /// Opens a face check of `person`.
    fn start_face<'a>(
        &'a self,
        person: &'a Person,
    ) -> BoxFuture<'a, Result<FaceSession, IdentityError>>;

    /// Where the face check `reference` stands.
    fn face_result<'a>(
        &'a self,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<FaceState, IdentityError>>;
}
