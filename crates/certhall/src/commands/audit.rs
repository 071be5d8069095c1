//! `certhall audit`: verify the hash chain, list recent events.

use anyhow::Result;
use services::audit::{self, ChainReport};

use super::{cli_actor, config, format_time};
use crate::cli::{AuditCommand, GlobalArgs};

pub async fn run(global: &GlobalArgs, command: AuditCommand) -> Result<()> {
    let app = config::open(global).await?;
    let actor = cli_actor();
    match command {
        AuditCommand::Verify => match audit::verify(&app, &actor).await? {
            ChainReport::Intact { events } => {
                println!("audit chain intact: {events} events");
                Ok(())
            }
            ChainReport::Broken { seq, reason } => {
                println!("audit chain BROKEN at event {seq}: {reason}");
                std::process::exit(1);
            }
        },
        AuditCommand::List { action, limit } => {
            let query = domain::AuditFilter {
                action_prefix: action.unwrap_or_default(),
                ..Default::default()
            };
            for e in audit::list(&app, &actor, &query, limit).await? {
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
