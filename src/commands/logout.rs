//! `spotctl logout`: delete an account's stored tokens (under its lock, so a concurrent
//! refresh cannot write it back).

use crate::auth::session::{lock_wait, no_account};
use crate::cli::LogoutArgs;
use crate::context::Ctx;
use crate::error::Result;

pub async fn run(ctx: &Ctx, args: LogoutArgs) -> Result<()> {
    let names: Vec<String> = if args.all {
        ctx.store.list()?.into_iter().map(|(n, _)| n).collect()
    } else {
        vec![ctx.account_name().to_string()]
    };
    for name in &names {
        let _lock = ctx.store.lock(name, lock_wait(ctx)).await?;
        if !ctx.store.delete(name)? {
            if args.all {
                continue;
            }
            return Err(no_account(name));
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
