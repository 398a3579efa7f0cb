//! `login --issuer URL`: the authorization server's metadata (RFC 8414
//! `/.well-known/oauth-authorization-server`, else OpenID Connect Discovery
//! `/.well-known/openid-configuration`) fills the endpoints. The metadata's `issuer` must equal
//! the URL asked, character for character (RFC 8414 §3.3): otherwise another server's metadata
//! could send the login elsewhere. Trust in the answer is TLS to the issuer (https, or plain
//! http on loopback only, like every other endpoint).

use crate::api::http::{Http, Request};
use crate::error::{Error, Result};
use serde::Deserialize;

/// What discovery found, endpoints already checked (https or loopback).
#[derive(Debug, Clone)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: Option<url::Url>,
    pub token_endpoint: url::Url,
    pub revocation_endpoint: Option<url::Url>,
    pub device_authorization_endpoint: Option<url::Url>,
    /// `code_challenge_methods_supported` lists S256.
    pub s256: bool,
    /// `authorization_response_iss_parameter_supported` (RFC 9207): the callback must carry
    /// `iss`.
    pub iss_in_response: bool,
}

#[derive(Deserialize)]
struct Raw {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
    #[serde(default)]
    code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

/// The two well-known addresses for `issuer`, RFC 8414's first (inserted before the path) and
/// OpenID's (appended to it).
fn well_known(issuer: &url::Url) -> Vec<url::Url> {
    let path = issuer.path().trim_end_matches('/');
    let mut rfc8414 = issuer.clone();
    rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    let mut oidc = issuer.clone();
    oidc.set_path(&format!("{path}/.well-known/openid-configuration"));
    for u in [&mut rfc8414, &mut oidc] {
        u.set_query(None);
        u.set_fragment(None);
    }
    vec![rfc8414, oidc]
}

pub async fn discover(http: &Http, issuer_raw: &str) -> Result<Metadata> {
    let asked = issuer_raw.trim();
    let issuer = crate::env::check_base(asked, "--issuer")?;
    let mut tried = Vec::new();
    for url in well_known(&issuer) {
        let req = Request::get(url.clone());
        let resp = http.send(&req).await?;
        if resp.status != 200 {
            tried.push(format!("{} ({})", url, resp.status));
            continue;
        }
        let raw: Raw = serde_json::from_slice(&resp.body).map_err(|_| {
            Error::network(format!(
                "{}: the discovery document is not JSON metadata",
                req.label()
            ))
        })?;
        return metadata(raw, asked, &url);
    }
    Err(Error::network(format!(
        "no authorization server metadata for {asked}: {}; check the issuer URL, or give --auth-url and --token-url",
        tried.join(", ")
    )))
}

fn metadata(raw: Raw, asked: &str, from: &url::Url) -> Result<Metadata> {
    let issuer = raw.issuer.unwrap_or_default();
    if issuer != asked {
        return Err(Error::auth(format!(
            "the metadata at {from} names the issuer \"{}\", not \"{asked}\" as asked; refused (RFC 8414 §3.3){}",
            crate::api::ids::shown(&issuer),
            if issuer.trim_end_matches('/') == asked.trim_end_matches('/') {
                format!(" — use --issuer {}", crate::api::ids::shown(&issuer))
            } else {
                String::new()
            }
        )));
    }
    let endpoint = |v: Option<String>, what: &str| {
        v.map(|u| crate::env::check_base(&u, &format!("the issuer's {what}")))
            .transpose()
    };
    let token_endpoint = endpoint(raw.token_endpoint, "token_endpoint")?.ok_or_else(|| {
        Error::network(format!(
            "the metadata at {from} has no token_endpoint; give --token-url"
        ))
    })?;
    Ok(Metadata {
        issuer,
        authorization_endpoint: endpoint(raw.authorization_endpoint, "authorization_endpoint")?,
        token_endpoint,
        revocation_endpoint: endpoint(raw.revocation_endpoint, "revocation_endpoint")?,
        device_authorization_endpoint: endpoint(
            raw.device_authorization_endpoint,
            "device_authorization_endpoint",
        )?,
        s256: raw
            .code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256"),
        iss_in_response: raw.authorization_response_iss_parameter_supported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_addresses() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        let w = well_known(&u("https://login.example.com/tenant/v2.0"));
        assert_eq!(
            w[0].as_str(),
            "https://login.example.com/.well-known/oauth-authorization-server/tenant/v2.0"
        );
        assert_eq!(
            w[1].as_str(),
            "https://login.example.com/tenant/v2.0/.well-known/openid-configuration"
        );
        let w = well_known(&u("https://id.example.com"));
        assert_eq!(
            w[1].as_str(),
            "https://id.example.com/.well-known/openid-configuration"
        );
    }

    #[test]
    fn the_issuer_must_be_the_one_asked() {
        let raw = |iss: &str| Raw {
            issuer: Some(iss.into()),
            authorization_endpoint: None,
            token_endpoint: Some("https://a.example/token".into()),
            revocation_endpoint: None,
            device_authorization_endpoint: None,
            code_challenge_methods_supported: vec!["S256".into()],
            authorization_response_iss_parameter_supported: true,
        };
        let from = url::Url::parse("https://a.example/.well-known/x").unwrap();
        assert!(metadata(raw("https://a.example"), "https://a.example", &from).is_ok());
        let e = metadata(raw("https://evil.example"), "https://a.example", &from).unwrap_err();
        assert_eq!(e.exit_code(), 3);
        let e = metadata(raw("https://a.example/"), "https://a.example", &from).unwrap_err();
        assert!(
            e.to_string().contains("use --issuer https://a.example/"),
            "{e}"
        );
    }
}
