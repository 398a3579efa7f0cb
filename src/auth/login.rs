//! The browser login (authorization-code grant: with the client secret when known, PKCE when
//! not), given plain values: a provider's endpoints, a client, scopes, a redirect URI
//! ([`Login`]). Which values those are (flags, the account logged in again, the environment) is
//! the command's business (`commands/login.rs`), and so is storing the result.
//!
//! Order of events, and why:
//! 1. The redirect URI is checked before anything else, so a typo costs no browser round trip.
//!    `localhost` is refused for Spotify (it rejects it since 2025).
//! 2. The exact redirect URI to register is printed before the browser opens.
//! 3. The callback server (loopback only, `callback`) and a reader of stdin (for a pasted
//!    redirect URL, as over SSH: `paste`) run together; whichever answers first wins; the wait is
//!    bounded ([`browser`]).
//! 4. The code is exchanged and `/me` says who logged in ([`exchange`]); the account is handed
//!    back, not written, so logging in again replaces an account only once the new tokens are in
//!    hand.

use crate::api::http::Http;
use crate::auth::callback::{self, Outcome};
use crate::auth::session::{SPOTIFY_REFRESH_LIFETIME, split_scopes};
use crate::auth::token::{GrantKind, TokenClient};
use crate::auth::{paste, pkce};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::{Account, ClientAuth, Grant, Provider, User, VERSION, now};
use std::net::IpAddr;
use std::time::Duration;

mod page;

pub const DEFAULT_REDIRECT: &str = "http://127.0.0.1:8888/callback";

/// Where a provider authorizes, hands out tokens, and serves its API.
pub struct Endpoints {
    pub provider: Provider,
    pub auth_url: Option<url::Url>,
    pub token_url: url::Url,
    /// None: a token-only account (a custom provider logged in without --api-base).
    pub api_base: Option<url::Url>,
    /// The issuer found by discovery, and whether it promised `iss` in the callback (RFC 9207).
    pub issuer: Option<String>,
    pub iss_in_response: bool,
    pub revocation_url: Option<url::Url>,
    pub device_url: Option<url::Url>,
    /// Send PKCE together with the client secret (`--pkce`, or a provider known to accept it).
    pub pkce_with_secret: bool,
    /// Extra authorize and token request parameters (`--auth-param`, `--token-param`).
    pub auth_params: Vec<(String, String)>,
    pub token_params: Vec<(String, String)>,
}

impl Endpoints {
    /// What `iss` the callback must carry.
    pub fn iss_check(&self) -> callback::IssCheck {
        callback::IssCheck {
            issuer: self.issuer.clone(),
            required: self.iss_in_response && self.issuer.is_some(),
        }
    }
}

/// The app logging in: its id, its secret when known (else PKCE), how the secret is sent.
pub struct Client {
    pub id: String,
    pub secret: Option<Secret>,
    pub auth: ClientAuth,
    /// Where the id and secret came from, for the `invalid_client` advice.
    pub from: String,
}

/// Everything a browser login needs, as plain values.
pub struct Login {
    pub endpoints: Endpoints,
    pub client: Client,
    pub scopes: Vec<String>,
    /// As configured (a loopback URI without a port stays without one, and is stored so).
    pub redirect_uri: String,
    pub open_browser: bool,
    /// How long to wait for the browser (or a pasted address).
    pub wait: Duration,
}

/// What the browser brought back: the code, and what the token endpoint must see again.
pub struct Answer {
    code: Secret,
    /// The redirect URI as sent (with the port the callback server got, when it chose one).
    redirect_uri: String,
    verifier: Option<String>,
}

/// Where the browser will be sent back to, and where (if anywhere) we listen for it.
#[derive(Debug)]
struct Redirect {
    uri: url::Url,
    listen: Option<(IpAddr, u16, String)>,
    /// The URI exactly as given, the one thing sent as `redirect_uri` (exact-matching servers,
    /// RFC 9700 §4.1.3: `http://127.0.0.1:PORT` must not become `…PORT/`); `:PORT` is inserted
    /// after the host when the callback server chose a port.
    raw: String,
    /// Where `:PORT` goes in `raw` when it has no port.
    port_at: Option<usize>,
}

impl Redirect {
    /// The `redirect_uri` to send: as given, with the chosen port when it had none.
    fn sent(&self) -> String {
        match (self.port_at, self.uri.port()) {
            (Some(at), Some(port)) => {
                format!("{}:{port}{}", &self.raw[..at], &self.raw[at..])
            }
            _ => self.raw.clone(),
        }
    }
}

/// The end of the authority in `raw` (after `scheme://`), where a port would go; None when it
/// already has one.
fn port_position(raw: &str) -> Option<usize> {
    let start = raw.find("://")? + 3;
    let end = raw[start..]
        .find(['/', '?', '#'])
        .map_or(raw.len(), |i| start + i);
    let authority = &raw[start..end];
    let host_end = authority.rfind(']').map_or(0, |i| i + 1);
    (!authority[host_end..].contains(':')).then_some(end)
}

fn redirect(raw: &str, provider: Provider) -> Result<Redirect> {
    let given = raw.trim().to_string();
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
    // RFC 6749 §3.1.2: the redirection endpoint URI must not include a fragment; userinfo
    // would be a password in the URL (and in the provider's logs).
    if uri.fragment().is_some() {
        return Err(Error::usage(format!(
            "redirect URI {}: a #fragment is not allowed in a redirect URI (RFC 6749 §3.1.2); remove it",
            crate::api::ids::shown(raw)
        )));
    }
    if !uri.username().is_empty() || uri.password().is_some() {
        return Err(Error::usage(
            "redirect URI: a user name or password (`name:password@`) is not allowed in a redirect URI; remove it",
        ));
    }
    let host = uri.host();
    let loopback_ip = match host {
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => Some(IpAddr::V6(ip)),
        _ => None,
    };
    let is_localhost =
        matches!(host, Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost"));
    if is_localhost && crate::auth::provider::preset(provider).refuses_localhost {
        let suggestion = raw.replacen("localhost", "127.0.0.1", 1);
        return Err(Error::usage(format!(
            "Spotify no longer accepts `localhost` in redirect URIs; use {suggestion} (and register exactly that in your app's dashboard)"
        )));
    }
    match uri.scheme() {
        "http" if loopback_ip.is_some() || is_localhost => {
            let ip = loopback_ip.unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
            // No port: a free one (an explicit `:80` is a port, that url normalises away).
            let port = uri.port().unwrap_or(if port_position(&given).is_some() {
                0
            } else {
                80
            });
            let path = if uri.path().is_empty() {
                "/".to_string()
            } else {
                uri.path().to_string()
            };
            Ok(Redirect {
                uri,
                listen: Some((ip, port, path)),
                port_at: if port == 0 {
                    port_position(&given)
                } else {
                    None
                },
                raw: given,
            })
        }
        "http" => Err(Error::usage(format!(
            "redirect URI {raw}: plain http is only allowed on loopback (http://127.0.0.1:PORT/…); use https for anything else"
        ))),
        "https" => Ok(Redirect {
            uri,
            listen: None,
            raw: given,
            port_at: None,
        }),
        s => Err(Error::usage(format!(
            "redirect URI {raw}: unsupported scheme \"{s}\"; use http://127.0.0.1:PORT/callback"
        ))),
    }
}

/// Sends the user to the provider and waits for the answer: the callback server, a pasted
/// address, or the deadline, whichever comes first.
pub async fn browser(login: &Login) -> Result<Answer> {
    let ep = &login.endpoints;
    let mut redirect = redirect(&login.redirect_uri, ep.provider)?;
    let state = pkce::state();
    // PKCE when there is no secret (public client), and with one where asked or known to be
    // accepted. Spotify does not document PKCE together with a secret, so it is not sent then
    // unless asked.
    let verifier = (login.client.secret.is_none() || ep.pkce_with_secret).then(pkce::verifier);
    let iss = ep.iss_check();
    // Neither may reach a `spotctl:` line, whatever a server echoes.
    crate::sanitize::remember(&state);
    if let Some(v) = &verifier {
        crate::sanitize::remember(v);
    }

    let server = match &redirect.listen {
        Some((ip, port, path)) => {
            let s = callback::start(*ip, *port, path, &state, iss.clone()).await?;
            if *port == 0 {
                let _ = redirect.uri.set_port(Some(s.addr.port()));
            }
            Some(s)
        }
        None => None,
    };
    let auth_url = authorize_url(
        ep,
        &login.client.id,
        &redirect.sent(),
        &login.scopes,
        &state,
        verifier.as_deref(),
    );

    eprintln!(
        "spotctl: the redirect URI registered for this app must be exactly: {}",
        redirect_display(&login.redirect_uri, &redirect)
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
    // The URL (its `state`) never goes into a child's argv, which every local user can read:
    // the browser gets the path of a page only this user can read (`page`).
    let _page = if login.open_browser {
        let page = page::write(&auth_url);
        match &page {
            Some(p) => {
                let path = p.path.clone();
                std::thread::spawn(move || {
                    if !crate::hardening::open_in_browser(&path) {
                        eprintln!("spotctl: could not open a browser; open the URL above yourself");
                    }
                });
            }
            None => eprintln!(
                "spotctl: no private place for the login page (the home directory is missing or others can write it); open the URL above yourself"
            ),
        }
        page
    } else {
        None
    };
    // stdin is the caller's (`(spotctl login; cat) < names.txt`): read a pasted address only
    // from a person at a terminal, when --no-browser asks for it, or when no callback can come.
    let paste = !login.open_browser
        || server.is_none()
        || std::io::IsTerminal::is_terminal(&std::io::stdin());
    eprintln!(
        "spotctl: waiting up to {}s for the browser{}{}",
        login.wait.as_secs(),
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

    let outcome = wait_for_answer(server, &state, &iss, login.wait, paste).await?;
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
                "the answer's `state` or `iss` does not match this login — possibly a forged request (CSRF, mix-up); refused. Run `spotctl login` again",
            ));
        }
    };
    Ok(Answer {
        code,
        redirect_uri: redirect.sent(),
        verifier,
    })
}

/// Exchanges the browser's code for tokens and looks up who logged in; the account is returned,
/// not stored (`account` names it in messages only).
pub async fn exchange(http: &Http, account: &str, login: Login, answer: Answer) -> Result<Account> {
    let Login {
        endpoints: ep,
        client,
        scopes,
        redirect_uri,
        ..
    } = login;
    let mut params = vec![
        ("grant_type".to_string(), "authorization_code".to_string()),
        ("code".to_string(), answer.code.expose().to_string()),
        ("redirect_uri".to_string(), answer.redirect_uri),
    ];
    if let Some(v) = &answer.verifier {
        params.push(("code_verifier".to_string(), v.clone()));
    }
    params.extend(ep.token_params.iter().cloned());
    let resp = TokenClient {
        http,
        token_url: ep.token_url.as_str(),
        client_id: &client.id,
        client_secret: client.secret.as_ref(),
        client_auth: client.auth,
        account,
        credentials: &client.from,
    }
    .request(GrantKind::AuthorizationCode, params)
    .await?;
    user_account(
        http,
        Login {
            endpoints: ep,
            client,
            scopes,
            redirect_uri,
            open_browser: false,
            wait: Duration::ZERO,
        },
        resp,
    )
    .await
}

/// The account a user login (browser or device) brought: its tokens, and who logged in.
pub async fn user_account(
    http: &Http,
    login: Login,
    resp: crate::auth::token::TokenResponse,
) -> Result<Account> {
    let Login {
        endpoints: ep,
        client,
        scopes,
        redirect_uri,
        ..
    } = login;
    let t = now();
    let mut acc = Account {
        version: VERSION,
        provider: ep.provider,
        grant: Grant::AuthorizationCode,
        client_id: client.id,
        client_secret: client.secret,
        // As configured (a loopback URI without a port stays without one), for the next login;
        // none for a device login.
        redirect_uri: Some(redirect_uri.trim().to_string()).filter(|r| !r.is_empty()),
        auth_url: ep.auth_url.map(|u| u.to_string()),
        token_url: ep.token_url.to_string(),
        api_base: ep
            .api_base
            .map(|u| u.as_str().trim_end_matches('/').to_string())
            .unwrap_or_default(),
        client_auth: client.auth,
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
        oauth: crate::store::OAuthExtras {
            credentials_from: Some(client.from),
            issuer: ep.issuer.clone(),
            revocation_url: ep.revocation_url.as_ref().map(|u| u.to_string()),
            device_url: ep.device_url.as_ref().map(|u| u.to_string()),
            auth_params: ep.auth_params.clone(),
            token_params: ep.token_params.clone(),
            pkce: ep.pkce_with_secret,
            ..Default::default()
        },
    };
    acc.refresh_token_expires_at = match (ep.provider, resp.refresh_token_expires_in) {
        (_, Some(secs)) => Some(t + secs),
        (Provider::Spotify, None) if acc.refresh_token.is_some() => {
            Some(t + SPOTIFY_REFRESH_LIFETIME)
        }
        _ => None,
    };
    acc.user = match who(http, &acc).await {
        Ok(u) => u,
        Err(e) => {
            eprintln!(
                "spotctl: warning: logged in, but could not look up who: {}",
                crate::sanitize::line(&e.to_string())
            );
            None
        }
    };
    Ok(acc)
}

fn redirect_display(raw: &str, r: &Redirect) -> String {
    match &r.listen {
        // Registered without a port, Spotify accepts any port on a loopback IP.
        Some((_, 0, _)) => raw.trim().to_string(),
        _ => r.sent(),
    }
}

fn authorize_url(
    ep: &Endpoints,
    client_id: &str,
    redirect: &str,
    scopes: &[String],
    state: &str,
    verifier: Option<&str>,
) -> url::Url {
    let mut url = ep.auth_url.clone().unwrap_or_else(|| ep.token_url.clone());
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", client_id);
        q.append_pair("response_type", "code");
        q.append_pair("redirect_uri", redirect);
        let row = crate::auth::provider::preset(ep.provider);
        if !scopes.is_empty() {
            q.append_pair("scope", &scopes.join(row.scope_separator));
        }
        q.append_pair("state", state);
        for (k, v) in row.auth_params {
            if !ep.auth_params.iter().any(|(a, _)| a == k) {
                q.append_pair(k, v);
            }
        }
        if let Some(v) = verifier {
            q.append_pair("code_challenge_method", "S256");
            q.append_pair("code_challenge", &pkce::challenge(v));
        }
        for (k, v) in &ep.auth_params {
            q.append_pair(k, v);
        }
    }
    url
}

/// Waits for the callback server or (with `paste`) a pasted line, whichever comes first, up to
/// `wait`.
async fn wait_for_answer(
    server: Option<callback::Server>,
    state: &str,
    iss: &callback::IssCheck,
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
                    Some(l) => match paste::interpret_pasted(&l, state, iss) {
                        // Only the right `state` (and `iss`) ends a login, pasted or not.
                        Some(Outcome::StateMismatch) => eprintln!("spotctl: that address does not belong to this login (its `state` or `iss` differs); paste the one this login's browser was sent to"),
                        Some(o) => return Ok(o),
                        None => eprintln!("spotctl: that line has no `code` or `error`; paste the whole address the browser was sent to"),
                    },
                    None => paste_open = false,
                }
            }
        }
    }
}

/// Who logged in, where the provider's row says how (Spotify `/me`, Kakao `/v2/user/me`,
/// GitHub `/user`); others have no lookup.
async fn who(http: &crate::api::http::Http, acc: &Account) -> Result<Option<User>> {
    let Some(w) = crate::auth::provider::preset(acc.provider).who else {
        return Ok(None);
    };
    if acc.api_base.is_empty() {
        return Ok(None);
    }
    let path = w.path;
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
    let id = match v.pointer(w.id) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => return Ok(None),
    };
    let display_name = v
        .pointer(w.name)
        .and_then(|d| d.as_str())
        .map(|d| crate::sanitize::cap_bytes(d, crate::sanitize::USER_FIELD_CAP));
    let id = crate::sanitize::cap_bytes(&id, crate::sanitize::USER_FIELD_CAP);
    Ok(Some(User { id, display_name }))
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

    #[test]
    fn redirect_uris_are_sent_exactly_as_given() {
        let sent = |raw: &str, chosen: Option<u16>| {
            let mut r = redirect(raw, Provider::Custom).unwrap();
            if let Some(p) = chosen {
                r.uri.set_port(Some(p)).unwrap();
            }
            r.sent()
        };
        assert_eq!(sent("http://127.0.0.1:5000", None), "http://127.0.0.1:5000");
        assert_eq!(
            sent(" http://127.0.0.1:5000/cb ", None),
            "http://127.0.0.1:5000/cb"
        );
        assert_eq!(
            sent("http://127.0.0.1", Some(4321)),
            "http://127.0.0.1:4321"
        );
        assert_eq!(
            sent("http://127.0.0.1?x=1", Some(4321)),
            "http://127.0.0.1:4321?x=1"
        );
        assert_eq!(sent("http://[::1]/cb", Some(4321)), "http://[::1]:4321/cb");
        assert_eq!(
            sent("http://LOCALHOST:80/cb", None),
            "http://LOCALHOST:80/cb"
        );
        assert_eq!(
            redirect("http://127.0.0.1:80/cb", Provider::Custom)
                .unwrap()
                .listen
                .map(|l| l.1),
            Some(80)
        );
        assert_eq!(sent("https://example.com", None), "https://example.com");
    }
}
