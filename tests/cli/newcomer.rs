//! A newcomer's first ten minutes (issue 12): the README's first command works on a fresh
//! machine, and every dead end says the way out.

use crate::common::*;
use crate::login::login_ok;
use std::io::Write;
use std::process::Stdio;

/// The code block under "## The two commands", as (command, comment) lines.
fn readme_two_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## The two commands")
        .nth(1)
        .expect("a \"The two commands\" section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("a sh block in it");
    block
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn the_readmes_first_command_lists_57_albums_with_no_credentials_and_no_network() {
    let cmds = readme_two_commands();
    assert_eq!(cmds.len(), 2, "{cmds:?}");
    assert_eq!(
        cmds[1], "cargo test",
        "the second command stays `cargo test`"
    );
    let words: Vec<&str> = cmds[0].split_whitespace().collect();
    assert_eq!(words[0], "cargo", "{cmds:?}");
    assert!(words.contains(&"3qNVuliS40BLgXGxhdBdqu"), "{cmds:?}");

    // A fresh machine: no spotctl settings, and nothing of the user's may be used or touched.
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("my-real-config");
    std::fs::create_dir(&config).unwrap();
    build_example("demo");
    let mut c = cargo();
    c.args(&words[1..])
        .env("HOME", home.path())
        .env("SPOTCTL_CONFIG_DIR", &config)
        // Real credentials and a proxy with no route anywhere: the demo must ignore both.
        .env("SPOTIFY_CLIENT_ID", "realclientid0000000000000000000a")
        .env("SPOTIFY_CLIENT_SECRET", "real-secret")
        .env("SPOTCTL_ACCOUNT", "someone")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env_remove("SPOTCTL_API_BASE")
        .env_remove("SPOTCTL_ACCOUNTS_BASE")
        .stdin(Stdio::null());
    let o = c.output().expect("cargo runs");
    let err = stderr(&o);
    assert_code(&o, 0);
    let items = jsonl(&o);
    assert_eq!(items.len(), 57, "{err}");
    assert!(
        err.contains("fake Spotify at http://127.0.0.1:"),
        "says what it talks to: {err}"
    );
    assert_eq!(
        std::fs::read_dir(&config).unwrap().count(),
        0,
        "the user's config dir is untouched"
    );
}

// ---- 403 and 401: say what is missing and the command that adds it ----

#[test]
fn a_403_for_a_missing_scope_names_the_scopes_and_the_login_that_adds_it() {
    let t = T::new();
    login_ok(&t, "alice", &["--scope", "user-read-email"], &[]);
    let o = t.run(&["api", "/me/tracks", "-a", "alice", "--paginate"]);
    assert_code(&o, 4);
    let err = stderr(&o);
    assert_eq!(
        err,
        "spotctl: GET /v1/me/tracks: 403 Insufficient client scope; /me/tracks needs the scope user-library-read, which alice lacks (alice has: user-read-email): log in again with it added: `spotctl login -a alice --scope \"user-read-email user-library-read\"`\n"
    );
    // The command it gives works, and keeps the scope alice had.
    let scope = err
        .split("--scope \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    login_ok(&t, "alice", &["--scope", &scope], &[]);
    let acc = read_json(&t.account_path("alice"));
    assert_eq!(
        acc["scopes"],
        serde_json::json!(["user-read-email", "user-library-read"])
    );
    let o = t.run(&["api", "/me/tracks", "-a", "alice", "--paginate"]);
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 23);
}

#[test]
fn a_403_names_the_known_scope_or_lists_the_ones_the_account_has() {
    let t = T::new();
    t.user_account("alice", "alice", "user-read-email", 3600);
    let o = t.run(&[
        "api",
        "-a",
        "alice",
        "-X",
        "PUT",
        "/me/library?uris=spotify:track:x",
    ]);
    assert_code(&o, 4);
    assert_eq!(
        stderr(&o),
        "spotctl: PUT /v1/me/library: 403 Insufficient client scope; /me/library needs the scope user-library-modify, which alice lacks (alice has: user-read-email): log in again with it added: `spotctl login -a alice --scope \"user-read-email user-library-modify\"`\n"
    );
    // An endpoint spotctl knows no scope for: the scopes it has, and how to add one.
    t.user_account("bob", "bob", "", 3600);
    t.fake
        .inject(Fault::new("/v1/me/things", FaultKind::Status(403)).times(usize::MAX));
    let o = t.run(&["api", "-a", "bob", "/me/things"]);
    assert_code(&o, 4);
    assert_eq!(
        stderr(&o),
        "spotctl: GET /v1/me/things: 403 Forbidden; bob has no scopes: if this endpoint needs one, log in again with it: `spotctl login -a bob --scope SCOPE`\n"
    );
}

#[test]
fn an_app_only_account_on_a_user_endpoint_is_told_to_log_a_user_in() {
    let t = T::new();
    assert_code(&t.run(&["login", "--client-credentials", "-a", "myapp"]), 0);
    let o = t.run(&["api", "/me", "-a", "myapp"]);
    assert_code(&o, 4);
    assert_eq!(
        stderr(&o),
        "spotctl: GET /v1/me: 403 Forbidden; myapp is an app-only account (client credentials), and user endpoints such as /me need a user: log one in with `spotctl login -a NAME --scope SCOPES`, then use -a NAME\n"
    );
    // Where the service answers 401 instead, a new app token does not cure it: same advice,
    // never "run `spotctl login -a myapp`" (which would make another app-only token).
    t.fake
        .inject(Fault::new("/v1/me", FaultKind::Status(401)).times(usize::MAX));
    let o = t.run(&["api", "/me", "-a", "myapp"]);
    assert_code(&o, 3);
    let err = stderr(&o);
    assert!(
        err.contains("myapp is an app-only account (client credentials), and user endpoints such as /me need a user: log one in with `spotctl login -a NAME --scope SCOPES`, then use -a NAME"),
        "{err}"
    );
    assert!(!err.contains("spotctl login -a myapp"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

// ---- api paths and exit codes ----

#[test]
fn api_accepts_a_path_that_already_starts_with_the_bases_path() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let o = t.run(&["api", "/v1/me", "-a", "alice"]);
    assert_code(&o, 0);
    let me: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(me["id"], "alice");
    let paths: Vec<String> = t.hits("/me").into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v1/me"]);
}

#[test]
fn paginate_on_a_single_object_prints_it_and_is_not_a_usage_error() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let o = t.run(&["api", "/me", "-a", "alice", "--paginate"]);
    assert_code(&o, 0);
    let items = jsonl(&o);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], "alice");
    assert_eq!(
        stderr(&o),
        "spotctl: warning: --paginate: /me is not a listing (no `items`); printed the response as it is\n"
    );
    assert_eq!(t.hits("/v1/me").len(), 1);
}

#[test]
fn an_api_url_on_another_host_is_refused_before_the_token_is_refreshed() {
    let t = T::new();
    t.user_account("alice", "alice", "", -10);
    let o = t.run(&["api", "-a", "alice", "https://elsewhere.example/v1/me"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("is not under the account's API base"),
        "{}",
        stderr(&o)
    );
    assert!(t.fake.requests().is_empty(), "nothing was sent");
}

#[test]
fn a_busy_callback_port_is_a_usage_error_with_the_free_port_way_out() {
    let t = T::new();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let uri = format!("http://127.0.0.1:{port}/callback");
    t.fake.register_redirect_uri(&uri);
    let o = t.run(&["login", "--no-browser", "-a", "p", "--redirect-uri", &uri]);
    assert_code(&o, 2);
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "spotctl: port {port} on 127.0.0.1 is already in use"
        )) && err.contains("--redirect-uri http://127.0.0.1/callback"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(t.fake.requests().is_empty(), "nothing was sent");
}

// ---- logout --all ----

fn two_accounts(t: &T) {
    t.user_account("alice", "alice", "", 3600);
    t.user_account("bob", "bob", "", 3600);
}

#[test]
fn logout_all_without_a_terminal_needs_yes() {
    let t = T::new();
    two_accounts(&t);
    let o = t.run(&["logout", "--all"]);
    assert_code(&o, 2);
    assert_eq!(
        stderr(&o),
        "spotctl: `logout --all` would delete 2 accounts (alice, bob); add --yes to confirm (stdin is not a terminal to ask on)\n"
    );
    assert!(t.account_path("alice").exists() && t.account_path("bob").exists());
    let o = t.run(&["logout", "--all", "--yes"]);
    assert_code(&o, 0);
    assert!(!t.account_path("alice").exists() && !t.account_path("bob").exists());
}

/// Runs `spotctl ARGS` with a terminal (script(1)) and `input` typed into it.
fn on_a_terminal(t: &T, args: &str, input: &str) -> (i32, String) {
    let mut c = std::process::Command::new("script");
    c.args(["-qec"])
        .arg(format!("'{}' {args}", env!("CARGO_BIN_EXE_spotctl")))
        .arg("/dev/null");
    t.apply_env(&mut c);
    c.env("TERM", "dumb")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = c.spawn().expect("script(1) from util-linux");
    // Typed once the question is on the screen, as a person would (not after a guessed delay).
    let mut screen = Vec::new();
    let mut out = child.stdout.take().unwrap();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&screen).contains("[y/N]") {
        let n = std::io::Read::read(&mut out, &mut buf).unwrap();
        assert!(n > 0, "the question: {}", String::from_utf8_lossy(&screen));
        screen.extend_from_slice(&buf[..n]);
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    std::io::Read::read_to_end(&mut out, &mut screen).unwrap();
    let status = child.wait().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&screen).into_owned(),
    )
}

#[test]
fn logout_all_asks_on_a_terminal() {
    let t = T::new();
    two_accounts(&t);
    let (code, screen) = on_a_terminal(&t, "logout --all", "n\n");
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("Delete 2 accounts (alice, bob)? [y/N]"),
        "{screen}"
    );
    assert!(screen.contains("nothing was deleted"), "{screen}");
    assert!(t.account_path("alice").exists() && t.account_path("bob").exists());
    let (code, screen) = on_a_terminal(&t, "logout --all", "y\n");
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("logged out bob"), "{screen}");
    assert!(!t.account_path("alice").exists() && !t.account_path("bob").exists());
}

// ---- messages mention only files that exist ----

#[test]
fn a_corrupt_file_message_offers_the_bak_only_when_there_is_one() {
    let t = T::new();
    write_account(&t.account_path("alice"), &serde_json::json!({"version": 1}));
    let o = t.run(&["token", "-a", "alice"]);
    assert_code(&o, 7);
    let err = stderr(&o);
    assert!(err.contains("is corrupt"), "{err}");
    assert!(!err.contains(".bak"), "no .bak exists: {err}");
    // With a previous version kept, restoring it is offered, with the command.
    let bak = t.account_path("alice").with_extension("json.bak");
    std::fs::copy(t.account_path("alice"), &bak).unwrap();
    let o = t.run(&["token", "-a", "alice"]);
    let err = stderr(&o);
    assert!(
        err.contains(&format!("restore the previous version {}", bak.display())),
        "{err}"
    );
}

// ---- clap's errors on one readable line ----

#[test]
fn clap_errors_with_lists_read_as_one_sentence() {
    let t = T::new();
    let o = t.run(&["search"]);
    assert_code(&o, 2);
    assert_eq!(
        stderr(&o),
        "spotctl: the following required arguments were not provided: <QUERY> (see `spotctl search --help`)\n"
    );
    let o = t.run(&["-o", "xml", "accounts"]);
    assert_code(&o, 2);
    assert_eq!(
        stderr(&o),
        "spotctl: invalid value 'xml' for '--output <FORMAT>' (possible values: table, tsv, csv, jsonl, json) (see `spotctl accounts --help`)\n"
    );
}

// ---- accounts: fits 100 columns; timestamps for scripts ----

fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && s.chars()
            .enumerate()
            .all(|(i, c)| [4, 7, 10, 13, 16, 19].contains(&i) || c.is_ascii_digit())
}

#[test]
fn accounts_table_fits_100_columns_and_tsv_and_json_carry_rfc3339_times() {
    let t = T::new();
    // The app account a catalog command creates: `app-<32 hex>`.
    assert_code(
        &t.run(&["albums", "--artist", ARTIST_57, "--limit", "1"]),
        0,
    );
    t.user_account(
        "a-rather-long-account-name-for-the-team",
        "31l2ueafbkqgbjkz4yeq6rmw7yxm",
        "user-read-email user-read-private user-library-read playlist-modify-private",
        3600,
    );
    let o = t.run(&["accounts", "-o", "table"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    for line in out.lines() {
        assert!(
            line.chars().count() <= 100,
            "{} columns: {line}\n{out}",
            line.chars().count()
        );
    }
    let app = format!("app-{CLIENT_ID}");
    let shown = out
        .lines()
        .find(|l| l.starts_with("app-"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap();
    let (head, tail) = shown.split_once('…').expect("shortened in the middle");
    assert!(
        app.starts_with(head) && app.ends_with(tail) && head.len() >= 8 && tail.len() >= 4,
        "{shown}"
    );
    assert!(!out.contains(&app), "{out}");

    let o = t.run(&["accounts", "-o", "tsv"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    let row = out
        .lines()
        .find(|l| l.starts_with(&format!("{app}\t")))
        .unwrap_or_else(|| panic!("full name in tsv: {out}"));
    let cols: Vec<&str> = row.split('\t').collect();
    assert!(is_rfc3339_utc(cols[4]), "EXPIRES as RFC 3339: {row}");
    let user_row = out.lines().find(|l| l.starts_with("a-rather")).unwrap();
    let cols: Vec<&str> = user_row.split('\t').collect();
    assert!(
        is_rfc3339_utc(cols[4]) && is_rfc3339_utc(cols[5]),
        "EXPIRES and RELOGIN: {user_row}"
    );

    let o = t.run(&["accounts", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let user = v
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "a-rather-long-account-name-for-the-team")
        .unwrap();
    for k in ["expires_at", "refresh_token_expires_at", "authorized_at"] {
        let s = user[k].as_str().unwrap_or_default();
        assert!(is_rfc3339_utc(s), "{k}: {user}");
    }
}
