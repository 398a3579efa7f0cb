//! Keeping an account's access token valid, safely across processes.
//!
//! [`ensure`] is the read → decide → refresh → write sequence of SPEC §2. It runs under the
//! account's exclusive lock and re-reads the file after taking it, so when twenty `spotctl token`
//! processes find the same expired token, one refreshes and the other nineteen use its result.
//! That matters because providers rotate refresh tokens: two refreshes with the same one can log
//! the user out. A refresh that returns no `refresh_token` keeps the old one; a failed refresh
//! leaves the file exactly as it was.
//!
//! [`Session`] is an account in use by one run: it hands out the current token and, after a
//! 401, renews it once for all concurrent requests.

use crate::auth::token::{GrantKind, TokenClient, TokenResponse};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::{Account, Grant, Provider, blocking, now};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long a learned page size is trusted before 50 is tried again.
const PAGE_LIMIT_TTL: i64 = 7 * 86400;

/// How long to wait for another process holding the account lock: longer than the worst case
/// of the refresh it may be doing under that lock (every retry timing out or waiting the longest
/// allowed `Retry-After`), so a waiter never gives up on a holder that is still within its rights.
pub fn lock_wait(ctx: &Ctx) -> Duration {
    let p = &ctx.policy;
    let per_try = p
        .timeout
        .saturating_add(p.max_retry_wait.max(Duration::from_secs(30)));
    per_try
        .saturating_mul(p.max_retries.saturating_add(1))
        .max(Duration::from_secs(60))
        .saturating_add(Duration::from_secs(30))
}
/// How long a best-effort write (the learned page size) waits for the account lock.
const BEST_EFFORT_LOCK_WAIT: Duration = Duration::from_millis(500);
/// `token` and the catalog commands refresh a token that expires within this.
pub const MIN_VALID: Duration = Duration::from_secs(60);
/// Spotify refresh tokens die this long after the user authorised (since mid-2026; the exact
/// day is "6 months", so we count conservatively).
pub const SPOTIFY_REFRESH_LIFETIME: i64 = 182 * 86400;

#[derive(Debug, Clone, Copy)]
pub enum Need<'a> {
    /// Refresh if the token expires within this.
    Within(Duration),
    /// Refresh unless the stored token is no longer this one (another process renewed it).
    Replace(&'a Secret),
    Always,
}

fn needs(acc: &Account, need: Need<'_>) -> bool {
    match need {
        // Saturating: a hand-edited `expires_at` of i64::MIN is long expired, not wrapped
        // into "valid for 292 billion years".
        Need::Within(d) => {
            acc.expires_at.saturating_sub(now()) <= i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
        }
        Need::Replace(stale) => &acc.access_token == stale || acc.expires_at <= now(),
        Need::Always => true,
    }
}

/// Whether the stored account got a new access token between two reads (by another process
/// that held the lock in between), and that token is still usable.
fn refreshed_meanwhile(before: &Account, after: &Account) -> bool {
    after.access_token != before.access_token && after.expires_at > now()
}

pub fn no_account(name: &str) -> Error {
    Error::auth(format!(
        "no account named \"{name}\"; run `spotctl login -a {name}` (or `spotctl accounts` to see the stored ones)"
    ))
}

/// The token endpoint to use for an account: the stored one, or `SPOTCTL_ACCOUNTS_BASE` for
/// Spotify accounts when it is set (tests, proxies).
pub fn token_url(ctx: &Ctx, acc: &Account) -> String {
    match (&ctx.accounts_base_env, acc.provider) {
        (Some(base), Provider::Spotify) => {
            format!("{}/api/token", base.as_str().trim_end_matches('/'))
        }
        _ => acc.token_url.clone(),
    }
}

/// SPEC §2: an account is bound to the origins it was created with (`token_url`, `api_base`).
/// `SPOTCTL_ACCOUNTS_BASE`/`SPOTCTL_API_BASE` (read for Spotify accounts) pointing at another
/// origin are refused for it, exit 2 naming both: following them would hand its refresh token,
/// client secret and access token to that server. Moving an account is a new login.
pub fn check_origins(ctx: &Ctx, name: &str, acc: &Account) -> Result<()> {
    if acc.provider != Provider::Spotify {
        return Ok(());
    }
    let login = match acc.grant {
        Grant::ClientCredentials => format!("spotctl login --client-credentials -a {name}"),
        Grant::AuthorizationCode => format!("spotctl login -a {name}"),
    };
    if ctx.accounts_base_env.is_some() {
        let env = token_url(ctx, acc);
        let stored = &acc.token_url;
        same_origin(
            name,
            "token endpoint",
            stored,
            &env,
            "SPOTCTL_ACCOUNTS_BASE",
            &login,
        )?;
    }
    if let Some(env) = &ctx.api_base_env {
        same_origin(
            name,
            "API",
            &acc.api_base,
            env.as_str(),
            "SPOTCTL_API_BASE",
            &login,
        )?;
    }
    Ok(())
}

fn same_origin(
    name: &str,
    what: &str,
    stored: &str,
    env: &str,
    var: &str,
    login: &str,
) -> Result<()> {
    let origin = |u: &str| url::Url::parse(u).map(|u| u.origin());
    match (origin(stored), origin(env)) {
        // Opaque origins (unparseable) never compare equal, so they are refused too.
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (a, b) => {
            let show = |o: std::result::Result<url::Origin, _>, raw: &str| match o {
                Ok(o) if o.is_tuple() => o.ascii_serialization(),
                _ => crate::api::ids::shown(raw),
            };
            Err(Error::usage(format!(
                "account \"{name}\" belongs to {} ({what}), but {var} points to {}: its tokens are never sent to another origin; unset {var}, or run `{login}` to log in there",
                show(a, stored),
                show(b, env)
            )))
        }
    }
}

/// Makes sure the stored token satisfies `need`, refreshing under the lock if not. Returns the
/// account as stored afterwards and whether this call refreshed it.
pub async fn ensure(ctx: &Ctx, name: &str, need: Need<'_>) -> Result<(Account, bool)> {
    let store = &ctx.store;
    let acc = store.load(name)?.ok_or_else(|| no_account(name))?;
    check_origins(ctx, name, &acc)?;
    if !needs(&acc, need) {
        return Ok((acc, false));
    }
    let _lock = store.lock(name, lock_wait(ctx)).await?;
    let before = acc;
    let acc = store.load(name)?.ok_or_else(|| no_account(name))?;
    // Another process refreshed while this one waited for the lock: use its token. Checking
    // only the threshold is not enough when the provider's tokens live less than it (a 30 s
    // token is "expiring" the moment it is issued), and every waiter would refresh again.
    if !needs(&acc, need) || refreshed_meanwhile(&before, &acc) {
        tracing::debug!("account {name}: another process already refreshed it");
        return Ok((acc, false));
    }
    if let Some(at) = acc.oauth.refresh_refused_at
        && acc.grant == Grant::AuthorizationCode
    {
        // Remembered from an earlier run: asking again would get the same answer.
        return Err(login_needed(name, at));
    }
    let http = ctx.http()?;
    // Room for the answer first: a rotated refresh token that cannot be stored is lost. The
    // writes (with their fsyncs) run off the runtime: a renewal in the middle of a crawl must
    // not stall the requests in flight.
    let (s, n) = (store.clone(), name.to_string());
    let reserved = blocking::run(move || s.reserve(&n)).await?;
    // A refused refresh token (`invalid_grant`) is remembered (nothing else changes: the
    // tokens stay as they were); any other failure leaves the file exactly as it was.
    let fresh = match renew(ctx, &http, name, &acc).await {
        Ok(f) => f,
        Err(Error::Auth(m)) if m.starts_with(crate::auth::token::REFRESH_REFUSED) => {
            let mut marked = acc.clone();
            marked.oauth.refresh_refused_at = Some(now());
            let (s, n) = (store.clone(), name.to_string());
            blocking::run(move || s.commit(&n, &marked, reserved)).await?;
            return Err(Error::Auth(m));
        }
        Err(e) => return Err(e),
    };
    let (s, n, f) = (store.clone(), name.to_string(), fresh.clone());
    blocking::run(move || s.commit(&n, &f, reserved)).await?;
    tracing::debug!(
        "account {name}: new access token, valid for {}",
        crate::duration::human(fresh.expires_at.saturating_sub(now()))
    );
    Ok((fresh, true))
}

/// `token`/`refresh` on an account whose refresh token the provider refused (exit 3, no
/// request).
pub fn login_needed(name: &str, at: i64) -> Error {
    Error::auth(format!(
        "account \"{name}\" needs a new login: the provider refused its refresh token {} ago; run `spotctl login -a {name}`",
        crate::duration::human(now().saturating_sub(at).max(1))
    ))
}

/// Runs the grant that yields a new access token for `acc` and merges the answer.
async fn renew(
    ctx: &Ctx,
    http: &crate::api::http::Http,
    name: &str,
    acc: &Account,
) -> Result<Account> {
    let url = token_url(ctx, acc);
    crate::env::check_base(&url, "token URL")?;
    let credentials = acc.oauth.credentials_from.clone().unwrap_or_else(|| {
        format!("the client id and secret stored in account \"{name}\" at its login")
    });
    let client = TokenClient {
        credentials: &credentials,
        http,
        token_url: &url,
        client_id: &acc.client_id,
        client_secret: acc.client_secret.as_ref(),
        client_auth: acc.client_auth,
        account: name,
    };
    let extra = acc.oauth.token_params.iter().cloned();
    let resp = match acc.grant {
        Grant::ClientCredentials => {
            let mut p = crate::auth::token::client_credentials_params(&acc.scopes);
            p.extend(extra);
            client.request(GrantKind::ClientCredentials, p).await?
        }
        Grant::AuthorizationCode => {
            let Some(rt) = &acc.refresh_token else {
                return Err(Error::auth(format!(
                    "account \"{name}\" has no refresh token; run `spotctl login -a {name}`"
                )));
            };
            client
                .request(
                    GrantKind::Refresh,
                    vec![
                        ("grant_type".into(), "refresh_token".into()),
                        ("refresh_token".into(), rt.expose().to_string()),
                    ]
                    .into_iter()
                    .chain(extra)
                    .collect(),
                )
                .await?
        }
    };
    Ok(merge(acc, resp))
}

/// The merge rule that survives both the rotating and the 2026 regimes: keep the new refresh
/// token if one came, otherwise the old one.
pub fn merge(old: &Account, resp: TokenResponse) -> Account {
    let t = now();
    let mut acc = old.clone();
    acc.access_token = resp.access_token;
    acc.token_type = resp.token_type;
    acc.expires_at = t + resp.expires_in;
    if let Some(rt) = resp.refresh_token {
        acc.refresh_token = Some(rt);
        if let Some(secs) = resp.refresh_token_expires_in {
            acc.refresh_token_expires_at = Some(t + secs);
        }
    }
    if let Some(scope) = resp.scope {
        acc.scopes = split_scopes(&scope);
    }
    acc.updated_at = t;
    acc
}

pub fn split_scopes(s: &str) -> Vec<String> {
    s.split([' ', ','])
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// The page sizes `acc` learned for the other kinds of listing (`page::page_key`), those
/// learned within a week.
fn fresh_limits(acc: &Account) -> std::collections::HashMap<&'static str, u64> {
    [
        "album_tracks",
        "playlist_items",
        "show_episodes",
        "audiobook_chapters",
    ]
    .into_iter()
    .filter_map(|k| {
        let l = acc.learned.page_limits.get(k)?;
        (0..PAGE_LIMIT_TTL)
            .contains(&now().saturating_sub(l.at))
            .then_some((k, u64::from(l.limit)))
    })
    .collect()
}

/// An account in use by this run.
pub struct Session {
    ctx: Arc<Ctx>,
    name: String,
    account: tokio::sync::Mutex<Account>,
    api_base: url::Url,
    page_limit: AtomicU64,
    /// Page sizes learned for the other kinds of listing (`page::page_key`), fresh ones only.
    limits: std::sync::Mutex<std::collections::HashMap<&'static str, u64>>,
    /// A renewal the provider refused (exit 3: `invalid_grant`, `invalid_client`): every later
    /// 401 of this run gets the same answer without asking again (SPEC §2: never retried).
    refused: std::sync::Mutex<Option<String>>,
}

impl Session {
    /// Opens `name`, refreshing its token first if it expires within a minute.
    pub async fn open(ctx: Arc<Ctx>, name: &str) -> Result<Session> {
        let (acc, _) = ensure(&ctx, name, Need::Within(MIN_VALID)).await?;
        Self::from_account(ctx, name, acc)
    }

    pub fn from_account(ctx: Arc<Ctx>, name: &str, acc: Account) -> Result<Session> {
        check_origins(&ctx, name, &acc)?;
        let api_base = match (&ctx.api_base_env, acc.provider) {
            (Some(env), Provider::Spotify) => env.clone(),
            // A token-only account (logged in without --api-base): `api` refuses it
            // ([`Session::require_api`]); the token endpoint stands in, never used.
            _ if acc.api_base.is_empty() => {
                crate::env::check_base(&acc.token_url, &format!("token URL of account {name}"))?
            }
            _ => crate::env::check_base(&acc.api_base, &format!("API base of account {name}"))?,
        };
        let fresh = acc
            .learned
            .page_limit_at
            .is_some_and(|at| (0..PAGE_LIMIT_TTL).contains(&now().saturating_sub(at)));
        let page_limit = acc
            .learned
            .page_limit
            .filter(|_| fresh)
            .map(u64::from)
            .unwrap_or(crate::api::page::LARGE_PAGE);
        // 429 pauses are per app: shared with the other processes using it.
        ctx.share_pauses(crate::store::pause::PauseFile::new(
            ctx.store.dir(),
            &acc.client_id,
        ));
        Ok(Session {
            limits: std::sync::Mutex::new(fresh_limits(&acc)),
            ctx,
            name: name.to_string(),
            account: tokio::sync::Mutex::new(acc),
            api_base,
            page_limit: AtomicU64::new(page_limit),
            refused: std::sync::Mutex::new(None),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn api_base(&self) -> &url::Url {
        &self.api_base
    }

    /// An account logged in for tokens only has no API to call.
    pub fn require_api(&self) -> Result<()> {
        match self.account.try_lock() {
            Ok(a) if a.api_base.is_empty() => Err(Error::usage(format!(
                "account \"{}\" has no API base (it was logged in for tokens only); log in again with --api-base URL",
                self.name
            ))),
            _ => Ok(()),
        }
    }

    /// A copy of the account as this run knows it.
    pub async fn account(&self) -> Account {
        self.account.lock().await.clone()
    }

    pub async fn token(&self) -> Secret {
        self.account.lock().await.access_token.clone()
    }

    /// After a 401 with `stale`: returns a newer token, renewing it at most once per stale
    /// token however many requests saw the 401 at the same time.
    pub async fn renew(&self, stale: &Secret) -> Result<Secret> {
        let mut acc = self.account.lock().await;
        if &acc.access_token != stale {
            return Ok(acc.access_token.clone());
        }
        if let Some(msg) = self
            .refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            return Err(Error::auth(msg));
        }
        match ensure(&self.ctx, &self.name, Need::Replace(stale)).await {
            Ok((fresh, _)) => {
                *acc = fresh;
                Ok(acc.access_token.clone())
            }
            Err(Error::Auth(msg)) => {
                *self.refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(msg.clone());
                Err(Error::Auth(msg))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether the batch endpoints answered 403 for this account (this run, or within a week).
    pub async fn batch_forbidden(&self) -> bool {
        let at = self.account.lock().await.learned.batch_forbidden_at;
        at.is_some_and(|at| (0..PAGE_LIMIT_TTL).contains(&now().saturating_sub(at)))
    }

    /// Records that the batch endpoints are refused (Development Mode), for this run and, best
    /// effort, the next ones.
    pub async fn remember_batch_forbidden(&self) {
        self.account.lock().await.learned.batch_forbidden_at = Some(now());
        self.learn("that the batch endpoints are refused", |l| {
            l.batch_forbidden_at = Some(now())
        });
    }

    /// Writes something learned into the stored account, best effort and in the background:
    /// the listing that learned it goes on at once (the lock wait, the file work and its
    /// fsyncs happen off the runtime; `main` waits for them before exiting). A failure is one
    /// warning naming `what`: the next run learns it again.
    fn learn(
        &self,
        what: &'static str,
        set: impl FnOnce(&mut crate::store::Learned) + Send + 'static,
    ) {
        let (ctx, name) = (self.ctx.clone(), self.name.clone());
        blocking::spawn(async move {
            if let Err(e) = save_learned(&ctx, name, set).await {
                tracing::warn!("could not remember {what} in the account: {e}");
            }
        });
    }

    /// The page size to ask `url`'s listing for (see `page::page_key`): the account's
    /// `page_limit` for search and artist albums, the one learned for that kind of listing
    /// otherwise, else 50.
    pub fn page_limit_for(&self, url: &url::Url) -> u64 {
        match crate::api::page::page_key(url) {
            None | Some(crate::api::page::CATALOG) => self.page_limit(),
            Some(key) => self
                .limits
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(key)
                .copied()
                .unwrap_or(crate::api::page::LARGE_PAGE),
        }
    }

    /// Records the largest page size `url`'s listing accepts, for this run and the next ones.
    pub fn remember_page_limit_for(&self, url: &url::Url, limit: u64) {
        let key = match crate::api::page::page_key(url) {
            None | Some(crate::api::page::CATALOG) => {
                return self.remember_page_limit(limit);
            }
            Some(key) => key,
        };
        let before = self
            .limits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, limit);
        if before == Some(limit) {
            return;
        }
        let learned = crate::store::LearnedLimit {
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
            at: now(),
        };
        self.learn("the page size", move |l| {
            l.page_limits.insert(key.to_string(), learned);
        });
    }

    pub fn page_limit(&self) -> u64 {
        self.page_limit.load(Ordering::Acquire)
    }

    /// Records the largest page size the service accepts: for this run at once, and for the
    /// next ones in the account, in the background ([`Session::learn`]).
    pub fn remember_page_limit(&self, limit: u64) {
        if self.page_limit.swap(limit, Ordering::AcqRel) == limit {
            return;
        }
        self.learn("the page size", move |l| {
            l.page_limit = Some(limit as u32);
            l.page_limit_at = Some(now());
        });
    }
}

/// Stores what `set` writes into the account's `learned`, under its lock, off the runtime.
async fn save_learned(
    ctx: &Ctx,
    name: String,
    set: impl FnOnce(&mut crate::store::Learned) + Send + 'static,
) -> Result<()> {
    let store = ctx.store.clone();
    // Best effort: a listing never waits long for a lock another process holds (perhaps
    // through a slow refresh); the next run learns it again.
    let _lock = store
        .lock(&name, BEST_EFFORT_LOCK_WAIT)
        .await
        .map_err(|_| {
            Error::store(
                "another spotctl process is using the account; it is learned again next run",
            )
        })?;
    blocking::run(move || {
        if let Some(mut acc) = store.load(&name)? {
            set(&mut acc.learned);
            store.save(&name, &acc)?;
        }
        Ok(())
    })
    .await
}
