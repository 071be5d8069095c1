//! The command line (clap). Every option also reads an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "certhall",
    version,
    about = "CertHall: the certificate service platform of a Chinese CA",
    long_about = "CertHall runs a CA: SM2/SM3, RSA and ECDSA certificate authorities that issue, \
revoke and publish certificate status (CRL and OCSP), with a REST API for registration \
authorities. `certhall serve` starts it; the other commands are for operators and scripts.\n\n\
On first use CertHall creates its data directory, the database schema and a CA hierarchy \
(a root and an issuing CA for each of SM2, RSA and ECDSA P-256)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct GlobalArgs {
    /// Directory for the SQLite database, the master key and other state.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_DATA_DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,
    /// Database URL: sqlite://PATH or postgres://USER:PASS@HOST/DB [default: sqlite in the data directory].
    #[arg(
        long,
        global = true,
        env = "CERTHALL_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// File with the 32-byte master key that encrypts CA keys at rest [default: DATA_DIR/master.key, created 0600].
    #[arg(long, global = true, env = "CERTHALL_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Base URL where relying parties reach this server (goes into AIA and CRL distribution points). Recorded at first start [default there: http://127.0.0.1:8080]; later it must agree with the record, changed only by `ca set-public-url`.
    #[arg(long, global = true, env = "CERTHALL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Certificate policy OID put in end-entity certificates (your CPS) [default: anyPolicy].
    #[arg(long, global = true, env = "CERTHALL_POLICY_OID")]
    pub policy_oid: Option<String>,
    /// Organisation name in the CA certificates created on first start.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_CA_ORGANIZATION",
        default_value = "CertHall"
    )]
    pub ca_organization: String,
    /// CRL validity (nextUpdate - thisUpdate) in seconds; CRLs are republished at half of it.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_CRL_INTERVAL",
        default_value_t = 86_400
    )]
    pub crl_interval: u64,
    /// OCSP response validity in seconds; cached responses are reused for half of it.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_OCSP_VALIDITY",
        default_value_t = 3_600
    )]
    pub ocsp_validity: u64,
    /// Public certificate status look-ups (`/status`, `/api/v1/certificate-status`) allowed
    /// per client address and minute.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_STATUS_LOOKUPS_PER_MINUTE",
        default_value_t = 30
    )]
    pub status_lookups_per_minute: u32,
    /// File with the PKCS#11 user PIN (needed when CA keys live in a token).
    #[arg(long, global = true, env = "CERTHALL_PKCS11_PIN_FILE")]
    pub pkcs11_pin_file: Option<PathBuf>,
    /// Vendor mechanism number (decimal or 0x-hex) for SM2-with-SM3 in the PKCS#11 module.
    #[arg(long, global = true, env = "CERTHALL_PKCS11_SM2_MECHANISM")]
    pub pkcs11_sm2_mechanism: Option<String>,
    /// Reverse proxies (addresses or ranges, comma-separated) whose X-Forwarded-For names the
    /// client for rate limits; from anyone else the header is ignored.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// The business hall configuration (TOML: site name, hotline and hours, separation of
    /// duties, channels that seed the database). Default: the one built in (see
    /// crates/services/hall.toml).
    #[arg(long, global = true, env = "CERTHALL_HALL_CONFIG")]
    pub hall_config: Option<PathBuf>,
    /// The working calendar (TOML: the State Council's holidays and adjusted working days,
    /// year by year) that promises are counted in. Default: the one built in (see
    /// crates/services/working-calendar.toml).
    #[arg(long, global = true, env = "CERTHALL_WORKING_CALENDAR")]
    pub working_calendar: Option<PathBuf>,
    /// The font of the generated PDFs (authorisation letter, application form): an OpenType
    /// or TrueType file or collection with Chinese characters. Default: Debian's
    /// fonts-noto-cjk, /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc.
    #[arg(long, global = true, env = "CERTHALL_PDF_FONT")]
    pub pdf_font: Option<PathBuf>,
    /// The face in a font collection (Noto Sans CJK SC is face 2 of its .ttc).
    #[arg(
        long,
        global = true,
        env = "CERTHALL_PDF_FONT_INDEX",
        default_value_t = 2
    )]
    pub pdf_font_index: u32,
    /// Seconds a customer waits before asking for another SMS code of the same purpose (the
    /// hourly limits per number and address hold whatever this is; 0: no wait).
    #[arg(
        long,
        global = true,
        env = "CERTHALL_SMS_RESEND_AFTER",
        default_value_t = 60
    )]
    pub sms_resend_after: u64,
    /// Where uploaded documents are kept (sealed): `local` under DATA_DIR/documents; `s3` in an S3-compatible bucket (for several nodes).
    #[arg(
        long,
        global = true,
        env = "CERTHALL_STORAGE",
        value_enum,
        default_value = "local"
    )]
    pub storage: StorageProvider,
    /// The S3-compatible endpoint (with --storage s3), e.g. https://s3.cn-north-1.amazonaws.com.cn.
    #[arg(long, global = true, env = "CERTHALL_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// The bucket (with --storage s3).
    #[arg(long, global = true, env = "CERTHALL_S3_BUCKET")]
    pub s3_bucket: Option<String>,
    /// The bucket's region.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_S3_REGION",
        default_value = "us-east-1"
    )]
    pub s3_region: String,
    /// The access key id (with --storage s3).
    #[arg(long, global = true, env = "CERTHALL_S3_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,
    /// File holding the secret access key (with --storage s3).
    #[arg(long, global = true, env = "CERTHALL_S3_SECRET_KEY_FILE")]
    pub s3_secret_key_file: Option<PathBuf>,
    /// The real-name verification service: `sandbox` (test identities, its face page and
    /// bank statement under /sandbox/identity; see docs/IDENTITY.md) or `http` (a service
    /// speaking CertHall's signed JSON protocol).
    #[arg(
        long,
        global = true,
        env = "CERTHALL_IDENTITY",
        value_enum,
        default_value = "sandbox"
    )]
    pub identity: IdentityProvider,
    /// The invoicing service: `none` (finance attaches the invoices issued on the tax
    /// platform), `sandbox` (issues at once, PDFs stamped 沙箱; for demos and tests) or
    /// `http` (a platform speaking CertHall's signed JSON; docs/PAYMENTS.md).
    #[arg(
        long,
        global = true,
        env = "CERTHALL_INVOICING",
        value_enum,
        default_value = "none"
    )]
    pub invoicing: InvoicingProvider,
    /// The invoicing service's base URL (with --invoicing http).
    #[arg(long, global = true, env = "CERTHALL_INVOICING_URL")]
    pub invoicing_url: Option<String>,
    /// Our app id at the invoicing service (with --invoicing http).
    #[arg(long, global = true, env = "CERTHALL_INVOICING_APP_ID")]
    pub invoicing_app_id: Option<String>,
    /// File holding the shared signing secret (with --invoicing http).
    #[arg(long, global = true, env = "CERTHALL_INVOICING_SECRET_FILE")]
    pub invoicing_secret_file: Option<PathBuf>,
    /// Seconds the invoicing service has to answer one call.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_INVOICING_TIMEOUT",
        default_value_t = 20
    )]
    pub invoicing_timeout: u64,
    /// The courier platform: `none` (shippers type tracking numbers), `sandbox` (kuaidi100's
    /// answers with parcels moving on the clock; for demos and tests) or `kuaidi100`.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_COURIER",
        value_enum,
        default_value = "none"
    )]
    pub courier: CourierProvider,
    /// kuaidi100's 授权 key (with --courier kuaidi100).
    #[arg(long, global = true, env = "CERTHALL_KUAIDI100_KEY")]
    pub kuaidi100_key: Option<String>,
    /// kuaidi100's customer id for tracking queries.
    #[arg(long, global = true, env = "CERTHALL_KUAIDI100_CUSTOMER")]
    pub kuaidi100_customer: Option<String>,
    /// File holding kuaidi100's secret.
    #[arg(long, global = true, env = "CERTHALL_KUAIDI100_SECRET_FILE")]
    pub kuaidi100_secret_file: Option<PathBuf>,
    /// The courier account waybills are drawn on (电子面单账号, partnerId).
    #[arg(long, global = true, env = "CERTHALL_KUAIDI100_PARTNER_ID")]
    pub kuaidi100_partner_id: Option<String>,
    /// File holding the courier account's password (partnerKey), where the courier wants one.
    #[arg(long, global = true, env = "CERTHALL_KUAIDI100_PARTNER_KEY_FILE")]
    pub kuaidi100_partner_key_file: Option<PathBuf>,
    /// The identity service's base URL (with --identity http).
    #[arg(long, global = true, env = "CERTHALL_IDENTITY_URL")]
    pub identity_url: Option<String>,
    /// Our app id at the identity service (with --identity http).
    #[arg(long, global = true, env = "CERTHALL_IDENTITY_APP_ID")]
    pub identity_app_id: Option<String>,
    /// File holding the shared signing secret (with --identity http).
    #[arg(long, global = true, env = "CERTHALL_IDENTITY_SECRET_FILE")]
    pub identity_secret_file: Option<PathBuf>,
    /// Seconds the identity service has to answer one call.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_IDENTITY_TIMEOUT",
        default_value_t = 10
    )]
    pub identity_timeout: u64,
    /// Alipay's OpenAPI gateway (`https://openapi.alipay.com/gateway.do`, or the simulator's
    /// from `certhall paysim`): turns online payment on. See docs/PAYMENTS.md.
    #[arg(long, global = true, env = "CERTHALL_ALIPAY_GATEWAY")]
    pub alipay_gateway: Option<String>,
    /// Our app id with Alipay (with --alipay-gateway).
    #[arg(long, global = true, env = "CERTHALL_ALIPAY_APP_ID")]
    pub alipay_app_id: Option<String>,
    /// File holding the app's RSA private key, PEM (with --alipay-gateway).
    #[arg(long, global = true, env = "CERTHALL_ALIPAY_PRIVATE_KEY_FILE")]
    pub alipay_private_key_file: Option<PathBuf>,
    /// File holding Alipay's public key, PEM (with --alipay-gateway).
    #[arg(long, global = true, env = "CERTHALL_ALIPAY_PUBLIC_KEY_FILE")]
    pub alipay_public_key_file: Option<PathBuf>,
    /// The seller id Alipay's notices must name (optional).
    #[arg(long, global = true, env = "CERTHALL_ALIPAY_SELLER_ID")]
    pub alipay_seller_id: Option<String>,
    /// Where Alipay sends its notices; default PUBLIC_URL/pay/notify/alipay.
    #[arg(long, global = true, env = "CERTHALL_ALIPAY_NOTIFY_URL")]
    pub alipay_notify_url: Option<String>,
    /// WeChat Pay's API (`https://api.mch.weixin.qq.com`, or `certhall paysim`'s): turns
    /// WeChat Pay Native on. See docs/PAYMENTS.md.
    #[arg(long, global = true, env = "CERTHALL_WECHAT_BASE_URL")]
    pub wechat_base_url: Option<String>,
    /// Our merchant id (with --wechat-base-url).
    #[arg(long, global = true, env = "CERTHALL_WECHAT_MCHID")]
    pub wechat_mchid: Option<String>,
    /// The app id the payments are made for (with --wechat-base-url).
    #[arg(long, global = true, env = "CERTHALL_WECHAT_APPID")]
    pub wechat_appid: Option<String>,
    /// The serial of the merchant API certificate (with --wechat-base-url).
    #[arg(long, global = true, env = "CERTHALL_WECHAT_MERCHANT_SERIAL")]
    pub wechat_merchant_serial: Option<String>,
    /// File holding the merchant API private key, PEM (with --wechat-base-url).
    #[arg(long, global = true, env = "CERTHALL_WECHAT_PRIVATE_KEY_FILE")]
    pub wechat_private_key_file: Option<PathBuf>,
    /// File holding the WeChat Pay public key, PEM (with --wechat-base-url).
    #[arg(long, global = true, env = "CERTHALL_WECHAT_PUBLIC_KEY_FILE")]
    pub wechat_public_key_file: Option<PathBuf>,
    /// The WeChat Pay public key's id, `PUB_KEY_ID_…` (with --wechat-base-url).
    #[arg(long, global = true, env = "CERTHALL_WECHAT_PUBLIC_KEY_ID")]
    pub wechat_public_key_id: Option<String>,
    /// File holding the APIv3 key (with --wechat-base-url).
    #[arg(long, global = true, env = "CERTHALL_WECHAT_APIV3_KEY_FILE")]
    pub wechat_apiv3_key_file: Option<PathBuf>,
    /// Where WeChat Pay sends its notices; default PUBLIC_URL/pay/notify/wechat.
    #[arg(long, global = true, env = "CERTHALL_WECHAT_NOTIFY_URL")]
    pub wechat_notify_url: Option<String>,
    /// How SMS go out: `file` appends to DATA_DIR/outbox/sms.jsonl; `http` posts to a gateway.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_SMS_PROVIDER",
        value_enum,
        default_value = "file"
    )]
    pub sms_provider: SmsProvider,
    /// The HTTP SMS gateway's URL (with --sms-provider http).
    #[arg(long, global = true, env = "CERTHALL_SMS_GATEWAY_URL")]
    pub sms_gateway_url: Option<String>,
    /// File with the shared secret that signs gateway requests (HMAC-SHA256).
    #[arg(long, global = true, env = "CERTHALL_SMS_GATEWAY_SECRET_FILE")]
    pub sms_gateway_secret_file: Option<PathBuf>,
    /// How e-mail goes out: `file` appends to DATA_DIR/outbox/email.jsonl; `smtp` sends.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_EMAIL_PROVIDER",
        value_enum,
        default_value = "file"
    )]
    pub email_provider: EmailProvider,
    /// SMTP server, e.g. smtps://user:pass@smtp.example.cn (with --email-provider smtp).
    #[arg(long, global = true, env = "CERTHALL_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of e-mail.
    #[arg(
        long,
        global = true,
        env = "CERTHALL_SMTP_FROM",
        default_value = "CertHall <noreply@localhost>"
    )]
    pub smtp_from: String,
    /// Log format.
    #[arg(long, global = true, env = "CERTHALL_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum InvoicingProvider {
    None,
    Sandbox,
    Http,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CourierProvider {
    None,
    Sandbox,
    Kuaidi100,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum IdentityProvider {
    Sandbox,
    Http,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StorageProvider {
    Local,
    S3,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SmsProvider {
    File,
    Http,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum EmailProvider {
    File,
    Smtp,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Subcommand)]
pub enum Command {
    /// Start the server (publishing, OCSP, REST API, background jobs).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "CERTHALL_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Certificate authorities: list, profiles, issue, revoke, CRL, initialise with an HSM.
    #[command(subcommand)]
    Ca(CaCommand),
    /// API tokens for registration-authority systems.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The hash-chained audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Operators of the console: create, list, roles, disable, enable, reset password.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// The notification outbox (SMS and e-mail): list, retry failed messages, send a test.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// A channel's own merchant with Alipay or WeChat Pay (keys sealed in the database).
    #[command(subcommand)]
    Merchant(MerchantCommand),
    /// Measure signing speed and CRL generation on this machine (prints figures).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Run the payment simulator (Alipay's gateway and WeChat Pay's APIv3, for demos and
    /// browser tests): writes the merchant keys and the simulator's public keys into DIR,
    /// prints one JSON line with the URLs and files for `serve --alipay-… --wechat-…`, and
    /// runs until stopped.
    Paysim {
        /// Port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Divides Alipay's notice schedule (1 for real time).
        #[arg(long, default_value_t = 60.0)]
        time_scale: f64,
        /// Where the key files go.
        #[arg(long)]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum CaCommand {
    /// List the CAs: name, algorithm, role, subject, not after, SHA-256 fingerprint.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the certificate profiles and what each puts in a certificate.
    Profiles {
        #[arg(long)]
        json: bool,
    },
    /// Print a CA's certificate (PEM), e.g. to build a trust store.
    Cert {
        #[arg(long)]
        ca: String,
    },
    /// Issue a certificate from a PKCS#10 CSR (PEM or DER); prints the certificate as PEM.
    Issue {
        /// Issuing CA name (see `ca list`), e.g. sm2-ca.
        #[arg(long)]
        ca: String,
        /// Profile name (see `ca profiles`), e.g. org-sign.
        #[arg(long)]
        profile: String,
        /// The CSR file.
        #[arg(long)]
        csr: PathBuf,
        /// Validity in days [default: the profile's].
        #[arg(long)]
        days: Option<u32>,
        /// Subject fields replacing the CSR's, e.g. "/C=CN/O=某公司/OU=采购部/organizationIdentifier=91350100M000100Y43/CN=某公司".
        #[arg(long)]
        subject: Option<String>,
    },
    /// Revoke a certificate, put it on hold (certificateHold) or release a hold (removeFromCRL).
    Revoke {
        /// Serial number in hexadecimal (colons allowed).
        #[arg(long)]
        serial: String,
        /// keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation,
        /// certificateHold, removeFromCRL, privilegeWithdrawn or unspecified.
        #[arg(long)]
        reason: String,
    },
    /// Print the recorded public base URL of the CA hierarchy.
    PublicUrl,
    /// Change the recorded public base URL (audited). Certificates already issued keep the
    /// URLs they carry: keep the old address answering until they expire. Restart servers.
    SetPublicUrl {
        /// e.g. https://ca.example.cn
        url: String,
    },
    /// Generate and sign a fresh CRL for a CA now; print it (PEM) or write it (DER) to --out.
    Crl {
        #[arg(long)]
        ca: String,
        /// Write DER to this file instead of printing PEM.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Create the CA hierarchy (run before the first `serve`); with --pkcs11-module the RSA
    /// and ECDSA CA keys (and SM2 ones, given --pkcs11-sm2-mechanism) are generated in the
    /// token, whose user PIN is read from --pkcs11-pin-file.
    Init {
        /// The PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so.
        #[arg(long, requires_all = ["pkcs11_token", "pkcs11_pin_file"])]
        pkcs11_module: Option<PathBuf>,
        /// The token label.
        #[arg(long, requires = "pkcs11_module")]
        pkcs11_token: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token; prints it once (only its hash is stored).
    Create {
        #[arg(long)]
        name: String,
        /// CAs it may use, comma-separated, or * for all.
        #[arg(long, default_value = "*")]
        cas: String,
        /// Profiles it may use, comma-separated, or * for all.
        #[arg(long, default_value = "*")]
        profiles: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; report the first broken link. Exit status 1 if broken.
    Verify,
    /// Show recent events.
    List {
        /// Only actions starting with this, e.g. certificate.
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Subcommand)]
pub enum MerchantCommand {
    /// Set the merchant with `provider` of `--channel` (without it: the installation's, for
    /// every channel without its own), from the `--alipay-…` or `--wechat-…` flags: the
    /// keys are checked, sealed under the master key and stored; the key files can then be
    /// removed. Applies at `serve`'s next start.
    Set {
        #[arg(long)]
        channel: Option<String>,
        #[arg(long, value_enum)]
        provider: MerchantProvider,
    },
    /// The channels' own merchants (no key is shown).
    List,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum MerchantProvider {
    Alipay,
    Wechat,
}

#[derive(Subcommand)]
pub enum OperatorCommand {
    /// Create an operator; prints a generated password once.
    Create {
        /// 3 to 32 lowercase letters, digits, '-' or '_'.
        #[arg(long)]
        username: String,
        /// The operator's name as shown in the console.
        #[arg(long)]
        name: String,
        /// Comma-separated: reviewer, finance, producer, shipper, counter, admin.
        #[arg(long)]
        roles: String,
    },
    /// List operators and their roles.
    List,
    /// Replace an operator's roles.
    Roles {
        #[arg(long)]
        username: String,
        #[arg(long)]
        roles: String,
    },
    /// Disable an operator (ends their sessions).
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled operator.
    Enable {
        #[arg(long)]
        username: String,
    },
    /// Give an operator a new generated password (printed once; ends their sessions).
    ResetPassword {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
pub enum OutboxCommand {
    /// Show messages, newest first (never the text of one-time codes once sent).
    List {
        /// Only pending, sending, sent or failed messages.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Queue a failed message again.
    Retry {
        #[arg(long)]
        id: i64,
    },
    /// Send a test message now, through the configured provider.
    Test {
        /// A mainland mobile number.
        #[arg(long, conflicts_with = "email", required_unless_present = "email")]
        sms: Option<String>,
        /// An e-mail address.
        #[arg(long)]
        email: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Raw signatures per second for each key family (single thread and all cores).
    Sign {
        /// Seconds per measurement.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
    /// Taking in uploaded images (decode, orient, re-encode, thumbnail) and rendering the
    /// printed PDFs (the authorisation letter with the configured font).
    Documents {
        /// Seconds per measurement.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
    /// An unauthenticated flood against a real server (a scratch one): N requests at once
    /// (registrations without a valid code, logins of unknown numbers), each from its own
    /// address; the server's peak memory, the answers, and a real login's time meanwhile.
    Flood {
        /// Requests sent at once.
        #[arg(long, default_value_t = 1000)]
        requests: usize,
    },
    /// CRL generation time and peak memory for N revoked certificates (in a scratch database).
    Crl {
        /// Number of revoked certificates.
        #[arg(long, default_value_t = 100_000)]
        entries: u64,
        /// Key family of the CA.
        #[arg(long, default_value = "ecdsa")]
        family: String,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
