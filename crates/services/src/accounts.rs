//! Customer accounts: SMS verification codes, phone registration, login with throttling,
//! server-side sessions, password reset and change.
//!
//! Codes are stored as HMACs under a key derived from the master key (a stolen database
//! does not give them away), passwords as argon2id hashes. Every state change is one
//! transaction with its audit event; a code's SMS is queued in the transaction that
//! creates the code.

use std::time::Duration;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use domain::PhoneNumber;
use store::audit::AuditEvent;
use store::{Store, WriteTx};
use zeroize::Zeroizing;

use crate::credentials::{Throttle, hash_password, password_matches};
use crate::notifications::templates::CodePurpose;
use crate::notifications::{self, Lang, Recipient, Template};
use crate::sessions::{LiveSession, Realm, SessionPolicy};
use crate::{ErrorKind, ServiceError};

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

/// The customer session a request carries.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub customer_id: i64,
    pub phone: PhoneNumber,
    pub live: LiveSession,
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
            format!("{e} (the rule: {})", domain::password::RULE_EN),
            format!("{}（规则：{}）", e.message_zh(), domain::password::RULE_ZH),
        )
        .with_field(field)
    })
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
        let started =
            crate::sessions::start(tx, Realm::Customer, customer_id, &self.settings.sessions)
                .await?;
        Ok(NewSession {
            token: started.token,
            csrf_token: started.csrf_token,
            customer_id,
            phone,
            expires_at: started.expires_at,
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
        let (account_subject, ip_subject) =
            (format!("phone:{}", phone.as_str()), format!("ip:{ip}"));
        let throttle = self.settings.throttle;
        throttle
            .check(
                &self.store,
                &[
                    (&account_subject, self.settings.login_failures_per_account),
                    (&ip_subject, self.settings.login_failures_per_ip),
                ],
            )
            .await?;
        let customer = store::customers::find_by_phone(&self.store, phone.as_str()).await?;
        let matched = match &customer {
            Some(c) => password_matches(password, &c.password_hash).await,
            None => false,
        };
        let Some(customer) = customer.filter(|_| matched) else {
            let mut tx = self.store.begin_write().await?;
            throttle
                .record_failure(&mut tx, &[&account_subject, &ip_subject])
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
        throttle.clear(&mut tx, &account_subject).await?;
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

    /// The customer session of a cookie token, if it is live.
    pub async fn session(&self, token: &str) -> Result<CurrentSession, ServiceError> {
        let live =
            crate::sessions::resume(&self.store, Realm::Customer, token, &self.settings.sessions)
                .await?;
        let customer = store::customers::find_by_id(&self.store, live.principal_id)
            .await?
            .ok_or_else(|| {
                ServiceError::new(
                    ErrorKind::Unauthorized,
                    "not_logged_in",
                    "please log in",
                    "请先登录",
                )
            })?;
        Ok(CurrentSession {
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
        &self,
        session: &CurrentSession,
        everywhere: bool,
    ) -> Result<(), ServiceError> {
        let mut tx = self.store.begin_write().await?;
        if everywhere {
            crate::sessions::end_all(&mut tx, Realm::Customer, session.customer_id, None).await?;
        } else {
            crate::sessions::end(&mut tx, &session.live).await?;
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
        crate::sessions::end_all(&mut tx, Realm::Customer, customer.id, None).await?;
        self.settings
            .throttle
            .clear(&mut tx, &format!("phone:{}", phone.as_str()))
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
        crate::sessions::end_all(&mut tx, Realm::Customer, customer.id, Some(&session.live))
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
