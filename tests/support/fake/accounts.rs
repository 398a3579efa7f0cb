//! Spotify's Accounts service: `GET /authorize` (the consent page, answered at once per
//! `AuthorizeBehavior`) and `POST /api/token` (client credentials, authorization code with or
//! without PKCE, refresh), following facts §1–2: redirect-URI rules, flat RFC 6749 error bodies,
//! single-use 10-minute codes, and 2026 refresh-token behaviour.

use std::time::{Duration, Instant};

use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};
use url::{Host, Url};

use super::server::{Basic, Incoming, json as json_response, redirect_back, text};
use super::state::{
    AuthCode, REFRESH_LIFETIME_SECS, RefreshGrant, Shared, State, Subject, random_token, unix_now,
};
use super::{AuthorizeBehavior, CLIENT_ID, CLIENT_SECRET, RefreshBehavior};

const CODE_TTL: Duration = Duration::from_secs(600);

/// Scopes Spotify knows; anything else is `error=invalid_scope`.
const KNOWN_SCOPES: &[&str] = &[
    "ugc-image-upload",
    "user-read-playback-state",
    "user-modify-playback-state",
    "user-read-currently-playing",
    "app-remote-control",
    "streaming",
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-private",
    "playlist-modify-public",
    "user-follow-modify",
    "user-follow-read",
    "user-read-playback-position",
    "user-top-read",
    "user-read-recently-played",
    "user-library-modify",
    "user-library-read",
    "user-read-email",
    "user-read-private",
    "user-personalized",
];

// ---- GET /authorize ----

pub(crate) fn authorize(shared: &Shared, inc: &Incoming) -> Response {
    let mut st = shared.lock();
    st.last_authorize = inc.query.clone();

    // A bad client or redirect URI is never redirected back: Spotify shows an error page.
    if inc.param("client_id") != Some(CLIENT_ID) {
        return error_page("Invalid client");
    }
    let Some(redirect_uri) = inc.param("redirect_uri") else {
        return error_page("Invalid redirect URI");
    };
    if let Err(message) = check_redirect_uri(&st.redirect_uris, redirect_uri) {
        return error_page(message);
    }

    // From here on, errors go back to the app as `redirect_uri?error=...&state=...`.
    let state = inc.param("state");
    let back = |pairs: &[(&str, &str)]| redirect_back(303, redirect_uri, state, pairs);
    if inc.param("response_type") != Some("code") {
        return back(&[("error", "unsupported_response_type")]);
    }
    let challenge = match (
        inc.param("code_challenge"),
        inc.param("code_challenge_method"),
    ) {
        (None, None) => None,
        (Some(c), Some("S256")) if is_s256_challenge(c) => Some(c.to_string()),
        (Some(_), Some("S256")) => {
            return back(&[
                ("error", "invalid_request"),
                (
                    "error_description",
                    "code_challenge must be base64url(SHA-256(verifier))",
                ),
            ]);
        }
        _ => {
            return back(&[
                ("error", "invalid_request"),
                ("error_description", "code_challenge_method must be S256"),
            ]);
        }
    };
    let scopes = inc.param("scope").unwrap_or("");
    if scopes
        .split_whitespace()
        .any(|s| !KNOWN_SCOPES.contains(&s))
    {
        return back(&[
            ("error", "invalid_scope"),
            ("error_description", "Invalid scope"),
        ]);
    }

    let behavior = match st.login_queue.pop_front() {
        Some(user_id) => AuthorizeBehavior::Approve { user_id },
        None => st.authorize_behavior.clone(),
    };
    match behavior {
        AuthorizeBehavior::Deny => back(&[("error", "access_denied")]),
        AuthorizeBehavior::Approve { user_id } => {
            let code = random_token("AQ", 64);
            st.codes.insert(
                code.clone(),
                AuthCode {
                    client_id: CLIENT_ID.to_string(),
                    redirect_uri: redirect_uri.to_string(),
                    user_id,
                    scopes: scopes.split_whitespace().collect::<Vec<_>>().join(" "),
                    code_challenge: challenge,
                    expires_at: Instant::now() + CODE_TTL,
                    used: false,
                },
            );
            back(&[("code", code.as_str())])
        }
    }
}

/// Spotify's rules since 2025 (facts §2): `localhost` is refused outright; otherwise the URI
/// must match a registered one exactly, except that a loopback IP literal registered without a
/// port matches any port.
fn check_redirect_uri(registered: &[String], uri: &str) -> Result<(), &'static str> {
    let url = Url::parse(uri).map_err(|_| "Invalid redirect URI")?;
    if url.host_str() == Some("localhost") {
        return Err("Insecure redirect URI");
    }
    if registered.iter().any(|r| r == uri) {
        return Ok(());
    }
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    if loopback && url.port().is_some() {
        let mut portless = url.clone();
        let _ = portless.set_port(None);
        let matches_portless = registered.iter().any(|r| {
            Url::parse(r).is_ok_and(|r| r.port().is_none() && r.as_str() == portless.as_str())
        });
        if matches_portless {
            return Ok(());
        }
    }
    Err("Invalid redirect URI")
}

fn is_s256_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn error_page(message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>Error</title></head>\n<body><h1>INVALID_CLIENT: {message}</h1></body></html>\n"
    );
    text(400, "text/html; charset=utf-8", &body)
}

// ---- POST /api/token ----

/// A flat RFC 6749 error body, HTTP 400 (facts §1.5).
fn oauth_error(error: &str, description: &str) -> Response {
    json_response(
        400,
        &json!({"error": error, "error_description": description}),
    )
}

fn invalid_client() -> Response {
    oauth_error("invalid_client", "Invalid client")
}

pub(crate) fn token(shared: &Shared, inc: &Incoming) -> Response {
    let mut st = shared.lock();
    // Only form bodies are parsed: a JSON body therefore reads as "no grant_type", which is how
    // Spotify answers one (facts §1.2: unsupported_grant_type-style failures).
    let grant = match inc.field("grant_type") {
        None | Some("") => {
            return oauth_error("unsupported_grant_type", "grant_type parameter is missing");
        }
        Some(g @ ("client_credentials" | "authorization_code" | "refresh_token")) => g,
        Some(_) => {
            return oauth_error(
                "unsupported_grant_type",
                "grant_type must be client_credentials, authorization_code or refresh_token",
            );
        }
    };
    let Some(confidential) = authenticate_client(inc) else {
        return invalid_client();
    };
    match grant {
        "client_credentials" => {
            if !confidential {
                return invalid_client();
            }
            let (access_token, expires_in) = st.mint_access(Subject::App);
            json_response(
                200,
                &json!({"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in}),
            )
        }
        "authorization_code" => exchange_code(&mut st, inc, confidential),
        _ => refresh(&mut st, inc, confidential),
    }
}

/// Client authentication: HTTP Basic, or `client_id` (+ `client_secret`) in the body.
/// `Some(confidential)` says whether the client proved it knows the secret; `None` is
/// `invalid_client`.
fn authenticate_client(inc: &Incoming) -> Option<bool> {
    let (id, secret) = match &inc.basic {
        Basic::Present { id, secret } => {
            if inc.field("client_id").is_some_and(|body_id| body_id != id) {
                return None;
            }
            (Some(id.as_str()), Some(secret.as_str()))
        }
        Basic::Malformed => return None,
        Basic::Absent => (inc.field("client_id"), inc.field("client_secret")),
    };
    match (id, secret) {
        (Some(CLIENT_ID), None) => Some(false),
        (Some(CLIENT_ID), Some(CLIENT_SECRET)) => Some(true),
        _ => None,
    }
}

fn exchange_code(st: &mut State, inc: &Incoming, confidential: bool) -> Response {
    let code = inc.field("code").unwrap_or("");
    let now = Instant::now();
    let Some(c) = st
        .codes
        .get(code)
        .filter(|c| !c.used && c.client_id == CLIENT_ID && c.expires_at > now)
    else {
        return oauth_error("invalid_grant", "Invalid authorization code");
    };
    if inc.field("redirect_uri") != Some(c.redirect_uri.as_str()) {
        return oauth_error("invalid_grant", "Invalid redirect URI");
    }
    // A code bound to a challenge needs the matching verifier whatever the client
    // authentication (RFC 7636; facts §1.3). Without PKCE, a public client has nothing to
    // prove who it is.
    match &c.code_challenge {
        Some(challenge) => {
            let verified = inc
                .field("code_verifier")
                .is_some_and(|v| s256(v) == *challenge);
            if !verified {
                return oauth_error("invalid_grant", "code_verifier was incorrect");
            }
        }
        None if !confidential => return invalid_client(),
        None => {}
    }
    let (user_id, scopes, pkce) = (
        c.user_id.clone(),
        c.scopes.clone(),
        c.code_challenge.is_some(),
    );
    if let Some(c) = st.codes.get_mut(code) {
        c.used = true;
    }
    let t = st.mint_user_tokens(&user_id, &scopes, pkce);
    json_response(
        200,
        &json!({
            "access_token": t.access_token,
            "token_type": "Bearer",
            "expires_in": t.expires_in,
            "refresh_token": t.refresh_token,
            "scope": t.scope,
        }),
    )
}

fn refresh(st: &mut State, inc: &Incoming, confidential: bool) -> Response {
    let token = inc.field("refresh_token").unwrap_or("");
    let Some(g) = st.refresh.get(token).filter(|g| g.client_id == CLIENT_ID) else {
        return oauth_error("invalid_grant", "Invalid refresh token");
    };
    // Confidential clients refresh with their secret; PKCE tokens need only the client id.
    if !g.pkce && !confidential {
        return invalid_client();
    }
    let expired = st.refresh_behavior == RefreshBehavior::Expired
        || unix_now() - g.authorized_at >= REFRESH_LIFETIME_SECS;
    // The wording for a 6-month-expired token is undocumented; users report this one.
    if g.revoked || expired {
        return oauth_error("invalid_grant", "Refresh token revoked");
    }
    let (user_id, scopes, authorized_at, pkce) =
        (g.user_id.clone(), g.scopes.clone(), g.authorized_at, g.pkce);
    let (access_token, expires_in) = st.mint_access(Subject::User {
        id: user_id.clone(),
        scopes: scopes.clone(),
    });
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scopes,
    });
    // 2026 default: no new refresh token (facts §1.4). Rotating: the pre-2026 PKCE behaviour,
    // a new token each time and the old one revoked.
    if st.refresh_behavior == RefreshBehavior::Rotating {
        if let Some(old) = st.refresh.get_mut(token) {
            old.revoked = true;
        }
        let new = st.mint_refresh(RefreshGrant {
            client_id: CLIENT_ID.to_string(),
            user_id,
            scopes,
            authorized_at,
            pkce,
            revoked: false,
        });
        body["refresh_token"] = json!(new);
    }
    json_response(200, &body)
}

/// PKCE's S256 transform: base64url(SHA-256(verifier)) without padding.
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}
