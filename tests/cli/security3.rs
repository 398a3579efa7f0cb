//! Logins and secrets under a second local user and a hostile network, round 3 (issue 20, and
//! issue 17 item 19): the login `state` kept out of every child's argv and environment, no
//! proxy for loopback, the callback under a flood, tokens outside visible ASCII, oversized user
//! info, secrets with newlines, unbounded files, this run's token echoed back, redirect URIs
//! with fragments, `SPOTCTL_LOG` and the HTTP libraries, non-dumpable processes, and parents of
//! the config directory others can write. The two-user cases run as root, acting as uid 65534
//! with `setpriv`, and say why when skipped.

use crate::common::*;
use crate::login::{Login, start_login};
use crate::store::is_root;
use crate::support::proxy::TestProxy;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const NOBODY: &str = "65534";

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `sh -c SCRIPT` as uid/gid 65534 (another local user).
fn as_nobody(script: &str) -> std::process::Output {
    std::process::Command::new("setpriv")
        .args([
            &format!("--reuid={NOBODY}"),
            &format!("--regid={NOBODY}"),
            "--clear-groups",
            "sh",
            "-c",
            script,
        ])
        .output()
        .expect("setpriv runs")
}

/// A `spotctl login` whose stderr is read line by line (`Login` of the login tests), from a
/// prepared command.
fn spawn_login(mut c: std::process::Command) -> Login {
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn spotctl login");
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
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

fn query_value(url: &str, key: &str) -> String {
    url.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {url}"))
        .to_string()
}

fn callback_port(auth_url: &str) -> u16 {
    let redirect = query_value(auth_url, "redirect_uri");
    let redirect = redirect.replace("%3A", ":").replace("%2F", "/");
    redirect
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn wait_for(path: &Path, secs: u64) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

// 1 and 11. The `state` in no child's argv or environment; no secret in the browser's
// environment; the user's own login still works.

#[test]
fn the_login_state_is_in_no_childs_argv_or_environment_and_the_login_still_succeeds() {
    let t = T::new();
    let rec = t.dir.path().join("rec");
    std::fs::create_dir(&rec).unwrap();
    // The "browser": records its argv and environment, then stays a while so that a watcher
    // can look at its command line.
    let browser = t.dir.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nenv > {rec}/env\nprintf '%s\\n' \"$@\" > {rec}/argv.tmp\nmv {rec}/argv.tmp {rec}/argv\nsleep 3\n",
            rec = rec.display()
        ),
    )
    .unwrap();
    chmod(&browser, 0o755);
    let mut c = t.std_cmd();
    c.args(["login", "-a", "me", "--wait", "30"])
        .args(["--redirect-uri", "http://127.0.0.1/callback"])
        .env("BROWSER", &browser);
    let mut l = spawn_login(c);
    let url = l.url();
    let state = query_value(&url, "state");
    assert!(wait_for(&rec.join("argv"), 20), "the browser was started");
    let argv = std::fs::read_to_string(rec.join("argv")).unwrap();
    let env = std::fs::read_to_string(rec.join("env")).unwrap();
    assert!(
        !argv.contains(&state),
        "state in the browser's argv: {argv}"
    );
    assert!(!env.contains(&state), "state in the browser's environment");
    assert!(
        !env.contains("SPOTIFY_CLIENT_SECRET") && !env.contains(CLIENT_SECRET),
        "the client secret reached the browser's environment"
    );
    assert!(env.contains("HOME="), "the rest of the environment is kept");
    let page = argv
        .trim()
        .strip_prefix("file://")
        .unwrap_or_else(|| panic!("the browser gets a local page: {argv}"))
        .to_string();
    let page = Path::new(&page);
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(page).unwrap().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(page.parent().unwrap()).unwrap().mode() & 0o777,
        0o700
    );
    // Not hidden, not in /tmp: snap-packaged browsers can read it.
    assert!(!page.starts_with("/tmp/") || page.starts_with(t.dir.path()));
    assert!(
        !page
            .strip_prefix(t.dir.path())
            .unwrap()
            .to_string_lossy()
            .starts_with('.'),
        "{}",
        page.display()
    );
    if is_root() {
        // Another local user: every process's command line, and the page itself.
        let seen = as_nobody("cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '");
        let seen = String::from_utf8_lossy(&seen.stdout);
        assert!(seen.contains("login.html"), "the watcher works: {seen}");
        assert!(
            !seen.contains(&state),
            "another user read the state in a command line"
        );
        let read = as_nobody(&format!("cat '{}'", page.display()));
        assert!(!read.status.success(), "another user read the page");
    } else {
        eprintln!("skipped the other-user part: acting as a second user needs root (setpriv)");
    }
    // The user's browser follows the page to the provider, and the login completes.
    let html = std::fs::read_to_string(page).unwrap();
    let target = html
        .split("url=")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    assert_eq!(query_value(&target, "state"), state);
    let loc = t.fake.authorize_location(&target).unwrap();
    assert_eq!(http_get(&loc).0, 200);
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    assert!(t.account_path("me").exists());
    assert!(!page.exists(), "the page is removed when the login ends");
}

#[test]
fn secret_holding_processes_are_not_dumpable_and_their_environment_is_private() {
    if !is_root() {
        eprintln!("skipped: acting as two users needs root (setpriv)");
        return;
    }
    let t = T::new();
    chmod(t.dir.path(), 0o755);
    let cfg = t.dir.path().join("nobody");
    std::fs::create_dir(&cfg).unwrap();
    std::os::unix::fs::chown(&cfg, Some(65534), Some(65534)).unwrap();
    let mut c = std::process::Command::new("setpriv");
    c.args([
        &format!("--reuid={NOBODY}"),
        &format!("--regid={NOBODY}"),
        "--clear-groups",
    ])
    .arg(env!("CARGO_BIN_EXE_spotctl"))
    .args(["login", "--no-browser", "-a", "me", "--wait", "20"])
    .args(["--redirect-uri", "http://127.0.0.1/callback"]);
    t.apply_env(&mut c);
    c.env("SPOTCTL_CONFIG_DIR", cfg.join("cfg"));
    let mut l = spawn_login(c);
    let _ = l.url();
    let pid = l.child.id();
    // Another process of the same user: no environment (the client secret is in it), no
    // memory.
    let o = as_nobody(&format!("cat /proc/{pid}/environ"));
    assert!(
        !o.status.success() && !String::from_utf8_lossy(&o.stdout).contains(CLIENT_SECRET),
        "the same user's other process read the environment of spotctl"
    );
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert!(
        core.split_whitespace().nth(4) == Some("0"),
        "core dumps stay off: {core}"
    );
    let _ = l.child.kill();
    let _ = l.child.wait();
}

// 2. Loopback never goes through a proxy.

#[test]
fn loopback_requests_never_go_through_a_proxy_whatever_no_proxy_says() {
    let t = T::new();
    let proxy = TestProxy::start();
    t.user_account("alice", "alice", "user-library-read", -10);
    for args in [
        &["-a", "alice", "token"][..],
        &["-a", "alice", "api", "/me"],
    ] {
        let o = t
            .cmd()
            .args(args)
            .env("HTTP_PROXY", proxy.url())
            .env("http_proxy", proxy.url())
            .env("ALL_PROXY", proxy.url())
            .env("all_proxy", proxy.url())
            .env("HTTPS_PROXY", proxy.url())
            .env("NO_PROXY", "example.com")
            .output()
            .unwrap();
        assert_code(&o, 0);
    }
    assert_eq!(
        proxy.seen(),
        Vec::<String>::new(),
        "the proxy carried a loopback request"
    );
    assert_eq!(t.hits("/api/token").len(), 1);
}

// 3. The callback server under a slow or idle flood.

#[test]
fn a_callback_request_that_trickles_its_headers_is_dropped_within_seconds() {
    let t = T::new();
    let mut l = start_login(
        &t,
        &["-a", "slow", "--redirect-uri", "http://127.0.0.1/callback"],
        &[],
    );
    let url = l.url();
    let port = callback_port(&url);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /callback?code=x HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 512];
    let _ = s.read(&mut buf);
    let held = start.elapsed();
    assert!(
        held < Duration::from_secs(8),
        "a partial request held the connection {held:?}"
    );
    // The real redirect still logs in.
    let loc = t.fake.authorize_location(&url).unwrap();
    assert_eq!(http_get(&loc).0, 200);
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
}

#[test]
fn idle_connections_cannot_keep_the_real_redirect_out() {
    let t = T::new();
    // A low hard limit: raising the soft one is not enough, the cap must drop idle ones.
    let mut c = std::process::Command::new("prlimit");
    c.arg("--nofile=256:256")
        .arg(env!("CARGO_BIN_EXE_spotctl"))
        .args(["login", "--no-browser", "-a", "flood", "--wait", "30"])
        .args(["--redirect-uri", "http://127.0.0.1/callback"]);
    t.apply_env(&mut c);
    let mut l = spawn_login(c);
    let url = l.url();
    let port = callback_port(&url);
    let idle: Vec<std::net::TcpStream> = (0..400)
        .filter_map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    assert!(idle.len() >= 300, "{}", idle.len());
    std::thread::sleep(Duration::from_millis(300));
    let loc = t.fake.authorize_location(&url).unwrap();
    let start = Instant::now();
    let (status, _, body) = http_get(&loc);
    assert_eq!(status, 200, "{body}");
    assert!(start.elapsed() < Duration::from_secs(5));
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    drop(idle);
}

#[test]
fn the_login_raises_its_soft_file_limit_to_the_hard_one() {
    let t = T::new();
    let mut c = std::process::Command::new("prlimit");
    c.arg("--nofile=1024:4096")
        .arg(env!("CARGO_BIN_EXE_spotctl"))
        .args(["login", "--no-browser", "-a", "fd", "--wait", "20"])
        .args(["--redirect-uri", "http://127.0.0.1/callback"]);
    t.apply_env(&mut c);
    let mut l = spawn_login(c);
    let _ = l.url();
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", l.child.id())).unwrap();
    let files = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let nums: Vec<&str> = files.split_whitespace().skip(3).take(2).collect();
    assert_eq!(nums, ["4096", "4096"], "{files}");
    let _ = l.child.kill();
    let _ = l.child.wait();
}

// 4. Tokens outside visible ASCII.

#[test]
fn tokens_outside_visible_ascii_are_refused_on_receipt_and_nothing_is_stored() {
    let t = T::new();
    t.user_account("alice", "alice", "", -10);
    let before = std::fs::read(t.account_path("alice")).unwrap();
    for body in [
        r#"{"access_token":"BQ-evil\u202e-token","token_type":"Bearer","expires_in":3600}"#,
        r#"{"access_token":"BQ-evil\u2028-token","token_type":"Bearer","expires_in":3600}"#,
        r#"{"access_token":"BQ-good-token-0123","token_type":"Bearer","expires_in":3600,"refresh_token":"rt\u2066x"}"#,
    ] {
        t.fake
            .inject(Fault::new("/api/token", json_body(200, body)));
        let o = t.run(&["-a", "alice", "token"]);
        assert_code(&o, 6);
        assert!(o.stdout.is_empty());
        assert!(stderr(&o).contains("visible ASCII"), "{}", stderr(&o));
        assert_eq!(std::fs::read(t.account_path("alice")).unwrap(), before);
    }
    t.fake.inject(Fault::new(
        "/api/token",
        json_body(200, r#"{"access_token":"BQ\u2066x","token_type":"Bearer"}"#),
    ));
    let o = t.run(&["login", "--client-credentials", "-a", "app"]);
    assert_code(&o, 6);
    assert!(!t.account_path("app").exists());
}

// 5. An oversized /me.

#[test]
fn an_oversized_display_name_is_capped_and_the_account_stays_usable() {
    let t = T::new();
    let huge = format!("Alice{}", "x".repeat(1_500_000));
    t.fake.set_display_name("alice", Some(&huge));
    let err = crate::login::login_ok(&t, "big", &[], &[]);
    assert!(err.contains("logged in as Alicexxx"), "{err}");
    let size = std::fs::metadata(t.account_path("big")).unwrap().len();
    assert!(size < 8 << 10, "{size} bytes");
    assert_code(&t.run(&["-a", "big", "token"]), 0);
    let o = t.run(&["accounts", "-o", "json"]);
    assert_code(&o, 0);
    let name = jsonl(&o)
        .into_iter()
        .flat_map(|v| match v {
            serde_json::Value::Array(a) => a,
            v => vec![v],
        })
        .find_map(|a| {
            a.pointer("/user/display_name")
                .or(a.get("display_name"))
                .and_then(|n| n.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    assert!(name.len() <= 256 && name.ends_with('…'), "{name}");
}

// 6. Secrets with newlines.

#[test]
fn a_secret_with_a_second_line_is_exit_2_and_one_trailing_newline_is_fine() {
    let t = T::new();
    let two = t.dir.path().join("two-lines");
    std::fs::write(&two, format!("{CLIENT_SECRET}\nsomething else\n")).unwrap();
    let o = t.run(&[
        "login",
        "--client-credentials",
        "-a",
        "app",
        "--client-secret-file",
        two.to_str().unwrap(),
    ]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("control character"), "{}", stderr(&o));
    let o = t
        .cmd()
        .args(["login", "--client-credentials", "-a", "env"])
        .env("SPOTIFY_CLIENT_SECRET", format!("{CLIENT_SECRET}\r\nx"))
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("SPOTIFY_CLIENT_SECRET"),
        "{}",
        stderr(&o)
    );
    assert_eq!(t.fake.token_requests(), 0, "nothing was sent");
    let one = t.dir.path().join("one-line");
    std::fs::write(&one, format!("{CLIENT_SECRET}\n")).unwrap();
    let o = t.run(&[
        "login",
        "--client-credentials",
        "-a",
        "app",
        "--client-secret-file",
        one.to_str().unwrap(),
    ]);
    assert_code(&o, 0);
    assert_code(&t.run(&["-a", "app", "token"]), 0);
}

// 7. Files the user names are capped and must be regular.

#[test]
fn secret_and_ca_files_are_capped_and_must_be_regular_files() {
    let t = T::new();
    let limited = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = std::process::Command::new("prlimit");
        c.arg("--as=1073741824")
            .arg(env!("CARGO_BIN_EXE_spotctl"))
            .args(args);
        t.apply_env(&mut c);
        for (k, v) in env {
            c.env(k, v);
        }
        let mut c = assert_cmd::Command::from_std(c);
        c.timeout(Duration::from_secs(30));
        c.output().unwrap()
    };
    let o = limited(
        &[
            "login",
            "--client-credentials",
            "-a",
            "z",
            "--client-secret-file",
            "/dev/zero",
        ],
        &[],
    );
    assert_code(&o, 2);
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    let big = t.dir.path().join("big-secret");
    std::fs::write(&big, vec![b'a'; 5000]).unwrap();
    let o = t.run(&[
        "login",
        "--client-credentials",
        "-a",
        "z",
        "--client-secret-file",
        big.to_str().unwrap(),
    ]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("larger than 4 KiB"), "{}", stderr(&o));
    t.user_account("alice", "alice", "", 3600);
    let o = limited(
        &["-a", "alice", "api", "/me"],
        &[("SSL_CERT_FILE", "/dev/zero")],
    );
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("SSL_CERT_FILE=/dev/zero") && stderr(&o).contains("not a regular file"),
        "{}",
        stderr(&o)
    );
    let bundle = t.dir.path().join("huge.pem");
    std::fs::write(&bundle, vec![b'#'; (16 << 20) + 1]).unwrap();
    let o = t
        .cmd()
        .args(["-a", "alice", "api", "/me"])
        .env("SSL_CERT_FILE", &bundle)
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(stderr(&o).contains("larger than 16 MiB"), "{}", stderr(&o));
    assert_eq!(t.fake.token_requests(), 0);
}

// 8 and issue 17 item 19. This run's token echoed back; Spotify's own words.

#[test]
fn this_runs_token_echoed_in_a_next_link_is_never_printed() {
    let t = T::new();
    let tok = t.user_account("alice", "alice", "", 3600).access_token;
    let next = format!("{}/p/{tok}?after={tok}", t.fake.api_base());
    let page = serde_json::json!({
        "items": [{"id": "one"}],
        "next": next,
        "limit": 1,
        "offset": 0,
        "total": 3,
    })
    .to_string();
    for verbose in [&[][..], &["-vv"]] {
        t.fake
            .inject(Fault::new("/v1/p", json_body(200, &page)).times(1));
        let o = t
            .cmd()
            .args(verbose)
            .args(["-a", "alice", "api", "--paginate", "/p"])
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_ne!(code(&o), 0, "{e}");
        assert!(!e.contains(tok.as_str()), "the token was printed: {e}");
        assert!(e.contains("/v1/p/(redacted)"), "{e}");
        assert!(
            !e.contains("continue with"),
            "no resume link with the token: {e}"
        );
    }
}

#[test]
fn spotifys_own_words_after_bearer_are_not_redacted() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    t.fake.inject(Fault::new(
        "/v1/me",
        json_body(
            400,
            r#"{"error":{"status":400,"message":"Only valid bearer authentication supported"}}"#,
        ),
    ));
    let o = t.run(&["-a", "alice", "api", "/me"]);
    assert_ne!(code(&o), 0);
    assert!(
        stderr(&o).contains("Only valid bearer authentication supported"),
        "{}",
        stderr(&o)
    );
}

// 9. Redirect URIs with a fragment or userinfo.

#[test]
fn redirect_uris_with_a_fragment_or_userinfo_are_refused_before_anything_happens() {
    let t = T::new();
    for (uri, why) in [
        ("http://127.0.0.1/callback#frag", "fragment"),
        (
            "http://user:pass@127.0.0.1/callback",
            "user name or password",
        ),
        ("https://me@example.com/cb", "user name or password"),
    ] {
        let o = t.run(&[
            "login",
            "--no-browser",
            "-a",
            "r",
            "--wait",
            "2",
            "--redirect-uri",
            uri,
        ]);
        assert_code(&o, 2);
        let e = stderr(&o);
        assert!(e.contains(why), "{uri}: {e}");
        assert!(!e.contains("/authorize"), "no authorize URL printed: {e}");
        assert!(!e.contains("user:pass@"), "the password is not echoed: {e}");
    }
}

// 10. SPOTCTL_LOG and the HTTP libraries.

#[test]
fn spotctl_log_cannot_turn_the_http_libraries_logs_back_on() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let o = t
        .cmd()
        .args(["-vv", "-a", "alice", "api", "/me"])
        .env(
            "SPOTCTL_LOG",
            "reqwest::connect=trace,hyper_util=trace,h2::codec=trace,rustls::client=trace,spotctl=debug",
        )
        .output()
        .unwrap();
    assert_code(&o, 0);
    let e = stderr(&o);
    let own: Vec<&str> = e.lines().filter(|l| l.contains("GET /v1/me")).collect();
    assert_eq!(own.len(), 1, "spotctl's own debug line stays: {e}");
    assert_eq!(
        e.lines().count(),
        1,
        "only spotctl's own line, no library's: {e}"
    );
}

// 12. Every parent of the config directory.

#[test]
fn a_parent_of_the_config_directory_others_can_write_is_exit_7_naming_it() {
    let t = T::new();
    let open = t.dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    chmod(&open, 0o777);
    let cfg = open.join("me").join("spotctl");
    let run = |cfg: &Path| {
        t.cmd()
            .arg("accounts")
            .env("SPOTCTL_CONFIG_DIR", cfg)
            .output()
            .unwrap()
    };
    let o = run(&cfg);
    assert_code(&o, 7);
    let e = stderr(&o);
    let shown = std::fs::canonicalize(&open).unwrap();
    assert!(
        e.contains(&format!("{} (a parent of", shown.display()))
            && e.contains(&format!("chmod go-w {}", shown.display())),
        "{e}"
    );
    let o = t
        .cmd()
        .args(["login", "--client-credentials", "-a", "app"])
        .env("SPOTCTL_CONFIG_DIR", &cfg)
        .output()
        .unwrap();
    assert_code(&o, 7);
    assert_eq!(t.fake.token_requests(), 0, "nothing obtained to be stored");
    // Sticky, like /tmp: others cannot rename or delete our entries.
    chmod(&open, 0o1777);
    assert_code(&run(&cfg), 0);
    if is_root() {
        let theirs = t.dir.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
        let o = run(&theirs.join("cfg"));
        assert_code(&o, 7);
        assert!(stderr(&o).contains("owned by uid 65534"), "{}", stderr(&o));
    } else {
        eprintln!("skipped the other-owner part: a directory of another user needs root");
    }
}
