//! `certhall token`: API tokens for registration-authority systems.

use anyhow::Result;
use services::ca::api_tokens;
use services::people::actor::Scope;

use super::{cli_actor, config};
use crate::cli::{GlobalArgs, TokenCommand};

pub async fn run(global: &GlobalArgs, command: TokenCommand) -> Result<()> {
    let app = config::open(global).await?;
    let actor = cli_actor();
    match command {
        TokenCommand::Create {
            name,
            cas,
            profiles,
        } => {
            let token = api_tokens::create(
                &app,
                &actor,
                &name,
                &Scope::parse(&cas),
                &Scope::parse(&profiles),
            )
            .await?;
            println!("{token}");
            eprintln!("token {name:?} created; it is shown only now, store it safely");
        }
        TokenCommand::List => {
            println!("{:<24} {:<30} {:<30} STATUS", "NAME", "CAS", "PROFILES");
            for t in api_tokens::list(&app, &actor).await? {
                let status = if t.revoked { "revoked" } else { "active" };
                println!("{:<24} {:<30} {:<30} {status}", t.name, t.cas, t.profiles);
            }
        }
        TokenCommand::Revoke { name } => {
            api_tokens::revoke(&app, &actor, &name).await?;
            println!("token {name:?} revoked");
        }
    }
    Ok(())
}
