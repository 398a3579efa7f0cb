//! The token endpoint (RFC 6749 §3.2): one function for every grant, and the parsing of its
//! answers into either a token or a clear, secret-free error.
//!
//! - 200 with a valid token body → [`TokenResponse`].
//! - 4xx with an RFC 6749 error body → exit 3 with words a person can act on
//!   (`invalid_client` → "the client id or secret is wrong"); Kakao's `error_code` is kept.
//! - Anything else (HTML, a redirect — never followed —, truncated JSON, 5xx after retries) →
//!   exit 6 with the status and a short excerpt.
//!
//! Every message is passed through `redact` with the secrets of the request, because some
//! providers echo the code back in `error_description` (Kakao's KOE320 does).

use crate::api::http::{Body, Http, Replay, Request};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::ClientAuth;
use serde::Deserialize;

/// A successful token response, validated.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    pub access_token: Secret,
    pub token_type: String,
    /// Seconds; absent means "unknown", which we treat as one hour (RFC 6749 §5.1 RECOMMENDED).
    pub expires_in: i64,
    pub refresh_token: Option<Secret>,
    pub refresh_token_expires_in: Option<i64>,
    pub scope: Option<String>,
}

#[derive(Deserialize)]
struct RawToken {
    access_token: Option<serde_json::Value>,
    token_type: Option<serde_json::Value>,
    expires_in: Option<serde_json::Value>,
    refresh_token: Option<serde_json::Value>,
    refresh_token_expires_in: Option<serde_json::Value>,
    scope: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    error_code: Option<String>,
}

/// What the grant is for, so errors can say what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    ClientCredentials,
    AuthorizationCode,
    Refresh,
    /// RFC 8628 polling: `authorization_pending` and `slow_down` are not failures.
    Device,
}

/// RFC 8628 §3.5 answers while the user has not finished: the messages `oauth_error` gives
/// them, for the poller to tell apart.
pub const DEVICE_PENDING: &str = "authorization_pending";
pub const DEVICE_SLOW_DOWN: &str = "slow_down";

pub struct TokenClient<'a> {
    pub http: &'a Http,
    pub token_url: &'a str,
    pub client_id: &'a str,
    pub client_secret: Option<&'a Secret>,
    pub client_auth: ClientAuth,
    /// Account name, for "run `spotctl login -a NAME`".
    pub account: &'a str,
    /// Where the client id and secret came from, for the `invalid_client` advice ("the client
    /// id (--client-id) and secret (--client-secret-file /path)").
    pub credentials: &'a str,
}

/// The client credentials grant's parameters: the scope when one was asked for.
pub fn client_credentials_params(scopes: &[String]) -> Vec<(String, String)> {
    let mut p = vec![("grant_type".into(), "client_credentials".into())];
    if !scopes.is_empty() {
        p.push(("scope".into(), scopes.join(" ")));
    }
    p
}

/// RFC 6749 §2.3.1: the client id and secret are `application/x-www-form-urlencoded` before
/// they go into the Basic header. Letters, digits and `-._*` are unchanged (Spotify's hex
/// secrets go out byte for byte); `+ / = %` and the rest are escaped as the servers expect.
pub fn basic_credentials(id: &str, secret: &Secret) -> (String, Secret) {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    (enc(id), Secret::new(enc(secret.expose())))
}

impl TokenClient<'_> {
    /// Posts `params` (plus client authentication) and parses the answer. `secrets` are the
    /// parameter values that must never appear in a message.
    pub async fn request(
        &self,
        kind: GrantKind,
        mut params: Vec<(String, String)>,
    ) -> Result<TokenResponse> {
        let url = url::Url::parse(self.token_url)
            .map_err(|e| Error::usage(format!("invalid token URL {}: {e}", self.token_url)))?;
        let mut secrets: Vec<String> = params
            .iter()
            .filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "code" | "code_verifier" | "refresh_token" | "device_code"
                )
            })
            .map(|(_, v)| v.clone())
            .collect();
        let mut basic = None;
        match (self.client_auth, self.client_secret) {
            (ClientAuth::Basic, Some(secret)) => {
                basic = Some(basic_credentials(self.client_id, secret));
            }
            (_, secret) => {
                params.push(("client_id".into(), self.client_id.to_string()));
                if let Some(s) = secret {
                    params.push(("client_secret".into(), s.expose().to_string()));
                }
            }
        }
        if let Some(s) = self.client_secret {
            secrets.push(s.expose().to_string());
            // The Basic header carries it form-encoded and base64-encoded: an echo of either
            // is redacted too.
            use base64::Engine;
            let (id, enc) = basic_credentials(self.client_id, s);
            secrets.push(enc.expose().to_string());
            secrets.push(
                base64::engine::general_purpose::STANDARD.encode(format!("{id}:{}", enc.expose())),
            );
        }
        // None of them may reach any `spotctl:` line of this run, wherever echoed.
        secrets.iter().for_each(|s| crate::sanitize::remember(s));
        let req = Request {
            method: reqwest::Method::POST,
            url,
            bearer: None,
            basic,
            body: Body::Form(params),
            // Retried like a GET on 5xx and network errors: if the first attempt was in fact
            // processed, a retry fails with `invalid_grant` (a used code, a rotated refresh
            // token) — the same outcome as not retrying, with the right message — and if it was
            // not, the retry saves the login or the cron run.
            replay: Replay::Safe,
        };
        let label = req.label();
        let resp = self
            .http
            .send(&req)
            .await
            .map_err(|e| redact_err(e, &secrets))?;
        // An error body may echo what was sent (Kakao's KOE320 quotes the code): redact it
        // before any of it is cut into an excerpt. A success body is left alone — it carries
        // the tokens to store, which may legitimately equal the refresh token sent.
        let body = if (200..300).contains(&resp.status) {
            resp.body
        } else {
            redact(&String::from_utf8_lossy(&resp.body), &secrets).into_bytes()
        };
        parse_response(
            resp.status,
            &resp.headers,
            &body,
            kind,
            &label,
            self.account,
            self.credentials,
        )
        .map_err(|e| redact_err(e, &secrets))
    }
}

fn redact(msg: &str, secrets: &[String]) -> String {
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    crate::sanitize::redact(msg, &secrets)
}

fn redact_err(e: Error, secrets: &[String]) -> Error {
    match e {
        Error::Auth(m) => Error::Auth(redact(&m, secrets)),
        Error::Network(m) => Error::Network(redact(&m, secrets)),
        Error::RateLimited(m) => Error::RateLimited(redact(&m, secrets)),
        Error::Usage(m) => Error::Usage(redact(&m, secrets)),
        other => other,
    }
}

/// A short, printable excerpt of a body for error messages.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if flat.chars().count() > 80 {
        format!("{}…", flat.chars().take(80).collect::<String>())
    } else if flat.is_empty() {
        "(empty body)".to_string()
    } else {
        flat
    }
}

pub fn parse_response(
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    kind: GrantKind,
    label: &str,
    account: &str,
    credentials: &str,
) -> Result<TokenResponse> {
    // GitHub (and others) answer form-encoded unless asked for JSON; read those as the same
    // object.
    let converted = form_as_json(headers, body);
    let body = converted.as_deref().unwrap_or(body);
    if (300..400).contains(&status) {
        let to = headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| l.split('?').next().unwrap_or(l).to_string())
            .unwrap_or_default();
        return Err(Error::network(format!(
            "{label}: the token endpoint answered {status} redirecting to {to}; redirects are not followed for credentials — check SPOTCTL_ACCOUNTS_BASE or --token-url"
        )));
    }
    if (200..300).contains(&status) {
        // GitHub answers errors with 200 and an `error` field, no token.
        if let Ok(err) = serde_json::from_slice::<RawError>(body)
            && !serde_json::from_slice::<serde_json::Value>(body)
                .is_ok_and(|v| v.get("access_token").is_some())
        {
            return Err(oauth_error(err, kind, account, credentials));
        }
        // Never quoted: a broken 2xx body may still hold a live token.
        let raw: RawToken = serde_json::from_slice(body).map_err(|_| {
            Error::network(format!(
                "{label}: {status} but the body ({} bytes) is not a token response",
                body.len()
            ))
        })?;
        return validate(raw, label);
    }
    if (400..500).contains(&status)
        && let Ok(err) = serde_json::from_slice::<RawError>(body)
    {
        return Err(oauth_error(err, kind, account, credentials));
    }
    Err(Error::network(format!(
        "{label}: {status} {}: {}",
        reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or(""),
        excerpt(body)
    )))
}

/// A form-encoded token answer (`access_token=…&token_type=bearer`) as the JSON object it
/// stands for; None when the body is not one (JSON bodies, HTML, anything else).
fn form_as_json(headers: &reqwest::header::HeaderMap, body: &[u8]) -> Option<Vec<u8>> {
    let form = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| {
            c.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !form {
        return None;
    }
    let mut m = serde_json::Map::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        m.entry(k.into_owned())
            .or_insert(serde_json::Value::String(v.into_owned()));
    }
    Some(serde_json::Value::Object(m).to_string().into_bytes())
}

fn validate(raw: RawToken, label: &str) -> Result<TokenResponse> {
    let bad = |what: &str| Error::network(format!("{label}: invalid token response: {what}"));
    let access_token = match raw.access_token {
        Some(serde_json::Value::String(s)) if !s.is_empty() && s.len() <= 16 * 1024 => s,
        Some(_) => return Err(bad("access_token is not a string")),
        None => return Err(bad("no access_token")),
    };
    // RFC 6750 b64token / RFC 6749 VSCHAR: U+202E or U+2028 would go out raw in a header and
    // be printed raw by `spotctl token`.
    if !crate::secret::visible_ascii(&access_token) {
        return Err(bad("access_token holds characters outside visible ASCII"));
    }
    let token_type = match raw.token_type {
        Some(serde_json::Value::String(s)) => s,
        None => "Bearer".to_string(),
        Some(_) => return Err(bad("token_type is not a string")),
    };
    if !token_type.eq_ignore_ascii_case("bearer") {
        return Err(bad(&format!(
            "token_type \"{}\" is not supported (only Bearer)",
            crate::api::ids::shown(&token_type)
        )));
    }
    let secs = |v: Option<serde_json::Value>, what: &str| -> Result<Option<i64>> {
        match v {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::Number(n)) => match n.as_i64() {
                Some(i) if (0..=10 * 365 * 86400).contains(&i) => Ok(Some(i)),
                _ => Err(bad(&format!("{what} {n} is out of range"))),
            },
            // Some providers send numbers as strings.
            Some(serde_json::Value::String(s)) => match s.trim().parse::<i64>() {
                Ok(i) if (0..=10 * 365 * 86400).contains(&i) => Ok(Some(i)),
                _ => Err(bad(&format!("{what} is not a number of seconds"))),
            },
            Some(_) => Err(bad(&format!("{what} is not a number"))),
        }
    };
    let expires_in = secs(raw.expires_in, "expires_in")?.unwrap_or(3600);
    let refresh_token_expires_in = secs(raw.refresh_token_expires_in, "refresh_token_expires_in")?;
    let refresh_token = match raw.refresh_token {
        // A control character would make the stored file corrupt (SPEC §2): refused on receipt.
        Some(serde_json::Value::String(s))
            if !s.is_empty() && !crate::secret::visible_ascii(&s) =>
        {
            return Err(bad("refresh_token holds characters outside visible ASCII"));
        }
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(Secret::new(s)),
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(_)) => None,
        Some(_) => return Err(bad("refresh_token is not a string")),
    };
    let scope = match raw.scope {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    };
    Ok(TokenResponse {
        access_token: Secret::new(access_token),
        token_type: "Bearer".to_string(),
        expires_in,
        refresh_token,
        refresh_token_expires_in,
        scope,
    })
}

/// How the error for a refused refresh token starts, so the session can remember it.
pub const REFRESH_REFUSED: &str = "the refresh token was refused";

fn oauth_error(err: RawError, kind: GrantKind, account: &str, credentials: &str) -> Error {
    let desc = err
        .error_description
        .as_deref()
        .map(|d| format!(": {}", crate::api::ids::shown(d)))
        .unwrap_or_default();
    let code = err
        .error_code
        .as_deref()
        .map(|c| format!(" [{}]", crate::api::ids::shown(c)))
        .unwrap_or_default();
    let detail = format!("{}{desc}{code}", crate::api::ids::shown(&err.error));
    match (err.error.as_str(), kind) {
        ("invalid_client", _) | ("unauthorized_client", _) => Error::auth(format!(
            "the client id or secret is wrong ({detail}); check {credentials} against the app's settings at the provider"
        )),
        // GitHub says `bad_refresh_token`.
        ("invalid_grant" | "bad_refresh_token", GrantKind::Refresh) => Error::auth(format!(
            "{REFRESH_REFUSED} ({detail}); it was revoked or has expired: run `spotctl login -a {account}`"
        )),
        ("invalid_grant", GrantKind::AuthorizationCode) => Error::auth(format!(
            "the authorization code was refused ({detail}); run the login again"
        )),
        ("authorization_pending", GrantKind::Device) => Error::auth(DEVICE_PENDING),
        ("slow_down", GrantKind::Device) => Error::auth(DEVICE_SLOW_DOWN),
        ("expired_token", GrantKind::Device) => Error::auth(format!(
            "the device code expired before the login was completed ({detail}); run `spotctl login --device -a {account}` again"
        )),
        ("access_denied", GrantKind::Device) => Error::auth(format!(
            "the login was denied on the other device ({detail})"
        )),
        _ => Error::auth(format!("the token endpoint refused the request ({detail})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn parse(status: u16, body: &str, kind: GrantKind) -> Result<TokenResponse> {
        parse_response(
            status,
            &HeaderMap::new(),
            body.as_bytes(),
            kind,
            "POST /api/token",
            "alice",
            "SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET",
        )
    }

    #[test]
    fn good_and_partial_responses() {
        let t = parse(
            200,
            r#"{"access_token":"abc","token_type":"Bearer","expires_in":3600}"#,
            GrantKind::ClientCredentials,
        )
        .unwrap();
        assert_eq!(t.expires_in, 3600);
        assert!(t.refresh_token.is_none());
        let t = parse(200, r#"{"access_token":"abc","token_type":"bearer","expires_in":"21599","refresh_token":"r"}"#, GrantKind::Refresh).unwrap();
        assert_eq!(t.expires_in, 21599);
        assert!(t.refresh_token.is_some());
    }

    #[test]
    fn hostile_responses_are_exit_6() {
        for body in [
            r#"{"token_type":"Bearer"}"#,
            r#"{"access_token":5}"#,
            r#"{"access_token":"a","expires_in":-5}"#,
            r#"{"access_token":"a","expires_in":1e300}"#,
            r#"{"access_token":"a","expires_in":99999999999999}"#,
            r#"{"access_token":"a","token_type":"mac"}"#,
            r#"{"access_token":"a b"}"#,
            r#"{"access_token":"a","refresh_token":"r\r\nX: y"}"#,
            r#"{"access_token":"abc"#,
            "<html>502</html>",
            "",
        ] {
            let e = parse(200, body, GrantKind::Refresh).unwrap_err();
            assert_eq!(e.exit_code(), 6, "{body}: {e}");
        }
    }

    #[test]
    fn oauth_errors_are_exit_3_with_advice() {
        let e = parse(
            400,
            r#"{"error":"invalid_client","error_description":"Invalid client"}"#,
            GrantKind::ClientCredentials,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 3);
        assert!(
            e.to_string().contains("the client id or secret is wrong"),
            "{e}"
        );
        let e = parse(
            400,
            r#"{"error":"invalid_grant","error_description":"Refresh token revoked"}"#,
            GrantKind::Refresh,
        )
        .unwrap_err();
        assert!(e.to_string().contains("spotctl login -a alice"), "{e}");
        let e = parse(400, r#"{"error":"invalid_grant","error_description":"expired_or_invalid_refresh_token","error_code":"KOE322"}"#, GrantKind::Refresh).unwrap_err();
        assert!(e.to_string().contains("KOE322"), "{e}");
        let e = parse(503, "Service Unavailable", GrantKind::Refresh).unwrap_err();
        assert_eq!(e.exit_code(), 6);
    }

    #[test]
    fn a_broken_2xx_body_is_never_quoted() {
        for status in [200, 201, 203] {
            let e = parse(
                status,
                r#"{"access_token":"LIVE-TOKEN-VALUE-123","expires_in":36"#,
                GrantKind::Refresh,
            )
            .unwrap_err();
            assert_eq!(e.exit_code(), 6);
            assert!(!e.to_string().contains("LIVE-TOKEN"), "{e}");
        }
        assert!(parse(201, r#"{"access_token":"abc"}"#, GrantKind::Refresh).is_ok());
    }

    #[test]
    fn redirects_are_not_followed() {
        let mut h = HeaderMap::new();
        h.insert(
            reqwest::header::LOCATION,
            "https://evil.example/steal?x=1".parse().unwrap(),
        );
        let e = parse_response(
            302,
            &h,
            b"",
            GrantKind::Refresh,
            "POST /api/token",
            "a",
            "c",
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 6);
        assert!(e.to_string().contains("not followed"));
        assert!(!e.to_string().contains("x=1"));
    }

    #[test]
    fn basic_credentials_are_form_encoded_and_hex_secrets_are_unchanged() {
        let hex = "0123456789abcdef0123456789abcdef";
        let (id, s) = basic_credentials("3f9a1c0d", &Secret::new(hex));
        assert_eq!((id.as_str(), s.expose()), ("3f9a1c0d", hex));
        let (id, s) = basic_credentials("my app:1", &Secret::new("a+b/c=d%e~"));
        assert_eq!(id, "my+app%3A1");
        assert_eq!(s.expose(), "a%2Bb%2Fc%3Dd%25e%7E");
    }

    #[test]
    fn form_encoded_answers_are_read_like_json() {
        let mut h = HeaderMap::new();
        h.insert(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        let ok = |body: &str| {
            parse_response(
                200,
                &h,
                body.as_bytes(),
                GrantKind::AuthorizationCode,
                "POST /t",
                "a",
                "c",
            )
        };
        let t = ok("access_token=gho_abc&scope=repo%2Cgist&token_type=bearer").unwrap();
        assert_eq!(t.access_token.expose(), "gho_abc");
        assert_eq!(t.scope.as_deref(), Some("repo,gist"));
        // GitHub's errors come with 200 and no token.
        let e = ok("error=bad_verification_code&error_description=The+code+is+wrong").unwrap_err();
        assert_eq!(e.exit_code(), 3);
        assert!(e.to_string().contains("bad_verification_code"), "{e}");
        let e = parse(200, r#"{"error":"bad_refresh_token"}"#, GrantKind::Refresh).unwrap_err();
        assert_eq!(e.exit_code(), 3, "{e}");
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact("code=SECRETCODE not found", &["SECRETCODE".into()]),
            "code=(redacted) not found"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn token_parser_never_panics(status in 100u16..600, body in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_response(status, &HeaderMap::new(), &body, GrantKind::Refresh, "POST /t", "a", "c");
        }

        #[test]
        fn json_shapes_never_panic(at in proptest::option::of("[ -~]{0,20}"), exp in proptest::option::of(proptest::num::i64::ANY), rt in proptest::option::of(proptest::num::i32::ANY)) {
            let mut m = serde_json::Map::new();
            if let Some(a) = at { m.insert("access_token".into(), a.into()); }
            if let Some(e) = exp { m.insert("expires_in".into(), e.into()); }
            if let Some(r) = rt { m.insert("refresh_token".into(), r.into()); }
            let body = serde_json::Value::Object(m).to_string();
            if let Ok(t) = parse(200, &body, GrantKind::Refresh) {
                proptest::prop_assert!(t.expires_in >= 0);
            }
        }
    }
}
