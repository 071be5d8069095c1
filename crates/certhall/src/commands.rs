//! What each command does.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use pki::RevocationReason;
use pki::profile::Profile;
use services::actor::{Actor, Scope};
use services::issuance::IssueRequest;
use services::settings::Pkcs11Settings;
use services::{Pki, PkiSettings};
use store::Store;

use crate::cli::{
    AuditCommand, BenchCommand, CaCommand, Cli, Command, GlobalArgs, LogFormat, OperatorCommand,
    OutboxCommand, TokenCommand,
};

mod bench;

pub async fn run(cli: Cli) -> Result<()> {
    let serving = matches!(cli.command, Command::Serve { .. });
    init_logging(cli.global.log_format.unwrap_or(if serving {
        LogFormat::Json
    } else {
        LogFormat::Text
    }));
    match cli.command {
        Command::Serve { listen } => serve(&cli.global, listen).await,
        Command::Ca(cmd) => ca(&cli.global, cmd).await,
        Command::Token(cmd) => token(&cli.global, cmd).await,
        Command::Audit(cmd) => audit(&cli.global, cmd).await,
        Command::Outbox(cmd) => outbox(&cli.global, cmd).await,
        Command::Operator(cmd) => operator(&cli.global, cmd).await,
        Command::Bench(BenchCommand::Sign { seconds }) => bench::sign(seconds),
        Command::Bench(BenchCommand::Crl { entries, family }) => {
            bench::crl(&cli.global, entries, &family).await
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CERTHALL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// The OS user running the command, for the audit log.
fn cli_actor() -> Actor {
    Actor::Cli(
        std::env::var("SUDO_USER")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "unknown".into()),
    )
}

pub fn settings(global: &GlobalArgs) -> Result<PkiSettings> {
    let mut settings = PkiSettings::with_defaults(&global.data_dir);
    settings.public_base_url = global.public_url.trim_end_matches('/').to_string();
    if let Some(oid) = &global.policy_oid {
        settings.policy_oid = oid
            .parse()
            .map_err(|_| anyhow::anyhow!("--policy-oid: {oid:?} is not an object identifier"))?;
    }
    settings.ca_organization = global.ca_organization.clone();
    if let Some(file) = &global.master_key_file {
        settings.master_key_file = file.clone();
    }
    if global.crl_interval < 60 {
        bail!("--crl-interval: at least 60 seconds");
    }
    if global.ocsp_validity < 60 {
        bail!("--ocsp-validity: at least 60 seconds");
    }
    settings.crl_interval = std::time::Duration::from_secs(global.crl_interval);
    settings.ocsp_validity = std::time::Duration::from_secs(global.ocsp_validity);
    if let Some(pin_file) = &global.pkcs11_pin_file {
        let sm2_mechanism = match &global.pkcs11_sm2_mechanism {
            Some(text) => Some(
                parse_number(text).with_context(|| format!("--pkcs11-sm2-mechanism: {text:?}"))?,
            ),
            None => None,
        };
        settings.pkcs11 = Some(Pkcs11Settings {
            module: None,
            token_label: None,
            pin_file: pin_file.clone(),
            sm2_mechanism,
        });
    }
    Ok(settings)
}

fn parse_number(text: &str) -> Result<u64> {
    Ok(
        match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16)?,
            None => text.parse()?,
        },
    )
}

fn database_url(global: &GlobalArgs) -> String {
    global
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", global.data_dir.join("certhall.db").display()))
}

async fn open_store(global: &GlobalArgs) -> Result<Store> {
    std::fs::create_dir_all(&global.data_dir)
        .with_context(|| format!("creating the data directory {}", global.data_dir.display()))?;
    Store::connect(&database_url(global))
        .await
        .context("opening the database")
}

pub async fn open_pki(global: &GlobalArgs, settings: PkiSettings) -> Result<Arc<Pki>> {
    let store = open_store(global).await?;
    Ok(Pki::open(store, settings).await?)
}

async fn serve(global: &GlobalArgs, listen: std::net::SocketAddr) -> Result<()> {
    // The hall configuration first: a mistake in it stops the start with the field named.
    let hall = services::hall::HallConfig::load(global.hall_config.as_deref())
        .map_err(|e| anyhow::anyhow!("hall configuration: {e}"))?;
    let pki = open_pki(global, settings(global)?).await?;
    let added = services::channels::seed(&pki.store, &hall.channels).await?;
    if !added.is_empty() {
        tracing::info!(channels = ?added, "channels added from the hall configuration");
    }
    if let Some(path) =
        services::operators::ensure_initial_admin(&pki.store, &global.data_dir).await?
    {
        // The path only: the password is never printed or logged.
        eprintln!(
            "Initial administrator \"admin\" created; its password is in {}",
            path.display()
        );
    }
    pki.sync_and_publish_crls().await?;
    tokio::spawn(services::crl_publisher::run(pki.clone()));
    tokio::spawn(services::ocsp_service::run_renewal(pki.clone()));
    tokio::spawn(services::notifications::worker::run(
        pki.store.clone(),
        Arc::new(deliverers(global)?),
    ));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, cas = pki.registry.all().len(), "CertHall is serving");
    eprintln!("CertHall listening on http://{addr}");
    let accounts = Arc::new(services::accounts::Accounts::new(
        pki.store.clone(),
        &pki.derived_key("sms-codes"),
        services::accounts::AccountSettings::default(),
    ));
    let profiles = Arc::new(services::profiles::Profiles::new(
        pki.store.clone(),
        &pki.derived_key("personal-data"),
    )?);
    let state = web::AppState {
        hall: Arc::new(web::HallSettings {
            site: hall.site,
            duties: hall.separation_of_duties,
        }),
        pki: pki.clone(),
        accounts,
        profiles,
        secure_cookies: global.public_url.starts_with("https://"),
        trusted_proxies: Arc::new(
            global
                .trusted_proxies
                .iter()
                .map(|r| {
                    r.parse::<web::IpRange>()
                        .map_err(|e| anyhow::anyhow!("--trusted-proxies: {e}"))
                })
                .collect::<Result<_>>()?,
        ),
    };
    let app = web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    pki.store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn ca(global: &GlobalArgs, command: CaCommand) -> Result<()> {
    if let CaCommand::Init {
        pkcs11_module,
        pkcs11_token,
    } = command
    {
        return ca_init(global, pkcs11_module, pkcs11_token).await;
    }
    if let CaCommand::Profiles { json } = command {
        return ca_profiles(json);
    }
    let pki = open_pki(global, settings(global)?).await?;
    match command {
        CaCommand::List { json } => ca_list(&pki, json),
        CaCommand::Cert { ca } => {
            print!(
                "{}",
                pki::certificate::to_pem(&pki.registry.require(&ca)?.cert_der)?
            );
            Ok(())
        }
        CaCommand::Issue {
            ca,
            profile,
            csr,
            days,
            subject,
        } => {
            let bytes = std::fs::read(&csr)
                .with_context(|| format!("--csr: cannot read {}", csr.display()))?;
            let subject = match subject {
                Some(text) => Some(
                    text.parse()
                        .map_err(|e| anyhow::anyhow!("--subject: {e}"))?,
                ),
                None => None,
            };
            let issued = pki
                .issue(
                    IssueRequest {
                        ca: &ca,
                        profile: &profile,
                        csr: &bytes,
                        days,
                        subject,
                    },
                    &cli_actor(),
                )
                .await?;
            print!("{}", pki::certificate::to_pem(&issued.der)?);
            eprintln!(
                "issued serial {} by {} (profile {}), valid until {}",
                issued.serial,
                issued.ca,
                issued.profile,
                format_time(issued.not_after)
            );
            Ok(())
        }
        CaCommand::Revoke { serial, reason } => {
            let reason: RevocationReason = reason
                .parse()
                .map_err(|e| anyhow::anyhow!("--reason: {e}"))?;
            let revoked = pki.revoke(&serial, reason, &cli_actor()).await?;
            println!(
                "{} ({}): now {} (reason {})",
                revoked.serial, revoked.ca, revoked.status, revoked.reason
            );
            Ok(())
        }
        CaCommand::Crl { ca, out } => {
            let ca = pki.registry.require(&ca)?.clone();
            let crl = pki.publish_crl(&ca, &cli_actor()).await?;
            match out {
                Some(path) => {
                    std::fs::write(&path, &crl.der)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!(
                        "CRL number {} with {} entries written to {}",
                        crl.number,
                        crl.entries,
                        path.display()
                    );
                }
                None => print!("{}", pki::crl::to_pem(&crl.der)?),
            }
            Ok(())
        }
        CaCommand::Init { .. } | CaCommand::Profiles { .. } => unreachable!("handled above"),
    }
}

async fn ca_init(
    global: &GlobalArgs,
    module: Option<std::path::PathBuf>,
    token: Option<String>,
) -> Result<()> {
    let store = open_store(global).await?;
    if services::bootstrap::is_initialised(&store).await? {
        bail!("the CA hierarchy already exists in this database; `ca init` must come first");
    }
    let mut settings = settings(global)?;
    if let (Some(module), Some(token), Some(p11)) = (module, token, settings.pkcs11.as_mut()) {
        p11.module = Some(module);
        p11.token_label = Some(token);
    }
    let pki = Pki::open(store, settings).await?;
    ca_list(&pki, false)
}

fn ca_list(pki: &Pki, json: bool) -> Result<()> {
    let rows: Vec<serde_json::Value> = pki
        .registry
        .all()
        .iter()
        .map(|ca| {
            serde_json::json!({
                "name": ca.name,
                "algorithm": ca.family.as_str(),
                "role": ca.role.as_str(),
                "subject": ca.subject,
                "not_after": format_time(ca.not_after),
                "sha256": ca.sha256,
                "key_storage": ca.key_storage,
            })
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:<12} {:<6} {:<8} {:<21} {:<9} {:<64} SUBJECT",
        "NAME", "ALG", "ROLE", "NOT AFTER (UTC)", "KEY", "SHA-256"
    );
    for r in &rows {
        println!(
            "{:<12} {:<6} {:<8} {:<21} {:<9} {:<64} {}",
            r["name"].as_str().unwrap_or(""),
            r["algorithm"].as_str().unwrap_or(""),
            r["role"].as_str().unwrap_or(""),
            r["not_after"].as_str().unwrap_or(""),
            r["key_storage"].as_str().unwrap_or(""),
            r["sha256"].as_str().unwrap_or(""),
            r["subject"].as_str().unwrap_or(""),
        );
    }
    Ok(())
}

fn format_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

fn ca_profiles(json: bool) -> Result<()> {
    let families = pki::KeyFamily::ALL;
    if json {
        let rows: Vec<serde_json::Value> = Profile::END_ENTITY
            .iter()
            .map(|p| {
                let by_family: serde_json::Map<String, serde_json::Value> = families
                    .iter()
                    .map(|f| (f.as_str().to_string(), serde_json::json!(p.summary(*f))))
                    .collect();
                serde_json::json!({"name": p.name(), "description": p.description(), "contents": by_family})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    for p in Profile::END_ENTITY {
        println!("{}  {}", p.name(), p.description());
        let base = p.summary(pki::KeyFamily::Rsa);
        for line in &base {
            println!("    {line}");
        }
        for f in [pki::KeyFamily::Sm2, pki::KeyFamily::EcdsaP256] {
            for line in p.summary(f).iter().filter(|l| !base.contains(l)) {
                println!("    {} only: {line}", f.description());
            }
        }
        println!();
    }
    Ok(())
}

async fn token(global: &GlobalArgs, command: TokenCommand) -> Result<()> {
    let pki = open_pki(global, settings(global)?).await?;
    match command {
        TokenCommand::Create {
            name,
            cas,
            profiles,
        } => {
            let token = pki
                .create_api_token(
                    &name,
                    &Scope::parse(&cas),
                    &Scope::parse(&profiles),
                    &cli_actor(),
                )
                .await?;
            println!("{token}");
            eprintln!("token {name:?} created; it is shown only now, store it safely");
        }
        TokenCommand::List => {
            println!("{:<24} {:<30} {:<30} STATUS", "NAME", "CAS", "PROFILES");
            for t in store::api_tokens::list(&pki.store).await? {
                let status = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!("{:<24} {:<30} {:<30} {status}", t.name, t.cas, t.profiles);
            }
        }
        TokenCommand::Revoke { name } => {
            pki.revoke_api_token(&name, &cli_actor()).await?;
            println!("token {name:?} revoked");
        }
    }
    Ok(())
}

async fn audit(global: &GlobalArgs, command: AuditCommand) -> Result<()> {
    let store = open_store(global).await?;
    match command {
        AuditCommand::Verify => match store::audit::verify(&store).await? {
            store::audit::ChainReport::Intact { events } => {
                println!("audit chain intact: {events} events");
                Ok(())
            }
            store::audit::ChainReport::Broken { seq, reason } => {
                println!("audit chain BROKEN at event {seq}: {reason}");
                std::process::exit(1);
            }
        },
        AuditCommand::List { action, limit } => {
            for e in store::audit::list(
                &store,
                &store::audit::AuditFilter {
                    action_prefix: action.unwrap_or_default(),
                    ..Default::default()
                },
                limit,
            )
            .await?
            {
                println!(
                    "{:>6} {} {:<24} {:<24} {:<48} {}",
                    e.seq,
                    format_time(e.at),
                    e.actor,
                    e.action,
                    e.object,
                    e.details
                );
            }
            Ok(())
        }
    }
}

/// The notification providers chosen by the flags (the file providers write under
/// DATA_DIR/outbox).
fn deliverers(global: &GlobalArgs) -> Result<services::notifications::worker::Deliverers> {
    use crate::cli::{EmailProvider, SmsProvider};
    use services::notifications::provider::{FileProvider, Provider};
    use services::notifications::{sms_gateway::HttpSmsGateway, smtp::SmtpProvider};
    let dir = global.data_dir.join("outbox");
    let sms: Arc<dyn Provider> = match global.sms_provider {
        SmsProvider::File => Arc::new(FileProvider::new(&dir, "sms")),
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
            Arc::new(HttpSmsGateway::new(url, secret.trim_ascii()).map_err(anyhow::Error::msg)?)
        }
    };
    let email: Arc<dyn Provider> = match global.email_provider {
        EmailProvider::File => Arc::new(FileProvider::new(&dir, "email")),
        EmailProvider::Smtp => {
            let url = global
                .smtp_url
                .as_deref()
                .context("--smtp-url is required with --email-provider smtp")?;
            Arc::new(SmtpProvider::new(url, &global.smtp_from).map_err(anyhow::Error::msg)?)
        }
    };
    Ok(services::notifications::worker::Deliverers { sms, email })
}

async fn outbox(global: &GlobalArgs, command: OutboxCommand) -> Result<()> {
    use services::notifications::{self, Recipient};
    let store = open_store(global).await?;
    match command {
        OutboxCommand::List { status, limit } => {
            println!(
                "{:>6} {:<7} {:<8} {:<34} {:<24} {:>3} {:<20} LAST ERROR",
                "ID", "CHANNEL", "STATUS", "TEMPLATE", "TO", "TRY", "CREATED"
            );
            for m in store::outbox::list(&store, status.as_deref(), limit).await? {
                println!(
                    "{:>6} {:<7} {:<8} {:<34} {:<24} {:>3} {:<20} {}",
                    m.id,
                    m.channel,
                    m.status,
                    m.template,
                    m.recipient,
                    m.attempts,
                    format_time(m.created_at),
                    m.last_error.unwrap_or_default()
                );
            }
        }
        OutboxCommand::Retry { id } => {
            notifications::retry_failed(&store, id, &cli_actor()).await?;
            println!("message {id} queued again");
        }
        OutboxCommand::Test { sms, email } => {
            let to = match (sms, email) {
                (Some(phone), _) => Recipient::Sms(
                    phone
                        .parse()
                        .map_err(|e: domain::PhoneNumberError| anyhow::anyhow!("--sms: {e}"))?,
                ),
                (None, Some(address)) if address.contains('@') => Recipient::Email(address),
                (None, Some(address)) => bail!("--email: {address:?} is not an e-mail address"),
                (None, None) => bail!("give --sms or --email"),
            };
            notifications::send_test(&store, &to, &global.ca_organization, &cli_actor()).await?;
            let sent = notifications::worker::deliver_due(&store, &deliverers(global)?).await?;
            println!("test message queued; {sent} message(s) delivered now");
        }
    }
    Ok(())
}

async fn operator(global: &GlobalArgs, command: OperatorCommand) -> Result<()> {
    use services::operators::{self, Change};
    let store = open_store(global).await?;
    let actor = cli_actor();
    match command {
        OperatorCommand::Create {
            username,
            name,
            roles,
        } => {
            let password = operators::create(&store, &username, &name, &roles, &actor).await?;
            println!("{}", *password);
            eprintln!("operator {username:?} created; the password above is shown only now");
        }
        OperatorCommand::List => {
            println!("{:<20} {:<20} {:<44} STATUS", "USERNAME", "NAME", "ROLES");
            for o in store::operators::list(&store).await? {
                let status = if o.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                println!(
                    "{:<20} {:<20} {:<44} {status}",
                    o.username, o.display_name, o.roles
                );
            }
        }
        OperatorCommand::Roles { username, roles } => {
            operators::change(&store, &username, Change::Roles(&roles), &actor).await?;
            println!("roles of {username:?} set to {roles}");
        }
        OperatorCommand::Disable { username } => {
            operators::change(&store, &username, Change::Disable, &actor).await?;
            println!("operator {username:?} disabled");
        }
        OperatorCommand::Enable { username } => {
            operators::change(&store, &username, Change::Enable, &actor).await?;
            println!("operator {username:?} enabled");
        }
        OperatorCommand::ResetPassword { username } => {
            if let Some(password) =
                operators::change(&store, &username, Change::ResetPassword, &actor).await?
            {
                println!("{}", *password);
                eprintln!(
                    "new password of {username:?} above, shown only now; their sessions ended"
                );
            }
        }
    }
    Ok(())
}
