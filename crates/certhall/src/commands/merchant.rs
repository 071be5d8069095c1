//! `certhall merchant`: a channel's own merchant with an online payment provider, its keys
//! read from the same flags `serve` takes and sealed in the database.

use anyhow::Result;
use services::hall::merchants;

use super::{cli_actor, config};
use crate::cli::{GlobalArgs, MerchantCommand, MerchantProvider};

pub async fn run(global: &GlobalArgs, command: MerchantCommand) -> Result<()> {
    let app = config::open(global).await?;
    let actor = cli_actor();
    match command {
        MerchantCommand::Set { channel, provider } => {
            let keys = match provider {
                MerchantProvider::Alipay => config::alipay_keys(global)?,
                MerchantProvider::Wechat => config::wechat_keys(global)?,
            };
            merchants::set(&app, &actor, channel.as_deref(), &keys).await?;
            match channel {
                Some(channel) => println!(
                    "channel {channel:?} has its own merchant; its keys are sealed in the database"
                ),
                None => println!(
                    "the installation's merchant is set; its keys are sealed in the database"
                ),
            }
        }
        MerchantCommand::List => {
            println!(
                "{:<16} {:<8} {:<24} UPDATED",
                "CHANNEL", "PROVIDER", "APP ID"
            );
            for m in merchants::list(&app, &actor).await? {
                println!(
                    "{:<16} {:<8} {:<24} {}",
                    m.channel,
                    m.provider,
                    m.app_id,
                    domain::time::UnixTime::from_seconds(m.updated_at).china_date()
                );
            }
        }
    }
    Ok(())
}
