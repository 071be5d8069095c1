//! Merchant accounts with the online payment providers (支付商户). The installation's
//! merchant serves every channel; a channel whose money goes to another merchant (another
//! Alipay app, another WeChat Pay mchid) has its own. Both are set by an administrator
//! ([`set`], `certhall merchant set [--channel C]`) and kept in the database with the
//! private key (and WeChat Pay's APIv3 key) sealed under a key derived from the master
//! key, bound to the channel (`*` for the installation's), the provider and the app id;
//! never logged, never shown. The installation's may instead come from `serve`'s flags
//! (key files); a sealed one wins. [`build`] is the one place an adapter is made from
//! keys, for all of them.
//!
//! Which merchant serves an order is its channel's ([`crate::App::online_payment_for`]);
//! a notice is verified by each merchant of its provider until one both verifies it and is
//! the one it names.

use std::sync::Arc;
use std::time::Duration;

use domain::time::Clock;
use domain::{AuditAction, Role};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::people::actor::Actor;
use crate::{App, ErrorKind, OnlinePayment, ServiceError};

/// A merchant's keys with one provider.
pub enum MerchantKeys {
    Alipay {
        /// The gateway, `https://openapi.alipay.com/gateway.do` (or a simulator's).
        gateway: String,
        app_id: String,
        /// The payee its notices must name, when known.
        seller_id: Option<String>,
        /// The app's RSA private key (PEM).
        private_key: Zeroizing<String>,
        /// Alipay's public key (PEM).
        alipay_public_key: String,
    },
    Wechat {
        base_url: String,
        mchid: String,
        appid: String,
        merchant_serial: String,
        private_key: Zeroizing<String>,
        /// The WeChat Pay public key (PEM) and its id.
        public_key: String,
        public_key_id: String,
        apiv3_key: Zeroizing<String>,
    },
}

impl MerchantKeys {
    fn provider(&self) -> &'static str {
        match self {
            MerchantKeys::Alipay { .. } => "alipay",
            MerchantKeys::Wechat { .. } => "wechat",
        }
    }

    fn app_id(&self) -> &str {
        match self {
            MerchantKeys::Alipay { app_id, .. } => app_id,
            MerchantKeys::Wechat { mchid, .. } => mchid,
        }
    }
}

/// What is stored in clear: everything but the keys.
#[derive(Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "snake_case")]
enum Settings {
    Alipay {
        gateway: String,
        app_id: String,
        seller_id: Option<String>,
        alipay_public_key: String,
    },
    Wechat {
        base_url: String,
        mchid: String,
        appid: String,
        merchant_serial: String,
        public_key: String,
        public_key_id: String,
    },
}

/// What is sealed.
#[derive(Serialize, Deserialize)]
struct Secrets {
    private_key: String,
    apiv3_key: Option<String>,
}

/// How long a provider has to answer one call.
const TIMEOUT: Duration = Duration::from_secs(15);
/// How long a QR code may be paid.
const CODE_LIFETIME_SECONDS: i64 = 2 * 3600;

/// The adapter for `keys`, serving `channel` (`None`: every channel without its own), its
/// notices sent to `notify_url`.
pub fn build(
    keys: &MerchantKeys,
    channel: Option<&str>,
    notify_url: String,
    clock: Arc<dyn Clock>,
) -> Result<OnlinePayment, String> {
    let (provider, seller_id): (Arc<dyn providers::payment::PaymentProvider>, _) = match keys {
        MerchantKeys::Alipay {
            gateway,
            app_id,
            seller_id,
            private_key,
            alipay_public_key,
        } => (
            Arc::new(providers::payment::alipay::AlipayF2F::new(
                providers::payment::alipay::AlipaySettings {
                    gateway: gateway.clone(),
                    app_id: app_id.clone(),
                    private_key: private_key.clone(),
                    alipay_public_key: alipay_public_key.clone(),
                    timeout: TIMEOUT,
                },
                clock,
            )?),
            seller_id.clone(),
        ),
        MerchantKeys::Wechat {
            base_url,
            mchid,
            appid,
            merchant_serial,
            private_key,
            public_key,
            public_key_id,
            apiv3_key,
        } => (
            Arc::new(providers::payment::wechat::WechatNative::new(
                providers::payment::wechat::WechatSettings {
                    base_url: base_url.clone(),
                    mchid: mchid.clone(),
                    appid: appid.clone(),
                    merchant_serial: merchant_serial.clone(),
                    private_key: private_key.clone(),
                    public_key: public_key.clone(),
                    public_key_id: public_key_id.clone(),
                    apiv3_key: apiv3_key.clone(),
                    timeout: TIMEOUT,
                },
                clock,
            )?),
            None,
        ),
    };
    Ok(OnlinePayment {
        provider,
        name: keys.provider(),
        channel: channel.map(str::to_string),
        app_id: keys.app_id().to_string(),
        seller_id,
        notify_url,
        code_lifetime_seconds: CODE_LIFETIME_SECONDS,
    })
}

/// The stored channel code of the installation's merchant (every channel without its own).
const EVERY_CHANNEL: &str = "*";

/// What binds sealed keys to their row.
fn binding(channel: &str, provider: &str, app_id: &str) -> Vec<u8> {
    format!("certhall-merchant v1|{channel}|{provider}|{app_id}").into_bytes()
}

/// Where `provider`'s notices reach us: the same endpoint for every merchant, so the
/// installation's (which `--…-notify-url` may set) when there is one.
fn notify_url(app: &App, provider: &str) -> String {
    app.online_payments
        .iter()
        .find(|p| p.name == provider)
        .map(|p| p.notify_url.clone())
        .unwrap_or_else(|| {
            format!(
                "{}/pay/notify/{provider}",
                app.ca_settings.public_base_url.trim_end_matches('/')
            )
        })
}

/// Sets the merchant with the provider of `keys` of `channel` (`None`: the installation's,
/// for every channel without its own) (administrators): the keys are checked by making the
/// adapter, sealed, stored, and serve this node's orders at once (other nodes from their
/// next start). Audited without a secret.
pub async fn set(
    app: &App,
    actor: &Actor,
    channel: Option<&str>,
    keys: &MerchantKeys,
) -> Result<(), ServiceError> {
    actor.require_any(&[Role::Admin])?;
    if let Some(code) = channel {
        crate::hall::channels::stored_definition(app, code).await?;
    }
    let provider = keys.provider();
    build(keys, channel, notify_url(app, provider), app.clock()).map_err(|e| {
        ServiceError::new(
            ErrorKind::Invalid,
            "invalid_merchant_keys",
            format!("the {provider} keys do not work: {e}"),
            format!("支付商户密钥无效：{e}"),
        )
    })?;
    let (settings, secrets) = match keys {
        MerchantKeys::Alipay {
            gateway,
            app_id,
            seller_id,
            private_key,
            alipay_public_key,
        } => (
            Settings::Alipay {
                gateway: gateway.clone(),
                app_id: app_id.clone(),
                seller_id: seller_id.clone(),
                alipay_public_key: alipay_public_key.clone(),
            },
            Secrets {
                private_key: private_key.to_string(),
                apiv3_key: None,
            },
        ),
        MerchantKeys::Wechat {
            base_url,
            mchid,
            appid,
            merchant_serial,
            private_key,
            public_key,
            public_key_id,
            apiv3_key,
        } => (
            Settings::Wechat {
                base_url: base_url.clone(),
                mchid: mchid.clone(),
                appid: appid.clone(),
                merchant_serial: merchant_serial.clone(),
                public_key: public_key.clone(),
                public_key_id: public_key_id.clone(),
            },
            Secrets {
                private_key: private_key.to_string(),
                apiv3_key: Some(apiv3_key.to_string()),
            },
        ),
    };
    let plain = Zeroizing::new(
        serde_json::to_vec(&secrets).map_err(|e| ServiceError::internal("merchant", e))?,
    );
    drop(secrets);
    let channel = channel.unwrap_or(EVERY_CHANNEL);
    let sealed = app
        .secrets
        .payment_keys()
        .seal(&binding(channel, provider, keys.app_id()), &plain)
        .map_err(|e| ServiceError::internal("seal", e))?;
    let settings =
        serde_json::to_string(&settings).map_err(|e| ServiceError::internal("merchant", e))?;
    let mut tx = app.store.begin_write().await?;
    store::merchants::put(
        &mut tx,
        channel,
        provider,
        keys.app_id(),
        &settings,
        &sealed,
    )
    .await?;
    crate::audit::record(
        &mut tx,
        actor,
        AuditAction::MerchantSet,
        format!("merchant:{channel}"),
        serde_json::json!({"provider": provider, "app_id": keys.app_id()}),
    )
    .await?;
    tx.commit().await?;
    app.set_channel_merchants(load(app).await?);
    Ok(())
}

/// A merchant as administrators see it (no key).
#[derive(Debug, Clone)]
pub struct MerchantSummary {
    /// The channel, or `*` for the installation's.
    pub channel: String,
    pub provider: String,
    pub app_id: String,
    pub updated_at: i64,
}

pub async fn list(app: &App, actor: &Actor) -> Result<Vec<MerchantSummary>, ServiceError> {
    actor.require_any(&[Role::Admin])?;
    Ok(store::merchants::all(&app.store)
        .await?
        .into_iter()
        .map(|m| MerchantSummary {
            channel: m.channel_code,
            provider: m.provider,
            app_id: m.app_id,
            updated_at: m.updated_at,
        })
        .collect())
}

/// The channels' merchants as adapters, their keys unsealed.
pub(crate) async fn load(app: &App) -> Result<Vec<OnlinePayment>, ServiceError> {
    let mut loaded = Vec::new();
    for row in store::merchants::all(&app.store).await? {
        let plain = Zeroizing::new(
            app.secrets
                .payment_keys()
                .open(
                    &binding(&row.channel_code, &row.provider, &row.app_id),
                    &row.sealed,
                )
                .map_err(|e| ServiceError::internal("merchant keys", e))?,
        );
        let secrets: Secrets =
            serde_json::from_slice(&plain).map_err(|e| ServiceError::internal("merchant", e))?;
        let settings: Settings = serde_json::from_str(&row.settings)
            .map_err(|e| ServiceError::internal("merchant", e))?;
        let private_key = Zeroizing::new(secrets.private_key);
        let keys = match settings {
            Settings::Alipay {
                gateway,
                app_id,
                seller_id,
                alipay_public_key,
            } => MerchantKeys::Alipay {
                gateway,
                app_id,
                seller_id,
                private_key,
                alipay_public_key,
            },
            Settings::Wechat {
                base_url,
                mchid,
                appid,
                merchant_serial,
                public_key,
                public_key_id,
            } => MerchantKeys::Wechat {
                base_url,
                mchid,
                appid,
                merchant_serial,
                private_key,
                public_key,
                public_key_id,
                apiv3_key: Zeroizing::new(secrets.apiv3_key.unwrap_or_default()),
            },
        };
        let channel = Some(row.channel_code.as_str()).filter(|c| *c != EVERY_CHANNEL);
        let online = build(
            &keys,
            channel,
            notify_url(app, keys.provider()),
            app.clock(),
        )
        .map_err(|e| ServiceError::internal("merchant keys", e))?;
        loaded.push(online);
    }
    Ok(loaded)
}
