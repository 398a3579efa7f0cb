//! `spotctl logout`: revoke the login at the provider where the account has an endpoint for it
//! (RFC 7009, Kakao's logout; `--no-revoke` skips it; a failure is one warning line), then
//! delete the stored tokens (under the account's lock, so a concurrent refresh cannot write
//! them back). `--all` asks first on a terminal and needs `--yes` otherwise.

use crate::auth::session::lock_wait;
use crate::cli::LogoutArgs;
use crate::context::Ctx;
use crate::error::{Error, Result};
use std::io::{IsTerminal, Write};

pub async fn run(ctx: &Ctx, args: LogoutArgs) -> Result<()> {
    let names: Vec<String> = if args.all {
        ctx.store.list()?.into_iter().map(|(n, _)| n).collect()
    } else {
        vec![ctx.account_name().to_string()]
    };
    if args.all && !args.yes && !names.is_empty() && !confirmed(&names)? {
        eprintln!("spotctl: nothing was deleted");
        return Ok(());
    }
    for name in &names {
        if !ctx.store.path(name).exists() && !args.all {
            return Err(Error::auth(format!(
                "no account named \"{name}\" to log out (see `spotctl accounts`)"
            )));
        }
        let _lock = ctx.store.lock(name, lock_wait(ctx)).await?;
        if !args.no_revoke {
            revoke(ctx, name).await;
        }
        if !ctx.store.delete(name)? {
            continue;
        }
        // No NAME.lock left behind: removed while held; a waiter then takes the next one
        // (`Store::lock` checks its file is still the lock file). Windows keeps it.
        #[cfg(unix)]
        let _ = std::fs::remove_file(ctx.store.dir().join(format!("{name}.lock")));
        if !ctx.quiet {
            eprintln!("spotctl: logged out {name}");
        }
    }
    if names.is_empty() && !ctx.quiet {
        eprintln!("spotctl: no accounts to log out");
    }
    Ok(())
}

/// Revokes `name`'s tokens where it has an endpoint; a failure is a warning (the file is
/// deleted anyway: the user asked to be logged out here).
async fn revoke(ctx: &Ctx, name: &str) {
    // An unreadable file has nothing to revoke with; deleting it is what was asked.
    let Ok(Some(acc)) = ctx.store.load(name) else {
        return;
    };
    if !crate::auth::revoke::has_endpoint(&acc) {
        return;
    }
    let result = match ctx.http() {
        Ok(http) => crate::auth::revoke::revoke(&http, &acc).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(true) => tracing::info!("{name}: tokens revoked at the provider"),
        Ok(false) => {}
        Err(e) => eprintln!(
            "spotctl: warning: {name}: could not revoke the tokens at the provider ({}); the account is deleted here anyway",
            crate::sanitize::line(&e.to_string())
        ),
    }
}

/// `--all` deletes browser logins that take a person to redo: ask on a terminal, and without
/// one refuse unless `--yes` was given (SPEC §1), before anything is touched.
fn confirmed(names: &[String]) -> Result<bool> {
    const SHOWN: usize = 6;
    let mut list = names
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        list.push_str(", …");
    }
    let what = match names.len() {
        1 => format!("1 account ({list})"),
        n => format!("{n} accounts ({list})"),
    };
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::usage(format!(
            "`logout --all` would delete {what}; add --yes to confirm (stdin is not a terminal to ask on)"
        )));
    }
    eprint!("Delete {what}? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .read_line(&mut answer)
        .map_err(|e| Error::usage(format!("reading the answer: {e}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
