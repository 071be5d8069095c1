//! Verifying (实名认证), seed 004 §2–3: the wizard's verification step. The organisation is
//! verified by a penny-drop to its corporate account (the platform pays a few fen with a
//! code in the remark; the customer types the code: 3 tries, 48 hours) or through its
//! legal representative (three factors, four factors with the card Luhn-checked first, or
//! a face check on a phone, by QR code or a link sent by SMS); then the agent (mobile
//! real-name, bank card, face). Uploading the documents for the reviewer is always there
//! instead (`by_documents`).
//!
//! The identity service is called outside any transaction. Each check is a row of
//! `identity_checks` with its audit event; only a pass writes the application (its
//! outcome, in one transaction with the check's transition), so a refusal, a timeout or a
//! service that is down reaches the customer as a message naming the field and the reason,
//! and the application stays exactly as it was. An asynchronous check (face) is settled
//! when its page asks ([`state`]): the service is asked for the result. Transitions of the
//! application: none (only its content changes, while it is a draft).

use domain::application::verification::{
    self, CorporateAccount, LegalRepresentative, LegalRepresentativeForm,
};
use domain::application::{
    CheckEvent, CheckStatus, Method, Outcome, Party, Registration, Step, Subject,
};
use domain::{AuditAction, Lang};
/// What the sandbox's pages show (the web layer knows the providers only through here).
pub use providers::identity::FaceState;
pub use providers::identity::sandbox::{FaceView, StatementLine};
use providers::identity::{Answer, Company, IdentityError, Person, PersonCheck, Transfer};
use store::WriteTx;
use store::applications::ApplicationRecord;
use store::identity_checks::{CheckRecord, NewCheck};

use super::application::{self, Applicant, Application};
use crate::notifications::{self, Recipient, Template};
use crate::{App, ErrorKind, ServiceError};

/// Checks one application may ask of the service per party in a day (each costs money).
pub const CHECKS_PER_DAY: i64 = 10;
/// Wrong penny-drop codes before the transfer must be made again.
pub const PENNY_DROP_TRIES: i64 = 3;
/// How long a penny-drop's code can be typed in (a transfer may take a day to show).
pub const PENNY_DROP_SECONDS: i64 = 48 * 3600;

/// A check waiting for its code or its face.
#[derive(Debug, Clone)]
pub struct PendingCheck {
    pub id: i64,
    pub method: Method,
    pub expires_at: i64,
    /// Penny-drop: tries left and the account paid (masked).
    pub tries_left: i64,
    pub account: Option<String>,
    /// Face: the page to open on the phone, and it as a QR code (SVG).
    pub face_url: Option<String>,
    pub qr_svg: Option<String>,
}

/// What a face check keeps sealed: the page, and the legal representative it is of.
#[derive(serde::Serialize, serde::Deserialize)]
struct FaceEvidence {
    url: String,
    legal_representative: Option<LegalRepresentative>,
}

/// One party's verification as the page shows it.
#[derive(Debug, Clone)]
pub struct PartyState {
    pub party: Party,
    pub methods: Vec<Method>,
    pub outcome: Option<Outcome>,
    pub pending: Vec<PendingCheck>,
}

/// The application's verification: the parties its channel verifies.
#[derive(Debug, Clone)]
pub struct VerificationState {
    pub parties: Vec<PartyState>,
    /// Grows with each saved change (a settled face check saves the application).
    pub version: i64,
}

fn evidence_context(application: i64, check_party: Party) -> Vec<u8> {
    format!("identity-check:{application}:{}", check_party.as_str()).into_bytes()
}

fn seal_evidence<T: serde::Serialize>(
    app: &App,
    application: i64,
    party: Party,
    value: &T,
) -> Result<Vec<u8>, ServiceError> {
    let json = serde_json::to_vec(value).map_err(|e| ServiceError::internal("evidence", e))?;
    app.secrets
        .personal_data()
        .seal(&evidence_context(application, party), &json)
        .map_err(|e| ServiceError::internal("seal evidence", e))
}

fn open_evidence<T: serde::de::DeserializeOwned>(
    app: &App,
    check: &CheckRecord,
    party: Party,
) -> Result<T, ServiceError> {
    let sealed = check
        .evidence
        .as_deref()
        .ok_or_else(|| ServiceError::internal("identity check", "no evidence"))?;
    let plain = app
        .secrets
        .personal_data()
        .open(&evidence_context(check.application_id, party), sealed)
        .map_err(|e| ServiceError::internal("sealed evidence", e))?;
    serde_json::from_slice(&plain).map_err(|e| ServiceError::internal("evidence", e))
}

fn code_hash(app: &App, reference: &str, code: &str) -> String {
    hex::encode(aws_lc_rs::hmac::sign(
        app.secrets.identity_codes(),
        format!("{reference}:{code}").as_bytes(),
    ))
}

/// The customer's draft, with the method offered for its holder.
async fn draft_offering(
    app: &App,
    applicant: &Applicant,
    id: i64,
    method: Option<Method>,
    party: Party,
) -> Result<Application, ServiceError> {
    let current = application::get(app, applicant, id).await?;
    if !current.is_editable() {
        return Err(application::not_editable(current.status));
    }
    let offered = verification::parties(&current.channel, current.content.holder);
    let Some((_, methods)) = offered.iter().find(|(p, _)| *p == party) else {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "not_offered",
            format!("this application has no {} verification", party.name_en()),
            format!("本申请无需“{}”", party.name_zh()),
        )
        .with_field("party"));
    };
    if let Some(method) = method
        && !methods.contains(&method)
    {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "not_offered",
            format!("the channel does not offer {}", method.name_en()),
            format!("本渠道不提供“{}”", method.name_zh()),
        )
        .with_field("method"));
    }
    if current.next_step < Step::Verification {
        let step = current.next_step;
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "step_missing",
            format!("fill in the step {} first", step.name_en()),
            format!("请先完成“{}”", step.name_zh()),
        )
        .with_field(step.as_str()));
    }
    Ok(current)
}

/// The company as the registry is asked about it.
pub(crate) fn company_of(
    current: &Application,
    legal: Option<&str>,
) -> Result<Company, ServiceError> {
    match &current.content.subject {
        Some(Subject::Organisation(o)) => Ok(Company {
            name: o.name.clone(),
            registration: match &o.registration {
                Registration::Uscc { uscc } => uscc.to_string(),
                Registration::Licence { licence_number, .. } => licence_number.to_string(),
            },
            legal_representative: legal.map(str::to_string),
        }),
        _ => Err(ServiceError::internal("verification", "no organisation")),
    }
}

fn agent_person(current: &Application) -> Result<(Person, String), ServiceError> {
    let agent = current
        .content
        .agent
        .as_ref()
        .ok_or_else(|| ServiceError::internal("verification", "no agent"))?;
    Ok((
        Person {
            name: agent.name.clone(),
            id_number: agent.id_number.clone(),
        },
        agent.mobile.as_str().to_string(),
    ))
}

async fn within_daily_limit(app: &App, id: i64, party: Party) -> Result<(), ServiceError> {
    let since = app.now().seconds() - 86_400;
    let asked = store::identity_checks::count_since(&app.store, id, party.as_str(), since).await?;
    if asked >= CHECKS_PER_DAY {
        return Err(ServiceError::rate_limited(
            "too_many_checks",
            "method",
            86_400,
            "too many verification attempts for this application today",
            "本申请今日实名认证次数过多",
        ));
    }
    Ok(())
}

/// The customer's message for a definite "no".
fn refusal(answer: Answer, method: Method) -> ServiceError {
    let invalid = |code, field: &str, en: &str, zh: &str| {
        ServiceError::new(ErrorKind::Invalid, code, en, zh).with_field(field)
    };
    let on_card = matches!(method, Method::LegalRepBankCard | Method::AgentBankCard);
    let who = if method.party() == Party::Agent {
        "agent"
    } else {
        "legal_rep"
    };
    match answer {
        Answer::Match => ServiceError::internal("verification", "a match is no refusal"),
        Answer::Mismatch if on_card => invalid(
            "verification_mismatch",
            &format!("{who}.bank_card"),
            "the bank card does not match the name, ID number and the mobile number the bank holds",
            "银行卡信息与姓名、身份证号或银行预留手机号不一致，请核对后重试",
        ),
        Answer::Mismatch => invalid(
            "verification_mismatch",
            &format!("{who}.mobile"),
            "the mobile number is not registered to this name and ID number",
            "姓名、身份证号与手机号不一致（该手机号未登记在此身份证名下），请核对后重试",
        ),
        Answer::NoSuchCompany => invalid(
            "no_such_company",
            "subject.name",
            "the business registry has no company of this name and registration number: check them against the business licence",
            "工商登记中查无此企业，请核对单位名称（须与营业执照完全一致）和统一社会信用代码",
        ),
        Answer::CompanyNotActive => invalid(
            "company_not_active",
            "subject.name",
            "the business registry lists the company as not operating (cancelled or revoked)",
            "该企业工商登记状态异常（注销或吊销），不能办理",
        ),
        Answer::LegalRepresentativeMismatch => invalid(
            "legal_representative_mismatch",
            "legal_rep.name",
            "the business registry names another legal representative",
            "法定代表人姓名与工商登记信息不一致，请核对",
        ),
        Answer::AccountRefused => invalid(
            "account_refused",
            "account.number",
            "the bank could not pay into this corporate account: check the bank and the account number",
            "银行未能向该对公账户打款，请核对开户银行和对公账号",
        ),
    }
}

/// The customer's message when no answer was had.
fn no_answer(error: &IdentityError) -> ServiceError {
    match error {
        IdentityError::Timeout => ServiceError::new(
            ErrorKind::Unavailable,
            "verification_timeout",
            "the verification service did not answer in time: try again, or upload the documents for a manual check",
            "实名认证服务响应超时，请稍后重试，或选择“上传资料人工审核”",
        ),
        _ => ServiceError::new(
            ErrorKind::Unavailable,
            "verification_unavailable",
            "the verification service is unavailable: try again later, or upload the documents for a manual check",
            "实名认证服务暂不可用，请稍后重试，或选择“上传资料人工审核”",
        ),
    }
    .with_field("method")
}

fn answer_name(result: &Result<Answer, IdentityError>) -> &'static str {
    match result {
        Ok(Answer::Match) => "match",
        Ok(Answer::Mismatch) => "mismatch",
        Ok(Answer::NoSuchCompany) => "no_such_company",
        Ok(Answer::CompanyNotActive) => "company_not_active",
        Ok(Answer::LegalRepresentativeMismatch) => "legal_representative_mismatch",
        Ok(Answer::AccountRefused) => "account_refused",
        Err(IdentityError::Timeout) => "timeout",
        Err(IdentityError::Unavailable(_)) => "unavailable",
        Err(IdentityError::Protocol(_)) => "invalid_answer",
    }
}

/// Moves check `check` by `event` and records it.
async fn settle(
    tx: &mut WriteTx,
    applicant: &Applicant,
    check: &CheckRecord,
    method: Method,
    event: CheckEvent,
    answer: &str,
) -> Result<(), ServiceError> {
    let transition = check.status.apply(event).map_err(|e| {
        ServiceError::new(
            ErrorKind::Conflict,
            "check_settled",
            e.to_string(),
            "该认证已结束",
        )
    })?;
    store::transition::set(tx, check.id, transition).await?;
    store::identity_checks::set_answer(tx, check.id, answer).await?;
    let action = match transition.to() {
        CheckStatus::Passed => AuditAction::ApplicationVerifyPass,
        CheckStatus::Expired => AuditAction::ApplicationVerifyExpire,
        _ => AuditAction::ApplicationVerifyFail,
    };
    crate::audit::record(
        tx,
        applicant.actor(),
        action,
        application::object(check.application_id),
        serde_json::json!({
            "check": check.id, "party": method.party().as_str(), "method": method.as_str(),
            "answer": answer,
        }),
    )
    .await?;
    Ok(())
}

/// Inserts a check of `method` as the service answered it, settled at once.
async fn insert_settled(
    tx: &mut WriteTx,
    app: &App,
    applicant: &Applicant,
    id: i64,
    method: Method,
    result: &Result<Answer, IdentityError>,
) -> Result<i64, ServiceError> {
    let check_id = store::identity_checks::insert(
        tx,
        &NewCheck {
            application_id: id,
            party: method.party().as_str(),
            method: method.as_str(),
            provider: app.identity.verifier.name(),
            reference: None,
            code_hash: None,
            expires_at: None,
            answer: None,
            evidence: None,
        },
    )
    .await?;
    let check = store::identity_checks::find_in(tx, id, check_id)
        .await?
        .ok_or_else(|| ServiceError::internal("identity check", "vanished"))?;
    let event = if matches!(result, Ok(Answer::Match)) {
        CheckEvent::Pass
    } else {
        CheckEvent::Fail
    };
    settle(tx, applicant, &check, method, event, answer_name(result)).await?;
    Ok(check_id)
}

/// Records a check the service refused or did not answer, and gives the customer's
/// message; the application is not touched.
async fn refuse(
    app: &App,
    applicant: &Applicant,
    id: i64,
    method: Method,
    result: &Result<Answer, IdentityError>,
) -> ServiceError {
    let recorded = async {
        let mut tx = app.store.begin_write().await?;
        application::own(&mut tx, applicant, id).await?;
        insert_settled(&mut tx, app, applicant, id, method, result).await?;
        tx.commit().await?;
        Ok::<(), ServiceError>(())
    };
    if let Err(e) = recorded.await {
        return e;
    }
    match result {
        Ok(answer) => refusal(*answer, method),
        Err(error) => {
            tracing::warn!(method = method.as_str(), error = %error, "identity service gave no answer");
            no_answer(error)
        }
    }
}

/// Records a synchronous check: a match writes `outcome` over version `version` in the
/// same transaction; anything else is [`refuse`]d.
async fn record_answer(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    method: Method,
    result: &Result<Answer, IdentityError>,
    outcome: impl FnOnce(i64, i64) -> Outcome,
) -> Result<i64, ServiceError> {
    if !matches!(result, Ok(Answer::Match)) {
        return Err(refuse(app, applicant, id, method, result).await);
    }
    let mut tx = app.store.begin_write().await?;
    let record = application::own(&mut tx, applicant, id).await?;
    if version != record.content_version {
        return Err(application::changed_meanwhile());
    }
    let check_id = insert_settled(&mut tx, app, applicant, id, method, result).await?;
    let at = tx.now().seconds();
    let new_version = write_outcome(
        &mut tx,
        app,
        &record,
        version,
        method.party(),
        outcome(check_id, at),
    )
    .await?;
    tx.commit().await?;
    Ok(new_version)
}

/// Writes a party's outcome into the draft, in the caller's transaction.
async fn write_outcome(
    tx: &mut WriteTx,
    app: &App,
    record: &ApplicationRecord,
    version: i64,
    party: Party,
    outcome: Outcome,
) -> Result<i64, ServiceError> {
    let current = application::assemble(app, record).await?;
    if !current.is_editable() {
        return Err(application::not_editable(current.status));
    }
    let mut content = current.content.clone();
    content.verification.set(party, Some(outcome));
    application::save(tx, app, record, version, &current.channel, &content).await
}

/// The legal representative's three factors ([`Method::LegalRepMobile`]) or four
/// ([`Method::LegalRepBankCard`]), after the registry confirms the company and its legal
/// representative. Returns the new version.
async fn legal_representative(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    method: Method,
    form: &LegalRepresentativeForm,
) -> Result<i64, ServiceError> {
    if !matches!(method, Method::LegalRepMobile | Method::LegalRepBankCard) {
        return Err(wrong_method(method));
    }
    let current = draft_offering(app, applicant, id, Some(method), Party::Organisation).await?;
    let person = LegalRepresentative::parse(form, app.today())?;
    let card = match method {
        Method::LegalRepBankCard => Some(verification::bank_card(
            "legal_rep.bank_card",
            &form.bank_card,
        )?),
        _ => None,
    };
    within_daily_limit(app, id, Party::Organisation).await?;
    let company = company_of(&current, Some(&person.name))?;
    let verifier = &app.identity.verifier;
    let mut result = verifier.check_company(&company).await;
    if matches!(result, Ok(Answer::Match)) {
        let who = Person {
            name: person.name.clone(),
            id_number: person.id_number.clone(),
        };
        let check = match card {
            Some(card) => PersonCheck::BankCard {
                person: who,
                card: card.as_str().to_string(),
                mobile: person.mobile.as_str().to_string(),
            },
            None => PersonCheck::Mobile {
                person: who,
                mobile: person.mobile.as_str().to_string(),
            },
        };
        result = verifier.check_person(&check).await;
    }
    record_answer(app, applicant, id, version, method, &result, |check, at| {
        Outcome::LegalRepresentative {
            method,
            person,
            check,
            at,
        }
    })
    .await
}

/// The agent's mobile real-name ([`Method::AgentMobile`]: the agent's name, ID number and
/// the account's number) or bank card ([`Method::AgentBankCard`], with `bank_card`).
async fn agent(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    method: Method,
    bank_card: &str,
) -> Result<i64, ServiceError> {
    if !matches!(method, Method::AgentMobile | Method::AgentBankCard) {
        return Err(wrong_method(method));
    }
    let current = draft_offering(app, applicant, id, Some(method), Party::Agent).await?;
    let (person, mobile) = agent_person(&current)?;
    let check = match method {
        Method::AgentBankCard => PersonCheck::BankCard {
            person,
            card: verification::bank_card("agent.bank_card", bank_card)?
                .as_str()
                .to_string(),
            mobile,
        },
        _ => PersonCheck::Mobile { person, mobile },
    };
    within_daily_limit(app, id, Party::Agent).await?;
    let result = app.identity.verifier.check_person(&check).await;
    record_answer(app, applicant, id, version, method, &result, |check, at| {
        Outcome::Agent { method, check, at }
    })
    .await
}

fn wrong_method(method: Method) -> ServiceError {
    ServiceError::new(
        ErrorKind::Invalid,
        "wrong_method",
        format!("{} is not done this way", method.name_en()),
        format!("“{}”不能以此方式办理", method.name_zh()),
    )
    .with_field("method")
}

/// Starts a penny-drop: the registry confirms the company, then the service pays a random
/// 1 to 99 fen with a six-digit code in the remark to `account`. An earlier pending
/// transfer of the application stops counting.
async fn send_transfer(
    app: &App,
    applicant: &Applicant,
    id: i64,
    bank: &str,
    account: &str,
) -> Result<(), ServiceError> {
    let method = Method::PennyDrop;
    let current = draft_offering(app, applicant, id, Some(method), Party::Organisation).await?;
    let account = CorporateAccount::parse(bank, account)?;
    within_daily_limit(app, id, Party::Organisation).await?;
    let company = company_of(&current, None)?;
    let random: [u8; 8] = crate::documents::random_bytes()?;
    let code = format!(
        "{:06}",
        u32::from_be_bytes([random[0], random[1], random[2], random[3]]) % 1_000_000
    );
    let amount_fen = u32::from(random[4]) % 99 + 1;
    let reference = crate::people::sessions::random_hex(16)?;
    let verifier = &app.identity.verifier;
    let mut result = verifier.check_company(&company).await;
    if matches!(result, Ok(Answer::Match)) {
        let transfer = Transfer {
            company,
            bank: account.bank.clone(),
            account: account.account.clone(),
            amount_fen,
            remark: format!("实名认证码{code}"),
            idempotency_key: reference.clone(),
        };
        result = verifier.send_transfer(&transfer).await;
    }
    if !matches!(result, Ok(Answer::Match)) {
        return Err(refuse(app, applicant, id, method, &result).await);
    }
    let mut tx = app.store.begin_write().await?;
    application::own(&mut tx, applicant, id).await?;
    let now = tx.now().seconds();
    // Only the newest transfer's code counts.
    for earlier in store::identity_checks::pending_in(&mut tx, id, method.as_str()).await? {
        settle(
            &mut tx,
            applicant,
            &earlier,
            method,
            CheckEvent::Expire,
            "superseded",
        )
        .await?;
    }
    let evidence = seal_evidence(app, id, Party::Organisation, &account)?;
    let hash = code_hash(app, &reference, &code);
    let check_id = store::identity_checks::insert(
        &mut tx,
        &NewCheck {
            application_id: id,
            party: Party::Organisation.as_str(),
            method: method.as_str(),
            provider: verifier.name(),
            reference: Some(&reference),
            code_hash: Some(&hash),
            expires_at: Some(now + PENNY_DROP_SECONDS),
            answer: Some(answer_name(&result)),
            evidence: Some(&evidence),
        },
    )
    .await?;
    crate::audit::record(
        &mut tx,
        applicant.actor(),
        AuditAction::ApplicationVerifyStart,
        application::object(id),
        serde_json::json!({
            "check": check_id, "party": "organisation", "method": method.as_str(),
            "amount_fen": amount_fen, "account": account.masked(),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The penny-drop's code as the customer read it on the company's statement. A wrong code
/// counts a try (the third ends the transfer); an expired transfer must be made again.
pub async fn confirm_transfer(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    code: &str,
) -> Result<i64, ServiceError> {
    let method = Method::PennyDrop;
    draft_offering(app, applicant, id, Some(method), Party::Organisation).await?;
    let mut tx = app.store.begin_write().await?;
    let record = application::own(&mut tx, applicant, id).await?;
    let Some(check) = newest_pending_in(&mut tx, id, method).await? else {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "no_transfer",
            "there is no transfer waiting for its code: make the transfer first",
            "没有待验证的对公打款，请先发起打款",
        )
        .with_field("code"));
    };
    let now = tx.now().seconds();
    if check.expires_at.is_some_and(|at| now >= at) {
        let why = ServiceError::new(
            ErrorKind::Invalid,
            "transfer_expired",
            "the transfer's code has expired: make the transfer again",
            "打款验证码已过期（48小时内有效），请重新发起打款",
        );
        return Err(end_transfer(tx, applicant, &check, CheckEvent::Expire, "expired", why).await);
    }
    let typed: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
    let reference = check.reference.clone().unwrap_or_default();
    let right = check.code_hash.as_deref().is_some_and(|stored| {
        let expected = hex::decode(stored).unwrap_or_default();
        let key = app.secrets.identity_codes();
        aws_lc_rs::hmac::verify(key, format!("{reference}:{typed}").as_bytes(), &expected).is_ok()
    });
    if !right {
        let tries = check.tries + 1;
        store::identity_checks::count_try(&mut tx, check.id).await?;
        if tries >= PENNY_DROP_TRIES {
            let why = ServiceError::new(
                ErrorKind::Invalid,
                "too_many_tries",
                "wrong code, for the last time: make the transfer again",
                "验证码错误次数过多，本次打款已失效，请重新发起打款",
            );
            return Err(end_transfer(
                tx,
                applicant,
                &check,
                CheckEvent::Fail,
                "too_many_tries",
                why,
            )
            .await);
        }
        tx.commit().await?;
        let left = PENNY_DROP_TRIES - tries;
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "wrong_code",
            format!("wrong code: {left} tries left. The code is in the remark of the credit on the company account's statement"),
            format!("验证码错误，还可尝试{left}次。验证码在对公账户收款记录的附言中"),
        )
        .with_field("code"));
    }
    if version != record.content_version {
        return Err(application::changed_meanwhile());
    }
    let account: CorporateAccount = open_evidence(app, &check, Party::Organisation)?;
    settle(
        &mut tx,
        applicant,
        &check,
        method,
        CheckEvent::Pass,
        "match",
    )
    .await?;
    let outcome = Outcome::PennyDrop {
        account,
        check: check.id,
        at: now,
    };
    let new_version =
        write_outcome(&mut tx, app, &record, version, Party::Organisation, outcome).await?;
    tx.commit().await?;
    Ok(new_version)
}

/// Ends the pending transfer `check` by `event` (expired, too many wrong codes) and
/// commits; gives the customer `why` (`code` is the field), or what stopped the commit.
async fn end_transfer(
    mut tx: WriteTx,
    applicant: &Applicant,
    check: &CheckRecord,
    event: CheckEvent,
    answer: &str,
    why: ServiceError,
) -> ServiceError {
    let ended = async {
        settle(&mut tx, applicant, check, Method::PennyDrop, event, answer).await?;
        tx.commit().await?;
        Ok::<(), ServiceError>(())
    };
    match ended.await {
        Ok(()) => why.with_field("code"),
        Err(e) => e,
    }
}

/// Opens a face check: of the legal representative ([`Method::LegalRepFace`], with `form`,
/// after the registry confirms them) or of the agent ([`Method::AgentFace`]). With
/// `by_sms`, the link goes by SMS to the person's phone (the legal representative may be
/// elsewhere); the page shows it as a QR code either way. The result is settled by
/// [`state`].
async fn start_face(
    app: &App,
    applicant: &Applicant,
    id: i64,
    method: Method,
    form: &LegalRepresentativeForm,
    by_sms: bool,
) -> Result<(), ServiceError> {
    let party = method.party();
    if !matches!(method, Method::LegalRepFace | Method::AgentFace) {
        return Err(wrong_method(method));
    }
    let current = draft_offering(app, applicant, id, Some(method), party).await?;
    let (person, mobile, legal) = if party == Party::Organisation {
        let legal = LegalRepresentative::parse(form, app.today())?;
        let person = Person {
            name: legal.name.clone(),
            id_number: legal.id_number.clone(),
        };
        (person, legal.mobile.clone(), Some(legal))
    } else {
        let (person, _) = agent_person(&current)?;
        let mobile = current
            .content
            .agent
            .as_ref()
            .map(|a| a.mobile.clone())
            .ok_or_else(|| ServiceError::internal("verification", "no agent"))?;
        (person, mobile, None)
    };
    within_daily_limit(app, id, party).await?;
    let verifier = &app.identity.verifier;
    if let Some(legal) = &legal {
        let company = company_of(&current, Some(&legal.name))?;
        let result = verifier.check_company(&company).await;
        if !matches!(result, Ok(Answer::Match)) {
            return Err(refuse(app, applicant, id, method, &result).await);
        }
    }
    let session_opened = match verifier.start_face(&person).await {
        Ok(opened) => opened,
        Err(error) => return Err(refuse(app, applicant, id, method, &Err(error)).await),
    };
    let url = absolute(app, &session_opened.url);
    let mut tx = app.store.begin_write().await?;
    application::own(&mut tx, applicant, id).await?;
    let now = tx.now().seconds();
    let expires_at = now + session_opened.expires_in;
    let evidence = seal_evidence(
        app,
        id,
        party,
        &FaceEvidence {
            url: url.clone(),
            legal_representative: legal.clone(),
        },
    )?;
    let check_id = store::identity_checks::insert(
        &mut tx,
        &NewCheck {
            application_id: id,
            party: party.as_str(),
            method: method.as_str(),
            provider: verifier.name(),
            reference: Some(&session_opened.reference),
            code_hash: None,
            expires_at: Some(expires_at),
            answer: None,
            evidence: Some(&evidence),
        },
    )
    .await?;
    crate::audit::record(
        &mut tx,
        applicant.actor(),
        AuditAction::ApplicationVerifyStart,
        application::object(id),
        serde_json::json!({
            "check": check_id, "party": party.as_str(), "method": method.as_str(),
            "sms": by_sms,
        }),
    )
    .await?;
    if by_sms {
        let holder = current
            .content
            .subject
            .as_ref()
            .map(|s| s.name().to_string())
            .unwrap_or_default();
        let minutes = u32::try_from(session_opened.expires_in / 60).unwrap_or(10);
        notifications::enqueue_secret(
            app,
            &mut tx,
            &Recipient::Sms(mobile),
            &Template::FaceCheckLink {
                holder,
                url: url.clone(),
                minutes,
            },
            Lang::Zh,
            &format!("face-link:{check_id}"),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What a check by some method is given: each method reads its part.
#[derive(Debug, Clone, Default)]
pub struct CheckInput {
    /// The legal representative's methods.
    pub legal_representative: LegalRepresentativeForm,
    /// `agent_bank_card`: the agent's card.
    pub agent_bank_card: String,
    /// `penny_drop`: the bank and the corporate account.
    pub account_bank: String,
    pub account_number: String,
    /// Face checks: also send the link by SMS.
    pub by_sms: bool,
}

/// A check by `method`, over version `version`: the synchronous ones are answered (and a
/// match recorded) at once; a penny-drop or a face check is opened and shows as pending.
pub async fn check(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    method: Method,
    input: &CheckInput,
) -> Result<(), ServiceError> {
    let legal = &input.legal_representative;
    match method {
        Method::LegalRepMobile | Method::LegalRepBankCard => {
            legal_representative(app, applicant, id, version, method, legal).await?;
        }
        Method::AgentMobile | Method::AgentBankCard => {
            agent(app, applicant, id, version, method, &input.agent_bank_card).await?;
        }
        Method::LegalRepFace | Method::AgentFace => {
            start_face(app, applicant, id, method, legal, input.by_sms).await?;
        }
        Method::PennyDrop => {
            send_transfer(
                app,
                applicant,
                id,
                &input.account_bank,
                &input.account_number,
            )
            .await?;
        }
    }
    Ok(())
}

/// A provider's page on this site (the sandbox's) made absolute, for the phone.
fn absolute(app: &App, url: &str) -> String {
    if url.starts_with('/') {
        format!("{}{url}", app.public_url().trim_end_matches('/'))
    } else {
        url.to_string()
    }
}

/// 上传资料人工审核: the party is left to the reviewer, who checks the documents.
pub async fn by_documents(
    app: &App,
    applicant: &Applicant,
    id: i64,
    version: i64,
    party: Party,
) -> Result<i64, ServiceError> {
    draft_offering(app, applicant, id, None, party).await?;
    let mut tx = app.store.begin_write().await?;
    let record = application::own(&mut tx, applicant, id).await?;
    let at = tx.now().seconds();
    let new_version = write_outcome(
        &mut tx,
        app,
        &record,
        version,
        party,
        Outcome::Documents { at },
    )
    .await?;
    crate::audit::record(
        &mut tx,
        applicant.actor(),
        AuditAction::ApplicationSave,
        application::object(id),
        serde_json::json!({"step": Step::Verification.as_str(), "party": party.as_str(), "method": "documents"}),
    )
    .await?;
    tx.commit().await?;
    Ok(new_version)
}

async fn pending_of(
    app: &App,
    id: i64,
    method: Option<Method>,
) -> Result<Vec<CheckRecord>, ServiceError> {
    Ok(store::identity_checks::of_application(&app.store, id)
        .await?
        .into_iter()
        .filter(|c| c.status == CheckStatus::Pending)
        .filter(|c| method.is_none_or(|m| c.method == m.as_str()))
        .collect())
}

async fn newest_pending_in(
    tx: &mut WriteTx,
    id: i64,
    method: Method,
) -> Result<Option<CheckRecord>, ServiceError> {
    Ok(store::identity_checks::pending_in(tx, id, method.as_str())
        .await?
        .pop())
}

/// The verification of the customer's application `id`, settling its face checks first:
/// each pending one is asked of the service (a pass writes the outcome; an expired or
/// failed one ends). A service that does not answer leaves the check pending.
pub async fn state(
    app: &App,
    applicant: &Applicant,
    id: i64,
) -> Result<VerificationState, ServiceError> {
    let mut current = application::get(app, applicant, id).await?;
    let mut checks = pending_of(app, id, None).await?;
    if current.is_editable() {
        let mut settled = false;
        for check in &checks {
            if let Some(method @ (Method::LegalRepFace | Method::AgentFace)) =
                Method::parse(&check.method)
            {
                settled |= settle_face(app, applicant, check, method).await?;
            }
        }
        if settled {
            current = application::get(app, applicant, id).await?;
            checks = pending_of(app, id, None).await?;
        }
    }
    let now = app.now().seconds();
    let mut parties = Vec::new();
    for (party, methods) in verification::parties(&current.channel, current.content.holder) {
        let pending = checks
            .iter()
            .filter(|c| c.party == party.as_str())
            .filter(|c| c.expires_at.is_none_or(|at| now < at))
            .filter_map(|c| {
                let method = Method::parse(&c.method)?;
                let account = (method == Method::PennyDrop)
                    .then(|| open_evidence::<CorporateAccount>(app, c, party).ok())
                    .flatten()
                    .map(|a| a.masked());
                let face_url = (method != Method::PennyDrop)
                    .then(|| open_evidence::<FaceEvidence>(app, c, party).ok())
                    .flatten()
                    .map(|f| f.url);
                Some(PendingCheck {
                    id: c.id,
                    method,
                    expires_at: c.expires_at.unwrap_or(0),
                    tries_left: PENNY_DROP_TRIES - c.tries,
                    account,
                    qr_svg: face_url
                        .as_deref()
                        .and_then(|u| crate::documents::qr_svg(u).ok()),
                    face_url,
                })
            })
            .collect();
        parties.push(PartyState {
            party,
            methods,
            outcome: current.content.verification.of(party).cloned(),
            pending,
        });
    }
    Ok(VerificationState {
        parties,
        version: current.version,
    })
}

/// Asks for face check `check`'s result and records it; true when it ended.
async fn settle_face(
    app: &App,
    applicant: &Applicant,
    check: &CheckRecord,
    method: Method,
) -> Result<bool, ServiceError> {
    let party = method.party();
    let now = app.now().seconds();
    let state = if check.expires_at.is_some_and(|at| now >= at) {
        FaceState::Expired
    } else {
        let reference = check.reference.clone().unwrap_or_default();
        match app.identity.verifier.face_result(&reference).await {
            Ok(state) => state,
            Err(error) => {
                tracing::warn!(error = %error, "face result not available");
                return Ok(false);
            }
        }
    };
    let (event, answer) = match state {
        FaceState::Pending => return Ok(false),
        FaceState::Passed => (CheckEvent::Pass, "match"),
        FaceState::Failed => (CheckEvent::Fail, "face_failed"),
        FaceState::Expired => (CheckEvent::Expire, "expired"),
    };
    let mut tx = app.store.begin_write().await?;
    let record = application::own(&mut tx, applicant, check.application_id).await?;
    // Settled meanwhile by another poll: nothing to do.
    let Some(fresh) =
        store::identity_checks::find_in(&mut tx, check.application_id, check.id).await?
    else {
        return Ok(false);
    };
    if fresh.status != CheckStatus::Pending {
        return Ok(false);
    }
    settle(&mut tx, applicant, &fresh, method, event, answer).await?;
    if event == CheckEvent::Pass {
        let at = tx.now().seconds();
        let outcome = match party {
            Party::Organisation => Outcome::LegalRepresentative {
                method,
                person: open_evidence::<FaceEvidence>(app, &fresh, party)?
                    .legal_representative
                    .ok_or_else(|| {
                        ServiceError::internal("face check", "no legal representative")
                    })?,
                check: fresh.id,
                at,
            },
            Party::Agent => Outcome::Agent {
                method,
                check: fresh.id,
                at,
            },
        };
        let version = record.content_version;
        write_outcome(&mut tx, app, &record, version, party, outcome).await?;
    }
    tx.commit().await?;
    Ok(true)
}
