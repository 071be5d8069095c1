//! Operators of the console: the initial administrator, creation with roles, disabling,
//! password resets, console login (throttled like customers') and role checks.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use domain::{Role, Roles};
use store::Store;
use store::audit::AuditEvent;
use store::operators::OperatorRecord;
use zeroize::Zeroizing;

use crate::actor::Actor;
use crate::credentials::{Throttle, hash_password, password_matches, random_password};
use crate::sessions::{LiveSession, Realm, SessionPolicy, StartedSession};
use crate::{ErrorKind, ServiceError};

/// The file the initial administrator's password is written to, in the data directory.
pub const INITIAL_ADMIN_FILE: &str = "initial-admin-password";

/// Console sessions: shorter than customers'.
pub const CONSOLE_SESSIONS: SessionPolicy = SessionPolicy {
    lifetime: Duration::from_secs(10 * 3600),
    idle: Duration::from_secs(30 * 60),
};
const THROTTLE: Throttle = Throttle {
    window: Duration::from_secs(900),
};
const FAILURES_PER_ACCOUNT: i64 = 5;
const FAILURES_PER_IP: i64 = 20;

/// A logged-in operator.
#[derive(Debug, Clone)]
pub struct OperatorSession {
    pub operator_id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Roles,
    pub live: LiveSession,
}

impl OperatorSession {
    /// The actor for the audit log and authorization.
    pub fn actor(&self) -> Actor {
        Actor::Operator {
            id: self.operator_id,
            username: self.username.clone(),
        }
    }

    /// Allowed when the operator has any of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ServiceError> {
        if roles.iter().any(|r| self.roles.contains(*r)) {
            return Ok(());
        }
        let names_en: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let names_zh: Vec<&str> = roles.iter().map(|r| r.name_zh()).collect();
        Err(ServiceError::new(
            ErrorKind::Forbidden,
            "role_required",
            format!("this needs the role {}", names_en.join(" or ")),
            format!("此操作需要“{}”角色", names_zh.join("”或“")),
        ))
    }
}

fn check_username(username: &str) -> Result<(), ServiceError> {
    let ok = (3..=32).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ServiceError::new(
            ErrorKind::Invalid,
            "invalid_username",
            "username: 3 to 32 lowercase letters, digits, '-' or '_'",
            "用户名：3至32位小写字母、数字、“-”或“_”",
        )
        .with_field("username"))
    }
}

fn parse_roles(text: &str) -> Result<Roles, ServiceError> {
    text.parse().map_err(|e: domain::UnknownRole| {
        // `Roles` refuses an empty list with an empty name: nothing was chosen.
        if e.0.is_empty() {
            return ServiceError::new(
                ErrorKind::Invalid,
                "no_roles",
                "choose at least one role",
                "请至少选择一个角色",
            )
            .with_field("roles");
        }
        ServiceError::new(
            ErrorKind::Invalid,
            "unknown_role",
            e.to_string(),
            format!("角色无效：{}", e.0),
        )
        .with_field("roles")
    })
}

fn writes_password_file(path: &Path, password: &str) -> Result<(), ServiceError> {
    let fail = |e: std::io::Error| {
        ServiceError::internal(
            "initial administrator password file",
            format!("{}: {e}", path.display()),
        )
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(fail)?;
    file.write_all(format!("{password}\n").as_bytes())
        .map_err(fail)?;
    file.sync_all().map_err(fail)
}

/// On first start (no operator yet): creates `admin` with a random password written to a
/// 0600 file in `data_dir`; returns that file's path. Later starts return `None`.
pub async fn ensure_initial_admin(
    store: &Store,
    data_dir: &Path,
) -> Result<Option<PathBuf>, ServiceError> {
    if store::operators::count(store).await? > 0 {
        return Ok(None);
    }
    let password = random_password()?;
    let path = data_dir.join(INITIAL_ADMIN_FILE);
    let hash = hash_password(&password).await?;
    let mut tx = store.begin_write().await?;
    let Some(id) =
        store::operators::insert(&mut tx, "admin", "管理员", &hash, Role::Admin.as_str()).await?
    else {
        return Ok(None);
    };
    store::audit::append(
        &mut tx,
        &AuditEvent {
            actor: Actor::System.label(),
            action: "operator.create".into(),
            object: format!("operator:{id}"),
            details: serde_json::json!({"username": "admin", "roles": "admin", "initial": true}),
        },
    )
    .await?;
    // The file first: if it cannot be written, the administrator is not created either.
    let _ = std::fs::remove_file(&path);
    writes_password_file(&path, &password)?;
    tx.commit().await?;
    Ok(Some(path))
}

/// Creates an operator with a random password, returned once.
pub async fn create(
    store: &Store,
    username: &str,
    display_name: &str,
    roles: &str,
    actor: &Actor,
) -> Result<Zeroizing<String>, ServiceError> {
    check_username(username)?;
    let roles = parse_roles(roles)?;
    if display_name.trim().is_empty() || display_name.chars().count() > 64 {
        return Err(ServiceError::new(
            ErrorKind::Invalid,
            "invalid_name",
            "name: 1 to 64 characters",
            "姓名：1至64个字符",
        )
        .with_field("name"));
    }
    let password = random_password()?;
    let hash = hash_password(&password).await?;
    let mut tx = store.begin_write().await?;
    let id = store::operators::insert(
        &mut tx,
        username,
        display_name.trim(),
        &hash,
        &roles.to_text(),
    )
    .await?
    .ok_or_else(|| {
        ServiceError::new(
            ErrorKind::Conflict,
            "username_taken",
            format!("operator {username:?} exists"),
            format!("操作员“{username}”已存在"),
        )
        .with_field("username")
    })?;
    store::audit::append(
        &mut tx,
        &AuditEvent {
            actor: actor.label(),
            action: "operator.create".into(),
            object: format!("operator:{id}"),
            details: serde_json::json!({"username": username, "roles": roles.to_text()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(password)
}

async fn find(store: &Store, username: &str) -> Result<OperatorRecord, ServiceError> {
    store::operators::find_by_username(store, username)
        .await?
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::NotFound,
                "unknown_operator",
                format!("no operator {username:?}"),
                format!("没有操作员“{username}”"),
            )
            .with_field("username")
        })
}

/// What an administrator changes about an operator.
pub enum Change<'a> {
    Roles(&'a str),
    Disable,
    Enable,
    ResetPassword,
}

/// Applies a change (audited); a reset returns the new password, shown once. Disabling or
/// a password reset ends the operator's sessions.
pub async fn change(
    store: &Store,
    username: &str,
    change: Change<'_>,
    actor: &Actor,
) -> Result<Option<Zeroizing<String>>, ServiceError> {
    let operator = find(store, username).await?;
    let mut password = None;
    let mut hash = None;
    if let Change::ResetPassword = change {
        let new = random_password()?;
        hash = Some(hash_password(&new).await?);
        password = Some(new);
    }
    let mut tx = store.begin_write().await?;
    let (action, details) = match change {
        Change::Roles(text) => {
            let roles = parse_roles(text)?;
            store::operators::set_roles(&mut tx, operator.id, &roles.to_text()).await?;
            (
                "operator.roles",
                serde_json::json!({"from": operator.roles, "to": roles.to_text()}),
            )
        }
        Change::Disable => {
            store::operators::set_disabled(&mut tx, operator.id, true).await?;
            crate::sessions::end_all(&mut tx, Realm::Operator, operator.id, None).await?;
            ("operator.disable", serde_json::json!({}))
        }
        Change::Enable => {
            store::operators::set_disabled(&mut tx, operator.id, false).await?;
            ("operator.enable", serde_json::json!({}))
        }
        Change::ResetPassword => {
            store::operators::set_password(
                &mut tx,
                operator.id,
                hash.as_deref().unwrap_or_default(),
            )
            .await?;
            crate::sessions::end_all(&mut tx, Realm::Operator, operator.id, None).await?;
            ("operator.reset_password", serde_json::json!({}))
        }
    };
    store::audit::append(
        &mut tx,
        &AuditEvent {
            actor: actor.label(),
            action: action.into(),
            object: format!("operator:{}", operator.id),
            details,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(password)
}

/// Console login; throttled per operator and per address like customers' logins.
pub async fn login(
    store: &Store,
    username: &str,
    password: &str,
    ip: &str,
) -> Result<StartedSession, ServiceError> {
    let (account_subject, ip_subject) =
        (format!("operator:{username}"), format!("console-ip:{ip}"));
    THROTTLE
        .check(
            store,
            &[
                (&account_subject, FAILURES_PER_ACCOUNT),
                (&ip_subject, FAILURES_PER_IP),
            ],
        )
        .await?;
    let operator = store::operators::find_by_username(store, username).await?;
    let matched = match &operator {
        Some(o) if o.disabled_at.is_none() => password_matches(password, &o.password_hash).await,
        _ => false,
    };
    let Some(operator) = operator.filter(|_| matched) else {
        let mut tx = store.begin_write().await?;
        THROTTLE
            .record_failure(&mut tx, &[&account_subject, &ip_subject])
            .await?;
        store::audit::append(
            &mut tx,
            &AuditEvent {
                actor: format!("ip:{ip}"),
                action: "operator.login_failed".into(),
                object: format!("operator-name:{username}"),
                details: serde_json::json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        return Err(ServiceError::new(
            ErrorKind::Unauthorized,
            "wrong_credentials",
            "wrong username or password",
            "用户名或密码错误",
        )
        .with_field("password"));
    };
    let mut tx = store.begin_write().await?;
    THROTTLE.clear(&mut tx, &account_subject).await?;
    let session =
        crate::sessions::start(&mut tx, Realm::Operator, operator.id, &CONSOLE_SESSIONS).await?;
    store::audit::append(
        &mut tx,
        &AuditEvent {
            actor: format!("operator:{}", operator.id),
            action: "operator.login".into(),
            object: format!("operator:{}", operator.id),
            details: serde_json::json!({"ip": ip}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// The operator of a console session cookie (a disabled operator has none).
pub async fn session(store: &Store, token: &str) -> Result<OperatorSession, ServiceError> {
    let live = crate::sessions::resume(store, Realm::Operator, token, &CONSOLE_SESSIONS).await?;
    let gone = || {
        ServiceError::new(
            ErrorKind::Unauthorized,
            "not_logged_in",
            "please log in",
            "请先登录",
        )
    };
    let operator = store::operators::find_by_id(store, live.principal_id)
        .await?
        .filter(|o| o.disabled_at.is_none())
        .ok_or_else(gone)?;
    Ok(OperatorSession {
        operator_id: operator.id,
        username: operator.username,
        display_name: operator.display_name,
        roles: operator
            .roles
            .parse()
            .map_err(|_| ServiceError::internal("stored roles", operator.id))?,
        live,
    })
}

/// Ends a console session.
pub async fn logout(store: &Store, session: &OperatorSession) -> Result<(), ServiceError> {
    let mut tx = store.begin_write().await?;
    crate::sessions::end(&mut tx, &session.live).await?;
    store::audit::append(
        &mut tx,
        &AuditEvent {
            actor: session.actor().label(),
            action: "operator.logout".into(),
            object: format!("operator:{}", session.operator_id),
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
