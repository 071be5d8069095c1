//! API tokens that let registration-authority systems act, scoped to CAs and profiles.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use domain::{AuditAction, Role};

use crate::people::actor::{Actor, Scope};
use crate::{App, ErrorKind, ServiceError};

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

/// Creates a token (administrators); returns the secret, which is shown once and stored
/// only hashed.
pub async fn create(
    app: &App,
    actor: &Actor,
    name: &str,
    cas: &Scope,
    profiles: &Scope,
) -> Result<String, ServiceError> {
    actor.require_any(&[Role::Admin])?;
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
        let engine = app.ca().await?;
        for ca in names {
            engine.registry.require(ca)?;
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
    let mut tx = app.store.begin_write().await?;
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
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::ApiTokenCreate,
        format!("api-token:{name}"),
        serde_json::json!({"cas": cas.to_text(), "profiles": profiles.to_text()}),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Revokes a token by name (administrators).
pub async fn revoke(app: &App, actor: &Actor, name: &str) -> Result<(), ServiceError> {
    actor.require_any(&[Role::Admin])?;
    let mut tx = app.store.begin_write().await?;
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
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::ApiTokenRevoke,
        format!("api-token:{name}"),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The actor a bearer token stands for.
pub async fn authenticate(app: &App, token: &str) -> Result<Actor, ServiceError> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 64 {
        return Err(unauthorized());
    }
    let record = store::api_tokens::find_active_by_hash(&app.store, &hash_token(token))
        .await?
        .ok_or_else(unauthorized)?;
    Ok(Actor::ApiToken {
        name: record.name,
        cas: Scope::parse(&record.cas),
        profiles: Scope::parse(&record.profiles),
    })
}

/// A token as listed (never its secret).
#[derive(Debug, Clone)]
pub struct TokenSummary {
    pub name: String,
    pub cas: String,
    pub profiles: String,
    pub revoked: bool,
}

/// Every token (administrators).
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<TokenSummary>, ServiceError> {
    actor.require_any(&[Role::Admin])?;
    Ok(store::api_tokens::list(&app.store)
        .await?
        .into_iter()
        .map(|t| TokenSummary {
            name: t.name,
            cas: t.cas,
            profiles: t.profiles,
            revoked: t.revoked_at.is_some(),
        })
        .collect())
}
