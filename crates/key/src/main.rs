//! `certhall-key`: the producer's workstation tool (a thin face over [`certhall_key`]).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "certhall-key",
    version,
    about = "CertHall's USB key workstation tool"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lists the keys inserted in the readers of a PKCS#11 module.
    Keys {
        /// The vendor's PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so).
        #[arg(long)]
        module: PathBuf,
    },
    /// Puts the next application's certificate (or a named one's) onto the inserted key, or
    /// every application of an order onto the keys inserted (`--order`).
    Produce(Box<certhall_key::ProduceArgs>),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Keys { module } => {
            for key in certhall_key::list(&module)? {
                println!("{key}");
            }
            Ok(())
        }
        Command::Produce(args) => {
            match args.order {
                Some(order) => {
                    for made in certhall_key::produce_order(&args, order).await? {
                        println!("{made}");
                    }
                }
                None => println!("{}", certhall_key::produce(&args).await?),
            }
            Ok(())
        }
    }
}
