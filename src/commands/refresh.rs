//! `spotctl refresh`: made for cron. Quiet on success (cron mails only problems) unless `-v`;
//! `--all` is a batch (`batch.rs`): it goes on past a failing account, ends with a summary line
//! and the first failure's code; when a token endpoint is gone (exit 6) or rate limits beyond
//! the cap (exit 5), the other accounts of that endpoint are not tried (they would fail the same
//! way, and a 429 would only get worse), while accounts of other providers still are. Warns
//! when a refresh token's lifetime (Spotify: 6 months after login) ends within 14 days.

use crate::auth::session::{Need, ensure};
use crate::cli::RefreshArgs;
use crate::commands::batch::Batch;
use crate::context::Ctx;
use crate::duration::human;
use crate::error::{Error, Result};
use crate::store::{Account, now};
use std::sync::Arc;

const WARN_WITHIN: i64 = 14 * 86400;
const WARN_EVERY: i64 = 86400;

/// Best effort: a busy lock or a failed write only means the warning may come again.
async fn remember_warning(ctx: &Ctx, name: &str) {
    let Ok(_lock) = ctx
        .store
        .lock(name, std::time::Duration::from_millis(500))
        .await
    else {
        return;
    };
    if let Ok(Some(mut acc)) = ctx.store.load(name) {
        acc.oauth.warned_at = Some(now());
        if let Err(e) = ctx.store.save(name, &acc) {
            tracing::debug!("{name}: could not remember the warning: {e}");
        }
    }
}

pub async fn run(ctx: Arc<Ctx>, args: RefreshArgs) -> Result<()> {
    // Each account with the origin of its token endpoint, read once by the listing (`None`
    // where the file does not read: `ensure` reports that itself).
    let names: Vec<(String, Option<String>)> = if args.all {
        let list = ctx.store.list()?;
        if list.is_empty() && !ctx.quiet {
            eprintln!("spotctl: no accounts to refresh");
        }
        list.into_iter()
            .map(|(n, acc)| {
                let origin = acc.ok().and_then(|a| token_origin(&a));
                (n, origin)
            })
            .collect()
    } else {
        vec![(ctx.account_name().to_string(), None)]
    };
    let need = match args.if_expires_within {
        Some(d) => Need::Within(d),
        None => Need::Always,
    };
    let mut batch = Batch::new(("account", "accounts"), false).with_own_stops();
    // Token endpoints that failed with exit 5/6, and the account that found out.
    let mut gone: Vec<(String, String)> = Vec::new();
    for (name, origin) in &names {
        if let Some((o, first)) = gone.iter().find(|(o, _)| Some(o) == origin.as_ref()) {
            batch.fail(
                name,
                Error::network(format!(
                    "not tried: its token endpoint {o} just failed for {first}"
                )),
            )?;
            continue;
        }
        match ensure(&ctx, name, need).await {
            Ok((acc, refreshed)) => {
                if ctx.verbose > 0 {
                    let left = human(acc.expires_at.saturating_sub(now()));
                    if refreshed {
                        eprintln!("spotctl: {name}: refreshed, valid for {left}");
                    } else {
                        eprintln!("spotctl: {name}: still valid for {left}, skipped");
                    }
                }
                if !ctx.quiet {
                    warn_relogin(&ctx, name, &acc).await;
                }
            }
            Err(e) if !args.all => return Err(e),
            Err(e) => {
                if e.is_service_wide()
                    && let Some(o) = origin
                {
                    gone.push((o.clone(), name.clone()));
                }
                batch.fail(name, e)?;
                continue;
            }
        }
        batch.ok();
    }
    batch.finish()
}

/// The origin of the account's token endpoint (`https://accounts.spotify.com`).
fn token_origin(acc: &Account) -> Option<String> {
    let url = url::Url::parse(&acc.token_url).ok()?;
    Some(url.origin().ascii_serialization())
}

/// Warns when the refresh token's lifetime ends within 14 days: at most once a day per account
/// (cron mails every line; the day's warning is remembered in the account), always with `-v`.
async fn warn_relogin(ctx: &Ctx, name: &str, acc: &Account) {
    let Some(end) = acc.refresh_token_expires_at else {
        return;
    };
    let left = end.saturating_sub(now());
    let said_today = acc
        .oauth
        .warned_at
        .is_some_and(|at| (0..WARN_EVERY).contains(&now().saturating_sub(at)));
    if acc.refresh_token.is_some() && left < WARN_WITHIN && (ctx.verbose > 0 || !said_today) {
        if ctx.verbose == 0 {
            remember_warning(ctx, name).await;
        }
        let when = httpdate::fmt_http_date(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(end.max(0) as u64),
        );
        if left <= 0 {
            eprintln!(
                "spotctl: warning: {name}: the refresh token has expired; run `spotctl login -a {name}`"
            );
        } else {
            eprintln!(
                "spotctl: warning: {name}: the refresh token expires in {} ({when}); run `spotctl login -a {name}` before then",
                human(left)
            );
        }
    }
}
