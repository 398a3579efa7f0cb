//! Correctness under load (issue 14): a slow reader, rate limits on one origin while another
//! is used, short-lived tokens, a held lock, and the smaller edges found in review. Each test
//! failed on the code before its fix.

use crate::common::*;
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Runs `cmd`, reading nothing from its stdout for `stall`, then everything: stdout, stderr,
/// exit status.
fn run_with_stalled_reader(
    mut cmd: std::process::Command,
    stall: Duration,
) -> (Vec<u8>, String, i32) {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn spotctl");
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    std::thread::sleep(stall);
    let mut out = Vec::new();
    so.read_to_end(&mut out).unwrap();
    let status = child.wait().unwrap();
    (out, err.join().unwrap(), status.code().unwrap_or(-1))
}

#[test]
fn a_reader_that_stalls_longer_than_the_timeout_causes_no_retry() {
    let t = T::with(Mode::Extended);
    t.fake.set_latency_ms(20);
    let mut c = t.std_cmd();
    c.args([
        "-v",
        // 2 s, still shorter than the 3 s stall; 1 s was met by the CPU alone with 8 tests
        // running on 2 loaded cores.
        "--timeout",
        "2",
        "albums",
        "--artist",
        ARTIST_1000,
        "-o",
        "jsonl",
    ]);
    let (out, err, status) = run_with_stalled_reader(c, Duration::from_millis(3000));
    assert_eq!(status, 0, "{err}");
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1000);
    assert!(!err.contains("retrying"), "no retries: {err}");
    assert!(!err.contains("timed out"), "{err}");
    assert_eq!(t.hits("/albums").len(), 20, "one request per page of 50");
}

#[test]
fn a_stalled_reader_then_a_closed_pipe_still_ends_quietly_and_json_closes_on_errors() {
    let t = T::with(Mode::Extended);
    // Closed pipe after a stall: status 0, nothing on stderr.
    let bin = env!("CARGO_BIN_EXE_spotctl");
    let script = format!(
        "'{bin}' albums --artist {ARTIST_1000} -o jsonl | (sleep 1; head -1); echo \"status=${{PIPESTATUS[0]}}\" >&2"
    );
    let mut c = std::process::Command::new("bash");
    c.arg("-c").arg(script);
    t.apply_env(&mut c);
    let o = c.output().unwrap();
    assert_eq!(lines(&o).len(), 1);
    assert_eq!(stderr(&o), "status=0\n");
    // An error part-way with -o json: a closed, valid array, then the error. The failing page
    // is named by its offset, not counted: a late request of the run above, arriving after
    // the fault is set, would use up a count and fail the run a page early.
    t.fake.inject(
        Fault::new("/albums", FaultKind::Status(503))
            .query("offset", "150")
            .times(usize::MAX),
    );
    let mut c = t.std_cmd();
    c.args([
        "--max-retries",
        "0",
        "albums",
        "--artist",
        ARTIST_1000,
        "-o",
        "json",
    ]);
    let (out, err, status) = run_with_stalled_reader(c, Duration::from_millis(500));
    assert_eq!(status, 6, "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("a valid JSON array");
    assert_eq!(v.as_array().unwrap().len(), 150);
}

#[test]
fn a_burst_of_429s_with_retry_after_0_halves_the_concurrency_once() {
    let t = T::new();
    let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "jsonl"]);
    assert_code(&o, 0);
    t.fake.set_latency_ms(40);
    t.fake
        .inject(Fault::new("/albums", too_many("0")).skip(1).times(8));
    let o = t.run(&["-v", "albums", "--artist", ARTIST_1000, "-o", "jsonl"]);
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 1000);
    let e = stderr(&o);
    let lowered: Vec<&str> = e
        .lines()
        .filter(|l| l.contains("concurrency lowered"))
        .collect();
    assert_eq!(
        lowered,
        ["spotctl: rate limited: concurrency lowered to 4"],
        "{e}"
    );
}

/// `n` copies of `spotctl ARGS` started together while the test holds account `name`'s lock,
/// so all of them read the account and wait for the lock; their outputs.
fn together(t: &T, name: &str, n: usize, args: &[&str]) -> Vec<std::process::Output> {
    let lock = hold_lock(t, name);
    let lock_path = t.config().join("accounts").join(format!("{name}.lock"));
    let children: Vec<_> = (0..n)
        .map(|_| {
            let mut c = t.std_cmd();
            c.args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    // Every one of them has read the account and opened the lock file: they all wait on it.
    for c in &children {
        wait_for_open_file(c.id(), &lock_path);
    }
    drop(lock);
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

#[test]
fn ten_concurrent_tokens_with_30_second_tokens_make_one_refresh() {
    let t = T::new();
    t.fake.set_token_ttl_secs(30);
    t.fake.set_refresh_behavior(RefreshBehavior::Rotating);
    t.user_account("alice", "alice", "", 30);
    let outs = together(&t, "alice", 10, &["token", "-a", "alice"]);
    for o in &outs {
        assert_code(o, 0);
    }
    let first = stdout(&outs[0]);
    assert!(outs.iter().all(|o| stdout(o) == first), "one token for all");
    assert_eq!(t.fake.token_requests(), 1, "exactly one refresh request");
}

#[test]
fn concurrent_refreshes_with_a_window_beyond_the_lifetime_make_one_refresh() {
    let t = T::new();
    t.fake.set_refresh_behavior(RefreshBehavior::Rotating);
    t.user_account("alice", "alice", "", 3000);
    let outs = together(
        &t,
        "alice",
        6,
        &["refresh", "-a", "alice", "--if-expires-within", "2h"],
    );
    for o in &outs {
        assert_code(o, 0);
    }
    assert_eq!(t.fake.token_requests(), 1, "exactly one refresh request");
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 0);
}

/// Holds `<config>/accounts/NAME.lock` (as another spotctl would) until the guard is dropped.
fn hold_lock(t: &T, name: &str) -> std::fs::File {
    lock_file(&t.config().join("accounts").join(format!("{name}.lock")))
}

#[test]
fn saving_the_learned_page_size_does_not_wait_for_a_held_lock() {
    let t = T::new();
    let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "jsonl"]);
    assert_code(&o, 0);
    // Forget the learned page size, so the next run probes and learns it again.
    let name = format!("app-{CLIENT_ID}");
    let path = t.account_path(&name);
    let mut acc = read_json(&path);
    acc.as_object_mut().unwrap().remove("learned");
    write_account(&path, &acc);
    let lock = hold_lock(&t, &name);
    let started = Instant::now();
    let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "jsonl"]);
    let took = started.elapsed();
    drop(lock);
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 57);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(
        stderr(&o).contains("could not remember the page size"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_learned_page_size_never_overrides_an_explicit_limit_in_api_paginate() {
    let t = T::new();
    t.user_account("alice", "alice", "user-library-read", 3600);
    let path = t.account_path("alice");
    let mut acc = read_json(&path);
    acc["learned"] = serde_json::json!({"page_limit": 10, "page_limit_at": now()});
    write_account(&path, &acc);
    let o = t.run(&["api", "-a", "alice", "--paginate", "/me/tracks?limit=50"]);
    assert_code(&o, 0);
    let reqs = t.hits("/me/tracks");
    assert!(!reqs.is_empty());
    for r in &reqs {
        assert_eq!(r.param("limit").as_deref(), Some("50"), "{}", r.query);
    }
}

/// `spotctl ARGS` with the token endpoint on another origin than the API (`localhost` instead
/// of `127.0.0.1`, as accounts.spotify.com and api.spotify.com are).
fn run_split_origins(t: &T, args: &[&str]) -> std::process::Output {
    let mut c = t.cmd();
    c.env(
        "SPOTCTL_ACCOUNTS_BASE",
        format!("http://localhost:{}", t.fake.port()),
    );
    c.args(args).output().unwrap()
}

#[test]
fn an_api_pause_does_not_delay_the_token_request() {
    let t = T::new();
    let o = run_split_origins(&t, &["albums", "--artist", ARTIST_57, "-o", "jsonl"]);
    assert_code(&o, 0);
    t.fake.clear_log();
    // Page 2 is rate limited for 2 s; page 3 finds the token expired (401, a little late, so
    // the pause is already in force when spotctl renews the token).
    t.fake.inject(Fault::new("/albums", too_many("2")).skip(1));
    t.fake
        .inject(Fault::new("/albums", FaultKind::ExpireTokens).skip(2));
    // The late answers are the fan-out's, in flight together when the 429 comes back; the
    // pages after the pause need no delay (400 ms on all 98 of them made this test take 14 s).
    t.fake.inject(
        Fault::new("/albums", FaultKind::Latency(400))
            .skip(2)
            .times(8),
    );
    let o = run_split_origins(&t, &["albums", "--artist", ARTIST_1000, "-o", "jsonl"]);
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 1000);
    let log = t.fake.requests();
    let limited = log.iter().find(|r| r.status == 429).expect("a 429");
    let token: Vec<&Req> = log.iter().filter(|r| r.path == "/api/token").collect();
    assert_eq!(token.len(), 1, "one renewal");
    let delay = token[0].at_ms.saturating_sub(limited.done_ms);
    assert!(
        delay < 1000,
        "token request sent {delay} ms after the API's 429 (its Retry-After is 2 s)"
    );
}

#[test]
fn a_token_endpoint_429_does_not_slow_the_api() {
    let t = T::new();
    t.fake.inject(Fault::new("/api/token", too_many("0")));
    t.fake.set_latency_ms(30);
    let o = run_split_origins(&t, &["albums", "--artist", ARTIST_1000, "-o", "jsonl"]);
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 1000);
    assert_eq!(t.fake.token_requests(), 2, "the 429, then the token");
    let peak = max_in_flight(&t.hits("/albums"));
    assert_eq!(peak, 8, "the API keeps its concurrency of 8");
}

#[test]
fn api_post_answered_2xx_without_json_is_success_and_prints_the_body() {
    let t = T::new();
    t.user_account("alice", "alice", "playlist-modify-private", 3600);
    t.fake.inject(Fault::new(
        "/me/playlists",
        FaultKind::Text(201, "Created".into()),
    ));
    let o = post_playlist(&t, r#"{"name":"x"}"#);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "Created\n");
    assert_eq!(stderr(&o), "");
    assert_eq!(t.hits("/me/playlists").len(), 1);
}

#[test]
fn a_form_file_over_16_mib_is_a_usage_error_before_any_request() {
    let t = T::new();
    t.user_account("alice", "alice", "playlist-modify-private", 3600);
    let big = t.dir.path().join("big.txt");
    std::fs::write(&big, vec![b'a'; (16 << 20) + 1]).unwrap();
    let arg = format!("text=@{}", big.display());
    let o = t.run(&[
        "api",
        "-a",
        "alice",
        "-X",
        "POST",
        "/me/playlists",
        "--form",
        &arg,
    ]);
    assert_code(&o, 2);
    let e = stderr(&o);
    assert!(e.starts_with("spotctl: --form text: "), "{e}");
    assert!(e.contains("16 MiB"), "{e}");
    assert_eq!(t.fake.api_requests(), 0);
    // Exactly 16 MiB is still sent.
    std::fs::write(&big, vec![b'a'; 16 << 20]).unwrap();
    let o = t.run(&[
        "api",
        "-a",
        "alice",
        "-X",
        "POST",
        "/me/playlists",
        "--form",
        &arg,
    ]);
    assert_ne!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(t.fake.api_requests(), 1);
}

#[test]
fn a_closed_stderr_never_panics() {
    let t = T::new();
    // stderr closed outright (`2>&-`).
    let bin = env!("CARGO_BIN_EXE_spotctl");
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg(format!("'{bin}' token -a nope 2>&-; echo \"status=$?\""));
    t.apply_env(&mut c);
    let o = c.output().unwrap();
    assert_eq!(stdout(&o), "status=3\n");
    // stderr a pipe nobody reads any more (`2>&1 | head -1`): every account still refreshed.
    for n in ["a1", "a2", "a3", "a4", "a5"] {
        t.user_account(n, n, "", 3600);
    }
    let (r, w) = std::io::pipe().unwrap();
    drop(r);
    let o = t
        .std_cmd()
        .args(["-vv", "refresh", "--all"])
        .stderr(w)
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert_eq!(t.fake.token_requests(), 5);
}

#[test]
fn an_output_error_other_than_a_closed_pipe_is_exit_7_with_its_cause() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = t
        .std_cmd()
        .args(["token", "-a", "alice"])
        .stdout(full)
        .output()
        .unwrap();
    assert_code(&o, 7);
    let e = stderr(&o);
    assert!(e.starts_with("spotctl: cannot write the output: "), "{e}");
    assert!(e.contains("No space left on device"), "{e}");
    assert!(!e.contains("internal error"), "{e}");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = t
        .std_cmd()
        .args(["albums", "--artist", ARTIST_57, "-o", "jsonl"])
        .stdout(full)
        .output()
        .unwrap();
    assert_code(&o, 7);
    assert!(
        stderr(&o).contains("No space left on device"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn json_output_after_a_first_page_failure_is_the_same_for_every_listing_command() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let path_57 = format!("/artists/{ARTIST_57}/albums");
    let cases: [&[&str]; 3] = [
        &["albums", "--artist", ARTIST_57],
        &["search", "taeyeon", "--type", "album,track"],
        &["api", "-a", "alice", "--paginate", &path_57],
    ];
    for args in cases {
        t.fake.clear_faults();
        t.fake
            .inject(Fault::new("/v1/", FaultKind::Status(503)).times(usize::MAX));
        let mut a = vec!["--max-retries", "0", "-o", "json"];
        a.extend_from_slice(args);
        let o = t.run(&a);
        assert_code(&o, 6);
        assert_eq!(
            stdout(&o),
            "",
            "{args:?}: nothing on stdout when nothing was written"
        );
    }
}

#[test]
fn api_paginate_stopped_part_way_says_which_url_to_continue_from() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let path = format!("/artists/{ARTIST_57}/albums?limit=10");
    t.fake.inject(broken_after("/albums", 2, 503));
    let o = t.run(&[
        "--max-retries",
        "0",
        "--concurrency",
        "1",
        "api",
        "-a",
        "alice",
        "--paginate",
        &path,
    ]);
    assert_code(&o, 6);
    assert_eq!(jsonl(&o).len(), 20);
    let e = stderr(&o);
    assert!(!e.contains("--offset"), "api has no --offset: {e}");
    let want = format!(
        "{}/artists/{ARTIST_57}/albums?offset=20&limit=10",
        t.fake.api_base()
    );
    assert!(
        e.contains(&format!(
            "continue with `spotctl -a alice api --paginate '{want}'`"
        )),
        "{e}"
    );
    // The hint works: the rest of the listing, nothing twice.
    t.fake.clear_faults();
    let o = t.run(&["api", "-a", "alice", "--paginate", &want]);
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 37);
}

#[test]
fn a_backup_left_linked_to_the_account_by_a_killed_save_leaves_no_temporary_file() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let path = t.account_path("alice");
    let bak = t.config().join("accounts").join("alice.json.bak");
    // What a save killed between replacing the backup and replacing the file leaves.
    std::fs::hard_link(&path, &bak).unwrap();
    let before = std::fs::read(&path).unwrap();
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 0);
    let files: Vec<String> = std::fs::read_dir(t.config().join("accounts"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with('.'))
        .collect();
    assert!(files.is_empty(), "no temporary files left: {files:?}");
    assert_eq!(
        std::fs::read(&bak).unwrap(),
        before,
        ".bak holds the previous version"
    );
}

/// Logs in as account `b` through a `$BROWSER` script and the loopback callback, with stdin
/// the file `input` (a dup sharing its offset) and `extra` arguments; returns how far spotctl
/// read stdin.
#[cfg(unix)]
fn login_through_the_browser_with_stdin(t: &T, extra: &[&str]) -> u64 {
    use std::io::Seek;
    let seen = t.dir.path().join("browser-url");
    let _ = std::fs::remove_file(&seen);
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
    let input = t.dir.path().join("names.txt");
    std::fs::write(&input, "alice\nbob\n").unwrap();
    let mut file = std::fs::File::open(&input).unwrap();
    let mut c = t.std_cmd();
    c.env("BROWSER", &browser)
        .env("DISPLAY", ":0")
        .args([
            "login",
            "-a",
            "b",
            "--wait",
            "20",
            "--redirect-uri",
            "http://127.0.0.1/callback",
        ])
        .args(extra)
        .stdin(file.try_clone().unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    // The URL is on stderr in both cases; the callback is answered once spotctl says it is
    // waiting (the readiness line a person sees), by which time it reads stdin if it ever will.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut url = String::new();
    let mut seen_err = String::new();
    loop {
        let mut line = String::new();
        let n = std::io::BufRead::read_line(&mut err, &mut line).unwrap();
        assert!(n > 0, "spotctl said it is waiting: {seen_err}");
        seen_err.push_str(&line);
        if line.starts_with("http") {
            url = line.trim().to_string();
        }
        if line.starts_with("spotctl: waiting up to") {
            break;
        }
    }
    assert!(!url.is_empty(), "spotctl printed the URL: {seen_err}");
    let drain = std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    let loc = t.fake.authorize_location(&url).unwrap();
    assert_eq!(http_get(&loc).0, 200);
    assert!(child.wait().unwrap().success());
    drain.join().unwrap().unwrap();
    file.stream_position().unwrap()
}

// $BROWSER as a shell script.
#[cfg(unix)]
#[test]
fn login_leaves_stdin_alone_unless_it_is_a_terminal_or_no_browser_says_so() {
    let t = T::new();
    assert_eq!(
        login_through_the_browser_with_stdin(&t, &[]),
        0,
        "a browser login does not read a piped stdin"
    );
    assert!(
        login_through_the_browser_with_stdin(&t, &["--no-browser"]) > 0,
        "--no-browser reads a pasted address from stdin"
    );
    let o = t.run(&["login", "--help"]);
    let help = stdout(&o);
    assert!(help.contains("stdin"), "{help}");
}

#[test]
fn if_expires_within_beyond_i64_seconds_still_refreshes() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let o = t.run(&[
        "refresh",
        "-a",
        "alice",
        "--if-expires-within",
        "10000000000000000000",
    ]);
    assert_code(&o, 0);
    assert_eq!(
        t.fake.token_requests(),
        1,
        "a window longer than any token refreshes"
    );
}

#[test]
fn a_multi_type_search_fetches_each_page_once_for_all_types() {
    let t = T::with(Mode::Extended);
    // Each type on its own: the items a combined run must print, in the same order.
    let mut want = Vec::new();
    for ty in ["album", "track"] {
        let o = t.run(&["search", "o", "--type", ty, "--limit", "300", "-o", "jsonl"]);
        assert_code(&o, 0);
        want.extend(jsonl(&o));
    }
    t.fake.clear_log();
    let o = t.run(&[
        "search",
        "o",
        "--type",
        "album,track",
        "--limit",
        "300",
        "-o",
        "jsonl",
    ]);
    assert_code(&o, 0);
    let got = jsonl(&o);
    assert_eq!(got.len(), want.len());
    assert!(got == want, "the same items in the same order");
    let reqs = t.hits("/search");
    assert_eq!(
        reqs.len(),
        6,
        "one request per offset for both types: {:?}",
        reqs.iter().map(|r| r.query.clone()).collect::<Vec<_>>()
    );
}

#[test]
fn the_resume_offset_counts_positions_read_not_items_written() {
    let t = T::new();
    let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "jsonl"]);
    assert_code(&o, 0);
    let all = ids(&jsonl(&o));
    t.fake.clear_log();
    // Page 2 (offset 10) holds 2 nulls and 8 albums; page 3 fails.
    t.fake
        .inject(Fault::new("/albums", FaultKind::NullItems(2)).skip(1));
    t.fake.inject(broken_after("/albums", 2, 503));
    let o = t.run(&[
        "--max-retries",
        "0",
        "--concurrency",
        "1",
        "albums",
        "--artist",
        ARTIST_57,
        "-o",
        "jsonl",
    ]);
    assert_code(&o, 6);
    assert_eq!(jsonl(&o).len(), 18);
    let e = stderr(&o);
    assert!(e.contains("rerun with --offset 20 to resume"), "{e}");
    // Resuming there repeats nothing.
    t.fake.clear_faults();
    let o = t.run(&[
        "albums", "--artist", ARTIST_57, "--offset", "20", "-o", "jsonl",
    ]);
    assert_code(&o, 0);
    assert_eq!(ids(&jsonl(&o)), all[20..].to_vec());
}

#[cfg(unix)]
#[test]
fn a_full_disk_during_a_rotating_refresh_keeps_a_working_refresh_token() {
    let t = T::new();
    t.fake.set_refresh_behavior(RefreshBehavior::Rotating);
    t.user_account("alice", "alice", "", 10);
    let Some(disk) = FullDisk::new(&t, "alice") else {
        return;
    };
    let mnt = disk.dir.clone();
    let path = disk.account_path("alice");
    let before = std::fs::read(&path).unwrap();
    let refresh = || {
        t.cmd()
            .env("SPOTCTL_CONFIG_DIR", &mnt)
            .args(["refresh", "-a", "alice"])
            .output()
            .unwrap()
    };
    let o = refresh();
    assert_code(&o, 7);
    assert!(
        stderr(&o).contains("No space left on device"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(
        t.fake.token_requests(),
        0,
        "nothing spent before the write is sure"
    );
    // Space again: the stored refresh token still works.
    disk.free();
    let o = refresh();
    assert_code(&o, 0);
}
