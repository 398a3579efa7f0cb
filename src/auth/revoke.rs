//! `logout` ends the login at the provider before the file is deleted: RFC 7009 revocation of
//! the refresh token, then the access token, where the account has a revocation endpoint
//! (discovery, or the provider's row: Google); Kakao's logout endpoint (facts §6.6: logout,
//! never unlink). Spotify has none, and nothing is said. Messages never carry a token: only the
//! endpoint, the status and the RFC 6749 error code.

use crate::api::http::{Body, Http, Replay, Request};
use crate::auth::provider::{Revocation, preset};
use crate::error::{Error, Result};
use crate::store::{Account, ClientAuth};

/// Whether `acc` has anything to revoke at.
pub fn has_endpoint(acc: &Account) -> bool {
    acc.oauth.revocation_url.is_some()
        || matches!(preset(acc.provider).revocation, Revocation::KakaoLogout(_))
}

/// Revokes what `acc` holds; Ok(false) when there is no endpoint.
pub async fn revoke(http: &Http, acc: &Account) -> Result<bool> {
    if let Revocation::KakaoLogout(path) = preset(acc.provider).revocation {
        let url = url::Url::parse(&format!("{}{path}", acc.api_base.trim_end_matches('/')))
            .map_err(|e| Error::usage(format!("Kakao logout URL: {e}")))?;
        let mut req = Request::get(url);
        req.method = reqwest::Method::POST;
        req.bearer = Some(acc.access_token.clone());
        req.replay = Replay::OnlyIfNotSent;
        let resp = http.send(&req).await?;
        // A 401 is an access token already dead: nothing left to end.
        return match resp.status {
            200..=299 | 401 => Ok(true),
            s => Err(Error::network(format!("{}: {s}", req.label()))),
        };
    }
    let Some(endpoint) = &acc.oauth.revocation_url else {
        return Ok(false);
    };
    let url = crate::env::check_base(endpoint, "revocation URL")?;
    let tokens = [
        acc.refresh_token.as_ref().map(|t| (t, "refresh_token")),
        Some((&acc.access_token, "access_token")),
    ];
    for (token, hint) in tokens.into_iter().flatten() {
        let mut form = vec![
            ("token".to_string(), token.expose().to_string()),
            ("token_type_hint".to_string(), hint.to_string()),
        ];
        let mut basic = None;
        match (acc.client_auth, &acc.client_secret) {
            (ClientAuth::Basic, Some(s)) => {
                basic = Some(crate::auth::token::basic_credentials(&acc.client_id, s));
            }
            (_, s) => {
                form.push(("client_id".into(), acc.client_id.clone()));
                if let Some(s) = s {
                    form.push(("client_secret".into(), s.expose().to_string()));
                }
            }
        }
        let req = Request {
            method: reqwest::Method::POST,
            url: url.clone(),
            bearer: None,
            basic,
            body: Body::Form(form),
            // Revoking twice is harmless (RFC 7009 §2.2: an unknown token is a 200).
            replay: Replay::Safe,
        };
        let resp = http.send(&req).await?;
        if resp.status != 200 {
            let code = serde_json::from_slice::<serde_json::Value>(&resp.body)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                .map(|e| format!(" ({})", crate::api::ids::shown(&e)))
                .unwrap_or_default();
            return Err(Error::network(format!(
                "{}: {}{code} revoking the {}",
                req.label(),
                resp.status,
                hint.replace('_', " ")
            )));
        }
    }
    Ok(true)
}
