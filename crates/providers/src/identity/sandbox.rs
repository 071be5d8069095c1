//! A verification service for demos and tests that behaves like the real ones: the same
//! calls, answers of every kind decided by the data (so a tester can produce each one), a
//! face check finished by a person on a page (`/sandbox/identity/face/{reference}`, which
//! the web layer serves while the sandbox is configured), face sessions that expire on the
//! application's clock, and a bank statement page showing the penny-drops it paid.
//!
//! The test identities (documented in `docs/IDENTITY.md`):
//!
//! | data | answer |
//! |---|---|
//! | company name containing 查无 | no such company |
//! | company name containing 注销 or 吊销 | company not operating |
//! | legal representative's name containing 不符 | legal representative mismatch |
//! | company name containing 超时 / 维护 | timeout / service unavailable |
//! | mobile ending 0000 | factors do not match |
//! | mobile ending 0001 / 0002 | timeout / service unavailable |
//! | mobile ending 0003, four-factor check | the card is not the person's |
//! | account ending 0000 | the bank refuses the account |
//! | account ending 0002 | service unavailable |
//! | person's name containing 维护, face check | service unavailable |
//! | anything else | match |

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use domain::time::Clock;
use futures_util::future::BoxFuture;

use super::{
    Answer, Company, FaceSession, FaceState, IdentityError, IdentityVerifier, Person, PersonCheck,
    Transfer,
};

/// How long a face session stays open.
pub const FACE_SESSION_SECONDS: i64 = 600;

/// A face session as the sandbox's page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaceView {
    /// 张* : the page never shows the whole name or the ID number.
    pub masked_name: String,
    pub state: FaceState,
}

/// One credit on the sandbox bank's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub at: i64,
    pub company: String,
    pub bank: String,
    pub account: String,
    pub amount_fen: u32,
    pub remark: String,
}

struct FaceRecord {
    person: Person,
    state: FaceState,
    expires_at: i64,
}

#[derive(Default)]
struct State {
    faces: HashMap<String, FaceRecord>,
    statement: Vec<StatementLine>,
    paid_keys: Vec<String>,
}

pub struct SandboxIdentity {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

fn ends(number: &str, tail: &str) -> bool {
    number.ends_with(tail)
}

fn company_answer(company: &Company) -> Result<Answer, IdentityError> {
    let name = &company.name;
    if name.contains("超时") {
        return Err(IdentityError::Timeout);
    }
    if name.contains("维护") {
        return Err(IdentityError::Unavailable(
            "registry under maintenance".into(),
        ));
    }
    Ok(if name.contains("查无") {
        Answer::NoSuchCompany
    } else if name.contains("注销") || name.contains("吊销") {
        Answer::CompanyNotActive
    } else if company
        .legal_representative
        .as_deref()
        .is_some_and(|n| n.contains("不符"))
    {
        Answer::LegalRepresentativeMismatch
    } else {
        Answer::Match
    })
}

fn masked(name: &str) -> String {
    let mut chars = name.chars();
    let first: String = chars.next().map(String::from).unwrap_or_default();
    format!("{first}{}", "*".repeat(chars.count().max(1)))
}

impl SandboxIdentity {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        SandboxIdentity {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn now(&self) -> i64 {
        self.clock.now().seconds()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn face_state(record: &FaceRecord, now: i64) -> FaceState {
        if record.state == FaceState::Pending && now >= record.expires_at {
            FaceState::Expired
        } else {
            record.state
        }
    }

    /// The face session `reference`, for its page.
    pub fn face(&self, reference: &str) -> Option<FaceView> {
        let now = self.now();
        let state = self.lock();
        state.faces.get(reference).map(|r| FaceView {
            masked_name: masked(&r.person.name),
            state: Self::face_state(r, now),
        })
    }

    /// The person on the page finished: liveness and comparison passed or not. A session
    /// that is over (finished or expired) stays as it was.
    pub fn complete_face(&self, reference: &str, passed: bool) -> Option<FaceState> {
        let now = self.now();
        let mut state = self.lock();
        let record = state.faces.get_mut(reference)?;
        let current = Self::face_state(record, now);
        if current == FaceState::Pending {
            record.state = if passed {
                FaceState::Passed
            } else {
                FaceState::Failed
            };
        } else {
            record.state = current;
        }
        Some(record.state)
    }

    /// The penny-drops paid, newest first (the tester's bank statement).
    pub fn statement(&self) -> Vec<StatementLine> {
        let mut lines = self.lock().statement.clone();
        lines.reverse();
        lines
    }
}

impl IdentityVerifier for SandboxIdentity {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn check_company<'a>(
        &'a self,
        company: &'a Company,
    ) -> BoxFuture<'a, Result<Answer, IdentityError>> {
        Box::pin(async move { company_answer(company) })
    }

    fn check_person<'a>(
        &'a self,
        check: &'a PersonCheck,
    ) -> BoxFuture<'a, Result<Answer, IdentityError>> {
        Box::pin(async move {
            let (mobile, card) = match check {
                PersonCheck::Mobile { mobile, .. } => (mobile, false),
                PersonCheck::BankCard { mobile, .. } => (mobile, true),
            };
            if ends(mobile, "0001") {
                return Err(IdentityError::Timeout);
            }
            if ends(mobile, "0002") {
                return Err(IdentityError::Unavailable("operator gateway down".into()));
            }
            Ok(if ends(mobile, "0000") || (card && ends(mobile, "0003")) {
                Answer::Mismatch
            } else {
                Answer::Match
            })
        })
    }

    fn send_transfer<'a>(
        &'a self,
        transfer: &'a Transfer,
    ) -> BoxFuture<'a, Result<Answer, IdentityError>> {
        Box::pin(async move {
            let company = company_answer(&transfer.company)?;
            if company != Answer::Match {
                return Ok(company);
            }
            if ends(&transfer.account, "0002") {
                return Err(IdentityError::Unavailable("bank link down".into()));
            }
            if ends(&transfer.account, "0000") {
                return Ok(Answer::AccountRefused);
            }
            let now = self.now();
            let mut state = self.lock();
            if !state.paid_keys.contains(&transfer.idempotency_key) {
                state.paid_keys.push(transfer.idempotency_key.clone());
                state.statement.push(StatementLine {
                    at: now,
                    company: transfer.company.name.clone(),
                    bank: transfer.bank.clone(),
                    account: transfer.account.clone(),
                    amount_fen: transfer.amount_fen,
                    remark: transfer.remark.clone(),
                });
            }
            Ok(Answer::Match)
        })
    }

    fn start_face<'a>(
        &'a self,
        person: &'a Person,
    ) -> BoxFuture<'a, Result<FaceSession, IdentityError>> {
        Box::pin(async move {
            if person.name.contains("维护") {
                return Err(IdentityError::Unavailable("face service down".into()));
            }
            let mut bytes = [0u8; 16];
            SystemRandom::new()
                .fill(&mut bytes)
                .map_err(|_| IdentityError::Unavailable("no randomness".into()))?;
            let reference = hex::encode(bytes);
            let expires_at = self.now() + FACE_SESSION_SECONDS;
            self.lock().faces.insert(
                reference.clone(),
                FaceRecord {
                    person: person.clone(),
                    state: FaceState::Pending,
                    expires_at,
                },
            );
            Ok(FaceSession {
                url: format!("/sandbox/identity/face/{reference}"),
                reference,
                expires_in: FACE_SESSION_SECONDS,
            })
        })
    }

    fn face_result<'a>(
        &'a self,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<FaceState, IdentityError>> {
        Box::pin(async move {
            let now = self.now();
            let state = self.lock();
            match state.faces.get(reference) {
                Some(record) => Ok(Self::face_state(record, now)),
                None => Err(IdentityError::Protocol(format!(
                    "no face session {reference}"
                ))),
            }
        })
    }
}
