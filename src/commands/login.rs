//! `spotctl login`: which provider, client, scopes and redirect URI (from the flags, the
//! account being logged in again, the environment, the defaults), then the browser login
//! (`auth/login.rs`) or the client-credentials grant, and the account stored under its lock.
//!
//! Everything is validated before the browser opens (account name, the store's directories,
//! endpoints, the redirect URI), so a typo costs no browser round trip; an existing account is
//! replaced only once the new tokens are in hand.

use crate::auth::discovery::{Metadata, discover};
use crate::auth::login::{self, Client, DEFAULT_REDIRECT, Endpoints, Login};
use crate::auth::provider::{Revocation, preset};
use crate::auth::session::{lock_wait, split_scopes};
use crate::cli::{ClientAuthArg, LoginArgs, ProviderArg};
use crate::context::Ctx;
use crate::env::{check_base, env, spotify_env};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::{Account, ClientAuth, Provider};
use std::time::Duration;

/// Everything a login needs, each value from (first that has it): the flag, the account being
/// logged in again (so `spotctl login -a NAME` alone repeats a login, whatever the provider),
/// the environment (the `SPOTIFY_*` variables only for Spotify: a Spotify secret is never sent
/// to another provider), the default.
struct Settings {
    ep: Endpoints,
    client_id: String,
    secret: Option<Secret>,
    client_auth: ClientAuth,
    redirect_raw: String,
    scopes: Vec<String>,
    /// Where the client id and secret came from, for the `invalid_client` advice.
    credentials_from: String,
}

fn to_provider(p: ProviderArg) -> Provider {
    match p {
        ProviderArg::Spotify => Provider::Spotify,
        ProviderArg::Kakao => Provider::Kakao,
        ProviderArg::Google => Provider::Google,
        ProviderArg::Microsoft => Provider::Microsoft,
        ProviderArg::Github => Provider::Github,
        ProviderArg::Custom => Provider::Custom,
    }
}

/// The provider a login is for: the flag, else custom with `--issuer`, else the account's.
fn provider_of(args: &LoginArgs, previous: Option<&Account>) -> Provider {
    args.provider
        .map(to_provider)
        .or(args.issuer.is_some().then_some(Provider::Custom))
        .or(previous.map(|p| p.provider))
        .unwrap_or(Provider::Spotify)
}

fn settings(
    ctx: &Ctx,
    args: &LoginArgs,
    previous: Option<&Account>,
    meta: Option<&Metadata>,
) -> Result<Settings> {
    let provider = provider_of(args, previous);
    // The stored account counts only for the same provider and the same token endpoint: a
    // stored secret must never follow a changed --token-url (or SPOTCTL_ACCOUNTS_BASE) to
    // another host, nor a stored API base outlive its provider.
    let mut prev = previous.filter(|p| p.provider == provider);
    let mut ep = endpoints(ctx, args, provider, prev, meta)?;
    if let Some(p) = prev
        && url::Url::parse(&p.token_url).map(|u| u.origin()) != Ok(ep.token_url.origin())
    {
        prev = None;
        ep = endpoints(ctx, args, provider, None, meta)?;
    }
    let spotify = provider == Provider::Spotify;
    // The environment's secret belongs to the environment's client id, and to nothing else.
    let env_client_id = spotify
        .then(|| spotify_env("CLIENT_ID"))
        .flatten()
        .map(|s| s.trim().to_string());

    let id_from = if args.client_id.is_some() {
        "--client-id"
    } else if prev.is_some() {
        "stored in the account"
    } else {
        "SPOTIFY_CLIENT_ID"
    };
    let client_id = args
        .client_id
        .clone()
        .or_else(|| prev.map(|p| p.client_id.clone()))
        .or_else(|| spotify.then(|| spotify_env("CLIENT_ID")).flatten())
        .map(|s| s.trim().to_string())
        .ok_or_else(|| {
            Error::usage(match provider {
                Provider::Spotify => "no client id: pass --client-id or set SPOTIFY_CLIENT_ID (from your app at https://developer.spotify.com/dashboard)",
                Provider::Kakao => "no client id: pass --client-id with the app's REST API key",
                _ => "no client id: pass --client-id (from the app registered at the provider)",
            })
        })?;
    if client_id.is_empty()
        || client_id.len() > 256
        || client_id.chars().any(|c| c.is_control() || c == ' ')
    {
        return Err(Error::usage("the client id is malformed"));
    }
    let prev = prev.filter(|p| p.client_id == client_id);
    let stored_secret = prev.and_then(|p| p.client_secret.clone());
    let (secret, secret_from) = match &args.client_secret_file {
        Some(path) => (
            Some(read_secret_file(path)?),
            format!("--client-secret-file {}", path.display()),
        ),
        None if stored_secret.is_some() => (stored_secret, "stored in the account".to_string()),
        None => (
            (env_client_id.as_deref() == Some(client_id.as_str()))
                .then(|| spotify_env("CLIENT_SECRET"))
                .flatten()
                .map(|s| crate::secret::from_input(&s, "SPOTIFY_CLIENT_SECRET"))
                .transpose()?,
            "SPOTIFY_CLIENT_SECRET".to_string(),
        ),
    };
    let credentials_from = match (&secret, prev) {
        // Logging in again with what the account holds: say where that came from first.
        (Some(_), Some(p))
            if args.client_id.is_none() && secret_from == "stored in the account" =>
        {
            p.oauth
                .credentials_from
                .clone()
                .unwrap_or_else(|| "the client id and secret stored in the account".into())
        }
        (Some(_), _) => format!("the client id ({id_from}) and secret ({secret_from})"),
        (None, _) => format!("the client id ({id_from})"),
    };
    let client_auth = match (args.client_auth, prev, provider, &secret) {
        (Some(ClientAuthArg::Basic), ..) => ClientAuth::Basic,
        (Some(ClientAuthArg::Body), ..) => ClientAuth::Body,
        (None, Some(p), Provider::Custom, _) => p.client_auth,
        (None, _, Provider::Kakao, _) => ClientAuth::Body,
        (None, _, p, Some(_)) => preset(p).client_auth,
        (None, _, _, None) => ClientAuth::Body,
    };
    let redirect_raw = args
        .redirect_uri
        .clone()
        .or_else(|| prev.and_then(|p| p.redirect_uri.clone()))
        .or_else(|| spotify.then(|| spotify_env("REDIRECT_URI")).flatten())
        .unwrap_or_else(|| DEFAULT_REDIRECT.to_string());
    let mut scopes: Vec<String> = args.scope.iter().flat_map(|s| split_scopes(s)).collect();
    if scopes.is_empty()
        && let Some(p) = prev
    {
        scopes = p.scopes.clone();
    }
    // Microsoft: no refresh token without `offline_access`.
    for s in preset(provider).added_scopes {
        if !args.client_credentials && !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_string());
        }
    }
    Ok(Settings {
        ep,
        client_id,
        secret,
        client_auth,
        redirect_raw,
        scopes,
        credentials_from,
    })
}

fn endpoints(
    ctx: &Ctx,
    args: &LoginArgs,
    provider: Provider,
    prev: Option<&Account>,
    meta: Option<&Metadata>,
) -> Result<Endpoints> {
    let row = preset(provider);
    let flag =
        |v: &Option<String>, name: &str| v.as_deref().map(|u| check_base(u, name)).transpose();
    let stored = |v: Option<&str>, what: &str| v.map(|u| check_base(u, what)).transpose();
    let prev_auth = stored(prev.and_then(|p| p.auth_url.as_deref()), "stored auth URL")?;
    let prev_token = stored(prev.map(|p| p.token_url.as_str()), "stored token URL")?;
    let prev_api = stored(
        prev.map(|p| p.api_base.as_str()).filter(|a| !a.is_empty()),
        "stored API base",
    )?;
    // The row's endpoints, for the providers whose hosts an environment variable can move.
    let row_url = |u: Option<&'static str>| {
        u.map(|u| check_base(u, "provider endpoint"))
            .transpose()?
            .ok_or_else(|| Error::Internal(format!("no endpoint in the {} row", provider.as_str())))
    };
    let (auth, token, api) = match provider {
        Provider::Spotify => {
            let (auth, token) = match (&ctx.accounts_base_env, prev_auth, prev_token) {
                (None, Some(a), Some(t)) => (a, t),
                (None, ..) => (row_url(row.auth_url)?, row_url(row.token_url)?),
                (Some(base), ..) => {
                    let b = base.as_str().trim_end_matches('/');
                    (
                        check_base(&format!("{b}/authorize"), "SPOTCTL_ACCOUNTS_BASE")?,
                        check_base(&format!("{b}/api/token"), "SPOTCTL_ACCOUNTS_BASE")?,
                    )
                }
            };
            let api = match (&ctx.api_base_env, prev_api) {
                (None, Some(a)) => a,
                (None, None) => row_url(row.api_base)?,
                (Some(env), _) => env.clone(),
            };
            (auth, token, Some(api))
        }
        Provider::Kakao => {
            let auth_env = env("SPOTCTL_KAKAO_AUTH_BASE");
            let (auth, token) = match (&auth_env, prev_auth, prev_token) {
                (None, Some(a), Some(t)) => (a, t),
                (None, ..) => (row_url(row.auth_url)?, row_url(row.token_url)?),
                (Some(base), ..) => {
                    let a = base.trim_end_matches('/');
                    (
                        check_base(&format!("{a}/oauth/authorize"), "SPOTCTL_KAKAO_AUTH_BASE")?,
                        check_base(&format!("{a}/oauth/token"), "SPOTCTL_KAKAO_AUTH_BASE")?,
                    )
                }
            };
            let api = match (env("SPOTCTL_KAKAO_API_BASE"), prev_api) {
                (None, Some(a)) => a,
                (None, None) => row_url(row.api_base)?,
                (Some(e), _) => check_base(&e, "SPOTCTL_KAKAO_API_BASE")?,
            };
            (auth, token, Some(api))
        }
        _ => {
            // A row's endpoints (Microsoft's with the tenant) unless the account logged in
            // elsewhere with this provider (tests, a proxy) and no --tenant changes them.
            let tenant = args.tenant.as_deref();
            let from_row = |u: Option<&'static str>, what: &str| {
                row.url(u, tenant)
                    .map(|u| check_base(&u, &format!("the {} {what}", provider.as_str())))
                    .transpose()
            };
            let keep = |stored: Option<url::Url>| stored.filter(|_| tenant.is_none());
            let discovered = |f: fn(&Metadata) -> Option<url::Url>| meta.and_then(f);
            let hint = if provider == Provider::Custom {
                " (or --issuer URL to discover the endpoints)"
            } else {
                ""
            };
            let need = |v: &Option<String>, found: Option<url::Url>, name: &str| {
                flag(v, name)?.or(found).ok_or_else(|| {
                    Error::usage(format!(
                        "--provider {} needs {name}{hint}",
                        provider.as_str()
                    ))
                })
            };
            let token = need(
                &args.token_url,
                discovered(|m| Some(m.token_endpoint.clone()))
                    .or(keep(prev_token))
                    .or(from_row(row.token_url, "token URL")?),
                "--token-url",
            )?;
            let auth_found = discovered(|m| m.authorization_endpoint.clone())
                .or(keep(prev_auth))
                .or(from_row(row.auth_url, "authorize URL")?);
            let auth = if args.client_credentials || args.device {
                flag(&args.auth_url, "--auth-url")?
                    .or(auth_found)
                    .unwrap_or_else(|| token.clone())
            } else {
                need(&args.auth_url, auth_found, "--auth-url")?
            };
            let api = flag(&args.api_base, "--api-base")?
                .or(keep(prev_api))
                .or(from_row(row.api_base, "API base")?);
            (auth, token, api)
        }
    };
    let stored_url = |v: Option<&String>| v.and_then(|u| check_base(u, "stored endpoint").ok());
    let prev_x = prev.map(|p| &p.oauth);
    let revocation_url = match (meta, row.revocation) {
        (Some(m), _) => m.revocation_endpoint.clone(),
        (None, Revocation::Rfc7009(u)) => Some(check_base(u, "revocation URL")?),
        _ => stored_url(prev_x.and_then(|x| x.revocation_url.as_ref())),
    };
    let device_url = flag(&args.device_url, "--device-url")?
        .or(meta.and_then(|m| m.device_authorization_endpoint.clone()))
        .or(row
            .url(row.device_url, args.tenant.as_deref())
            .map(|u| check_base(&u, "device URL"))
            .transpose()?)
        .or(stored_url(prev_x.and_then(|x| x.device_url.as_ref())));
    let params = |given: &[String], stored: Option<&Vec<(String, String)>>, name: &str| {
        if given.is_empty() {
            return Ok(stored.cloned().unwrap_or_default());
        }
        given
            .iter()
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
                _ => Err(Error::usage(format!(
                    "{name} {}: expected KEY=VALUE",
                    crate::api::ids::shown(kv)
                ))),
            })
            .collect::<Result<Vec<_>>>()
    };
    Ok(Endpoints {
        provider,
        auth_url: Some(flag(&args.auth_url, "--auth-url")?.unwrap_or(auth)),
        token_url: flag(&args.token_url, "--token-url")?.unwrap_or(token),
        api_base: flag(&args.api_base, "--api-base")?.or(api),
        issuer: meta.map(|m| m.issuer.clone()),
        iss_in_response: meta.is_some_and(|m| m.iss_in_response),
        revocation_url,
        device_url,
        pkce_with_secret: args.pkce
            || meta.is_some_and(|m| m.s256)
            || row.pkce_with_secret
            || prev_x.is_some_and(|x| x.pkce),
        auth_params: params(
            &args.auth_param,
            prev_x.map(|x| &x.auth_params),
            "--auth-param",
        )?,
        token_params: params(
            &args.token_param,
            prev_x.map(|x| &x.token_params),
            "--token-param",
        )?,
    })
}

fn read_secret_file(path: &std::path::Path) -> Result<Secret> {
    crate::secret::read_file(path, "--client-secret-file")
}

pub async fn run(ctx: &Ctx, args: LoginArgs) -> Result<()> {
    let name = ctx.account_name().to_string();
    crate::store::validate_name(&name)?;
    // A directory others can write is refused before the browser opens (SPEC §2).
    ctx.store.check_dirs()?;
    // An existing file that cannot be read (corrupt, too open, newer format) is never replaced
    // silently: the user decides (fix it, or `spotctl logout -a NAME` first).
    let previous = ctx.store.load(&name).map_err(|e| {
        Error::Store(format!(
            "{e}; to replace it with a new login, run `spotctl logout -a {name}` first"
        ))
    })?;
    // Discovery: `--issuer`, or the issuer a custom account was logged in with (unless its
    // endpoints are given again by flags).
    let provider = provider_of(&args, previous.as_ref());
    let issuer = args.issuer.clone().or_else(|| {
        previous
            .as_ref()
            .filter(|p| p.provider == provider && args.token_url.is_none())
            .and_then(|p| p.oauth.issuer.clone())
    });
    let meta = match &issuer {
        Some(i) => Some(discover(&*ctx.http()?, i).await?),
        None => None,
    };
    let Settings {
        ep,
        client_id,
        secret,
        client_auth,
        redirect_raw,
        scopes,
        credentials_from,
    } = settings(ctx, &args, previous.as_ref(), meta.as_ref())?;
    if args.client_credentials {
        let learned = previous
            .filter(|p| p.client_id == client_id)
            .map(|p| p.learned);
        let app = (client_id, secret, client_auth, credentials_from);
        return client_credentials(ctx, &name, ep, app, scopes, learned).await;
    }

    let login = Login {
        endpoints: ep,
        client: Client {
            id: client_id,
            secret,
            auth: client_auth,
            from: credentials_from,
        },
        scopes,
        redirect_uri: if args.device {
            String::new()
        } else {
            redirect_raw
        },
        open_browser: !args.no_browser,
        wait: Duration::from_secs(args.wait),
    };
    let http = ctx.http()?;
    let mut acc = if args.device {
        crate::auth::device::login(&http, &name, login).await?
    } else {
        let answer = login::browser(&login).await?;
        login::exchange(&http, &name, login, answer).await?
    };
    // What was learned about the service belongs to the app (client id).
    if let Some(old) = previous.filter(|p| p.client_id == acc.client_id) {
        acc.learned = old.learned;
    }
    let _lock = ctx.store.lock(&name, lock_wait(ctx)).await?;
    ctx.store.save(&name, &acc)?;
    if !ctx.quiet {
        let who = acc
            .user
            .as_ref()
            .map(|u| {
                format!(
                    " as {}",
                    u.display_name.clone().unwrap_or_else(|| u.id.clone())
                )
            })
            .unwrap_or_default();
        let who = crate::sanitize::line(&who);
        eprintln!("spotctl: logged in{who}; stored as account \"{name}\"");
        if acc.refresh_token.is_none() {
            eprintln!(
                "spotctl: warning: this account will need a new login in {}: the provider sent no refresh token; it may need prompt=consent / offline_access / access_type=offline (--auth-param, --scope)",
                crate::duration::human(acc.expires_at.saturating_sub(crate::store::now()))
            );
        }
    }
    Ok(())
}

async fn client_credentials(
    ctx: &Ctx,
    name: &str,
    ep: Endpoints,
    (client_id, secret, client_auth, from): (String, Option<Secret>, ClientAuth, String),
    scopes: Vec<String>,
    learned: Option<crate::store::Learned>,
) -> Result<()> {
    let secret = secret.ok_or_else(|| {
        Error::usage("--client-credentials needs the client secret: set SPOTIFY_CLIENT_SECRET or use --client-secret-file")
    })?;
    let app = crate::auth::AppCredentials {
        provider: ep.provider,
        token_url: ep.token_url.to_string(),
        api_base: ep.api_base.map(|u| u.to_string()).unwrap_or_default(),
        client_id,
        secret,
        client_auth,
        from,
        scopes,
        token_params: ep.token_params,
    };
    let acc = crate::auth::client_credentials_account(&*ctx.http()?, app, learned).await?;
    let _lock = ctx.store.lock(name, lock_wait(ctx)).await?;
    ctx.store.save(name, &acc)?;
    if !ctx.quiet {
        eprintln!("spotctl: stored app-only account \"{name}\" (client credentials; no user)");
    }
    Ok(())
}
