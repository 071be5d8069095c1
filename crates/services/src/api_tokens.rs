//! Who is acting (for authorization and the audit log), and the API tokens that let
//! registration-authority systems act.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use store::audit::AuditEvent;

use crate::{ErrorKind, Pki, ServiceError};

/// A set of names a token may use: everything, or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Only(Vec<String>),
}

impl Scope {
    pub fn parse(text: &str) -> Scope {
        let names: Vec<String> = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if names.is_empty() || names.iter().any(|n| n == "*") {
            Scope::All
        } else {
            Scope::Only(names)
        }
    }

    pub fn allows(&self, name: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Only(names) => names.iter().any(|n| n == name),
        }
    }

    pub fn to_text(&self) -> String {
        match self {
            Scope::All => "*".into(),
            Scope::Only(names) => names.join(","),
        }
    }
}

/// Who performs an action.
#[derive(Debug, Clone)]
pub enum Actor {
    /// An operator at the command line (the OS user).
    Cli(String),
    /// An API token, limited to some CAs and profiles.
    ApiToken {
        name: String,
        cas: Scope,
        profiles: Scope,
    },
    /// An operator in the console.
    Operator { id: i64, username: String },
    /// CertHall itself (bootstrap, renewals, schedules).
    System,
}

impl Actor {
    /// How the actor appears in the audit log.
    pub fn label(&self) -> String {
        match self {
            Actor::Cli(user) => format!("cli:{user}"),
            Actor::ApiToken { name, .. } => format!("api-token:{name}"),
            Actor::Operator { id, username } => format!("operator:{id}:{username}"),
            Actor::System => "system".into(),
        }
    }

    fn forbidden(&self, what: &str, name: &str) -> ServiceError {
        ServiceError::new(
            ErrorKind::Forbidden,
            "forbidden",
            format!("{} may not use {what} {name:?}", self.label()),
            format!(
                "{} 无权使用{}“{name}”",
                self.label(),
                if what == "CA" { " CA " } else { "证书模板" }
            ),
        )
        .with_field(if what == "CA" { "ca" } else { "profile" })
    }

    pub fn check_ca(&self, ca: &str) -> Result<(), ServiceError> {
        match self {
            Actor::ApiToken { cas, .. } if !cas.allows(ca) => Err(self.forbidden("CA", ca)),
            _ => Ok(()),
        }
    }

    pub fn check_profile(&self, profile: &str) -> Result<(), ServiceError> {
        match self {
            Actor::ApiToken { profiles, .. } if !profiles.allows(profile) => {
                Err(self.forbidden("profile", profile))
            }
            _ => Ok(()),
        }
    }
}

/// Prefix of every token, so leaked tokens are easy to search for.
pub const TOKEN_PREFIX: &str = "cht_";

fn hash_token(token: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        token.as_bytes(),
    ))
}

fn unauthorized() -> ServiceError {
    ServiceError::new(
        ErrorKind::Unauthorized,
        "unauthorized",
        "a valid API token is required (Authorization: Bearer …)",
        "需要有效的 API 令牌（Authorization: Bearer …）",
    )
}

impl Pki {
    /// Creates a token; returns the secret, which is shown once and stored only hashed.
    pub async fn create_api_token(
        &self,
        name: &str,
        cas: &Scope,
        profiles: &Scope,
        actor: &Actor,
    ) -> Result<String, ServiceError> {
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(ServiceError::new(
                ErrorKind::Invalid,
                "invalid_name",
                "token name: 1 to 64 letters, digits, '-', '_' or '.'",
                "令牌名称：1 至 64 个字母、数字、“-”、“_”或“.”",
            )
            .with_field("name"));
        }
        if let Scope::Only(names) = cas {
            for ca in names {
                self.registry.require(ca)?;
            }
        }
        if let Scope::Only(names) = profiles {
            for p in names {
                p.parse::<pki::profile::Profile>()
                    .map_err(|e| ServiceError::from_pki(e, "profiles"))?;
            }
        }
        let mut secret = [0u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| ServiceError::internal("random", "token"))?;
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
        let mut tx = self.store.begin_write().await?;
        if store::api_tokens::find_by_name(&mut tx, name)
            .await?
            .is_some()
        {
            return Err(ServiceError::new(
                ErrorKind::Conflict,
                "token_exists",
                format!("a token named {name:?} already exists"),
                format!("名为“{name}”的令牌已存在"),
            )
            .with_field("name"));
        }
        store::api_tokens::insert(
            &mut tx,
            name,
            &hash_token(&token),
            &cas.to_text(),
            &profiles.to_text(),
        )
        .await?;
        store::audit::append(
            &mut tx,
            &AuditEvent {
                actor: actor.label(),
                action: "api_token.create".into(),
                object: format!("api-token:{name}"),
                details: serde_json::json!({"cas": cas.to_text(), "profiles": profiles.to_text()}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Revokes a token by name.
    pub async fn revoke_api_token(&self, name: &str, actor: &Actor) -> Result<(), ServiceError> {
        let mut tx = self.store.begin_write().await?;
        let record = store::api_tokens::find_by_name(&mut tx, name)
            .await?
            .filter(|t| t.revoked_at.is_none())
            .ok_or_else(|| {
                ServiceError::new(
                    ErrorKind::NotFound,
                    "unknown_token",
                    format!("no active token named {name:?}"),
                    format!("没有名为“{name}”的有效令牌"),
                )
                .with_field("name")
            })?;
        store::api_tokens::revoke(&mut tx, record.id).await?;
        store::audit::append(
            &mut tx,
            &AuditEvent {
                actor: actor.label(),
                action: "api_token.revoke".into(),
                object: format!("api-token:{name}"),
                details: serde_json::json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor a bearer token stands for.
    pub async fn authenticate_token(&self, token: &str) -> Result<Actor, ServiceError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 64 {
            return Err(unauthorized());
        }
        let record = store::api_tokens::find_active_by_hash(&self.store, &hash_token(token))
            .await?
            .ok_or_else(unauthorized)?;
        Ok(Actor::ApiToken {
            name: record.name,
            cas: Scope::parse(&record.cas),
            profiles: Scope::parse(&record.profiles),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_allow() {
        assert_eq!(Scope::parse("*"), Scope::All);
        assert_eq!(Scope::parse(""), Scope::All);
        let s = Scope::parse("ecdsa-ca, sm2-ca");
        assert!(s.allows("sm2-ca") && !s.allows("rsa-ca"));
        assert_eq!(s.to_text(), "ecdsa-ca,sm2-ca");
    }

    #[test]
    fn token_scope_limits_cas_and_profiles() {
        let actor = Actor::ApiToken {
            name: "ra".into(),
            cas: Scope::parse("ecdsa-ca"),
            profiles: Scope::parse("org-sign"),
        };
        assert!(actor.check_ca("ecdsa-ca").is_ok());
        assert_eq!(
            actor.check_ca("rsa-ca").unwrap_err().kind,
            ErrorKind::Forbidden
        );
        assert_eq!(
            actor.check_profile("ocsp").unwrap_err().field.as_deref(),
            Some("profile")
        );
        assert!(Actor::Cli("root".into()).check_ca("anything").is_ok());
    }
}
