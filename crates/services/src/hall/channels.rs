//! Channels in the database: seeded from the hall configuration, read by the hall, edited
//! by administrators (versioned, audited).

use domain::{AuditAction, Channel, Role};

use super::config::check_channel;
use crate::people::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// A channel and its version (for optimistic concurrency when editing).
#[derive(Debug, Clone)]
pub struct StoredChannel {
    pub channel: Channel,
    pub version: i64,
    pub updated_at: i64,
}

fn decode(record: store::channels::ChannelRecord) -> Result<StoredChannel, ServiceError> {
    let channel = serde_json::from_str(&record.definition).map_err(|e| {
        ServiceError::internal("channel definition", format!("{}: {e}", record.code))
    })?;
    Ok(StoredChannel {
        channel,
        version: record.version,
        updated_at: record.updated_at,
    })
}

fn encode(channel: &Channel) -> Result<String, ServiceError> {
    serde_json::to_string(channel).map_err(|e| ServiceError::internal("channel definition", e))
}

/// Inserts the hall configuration's channels the database does not have yet (one audit
/// event each); channels already there keep their (possibly edited) definition. Returns
/// the codes added.
pub async fn seed(app: &App) -> Result<Vec<String>, ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let mut added = Vec::new();
    for channel in &app.hall.channels {
        if store::channels::insert_if_absent(&mut tx, &channel.code, &encode(channel)?).await? {
            crate::audit::record(
                &mut tx,
                &Actor::System,
                AuditAction::ChannelCreate,
                format!("channel:{}", channel.code),
                serde_json::json!({"source": "hall configuration"}),
            )
            .await?;
            added.push(channel.code.clone());
        }
    }
    tx.commit().await?;
    Ok(added)
}

async fn stored(app: &App) -> Result<Vec<StoredChannel>, ServiceError> {
    store::channels::list(&app.store)
        .await?
        .into_iter()
        .map(decode)
        .collect()
}

/// Every channel, enabled or not, by code, with its version (administrators).
pub async fn all(app: &App, actor: &Actor) -> Result<Vec<StoredChannel>, ServiceError> {
    actor.require_any(&[Role::Admin])?;
    stored(app).await
}

/// The enabled channels, by code, as customers see them.
pub async fn enabled(app: &App) -> Result<Vec<Channel>, ServiceError> {
    Ok(stored(app)
        .await?
        .into_iter()
        .map(|c| c.channel)
        .filter(|c| c.enabled)
        .collect())
}

fn not_found(code: &str) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        "unknown_channel",
        format!("no channel {code:?}"),
        format!("业务渠道“{code}”不存在"),
    )
}

async fn get_stored(app: &App, code: &str) -> Result<StoredChannel, ServiceError> {
    match store::channels::get(&app.store, code).await? {
        Some(record) => decode(record),
        None => Err(not_found(code)),
    }
}

/// One channel, enabled or not, with its version (administrators).
pub async fn get(app: &App, actor: &Actor, code: &str) -> Result<StoredChannel, ServiceError> {
    actor.require_any(&[Role::Admin])?;
    get_stored(app, code).await
}

/// An enabled channel, as customers see it (a disabled one does not exist for them).
pub async fn get_enabled(app: &App, code: &str) -> Result<Channel, ServiceError> {
    let stored = get_stored(app, code).await?;
    if !stored.channel.enabled {
        return Err(not_found(code));
    }
    Ok(stored.channel)
}

/// The current definition of channel `code`, enabled or not: what an application made in
/// it reads (a channel closed later still describes its applications).
pub(crate) async fn stored_definition(app: &App, code: &str) -> Result<Channel, ServiceError> {
    Ok(get_stored(app, code).await?.channel)
}

/// A channel as the TOML an administrator edits.
pub fn to_toml(channel: &Channel) -> Result<String, ServiceError> {
    toml::to_string_pretty(channel).map_err(|e| ServiceError::internal("channel to TOML", e))
}

/// Replaces channel `code` by the definition in `text` (TOML), if nobody changed it since
/// `expected_version` was read (administrators). Audited with the top-level fields that
/// changed.
pub async fn update(
    app: &App,
    actor: &Actor,
    code: &str,
    text: &str,
    expected_version: i64,
) -> Result<StoredChannel, ServiceError> {
    actor.require_any(&[Role::Admin])?;
    let invalid = |field: String, en: String, zh: String| {
        ServiceError::new(ErrorKind::Invalid, "invalid_channel", en, zh).with_field(field)
    };
    // Browsers send a textarea's line ends as CRLF; the definition's texts use LF.
    let text = &text.replace("\r\n", "\n");
    let channel: Channel = toml::from_str(text).map_err(|e| {
        let message = e.message().to_string();
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
        let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
        let at_zh = line.map(|l| format!("（第{l}行）")).unwrap_or_default();
        invalid(
            "definition".into(),
            format!("not a valid channel definition{at}: {message}"),
            format!("渠道定义格式有误{at_zh}：{message}"),
        )
    })?;
    check_channel(&channel).map_err(|e| {
        invalid(
            format!("definition.{}", e.field),
            format!("{}: {}", e.field, e.en),
            format!("{}：{}", e.field, e.zh),
        )
    })?;
    if channel.code != code {
        return Err(invalid(
            "definition.code".into(),
            "the code of a channel cannot change (its URL is printed on documents)".into(),
            "渠道代码不可修改（其网址已印在材料上）".into(),
        ));
    }
    let before = get_stored(app, code).await?;
    let changed = changed_fields(&before.channel, &channel)?;
    let mut tx = app.store.begin_write().await?;
    if !store::channels::update(&mut tx, code, &encode(&channel)?, expected_version).await? {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "channel_changed",
            "someone else changed this channel meanwhile: reload it and apply your change again",
            "该渠道已被他人修改，请重新打开后再修改",
        )
        .with_field("version"));
    }
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::ChannelUpdate,
        format!("channel:{code}"),
        serde_json::json!({"from_version": expected_version, "changed": changed}),
    )
    .await?;
    tx.commit().await?;
    get_stored(app, code).await
}

/// The top-level fields whose values differ.
fn changed_fields(before: &Channel, after: &Channel) -> Result<Vec<String>, ServiceError> {
    let to_map = |c: &Channel| match serde_json::to_value(c) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(ServiceError::internal("channel diff", "not an object")),
    };
    let (before, after) = (to_map(before)?, to_map(after)?);
    Ok(after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect())
}
