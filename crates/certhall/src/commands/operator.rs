//! `certhall operator`: the console's operators: create, list, roles, disable, enable,
//! reset a password.

use anyhow::Result;
use services::people::operators::{self, Change};

use super::{cli_actor, config};
use crate::cli::{GlobalArgs, OperatorCommand};

pub async fn run(global: &GlobalArgs, command: OperatorCommand) -> Result<()> {
    let app = config::open(global).await?;
    let actor = cli_actor();
    match command {
        OperatorCommand::Create {
            username,
            name,
            roles,
        } => {
            let password = operators::create(&app, &actor, &username, &name, &roles).await?;
            println!("{}", *password);
            eprintln!("operator {username:?} created; the password above is shown only now");
        }
        OperatorCommand::List => {
            println!("{:<20} {:<20} {:<44} STATUS", "USERNAME", "NAME", "ROLES");
            for o in operators::list(&app, &actor).await? {
                let status = if o.disabled { "disabled" } else { "active" };
                println!(
                    "{:<20} {:<20} {:<44} {status}",
                    o.username,
                    o.display_name,
                    o.roles.to_text()
                );
            }
        }
        OperatorCommand::Roles { username, roles } => {
            operators::change(&app, &actor, &username, Change::Roles(&roles)).await?;
            println!("roles of {username:?} set to {roles}");
        }
        OperatorCommand::Disable { username } => {
            operators::change(&app, &actor, &username, Change::Disable).await?;
            println!("operator {username:?} disabled");
        }
        OperatorCommand::Enable { username } => {
            operators::change(&app, &actor, &username, Change::Enable).await?;
            println!("operator {username:?} enabled");
        }
        OperatorCommand::ResetPassword { username } => {
            if let Some(password) =
                operators::change(&app, &actor, &username, Change::ResetPassword).await?
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
