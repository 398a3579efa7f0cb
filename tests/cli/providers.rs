//! Providers as data (issue 19) against the fake: what is specific to Spotify and Kakao, and
//! the OAuth details every provider shares (client authentication, Accept, redirect URIs).

use crate::common::*;
use crate::login::login_ok;

#[test]
fn spotify_hex_secrets_go_into_basic_auth_byte_for_byte() {
    let t = T::new();
    login_ok(&t, "alice", &["--scope", "user-library-read"], &[]);
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 0);
    use base64::Engine;
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let tok = t.hits("/api/token");
    assert_eq!(tok.len(), 2);
    for r in &tok {
        let auth = r
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str());
        assert_eq!(auth, Some(want.as_str()));
        let accept = r
            .headers
            .iter()
            .find(|(k, _)| k == "accept")
            .map(|(_, v)| v.as_str());
        assert_eq!(
            accept,
            Some("application/json"),
            "token requests ask for JSON"
        );
    }
}

#[test]
fn the_refresh_token_warning_is_given_once_a_day_and_always_with_v() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    let mut acc = read_json(&t.account_path("alice"));
    acc["refresh_token_expires_at"] = (now() + 9 * 86400).into();
    write_account(&t.account_path("alice"), &acc);
    let warned = |o: &std::process::Output| stderr(o).contains("the refresh token expires in");
    let first = t.run(&["refresh", "-a", "alice"]);
    assert_code(&first, 0);
    assert!(warned(&first), "{}", stderr(&first));
    for _ in 0..3 {
        let again = t.run(&["refresh", "-a", "alice"]);
        assert_code(&again, 0);
        assert_eq!(stderr(&again), "", "cron mails every line: said once a day");
    }
    let v = t.run(&["-v", "refresh", "-a", "alice"]);
    assert!(warned(&v), "{}", stderr(&v));
    // A day later it is said again.
    let mut acc = read_json(&t.account_path("alice"));
    acc["warned_at"] = (now() - 86401).into();
    write_account(&t.account_path("alice"), &acc);
    assert!(warned(&t.run(&["refresh", "-a", "alice"])));
}

#[test]
fn kakao_logout_calls_its_logout_endpoint_and_spotify_says_nothing() {
    let t = T::new();
    crate::login::login_ok(
        &t,
        "kakao",
        &["--provider", "kakao", "--client-id", KAKAO_CLIENT_ID],
        &[("SPOTIFY_CLIENT_SECRET", "")],
    );
    let o = t.run(&["logout", "-a", "kakao"]);
    assert_code(&o, 0);
    assert_eq!(stderr(&o), "spotctl: logged out kakao\n");
    assert_eq!(t.hits("/v1/user/logout").len(), 1);
    assert!(t.hits("unlink").is_empty(), "logout, never unlink");
    t.user_account("alice", "alice", "", 3600);
    t.fake.clear_log();
    let o = t.run(&["logout", "-a", "alice"]);
    assert_eq!(stderr(&o), "spotctl: logged out alice\n");
    assert!(
        t.fake.requests().is_empty(),
        "Spotify has no revocation endpoint"
    );
}

#[test]
fn token_params_go_with_every_token_request_and_auth_params_with_the_authorize_request() {
    let t = T::new();
    login_ok(
        &t,
        "alice",
        &[
            "--auth-param",
            "audience=https://api.example",
            "--token-param",
            "resource=https://r.example",
        ],
        &[],
    );
    let p = t.fake.last_authorize_params();
    assert!(
        p.contains(&("audience".into(), "https://api.example".into())),
        "{p:?}"
    );
    assert_code(&t.run(&["refresh", "-a", "alice"]), 0);
    let tok = t.hits("/api/token");
    assert_eq!(tok.len(), 2);
    for r in &tok {
        assert_eq!(
            r.form_value("resource"),
            Some("https://r.example"),
            "{:?}",
            r.form
        );
    }
    let acc = read_json(&t.account_path("alice"));
    assert_eq!(
        acc["token_params"],
        serde_json::json!([["resource", "https://r.example"]])
    );
}

// ---- Presets against oidc-provider (the real authorization server), endpoints overridden ----

use crate::interop::{Browser, Oidc};
use serde_json::json;

/// A login with `--provider P` whose endpoints point at a local oidc-provider; returns the
/// authorize URL spotctl printed, its exit code and stderr, and the stored account.
fn preset_login(
    provider: &str,
    method: &str,
    extra: &[&str],
) -> Option<(String, i32, String, serde_json::Value)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let oidc = Oidc::start(json!({"clients": [{
        "client_id": "preset1", "client_secret": "preset-secret",
        "token_endpoint_auth_method": method, "redirect_uris": [redirect],
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "scope": "openid offline_access api:read",
    }]}))?;
    let t = T::new();
    let file = t.dir.path().join("secret");
    std::fs::write(&file, "preset-secret").unwrap();
    let (auth, token) = (oidc.url("/auth"), oidc.url("/token"));
    let file = file.display().to_string();
    let mut args = vec![
        "-a",
        "p",
        "--provider",
        provider,
        "--auth-url",
        &auth,
        "--token-url",
        &token,
        "--client-id",
        "preset1",
        "--client-secret-file",
        &file,
        "--redirect-uri",
        &redirect,
        "--scope",
        "openid",
    ];
    args.extend_from_slice(extra);
    let mut l = crate::login::start_login(&t, &args, &[("SPOTIFY_CLIENT_SECRET", "")]);
    let url = l.url();
    Browser::new(&oidc).approve(&url);
    let (code, err) = l.finish();
    let acc = read_json(&t.account_path("p"));
    Some((url, code, err, acc))
}

#[test]
fn google_sends_offline_access_type_consent_and_pkce_and_stores_its_revocation_endpoint() {
    let Some((url, code, err, acc)) = preset_login("google", "client_secret_post", &[]) else {
        return;
    };
    assert_eq!(code, 0, "{err}");
    assert!(
        url.contains("access_type=offline") && url.contains("prompt=consent"),
        "{url}"
    );
    assert!(
        url.contains("code_challenge_method=S256"),
        "PKCE with the secret: {url}"
    );
    assert_eq!(acc["provider"], "google");
    assert_eq!(acc["client_auth"], "body");
    assert_eq!(
        acc["revocation_url"],
        "https://oauth2.googleapis.com/revoke"
    );
    assert_eq!(
        acc["device_url"],
        "https://oauth2.googleapis.com/device/code"
    );
}

#[test]
fn microsoft_adds_offline_access_and_takes_the_tenant() {
    let Some((url, code, err, acc)) = preset_login(
        "microsoft",
        "client_secret_post",
        &["--tenant", "contoso.onmicrosoft.com"],
    ) else {
        return;
    };
    assert_eq!(code, 0, "{err}");
    assert!(url.contains("scope=openid+offline_access"), "{url}");
    assert_eq!(
        acc["device_url"],
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode"
    );
    assert!(acc["refresh_token"].is_string());
}

#[test]
fn an_auth_param_overrides_a_preset_one() {
    let Some((url, code, err, acc)) = preset_login(
        "google",
        "client_secret_post",
        &["--auth-param", "prompt=login consent"],
    ) else {
        return;
    };
    assert_eq!(code, 0, "{err}");
    assert!(url.contains("prompt=login+consent"), "{url}");
    assert_eq!(url.matches("prompt=").count(), 1, "{url}");
    assert_eq!(acc["auth_params"], json!([["prompt", "login consent"]]));
}

/// GitHub's answers as it sends them without `Accept: application/json`: form-encoded, errors
/// with status 200 (played by the fake's token endpoint; the rest of the flow is the fake's).
#[test]
fn github_form_encoded_answers_and_bad_refresh_token_mean_log_in_again() {
    let t = T::new();
    let secret = t.dir.path().join("gh-secret");
    std::fs::write(&secret, CLIENT_SECRET).unwrap();
    let form = |body: &str| FaultKind::Raw {
        status: 200,
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        )],
        body: body.into(),
    };
    t.fake.inject(
        Fault::new("/api/token", form("access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&expires_in=28800&refresh_token=ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498&refresh_token_expires_in=15811200&scope=repo&token_type=bearer")).times(1),
    );
    let (auth, token, api) = (
        format!("{}/authorize", t.fake.accounts_base()),
        format!("{}/api/token", t.fake.accounts_base()),
        t.fake.api_base(),
    );
    login_ok(
        &t,
        "gh",
        &[
            "--provider",
            "github",
            "--auth-url",
            &auth,
            "--token-url",
            &token,
            "--api-base",
            &api,
            "--client-id",
            CLIENT_ID,
            "--client-secret-file",
            secret.to_str().unwrap(),
            "--scope",
            "user-library-read",
        ],
        &[("SPOTIFY_CLIENT_SECRET", "")],
    );
    let acc = read_json(&t.account_path("gh"));
    assert_eq!(
        acc["access_token"],
        "gho_16C7e42F292c6912E7710c838347Ae178B4a"
    );
    assert_eq!(acc["scopes"], serde_json::json!(["repo"]));
    assert_eq!(acc["client_auth"], "body");
    t.fake.inject(
        Fault::new(
            "/api/token",
            form("error=bad_refresh_token&error_description=The+refresh+token+passed+is+incorrect+or+expired.&error_uri=https%3A%2F%2Fdocs.github.com"),
        )
        .times(1),
    );
    let o = t.run(&["refresh", "-a", "gh"]);
    assert_code(&o, 3);
    assert!(
        stderr(&o).contains("the refresh token was refused (bad_refresh_token"),
        "{}",
        stderr(&o)
    );
    let o = t.run(&["refresh", "-a", "gh"]);
    assert_code(&o, 3);
    assert!(stderr(&o).contains("needs a new login"), "{}", stderr(&o));
}

#[test]
fn a_refresh_refused_as_invalid_client_names_where_the_secret_came_from_at_login() {
    let t = T::new();
    let file = t.dir.path().join("spotify-secret");
    std::fs::write(&file, CLIENT_SECRET).unwrap();
    let file = file.display().to_string();
    login_ok(
        &t,
        "alice",
        &["--client-secret-file", &file],
        &[("SPOTIFY_CLIENT_SECRET", "")],
    );
    let path = t.account_path("alice");
    let mut acc = read_json(&path);
    // The secret was rotated in the dashboard since.
    acc["client_secret"] = "0000000000000000000000000000dead".into();
    write_account(&path, &acc);
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 3);
    let err = stderr(&o);
    assert!(err.contains("invalid_client"), "{err}");
    assert!(
        err.contains(&format!(
            "the client id (SPOTIFY_CLIENT_ID) and secret (--client-secret-file {file})"
        )),
        "{err}"
    );
}
