//! `certhall ca`: list, profiles, a CA's certificate, issue, revoke, a fresh CRL, and the
//! first start in an HSM (`ca init`).

use anyhow::{Context, Result, bail};
use pki::RevocationReason;
use pki::profile::Profile;
use services::App;
use services::ca::{self, IssueRequest};

use super::{cli_actor, config, format_time};
use crate::cli::{CaCommand, GlobalArgs};

pub async fn run(global: &GlobalArgs, command: CaCommand) -> Result<()> {
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
    if let CaCommand::SetPublicUrl { url } = &command {
        // Opened without the flag: it is the record being changed, not checked.
        let app = config::open_with(global, |config| config.public_url = None).await?;
        let previous = ca::public_url::change(&app, &cli_actor(), url).await?;
        eprintln!(
            "public URL changed from {previous} to {}; certificates issued before keep {previous}: keep it answering. Restart running servers.",
            ca::public_url::parse(url)?
        );
        return Ok(());
    }
    let app = config::open(global).await?;
    match command {
        CaCommand::List { json } => ca_list(&app, json).await,
        CaCommand::Cert { ca } => {
            let ca = ca::find(&app, &ca).await?;
            print!("{}", pki::certificate::to_pem(&ca.cert_der)?);
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
            let request = IssueRequest {
                ca: &ca,
                profile: &profile,
                csr: &bytes,
                days,
                subject: subject.as_deref(),
            };
            let issued = ca::issue(&app, &cli_actor(), request).await?;
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
            let revoked = ca::revoke(&app, &cli_actor(), &serial, reason).await?;
            println!(
                "{} ({}): now {} (reason {})",
                revoked.serial, revoked.ca, revoked.status, revoked.reason
            );
            Ok(())
        }
        CaCommand::Crl { ca, out } => {
            let crl = ca::crl::publish(&app, &cli_actor(), &ca).await?;
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
        CaCommand::PublicUrl => {
            println!("{}", app.public_url());
            Ok(())
        }
        CaCommand::Init { .. } | CaCommand::Profiles { .. } | CaCommand::SetPublicUrl { .. } => {
            unreachable!("handled above")
        }
    }
}

async fn ca_init(
    global: &GlobalArgs,
    module: Option<std::path::PathBuf>,
    token: Option<String>,
) -> Result<()> {
    let app = config::open_with(global, |config| {
        if let (Some(module), Some(token), Some(p11)) = (module, token, config.ca.pkcs11.as_mut()) {
            p11.module = Some(module);
            p11.token_label = Some(token);
        }
    })
    .await?;
    if ca::bootstrap::is_initialised(&app).await? {
        bail!("the CA hierarchy already exists in this database; `ca init` must come first");
    }
    ca_list(&app, false).await
}

async fn ca_list(app: &App, json: bool) -> Result<()> {
    let rows: Vec<serde_json::Value> = ca::list(app)
        .await?
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
