//! Customer accounts: phone registration (with the consent to the service agreement,
//! recorded), login with throttling, server-side sessions, logout, password reset and
//! change. Passwords are argon2id hashes; SMS codes are in [`super::sms_codes`]. Every
//! state change is one transaction with its audit event.

use std::time::Duration;

use domain::{AuditAction, PhoneNumber};
use store::WriteTx;
use zeroize::Zeroizing;

use super::actor::Actor;
use super::credentials::{Attempt, Throttle, hash_password, password_matches};
use super::sessions::{LiveSession, Realm, SessionPolicy};
use super::sms_codes::{self, CodePurpose};
use crate::{App, ErrorKind, ServiceError};

/// The limits of codes, logins and sessions.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    pub code_ttl: Duration,
    pub code_resend_after: Duration,
    pub code_max_attempts: i64,
    pub codes_per_phone_per_hour: i64,
    pub codes_per_ip_per_hour: i64,
    /// Failed logins of one account within the throttle window before it is throttled.
    pub login_failures_per_account: i64,
    /// Failed logins from one address within the throttle window before it is throttled.
    pub login_failures_per_ip: i64,
    pub throttle: Throttle,
    pub sessions: SessionPolicy,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            code_ttl: Duration::from_secs(300),
            code_resend_after: Duration::from_secs(60),
            code_max_attempts: 5,
            codes_per_phone_per_hour: 5,
            codes_per_ip_per_hour: 20,
            login_failures_per_account: 5,
            login_failures_per_ip: 20,
            throttle: Throttle {
                window: Duration::from_secs(900),
            },
            sessions: SessionPolicy {
                lifetime: Duration::from_secs(12 * 3600),
                idle: Duration::from_secs(2 * 3600),
            },
        }
    }
}

/// A new customer session: the token goes into the cookie and is stored only hashed.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: Zeroizing<String>,
    pub csrf_token: String,
    pub customer_id: i64,
    pub phone: PhoneNumber,
    /// Seconds the cookie lives (its `Max-Age`).
    pub max_age_seconds: i64,
}

/// The customer session a request carries.
#[derive(Debug, Clone)]
pub struct CustomerSession {
    pub customer_id: i64,
    pub phone: PhoneNumber,
    pub live: LiveSession,
}

impl CustomerSession {
    /// The actor for the audit log and authorization.
    pub fn actor(&self) -> Actor {
        Actor::Customer(self.customer_id)
    }
}

/// A registration as the customer submits it.
#[derive(Debug, Clone, Copy)]
pub struct Registration<'a> {
    pub phone: &'a str,
    pub code: &'a str,
    pub password: &'a str,
    /// The customer ticked "I have read and accept the certificate service agreement and
    /// privacy policy" (recorded with the agreement's version).
    pub accepts_terms: bool,
}

pub(crate) fn parse_phone(input: &str) -> Result<PhoneNumber, ServiceError> {
    input.parse().map_err(|e: domain::PhoneNumberError| {
        ServiceError::new(
            ErrorKind::Invalid,
            "invalid_phone",
            e.to_string(),
            e.message_zh(),
        )
        .with_field("phone")
    })
}

fn check_password(password: &str, phone: &PhoneNumber, field: &str) -> Result<(), ServiceError> {
    domain::check_new_password(password, phone).map_err(|e| {
        ServiceError::new(
            ErrorKind::Invalid,
            "weak_password",
            format!("{e} (the rule: {})", domain::password::RULE_EN),
            format!("{}（规则：{}）", e.message_zh(), domain::password::RULE_ZH),
        )
        .with_field(field)
    })
}

async fn new_session(
    app: &App,
    tx: &mut WriteTx,
    customer_id: i64,
    phone: PhoneNumber,
    replaces: Option<&str>,
) -> Result<NewSession, ServiceError> {
    let started = super::sessions::start(
        tx,
        Realm::Customer,
        customer_id,
        &app.accounts.sessions,
        replaces,
    )
    .await?;
    Ok(NewSession {
        token: started.token,
        csrf_token: started.csrf_token,
        customer_id,
        phone,
        max_age_seconds: started.max_age_seconds,
    })
}

/// Registers a number with its code and a password; logs the customer in (ending the
/// session of `replaces`, the cookie the request came with). The consent to the service
/// agreement is required here (whatever the face: page or API) and recorded in the audit
/// event with the agreement's version.
pub async fn register(
    app: &App,
    registration: Registration<'_>,
    ip: &str,
    replaces: Option<&str>,
) -> Result<NewSession, ServiceError> {
    let phone = parse_phone(registration.phone)?;
    check_password(registration.password, &phone, "password")?;
    if !registration.accepts_terms {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "terms_not_accepted",
            "Please accept the service agreement",
            "请阅读并同意服务协议",
        )
        .with_field("agree"));
    }
    // The address's limit first, then the code, and only then the costly hash: a flood
    // without valid codes costs a database look-up each and is soon refused.
    let attempt = reserve_for_address(app, ip).await?;
    sms_codes::precheck(app, &phone, CodePurpose::Register, registration.code).await?;
    let hash = hash_password(registration.password).await?;
    let tx = app.store.begin_write().await?;
    let mut tx =
        sms_codes::verify(app, tx, &phone, CodePurpose::Register, registration.code).await?;
    app.accounts.throttle.release(&mut tx, attempt).await?;
    let Some(id) = store::customers::insert(&mut tx, phone.as_str(), &hash).await? else {
        return Err(already_registered(&phone));
    };
    let session = new_session(app, &mut tx, id, phone.clone(), replaces).await?;
    crate::audit::record(
        &mut tx,
        &Actor::Customer(id),
        AuditAction::CustomerRegister,
        format!("customer:{id}"),
        serde_json::json!({
            "phone": phone.masked(), "ip": ip,
            "terms_accepted": app.hall.site.terms_version,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// The password hash of an account opened at the counter: no password matches it (it is
/// not a PHC string), so the customer sets one with the reset code before logging in.
pub(crate) const NO_PASSWORD: &str = "!opened-at-counter";

/// The account of `phone` for counter business, opened (without a password) when there is
/// none, inside the caller's transaction. Returns the id and whether it was opened now;
/// opening is audited as the clerk's act.
pub(crate) async fn open_at_counter(
    tx: &mut WriteTx,
    clerk: &Actor,
    phone: &PhoneNumber,
) -> Result<(i64, bool), ServiceError> {
    if let Some(id) = store::customers::insert(tx, phone.as_str(), NO_PASSWORD).await? {
        crate::audit::record(
            tx,
            clerk,
            AuditAction::CustomerOpenAtCounter,
            format!("customer:{id}"),
            serde_json::json!({"phone": phone.masked()}),
        )
        .await?;
        return Ok((id, true));
    }
    let existing = store::customers::find_by_phone_in(tx, phone.as_str())
        .await?
        .ok_or_else(|| ServiceError::internal("customer", "taken number without an account"))?;
    Ok((existing.id, false))
}

/// Logs in with number and password, unless the account or the address has failed too
/// often lately; then the error says how long to wait. The session of `replaces` (the
/// cookie the request came with) ends.
pub async fn login(
    app: &App,
    phone: &str,
    password: &str,
    ip: &str,
    replaces: Option<&str>,
) -> Result<NewSession, ServiceError> {
    let phone = parse_phone(phone)?;
    let (account_subject, ip_subject) = (format!("phone:{}", phone.as_str()), format!("ip:{ip}"));
    let settings = &app.accounts;
    let throttle = settings.throttle;
    let attempt = throttle
        .reserve(
            app,
            &[
                (&account_subject, settings.login_failures_per_account),
                (&ip_subject, settings.login_failures_per_ip),
            ],
        )
        .await?;
    let customer = store::customers::find_by_phone(&app.store, phone.as_str()).await?;
    let matched = password_matches(
        password,
        customer.as_ref().map(|c| c.password_hash.as_str()),
    )
    .await?;
    let Some(customer) = customer.filter(|_| matched) else {
        let refusal = throttle
            .refuse_login(
                app,
                attempt,
                ip,
                (
                    AuditAction::CustomerLoginFailed,
                    format!("phone:{}", phone.masked()),
                ),
                ("wrong phone number or password", "手机号或密码错误"),
            )
            .await?;
        return Err(refusal);
    };
    let mut tx = app.store.begin_write().await?;
    throttle.succeed(&mut tx, attempt, &account_subject).await?;
    let session = new_session(app, &mut tx, customer.id, phone, replaces).await?;
    crate::audit::record(
        &mut tx,
        &Actor::Customer(customer.id),
        AuditAction::CustomerLogin,
        format!("customer:{}", customer.id),
        serde_json::json!({"ip": ip}),
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// The customer session of a cookie token, if it is live.
pub async fn session(app: &App, token: &str) -> Result<CustomerSession, ServiceError> {
    let live = super::sessions::resume(app, Realm::Customer, token, &app.accounts.sessions).await?;
    let customer = store::customers::find_by_id(&app.store, live.principal_id)
        .await?
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::Unauthorized,
                "not_logged_in",
                "please log in",
                "请先登录",
            )
        })?;
    Ok(CustomerSession {
        customer_id: customer.id,
        phone: customer
            .phone
            .parse()
            .map_err(|_| ServiceError::internal("stored phone", customer.id))?,
        live,
    })
}

/// Ends this session, or (with `everywhere`) every session of the customer.
pub async fn logout(
    app: &App,
    session: &CustomerSession,
    everywhere: bool,
) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    if everywhere {
        super::sessions::end_all(&mut tx, Realm::Customer, session.customer_id, None).await?;
    } else {
        super::sessions::end(&mut tx, &session.live).await?;
    }
    let action = if everywhere {
        AuditAction::CustomerLogoutEverywhere
    } else {
        AuditAction::CustomerLogout
    };
    crate::audit::record(
        &mut tx,
        &session.actor(),
        action,
        format!("customer:{}", session.customer_id),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password with a reset code; every session of the account ends.
pub async fn reset_password(
    app: &App,
    phone: &str,
    code: &str,
    new_password: &str,
    ip: &str,
) -> Result<(), ServiceError> {
    let phone = parse_phone(phone)?;
    check_password(new_password, &phone, "new_password")?;
    let attempt = reserve_for_address(app, ip).await?;
    // An unknown number has only a code nobody knows (see sms_codes::send): the answer is
    // the one for a wrong code, never "not registered".
    sms_codes::precheck(app, &phone, CodePurpose::ResetPassword, code).await?;
    let customer = store::customers::find_by_phone(&app.store, phone.as_str())
        .await?
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::Invalid,
                "code_wrong",
                "wrong verification code",
                "验证码错误",
            )
            .with_field("code")
        })?;
    let hash = hash_password(new_password).await?;
    let tx = app.store.begin_write().await?;
    let mut tx = sms_codes::verify(app, tx, &phone, CodePurpose::ResetPassword, code).await?;
    app.accounts.throttle.release(&mut tx, attempt).await?;
    store::customers::set_password(&mut tx, customer.id, &hash).await?;
    super::sessions::end_all(&mut tx, Realm::Customer, customer.id, None).await?;
    app.accounts
        .throttle
        .clear(&mut tx, &format!("phone:{}", phone.as_str()))
        .await?;
    crate::audit::record(
        &mut tx,
        &Actor::Visitor { ip: ip.into() },
        AuditAction::CustomerPasswordReset,
        format!("customer:{}", customer.id),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes the password (old one required); the customer's other sessions end.
pub async fn change_password(
    app: &App,
    session: &CustomerSession,
    old: &str,
    new: &str,
) -> Result<(), ServiceError> {
    let customer = store::customers::find_by_id(&app.store, session.customer_id)
        .await?
        .ok_or_else(|| ServiceError::internal("session", "customer gone"))?;
    if !password_matches(old, Some(&customer.password_hash)).await? {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "wrong_password",
            "the current password is wrong",
            "原密码错误",
        )
        .with_field("old_password"));
    }
    check_password(new, &session.phone, "new_password")?;
    let hash = hash_password(new).await?;
    let mut tx = app.store.begin_write().await?;
    store::customers::set_password(&mut tx, customer.id, &hash).await?;
    super::sessions::end_all(&mut tx, Realm::Customer, customer.id, Some(&session.live)).await?;
    crate::audit::record(
        &mut tx,
        &session.actor(),
        AuditAction::CustomerPasswordChange,
        format!("customer:{}", customer.id),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn already_registered(phone: &PhoneNumber) -> ServiceError {
    ServiceError::new(
        ErrorKind::Conflict,
        "phone_registered",
        format!(
            "{} is already registered: log in, or reset the password if you forgot it",
            phone.masked()
        ),
        format!(
            "手机号{}已注册，请直接登录；如忘记密码，请使用“忘记密码”找回",
            phone.masked()
        ),
    )
    .with_field("phone")
}

/// Registration and password reset count against the address's limit of failed logins:
/// a wrong code is a failure like a wrong password.
async fn reserve_for_address(app: &App, ip: &str) -> Result<Attempt, ServiceError> {
    let settings = &app.accounts;
    settings
        .throttle
        .reserve(
            app,
            &[(&format!("ip:{ip}"), settings.login_failures_per_ip)],
        )
        .await
}
