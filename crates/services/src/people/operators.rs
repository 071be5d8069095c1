//! Operators of the console: the initial administrator, creation with roles, listing,
//! disabling, password resets, console login (throttled like customers'). Who may manage
//! operators (administrators, or the command line) is checked here, as is the rule that an
//! administrator cannot lock themselves out.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use domain::{AuditAction, Role, Roles};
use store::operators::OperatorRecord;
use zeroize::Zeroizing;

use super::actor::Actor;
use super::credentials::{Throttle, hash_password, password_matches, random_password};
use super::sessions::{LiveSession, Realm, SessionPolicy, StartedSession};
use crate::{App, ErrorKind, ServiceError};

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
            roles: self.roles.clone(),
        }
    }

    /// Whether the operator has any of `roles` (the console hides what they cannot use;
    /// the use cases refuse it).
    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.roles.contains(*r))
    }
}

/// An operator as listed.
#[derive(Debug, Clone)]
pub struct OperatorSummary {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Roles,
    pub disabled: bool,
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
/// 0600 file in the data directory; returns that file's path. Later starts return `None`.
pub async fn ensure_initial_admin(app: &App) -> Result<Option<PathBuf>, ServiceError> {
    if store::operators::count(&app.store).await? > 0 {
        return Ok(None);
    }
    let password = random_password()?;
    let path = app.data_dir.join(INITIAL_ADMIN_FILE);
    let hash = hash_password(&password).await?;
    let roles: Roles = Role::Admin
        .as_str()
        .parse()
        .map_err(|_| ServiceError::internal("roles", "admin"))?;
    let mut tx = app.store.begin_write().await?;
    let Some(id) = store::operators::insert(&mut tx, "admin", "管理员", &hash, &roles).await?
    else {
        return Ok(None);
    };
    crate::audit::record(
        &mut tx,
        &Actor::System,
        AuditAction::OperatorCreate,
        format!("operator:{id}"),
        serde_json::json!({"username": "admin", "roles": "admin", "initial": true}),
    )
    .await?;
    // The file first: if it cannot be written, the administrator is not created either.
    let _ = std::fs::remove_file(&path);
    writes_password_file(&path, &password)?;
    tx.commit().await?;
    Ok(Some(path))
}

/// Creates an operator with a random password, returned once (administrators).
pub async fn create(
    app: &App,
    actor: &Actor,
    username: &str,
    display_name: &str,
    roles: &str,
) -> Result<Zeroizing<String>, ServiceError> {
    actor.require_any(&[Role::Admin])?;
    check_username(username)?;
    let roles = parse_roles(roles)?;
    let display_name = domain::text::required("name", display_name, 64, "姓名")?;
    let password = random_password()?;
    let hash = hash_password(&password).await?;
    let mut tx = app.store.begin_write().await?;
    let id = store::operators::insert(&mut tx, username, &display_name, &hash, &roles)
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
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::OperatorCreate,
        format!("operator:{id}"),
        serde_json::json!({"username": username, "roles": roles.to_text()}),
    )
    .await?;
    tx.commit().await?;
    Ok(password)
}

/// Every operator, in order of creation (administrators).
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<OperatorSummary>, ServiceError> {
    actor.require_any(&[Role::Admin])?;
    Ok(store::operators::list(&app.store)
        .await?
        .into_iter()
        .map(|o| OperatorSummary {
            id: o.id,
            username: o.username,
            display_name: o.display_name,
            roles: o.roles,
            disabled: o.disabled_at.is_some(),
        })
        .collect())
}

async fn find(app: &App, username: &str) -> Result<OperatorRecord, ServiceError> {
    store::operators::find_by_username(&app.store, username)
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

/// Applies a change (administrators; audited); a reset returns the new password, shown
/// once. Disabling or a password reset ends the operator's sessions. An administrator in
/// the console cannot disable themselves or drop their own administrator role.
pub async fn change(
    app: &App,
    actor: &Actor,
    username: &str,
    change: Change<'_>,
) -> Result<Option<Zeroizing<String>>, ServiceError> {
    actor.require_any(&[Role::Admin])?;
    let operator = find(app, username).await?;
    let new_roles = match &change {
        Change::Roles(text) => Some(parse_roles(text)?),
        _ => None,
    };
    if let Actor::Operator { id, .. } = actor
        && *id == operator.id
    {
        let drops_admin = new_roles.as_ref().is_some_and(|r| !r.contains(Role::Admin));
        if matches!(change, Change::Disable) || drops_admin {
            return Err(ServiceError::new(
                ErrorKind::Invalid,
                "self_lockout",
                "you cannot disable yourself or drop your own administrator role",
                "不能停用自己或取消自己的管理员角色",
            )
            .with_field("action"));
        }
    }
    let mut password = None;
    let mut hash = None;
    if let Change::ResetPassword = change {
        let new = random_password()?;
        hash = Some(hash_password(&new).await?);
        password = Some(new);
    }
    let mut tx = app.store.begin_write().await?;
    store::operators::lock_active_admins(&mut tx).await?;
    let (action, details) = match (change, new_roles) {
        (Change::Roles(_), Some(roles)) => {
            store::operators::set_roles(&mut tx, operator.id, &roles).await?;
            (
                AuditAction::OperatorRoles,
                serde_json::json!({"from": operator.roles.to_text(), "to": roles.to_text()}),
            )
        }
        (Change::Roles(_), None) => return Err(ServiceError::internal("roles", "unparsed")),
        (Change::Disable, _) => {
            store::operators::set_disabled(&mut tx, operator.id, true).await?;
            super::sessions::end_all(&mut tx, Realm::Operator, operator.id, None).await?;
            (AuditAction::OperatorDisable, serde_json::json!({}))
        }
        (Change::Enable, _) => {
            store::operators::set_disabled(&mut tx, operator.id, false).await?;
            (AuditAction::OperatorEnable, serde_json::json!({}))
        }
        (Change::ResetPassword, _) => {
            store::operators::set_password(
                &mut tx,
                operator.id,
                hash.as_deref().unwrap_or_default(),
            )
            .await?;
            super::sessions::end_all(&mut tx, Realm::Operator, operator.id, None).await?;
            (AuditAction::OperatorResetPassword, serde_json::json!({}))
        }
    };
    // Checked inside the transaction, after the change: two administrators demoting each
    // other at the same moment cannot both succeed.
    if store::operators::count_active_admins(&mut tx).await? == 0 {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "last_admin",
            "this would leave no active administrator",
            "操作后将没有可用的管理员，不能执行",
        )
        .with_field("action"));
    }
    crate::audit::record(
        &mut tx,
        actor,
        action,
        format!("operator:{}", operator.id),
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(password)
}

/// Console login; throttled per operator and per address like customers' logins. The
/// console session of `replaces` (the cookie the request came with) ends.
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
    ip: &str,
    replaces: Option<&str>,
) -> Result<StartedSession, ServiceError> {
    // A name no operator can have is looked up as nobody, and only its first characters
    // are counted and audited (a stranger's 60 KB name is not stored).
    let possible = check_username(username).is_ok();
    let username = domain::text::clip(username, 40);
    let (account_subject, ip_subject) =
        (format!("operator:{username}"), format!("console-ip:{ip}"));
    let attempt = THROTTLE
        .reserve(
            app,
            &[
                (&account_subject, FAILURES_PER_ACCOUNT),
                (&ip_subject, FAILURES_PER_IP),
            ],
        )
        .await?;
    let operator = match possible {
        true => store::operators::find_by_username(&app.store, &username).await?,
        false => None,
    };
    // A disabled operator's hash is still checked, so that the answer takes as long.
    let stored = operator.as_ref().map(|o| o.password_hash.as_str());
    let matched = password_matches(password, stored).await?;
    let Some(operator) = operator.filter(|o| matched && o.disabled_at.is_none()) else {
        let refusal = THROTTLE
            .refuse_login(
                app,
                attempt,
                ip,
                (
                    AuditAction::OperatorLoginFailed,
                    format!("operator-name:{username}"),
                ),
                ("wrong username or password", "用户名或密码错误"),
            )
            .await?;
        return Err(refusal);
    };
    let mut tx = app.store.begin_write().await?;
    THROTTLE.succeed(&mut tx, attempt, &account_subject).await?;
    let session = super::sessions::start(
        &mut tx,
        Realm::Operator,
        operator.id,
        &CONSOLE_SESSIONS,
        replaces,
    )
    .await?;
    let actor = Actor::Operator {
        id: operator.id,
        username: operator.username.clone(),
        roles: operator.roles.clone(),
    };
    crate::audit::record(
        &mut tx,
        &actor,
        AuditAction::OperatorLogin,
        format!("operator:{}", operator.id),
        serde_json::json!({"ip": ip}),
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// The operator of a console session cookie (a disabled operator has none).
pub async fn session(app: &App, token: &str) -> Result<OperatorSession, ServiceError> {
    let live = super::sessions::resume(app, Realm::Operator, token, &CONSOLE_SESSIONS).await?;
    let gone = || {
        ServiceError::new(
            ErrorKind::Unauthorized,
            "not_logged_in",
            "please log in",
            "请先登录",
        )
    };
    let operator = store::operators::find_by_id(&app.store, live.principal_id)
        .await?
        .filter(|o| o.disabled_at.is_none())
        .ok_or_else(gone)?;
    Ok(OperatorSession {
        operator_id: operator.id,
        username: operator.username,
        display_name: operator.display_name,
        roles: operator.roles,
        live,
    })
}

/// Ends a console session.
pub async fn logout(app: &App, session: &OperatorSession) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    super::sessions::end(&mut tx, &session.live).await?;
    crate::audit::record(
        &mut tx,
        &session.actor(),
        AuditAction::OperatorLogout,
        format!("operator:{}", session.operator_id),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
