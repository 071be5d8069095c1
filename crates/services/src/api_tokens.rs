//! API tokens that let registration-authority systems act, scoped to CAs and profiles.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use store::audit::AuditEvent;

use crate::actor::{Actor, Scope};
use crate::{ErrorKind, Pki, ServiceError};

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
