//! Security properties, each checked against the real values: no secret in any output, the
//! callback on loopback only, no token sent over plain http to the network, no redirects
//! followed by the token client.

use crate::common::*;
use crate::login::{approved_login, login_ok, start_login};

/// Every secret the fake handed out or received in this test.
fn secrets(t: &T) -> Vec<String> {
    let mut s = vec![CLIENT_SECRET.to_string()];
    for r in t.fake.requests() {
        if let Some(b) = &r.bearer {
            s.push(b.clone());
        }
        for (k, v) in &r.form {
            if matches!(
                k.as_str(),
                "code" | "code_verifier" | "refresh_token" | "client_secret"
            ) {
                s.push(v.clone());
            }
        }
    }
    for entry in std::fs::read_dir(t.config().join("accounts"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(
            &std::fs::read(entry.path()).unwrap_or_default(),
        ) {
            for k in ["access_token", "refresh_token", "client_secret"] {
                if let Some(x) = v[k].as_str() {
                    s.push(x.to_string());
                }
            }
        }
    }
    s.sort();
    s.dedup();
    s.retain(|x| x.len() >= 8);
    s
}

fn assert_clean(t: &T, what: &str, text: &str) {
    for s in secrets(t) {
        assert!(
            !text.contains(&s),
            "{what} leaks a secret ({}…):\n{text}",
            &s[..6]
        );
    }
}

#[test]
fn very_verbose_output_and_errors_never_contain_secrets() {
    let t = T::new();
    // A PKCE login (code + verifier) and a confidential one (secret), traced with -vv.
    let err = login_ok(&t, "alice", &["-vv"], &[]);
    assert!(err.contains("POST /api/token"), "-vv logs requests: {err}");
    let err2 = login_ok(&t, "pk", &["-vv"], &[("SPOTIFY_CLIENT_SECRET", "")]);
    let mut all = format!("{err}\n{err2}\n");
    for args in [
        vec!["refresh", "-a", "alice", "-vv"],
        vec!["albums", "--artist", ARTIST_57, "-vv", "-o", "tsv"],
        vec!["api", "/me", "-a", "alice", "-vv"],
        vec!["accounts", "-vv"],
        vec!["accounts", "-o", "json"],
    ] {
        let o = t.run(&args);
        assert_code(&o, 0);
        all.push_str(&stderr(&o));
        if args[0] == "accounts" {
            all.push_str(&stdout(&o));
        }
    }
    // Errors: a revoked refresh token, a 401 replay, a wrong secret.
    t.fake.expire_access_tokens();
    t.fake.set_refresh_behavior(RefreshBehavior::Expired);
    let o = t.run(&["api", "/me", "-a", "alice", "-vv"]);
    assert_code(&o, 3);
    all.push_str(&stderr(&o));
    let o = t
        .cmd()
        .env("SPOTIFY_CLIENT_SECRET", "wrong-secret-value-123456")
        .args(["albums", "--artist", ARTIST_57, "-vv"])
        .output()
        .unwrap();
    assert_code(&o, 3);
    all.push_str(&stderr(&o));
    assert!(!all.contains("wrong-secret-value-123456"));
    assert!(
        secrets(&t).len() >= 6,
        "the check looks for real values: {}",
        secrets(&t).len()
    );
    assert_clean(&t, "stderr", &all);
    assert!(
        !all.contains("Bearer "),
        "no Authorization header is ever logged"
    );
}

#[test]
fn plain_http_bases_on_the_network_are_refused_before_any_token_is_sent() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    for (var, args) in [
        ("SPOTCTL_API_BASE", vec!["albums", "--artist", ARTIST_57]),
        ("SPOTCTL_API_BASE", vec!["api", "/me", "-a", "alice"]),
        ("SPOTCTL_ACCOUNTS_BASE", vec!["refresh", "-a", "alice"]),
    ] {
        let o = t
            .cmd()
            .env(var, "http://example.com")
            .args(&args)
            .output()
            .unwrap();
        assert_code(&o, 2);
        assert!(
            stderr(&o).contains("refusing plain-http http://example.com"),
            "{}",
            stderr(&o)
        );
    }
    assert!(t.fake.requests().is_empty());
}

#[test]
fn the_token_endpoint_redirect_is_not_followed() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    let before = std::fs::read(t.account_path("alice")).unwrap();
    let trap = format!("{}/steal-the-form", t.fake.accounts_base());
    t.fake
        .inject(Fault::new("/api/token", FaultKind::Redirect(trap)));
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 6);
    assert!(
        stderr(&o).contains("redirects are not followed"),
        "{}",
        stderr(&o)
    );
    assert!(t.hits("/steal-the-form").is_empty());
    assert_eq!(std::fs::read(t.account_path("alice")).unwrap(), before);
}

#[test]
fn the_callback_listens_on_loopback_only_and_once() {
    let t = T::new();
    let (l, loc) = approved_login(&t, "lo");
    let port: u16 = loc
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // /proc/net/tcp lists the listening socket's local address: 127.0.0.1 only.
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let listening: Vec<&str> = tcp
        .lines()
        .skip(1)
        .filter(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols[1].ends_with(&format!(":{port:04X}")) && cols[3] == "0A"
        })
        .collect();
    assert_eq!(listening.len(), 1, "{tcp}");
    assert!(
        listening[0]
            .split_whitespace()
            .nth(1)
            .unwrap()
            .starts_with("0100007F:"),
        "{}",
        listening[0]
    );
    assert_eq!(http_get(&loc).0, 200);
    assert_eq!(l.finish().0, 0);
    // One-shot: the server is gone afterwards.
    let again = std::net::TcpStream::connect(("127.0.0.1", port));
    assert!(
        again.is_err(),
        "the callback server stopped after the login"
    );
}

#[cfg(unix)]
#[test]
fn account_files_are_0600_from_the_start() {
    let t = T::new();
    login_ok(&t, "alice", &[], &[]);
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(t.config().join("accounts"))
        .unwrap()
        .flatten()
    {
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{:?}", entry.file_name());
    }
}

#[test]
fn a_provider_that_echoes_the_code_in_its_error_does_not_get_it_printed() {
    let t = T::new();
    // Kakao's KOE320 says "authorization code not found for code=<the code>".
    let kakao = ["--provider", "kakao", "--client-id", KAKAO_CLIENT_ID];
    let no_secret = [("SPOTIFY_CLIENT_SECRET", "")];
    let mut first = start_login(
        &t,
        &[
            &["-a", "k1", "--redirect-uri", "http://127.0.0.1/callback"][..],
            &kakao,
        ]
        .concat(),
        &no_secret,
    );
    let url = first.url();
    let loc = t.fake.authorize_location(&url).unwrap();
    assert_eq!(http_get(&loc).0, 200);
    assert_eq!(first.finish().0, 0);
    let code = loc
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    // The same code pasted into a second login: refused, and the message names no code.
    let mut second = start_login(
        &t,
        &[
            &["-a", "k2", "--redirect-uri", "https://example.com/cb"][..],
            &kakao,
        ]
        .concat(),
        &no_secret,
    );
    let url2 = second.url();
    let state = url2
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    second.paste(&format!("https://example.com/cb?code={code}&state={state}"));
    let (status, err) = second.finish();
    assert_eq!(status, 3, "{err}");
    assert!(
        err.contains("KOE320") && err.contains("code=(redacted)"),
        "{err}"
    );
    assert!(!err.contains(&code), "{err}");
}
