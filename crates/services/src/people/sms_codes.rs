//! SMS verification codes: sent within limits, stored as HMACs under a key derived from
//! the master key (a stolen database does not give them away), checked once, five tries,
//! expiring after the configured time (5 minutes by default). Registration and password
//! reset use them, and the SMS-signed submission of an application (seed 004); unlock and
//! replacement will add their purposes here.

use domain::{AuditAction, Lang, PhoneNumber};
use store::WriteTx;

use crate::notifications::{self, Recipient, Template};
use crate::people::accounts::parse_phone;
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// What a code is for; a code of one purpose never passes for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    Register,
    ResetPassword,
    Login,
    /// Signs the submission of an application (seed 004: 证书申请签名).
    SignApplication,
}

impl CodePurpose {
    /// The stored name, e.g. `reset_password`.
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::Register => "register",
            CodePurpose::ResetPassword => "reset_password",
            CodePurpose::Login => "login",
            CodePurpose::SignApplication => "sign_application",
        }
    }
}

/// What an SMS-code request actually sends (the caller is told the same either way).
#[derive(Debug, Clone, Copy)]
enum Delivery {
    Code,
    AccountExists,
    Nothing,
}

impl Delivery {
    fn as_str(self) -> &'static str {
        match self {
            Delivery::Code => "code",
            Delivery::AccountExists => "account_exists_notice",
            Delivery::Nothing => "nothing",
        }
    }
}

/// What the customer is told after a code is sent.
#[derive(Debug, Clone, Copy)]
pub struct CodeSent {
    pub resend_after_seconds: i64,
    pub expires_in_seconds: i64,
}

fn code_mac(app: &App, phone: &PhoneNumber, purpose: CodePurpose, code: &str) -> String {
    let message = format!("{}|{}|{code}", phone.as_str(), purpose.as_str());
    hex::encode(aws_lc_rs::hmac::sign(
        app.secrets.sms_codes(),
        message.as_bytes(),
    ))
}

/// Sends a 6-digit code by SMS, within the limits: one per purpose a minute, a few an hour
/// per number and per address.
///
/// The answer never tells a stranger whether the number is a customer's (PIPL: that is
/// personal information). A registration code asked for a registered number is not sent;
/// the number's owner gets an SMS saying an account exists. A reset code asked for an
/// unknown number is not sent at all. Either way a code nobody knows is recorded, so the
/// probe counts against the limits like any request and the next step answers as for a
/// mistyped code.
pub async fn send(
    app: &App,
    phone: &str,
    purpose: CodePurpose,
    ip: &str,
    lang: Lang,
) -> Result<CodeSent, ServiceError> {
    let settings = &app.accounts;
    let phone = parse_phone(phone)?;
    let registered = store::customers::find_by_phone(&app.store, phone.as_str())
        .await?
        .is_some();
    let delivery = match purpose {
        CodePurpose::Register if registered => Delivery::AccountExists,
        CodePurpose::Register => Delivery::Code,
        _ if registered => Delivery::Code,
        _ => Delivery::Nothing,
    };
    let mut tx = app.store.begin_write().await?;
    let now = tx.now().seconds();
    let (by_phone, last, by_ip) = store::customers::sms_code_counts(
        &mut tx,
        phone.as_str(),
        purpose.as_str(),
        ip,
        now - 3600,
    )
    .await?;
    let resend = settings.code_resend_after.as_secs() as i64;
    if let Some(last) = last.filter(|l| l + resend > now) {
        return Err(ServiceError::rate_limited(
            "code_resend_too_soon",
            "phone",
            last + resend - now,
            "a code was just sent",
            "验证码已发送",
        ));
    }
    if by_phone >= settings.codes_per_phone_per_hour {
        return Err(ServiceError::rate_limited(
            "code_limit_phone",
            "phone",
            3600,
            "too many codes for this number this hour",
            "该手机号本小时获取验证码次数过多",
        ));
    }
    if by_ip >= settings.codes_per_ip_per_hour {
        return Err(ServiceError::rate_limited(
            "code_limit_ip",
            "phone",
            3600,
            "too many codes from this address this hour",
            "您的网络本小时获取验证码次数过多",
        ));
    }
    let code = crate::secrets::random_digits(6)?;
    let ttl = settings.code_ttl.as_secs() as i64;
    let id = store::customers::insert_sms_code(
        &mut tx,
        phone.as_str(),
        purpose.as_str(),
        &code_mac(app, &phone, purpose, &code),
        ip,
        now + ttl,
    )
    .await?;
    let template = match delivery {
        Delivery::Code => Some(Template::VerificationCode {
            code: code.to_string(),
            purpose,
            minutes: (ttl / 60) as u32,
        }),
        Delivery::AccountExists => Some(Template::AccountExists {
            site: lang
                .pick(&app.hall.site.ca_name_zh, &app.hall.site.ca_name_en)
                .to_string(),
        }),
        Delivery::Nothing => None,
    };
    if let Some(template) = template {
        notifications::enqueue_secret(
            app,
            &mut tx,
            &Recipient::Sms(phone.clone()),
            &template,
            lang,
            &format!("sms-code:{id}"),
        )
        .await?;
    }
    crate::audit::record(
        &mut tx,
        &Actor::Visitor { ip: ip.into() },
        AuditAction::SmsCodeSend,
        format!("phone:{}", phone.masked()),
        serde_json::json!({"purpose": purpose.as_str(), "delivered": delivery.as_str()}),
    )
    .await?;
    tx.commit().await?;
    Ok(CodeSent {
        resend_after_seconds: resend,
        expires_in_seconds: ttl,
    })
}

/// Checks a code without consuming it (a wrong one counts a try, as in [`verify`]), so that
/// costly work, a password hash, runs only for a request that holds the right code; the
/// step itself then checks and consumes it with [`verify`].
pub(crate) async fn precheck(
    app: &App,
    phone: &PhoneNumber,
    purpose: CodePurpose,
    code: &str,
) -> Result<(), ServiceError> {
    let tx = app.store.begin_write().await?;
    // Dropped uncommitted: the consumption is rolled back.
    let _checked = verify(app, tx, phone, purpose, code).await?;
    Ok(())
}

/// Checks the newest code of `purpose` inside `tx` and consumes it. A wrong code counts an
/// attempt, which is committed before the error is returned.
pub(crate) async fn verify(
    app: &App,
    mut tx: WriteTx,
    phone: &PhoneNumber,
    purpose: CodePurpose,
    code: &str,
) -> Result<WriteTx, ServiceError> {
    let max_attempts = app.accounts.code_max_attempts;
    let invalid = |code: &'static str, en: &str, zh: &str| {
        ServiceError::new(ErrorKind::Invalid, code, en, zh).with_field("code")
    };
    let Some(record) =
        store::customers::latest_sms_code(&mut tx, phone.as_str(), purpose.as_str()).await?
    else {
        return Err(invalid(
            "code_missing",
            "request a verification code first",
            "请先获取验证码",
        ));
    };
    if record.consumed_at.is_some() {
        return Err(invalid(
            "code_used",
            "this code was already used; request a new one",
            "验证码已使用，请重新获取",
        ));
    }
    if record.expires_at <= tx.now().seconds() {
        return Err(invalid(
            "code_expired",
            "the code has expired; request a new one",
            "验证码已过期，请重新获取",
        ));
    }
    if record.attempts >= max_attempts {
        return Err(invalid(
            "code_attempts",
            "too many wrong tries; request a new code",
            "验证码错误次数过多，请重新获取",
        ));
    }
    let expected = code_mac(app, phone, purpose, code.trim());
    if aws_lc_rs::constant_time::verify_slices_are_equal(
        expected.as_bytes(),
        record.code_hash.as_bytes(),
    )
    .is_err()
    {
        store::customers::count_sms_code_attempt(&mut tx, record.id).await?;
        tx.commit().await?;
        let left = max_attempts - record.attempts - 1;
        return Err(invalid(
            "code_wrong",
            &format!("wrong verification code ({left} tries left)"),
            &format!("验证码错误（还可尝试{left}次）"),
        ));
    }
    store::customers::consume_sms_code(&mut tx, record.id).await?;
    Ok(tx)
}
