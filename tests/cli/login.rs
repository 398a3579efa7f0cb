//! `spotctl login` end to end: the test plays the browser by requesting the URL that
//! `--no-browser` prints from the fake's /authorize, then following the redirect to spotctl's
//! loopback callback (or pasting it on stdin, as a user on SSH would).

use crate::common::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Login {
    pub child: Child,
    pub lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Login {
    /// The authorize URL spotctl printed (the first stderr line starting with http).
    pub fn url(&mut self) -> String {
        loop {
            let l = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .expect("spotctl printed the authorize URL");
            self.seen.push(l.clone());
            if l.starts_with("http") {
                return l;
            }
        }
    }

    pub fn finish(mut self) -> (i32, String) {
        let status = self.child.wait().expect("spotctl exits");
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        (status.code().unwrap_or(-1), self.seen.join("\n"))
    }

    pub fn paste(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }
}

pub fn start_login(t: &T, args: &[&str], env: &[(&str, &str)]) -> Login {
    let mut c = t.std_cmd();
    for (k, v) in env {
        if v.is_empty() {
            c.env_remove(k);
        } else {
            c.env(k, v);
        }
    }
    c.arg("login").arg("--no-browser").args(args);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn spotctl login");
    let err = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                return;
            }
        }
    });
    Login {
        child,
        lines: rx,
        seen: Vec::new(),
    }
}

fn query_param(url: &str, key: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.to_string())
    })
}

const ANY_PORT: &str = "http://127.0.0.1/callback";

/// Logs `name` in as the fake's approving user, through the loopback callback.
pub fn login_ok(t: &T, name: &str, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut args = vec!["-a", name, "--redirect-uri", ANY_PORT];
    args.extend_from_slice(extra);
    let mut l = start_login(t, &args, env);
    let url = l.url();
    let loc = t.fake.authorize_location(&url).expect("fake approves");
    let (status, _, body) = http_get(&loc);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("You can close this tab"));
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    err
}

/// Starts `spotctl login -a NAME` on a loopback port and has the fake approve it: the login,
/// waiting, and the address the browser would be sent back to (not yet visited).
pub fn approved_login(t: &T, name: &str) -> (Login, String) {
    let mut l = start_login(t, &["-a", name, "--redirect-uri", ANY_PORT], &[]);
    let url = l.url();
    let loc = t.fake.authorize_location(&url).unwrap();
    (l, loc)
}

/// Logs `kakao` in with the fake's Kakao app (no client secret: the Spotify one in the
/// environment must not follow it) plus `extra` flags; returns stderr.
fn kakao_login(t: &T, extra: &[&str]) -> String {
    let mut args = vec!["--provider", "kakao", "--client-id", KAKAO_CLIENT_ID];
    args.extend_from_slice(extra);
    login_ok(t, "kakao", &args, &[("SPOTIFY_CLIENT_SECRET", "")])
}

#[test]
fn login_with_secret_uses_basic_auth_state_and_show_dialog() {
    let t = T::new();
    let err = login_ok(&t, "alice", &["--scope", "user-library-read"], &[]);
    assert!(
        err.contains("logged in as Alice; stored as account \"alice\""),
        "{err}"
    );
    let p = t.fake.last_authorize_params();
    let get = |k: &str| p.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    assert_eq!(get("show_dialog").as_deref(), Some("true"));
    assert_eq!(get("response_type").as_deref(), Some("code"));
    assert_eq!(get("scope").as_deref(), Some("user-library-read"));
    assert!(get("state").unwrap().len() >= 22, "128-bit state");
    assert!(
        get("code_challenge").is_none(),
        "no PKCE together with a secret"
    );
    let tok: Vec<Req> = t.hits("/api/token");
    assert_eq!(tok.len(), 1);
    assert_eq!(tok[0].basic_client.as_deref(), Some(CLIENT_ID));
    let acc = read_json(&t.account_path("alice"));
    assert_eq!(acc["user"]["id"], "alice");
    assert_eq!(acc["grant"], "authorization_code");
    assert!(acc["refresh_token"].is_string());
    assert!(acc["authorized_at"].as_i64().unwrap() > now() - 60);
    assert_eq!(
        acc["redirect_uri"], "http://127.0.0.1/callback",
        "stored as configured, for the next login"
    );
}

#[test]
fn login_without_secret_uses_pkce() {
    let t = T::new();
    login_ok(&t, "pk", &[], &[("SPOTIFY_CLIENT_SECRET", "")]);
    let p = t.fake.last_authorize_params();
    assert!(
        p.iter()
            .any(|(k, v)| k == "code_challenge_method" && v == "S256")
    );
    let tok = t.hits("/api/token");
    assert_eq!(tok[0].basic_client, None);
    assert!(tok[0].form.iter().any(|(k, _)| k == "code_verifier"));
    assert!(
        tok[0]
            .form
            .iter()
            .any(|(k, v)| k == "client_id" && v == CLIENT_ID)
    );
    let acc = read_json(&t.account_path("pk"));
    assert!(acc.get("client_secret").is_none());
    assert_eq!(acc["client_auth"], "body");
    // Refreshing a PKCE account sends client_id in the body, no Basic header.
    t.fake.clear_log();
    let o = t.run(&["refresh", "-a", "pk"]);
    assert_code(&o, 0);
    let tok = t.hits("/api/token");
    assert_eq!(tok.len(), 1);
    assert!(
        tok[0]
            .form
            .iter()
            .any(|(k, v)| k == "client_id" && v == CLIENT_ID)
    );
}

#[test]
fn a_second_person_logs_in_to_a_second_account() {
    let t = T::new();
    login_ok(&t, "alice", &[], &[]);
    t.fake.set_authorize_behavior(AuthorizeBehavior::Approve {
        user_id: "bob".into(),
    });
    login_ok(
        &t,
        "bob",
        &["--scope", "user-read-email user-read-private"],
        &[],
    );
    let o = t.run(&["accounts", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let users: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["user"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["alice", "bob"]);
    assert_eq!(
        v[1]["scopes"],
        serde_json::json!(["user-read-email", "user-read-private"])
    );
}

#[test]
fn pasted_redirect_url_works_without_a_reachable_callback() {
    let t = T::new();
    t.fake
        .register_redirect_uri("https://example.com/spotctl-callback");
    let mut l = start_login(
        &t,
        &[
            "-a",
            "ssh",
            "--redirect-uri",
            "https://example.com/spotctl-callback",
        ],
        &[],
    );
    let url = l.url();
    let loc = t.fake.authorize_location(&url).unwrap();
    assert!(loc.starts_with("https://example.com/spotctl-callback?code="));
    l.paste(&loc);
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    assert!(t.account_path("ssh").exists());
}

#[test]
fn paste_also_works_while_the_callback_listens() {
    let t = T::new();
    let (mut l, loc) = approved_login(&t, "both");
    l.paste("not a url at all");
    l.paste(&loc);
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("that line has no `code` or `error`"), "{err}");
}

#[test]
fn favicon_and_stray_requests_are_ignored() {
    let t = T::new();
    let (l, loc) = approved_login(&t, "fav");
    let origin: String = loc.split('/').take(3).collect::<Vec<_>>().join("/");
    assert_eq!(http_get(&format!("{origin}/favicon.ico")).0, 404);
    assert_eq!(
        http_get(&format!("{origin}/callback")).0,
        404,
        "neither code nor error"
    );
    assert_eq!(http_get(&format!("{origin}/callback?foo=bar")).0, 404);
    assert_eq!(http_get(&loc).0, 200);
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
}

#[test]
fn state_mismatch_is_refused() {
    let t = T::new();
    let mut l = start_login(
        &t,
        &["-a", "csrf", "--redirect-uri", ANY_PORT, "--wait", "2"],
        &[],
    );
    let url = l.url();
    let loc = t.fake.authorize_location(&url).unwrap();
    let state = query_param(&loc, "state").unwrap();
    let forged = loc.replace(&format!("state={state}"), "state=forged0000000000000000");
    assert_eq!(http_get(&forged).0, 400);
    // Refused and ignored: the login keeps waiting for the real answer (here: until --wait).
    let (code, err) = l.finish();
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("ignored a request to the login callback"),
        "{err}"
    );
    assert!(err.contains("the login timed out after 2s"), "{err}");
    assert!(!t.account_path("csrf").exists());
    assert!(
        t.hits("/api/token").is_empty(),
        "the code was never exchanged"
    );
}

#[test]
fn access_denied_is_exit_3() {
    let t = T::new();
    t.fake.set_authorize_behavior(AuthorizeBehavior::Deny);
    let (l, loc) = approved_login(&t, "no");
    assert!(loc.contains("error=access_denied"));
    assert_eq!(http_get(&loc).0, 200);
    let (code, err) = l.finish();
    assert_eq!(code, 3);
    assert!(
        err.contains("spotctl: the login was denied in the browser (access_denied)"),
        "{err}"
    );
}

#[test]
fn login_times_out() {
    let t = T::new();
    let l = start_login(
        &t,
        &["-a", "slow", "--redirect-uri", ANY_PORT, "--wait", "1"],
        &[],
    );
    let (code, err) = l.finish();
    assert_eq!(code, 3);
    assert!(err.contains("the login timed out after 1s"), "{err}");
}

#[test]
fn a_code_used_twice_is_refused_by_the_fake_and_reported() {
    let t = T::new();
    let (l, loc) = approved_login(&t, "once");
    assert_eq!(http_get(&loc).0, 200);
    assert_eq!(l.finish().0, 0);
    // Replaying the same code (e.g. pasted again into a second login) fails at the exchange.
    let mut l2 = start_login(
        &t,
        &["-a", "twice", "--redirect-uri", "https://example.com/cb"],
        &[],
    );
    t.fake.register_redirect_uri("https://example.com/cb");
    let url2 = l2.url();
    let state2 = query_param(&url2, "state").unwrap();
    let code1 = query_param(&loc, "code").unwrap();
    l2.paste(&format!(
        "https://example.com/cb?code={code1}&state={state2}"
    ));
    let (code, err) = l2.finish();
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("the authorization code was refused"), "{err}");
    assert!(!err.contains(&code1), "the code is never printed");
}

#[test]
fn wrong_client_secret_at_the_exchange() {
    let t = T::new();
    let mut l = start_login(
        &t,
        &["-a", "bad", "--redirect-uri", ANY_PORT],
        &[("SPOTIFY_CLIENT_SECRET", "wrongwrongwrongwrongwrongwrong00")],
    );
    let url = l.url();
    let loc = t.fake.authorize_location(&url).unwrap();
    http_get(&loc);
    let (code, err) = l.finish();
    assert_eq!(code, 3);
    assert!(err.contains("the client id or secret is wrong"), "{err}");
    assert!(!err.contains("wrongwrongwrongwrongwrongwrong00"));
}

#[test]
fn redirect_uris_are_checked_before_anything_happens() {
    let t = T::new();
    let o = t.run(&[
        "login",
        "--no-browser",
        "--redirect-uri",
        "http://localhost:8888/callback",
    ]);
    assert_code(&o, 2);
    assert_eq!(
        stderr(&o),
        "spotctl: Spotify no longer accepts `localhost` in redirect URIs; use http://127.0.0.1:8888/callback (and register exactly that in your app's dashboard)\n"
    );
    let o = t.run(&[
        "login",
        "--no-browser",
        "--redirect-uri",
        "http://example.com/callback",
    ]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("plain http is only allowed on loopback"),
        "{}",
        stderr(&o)
    );
    assert!(t.fake.requests().is_empty());
}

#[test]
fn account_names_with_path_tricks_are_usage_errors() {
    let t = T::new();
    for name in ["../evil", "a/b", "..", &"x".repeat(65)] {
        let o = t.run(&["login", "--client-credentials", "-a", name]);
        assert_code(&o, 2);
        assert!(
            stderr(&o).contains("invalid account name"),
            "{}",
            stderr(&o)
        );
    }
    assert!(t.fake.requests().is_empty());
    assert!(!t.dir.path().join("evil.json").exists());
}

#[test]
fn port_already_in_use_is_exit_2() {
    let t = T::new();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let uri = format!("http://127.0.0.1:{port}/callback");
    t.fake.register_redirect_uri(&uri);
    let o = t
        .cmd()
        .args(["login", "--no-browser", "-a", "p", "--redirect-uri", &uri])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains(&format!("port {port} on 127.0.0.1 is already in use")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_redirect_uri_to_register_is_printed_first() {
    let t = T::new();
    let mut l = start_login(&t, &["-a", "x", "--redirect-uri", ANY_PORT], &[]);
    let url = l.url();
    assert!(l.seen[0].starts_with("spotctl: the redirect URI registered for this app must be exactly: http://127.0.0.1/callback"), "{:?}", l.seen);
    assert!(
        url.starts_with(&format!(
            "{}/authorize?client_id={CLIENT_ID}",
            t.fake.accounts_base()
        )),
        "{url}"
    );
    let _ = l.child.kill();
}

#[test]
fn failed_relogin_keeps_the_old_account() {
    let t = T::new();
    login_ok(&t, "alice", &[], &[]);
    let before = std::fs::read(t.account_path("alice")).unwrap();
    t.fake.set_authorize_behavior(AuthorizeBehavior::Deny);
    let mut l = start_login(&t, &["-a", "alice", "--redirect-uri", ANY_PORT], &[]);
    let url = l.url();
    http_get(&t.fake.authorize_location(&url).unwrap());
    assert_eq!(l.finish().0, 3);
    assert_eq!(std::fs::read(t.account_path("alice")).unwrap(), before);
}

#[test]
fn kakao_login_refresh_and_api() {
    let t = T::new();
    let err = kakao_login(&t, &["--scope", "talk_message,profile_nickname"]);
    assert!(err.contains("logged in as 카카오 사용자"), "{err}");
    let p = t.fake.last_authorize_params();
    let _ = p;
    let tok = t.hits("/kakao/oauth/token");
    assert_eq!(tok.len(), 1);
    assert!(
        tok[0]
            .form
            .iter()
            .any(|(k, v)| k == "client_id" && v == KAKAO_CLIENT_ID),
        "client id in the body"
    );
    assert_eq!(tok[0].basic_client, None);
    let acc = read_json(&t.account_path("kakao"));
    assert_eq!(acc["provider"], "kakao");
    assert!(acc["refresh_token_expires_at"].as_i64().unwrap() > now() + 50 * 86400);
    let rt = acc["refresh_token"].clone();
    // A refresh far from the refresh token's end returns none: the old one is kept.
    let o = t.run(&["refresh", "-a", "kakao"]);
    assert_code(&o, 0);
    assert_eq!(read_json(&t.account_path("kakao"))["refresh_token"], rt);
    // Sending a memo with a form field read from a file.
    let msg = t.dir.path().join("msg.json");
    std::fs::write(&msg, r#"{"object_type":"text","text":"hi","link":{}}"#).unwrap();
    let form = format!("template_object=@{}", msg.display());
    let o = t.run(&[
        "api",
        "-a",
        "kakao",
        "-X",
        "POST",
        "/v2/api/talk/memo/default/send",
        "--form",
        &form,
    ]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "{\"result_code\":0}\n");
    let o = t.run(&[
        "api",
        "-a",
        "kakao",
        "-X",
        "POST",
        "/v2/api/talk/memo/default/send",
    ]);
    assert_code(&o, 4);
    assert!(
        stderr(&o).contains("400 template_object is required (code -2)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn kakao_refresh_token_renewed_near_its_end() {
    let t = T::new();
    kakao_login(&t, &[]);
    let old = read_json(&t.account_path("kakao"))["refresh_token"].clone();
    t.fake.kakao_age_refresh_tokens(40);
    let o = t.run(&["refresh", "-a", "kakao"]);
    assert_code(&o, 0);
    let acc = read_json(&t.account_path("kakao"));
    assert_ne!(
        acc["refresh_token"], old,
        "renewed when under a month was left"
    );
}

#[test]
fn custom_provider_stores_its_endpoints() {
    let t = T::new();
    let base = t.fake.accounts_base();
    let auth = format!("{base}/authorize");
    let token = format!("{base}/api/token");
    let api = t.fake.api_base();
    let secret_file = t.dir.path().join("secret.txt");
    std::fs::write(&secret_file, format!("{CLIENT_SECRET}\n")).unwrap();
    let secret_path = secret_file.display().to_string();
    // Custom providers never read the SPOTIFY_* variables: id and secret are given here.
    let no_env = [("SPOTIFY_CLIENT_ID", ""), ("SPOTIFY_CLIENT_SECRET", "")];
    let flags = [
        "--provider",
        "custom",
        "--auth-url",
        &auth,
        "--token-url",
        &token,
        "--api-base",
        &api,
        "--client-auth",
        "body",
        "--client-id",
        CLIENT_ID,
        "--client-secret-file",
        &secret_path,
    ];
    login_ok(&t, "c", &flags, &no_env);
    let acc = read_json(&t.account_path("c"));
    assert_eq!(acc["provider"], "custom");
    assert_eq!(acc["token_url"], token);
    assert_eq!(acc["client_auth"], "body");
    t.fake.clear_log();
    // refresh and token need no flags later, and no environment.
    let o = t
        .cmd()
        .env_remove("SPOTCTL_ACCOUNTS_BASE")
        .env_remove("SPOTCTL_API_BASE")
        .env_remove("SPOTIFY_CLIENT_ID")
        .env_remove("SPOTIFY_CLIENT_SECRET")
        .args(["refresh", "-a", "c"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let tok = t.hits("/api/token");
    assert!(
        tok[0].form.iter().any(|(k, _)| k == "client_secret"),
        "client auth in the body"
    );
    let o = t.run(&[
        "login",
        "--provider",
        "custom",
        "--token-url",
        "http://example.com/token",
        "--auth-url",
        "https://example.com/a",
        "--api-base",
        "https://example.com",
    ]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("refusing plain-http"), "{}", stderr(&o));
}

#[test]
fn a_spotify_secret_in_the_environment_never_reaches_kakao() {
    let t = T::new();
    // SPOTIFY_CLIENT_ID/SECRET are set (T's default environment).
    login_ok(
        &t,
        "kakao",
        &["--provider", "kakao", "--client-id", KAKAO_CLIENT_ID],
        &[],
    );
    let tok = t.hits("/kakao/oauth/token");
    assert_eq!(tok.len(), 1);
    assert!(
        !tok[0].form.iter().any(|(k, _)| k == "client_secret"),
        "{:?}",
        tok[0].form
    );
    assert!(!tok[0].form.iter().any(|(_, v)| v == CLIENT_SECRET));
    let acc = read_json(&t.account_path("kakao"));
    assert!(acc.get("client_secret").is_none());
    let p = t.fake.last_authorize_params();
    assert!(
        p.iter().any(|(k, _)| k == "code_challenge"),
        "no secret: PKCE"
    );
}

#[test]
fn logging_in_again_reuses_what_the_account_stores() {
    let t = T::new();
    kakao_login(&t, &["--scope", "talk_message,profile_nickname"]);
    let p = t.fake.last_authorize_params();
    assert!(
        p.iter()
            .any(|(k, v)| k == "scope" && v == "talk_message,profile_nickname"),
        "Kakao scopes are comma-separated: {p:?}"
    );
    // `spotctl login -a kakao` alone, as the invalid_grant message advises, with Spotify's
    // variables set: still a Kakao login, same client id and scopes.
    let mut l = start_login(&t, &["-a", "kakao"], &[]);
    let url = l.url();
    assert!(
        url.starts_with(&format!(
            "{}/oauth/authorize?client_id={KAKAO_CLIENT_ID}",
            t.fake.kakao_auth_base()
        )),
        "{url}"
    );
    assert!(
        url.contains("scope=talk_message%2Cprofile_nickname"),
        "{url}"
    );
    let loc = t.fake.authorize_location(&url).unwrap();
    assert_eq!(http_get(&loc).0, 200);
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    assert_eq!(read_json(&t.account_path("kakao"))["provider"], "kakao");
}
