//! `certhall outbox`: the notification outbox: list, retry a failed message, send a test
//! through the configured provider.

use anyhow::{Context, Result, bail};
use domain::{MessageStatus, Status};
use services::notifications::{self, Recipient};

use super::{cli_actor, config, format_time};
use crate::cli::{GlobalArgs, OutboxCommand};

pub async fn run(global: &GlobalArgs, command: OutboxCommand) -> Result<()> {
    let app = config::open(global).await?;
    let actor = cli_actor();
    match command {
        OutboxCommand::List { status, limit } => {
            println!(
                "{:>6} {:<7} {:<8} {:<34} {:<24} {:>3} {:<20} LAST ERROR",
                "ID", "CHANNEL", "STATUS", "TEMPLATE", "TO", "TRY", "CREATED"
            );
            let status = match status.as_deref() {
                None => None,
                Some(text) => Some(MessageStatus::parse(text).with_context(|| {
                    format!("--status: {text:?} (pending, sending, sent or failed)")
                })?),
            };
            for m in notifications::messages(&app, &actor, status, limit).await? {
                println!(
                    "{:>6} {:<7} {:<8} {:<34} {:<24} {:>3} {:<20} {}",
                    m.id,
                    m.kind.as_str(),
                    m.status.as_str(),
                    m.template,
                    m.recipient,
                    m.attempts,
                    format_time(m.created_at),
                    m.last_error.unwrap_or_default()
                );
            }
        }
        OutboxCommand::Retry { id } => {
            notifications::retry(&app, &actor, id).await?;
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
            notifications::send_test(&app, &actor, &to, &global.ca_organization).await?;
            let sent = services::jobs::outbox::run_once(&app).await?;
            println!("test message queued; {sent} message(s) delivered now");
        }
    }
    Ok(())
}
