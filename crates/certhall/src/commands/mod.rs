//! What each command does: one file per command group, each opening the application the
//! same way ([`config::open`]) and calling its use cases.

mod audit;
mod bench;
mod bench_flood;
mod ca;
mod config;
mod merchant;
mod operator;
mod outbox;
mod paysim;
mod serve;
mod token;

use anyhow::Result;
use services::people::actor::Actor;

use crate::cli::{BenchCommand, Cli, Command, LogFormat};

pub async fn run(cli: Cli) -> Result<()> {
    let serving = matches!(cli.command, Command::Serve { .. });
    init_logging(cli.global.log_format.unwrap_or(if serving {
        LogFormat::Json
    } else {
        LogFormat::Text
    }));
    match cli.command {
        Command::Serve { listen } => serve::serve(&cli.global, listen).await,
        Command::Ca(cmd) => ca::run(&cli.global, cmd).await,
        Command::Token(cmd) => token::run(&cli.global, cmd).await,
        Command::Audit(cmd) => audit::run(&cli.global, cmd).await,
        Command::Outbox(cmd) => outbox::run(&cli.global, cmd).await,
        Command::Merchant(cmd) => merchant::run(&cli.global, cmd).await,
        Command::Operator(cmd) => operator::run(&cli.global, cmd).await,
        Command::Paysim {
            port,
            time_scale,
            dir,
        } => paysim::run(port, time_scale, &dir).await,
        Command::Bench(BenchCommand::Sign { seconds }) => bench::sign(seconds),
        Command::Bench(BenchCommand::Documents { seconds }) => {
            bench::documents(&cli.global, seconds)
        }
        Command::Bench(BenchCommand::Flood { requests }) => bench_flood::run(requests).await,
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

/// RFC 3339 in UTC.
fn format_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
