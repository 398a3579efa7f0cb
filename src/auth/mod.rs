//! Authentication: the token endpoint (`token`), keeping tokens fresh across processes
//! (`session`), the browser login (`login`, with `pkce`, the loopback `callback` server and the
//! `paste`d redirect), and which account a command uses (here). It takes plain values and knows
//! nothing of the command line (`commands/login.rs` turns the flags into them).

pub mod callback;
pub mod device;
pub mod discovery;
pub mod login;
pub mod paste;
pub mod pkce;
pub mod provider;
pub mod revoke;
pub mod session;
pub mod token;

use crate::api::http::Http;
use crate::context::Ctx;
use crate::env::spotify_env;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::{Account, ClientAuth, Grant, Learned, Provider, VERSION, now, validate_name};
use session::{Session, lock_wait};
use std::sync::Arc;
use token::{GrantKind, TokenClient};

/// The account the catalog commands use (SPEC §1): the one named with `-a`/`SPOTCTL_ACCOUNT`
/// (which must exist), else `default` if it exists, else an app account `app-<client id>` made
/// from `SPOTIFY_CLIENT_ID`/`SPOTIFY_CLIENT_SECRET` on first use and reused afterwards, so a
/// pipeline of fifty calls asks for one token, not fifty.
pub async fn catalog_session(ctx: Arc<Ctx>) -> Result<Session> {
    if let Some(name) = ctx.account.clone() {
        return Session::open(ctx, &name).await;
    }
    if ctx.store.load(crate::context::DEFAULT_ACCOUNT)?.is_some() {
        return Session::open(ctx, crate::context::DEFAULT_ACCOUNT).await;
    }
    app_session(ctx).await
}

/// The app account of `SPOTIFY_CLIENT_ID`/`SPOTIFY_CLIENT_SECRET`, created on first use.
async fn app_session(ctx: Arc<Ctx>) -> Result<Session> {
    let (Some(id), Some(secret)) = (spotify_env("CLIENT_ID"), spotify_env("CLIENT_SECRET")) else {
        return Err(Error::auth(
            "no credentials: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET (from your app at https://developer.spotify.com/dashboard), or run `spotctl login`",
        ));
    };
    let name = format!("app-{}", id.trim());
    validate_name(&name).map_err(|_| {
        Error::usage(format!(
            "SPOTIFY_CLIENT_ID \"{}\" is not a valid client id (letters and digits expected)",
            crate::api::ids::shown(&id)
        ))
    })?;
    let secret = crate::secret::from_input(&secret, "SPOTIFY_CLIENT_SECRET")?;
    if let Some(acc) = ctx.store.load(&name)?
        && acc.client_secret.as_ref() == Some(&secret)
    {
        return Session::open(ctx, &name).await;
    }
    // First use, or the secret in the environment was rotated: (re)create under the lock.
    let _lock = ctx.store.lock(&name, lock_wait(&ctx)).await?;
    let existing = ctx.store.load(&name)?;
    if let Some(acc) = &existing
        && acc.client_secret.as_ref() == Some(&secret)
    {
        drop(_lock);
        return Session::open(ctx, &name).await;
    }
    let learned = existing.map(|a| a.learned);
    let app = AppCredentials {
        provider: Provider::Spotify,
        token_url: format!(
            "{}/api/token",
            ctx.accounts_base().as_str().trim_end_matches('/')
        ),
        api_base: ctx.api_base().to_string(),
        client_id: id.trim().to_string(),
        secret,
        client_auth: ClientAuth::Basic,
        from: "SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET".into(),
        scopes: Vec::new(),
        token_params: Vec::new(),
    };
    let acc = client_credentials_account(&*ctx.http()?, app, learned).await?;
    ctx.store.save(&name, &acc)?;
    tracing::info!("created app account {name}");
    drop(_lock);
    Session::from_account(ctx, &name, acc)
}

/// An app's client credentials and where to use them.
pub struct AppCredentials {
    pub provider: Provider,
    pub token_url: String,
    pub api_base: String,
    pub client_id: String,
    pub secret: Secret,
    pub client_auth: ClientAuth,
    /// Where the id and secret came from, for the `invalid_client` advice.
    pub from: String,
    /// `--scope`: sent as `scope` (Entra ID requires one for client credentials).
    pub scopes: Vec<String>,
    /// `--token-param`: sent with this request and every later one.
    pub token_params: Vec<(String, String)>,
}

/// Gets an app-only token (client credentials grant) and builds the account that stores it.
pub async fn client_credentials_account(
    http: &Http,
    app: AppCredentials,
    learned: Option<Learned>,
) -> Result<Account> {
    let resp = TokenClient {
        http,
        token_url: &app.token_url,
        client_id: &app.client_id,
        client_secret: Some(&app.secret),
        client_auth: app.client_auth,
        account: "",
        credentials: &app.from,
    }
    .request(
        GrantKind::ClientCredentials,
        token::client_credentials_params(&app.scopes)
            .into_iter()
            .chain(app.token_params.iter().cloned())
            .collect(),
    )
    .await?;
    let t = now();
    Ok(Account {
        version: VERSION,
        provider: app.provider,
        grant: Grant::ClientCredentials,
        client_id: app.client_id,
        client_secret: Some(app.secret),
        redirect_uri: None,
        auth_url: None,
        token_url: app.token_url,
        api_base: app.api_base.trim_end_matches('/').to_string(),
        client_auth: app.client_auth,
        scopes: resp
            .scope
            .as_deref()
            .map(session::split_scopes)
            .unwrap_or(app.scopes),
        access_token: resp.access_token,
        token_type: resp.token_type,
        expires_at: t + resp.expires_in,
        refresh_token: None,
        refresh_token_expires_at: None,
        authorized_at: Some(t),
        user: None,
        updated_at: t,
        learned: learned.unwrap_or_default(),
        oauth: crate::store::OAuthExtras {
            credentials_from: Some(app.from),
            token_params: app.token_params,
            ..Default::default()
        },
    })
}

/// The account for `token` and `api`: the one named with `-a`/`SPOTCTL_ACCOUNT`, else
/// `default`; it must exist (a named account is never created silently). Unlike the catalog
/// commands they never fall back to the app account: its token answers 403 on every user
/// endpoint. The app account, once a catalog command made it, can be named like any other.
pub async fn named_session(ctx: Arc<Ctx>) -> Result<Session> {
    let name = ctx.account_name().to_string();
    if ctx.store.load(&name)?.is_none() {
        return Err(Error::auth(if ctx.account.is_some() {
            format!(
                "no account named \"{name}\"; run `spotctl login -a {name}` (or `spotctl accounts` to see the stored ones)"
            )
        } else {
            format!(
                "no account named \"{name}\"; run `spotctl login` to log a user in, or `spotctl login --client-credentials` for an app-only token (or name another account with -a)"
            )
        }));
    }
    Session::open(ctx, &name).await
}
