//! The application object: everything a use case may reach, opened once from the
//! configuration by `serve`, by every command of the command line and by the tests.
//!
//! It holds the store (private to this crate: the web layer reaches data only through use
//! cases), the clock, the secrets, the hall configuration and working calendar, the
//! notification providers and the CA engine. The CA engine opens on first use (and creates
//! the CA hierarchy on a first start), so commands that never touch certificates (`audit`,
//! `outbox`, `operator`) never load CA keys or need an HSM's PIN; `serve` opens it at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use domain::MessageKind;
use domain::time::{ChinaDate, Clock, UnixTime, WorkingCalendar};
use providers::identity::IdentityVerifier;
use providers::identity::sandbox::SandboxIdentity;
use providers::notify::Notifier;
use providers::storage::BlobStore;
use providers::storage::local::LocalFs;
use store::Store;
use tokio::sync::{OnceCell, Semaphore};

use crate::ServiceError;
use crate::ca::{CaEngine, CaSettings};
use crate::documents::DocumentSettings;
use crate::documents::pdf::{FontSettings, PdfFont};
use crate::hall::config::HallConfig;
use crate::people::accounts::AccountSettings;
use crate::secrets::Secrets;

/// What an installation is configured with (the binary builds it from flags, environment
/// and files; tests build it directly).
pub struct Config {
    /// `sqlite://PATH` or `postgres://USER:PASS@HOST/DB`.
    pub database_url: String,
    /// Where state lives (the initial administrator's password file goes here).
    pub data_dir: PathBuf,
    /// The 32-byte master key; created with mode 0600 when missing.
    pub master_key_file: PathBuf,
    /// The `--public-url` given, if any: recorded at first start, else it must agree with
    /// the record ([`crate::ca::public_url`]).
    pub public_url: Option<String>,
    /// The CA engine's settings (its `public_base_url` is filled from the record).
    pub ca: CaSettings,
    pub hall: HallConfig,
    pub calendar: WorkingCalendar,
    pub accounts: AccountSettings,
    /// Limits of uploaded documents.
    pub documents: DocumentSettings,
    /// Where sealed documents are kept: `DATA_DIR/documents` by default.
    pub storage: Arc<dyn BlobStore>,
    /// The font of the generated PDFs.
    pub pdf_font: FontSettings,
    /// The real-name verification service: the sandbox by default.
    pub identity: IdentityProviders,
    /// The online payment providers configured, in the order the customer is offered them
    /// (none: transfers only).
    pub online_payments: Vec<OnlinePayment>,
    /// The invoicing service (none: finance attaches the invoices issued elsewhere).
    pub invoicing: Option<Arc<dyn providers::invoicing::InvoiceIssuer>>,
    /// The courier platform (none: shippers type the tracking numbers, and the customer
    /// follows the parcel on kuaidi100's page).
    pub courier: Option<Arc<dyn providers::courier::CourierService>>,
    /// The system clock in production, a settable one in tests.
    pub clock: Arc<dyn Clock>,
}

impl Config {
    /// The defaults: SQLite and the master key under `data_dir`, the built-in hall
    /// configuration and working calendar, the default CA settings and limits.
    pub fn under(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Config, String> {
        Ok(Config {
            database_url: format!("sqlite://{}", data_dir.join("certhall.db").display()),
            data_dir: data_dir.to_path_buf(),
            master_key_file: data_dir.join("master.key"),
            public_url: None,
            ca: CaSettings::default(),
            hall: HallConfig::load(None)?,
            calendar: crate::hall::calendar::load(None)?,
            accounts: AccountSettings::default(),
            documents: DocumentSettings::default(),
            storage: Arc::new(LocalFs::new(data_dir.join("documents"))),
            pdf_font: FontSettings::default(),
            identity: IdentityProviders::sandbox(clock.clone()),
            online_payments: Vec::new(),
            invoicing: None,
            courier: None,
            clock,
        })
    }
}

/// The notification providers, one per kind of message (the binary chooses them).
pub struct Notifiers {
    pub sms: Arc<dyn Notifier>,
    pub email: Arc<dyn Notifier>,
}

impl Notifiers {
    pub fn of(&self, kind: MessageKind) -> &dyn Notifier {
        match kind {
            MessageKind::Sms => self.sms.as_ref(),
            MessageKind::Email => self.email.as_ref(),
        }
    }
}

/// The real-name verification service, and the sandbox itself when it is the one (the
/// web layer then serves its face page and bank statement).
#[derive(Clone)]
pub struct IdentityProviders {
    pub verifier: Arc<dyn IdentityVerifier>,
    pub sandbox: Option<Arc<SandboxIdentity>>,
}

impl IdentityProviders {
    pub fn sandbox(clock: Arc<dyn Clock>) -> Self {
        let sandbox = Arc::new(SandboxIdentity::new(clock));
        IdentityProviders {
            verifier: sandbox.clone(),
            sandbox: Some(sandbox),
        }
    }
}

/// An online payment provider and what its notices must name to be ours.
#[derive(Clone)]
pub struct OnlinePayment {
    pub provider: Arc<dyn providers::payment::PaymentProvider>,
    /// `alipay` or `wechat`.
    pub name: &'static str,
    /// The channel it serves; `None`: every channel without its own merchant
    /// ([`crate::hall::merchants`]).
    pub channel: Option<String>,
    /// Our app id with the provider (WeChat Pay: the mchid): a notice for another is not ours.
    pub app_id: String,
    /// The payee the provider names (Alipay `seller_id`), when configured.
    pub seller_id: Option<String>,
    /// Where the provider sends its notices (our `/pay/notify/{name}`, public, HTTPS).
    pub notify_url: String,
    /// How long a QR code may be paid.
    pub code_lifetime_seconds: i64,
}

/// The running application.
pub struct App {
    pub(crate) store: Store,
    clock: Arc<dyn Clock>,
    pub(crate) secrets: Secrets,
    pub(crate) notifiers: Notifiers,
    /// The site, the separation of duties and the channels that seed the database.
    pub hall: HallConfig,
    /// Which days are working days (promises are counted in them).
    pub calendar: WorkingCalendar,
    /// Limits of SMS codes, logins and customer sessions.
    pub accounts: AccountSettings,
    pub(crate) ca_settings: CaSettings,
    /// Limits of uploaded documents.
    pub documents: DocumentSettings,
    pub(crate) storage: Arc<dyn BlobStore>,
    pub(crate) identity: IdentityProviders,
    pub(crate) online_payments: Vec<OnlinePayment>,
    /// The merchants sealed in the database (channels' own and the installation's), loaded
    /// at start and on change.
    channel_merchants: std::sync::RwLock<Vec<OnlinePayment>>,
    pub(crate) invoicing: Option<Arc<dyn providers::invoicing::InvoiceIssuer>>,
    pub(crate) courier: Option<Arc<dyn providers::courier::CourierService>>,
    /// Parcels' journeys read lately from the courier platform.
    pub(crate) parcels: crate::flows::ship::ParcelCache,
    /// Bounds how many images decode at once (decoding is CPU-heavy; it runs off the async
    /// threads and must not starve OCSP and pages).
    pub(crate) decoding: Arc<Semaphore>,
    pdf_font_settings: FontSettings,
    pdf_font: OnceCell<Arc<PdfFont>>,
    ca: OnceCell<CaEngine>,
    pub data_dir: PathBuf,
    /// Identifies this process when it holds a job lease.
    node_id: String,
}

impl App {
    /// Connects to the database (bringing its schema up to date) and reads the secrets.
    pub async fn open(config: Config, notifiers: Notifiers) -> Result<Arc<App>, ServiceError> {
        let store = Store::connect(&config.database_url, config.clock.clone()).await?;
        let secrets = Secrets::open(&config.master_key_file)?;
        let mut ca_settings = config.ca;
        ca_settings.public_base_url =
            crate::ca::public_url::settle(&store, config.public_url.as_deref()).await?;
        let app = Arc::new(App {
            store,
            clock: config.clock,
            secrets,
            notifiers,
            hall: config.hall,
            calendar: config.calendar,
            accounts: config.accounts,
            ca_settings,
            decoding: Arc::new(Semaphore::new(config.documents.decode_at_once)),
            documents: config.documents,
            storage: config.storage,
            identity: config.identity,
            online_payments: config.online_payments,
            channel_merchants: std::sync::RwLock::new(Vec::new()),
            invoicing: config.invoicing,
            courier: config.courier,
            parcels: Default::default(),
            pdf_font_settings: config.pdf_font,
            pdf_font: OnceCell::new(),
            ca: OnceCell::new(),
            data_dir: config.data_dir,
            node_id: node_id(),
        });
        app.set_channel_merchants(crate::hall::merchants::load(&app).await?);
        Ok(app)
    }

    fn channel_merchants(&self) -> Vec<OnlinePayment> {
        self.channel_merchants
            .read()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    pub(crate) fn set_channel_merchants(&self, merchants: Vec<OnlinePayment>) {
        if let Ok(mut current) = self.channel_merchants.write() {
            *current = merchants;
        }
    }

    /// The merchant of provider `name` (`alipay`, `wechat`) that serves `channel`: the
    /// channel's own, else the installation's (sealed in the database, else from the
    /// flags); `None` when none is configured.
    pub fn online_payment_for(&self, channel: &str, name: &str) -> Option<OnlinePayment> {
        let stored = self.channel_merchants();
        let own = |p: &&OnlinePayment| p.name == name && p.channel.as_deref() == Some(channel);
        let every = |p: &&OnlinePayment| p.name == name && p.channel.is_none();
        stored
            .iter()
            .find(own)
            .or_else(|| stored.iter().find(every))
            .or_else(|| self.online_payments.iter().find(every))
            .cloned()
    }

    /// The providers that serve `channel`, in the order they are offered (the
    /// installation's first, then those only the channel has).
    pub fn online_payments_for(&self, channel: &str) -> Vec<OnlinePayment> {
        let mut names: Vec<&'static str> = self.online_payments.iter().map(|p| p.name).collect();
        for stored in self.channel_merchants() {
            let serves = stored.channel.as_deref().is_none_or(|c| c == channel);
            if serves && !names.contains(&stored.name) {
                names.push(stored.name);
            }
        }
        names
            .into_iter()
            .filter_map(|name| self.online_payment_for(channel, name))
            .collect()
    }

    /// Every merchant of provider `name` (the channels' first): the candidates to verify
    /// one of its notices.
    pub fn online_payments_named(&self, name: &str) -> Vec<OnlinePayment> {
        let mut all = self.channel_merchants();
        all.extend(self.online_payments.iter().cloned());
        all.retain(|p| p.name == name);
        all
    }

    /// The identity sandbox, when it is the configured verification service.
    pub fn identity_sandbox(&self) -> Option<&SandboxIdentity> {
        self.identity.sandbox.as_deref()
    }

    /// The CA hierarchy's public base URL, as recorded.
    pub fn public_url(&self) -> &str {
        &self.ca_settings.public_base_url
    }

    /// The installation's clock (for adapters made after the start).
    pub(crate) fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Now, by the application's clock.
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    /// Today in China, by the application's clock.
    pub fn today(&self) -> ChinaDate {
        self.now().china_date()
    }

    /// The CA engine, opened on first use: the hierarchy is created on a first start, the
    /// CAs and their OCSP responders are loaded (responders due for renewal are renewed).
    pub(crate) async fn ca(&self) -> Result<&CaEngine, ServiceError> {
        self.ca.get_or_try_init(|| CaEngine::open(self)).await
    }

    /// The PDF font, loaded on first use (20 MB; `serve` loads it at start, so a missing
    /// font stops the start instead of the first download).
    pub async fn pdf_font(&self) -> Result<Arc<PdfFont>, ServiceError> {
        let settings = self.pdf_font_settings.clone();
        self.pdf_font
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || PdfFont::load(&settings))
                    .await
                    .map_err(|e| ServiceError::internal("PDF font", e))?
                    .map(Arc::new)
                    .map_err(|e| ServiceError::internal("PDF font", e))
            })
            .await
            .cloned()
    }

    /// Opens the CA engine now (`serve` does, so that a mistake stops the start).
    pub async fn open_ca(&self) -> Result<(), ServiceError> {
        self.ca().await.map(|_| ())
    }

    /// Whether the database answers (`GET /healthz`).
    pub async fn database_answers(&self) -> bool {
        match self.store.ping().await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "health check: database");
                false
            }
        }
    }

    pub(crate) fn node_id(&self) -> &str {
        &self.node_id
    }

    /// Closes the database connections (at the end of `serve`).
    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// A random identifier for this process (leases name their holder by it).
fn node_id() -> String {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 8];
    let _ = SystemRandom::new().fill(&mut bytes);
    format!("{}-{}", std::process::id(), hex::encode(bytes))
}
