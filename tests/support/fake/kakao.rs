//! Kakao, the second OAuth provider spotctl supports, under `/kakao` (facts §6): the consent
//! page and token endpoint of kauth (client id in the body, secret optional, refresh tokens
//! renewed only in their last month) and two kapi endpoints (who am I, send myself a message).
//!
//! Error bodies differ from Spotify's on purpose: kauth adds `error_code` (KOE…), kapi uses
//! `{"msg","code"}`. spotctl must cope with both.

use std::time::{Duration, Instant};

use axum::response::Response;
use serde_json::{Value, json};
use url::Url;

use super::server::{Incoming, json as json_response, redirect_back, text};
use super::state::{AuthCode, Shared, State, random_token, unix_now};
use super::{AuthorizeBehavior, KAKAO_CLIENT_ID};

/// Refresh tokens live about 60 days (facts §6.2: `refresh_token_expires_in: 5183999`).
pub(crate) const REFRESH_EXPIRES_IN: i64 = 5_183_999;
/// A refresh renews the refresh token only when less than this is left (facts §6.3).
const RENEW_WINDOW: i64 = 30 * 86_400;
const CODE_TTL: Duration = Duration::from_secs(600);
/// The one Kakao user.
const USER_ID: u64 = 1_234_567_890;

pub(crate) fn handle(shared: &Shared, inc: &Incoming) -> Response {
    match (inc.method.as_str(), inc.path.as_str()) {
        ("GET", "/kakao/oauth/authorize") => authorize(shared, inc),
        ("POST", "/kakao/oauth/token") => token(shared, inc),
        ("GET", "/kakao/v2/user/me") => user_me(shared, inc),
        ("POST", "/kakao/v2/api/talk/memo/default/send") => send_memo(shared, inc),
        ("POST", "/kakao/v1/user/logout") => logout(shared, inc),
        _ => kapi_error(404, -1, "not found"),
    }
}

// ---- kauth ----

fn authorize(shared: &Shared, inc: &Incoming) -> Response {
    let mut st = shared.lock();
    st.last_authorize = inc.query.clone();
    if inc.param("client_id") != Some(KAKAO_CLIENT_ID) {
        return error_page("KOE008", "Invalid client_id");
    }
    // Any loopback callback is "registered" for the fake's app.
    let redirect_uri = inc.param("redirect_uri").unwrap_or("");
    let loopback = Url::parse(redirect_uri)
        .is_ok_and(|u| matches!(u.host_str(), Some("127.0.0.1" | "localhost")));
    if !loopback {
        return error_page("KOE006", "Invalid redirect_uri");
    }
    let state = inc.param("state");
    let back = |pairs: &[(&str, &str)]| redirect_back(302, redirect_uri, state, pairs);
    if inc.param("response_type") != Some("code") {
        return back(&[("error", "unsupported_response_type")]);
    }
    match st.authorize_behavior {
        AuthorizeBehavior::Deny => back(&[
            ("error", "access_denied"),
            ("error_description", "User denied access"),
        ]),
        AuthorizeBehavior::Approve { .. } => {
            // Kakao asks for scopes comma-separated and grants them space-separated, with the
            // nickname consent every app has.
            let mut granted: Vec<&str> = inc
                .param("scope")
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if !granted.contains(&"profile_nickname") {
                granted.push("profile_nickname");
            }
            let code = random_token("", 60);
            st.kakao.codes.insert(
                code.clone(),
                AuthCode {
                    client_id: KAKAO_CLIENT_ID.to_string(),
                    redirect_uri: redirect_uri.to_string(),
                    user_id: USER_ID.to_string(),
                    scopes: granted.join(" "),
                    code_challenge: None,
                    expires_at: Instant::now() + CODE_TTL,
                    used: false,
                },
            );
            back(&[("code", code.as_str())])
        }
    }
}

fn error_page(code: &str, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>Kakao</title></head>\n<body><h1>{code}</h1><p>{message}</p></body></html>\n"
    );
    text(400, "text/html; charset=utf-8", &body)
}

fn kauth_error(status: u16, error: &str, description: &str, code: &str) -> Response {
    json_response(
        status,
        &json!({"error": error, "error_description": description, "error_code": code}),
    )
}

fn token(shared: &Shared, inc: &Incoming) -> Response {
    let mut st = shared.lock();
    let grant = inc.field("grant_type").unwrap_or("");
    if grant != "authorization_code" && grant != "refresh_token" {
        return json_response(
            400,
            &json!({"error": "unsupported_grant_type", "error_description": "grant_type is not supported"}),
        );
    }
    // The REST API key goes in the body; the secret only when the app turned it on. The
    // status and KOE010 code for a bad client are from memory of Kakao's docs, not the facts.
    let secret_ok = match &st.kakao.require_secret {
        Some(secret) => inc.field("client_secret") == Some(secret.as_str()),
        None => true,
    };
    if inc.field("client_id") != Some(KAKAO_CLIENT_ID) || !secret_ok {
        return kauth_error(401, "invalid_client", "Bad client credentials", "KOE010");
    }
    if grant == "authorization_code" {
        exchange_code(&mut st, inc)
    } else {
        refresh(&mut st, inc)
    }
}

fn exchange_code(st: &mut State, inc: &Incoming) -> Response {
    let code = inc.field("code").unwrap_or("");
    let now = Instant::now();
    let Some(c) = st
        .kakao
        .codes
        .get_mut(code)
        .filter(|c| !c.used && c.expires_at > now)
    else {
        let description = format!("authorization code not found for code={code}");
        return kauth_error(400, "invalid_grant", &description, "KOE320");
    };
    if inc.field("redirect_uri") != Some(c.redirect_uri.as_str()) {
        return kauth_error(400, "invalid_grant", "Redirect URI mismatch.", "KOE303");
    }
    c.used = true;
    let scopes = c.scopes.clone();
    let t = st.mint_kakao_tokens(&scopes);
    json_response(
        200,
        &json!({
            "token_type": "bearer",
            "access_token": t.access_token,
            "expires_in": t.expires_in,
            "refresh_token": t.refresh_token,
            "refresh_token_expires_in": REFRESH_EXPIRES_IN,
            "scope": t.scope,
        }),
    )
}

fn refresh(st: &mut State, inc: &Incoming) -> Response {
    let token = inc.field("refresh_token").unwrap_or("");
    let now = unix_now();
    let Some((scopes, expires)) = st
        .kakao
        .refresh
        .get(token)
        .filter(|(_, expires)| *expires > now)
        .cloned()
    else {
        return kauth_error(
            400,
            "invalid_grant",
            "expired_or_invalid_refresh_token",
            "KOE322",
        );
    };
    let ttl = st.kakao_ttl();
    let access_token = random_token("", 40);
    st.kakao.access.insert(
        access_token.clone(),
        (scopes.clone(), Instant::now() + Duration::from_secs(ttl)),
    );
    let mut body = json!({"token_type": "bearer", "access_token": access_token, "expires_in": ttl});
    // Only a refresh token in its last month is replaced; the old one then stops working.
    if expires - now < RENEW_WINDOW {
        st.kakao.refresh.remove(token);
        let new = st.mint_kakao_refresh(&scopes);
        body["refresh_token"] = json!(new);
        body["refresh_token_expires_in"] = json!(REFRESH_EXPIRES_IN);
    }
    json_response(200, &body)
}

// ---- kapi ----

fn kapi_error(status: u16, code: i64, msg: &str) -> Response {
    json_response(status, &json!({"msg": msg, "code": code}))
}

/// The scopes of the caller's token, if it is a live Kakao access token.
fn kapi_auth(st: &State, inc: &Incoming) -> Option<String> {
    inc.bearer
        .as_deref()
        .and_then(|t| st.kakao.access.get(t))
        .filter(|(_, expires)| *expires > Instant::now())
        .map(|(scopes, _)| scopes.clone())
}

fn invalid_token() -> Response {
    kapi_error(401, -401, "this access token does not exist")
}

fn user_me(shared: &Shared, inc: &Incoming) -> Response {
    let st = shared.lock();
    if kapi_auth(&st, inc).is_none() {
        return invalid_token();
    }
    json_response(
        200,
        &json!({"id": USER_ID, "properties": {"nickname": "카카오 사용자"}}),
    )
}

/// Facts §6.6: logout ends the session's tokens and answers the user id (never unlink).
fn logout(shared: &Shared, inc: &Incoming) -> Response {
    let st = shared.lock();
    if kapi_auth(&st, inc).is_none() {
        return invalid_token();
    }
    json_response(200, &json!({"id": USER_ID}))
}

fn send_memo(shared: &Shared, inc: &Incoming) -> Response {
    let mut st = shared.lock();
    let Some(scopes) = kapi_auth(&st, inc) else {
        return invalid_token();
    };
    if !scopes.split_whitespace().any(|s| s == "talk_message") {
        return kapi_error(403, -402, "insufficient scopes.");
    }
    let Some(template) = inc.field("template_object") else {
        return kapi_error(400, -2, "template_object is required");
    };
    if serde_json::from_str::<Value>(template).is_err() {
        return kapi_error(400, -2, "template_object is not valid JSON");
    }
    st.kakao.memos.push(template.to_string());
    json_response(200, &json!({"result_code": 0}))
}
