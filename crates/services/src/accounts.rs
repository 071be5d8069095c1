//! Customer accounts: SMS verification codes, phone registration, login with throttling,
//! server-side sessions, password reset and change.
//!
//! Codes are stored as HMACs under a key derived from the master key (a stolen database
//! does not give them away), passwords as argon2id hashes. Every state change is one
//! transaction with its audit event; a code's SMS is queued in the transaction that
//! creates the code.

use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use domain::PhoneNumber;
use store::audit::AuditEvent;
use store::{Store, WriteTx};
use zeroize::Zeroizing;

use crate::notifications::templates::CodePurpose;
use crate::notifications::{self, Lang, Recipient, Template};
use crate::{ErrorKind, ServiceError};

/// The limits of codes, logins and sessions.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    pub code_ttl: Duration,
    pub code_resend_after: Duration,
    pub code_max_attempts: i64,
    pub codes_per_phone_per_hour: i64,
    pub codes_per_ip_per_hour: i64,
    /// Failed logins of one account within `login_window` before it is throttled.
    pub login_failures_per_account: i64,
    /// Failed logins from one address within `login_window` before it is throttled.
    pub login_failures_per_ip: i64,
    pub login_window: Duration,
    pub session_lifetime: Duration,
    pub session_idle: Duration,
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
            login_window: Duration::from_secs(900),
            session_lifetime: Duration::from_secs(12 * 3600),
            session_idle: Duration::from_secs(2 * 3600),
        }
    }
}

/// The accounts use cases.
pub struct Accounts {
    store: Store,
    code_key: aws_lc_rs::hmac::Key,
    pub settings: AccountSettings,
}

/// A new session: the token goes into the cookie and is stored only hashed.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: Zeroizing<String>,
    pub csrf_token: String,
    pub customer_id: i64,
    pub phone: PhoneNumber,
    pub expires_at: i64,
}

/// The session a request carries.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub customer_id: i64,
    pub phone: PhoneNumber,
    pub csrf_token: String,
    token_hash: String,
}

/// What the customer is told after a code is sent.
#[derive(Debug, Clone, Copy)]
pub struct CodeSent {
    pub resend_after_seconds: i64,
    pub expires_in_seconds: i64,
}

fn purpose_name(purpose: CodePurpose) -> &'static str {
    match purpose {
        CodePurpose::Register => "register",
        CodePurpose::ResetPassword => "reset_password",
        CodePurpose::Login => "login",
    }
}

fn random_hex(bytes: usize) -> Result<String, ServiceError> {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| ServiceError::internal("random", "failed"))?;
    Ok(hex::encode(buf))
}

fn sha256_hex(text: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        text.as_bytes(),
    ))
}

fn parse_phone(input: &str) -> Result<PhoneNumber, ServiceError> {
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
            format!("{e} ({})", domain::password::RULE_EN),
            format!("{}（{}）", e.message_zh(), domain::password::RULE_ZH),
        )
        .with_field(field)
    })
}

async fn hash_password(password: &str) -> Result<String, ServiceError> {
    let password = Zeroizing::new(password.to_string());
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| ServiceError::internal("random", "salt"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| ServiceError::internal("salt", e))?;
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::internal("password hashing", e))
    })
    .await
    .map_err(|e| ServiceError::internal("password hashing", e))?
}

async fn password_matches(password: &str, stored: &str) -> bool {
    let (password, stored) = (Zeroizing::new(password.to_string()), stored.to_string());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|hash| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

fn audit(actor: String, action: &str, object: String, details: serde_json::Value) -> AuditEvent {
    AuditEvent {
        actor,
        action: action.into(),
        object,
        details,
    }
}

impl Accounts {
    /// `code_key` is a secret derived from the master key (see `Pki::derived_key`).
    pub fn new(store: Store, code_key: &[u8; 32], settings: AccountSettings) -> Self {
        Accounts {
            store,
            code_key: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, code_key),
            settings,
        }
    }

    fn code_mac(&self, phone: &PhoneNumber, purpose: CodePurpose, code: &str) -> String {
        let message = format!("{}|{}|{code}", phone.as_str(), purpose_name(purpose));
        hex::encode(aws_lc_rs::hmac::sign(&self.code_key, message.as_bytes()))
    }

    /// Sends a 6-digit code by SMS, within the limits: one per purpose a minute, a few an
    /// hour per number and per address. Registration codes only for new numbers, reset
    /// codes only for registered ones.
    pub async fn send_code(
        &self,
        phone: &str,
        purpose: CodePurpose,
        ip: &str,
        lang: Lang,
    ) -> Result<CodeSent, ServiceError> {
        let phone = parse_phone(phone)?;
        let registered = store::customers::find_by_phone(&self.store, phone.as_str())
            .await?
            .is_some();
        match purpose {
            CodePurpose::Register if registered => return Err(already_registered(&phone)),
            CodePurpose::ResetPassword | CodePurpose::Login if !registered => {
                return Err(not_registered(&phone));
            }
            _ => {}
        }
        let now = pki::time::now_unix();
        let mut tx = self.store.begin_write().await?;
        let (by_phone, last, by_ip) = store::customers::sms_code_counts(
            &mut tx,
            phone.as_str(),
            purpose_name(purpose),
            ip,
            now - 3600,
        )
        .await?;
        let resend = self.settings.code_resend_after.as_secs() as i64;
        if let Some(last) = last.filter(|l| l + resend > now) {
            return Err(ServiceError::rate_limited(
                "code_resend_too_soon",
                "phone",
                last + resend - now,
                "a code was just sent",
                "验证码已发送",
            ));
        }
        if by_phone >= self.settings.codes_per_phone_per_hour {
            return Err(ServiceError::rate_limited(
                "code_limit_phone",
                "phone",
                3600,
                "too many codes for this number this hour",
                "该手机号本小时获取验证码次数过多",
            ));
        }
        if by_ip >= self.settings.codes_per_ip_per_hour {
            return Err(ServiceError::rate_limited(
                "code_limit_ip",
                "phone",
                3600,
                "too many codes from this address this hour",
                "您的网络本小时获取验证码次数过多",
            ));
        }
        let code = six_digits()?;
        let ttl = self.settings.code_ttl.as_secs() as i64;
        let id = store::customers::insert_sms_code(
            &mut tx,
            phone.as_str(),
            purpose_name(purpose),
            &self.code_mac(&phone, purpose, &code),
            ip,
            now + ttl,
        )
        .await?;
        let template = Template::VerificationCode {
            code: code.to_string(),
            purpose,
            minutes: (ttl / 60) as u32,
        };
        notifications::enqueue(
            &mut tx,
            &Recipient::Sms(phone.clone()),
            &template,
            lang,
            &format!("sms-code:{id}"),
        )
        .await?;
        store::audit::append(
            &mut tx,
            &audit(
                format!("ip:{ip}"),
                "sms_code.send",
                format!("phone:{}", phone.masked()),
                serde_json::json!({"purpose": purpose_name(purpose)}),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(CodeSent {
            resend_after_seconds: resend,
            expires_in_seconds: ttl,
        })
    }

    /// Checks the newest code of `purpose` inside `tx` and consumes it. A wrong code
    /// counts an attempt, which is committed before the error is returned.
    async fn verify_code(
        &self,
        mut tx: WriteTx,
        phone: &PhoneNumber,
        purpose: CodePurpose,
        code: &str,
    ) -> Result<WriteTx, ServiceError> {
        let invalid = |code: &'static str, en: &str, zh: &str| {
            ServiceError::new(ErrorKind::Invalid, code, en, zh).with_field("code")
        };
        let Some(record) =
            store::customers::latest_sms_code(&mut tx, phone.as_str(), purpose_name(purpose))
                .await?
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
        if record.expires_at <= pki::time::now_unix() {
            return Err(invalid(
                "code_expired",
                "the code has expired; request a new one",
                "验证码已过期，请重新获取",
            ));
        }
        if record.attempts >= self.settings.code_max_attempts {
            return Err(invalid(
                "code_attempts",
                "too many wrong tries; request a new code",
                "验证码错误次数过多，请重新获取",
            ));
        }
        let expected = self.code_mac(phone, purpose, code.trim());
        if aws_lc_rs::constant_time::verify_slices_are_equal(
            expected.as_bytes(),
            record.code_hash.as_bytes(),
        )
        .is_err()
        {
            store::customers::count_sms_code_attempt(&mut tx, record.id).await?;
            tx.commit().await?;
            let left = self.settings.code_max_attempts - record.attempts - 1;
            return Err(invalid(
                "code_wrong",
                &format!("wrong verification code ({left} tries left)"),
                &format!("验证码错误（还可尝试{left}次）"),
            ));
        }
        store::customers::consume_sms_code(&mut tx, record.id).await?;
        Ok(tx)
    }

    async fn new_session(
        &self,
        tx: &mut WriteTx,
        customer_id: i64,
        phone: PhoneNumber,
    ) -> Result<NewSession, ServiceError> {
        let token = Zeroizing::new(random_hex(32)?);
        let csrf_token = random_hex(32)?;
        let expires_at = pki::time::now_unix() + self.settings.session_lifetime.as_secs() as i64;
        store::customers::insert_session(
            tx,
            &sha256_hex(&token),
            customer_id,
            &csrf_token,
            expires_at,
        )
        .await?;
        Ok(NewSession {
            token,
            csrf_token,
            customer_id,
            phone,
            expires_at,
        })
    }

    /// Registers a number with its code and a password; logs the customer in.
    pub async fn register(
        &self,
        phone: &str,
        code: &str,
        password: &str,
        ip: &str,
    ) -> Result<NewSession, ServiceError> {
        let phone = parse_phone(phone)?;
        check_password(password, &phone, "password")?;
        let hash = hash_password(password).await?;
        let tx = self.store.begin_write().await?;
        let mut tx = self
            .verify_code(tx, &phone, CodePurpose::Register, code)
            .await?;
        let Some(id) = store::customers::insert(&mut tx, phone.as_str(), &hash).await? else {
            return Err(already_registered(&phone));
        };
        let session = self.new_session(&mut tx, id, phone.clone()).await?;
        store::audit::append(
            &mut tx,
            &audit(
                format!("customer:{id}"),
                "customer.register",
                format!("customer:{id}"),
                serde_json::json!({"phone": phone.masked(), "ip": ip}),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Logs in with number and password, unless the account or the address has failed too
    /// often lately; then the error says how long to wait.
    pub async fn login(
        &self,
        phone: &str,
        password: &str,
        ip: &str,
    ) -> Result<NewSession, ServiceError> {
        let phone = parse_phone(phone)?;
        let now = pki::time::now_unix();
        let window = self.settings.login_window.as_secs() as i64;
        let (account_subject, ip_subject) =
            (format!("phone:{}", phone.as_str()), format!("ip:{ip}"));
        for (subject, limit) in [
            (&account_subject, self.settings.login_failures_per_account),
            (&ip_subject, self.settings.login_failures_per_ip),
        ] {
            let (failures, oldest) =
                store::customers::login_failures_since(&self.store, subject, now - window).await?;
            if failures >= limit {
                let wait = oldest.unwrap_or(now) + window - now;
                return Err(ServiceError::rate_limited(
                    "login_throttled",
                    "password",
                    wait,
                    "too many failed logins",
                    "登录失败次数过多",
                ));
            }
        }
        let customer = store::customers::find_by_phone(&self.store, phone.as_str()).await?;
        let matched = match &customer {
            Some(c) => password_matches(password, &c.password_hash).await,
            None => false,
        };
        let Some(customer) = customer.filter(|_| matched) else {
            let mut tx = self.store.begin_write().await?;
            store::customers::record_login_failure(&mut tx, &[&account_subject, &ip_subject])
                .await?;
            store::audit::append(
                &mut tx,
                &audit(
                    format!("ip:{ip}"),
                    "customer.login_failed",
                    format!("phone:{}", phone.masked()),
                    serde_json::json!({}),
                ),
            )
            .await?;
            tx.commit().await?;
            return Err(ServiceError::new(
                ErrorKind::Unauthorized,
                "wrong_credentials",
                "wrong phone number or password",
                "手机号或密码错误",
            )
            .with_field("password"));
        };
        let mut tx = self.store.begin_write().await?;
        store::customers::clear_login_failures(&mut tx, &account_subject).await?;
        let session = self.new_session(&mut tx, customer.id, phone).await?;
        store::audit::append(
            &mut tx,
            &audit(
                format!("customer:{}", customer.id),
                "customer.login",
                format!("customer:{}", customer.id),
                serde_json::json!({"ip": ip}),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// The session of a cookie token, if it is live.
    pub async fn session(&self, token: &str) -> Result<CurrentSession, ServiceError> {
        let expired = || {
            ServiceError::new(
                ErrorKind::Unauthorized,
                "not_logged_in",
                "please log in",
                "请先登录",
            )
        };
        if token.len() != 64 {
            return Err(expired());
        }
        let token_hash = sha256_hex(token);
        let record = store::customers::find_session(&self.store, &token_hash)
            .await?
            .ok_or_else(expired)?;
        let now = pki::time::now_unix();
        if record.expires_at <= now
            || record.last_seen_at + (self.settings.session_idle.as_secs() as i64) <= now
        {
            return Err(expired());
        }
        let customer = store::customers::find_by_id(&self.store, record.customer_id)
            .await?
            .ok_or_else(expired)?;
        store::customers::touch_session(&self.store, &token_hash).await?;
        Ok(CurrentSession {
            customer_id: customer.id,
            phone: customer
                .phone
                .parse()
                .map_err(|_| ServiceError::internal("stored phone", customer.id))?,
            csrf_token: record.csrf_token,
            token_hash,
        })
    }

    /// Whether `token` is the session's CSRF token (constant time).
    pub fn csrf_matches(session: &CurrentSession, token: &str) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(
            session.csrf_token.as_bytes(),
            token.as_bytes(),
        )
        .is_ok()
    }

    /// Ends this session, or (with `everywhere`) every session of the customer.
    pub async fn logout(
        &self,
        session: &CurrentSession,
        everywhere: bool,
    ) -> Result<(), ServiceError> {
        let mut tx = self.store.begin_write().await?;
        if everywhere {
            store::customers::delete_sessions_of(&mut tx, session.customer_id, None).await?;
        } else {
            store::customers::delete_session(&mut tx, &session.token_hash).await?;
        }
        let action = if everywhere {
            "customer.logout_everywhere"
        } else {
            "customer.logout"
        };
        let who = format!("customer:{}", session.customer_id);
        store::audit::append(
            &mut tx,
            &audit(who.clone(), action, who, serde_json::json!({})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password with a reset code; every session of the account ends.
    pub async fn reset_password(
        &self,
        phone: &str,
        code: &str,
        new_password: &str,
        ip: &str,
    ) -> Result<(), ServiceError> {
        let phone = parse_phone(phone)?;
        check_password(new_password, &phone, "new_password")?;
        let customer = store::customers::find_by_phone(&self.store, phone.as_str())
            .await?
            .ok_or_else(|| not_registered(&phone))?;
        let hash = hash_password(new_password).await?;
        let tx = self.store.begin_write().await?;
        let mut tx = self
            .verify_code(tx, &phone, CodePurpose::ResetPassword, code)
            .await?;
        store::customers::set_password(&mut tx, customer.id, &hash).await?;
        store::customers::delete_sessions_of(&mut tx, customer.id, None).await?;
        store::customers::clear_login_failures(&mut tx, &format!("phone:{}", phone.as_str()))
            .await?;
        let who = format!("customer:{}", customer.id);
        store::audit::append(
            &mut tx,
            &audit(
                format!("ip:{ip}"),
                "customer.password_reset",
                who,
                serde_json::json!({}),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the password (old one required); the customer's other sessions end.
    pub async fn change_password(
        &self,
        session: &CurrentSession,
        old: &str,
        new: &str,
    ) -> Result<(), ServiceError> {
        let customer = store::customers::find_by_id(&self.store, session.customer_id)
            .await?
            .ok_or_else(|| ServiceError::internal("session", "customer gone"))?;
        if !password_matches(old, &customer.password_hash).await {
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
        let mut tx = self.store.begin_write().await?;
        store::customers::set_password(&mut tx, customer.id, &hash).await?;
        store::customers::delete_sessions_of(&mut tx, customer.id, Some(&session.token_hash))
            .await?;
        let who = format!("customer:{}", customer.id);
        store::audit::append(
            &mut tx,
            &audit(
                who.clone(),
                "customer.password_change",
                who,
                serde_json::json!({}),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Six random digits, uniformly (rejection sampling avoids modulo bias).
fn six_digits() -> Result<Zeroizing<String>, ServiceError> {
    let rng = SystemRandom::new();
    loop {
        let mut b = [0u8; 4];
        rng.fill(&mut b)
            .map_err(|_| ServiceError::internal("random", "code"))?;
        let n = u32::from_be_bytes(b);
        if n < 4_294_000_000 {
            return Ok(Zeroizing::new(format!("{:06}", n % 1_000_000)));
        }
    }
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

fn not_registered(phone: &PhoneNumber) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        "phone_not_registered",
        format!("{} is not registered", phone.masked()),
        format!("手机号{}尚未注册", phone.masked()),
    )
    .with_field("phone")
}
