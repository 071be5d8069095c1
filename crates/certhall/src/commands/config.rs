//! From flags to the application: the configuration (`services::Config`), the providers
//! the flags choose, and the one way every command opens the [`App`].

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use domain::MessageKind;
use domain::time::{Clock, SystemClock};
use providers::notify::Notifier;
use providers::notify::file::FileNotifier;
use providers::notify::sms_gateway::HttpSmsGateway;
use providers::notify::smtp::SmtpNotifier;
use services::app::IdentityProviders;
use services::ca::Pkcs11Settings;
use services::{App, Config, Notifiers};

use services::hall::merchants::MerchantKeys;

use crate::cli::{
    CourierProvider, EmailProvider, GlobalArgs, IdentityProvider, InvoicingProvider, SmsProvider,
    StorageProvider,
};

/// The configuration the flags describe.
pub fn config(global: &GlobalArgs, clock: Arc<dyn Clock>) -> Result<Config> {
    let mut config = Config::under(&global.data_dir, clock).map_err(anyhow::Error::msg)?;
    if let Some(url) = &global.database_url {
        config.database_url = url.clone();
    }
    if let Some(file) = &global.master_key_file {
        config.master_key_file = file.clone();
    }
    config.hall = services::hall::config::HallConfig::load(global.hall_config.as_deref())
        .map_err(|e| anyhow::anyhow!("hall configuration: {e}"))?;
    config.calendar = services::hall::calendar::load(global.working_calendar.as_deref())
        .map_err(|e| anyhow::anyhow!("working calendar: {e}"))?;
    if let Some(path) = &global.pdf_font {
        config.pdf_font.path = path.clone();
    }
    config.pdf_font.index = global.pdf_font_index;
    if global.sms_resend_after > 3600 {
        bail!("--sms-resend-after: at most 3600 seconds");
    }
    config.accounts.code_resend_after = std::time::Duration::from_secs(global.sms_resend_after);
    config.public_url = global.public_url.clone();
    if let StorageProvider::S3 = global.storage {
        config.storage = Arc::new(s3_store(global, config.clock.clone())?);
    }
    if let IdentityProvider::Http = global.identity {
        config.identity = identity_service(global, config.clock.clone())?;
    }
    config.invoicing = match global.invoicing {
        InvoicingProvider::None => None,
        InvoicingProvider::Sandbox => Some(services::flows::invoice::sandbox_issuer(
            config.pdf_font.clone(),
        )),
        InvoicingProvider::Http => Some(invoicing_service(global, config.clock.clone())?),
    };
    config.courier = match global.courier {
        CourierProvider::None => None,
        CourierProvider::Sandbox => Some(Arc::new(
            providers::courier::kuaidi100::Kuaidi100::sandboxed(
                Arc::new(providers::courier::sandbox::Kuaidi100Sandbox::new(
                    config.clock.clone(),
                )),
                config.clock.clone(),
            ),
        )),
        CourierProvider::Kuaidi100 => Some(kuaidi100(global, config.clock.clone())?),
    };
    if global.alipay_gateway.is_some() {
        config
            .online_payments
            .push(alipay(global, config.clock.clone())?);
    }
    if global.wechat_base_url.is_some() {
        config
            .online_payments
            .push(wechat(global, config.clock.clone())?);
    }
    let ca = &mut config.ca;
    if let Some(oid) = &global.policy_oid {
        ca.policy_oid = oid
            .parse()
            .map_err(|_| anyhow::anyhow!("--policy-oid: {oid:?} is not an object identifier"))?;
    }
    ca.ca_organization = global.ca_organization.clone();
    if global.crl_interval < 60 {
        bail!("--crl-interval: at least 60 seconds");
    }
    if global.ocsp_validity < 60 {
        bail!("--ocsp-validity: at least 60 seconds");
    }
    ca.crl_interval = std::time::Duration::from_secs(global.crl_interval);
    ca.ocsp_validity = std::time::Duration::from_secs(global.ocsp_validity);
    if global.status_lookups_per_minute == 0 {
        bail!("--status-lookups-per-minute: at least 1");
    }
    ca.status_lookups_per_minute = global.status_lookups_per_minute;
    if let Some(pin_file) = &global.pkcs11_pin_file {
        let sm2_mechanism = match &global.pkcs11_sm2_mechanism {
            Some(text) => Some(
                parse_number(text).with_context(|| format!("--pkcs11-sm2-mechanism: {text:?}"))?,
            ),
            None => None,
        };
        ca.pkcs11 = Some(Pkcs11Settings {
            module: None,
            token_label: None,
            pin_file: pin_file.clone(),
            sm2_mechanism,
        });
    }
    Ok(config)
}

/// The S3-compatible store the flags describe.
fn s3_store(global: &GlobalArgs, clock: Arc<dyn Clock>) -> Result<providers::storage::s3::S3Store> {
    let required = |value: &Option<String>, flag: &str| {
        value
            .clone()
            .with_context(|| format!("{flag} is required with --storage s3"))
    };
    let path = global
        .s3_secret_key_file
        .as_ref()
        .context("--s3-secret-key-file is required with --storage s3")?;
    let secret = std::fs::read_to_string(path)
        .with_context(|| format!("--s3-secret-key-file: reading {}", path.display()))?;
    providers::storage::s3::S3Store::new(
        providers::storage::s3::S3Settings {
            endpoint: required(&global.s3_endpoint, "--s3-endpoint")?,
            bucket: required(&global.s3_bucket, "--s3-bucket")?,
            region: global.s3_region.clone(),
            access_key_id: required(&global.s3_access_key_id, "--s3-access-key-id")?,
            secret_access_key: zeroize::Zeroizing::new(secret.trim().to_string()),
        },
        clock,
    )
    .map_err(anyhow::Error::msg)
}

/// kuaidi100 with the account the flags describe.
fn kuaidi100(
    global: &GlobalArgs,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn providers::courier::CourierService>> {
    use providers::courier::kuaidi100::{Credentials, Kuaidi100, LABEL_URL, QUERY_URL};
    let required = |value: &Option<String>, flag: &str| {
        value
            .clone()
            .with_context(|| format!("{flag} is required with --courier kuaidi100"))
    };
    let read = |path: &std::path::PathBuf, flag: &str| {
        std::fs::read_to_string(path)
            .map(|text| zeroize::Zeroizing::new(text.trim().to_string()))
            .with_context(|| format!("{flag}: reading {}", path.display()))
    };
    let secret_file = global
        .kuaidi100_secret_file
        .as_ref()
        .context("--kuaidi100-secret-file is required with --courier kuaidi100")?;
    let credentials = Credentials {
        key: required(&global.kuaidi100_key, "--kuaidi100-key")?,
        customer: required(&global.kuaidi100_customer, "--kuaidi100-customer")?,
        secret: read(secret_file, "--kuaidi100-secret-file")?,
        partner_id: required(&global.kuaidi100_partner_id, "--kuaidi100-partner-id")?,
        partner_key: match &global.kuaidi100_partner_key_file {
            Some(path) => Some(read(path, "--kuaidi100-partner-key-file")?),
            None => None,
        },
    };
    let courier = Kuaidi100::new(
        credentials,
        LABEL_URL,
        QUERY_URL,
        clock,
        std::time::Duration::from_secs(15),
    )
    .map_err(anyhow::Error::msg)?;
    Ok(Arc::new(courier))
}

/// The invoicing platform the flags describe (signed JSON).
fn invoicing_service(
    global: &GlobalArgs,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn providers::invoicing::InvoiceIssuer>> {
    let url = global
        .invoicing_url
        .as_deref()
        .context("--invoicing-url is required with --invoicing http")?;
    let app_id = global
        .invoicing_app_id
        .as_deref()
        .context("--invoicing-app-id is required with --invoicing http")?;
    let path = global
        .invoicing_secret_file
        .as_ref()
        .context("--invoicing-secret-file is required with --invoicing http")?;
    let secret = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("--invoicing-secret-file: reading {}", path.display()))?,
    );
    if !(1..=120).contains(&global.invoicing_timeout) {
        bail!("--invoicing-timeout: 1 to 120 seconds");
    }
    let issuer = providers::invoicing::http::HttpIssuer::new(
        url,
        app_id,
        secret.trim().as_bytes(),
        std::time::Duration::from_secs(global.invoicing_timeout),
        clock,
    )
    .map_err(anyhow::Error::msg)?;
    Ok(Arc::new(issuer))
}

/// The identity service the flags describe.
fn identity_service(global: &GlobalArgs, clock: Arc<dyn Clock>) -> Result<IdentityProviders> {
    let url = global
        .identity_url
        .as_deref()
        .context("--identity-url is required with --identity http")?;
    let app_id = global
        .identity_app_id
        .as_deref()
        .context("--identity-app-id is required with --identity http")?;
    let path = global
        .identity_secret_file
        .as_ref()
        .context("--identity-secret-file is required with --identity http")?;
    let secret = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("--identity-secret-file: reading {}", path.display()))?,
    );
    if !(1..=120).contains(&global.identity_timeout) {
        bail!("--identity-timeout: 1 to 120 seconds");
    }
    let service = providers::identity::http::HttpIdentity::new(
        url,
        app_id,
        secret.trim().as_bytes(),
        std::time::Duration::from_secs(global.identity_timeout),
        clock,
    )
    .map_err(anyhow::Error::msg)?;
    Ok(IdentityProviders {
        verifier: Arc::new(service),
        sandbox: None,
    })
}

/// Alipay as the flags describe it.
fn alipay(global: &GlobalArgs, clock: Arc<dyn Clock>) -> Result<services::OnlinePayment> {
    let keys = alipay_keys(global)?;
    let notify_url = global
        .alipay_notify_url
        .clone()
        .unwrap_or_else(|| format!("{}/pay/notify/alipay", public_base(global)));
    services::hall::merchants::build(&keys, None, notify_url, clock).map_err(anyhow::Error::msg)
}

/// The Alipay merchant keys the `--alipay-…` flags give.
pub(crate) fn alipay_keys(global: &GlobalArgs) -> Result<MerchantKeys> {
    let app_id = global
        .alipay_app_id
        .clone()
        .context("--alipay-app-id is required with --alipay-gateway")?;
    let read = |path: &Option<std::path::PathBuf>, flag: &str| -> Result<String> {
        let path = path
            .as_ref()
            .with_context(|| format!("{flag} is required with --alipay-gateway"))?;
        std::fs::read_to_string(path).with_context(|| format!("{flag}: reading {}", path.display()))
    };
    let keys = MerchantKeys::Alipay {
        gateway: global.alipay_gateway.clone().unwrap_or_default(),
        app_id,
        seller_id: global.alipay_seller_id.clone(),
        private_key: zeroize::Zeroizing::new(read(
            &global.alipay_private_key_file,
            "--alipay-private-key-file",
        )?),
        alipay_public_key: read(&global.alipay_public_key_file, "--alipay-public-key-file")?,
    };
    Ok(keys)
}

/// Where the providers' notices reach us by default.
fn public_base(global: &GlobalArgs) -> String {
    global
        .public_url
        .clone()
        .unwrap_or_else(|| "http://127.0.0.1:8080".into())
        .trim_end_matches('/')
        .to_string()
}

/// WeChat Pay as the flags describe it.
fn wechat(global: &GlobalArgs, clock: Arc<dyn Clock>) -> Result<services::OnlinePayment> {
    let keys = wechat_keys(global)?;
    let notify_url = global
        .wechat_notify_url
        .clone()
        .unwrap_or_else(|| format!("{}/pay/notify/wechat", public_base(global)));
    services::hall::merchants::build(&keys, None, notify_url, clock).map_err(anyhow::Error::msg)
}

/// The WeChat Pay merchant keys the `--wechat-…` flags give.
pub(crate) fn wechat_keys(global: &GlobalArgs) -> Result<MerchantKeys> {
    let required = |value: &Option<String>, flag: &str| -> Result<String> {
        value
            .clone()
            .with_context(|| format!("{flag} is required with --wechat-base-url"))
    };
    let read = |path: &Option<std::path::PathBuf>, flag: &str| -> Result<String> {
        let path = path
            .as_ref()
            .with_context(|| format!("{flag} is required with --wechat-base-url"))?;
        std::fs::read_to_string(path).with_context(|| format!("{flag}: reading {}", path.display()))
    };
    let keys = MerchantKeys::Wechat {
        base_url: global.wechat_base_url.clone().unwrap_or_default(),
        mchid: required(&global.wechat_mchid, "--wechat-mchid")?,
        appid: required(&global.wechat_appid, "--wechat-appid")?,
        merchant_serial: required(&global.wechat_merchant_serial, "--wechat-merchant-serial")?,
        private_key: zeroize::Zeroizing::new(read(
            &global.wechat_private_key_file,
            "--wechat-private-key-file",
        )?),
        public_key: read(&global.wechat_public_key_file, "--wechat-public-key-file")?,
        public_key_id: required(&global.wechat_public_key_id, "--wechat-public-key-id")?,
        apiv3_key: zeroize::Zeroizing::new(
            read(&global.wechat_apiv3_key_file, "--wechat-apiv3-key-file")?
                .trim()
                .to_string(),
        ),
    };
    Ok(keys)
}

fn parse_number(text: &str) -> Result<u64> {
    Ok(
        match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16)?,
            None => text.parse()?,
        },
    )
}

/// The notification providers chosen by the flags (the file providers write under
/// DATA_DIR/outbox).
pub fn notifiers(global: &GlobalArgs, clock: Arc<dyn Clock>) -> Result<Notifiers> {
    let dir = global.data_dir.join("outbox");
    let sms: Arc<dyn Notifier> = match global.sms_provider {
        SmsProvider::File => Arc::new(FileNotifier::new(&dir, MessageKind::Sms, clock.clone())),
        SmsProvider::Http => {
            let url = global
                .sms_gateway_url
                .as_deref()
                .context("--sms-gateway-url is required with --sms-provider http")?;
            let path = global
                .sms_gateway_secret_file
                .as_ref()
                .context("--sms-gateway-secret-file is required with --sms-provider http")?;
            let secret = std::fs::read(path).with_context(|| {
                format!("--sms-gateway-secret-file: reading {}", path.display())
            })?;
            Arc::new(
                HttpSmsGateway::new(url, secret.trim_ascii(), clock.clone())
                    .map_err(anyhow::Error::msg)?,
            )
        }
    };
    let email: Arc<dyn Notifier> = match global.email_provider {
        EmailProvider::File => Arc::new(FileNotifier::new(&dir, MessageKind::Email, clock)),
        EmailProvider::Smtp => {
            let url = global
                .smtp_url
                .as_deref()
                .context("--smtp-url is required with --email-provider smtp")?;
            Arc::new(SmtpNotifier::new(url, &global.smtp_from).map_err(anyhow::Error::msg)?)
        }
    };
    Ok(Notifiers { sms, email })
}

/// Opens the application of these flags (the data directory is created when missing).
pub async fn open(global: &GlobalArgs) -> Result<Arc<App>> {
    open_with(global, |_| {}).await
}

/// [`open`], with a last change to the configuration.
pub async fn open_with(global: &GlobalArgs, adjust: impl FnOnce(&mut Config)) -> Result<Arc<App>> {
    std::fs::create_dir_all(&global.data_dir)
        .with_context(|| format!("creating the data directory {}", global.data_dir.display()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut config = config(global, clock.clone())?;
    adjust(&mut config);
    let notifiers = notifiers(global, clock)?;
    App::open(config, notifiers)
        .await
        .context("opening the database")
}
