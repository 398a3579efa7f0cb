//! Edges found by a review of the merged features (batches × sessions × output × terminals):
//! each test reproduces what a user saw before the fix.

use crate::common::*;
use std::time::Duration;

fn make_token_stale(t: &T, name: &str) {
    let path = t.account_path(name);
    let mut acc = read_json(&path);
    acc["access_token"] = "garbage-that-the-fake-refuses".into();
    write_account(&path, &acc);
}

#[test]
fn a_revoked_refresh_token_is_asked_once_per_run_not_once_per_artist() {
    let t = T::new();
    t.user_account("u", "alice", "", 3600);
    make_token_stale(&t, "u");
    t.fake.revoke_refresh_tokens();
    t.fake.clear_log();
    let o = t
        .cmd()
        .args(["-a", "u", "albums", "--artist", "-", "-o", "jsonl"])
        .write_stdin(format!("{ARTIST_57}\n{ARTIST_1000}\n{ARTIST_EMPTY}\n"))
        .output()
        .unwrap();
    assert_code(&o, 3);
    assert_eq!(stdout(&o), "");
    assert_eq!(
        t.fake.token_requests(),
        1,
        "invalid_grant is never retried (SPEC §2)"
    );
    let e = stderr(&o);
    assert_eq!(
        e.matches("invalid_grant").count(),
        1,
        "one line about the refused login, then the batch stops: {e}"
    );
    assert!(
        e.contains("the rest would fail the same way"),
        "the batch stops at the first artist: {e}"
    );
}

#[test]
fn a_batch_where_every_artist_failed_prints_no_empty_array_and_no_nothing_found() {
    let t = T::new();
    let unknown = ["0UnknownArtistAAAAAAAA", "1UnknownArtistAAAAAAAA"];
    let one = t.run(&["albums", unknown[0], "-o", "json"]);
    assert_code(&one, 4);
    assert_eq!(stdout(&one), "", "one artist: nothing on stdout");
    for fmt in ["json", "table"] {
        let o = t.run(&["albums", unknown[0], unknown[1], "-o", fmt]);
        assert_code(&o, 4);
        assert_eq!(stdout(&o), "", "{fmt}: an error is not an empty result");
        assert!(!stderr(&o).contains("nothing found"), "{}", stderr(&o));
        assert!(
            stderr(&o).ends_with("spotctl: 2 of 2 artists failed\n"),
            "{}",
            stderr(&o)
        );
    }
    // A batch where one artist worked still closes its array.
    let o = t.run(&["albums", unknown[0], ARTIST_57, "-o", "json"]);
    assert_code(&o, 4);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(57));
}

#[test]
fn the_api_paginate_resume_hint_names_the_account_it_ran_as() {
    let t = T::new();
    t.user_account("bob", "bob", "", 3600);
    t.fake.inject(
        Fault::new("/albums", FaultKind::Status(503))
            .skip(1)
            .times(usize::MAX),
    );
    let path = format!("/artists/{ARTIST_57}/albums?limit=10");
    let o = t.run(&[
        "--max-retries",
        "0",
        "--concurrency",
        "1",
        "-a",
        "bob",
        "api",
        "--paginate",
        &path,
    ]);
    assert_code(&o, 6);
    let want = format!(
        "continue with `spotctl -a bob api --paginate '{}/artists/{ARTIST_57}/albums?offset=10&limit=10'`",
        t.fake.api_base()
    );
    assert!(stderr(&o).contains(&want), "{}", stderr(&o));
}

#[test]
fn accounts_never_print_an_account_files_escape_sequences() {
    let t = T::new();
    t.user_account("evil", "alice", "", 3600);
    let path = t.account_path("evil");
    let mut acc = read_json(&path);
    acc["provider"] = "\u{1b}]52;c;aGVsbG8=\u{7}\u{1b}[31mRED\u{9b}2J".into();
    write_account(&path, &acc);
    for fmt in ["table", "tsv", "jsonl"] {
        let o = t.run(&["accounts", "-o", fmt]);
        assert_code(&o, 7);
        let e = stderr(&o);
        assert!(
            !e.chars()
                .any(|c| c == '\u{1b}' || c == '\u{7}' || c == '\u{9b}'),
            "{fmt}: raw control characters on stderr: {e:?}"
        );
        assert!(e.contains("evil.json"), "{fmt}: names the file: {e}");
    }
}

#[test]
fn pretty_json_on_a_terminal_keeps_its_lines_when_a_value_needs_escaping() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    t.fake.set_display_name("alice", Some("a\u{202e}b"));
    let mut c = std::process::Command::new("script");
    c.args(["-qec"])
        .arg(format!(
            "'{}' api -a alice /me",
            env!("CARGO_BIN_EXE_spotctl")
        ))
        .arg("/dev/null");
    t.apply_env(&mut c);
    c.env("TERM", "dumb");
    let o = c.output().expect("script(1) from util-linux");
    let text = String::from_utf8_lossy(&o.stdout).replace("\r\n", "\n");
    assert!(
        text.starts_with("{\n  \""),
        "pretty JSON, one member per line: {text:?}"
    );
    assert!(text.contains(r#""display_name": "a\u202eb""#), "{text:?}");
    assert!(!text.contains(r"\u000a"), "{text:?}");
}

#[test]
fn rate_never_delays_a_token_request_behind_queued_api_starts() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    make_token_stale(&t, "alice");
    t.fake.clear_log();
    // 2 requests a second: the first API request and the token request it needs after its 401
    // must not queue behind each other in the bucket (the token request runs under the lock).
    let started = std::time::Instant::now();
    let o = t
        .cmd()
        .timeout(Duration::from_secs(30))
        .args(["--rate", "2/s", "-a", "alice", "api", "/me"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let reqs = t.fake.requests();
    let token = reqs
        .iter()
        .find(|r| r.path.ends_with("/api/token"))
        .expect("a token request");
    let first = reqs.first().unwrap();
    assert!(
        token.at_ms - first.at_ms < 300,
        "the token request went out {} ms after the 401",
        token.at_ms - first.at_ms
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn stdin_with_only_bad_lines_sends_nothing_and_creates_no_account() {
    let t = T::new();
    t.fake.clear_log();
    let o = t
        .cmd()
        .args(["albums", "-", "-o", "json"])
        .write_stdin("bogus\nalso-bogus\n")
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_eq!(stdout(&o), "", "no `[]`: nothing was listed");
    let e = stderr(&o);
    assert!(e.starts_with("spotctl: stdin line 1: "), "{e}");
    assert!(e.contains("spotctl: stdin line 2: "), "{e}");
    assert!(e.ends_with("spotctl: 2 of 2 artists failed\n"), "{e}");
    assert!(t.fake.requests().is_empty(), "{:?}", t.fake.requests());
    let accounts = t.config().join("accounts");
    let files: Vec<_> = std::fs::read_dir(&accounts)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(files.is_empty(), "no app account created: {files:?}");
    // A bad line before a good one is still reported in its place, and the good one listed.
    let o = t
        .cmd()
        .args(["albums", "-", "-o", "tsv"])
        .write_stdin(format!("bogus\n{ARTIST_57}\n"))
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_eq!(lines(&o).len(), 57);
    assert!(
        stderr(&o).starts_with("spotctl: stdin line 1: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_broken_answer_for_one_artist_does_not_stop_the_batch() {
    let t = T::new();
    let next = t.fake.add_artist("After The Loop", 3);
    // ARTIST_57's listing loops (its third page's `next` points back at the first).
    t.fake
        .inject(Fault::new(ARTIST_57, FaultKind::NoTotal).times(usize::MAX));
    t.fake.inject(
        Fault::new(ARTIST_57, FaultKind::LoopingNext(0))
            .skip(2)
            .times(usize::MAX),
    );
    let o = t
        .cmd()
        .timeout(Duration::from_secs(20))
        .args(["albums", ARTIST_57, &next, "-o", "tsv"])
        .output()
        .unwrap();
    assert_code(&o, 6);
    let out = stdout(&o);
    assert_eq!(
        out.lines().filter(|l| l.contains("After The Loop")).count(),
        3,
        "the next artist is still listed: {out}"
    );
    let e = stderr(&o);
    assert!(e.contains("stopping instead of looping"), "{e}");
    assert!(!e.contains("the rest would fail the same way"), "{e}");
    assert!(e.ends_with("spotctl: 1 of 2 artists failed\n"), "{e}");
}
