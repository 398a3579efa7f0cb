//! Global options, environment variables and less-travelled flags, each checked by its effect.

use crate::common::*;
use crate::login::{login_ok, start_login};

#[test]
fn quiet_silences_warnings_and_verbose_explains() {
    let t = T::new();
    t.fake
        .inject(Fault::new("/albums", FaultKind::TotalChanges(5)).times(usize::MAX));
    let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "tsv"]);
    assert!(
        stderr(&o).contains("spotctl: warning: artist"),
        "{}",
        stderr(&o)
    );
    let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "tsv", "-q"]);
    assert_code(&o, 0);
    assert_eq!(stderr(&o), "", "-q: errors only");
    let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "tsv", "-v"]);
    assert!(!stderr(&o).contains("debug:"), "-v is info, not debug");
    let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "tsv", "-vv"]);
    assert!(
        stderr(&o).contains(&format!(
            "spotctl: debug: GET /v1/artists/{ARTIST_57}/albums?"
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn config_dir_flag_and_account_variable() {
    let t = T::new();
    let other = t.dir.path().join("elsewhere");
    let o = t
        .cmd()
        .env_remove("SPOTCTL_CONFIG_DIR")
        .args([
            "--config-dir",
            other.to_str().unwrap(),
            "login",
            "--client-credentials",
            "-a",
            "app",
        ])
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert!(other.join("accounts/app.json").exists());
    assert!(!t.account_path("app").exists());
    // SPOTCTL_ACCOUNT picks the account; an empty one counts as unset.
    let o = t
        .cmd()
        .env("SPOTCTL_CONFIG_DIR", &other)
        .env("SPOTCTL_ACCOUNT", "app")
        .args(["token"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let stored = read_json(&other.join("accounts/app.json"));
    assert_eq!(stdout(&o).trim(), stored["access_token"].as_str().unwrap());
    let o = t
        .cmd()
        .env("SPOTCTL_ACCOUNT", "")
        .args(["albums", "--artist", ARTIST_57, "--limit", "1"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let o = t
        .cmd()
        .env("SPOTCTL_ACCOUNT", "nobody")
        .args(["token"])
        .output()
        .unwrap();
    assert_code(&o, 3);
}

#[test]
fn max_retry_wait_is_the_cap() {
    let t = T::new();
    assert_code(&t.run(&["albums", "--artist", ARTIST_EMPTY]), 0);
    t.fake.inject(Fault::new("/albums", too_many("2")));
    let o = t.run(&["albums", "--artist", ARTIST_57, "--max-retry-wait", "1"]);
    assert_code(&o, 5);
    assert!(
        stderr(&o).contains("wait 2 s (until ")
            && stderr(&o).contains("longer than --max-retry-wait 1s"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn market_include_groups_and_search_offset_reach_the_service() {
    let t = T::new();
    let o = t.run(&[
        "albums",
        "--artist",
        ARTIST_57,
        "--market",
        "us",
        "--include-groups",
        "album,single",
        "-o",
        "jsonl",
    ]);
    assert_code(&o, 0);
    let reqs = t.hits("/albums");
    let last = reqs.last().unwrap();
    assert!(
        last.query.contains("market=US") && last.query.contains("include_groups=album%2Csingle"),
        "{}",
        last.query
    );
    let items = jsonl(&o);
    assert!(
        !items.is_empty() && items.len() < 57,
        "filtered: {}",
        items.len()
    );
    assert!(
        items
            .iter()
            .all(|i| i["album_type"] == "album" || i["album_type"] == "single")
    );
    let all = jsonl(&t.run(&["search", "taeyeon", "--limit", "26", "-o", "jsonl"]));
    let o = t.run(&[
        "search", "taeyeon", "--offset", "5", "--limit", "3", "-o", "jsonl",
    ]);
    assert_code(&o, 0);
    assert_eq!(ids(&jsonl(&o)), ids(&all[5..8]));
    let o = t.run(&["search", "taeyeon", "--offset", "1000"]);
    assert_code(&o, 2);
}

#[test]
fn api_data_from_a_file_and_from_stdin() {
    let t = T::new();
    t.user_account("alice", "alice", "playlist-modify-private", 3600);
    let f = t.dir.path().join("body.json");
    std::fs::write(&f, r#"{"name":"From file"}"#).unwrap();
    let at = format!("@{}", f.display());
    let o = post_playlist(&t, &at);
    assert_code(&o, 0);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["name"],
        "From file"
    );
    let o = t
        .cmd()
        .args([
            "api",
            "-a",
            "alice",
            "-X",
            "post",
            "/me/playlists",
            "--data",
            "-",
        ])
        .write_stdin(r#"{"name":"From stdin"}"#)
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["name"],
        "From stdin"
    );
    let bodies: Vec<String> = t
        .hits("/me/playlists")
        .iter()
        .map(|r| r.body.clone())
        .collect();
    assert_eq!(
        bodies,
        [r#"{"name":"From file"}"#, r#"{"name":"From stdin"}"#]
    );
}

#[test]
fn output_defaults_to_table_on_a_terminal_and_jsonl_in_a_pipe_with_progress_only_on_a_terminal() {
    let t = T::new();
    let piped = t.run(&["albums", "--artist", ARTIST_1000, "--limit", "2"]);
    assert_eq!(jsonl(&piped).len(), 2, "jsonl when piped");
    // `script` gives spotctl a terminal for stdout and stderr.
    let mut c = std::process::Command::new("script");
    c.args(["-qec"])
        .arg(format!(
            "'{}' albums --artist {ARTIST_1000}",
            env!("CARGO_BIN_EXE_spotctl")
        ))
        .arg("/dev/null");
    t.apply_env(&mut c);
    c.env("TERM", "xterm").env("COLUMNS", "100");
    let o = c.output().expect("script(1) from util-linux");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("ID                      RELEASED    TYPE         TRACKS  NAME"),
        "table on a terminal: {text}"
    );
    assert!(
        text.contains("/1000 items"),
        "a progress bar on a terminal: {text}"
    );
    // The bar is cleared before rows are written: no row shares its screen line with a bar.
    for line in text.split('\n') {
        let visible = line.rsplit("\x1b[2K").next().unwrap_or(line);
        let visible = visible.rsplit('\r').next().unwrap_or(visible);
        assert!(
            !(visible.contains(" items") && visible.contains("  album")),
            "bar left in a row: {visible:?}"
        );
    }
    assert!(
        !stderr(&piped).contains("items"),
        "no progress when stderr is not a terminal"
    );
}

// `$BROWSER` is a shell script here.
#[cfg(unix)]
#[test]
fn redirect_uri_from_the_environment_and_browser_from_browser() {
    let t = T::new();
    // $BROWSER is honoured (webbrowser): a script that records the URL its page leads to.
    let seen = t.dir.path().join("browser-url");
    let browser = t.dir.path().join("browser.sh");
    std::fs::write(
        &browser,
        // It follows spotctl's login page (a file: the URL is in no argv) to the URL.
        format!(
            "#!/bin/sh\nsed -n 's/.*url=\\([^\"]*\\)\".*/\\1/p' \"${{1#file://}}\" | sed 's/&amp;/\\&/g' > '{0}.tmp'\nmv '{0}.tmp' '{0}'\n",
            seen.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut c = t.std_cmd();
    c.env("SPOTIFY_REDIRECT_URI", "http://127.0.0.1/callback")
        .env("BROWSER", &browser)
        .env("DISPLAY", ":0")
        .args(["login", "-a", "b", "--wait", "20"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut url = String::new();
    for _ in 0..100 {
        if let Ok(u) = std::fs::read_to_string(&seen) {
            url = u.trim().to_string();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "the browser was opened with the URL: {url:?}"
    );
    let loc = t.fake.authorize_location(&url).unwrap();
    assert_eq!(http_get(&loc).0, 200);
    assert!(child.wait().unwrap().success());
    let _ = start_login;
}

#[test]
fn accounts_shows_when_to_log_in_again_and_an_invalid_client_id_is_a_usage_error() {
    let t = T::new();
    login_ok(&t, "alice", &[], &[]);
    let o = t.run(&["accounts", "-o", "table"]);
    let out = stdout(&o);
    assert!(out.lines().next().unwrap().contains("RELOGIN"), "{out}");
    // 182 days from the login; a second later that shows as 181 (whole days, rounded down).
    let relogin = out.lines().nth(1).unwrap();
    assert!(
        relogin.contains("in 182d") || relogin.contains("in 181d"),
        "six months after login: {out}"
    );
    let o = t
        .cmd()
        .env("SPOTIFY_CLIENT_ID", "bad id/with slash")
        .args(["albums", "--artist", ARTIST_57])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("is not a valid client id"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn token_and_api_never_fall_back_to_the_app_account_silently() {
    let t = T::new();
    let o = t.run(&["token"]);
    assert_code(&o, 3);
    assert!(o.stdout.is_empty());
    assert_eq!(
        stderr(&o),
        "spotctl: no account named \"default\"; run `spotctl login` to log a user in, or `spotctl login --client-credentials` for an app-only token (or name another account with -a)\n"
    );
    let o = t.run(&["api", "/me"]);
    assert_code(&o, 3);
    // A named account that does not exist is never created, not even the app account.
    let app = format!("app-{CLIENT_ID}");
    assert_code(&t.run(&["token", "-a", &app]), 3);
    assert!(t.fake.requests().is_empty());
    assert!(!t.account_path(&app).exists());
    // Once a catalog command made it, it can be named like any other account.
    assert_code(&t.run(&["albums", "--artist", ARTIST_EMPTY]), 0);
    let o = t.run(&["token", "-a", &app]);
    assert_code(&o, 0);
    assert_eq!(
        stdout(&o).trim(),
        read_json(&t.account_path(&app))["access_token"]
            .as_str()
            .unwrap()
    );
}

#[test]
fn credentials_stay_with_their_client_and_their_token_endpoint() {
    let t = T::new();
    // --client-id of another app: the environment's secret (of CLIENT_ID) is not used: PKCE.
    let mut l = start_login(
        &t,
        &[
            "-a",
            "other",
            "--client-id",
            "ffffffffffffffffffffffffffffffff",
            "--redirect-uri",
            "http://127.0.0.1/callback",
        ],
        &[],
    );
    let url = l.url();
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    let _ = l.child.kill();
    // A stored secret does not follow a changed token endpoint to another host.
    let other = FakeSpotify::start();
    let secret_file = t.dir.path().join("s");
    std::fs::write(&secret_file, "corp-secret-0000").unwrap();
    let base = t.fake.accounts_base();
    let token = format!("{base}/api/token");
    let api = t.fake.api_base();
    let login_corp = || {
        t.cmd()
            .env_remove("SPOTIFY_CLIENT_SECRET")
            .args([
                "login",
                "--client-credentials",
                "-a",
                "corp",
                "--provider",
                "custom",
                "--client-id",
                CLIENT_ID,
                "--client-secret-file",
                secret_file.to_str().unwrap(),
                "--token-url",
                &token,
                "--api-base",
                &api,
            ])
            .output()
            .unwrap()
    };
    let o = login_corp();
    // The fake refuses that secret, which is fine: what matters is where it goes next.
    assert_code(&o, 3);
    std::fs::write(&secret_file, CLIENT_SECRET).unwrap();
    let o = login_corp();
    assert_code(&o, 0);
    let moved = format!("{}/api/token", other.accounts_base());
    let o = t
        .cmd()
        .env_remove("SPOTIFY_CLIENT_SECRET")
        .args([
            "login",
            "--client-credentials",
            "-a",
            "corp",
            "--token-url",
            &moved,
        ])
        .output()
        .unwrap();
    // What the account stores belongs to the old token endpoint: without the client given
    // again there is none (--api-base is optional since issue 19, so this is what stops it).
    assert_code(&o, 2);
    assert!(stderr(&o).contains("no client id"), "{}", stderr(&o));
    assert!(
        other.requests().is_empty(),
        "the stored secret never reached the new host"
    );
}

#[test]
fn a_stored_redirect_uri_wins_over_the_environment_on_a_new_login() {
    let t = T::new();
    login_ok(&t, "alice", &[], &[]);
    let mut l = start_login(
        &t,
        &["-a", "alice"],
        &[("SPOTIFY_REDIRECT_URI", "http://127.0.0.1:8888/callback")],
    );
    let _url = l.url();
    assert!(
        l.seen[0].ends_with("must be exactly: http://127.0.0.1/callback"),
        "{:?}",
        l.seen
    );
    let _ = l.child.kill();
}

#[test]
fn arguments_that_are_not_utf8_or_out_of_range_are_usage_errors() {
    #[cfg(unix)]
    let bad = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"\xff");
    // An unpaired surrogate: Windows' way of not being Unicode.
    #[cfg(windows)]
    let bad: std::ffi::OsString = std::os::windows::ffi::OsStringExt::from_wide(&[0xD800]);
    let t = T::new();
    let o = t.cmd().arg("-a").arg(bad).arg("token").output().unwrap();
    assert_code(&o, 2);
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    let o = t.run(&["--max-retry-wait", "18446744073709551615", "token"]);
    assert_code(&o, 2);
}

#[test]
fn output_flags_that_do_not_apply_are_refused() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let o = t.run(&["api", "/me", "-a", "alice", "-o", "tsv"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("`api` prints JSON"), "{}", stderr(&o));
    let o = t.run(&["token", "-a", "alice", "-o", "json"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("use --header or --json"),
        "{}",
        stderr(&o)
    );
    let o = t.run(&["api", "/me", "-a", "alice", "-o", "json"]);
    assert_code(&o, 0);
    assert!(stdout(&o).starts_with("{\n"), "-o json is pretty");
    assert!(t.hits("/v1/me").len() == 1);
}

#[test]
fn usage_errors_point_at_the_subcommands_help_and_logout_of_nobody_leaves_nothing() {
    let t = T::new();
    let o = t.run(&["albums", "--artist", ARTIST_57, "--limit", "0"]);
    assert_code(&o, 2);
    assert_eq!(
        stderr(&o),
        "spotctl: invalid value '0' for '--limit <N>': must be at least 1 (see `spotctl albums --help`)\n"
    );
    let o = t.run(&["album"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains(
            "unrecognized subcommand 'album'; tip: a similar subcommand exists: 'albums'"
        ),
        "{}",
        stderr(&o)
    );
    let o = t.run(&["logout", "-a", "bob"]);
    assert_code(&o, 3);
    assert_eq!(
        stderr(&o),
        "spotctl: no account named \"bob\" to log out (see `spotctl accounts`)\n"
    );
    assert!(!t.config().join("accounts").join("bob.lock").exists());
    let o = t.run(&[
        "login",
        "--no-browser",
        "--redirect-uri",
        "127.0.0.1:8888/callback",
    ]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("did you mean http://127.0.0.1:8888/callback?"),
        "{}",
        stderr(&o)
    );
}
