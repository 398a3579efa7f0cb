//! `spotctl login`: the authorization-code flow (with the client secret when known, PKCE when
//! not) and the client-credentials flow, for Spotify, Kakao or a custom OAuth2 provider.
//!
//! Order of events, and why:
//! 1. Everything is validated first (account name, redirect URI, endpoints), so a typo costs
//!    no browser round trip. `localhost` is refused for Spotify (it rejects it since 2025).
//! 2. The exact redirect URI to register is printed before the browser opens.
//! 3. The callback server (loopback only) and a reader of stdin (for a pasted redirect URL, as
//!    over SSH) run together; whichever answers first wins; `--wait` bounds it.
//! 4. The code is exchanged, `/me` says who logged in, and only then is the account written:
//!    logging in again replaces an account only once the new tokens are in hand.

use crate::auth::callback::{self, Outcome};
use crate::auth::session::{SPOTIFY_REFRESH_LIFETIME, lock_wait, split_scopes};
use crate::auth::token::{GrantKind, TokenClient};
use crate::auth::{paste, pkce};
use crate::cli::{ClientAuthArg, LoginArgs, ProviderArg};
use crate::context::Ctx;
use crate::env::{check_base, env, spotify_env};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::{Account, ClientAuth, Grant, Provider, User, VERSION, now};
use std::net::IpAddr;
use std::time::Duration;

pub const DEFAULT_REDIRECT: &str = "http://127.0.0.1:8888/callback";
const KAKAO_AUTH: &str = "https://kauth.kakao.com";
const KAKAO_API: &str = "https://kapi.kakao.com";

struct Endpoints {
    provider: Provider,
    auth_url: Option<url::Url>,
    token_url: url::Url,
    api_base: url::Url,
}

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
}

fn to_provider(p: ProviderArg) -> Provider {
    match p {
        ProviderArg::Spotify => Provider::Spotify,
        ProviderArg::Kakao => Provider::Kakao,
        ProviderArg::Custom => Provider::Custom,
    }
}

fn settings(ctx: &Ctx, args: &LoginArgs, previous: Option<&Account>) -> Result<Settings> {
    let provider = args
        .provider
        .map(to_provider)
        .or(previous.map(|p| p.provider))
        .unwrap_or(Provider::Spotify);
    // The stored account counts only for the same provider and the same token endpoint: a
    // stored secret must never follow a changed --token-url (or SPOTCTL_ACCOUNTS_BASE) to
    // another host, nor a stored API base outlive its provider.
    let mut prev = previous.filter(|p| p.provider == provider);
    let mut ep = endpoints(ctx, args, provider, prev)?;
    if let Some(p) = prev
        && url::Url::parse(&p.token_url).map(|u| u.origin()) != Ok(ep.token_url.origin())
    {
        prev = None;
        ep = endpoints(ctx, args, provider, None)?;
    }
    let spotify = provider == Provider::Spotify;
    // The environment's secret belongs to the environment's client id, and to nothing else.
    let env_client_id = spotify
        .then(|| spotify_env("CLIENT_ID"))
        .flatten()
        .map(|s| s.trim().to_string());

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
                Provider::Custom => "no client id: pass --client-id",
            })
        })?;
    if client_id.is_empty()
        || client_id.len() > 256
        || client_id.chars().any(|c| c.is_control() || c == ' ')
    {
        return Err(Error::usage("the client id is malformed"));
    }
    let prev = prev.filter(|p| p.client_id == client_id);
    let secret = match &args.client_secret_file {
        Some(path) => Some(read_secret_file(path)?),
        None => prev.and_then(|p| p.client_secret.clone()).or_else(|| {
            (env_client_id.as_deref() == Some(client_id.as_str()))
                .then(|| spotify_env("CLIENT_SECRET"))
                .flatten()
                .map(|s| Secret::new(s.trim()))
        }),
    };
    let client_auth = match (args.client_auth, prev, provider, &secret) {
        (Some(ClientAuthArg::Basic), ..) => ClientAuth::Basic,
        (Some(ClientAuthArg::Body), ..) => ClientAuth::Body,
        (None, Some(p), Provider::Custom, _) => p.client_auth,
        (None, _, Provider::Kakao, _) => ClientAuth::Body,
        (None, _, _, Some(_)) => ClientAuth::Basic,
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
    Ok(Settings {
        ep,
        client_id,
        secret,
        client_auth,
        redirect_raw,
        scopes,
    })
}

fn endpoints(
    ctx: &Ctx,
    args: &LoginArgs,
    provider: Provider,
    prev: Option<&Account>,
) -> Result<Endpoints> {
    let flag =
        |v: &Option<String>, name: &str| v.as_deref().map(|u| check_base(u, name)).transpose();
    let stored = |v: Option<&str>, what: &str| v.map(|u| check_base(u, what)).transpose();
    let prev_auth = stored(prev.and_then(|p| p.auth_url.as_deref()), "stored auth URL")?;
    let prev_token = stored(prev.map(|p| p.token_url.as_str()), "stored token URL")?;
    let prev_api = stored(prev.map(|p| p.api_base.as_str()), "stored API base")?;
    let (auth, token, api) = match provider {
        Provider::Spotify => {
            let (auth, token) = match (&ctx.accounts_base_env, prev_auth, prev_token) {
                (None, Some(a), Some(t)) => (a, t),
                _ => {
                    let base = ctx.accounts_base();
                    let b = base.as_str().trim_end_matches('/');
                    (
                        check_base(&format!("{b}/authorize"), "SPOTCTL_ACCOUNTS_BASE")?,
                        check_base(&format!("{b}/api/token"), "SPOTCTL_ACCOUNTS_BASE")?,
                    )
                }
            };
            let api = match (&ctx.api_base_env, prev_api) {
                (None, Some(a)) => a,
                _ => ctx.api_base(),
            };
            (auth, token, api)
        }
        Provider::Kakao => {
            let auth_env = env("SPOTCTL_KAKAO_AUTH_BASE");
            let (auth, token) = match (&auth_env, prev_auth, prev_token) {
                (None, Some(a), Some(t)) => (a, t),
                _ => {
                    let base = auth_env.unwrap_or_else(|| KAKAO_AUTH.into());
                    let a = base.trim_end_matches('/');
                    (
                        check_base(&format!("{a}/oauth/authorize"), "SPOTCTL_KAKAO_AUTH_BASE")?,
                        check_base(&format!("{a}/oauth/token"), "SPOTCTL_KAKAO_AUTH_BASE")?,
                    )
                }
            };
            let api = match (env("SPOTCTL_KAKAO_API_BASE"), prev_api) {
                (None, Some(a)) => a,
                (e, _) => check_base(
                    &e.unwrap_or_else(|| KAKAO_API.into()),
                    "SPOTCTL_KAKAO_API_BASE",
                )?,
            };
            (auth, token, api)
        }
        Provider::Custom => {
            let need = |v: &Option<String>, stored: Option<url::Url>, name: &str| {
                flag(v, name)?
                    .or(stored)
                    .ok_or_else(|| Error::usage(format!("--provider custom needs {name}")))
            };
            let token = need(&args.token_url, prev_token, "--token-url")?;
            let auth = if args.client_credentials {
                flag(&args.auth_url, "--auth-url")?.unwrap_or_else(|| token.clone())
            } else {
                need(&args.auth_url, prev_auth, "--auth-url")?
            };
            let api = need(&args.api_base, prev_api, "--api-base")?;
            (auth, token, api)
        }
    };
    Ok(Endpoints {
        provider,
        auth_url: Some(flag(&args.auth_url, "--auth-url")?.unwrap_or(auth)),
        token_url: flag(&args.token_url, "--token-url")?.unwrap_or(token),
        api_base: flag(&args.api_base, "--api-base")?.unwrap_or(api),
    })
}

fn read_secret_file(path: &std::path::Path) -> Result<Secret> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("--client-secret-file {}: {e}", path.display())))?;
    let s = text.trim();
    if s.is_empty() {
        return Err(Error::usage(format!(
            "--client-secret-file {}: the file is empty",
            path.display()
        )));
    }
    Ok(Secret::new(s))
}

/// Where the browser will be sent back to, and where (if anywhere) we listen for it.
#[derive(Debug)]
struct Redirect {
    uri: url::Url,
    listen: Option<(IpAddr, u16, String)>,
}

fn redirect(raw: &str, provider: Provider) -> Result<Redirect> {
    let uri = url::Url::parse(raw.trim()).map_err(|e| {
        let hint = if raw.contains("://") {
            String::new()
        } else {
            format!("; did you mean http://{}?", raw.trim())
        };
        Error::usage(format!(
            "redirect URI \"{}\" is not a URL: {e}{hint}",
            crate::api::ids::shown(raw)
        ))
    })?;
    let host = uri.host();
    let loopback_ip = match host {
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => Some(IpAddr::V6(ip)),
        _ => None,
    };
    let is_localhost =
        matches!(host, Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost"));
    if is_localhost && provider == Provider::Spotify {
        let suggestion = raw.replacen("localhost", "127.0.0.1", 1);
        return Err(Error::usage(format!(
            "Spotify no longer accepts `localhost` in redirect URIs; use {suggestion} (and register exactly that in your app's dashboard)"
        )));
    }
    match uri.scheme() {
        "http" if loopback_ip.is_some() || is_localhost => {
            let ip = loopback_ip.unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
            let port = uri.port().unwrap_or(0);
            let path = if uri.path().is_empty() {
                "/".to_string()
            } else {
                uri.path().to_string()
            };
            Ok(Redirect {
                uri,
                listen: Some((ip, port, path)),
            })
        }
        "http" => Err(Error::usage(format!(
            "redirect URI {raw}: plain http is only allowed on loopback (http://127.0.0.1:PORT/…); use https for anything else"
        ))),
        "https" => Ok(Redirect { uri, listen: None }),
        s => Err(Error::usage(format!(
            "redirect URI {raw}: unsupported scheme \"{s}\"; use http://127.0.0.1:PORT/callback"
        ))),
    }
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
    let Settings {
        ep,
        client_id,
        secret,
        client_auth,
        redirect_raw,
        scopes,
    } = settings(ctx, &args, previous.as_ref())?;
    if args.client_credentials {
        let learned = previous
            .filter(|p| p.client_id == client_id)
            .map(|p| p.learned);
        return client_credentials(ctx, &name, ep, client_id, secret, client_auth, learned).await;
    }

    let mut redirect = redirect(&redirect_raw, ep.provider)?;
    let state = pkce::state();
    // PKCE when there is no secret (public client). Spotify does not document PKCE together
    // with a secret, so it is not sent then.
    let verifier = secret.is_none().then(pkce::verifier);

    let server = match &redirect.listen {
        Some((ip, port, path)) => {
            let s = callback::start(*ip, *port, path, &state).await?;
            if *port == 0 {
                let _ = redirect.uri.set_port(Some(s.addr.port()));
            }
            Some(s)
        }
        None => None,
    };
    let auth_url = authorize_url(
        &ep,
        &client_id,
        &redirect.uri,
        &scopes,
        &state,
        verifier.as_deref(),
    );

    eprintln!(
        "spotctl: the redirect URI registered for this app must be exactly: {}",
        redirect_display(&redirect_raw, &redirect)
    );
    eprintln!(
        "spotctl: open this URL in a browser to log in{}:",
        if ep.provider == Provider::Spotify {
            " (a second person can log in on the same browser: the dialog always asks)"
        } else {
            ""
        }
    );
    eprintln!("{auth_url}");
    if !args.no_browser {
        let u = auth_url.to_string();
        std::thread::spawn(move || {
            if webbrowser::open(&u).is_err() {
                eprintln!("spotctl: could not open a browser; open the URL above yourself");
            }
        });
    }
    // stdin is the caller's (`(spotctl login; cat) < names.txt`): read a pasted address only
    // from a person at a terminal, when --no-browser asks for it, or when no callback can come.
    let paste =
        args.no_browser || server.is_none() || std::io::IsTerminal::is_terminal(&std::io::stdin());
    eprintln!(
        "spotctl: waiting up to {}s for the browser{}{}",
        args.wait,
        if server.is_some() {
            ""
        } else {
            " (this redirect URI is not on this machine)"
        },
        if paste {
            " — or paste the address the browser was sent to, then press Enter"
        } else {
            ""
        }
    );

    let outcome = wait_for_answer(server, &state, Duration::from_secs(args.wait), paste).await?;
    let code = match outcome {
        Outcome::Code(c) => c,
        Outcome::Denied { error, description } => {
            let d = description.map(|d| format!(": {d}")).unwrap_or_default();
            return Err(Error::auth(if error == "access_denied" {
                format!("the login was denied in the browser (access_denied{d})")
            } else {
                format!("the provider refused the login ({error}{d})")
            }));
        }
        Outcome::StateMismatch => {
            return Err(Error::auth(
                "the answer's `state` does not match this login — possibly a forged request (CSRF); refused. Run `spotctl login` again",
            ));
        }
    };

    let http = ctx.http()?;
    let mut params = vec![
        ("grant_type".to_string(), "authorization_code".to_string()),
        ("code".to_string(), code.expose().to_string()),
        ("redirect_uri".to_string(), redirect.uri.to_string()),
    ];
    if let Some(v) = &verifier {
        params.push(("code_verifier".to_string(), v.clone()));
    }
    let resp = TokenClient {
        http: &http,
        token_url: ep.token_url.as_str(),
        client_id: &client_id,
        client_secret: secret.as_ref(),
        client_auth,
        account: &name,
    }
    .request(GrantKind::AuthorizationCode, params)
    .await?;
    let t = now();
    let mut acc = Account {
        version: VERSION,
        provider: ep.provider,
        grant: Grant::AuthorizationCode,
        client_id,
        client_secret: secret,
        // As configured (a loopback URI without a port stays without one), for the next login.
        redirect_uri: Some(redirect_raw.trim().to_string()),
        auth_url: ep.auth_url.map(|u| u.to_string()),
        token_url: ep.token_url.to_string(),
        api_base: ep.api_base.as_str().trim_end_matches('/').to_string(),
        client_auth,
        scopes: resp.scope.as_deref().map(split_scopes).unwrap_or(scopes),
        access_token: resp.access_token,
        token_type: resp.token_type,
        expires_at: t + resp.expires_in,
        refresh_token: resp.refresh_token,
        refresh_token_expires_at: None,
        authorized_at: Some(t),
        user: None,
        updated_at: t,
        learned: Default::default(),
    };
    acc.refresh_token_expires_at = match (ep.provider, resp.refresh_token_expires_in) {
        (_, Some(secs)) => Some(t + secs),
        (Provider::Spotify, None) if acc.refresh_token.is_some() => {
            Some(t + SPOTIFY_REFRESH_LIFETIME)
        }
        _ => None,
    };
    acc.user = match who(&http, &acc).await {
        Ok(u) => u,
        Err(e) => {
            eprintln!(
                "spotctl: warning: logged in, but could not look up who: {}",
                crate::sanitize::line(&e.to_string())
            );
            None
        }
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
    }
    Ok(())
}

fn redirect_display(raw: &str, r: &Redirect) -> String {
    match &r.listen {
        // Registered without a port, Spotify accepts any port on a loopback IP.
        Some((_, 0, _)) => raw.trim().to_string(),
        _ => r.uri.to_string(),
    }
}

fn authorize_url(
    ep: &Endpoints,
    client_id: &str,
    redirect: &url::Url,
    scopes: &[String],
    state: &str,
    verifier: Option<&str>,
) -> url::Url {
    let mut url = ep.auth_url.clone().unwrap_or_else(|| ep.token_url.clone());
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", client_id);
        q.append_pair("response_type", "code");
        q.append_pair("redirect_uri", redirect.as_str());
        if !scopes.is_empty() {
            let sep = if ep.provider == Provider::Kakao {
                ","
            } else {
                " "
            };
            q.append_pair("scope", &scopes.join(sep));
        }
        q.append_pair("state", state);
        if ep.provider == Provider::Spotify {
            q.append_pair("show_dialog", "true");
        }
        if let Some(v) = verifier {
            q.append_pair("code_challenge_method", "S256");
            q.append_pair("code_challenge", &pkce::challenge(v));
        }
    }
    url
}

/// Waits for the callback server or (with `paste`) a pasted line, whichever comes first, up to
/// `wait`.
async fn wait_for_answer(
    server: Option<callback::Server>,
    state: &str,
    wait: Duration,
    paste: bool,
) -> Result<Outcome> {
    let mut paste_rx = paste::read_stdin(paste);
    let mut server = server;
    let deadline = tokio::time::sleep(wait);
    tokio::pin!(deadline);
    let mut paste_open = true;
    loop {
        tokio::select! {
            _ = &mut deadline => {
                return Err(Error::auth(format!(
                    "the login timed out after {}s without an answer from the browser; run it again (use --wait for more time)",
                    wait.as_secs()
                )));
            }
            got = async {
                match server.as_mut() {
                    Some(s) => s.rx.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                match got {
                    Some(o) => return Ok(o),
                    None => server = None,
                }
            }
            line = paste_rx.recv(), if paste_open => {
                match line {
                    Some(l) if l.trim().is_empty() => {}
                    Some(l) => match paste::interpret_pasted(&l, state) {
                        // Only the right `state` ends a login, pasted or not.
                        Some(Outcome::StateMismatch) => eprintln!("spotctl: that address does not belong to this login (its `state` differs); paste the one this login's browser was sent to"),
                        Some(o) => return Ok(o),
                        None => eprintln!("spotctl: that line has no `code` or `error`; paste the whole address the browser was sent to"),
                    },
                    None => paste_open = false,
                }
            }
        }
    }
}

/// Who logged in: Spotify `/me`, Kakao `/v2/user/me`; a custom provider has no lookup.
async fn who(http: &crate::api::http::Http, acc: &Account) -> Result<Option<User>> {
    let path = match acc.provider {
        Provider::Spotify => "/me",
        Provider::Kakao => "/v2/user/me",
        Provider::Custom => return Ok(None),
    };
    let url = url::Url::parse(&format!("{}{path}", acc.api_base.trim_end_matches('/')))
        .map_err(|e| Error::usage(format!("API base: {e}")))?;
    let mut req = crate::api::http::Request::get(url);
    req.bearer = Some(acc.access_token.clone());
    let resp = http.send(&req).await?;
    if resp.status != 200 {
        return Err(Error::network(format!(
            "{}: {} {}",
            req.label(),
            resp.status,
            crate::api::client::service_message(&resp.body, resp.status)
        )));
    }
    let v: serde_json::Value = serde_json::from_slice(&resp.body)
        .map_err(|_| Error::network(format!("{}: the body is not JSON", req.label())))?;
    let id = match v.get("id") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => return Ok(None),
    };
    let display_name = match acc.provider {
        Provider::Kakao => v.pointer("/properties/nickname"),
        _ => v.get("display_name"),
    }
    .and_then(|d| d.as_str())
    .map(str::to_string);
    Ok(Some(User { id, display_name }))
}

async fn client_credentials(
    ctx: &Ctx,
    name: &str,
    ep: Endpoints,
    client_id: String,
    secret: Option<Secret>,
    client_auth: ClientAuth,
    learned: Option<crate::store::Learned>,
) -> Result<()> {
    let secret = secret.ok_or_else(|| {
        Error::usage("--client-credentials needs the client secret: set SPOTIFY_CLIENT_SECRET or use --client-secret-file")
    })?;
    let app = crate::auth::AppCredentials {
        provider: ep.provider,
        token_url: ep.token_url.to_string(),
        api_base: ep.api_base.to_string(),
        client_id,
        secret,
        client_auth,
    };
    let acc = crate::auth::client_credentials_account(ctx, app, learned).await?;
    let _lock = ctx.store.lock(name, lock_wait(ctx)).await?;
    ctx.store.save(name, &acc)?;
    if !ctx.quiet {
        eprintln!("spotctl: stored app-only account \"{name}\" (client credentials; no user)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_rules() {
        assert!(
            redirect("http://127.0.0.1:8888/callback", Provider::Spotify)
                .unwrap()
                .listen
                .is_some()
        );
        assert!(redirect("http://[::1]:8888/callback", Provider::Spotify).is_ok());
        let e = redirect("http://localhost:8888/callback", Provider::Spotify).unwrap_err();
        assert!(
            e.to_string().contains("http://127.0.0.1:8888/callback"),
            "{e}"
        );
        assert!(redirect("http://localhost:8888/cb", Provider::Kakao).is_ok());
        let e = redirect("http://example.com/callback", Provider::Spotify).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            redirect("https://example.com/callback", Provider::Spotify)
                .unwrap()
                .listen
                .is_none()
        );
        let r = redirect("http://127.0.0.1/callback", Provider::Spotify).unwrap();
        assert_eq!(r.listen.map(|l| l.1), Some(0));
        assert!(redirect("myapp://cb", Provider::Spotify).is_err());
    }
}
