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
