//! `login --device` (RFC 8628): for machines with no browser and no way to paste. The user code
//! and the verification address go to stderr; the token endpoint is polled at the server's
//! `interval` (+5 s after each `slow_down`, §3.5), `authorization_pending` keeps waiting,
//! `expired_token` and `access_denied` end the login (exit 3), and so does the code's own
//! lifetime. Ctrl-C ends it cleanly: nothing is stored (exit 130).

use crate::api::http::{Body, Http, Replay, Request};
use crate::auth::login::Login;
use crate::auth::provider::preset;
use crate::auth::token::{DEVICE_PENDING, DEVICE_SLOW_DOWN, GrantKind, TokenClient};
use crate::error::{Error, Result};
use crate::store::{Account, ClientAuth};
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize)]
struct DeviceAuthorization {
    device_code: String,
    user_code: String,
    /// Google says `verification_url`.
    #[serde(alias = "verification_url")]
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_in: Option<serde_json::Value>,
    interval: Option<serde_json::Value>,
}

fn secs(v: &Option<serde_json::Value>) -> Option<u64> {
    match v {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The wait before each poll: the server's `interval`, 5 s when it sends none (RFC 8628 §3.2),
/// kept between 1 s (never a busy loop) and 5 minutes.
fn first_interval(da: &DeviceAuthorization) -> Duration {
    Duration::from_secs(secs(&da.interval).unwrap_or(5).clamp(1, 300))
}

/// RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval, for good.
pub fn slower(interval: Duration) -> Duration {
    interval.saturating_add(Duration::from_secs(5))
}

/// Runs the device login and returns the account (not stored).
pub async fn login(http: &Http, account: &str, login: Login) -> Result<Account> {
    let ep = &login.endpoints;
    let Some(device_url) = ep.device_url.clone() else {
        return Err(Error::usage(
            "--device needs the provider's device authorization endpoint: --device-url URL, or --issuer URL when its metadata lists one",
        ));
    };
    let mut form = Vec::new();
    if !login.scopes.is_empty() {
        form.push((
            "scope".to_string(),
            login.scopes.join(preset(ep.provider).scope_separator),
        ));
    }
    let mut basic = None;
    match (login.client.auth, &login.client.secret) {
        (ClientAuth::Basic, Some(s)) => {
            basic = Some(crate::auth::token::basic_credentials(&login.client.id, s));
        }
        (_, s) => {
            form.push(("client_id".into(), login.client.id.clone()));
            if let Some(s) = s {
                form.push(("client_secret".into(), s.expose().to_string()));
            }
        }
    }
    let req = Request {
        method: reqwest::Method::POST,
        url: device_url,
        bearer: None,
        basic,
        body: Body::Form(form),
        replay: Replay::OnlyIfNotSent,
    };
    let resp = http.send(&req).await?;
    if resp.status != 200 {
        let detail = serde_json::from_slice::<serde_json::Value>(&resp.body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
            .map(|e| crate::api::ids::shown(&e))
            .unwrap_or_else(|| crate::auth::token::excerpt(&resp.body));
        return Err(Error::auth(format!(
            "{}: the device authorization was refused ({} {detail})",
            req.label(),
            resp.status
        )));
    }
    let da: DeviceAuthorization = serde_json::from_slice(&resp.body).map_err(|_| {
        Error::network(format!(
            "{}: the answer is not a device authorization",
            req.label()
        ))
    })?;
    // Listening for Ctrl-C before the code is shown: a user who gives up at once is heard.
    let interrupted = interrupted()?;
    let shown = |s: &str| crate::sanitize::line(&crate::api::ids::shown(s));
    eprintln!(
        "spotctl: to log in, open {} on any device and enter the code: {}",
        shown(&da.verification_uri),
        shown(&da.user_code)
    );
    if let Some(c) = &da.verification_uri_complete {
        eprintln!("spotctl: or open {} (the code is filled in)", shown(c));
    }
    let lifetime = secs(&da.expires_in)
        .map(Duration::from_secs)
        .unwrap_or(login.wait);
    let mut interval = first_interval(&da);
    eprintln!(
        "spotctl: waiting up to {}s for the login (Ctrl-C to give up)",
        lifetime.as_secs()
    );
    let client = TokenClient {
        http,
        token_url: ep.token_url.as_str(),
        client_id: &login.client.id,
        client_secret: login.client.secret.as_ref(),
        client_auth: login.client.auth,
        account,
        credentials: &login.client.from,
    };
    let deadline = tokio::time::Instant::now() + lifetime;
    let poll = async {
        loop {
            tokio::time::sleep(interval).await;
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::auth(format!(
                    "the device code expired after {}s before the login was completed; run `spotctl login --device -a {account}` again",
                    lifetime.as_secs()
                )));
            }
            let mut params = vec![
                (
                    "grant_type".to_string(),
                    "urn:ietf:params:oauth:grant-type:device_code".to_string(),
                ),
                ("device_code".to_string(), da.device_code.clone()),
            ];
            params.extend(ep.token_params.iter().cloned());
            match client.request(GrantKind::Device, params).await {
                Ok(t) => return Ok(t),
                Err(Error::Auth(m)) if m == DEVICE_PENDING => {}
                Err(Error::Auth(m)) if m == DEVICE_SLOW_DOWN => {
                    interval = slower(interval);
                    tracing::info!("slow_down: polling every {}s", interval.as_secs());
                }
                Err(e) => return Err(e),
            }
        }
    };
    let resp = tokio::select! {
        r = poll => r?,
        _ = interrupted => {
            eprintln!("spotctl: login interrupted; nothing was stored");
            return Err(Error::Reported(130));
        }
    };
    crate::auth::login::user_account(http, login, resp).await
}

/// Resolves on Ctrl-C; the handler is in place when this returns (not at the first poll).
fn interrupted() -> Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut s = signal(SignalKind::interrupt())
            .map_err(|e| Error::Internal(format!("listening for Ctrl-C: {e}")))?;
        Ok(async move {
            s.recv().await;
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_down_adds_five_seconds_each_time() {
        let i = slower(slower(Duration::from_secs(5)));
        assert_eq!(i, Duration::from_secs(15));
        let d: DeviceAuthorization = serde_json::from_str(
            r#"{"device_code":"d","user_code":"ABCD-EFGH","verification_url":"https://www.google.com/device","expires_in":"1800","interval":5}"#,
        )
        .unwrap();
        assert_eq!(d.verification_uri, "https://www.google.com/device");
        assert_eq!(secs(&d.expires_in), Some(1800));
        assert_eq!(first_interval(&d), Duration::from_secs(5));
    }

    #[test]
    fn the_first_interval_is_the_servers_or_five_seconds() {
        let with = |interval: &str| {
            let d: DeviceAuthorization = serde_json::from_str(&format!(
                r#"{{"device_code":"d","user_code":"U","verification_uri":"https://x/device","expires_in":600{interval}}}"#
            ))
            .unwrap();
            first_interval(&d).as_secs()
        };
        assert_eq!(with(""), 5, "none sent: RFC 8628's default");
        assert_eq!(with(r#","interval":1"#), 1);
        assert_eq!(with(r#","interval":"7""#), 7);
        assert_eq!(with(r#","interval":0"#), 1, "never a busy loop");
        assert_eq!(with(r#","interval":86400"#), 300);
    }
}
