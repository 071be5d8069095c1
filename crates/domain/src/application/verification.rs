//! Real-name verification (实名认证) of an application, seed 004 §2–3: first the
//! organisation, by a penny-drop to its corporate account (对公打款) or through its legal
//! representative (mobile three factors, bank card four factors, face), then the agent
//! (mobile real-name, bank card, face). Which methods a channel offers is its
//! configuration; uploading the documents for a reviewer's manual check is always there.
//!
//! What is recorded on the application is the [`Outcome`] of each party, with what later
//! steps need: production sends the PIN to the legal representative's phone, or in the
//! remark of a payment to the verified corporate account ([`Content::pin_route`]).
//!
//! One check (a row of `identity_checks`) has its own small state machine, [`CheckStatus`]:
//!
//! ```text
//!            passed                      refused / too many wrong codes
//!  Pending ─────────▶ Passed    Pending ──────────────────────────────▶ Failed
//!     │  wrong code (tries left): stays Pending
//!     └── expire ──▶ Expired
//! ```

use serde::{Deserialize, Serialize};

use super::content::{Content, Subject};
use crate::bank_card::{BankCard, BankCardError};
use crate::channel::{Channel, Holder, PinDelivery};
use crate::field_error::FieldError;
use crate::phone::PhoneNumber;
use crate::resident_id::{ResidentId, ResidentIdError};
use crate::text;
use crate::time::ChinaDate;
use crate::transition::{Refused, Status, Transition, UnknownState};

/// Who is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// 企业认证: the organisation the certificate is for.
    Organisation,
    /// 经办人认证.
    Agent,
}

impl Party {
    pub const ALL: [Party; 2] = [Party::Organisation, Party::Agent];

    pub fn as_str(self) -> &'static str {
        match self {
            Party::Organisation => "organisation",
            Party::Agent => "agent",
        }
    }

    pub fn parse(text: &str) -> Option<Party> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Party::Organisation => "企业认证",
            Party::Agent => "经办人认证",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Party::Organisation => "Organisation",
            Party::Agent => "Agent",
        }
    }
}

/// A way of verifying a party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// 企业对公打款认证.
    PennyDrop,
    /// 法定代表人手机号认证 (name, ID number, mobile).
    LegalRepMobile,
    /// 法定代表人银行卡信息认证 (name, ID number, card, mobile).
    LegalRepBankCard,
    /// 法定代表人刷脸认证.
    LegalRepFace,
    /// 经办人手机实名认证.
    AgentMobile,
    /// 经办人银行卡信息认证.
    AgentBankCard,
    /// 经办人实人人脸认证.
    AgentFace,
}

impl Method {
    pub const ALL: [Method; 7] = [
        Method::PennyDrop,
        Method::LegalRepMobile,
        Method::LegalRepBankCard,
        Method::LegalRepFace,
        Method::AgentMobile,
        Method::AgentBankCard,
        Method::AgentFace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::PennyDrop => "penny_drop",
            Method::LegalRepMobile => "legal_rep_mobile",
            Method::LegalRepBankCard => "legal_rep_bank_card",
            Method::LegalRepFace => "legal_rep_face",
            Method::AgentMobile => "agent_mobile",
            Method::AgentBankCard => "agent_bank_card",
            Method::AgentFace => "agent_face",
        }
    }

    pub fn parse(text: &str) -> Option<Method> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    pub fn party(self) -> Party {
        match self {
            Method::PennyDrop
            | Method::LegalRepMobile
            | Method::LegalRepBankCard
            | Method::LegalRepFace => Party::Organisation,
            Method::AgentMobile | Method::AgentBankCard | Method::AgentFace => Party::Agent,
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Method::PennyDrop => "企业对公打款认证",
            Method::LegalRepMobile => "法定代表人手机号认证",
            Method::LegalRepBankCard => "法定代表人银行卡信息认证",
            Method::LegalRepFace => "法定代表人刷脸认证",
            Method::AgentMobile => "经办人手机实名认证",
            Method::AgentBankCard => "经办人银行卡信息认证",
            Method::AgentFace => "经办人实人人脸认证",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Method::PennyDrop => "Transfer to the corporate account",
            Method::LegalRepMobile => "Legal representative's mobile",
            Method::LegalRepBankCard => "Legal representative's bank card",
            Method::LegalRepFace => "Legal representative's face",
            Method::AgentMobile => "Agent's mobile real-name",
            Method::AgentBankCard => "Agent's bank card",
            Method::AgentFace => "Agent's face",
        }
    }
}

/// The parties an application of `holder` verifies in `channel`, each with the methods
/// offered (an individual has no organisation to verify). Empty: the channel relies on
/// the documents and the reviewer alone, and the wizard has no verification step.
pub fn parties(channel: &Channel, holder: Holder) -> Vec<(Party, Vec<Method>)> {
    let methods = &channel.verification.methods;
    Party::ALL
        .into_iter()
        .filter(|p| holder == Holder::Organization || *p == Party::Agent)
        .map(|p| {
            let offered: Vec<Method> = methods.iter().copied().filter(|m| m.party() == p).collect();
            (p, offered)
        })
        .filter(|(_, offered)| !offered.is_empty())
        .collect()
}

/// The legal representative (法定代表人) as verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalRepresentative {
    pub name: String,
    pub id_number: String,
    /// Where the PIN goes (seed 004 §7).
    pub mobile: PhoneNumber,
}

/// The legal representative as typed, with the card for the four-factor check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LegalRepresentativeForm {
    pub name: String,
    pub id_number: String,
    pub mobile: String,
    pub bank_card: String,
}

impl LegalRepresentative {
    pub fn parse(
        form: &LegalRepresentativeForm,
        today: ChinaDate,
    ) -> Result<LegalRepresentative, FieldError> {
        Ok(LegalRepresentative {
            name: text::required("legal_rep.name", &form.name, 32, "法定代表人姓名")?,
            id_number: ResidentId::parse_on(&form.id_number, today)
                .map(|id| id.as_str().to_string())
                .map_err(|e: ResidentIdError| {
                    FieldError::new(
                        "legal_rep.id_number",
                        "invalid_id_number",
                        e.to_string(),
                        e.message_zh(),
                    )
                })?,
            mobile: form.mobile.parse().map_err(|e: crate::PhoneNumberError| {
                FieldError::new(
                    "legal_rep.mobile",
                    "invalid_phone",
                    e.to_string(),
                    e.message_zh(),
                )
            })?,
        })
    }

    pub fn to_form(&self) -> LegalRepresentativeForm {
        LegalRepresentativeForm {
            name: self.name.clone(),
            id_number: self.id_number.clone(),
            mobile: self.mobile.as_str().to_string(),
            bank_card: String::new(),
        }
    }
}

/// A bank card number typed at `field`, Luhn-checked.
pub fn bank_card(field: &str, value: &str) -> Result<BankCard, FieldError> {
    value.parse().map_err(|e: BankCardError| {
        FieldError::new(field, "invalid_bank_card", e.to_string(), e.message_zh())
    })
}

/// The organisation's corporate account (对公账户) a penny-drop goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorporateAccount {
    /// 开户银行 (with the branch).
    pub bank: String,
    /// Digits only.
    pub account: String,
}

impl CorporateAccount {
    pub fn parse(bank: &str, account: &str) -> Result<CorporateAccount, FieldError> {
        let bank = text::required("account.bank", bank, 64, "开户银行")?;
        let digits: String = account
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        if !(8..=32).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(
                "account.number",
                "invalid_field",
                "a corporate account of 8 to 32 digits",
                "对公账号应为8至32位数字",
            ));
        }
        Ok(CorporateAccount {
            bank,
            account: digits,
        })
    }

    /// The account shown back: its last four digits.
    pub fn masked(&self) -> String {
        format!(
            "{} ****{}",
            self.bank,
            &self.account[self.account.len() - 4..]
        )
    }
}

/// How a party's verification ended, as the application records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The code of the penny-drop was typed in.
    PennyDrop {
        account: CorporateAccount,
        check: i64,
        at: i64,
    },
    /// The legal representative's factors (or face) matched.
    LegalRepresentative {
        method: Method,
        person: LegalRepresentative,
        check: i64,
        at: i64,
    },
    /// The agent's factors (or face) matched the agent's data of the application.
    Agent { method: Method, check: i64, at: i64 },
    /// 上传资料人工审核: the reviewer checks the documents.
    Documents { at: i64 },
}

impl Outcome {
    /// The method verified with; `None` for the manual check.
    pub fn method(&self) -> Option<Method> {
        match self {
            Outcome::PennyDrop { .. } => Some(Method::PennyDrop),
            Outcome::LegalRepresentative { method, .. } | Outcome::Agent { method, .. } => {
                Some(*method)
            }
            Outcome::Documents { .. } => None,
        }
    }

    pub fn at(&self) -> i64 {
        match self {
            Outcome::PennyDrop { at, .. }
            | Outcome::LegalRepresentative { at, .. }
            | Outcome::Agent { at, .. }
            | Outcome::Documents { at } => *at,
        }
    }

    pub fn name_zh(&self) -> &'static str {
        self.method()
            .map(Method::name_zh)
            .unwrap_or("上传资料人工审核")
    }

    pub fn name_en(&self) -> &'static str {
        self.method()
            .map(Method::name_en)
            .unwrap_or("Documents checked by a reviewer")
    }
}

/// Both parties' outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Verification {
    pub organisation: Option<Outcome>,
    pub agent: Option<Outcome>,
}

impl Verification {
    pub fn of(&self, party: Party) -> Option<&Outcome> {
        match party {
            Party::Organisation => self.organisation.as_ref(),
            Party::Agent => self.agent.as_ref(),
        }
    }

    pub fn set(&mut self, party: Party, outcome: Option<Outcome>) {
        match party {
            Party::Organisation => self.organisation = outcome,
            Party::Agent => self.agent = outcome,
        }
    }
}

/// Where production sends the key's user PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PinRoute {
    /// A sealed envelope travels with the key.
    EnvelopeWithKey,
    /// A published initial PIN, to be changed on receipt.
    InitialPinToChange,
    /// By SMS to this number (the agent's, or the verified legal representative's).
    Sms { mobile: PhoneNumber },
    /// In the remark of a small payment to the verified corporate account (seed 004 §7).
    PaymentRemark { account: CorporateAccount },
}

impl Content {
    /// Where the PIN goes, by the channel's policy and what was verified: for
    /// [`PinDelivery::LegalRepresentative`], the remark of a payment to the account a
    /// penny-drop verified, or the verified legal representative's phone; without either
    /// (documents checked by hand) the agent's phone, the only verified number there is.
    pub fn pin_route(&self, policy: PinDelivery) -> Option<PinRoute> {
        let agent = || {
            self.agent.as_ref().map(|a| PinRoute::Sms {
                mobile: a.mobile.clone(),
            })
        };
        match policy {
            PinDelivery::EnvelopeWithKey => Some(PinRoute::EnvelopeWithKey),
            PinDelivery::InitialPinToChange => Some(PinRoute::InitialPinToChange),
            PinDelivery::SmsToAgent => agent(),
            PinDelivery::LegalRepresentative => match &self.verification.organisation {
                Some(Outcome::PennyDrop { account, .. }) => Some(PinRoute::PaymentRemark {
                    account: account.clone(),
                }),
                Some(Outcome::LegalRepresentative { person, .. }) => Some(PinRoute::Sms {
                    mobile: person.mobile.clone(),
                }),
                _ => agent(),
            },
        }
    }

    /// Whether every party the channel verifies has an outcome.
    pub fn verified(&self, channel: &Channel) -> bool {
        parties(channel, self.holder)
            .iter()
            .all(|(party, _)| self.verification.of(*party).is_some())
    }

    /// Forgets the outcomes that no longer hold after the subject or the agent changed:
    /// a verification is of the data it checked.
    pub fn keep_verification_of(&mut self, before: &Content) {
        if self.subject != before.subject {
            self.verification.organisation = None;
        }
        if self.agent != before.agent {
            self.verification.agent = None;
        }
        if matches!(self.subject, Some(Subject::Individual(_))) {
            self.verification.organisation = None;
        }
    }
}

/// Where one check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckStatus {
    /// Waiting for the code of a penny-drop or the result of a face check.
    Pending,
    Passed,
    /// Refused by the service, or too many wrong codes.
    Failed,
    /// Not finished in time.
    Expired,
}

impl Status for CheckStatus {
    const ALL: &'static [Self] = &[
        CheckStatus::Pending,
        CheckStatus::Passed,
        CheckStatus::Failed,
        CheckStatus::Expired,
    ];

    fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pending => "pending",
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
            CheckStatus::Expired => "expired",
        }
    }
}

impl TryFrom<String> for CheckStatus {
    type Error = UnknownState;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        CheckStatus::parse(&text).ok_or(UnknownState(text))
    }
}

/// What happens to a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckEvent {
    /// The service (or the code typed in) confirmed the identity.
    Pass,
    /// The service said no, or the last try was wrong.
    Fail,
    /// Its time ran out.
    Expire,
}

impl CheckEvent {
    pub const ALL: [CheckEvent; 3] = [CheckEvent::Pass, CheckEvent::Fail, CheckEvent::Expire];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckEvent::Pass => "pass",
            CheckEvent::Fail => "fail",
            CheckEvent::Expire => "expire",
        }
    }
}

impl CheckStatus {
    /// The one table of allowed changes: only a pending check moves, and only once.
    pub fn apply(self, event: CheckEvent) -> Result<Transition<CheckStatus>, Refused> {
        use CheckEvent::*;
        use CheckStatus::*;
        let to = match (self, event) {
            (Pending, Pass) => Passed,
            (Pending, Fail) => Failed,
            (Pending, Expire) => Expired,
            (from, event) => {
                return Err(Refused {
                    machine: "identity check",
                    from: from.as_str(),
                    event: event.as_str(),
                });
            }
        };
        Ok(Transition::new(self, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_event() {
        for from in CheckStatus::ALL {
            for event in CheckEvent::ALL {
                let result = from.apply(event);
                let expected = match (from, event) {
                    (CheckStatus::Pending, CheckEvent::Pass) => Some(CheckStatus::Passed),
                    (CheckStatus::Pending, CheckEvent::Fail) => Some(CheckStatus::Failed),
                    (CheckStatus::Pending, CheckEvent::Expire) => Some(CheckStatus::Expired),
                    _ => None,
                };
                assert_eq!(result.ok().map(|t| t.to()), expected, "{from:?} {event:?}");
            }
            assert_eq!(CheckStatus::parse(from.as_str()), Some(*from));
        }
    }

    #[test]
    fn methods_round_trip_and_belong_to_a_party() {
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()), Some(m));
            assert!(!m.name_zh().is_empty() && !m.name_en().is_empty());
        }
        assert_eq!(Method::PennyDrop.party(), Party::Organisation);
        assert_eq!(Method::AgentFace.party(), Party::Agent);
        for p in Party::ALL {
            assert_eq!(Party::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn legal_representative_and_account_faults_name_their_fields() {
        let today = ChinaDate::from_ymd(2026, 12, 1).unwrap();
        let mut form = LegalRepresentativeForm {
            name: "王法人".into(),
            id_number: "11010519491231002X".into(),
            mobile: "13800138000".into(),
            bank_card: String::new(),
        };
        assert!(LegalRepresentative::parse(&form, today).is_ok());
        form.mobile = "1380013800".into();
        let e = LegalRepresentative::parse(&form, today).unwrap_err();
        assert_eq!(e.field, "legal_rep.mobile");
        form.id_number = "110105194912310021".into();
        let e = LegalRepresentative::parse(&form, today).unwrap_err();
        assert_eq!(e.field, "legal_rep.id_number");
        let e = bank_card("legal_rep.bank_card", "6222020200112233445").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.code),
            ("legal_rep.bank_card", "invalid_bank_card")
        );
        assert!(e.zh.contains("校验位"));
        assert_eq!(
            CorporateAccount::parse("", "1234567890").unwrap_err().field,
            "account.bank"
        );
        assert_eq!(
            CorporateAccount::parse("工商银行北京分行", "12ab")
                .unwrap_err()
                .field,
            "account.number"
        );
        let account =
            CorporateAccount::parse("工商银行北京分行", "0200 0045 0901 4412 345").unwrap();
        assert_eq!(account.account, "0200004509014412345");
        assert_eq!(account.masked(), "工商银行北京分行 ****2345");
    }
}
