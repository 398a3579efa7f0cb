//! `spotctl logout`: delete an account's stored tokens (under its lock, so a concurrent
//! refresh cannot write it back).

use crate::auth::session::lock_wait;
use crate::cli::LogoutArgs;
use crate::context::Ctx;
use crate::error::{Error, Result};

pub async fn run(ctx: &Ctx, args: LogoutArgs) -> Result<()> {
    let names: Vec<String> = if args.all {
        ctx.store.list()?.into_iter().map(|(n, _)| n).collect()
    } else {
        vec![ctx.account_name().to_string()]
    };
    for name in &names {
        if !ctx.store.path(name).exists() && !args.all {
            return Err(Error::auth(format!(
                "no account named \"{name}\" to log out (see `spotctl accounts`)"
            )));
        }
        let _lock = ctx.store.lock(name, lock_wait(ctx)).await?;
        if !ctx.store.delete(name)? {
            continue;
        }
        if !ctx.quiet {
            eprintln!("spotctl: logged out {name}");
        }
    }
    if names.is_empty() && !ctx.quiet {
        eprintln!("spotctl: no accounts to log out");
    }
    Ok(())
}
