//! `token`, `refresh`, `accounts`, `logout` and `api` on stored user accounts, including many
//! processes at once.

use crate::common::*;

#[test]
fn token_prints_the_stored_token_without_network() {
    let t = T::new();
    let tok = t.user_account("alice", "alice", "user-library-read", 3600);
    let o = t.run(&["token", "-a", "alice"]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), format!("{}\n", tok.access_token));
    let o = t.run(&["token", "-a", "alice", "--header"]);
    assert_eq!(
        stdout(&o),
        format!("Authorization: Bearer {}\n", tok.access_token)
    );
    let o = t.run(&["token", "-a", "alice", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["access_token"], tok.access_token);
    assert_eq!(v["scopes"], serde_json::json!(["user-library-read"]));
    assert!(t.fake.requests().is_empty(), "no network for a fresh token");
    assert!(stderr(&o).is_empty());
}

#[test]
fn token_refreshes_when_about_to_expire_and_keeps_the_refresh_token() {
    let t = T::new();
    let tok = t.user_account("alice", "alice", "", 30);
    let o = t.run(&["token", "-a", "alice"]);
    assert_code(&o, 0);
    let printed = stdout(&o).trim().to_string();
    assert_ne!(printed, tok.access_token, "expired within 60 s: refreshed");
    let acc = read_json(&t.account_path("alice"));
    assert_eq!(acc["access_token"], printed);
    assert_eq!(
        acc["refresh_token"], tok.refresh_token,
        "2026: no refresh_token came back, the old one is kept"
    );
    assert!(acc["expires_at"].as_i64().unwrap() > now() + 3000);
    assert_eq!(t.fake.token_requests(), 1);
    // The previous version is kept as .bak.
    let bak = std::fs::read_to_string(t.account_path("alice").with_extension("json.bak")).unwrap();
    assert!(bak.contains(&tok.access_token));
}

#[test]
fn token_failure_prints_nothing_on_stdout() {
    let t = T::new();
    t.user_account("alice", "alice", "", -10);
    t.fake.set_refresh_behavior(RefreshBehavior::Expired);
    let before = std::fs::read(t.account_path("alice")).unwrap();
    let o = t.run(&["token", "-a", "alice", "--header"]);
    assert_code(&o, 3);
    assert!(o.stdout.is_empty());
    assert!(
        stderr(&o).contains("run `spotctl login -a alice`"),
        "{}",
        stderr(&o)
    );
    // The tokens are kept as they were; only the refusal is remembered (issue 19: `token`
    // then says "login needed" without asking the provider again).
    let before: serde_json::Value = serde_json::from_slice(&before).unwrap();
    let mut after = read_json(&t.account_path("alice"));
    assert!(after["refresh_refused_at"].is_i64(), "{after}");
    after.as_object_mut().unwrap().remove("refresh_refused_at");
    // `learned: {}` is the default the hand-written file left out.
    after.as_object_mut().unwrap().remove("learned");
    assert_eq!(after, before, "account kept as it was");
}

#[test]
fn twenty_concurrent_tokens_on_an_expired_rotating_account_make_one_refresh() {
    let t = T::new();
    t.user_account("alice", "alice", "", -10);
    t.fake.set_refresh_behavior(RefreshBehavior::Rotating);
    let children: Vec<_> = (0..20)
        .map(|_| {
            let mut c = t.cmd();
            c.args(["token", "-a", "alice"]);
            std::thread::spawn(move || c.output().unwrap())
        })
        .collect();
    let outs: Vec<_> = children.into_iter().map(|h| h.join().unwrap()).collect();
    for o in &outs {
        assert_code(o, 0);
    }
    let first = stdout(&outs[0]);
    assert!(
        outs.iter().all(|o| stdout(o) == first),
        "all print the same new token"
    );
    assert_eq!(t.fake.token_requests(), 1, "exactly one refresh request");
    let acc = read_json(&t.account_path("alice"));
    assert_eq!(
        format!("{}\n", acc["access_token"].as_str().unwrap()),
        first
    );
    // The rotated refresh token was stored, so the next refresh works.
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 0);
}

#[test]
fn refresh_is_quiet_on_success_and_talks_with_v() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 0);
    assert!(
        o.stdout.is_empty() && o.stderr.is_empty(),
        "cron mails only problems"
    );
    let o = t.run(&["refresh", "-a", "alice", "-v"]);
    assert!(
        stderr(&o).contains("spotctl: alice: refreshed, valid for"),
        "{}",
        stderr(&o)
    );
    assert_eq!(t.fake.token_requests(), 2);
}

#[test]
fn refresh_if_expires_within_skips_fresh_tokens() {
    let t = T::new();
    t.user_account("fresh", "alice", "", 3600);
    t.user_account("stale", "bob", "", 600);
    let o = t.run(&["refresh", "--all", "--if-expires-within", "40m"]);
    assert_code(&o, 0);
    assert_eq!(
        t.fake.token_requests(),
        1,
        "only the account expiring within 40m"
    );
    let stale = read_json(&t.account_path("stale"));
    assert!(stale["expires_at"].as_i64().unwrap() > now() + 3000);
}

#[test]
fn refresh_all_goes_on_past_a_failure_and_exits_with_its_code() {
    let t = T::new();
    t.user_account("a-ok", "alice", "", 10);
    t.user_account("b-revoked", "bob", "", 10);
    t.user_account("c-ok", "carol", "", 10);
    let revoked = read_json(&t.account_path("b-revoked"));
    // Revoke only bob's token by rewriting it to an unknown one.
    let mut bad = revoked.clone();
    bad["refresh_token"] = "not-a-real-refresh-token".into();
    write_account(&t.account_path("b-revoked"), &bad);
    let o = t.run(&["refresh", "--all"]);
    assert_code(&o, 3);
    let e = stderr(&o);
    assert!(e.starts_with("spotctl: b-revoked: the refresh token was refused (invalid_grant: Invalid refresh token)"), "{e}");
    assert!(e.contains("spotctl login -a b-revoked"));
    assert_eq!(e.lines().count(), 2, "{e}");
    assert_eq!(e.lines().nth(1), Some("spotctl: 1 of 3 accounts failed"));
    assert_eq!(t.fake.token_requests(), 3, "every account was tried");
    assert!(
        read_json(&t.account_path("c-ok"))["expires_at"]
            .as_i64()
            .unwrap()
            > now() + 3000
    );
}

#[test]
fn refresh_with_the_token_endpoint_down_leaves_the_account_untouched() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    let before = std::fs::read(t.account_path("alice")).unwrap();
    t.fake
        .inject(Fault::new("/api/token", FaultKind::Status(503)).times(usize::MAX));
    let o = t.run(&["refresh", "-a", "alice", "--max-retries", "2"]);
    assert_code(&o, 6);
    assert!(
        stderr(&o).contains("POST /api/token: 503 Service Unavailable after 2 retries"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(t.account_path("alice")).unwrap(), before);
    assert_eq!(t.fake.token_requests(), 3);
}

#[test]
fn token_endpoint_503_twice_then_success() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    t.fake
        .inject(Fault::new("/api/token", FaultKind::Status(503)).times(2));
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 0);
    assert_eq!(t.fake.token_requests(), 3);
}

#[test]
fn refresh_warns_when_the_six_month_lifetime_nears_its_end() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    let mut acc = read_json(&t.account_path("alice"));
    acc["refresh_token_expires_at"] = (now() + 9 * 86400).into();
    write_account(&t.account_path("alice"), &acc);
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 0);
    let e = stderr(&o);
    assert!(
        e.starts_with("spotctl: warning: alice: the refresh token expires in 8d")
            || e.starts_with("spotctl: warning: alice: the refresh token expires in 9d"),
        "{e}"
    );
}

#[test]
fn a_client_credentials_account_refreshes_with_a_new_app_token() {
    let t = T::new();
    assert_code(&t.run(&["login", "--client-credentials", "-a", "app"]), 0);
    let before = read_json(&t.account_path("app"))["access_token"].clone();
    let o = t.run(&["refresh", "-a", "app"]);
    assert_code(&o, 0);
    assert_ne!(read_json(&t.account_path("app"))["access_token"], before);
    let tok = t.hits("/api/token");
    assert!(
        tok[1]
            .form
            .iter()
            .any(|(k, v)| k == "grant_type" && v == "client_credentials")
    );
}

#[test]
fn accounts_lists_without_secrets() {
    let t = T::new();
    let tok = t.user_account("alice", "alice", "user-library-read", 3600);
    t.user_account("bob", "bob", "", -5);
    let o = t.run(&["accounts", "-o", "table"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    let rows: Vec<&str> = out.lines().collect();
    assert!(rows[0].starts_with("NAME"), "{out}");
    assert!(
        rows[1].starts_with("alice")
            && rows[1].contains("spotify")
            && (rows[1].contains("in 59m") || rows[1].contains("in 1h"))
            && rows[1].contains("user-library-read"),
        "{out}"
    );
    assert!(
        rows[2].starts_with("bob") && rows[2].contains("expired"),
        "{out}"
    );
    for secret in [
        &tok.access_token,
        &tok.refresh_token,
        &CLIENT_SECRET.to_string(),
    ] {
        assert!(!out.contains(secret.as_str()));
    }
    let o = t.run(&["accounts", "-o", "json"]);
    let j = stdout(&o);
    assert!(
        !j.contains(&tok.access_token)
            && !j.contains(&tok.refresh_token)
            && !j.contains(CLIENT_SECRET)
    );
}

#[test]
fn logout_deletes_one_or_all() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    t.user_account("bob", "bob", "", 3600);
    let o = t.run(&["logout", "-a", "bob"]);
    assert_code(&o, 0);
    assert_eq!(stderr(&o), "spotctl: logged out bob\n");
    assert!(!t.account_path("bob").exists());
    assert!(!t.account_path("bob").with_extension("json.bak").exists());
    let o = t.run(&["logout", "-a", "bob"]);
    assert_code(&o, 3);
    let o = t.run(&["logout", "--all", "--yes"]);
    assert_code(&o, 0);
    assert!(!t.account_path("alice").exists());
}

#[test]
fn api_get_post_paginate_and_errors() {
    let t = T::new();
    t.user_account(
        "alice",
        "alice",
        "user-library-read playlist-modify-private",
        3600,
    );
    let o = t.run(&["api", "/me", "-a", "alice"]);
    assert_code(&o, 0);
    let me: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(me["id"], "alice");
    let o = t.run(&["api", "/me/tracks", "-a", "alice", "--paginate"]);
    assert_code(&o, 0);
    let items = jsonl(&o);
    assert_eq!(items.len(), 23);
    assert!(items.iter().all(|i| i["track"]["name"].is_string()));
    let o = post_playlist(&t, r#"{"name":"Mix"}"#);
    assert_code(&o, 0);
    let pl: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(pl["name"], "Mix");
    let o = t.run(&["api", "-a", "alice", "/albums?ids=abc"]);
    assert_code(&o, 4);
    // Development Mode removed the batch endpoint: the message says so and what to use.
    assert_eq!(
        stderr(&o),
        "spotctl: GET /v1/albums: 403 Forbidden; Development Mode apps lost GET /albums in February 2026; fetch them one at a time: GET /albums/{id} for each (`spotctl get` does)\n"
    );
    let o = t.run(&["api", "-a", "alice", "me"]);
    assert_code(&o, 2);
    let o = post_playlist(&t, "{not json");
    assert_code(&o, 2);
}

#[test]
fn api_post_is_not_replayed_after_a_reset() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    t.fake
        .inject(Fault::new("/me/playlists", FaultKind::ResetMidBody).method("POST"));
    let o = post_playlist(&t, r#"{"name":"Once"}"#);
    assert_code(&o, 6);
    assert!(
        stderr(&o).contains("not retried because the request may already have been processed"),
        "{}",
        stderr(&o)
    );
    assert_eq!(t.hits("/me/playlists").len(), 1);
}

#[test]
fn api_with_an_expired_access_token_renews_once() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    t.fake.expire_access_tokens();
    let o = t.run(&["api", "/me", "-a", "alice"]);
    assert_code(&o, 0);
    assert_eq!(t.fake.token_requests(), 1);
    let me = t.hits("/v1/me");
    assert_eq!(me.iter().map(|r| r.status).collect::<Vec<_>>(), [401, 200]);
}

#[test]
fn api_post_is_not_replayed_after_a_502_but_is_after_a_503() {
    let t = T::new();
    t.user_account("alice", "alice", "playlist-modify-private", 3600);
    t.fake
        .inject(Fault::new("/me/playlists", FaultKind::Status(502)).method("POST"));
    let o = post_playlist(&t, r#"{"name":"Once"}"#);
    assert_code(&o, 6);
    assert!(
        stderr(&o).contains(
            "502 Bad Gateway; not retried because the request may already have been processed"
        ),
        "{}",
        stderr(&o)
    );
    assert_eq!(t.hits("/me/playlists").len(), 1);
    t.fake.clear_log();
    t.fake
        .inject(Fault::new("/me/playlists", FaultKind::Status(503)).method("POST"));
    let o = post_playlist(&t, r#"{"name":"Twice"}"#);
    assert_code(&o, 0);
    assert_eq!(
        t.hits("/me/playlists").len(),
        2,
        "503: not served, safe to send again"
    );
}

#[test]
fn api_paginate_search_follows_every_type_up_to_the_offset_cap() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let o = t.run(&[
        "api",
        "-a",
        "alice",
        "/search?q=love&type=track&limit=10",
        "--paginate",
    ]);
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 1000);
    let o = t.run(&[
        "api",
        "-a",
        "alice",
        "/search?q=taeyeon&type=artist,album&limit=10",
        "--paginate",
    ]);
    assert_code(&o, 0);
    let items = jsonl(&o);
    assert!(
        items.iter().any(|i| i["type"] == "artist") && items.iter().any(|i| i["type"] == "album")
    );
}

#[test]
fn login_refuses_to_replace_a_corrupt_account_file() {
    let t = T::new();
    write_account(&t.account_path("alice"), &serde_json::json!({"version": 1}));
    let before = std::fs::read(t.account_path("alice")).unwrap();
    let o = t.run(&["login", "--client-credentials", "-a", "alice"]);
    assert_code(&o, 7);
    assert!(
        stderr(&o).contains("is corrupt") && stderr(&o).contains("spotctl logout -a alice"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(t.account_path("alice")).unwrap(), before);
    assert_code(&t.run(&["logout", "-a", "alice"]), 0);
    assert_code(&t.run(&["login", "--client-credentials", "-a", "alice"]), 0);
}

#[test]
fn refresh_retries_a_502_from_the_token_endpoint() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    t.fake
        .inject(Fault::new("/api/token", FaultKind::Status(502)));
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 0);
    assert_eq!(t.fake.token_requests(), 2);
}

#[test]
fn refresh_all_exits_with_the_first_failures_code() {
    let t = T::new();
    // "a-corrupt" (exit 7) comes before "b-revoked" (exit 3) in name order.
    write_account(
        &t.account_path("a-corrupt"),
        &serde_json::json!({"version": 1}),
    );
    t.user_account("b-revoked", "bob", "", 10);
    let mut acc = read_json(&t.account_path("b-revoked"));
    acc["refresh_token"] = "not-a-real-refresh-token".into();
    write_account(&t.account_path("b-revoked"), &acc);
    t.user_account("c-ok", "carol", "", 10);
    let o = t.run(&["refresh", "--all"]);
    assert_code(&o, 7);
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 3, "{e}");
    assert_eq!(e.lines().nth(2), Some("spotctl: 2 of 3 accounts failed"));
    assert!(
        e.lines()
            .next()
            .unwrap()
            .starts_with("spotctl: a-corrupt: account file "),
        "{e}"
    );
    assert!(
        e.lines()
            .nth(1)
            .unwrap()
            .starts_with("spotctl: b-revoked: the refresh token was refused"),
        "{e}"
    );
    assert!(
        read_json(&t.account_path("c-ok"))["expires_at"]
            .as_i64()
            .unwrap()
            > now() + 3000
    );
}
