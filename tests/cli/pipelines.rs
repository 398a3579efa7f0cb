//! Many artists in one run (issue 10): one concurrency budget for all listings with bounded
//! look-ahead, output in input order, streamed stdin, batch failures with line numbers and a
//! summary, artists as arguments, and `--rate` against the fake's quota mode. Checked by what
//! the fake saw (request start times, requests in flight), not by wall time.

use crate::common::*;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

fn warm(t: &T) {
    assert_code(&t.run(&["albums", "--artist", ARTIST_EMPTY]), 0);
    t.fake.clear_log();
}

/// The artist part of each album name ("Small 07 Album 0003" → "Small 07"), in output order,
/// with repeats collapsed: the order the artists came out in.
fn artist_order(o: &std::process::Output) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in jsonl(o) {
        let name = v["name"].as_str().unwrap();
        let artist = name.split(" Album ").next().unwrap().to_string();
        if out.last() != Some(&artist) {
            out.push(artist);
        }
    }
    out
}

fn stdin_run(t: &T, input: &str, extra: &[&str]) -> std::process::Output {
    t.cmd()
        .args(["albums", "--artist", "-", "-o", "jsonl"])
        .args(extra)
        .write_stdin(input.to_string())
        .output()
        .unwrap()
}

#[test]
fn thirty_one_small_artists_fill_the_whole_budget_and_come_out_in_input_order() {
    let t = T::new();
    warm(&t);
    t.fake.set_latency_ms(40);
    // 31 artists, 32 pages at Development Mode's 10: the first has 12 albums.
    let names: Vec<String> = (0..31).map(|i| format!("Small {i:02}")).collect();
    let ids: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| t.fake.add_artist(n, if i == 0 { 12 } else { 1 + i % 7 }))
        .collect();
    let o = stdin_run(&t, &(ids.join("\n") + "\n"), &[]);
    assert_code(&o, 0);
    assert_eq!(artist_order(&o), names, "output in input order");
    let reqs = t.hits("/albums");
    assert_eq!(reqs.len(), 32, "one request per page");
    // The budget is shared: the next artists' first pages fill every free slot, not two.
    assert_eq!(max_in_flight(&reqs), 8, "8 in flight at once, never more");
}

#[test]
fn listings_ahead_of_a_stalled_one_are_bounded() {
    let t = T::new();
    warm(&t);
    let head = t.fake.add_artist("Slow Head", 15);
    // The head's second page takes 1.5 s; 60 one-album artists wait behind it.
    t.fake
        .inject(Fault::new(&format!("/artists/{head}/albums"), FaultKind::Latency(1500)).skip(1));
    let rest: Vec<String> = (0..60)
        .map(|i| t.fake.add_artist(&format!("Tail {i:02}"), 1))
        .collect();
    let input = format!("{head}\n{}\n", rest.join("\n"));
    let o = stdin_run(&t, &input, &[]);
    assert_code(&o, 0);
    assert_eq!(artist_order(&o).len(), 61);
    let reqs = t.hits("/albums");
    let stalled_done = reqs
        .iter()
        .filter(|r| r.path.contains(&head))
        .map(|r| r.done_ms)
        .max()
        .unwrap();
    let ahead = reqs
        .iter()
        .filter(|r| !r.path.contains(&head) && r.at_ms < stalled_done.saturating_sub(200))
        .count();
    // 4 × --concurrency pages may wait ahead of the output, no more: memory stays bounded
    // however many artists follow.
    assert!(
        ahead >= 20,
        "the budget is used while the head stalls: {ahead}"
    );
    assert!(ahead <= 32, "at most 32 pages held ahead: {ahead}");
}

#[test]
fn a_batch_goes_on_past_404_403_and_bad_lines_with_their_line_numbers_and_a_summary() {
    let t = T::new();
    warm(&t);
    let good = t.fake.add_artist("Good", 3);
    let big = t.fake.add_artist("Big", 25);
    let forbidden = t.fake.add_artist("Forbidden", 2);
    t.fake.inject(
        Fault::new(
            &format!("/artists/{forbidden}/albums"),
            FaultKind::Status(403),
        )
        .times(99),
    );
    let unknown = "0UnknownArtistAAAAAAAA";
    let input = format!("{good}\n{unknown}\n\nnot-an-id\n{forbidden}\n{big}\n");
    let o = stdin_run(&t, &input, &[]);
    assert_code(&o, 4);
    assert_eq!(
        artist_order(&o),
        vec!["Good", "Big"],
        "the others completed"
    );
    assert_eq!(jsonl(&o).len(), 3 + 25);
    let e = stderr(&o);
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 4, "{e}");
    assert!(
        lines[0].starts_with(&format!(
            "spotctl: artist {unknown} (stdin line 2): GET /v1/artists/{unknown}/albums: 404 "
        )),
        "{e}"
    );
    assert_eq!(
        lines[1],
        "spotctl: stdin line 4: \"not-an-id\" is not a Spotify ID: expected 22 letters and digits, got 9 characters"
    );
    assert!(
        lines[2].starts_with(&format!(
            "spotctl: artist {forbidden} (stdin line 5): GET /v1/artists/{forbidden}/albums: 403 "
        )),
        "{e}"
    );
    assert_eq!(lines[3], "spotctl: 3 of 5 artists failed");
}

#[test]
fn fail_fast_stops_at_the_first_failing_artist() {
    let t = T::new();
    warm(&t);
    let good = t.fake.add_artist("Good", 3);
    let after = t.fake.add_artist("After", 3);
    let unknown = "0UnknownArtistAAAAAAAA";
    let o = t.run(&[
        "albums",
        &good,
        unknown,
        &after,
        "-o",
        "jsonl",
        "--fail-fast",
    ]);
    assert_code(&o, 4);
    assert_eq!(
        artist_order(&o),
        vec!["Good"],
        "nothing after the failure is written"
    );
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 2, "{e}");
    assert!(
        e.ends_with(&format!(
            "spotctl: stopped at artist {unknown} (--fail-fast); the artists after it were skipped; 1 of 2 artists failed\n"
        )),
        "{e}"
    );
}

#[test]
fn the_network_gone_stops_the_whole_batch_with_the_resume_point() {
    let t = T::new();
    warm(&t);
    let first = t.fake.add_artist("First", 3);
    let down = t.fake.add_artist("Down", 3);
    let last = t.fake.add_artist("Last", 3);
    // No answer at all (a 5xx would be that artist's failure only: see engine_batch.rs).
    t.fake.inject(
        Fault::new(
            &format!("/artists/{down}/albums"),
            FaultKind::ResetBeforeStatus,
        )
        .times(99),
    );
    let input = format!("{first}\n{down}\n{last}\n");
    let o = stdin_run(&t, &input, &["--max-retries", "0"]);
    assert_code(&o, 6);
    assert_eq!(artist_order(&o), vec!["First"]);
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 2, "{e}");
    assert!(
        e.ends_with(&format!(
            "spotctl: stopped at artist {down} (stdin line 2) (the rest would fail the same way); the artists after it were skipped; 1 of 2 artists failed\n"
        )),
        "{e}"
    );
}

#[test]
fn refresh_all_skips_the_accounts_of_a_token_endpoint_that_is_gone() {
    let t = T::new();
    t.user_account("a", "alice", "", 10);
    t.user_account("b", "bob", "", 10);
    t.fake.clear_log();
    t.fake
        .inject(Fault::new("/api/token", FaultKind::Status(503)).times(99));
    let o = t.run(&["refresh", "--all", "--max-retries", "0"]);
    assert_code(&o, 6);
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 3, "{e}");
    assert!(e.starts_with("spotctl: a: "), "{e}");
    assert!(
        e.contains(&format!(
            "spotctl: b: not tried: its token endpoint {} just failed for a\n",
            t.fake.accounts_base()
        )),
        "{e}"
    );
    assert!(e.ends_with("spotctl: 2 of 2 accounts failed\n"), "{e}");
    assert_eq!(t.fake.token_requests(), 1, "b was not tried");
}

#[test]
fn refresh_all_still_refreshes_the_accounts_of_another_token_endpoint() {
    let t = T::new();
    let other = FakeSpotify::start_with(Mode::Dev2026);
    // "a" lives on the fake that is down, "b" on another one that is up.
    t.user_account("a", "alice", "", 10);
    t.user_account("b", "bob", "", 10);
    let tokens = other.issue_user_tokens("bob", "", false);
    let path = t.account_path("b");
    let mut acc = read_json(&path);
    acc["token_url"] = format!("{}/api/token", other.accounts_base()).into();
    acc["api_base"] = other.api_base().into();
    acc["refresh_token"] = tokens.refresh_token.clone().into();
    write_account(&path, &acc);
    t.fake
        .inject(Fault::new("/api/token", FaultKind::Status(503)).times(99));
    let o = t
        .cmd()
        .env_remove("SPOTCTL_ACCOUNTS_BASE")
        .env_remove("SPOTCTL_API_BASE")
        .args(["refresh", "--all", "--max-retries", "0"])
        .output()
        .unwrap();
    assert_code(&o, 6);
    let e = stderr(&o);
    assert!(e.starts_with("spotctl: a: "), "{e}");
    assert!(e.ends_with("spotctl: 1 of 2 accounts failed\n"), "{e}");
    assert_eq!(
        other.token_requests(),
        1,
        "b, on a healthy endpoint, was refreshed"
    );
    assert_ne!(read_json(&path)["access_token"], acc["access_token"]);
}

#[test]
fn artists_as_arguments_repeated_flags_and_comma_lists_in_order_each_fetched_once() {
    let t = T::new();
    warm(&t);
    let [a, b, c, d] = ["Arg A", "Arg B", "Arg C", "Arg D"].map(|n| t.fake.add_artist(n, 2));
    let bc = format!("{b},spotify:artist:{c}");
    let o = t.run(&[
        "albums", &a, &bc, "--artist", &d, "--artist", &a, "-o", "jsonl",
    ]);
    assert_code(&o, 0);
    assert_eq!(artist_order(&o), vec!["Arg A", "Arg B", "Arg C", "Arg D"]);
    assert_eq!(t.hits(&a).len(), 1, "a repeated artist is fetched once");
    // And `-` mixes with them.
    t.fake.clear_log();
    let o = t
        .cmd()
        .args(["albums", &d, "--artist", "-", "-o", "jsonl"])
        .write_stdin(format!("{a}\n{d}\n"))
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert_eq!(artist_order(&o), vec!["Arg D", "Arg A"]);
}

#[test]
fn stdin_is_streamed_the_first_artist_comes_out_before_the_producer_ends() {
    let t = T::new();
    warm(&t);
    let first = t.fake.add_artist("Early Bird", 3);
    let second = t.fake.add_artist("Late Comer", 2);
    let mut child = t
        .std_cmd()
        .args(["albums", "--artist", "-", "-o", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    // The producer writes one line and waits (stdin stays open).
    writeln!(stdin, "{first}").unwrap();
    stdin.flush().unwrap();
    let got: Vec<String> = (0..3)
        .map(|_| {
            rx.recv_timeout(Duration::from_secs(20))
                .expect("the first artist's albums came out while stdin was still open")
        })
        .collect();
    assert!(got.iter().all(|l| l.contains("Early Bird")), "{got:?}");
    // Then it writes more and ends.
    writeln!(stdin, "{second}").unwrap();
    drop(stdin);
    let rest: Vec<String> = rx.iter().collect();
    assert_eq!(rest.len(), 2);
    assert!(rest.iter().all(|l| l.contains("Late Comer")), "{rest:?}");
    assert!(child.wait().unwrap().success());
}

#[test]
fn rate_spaces_request_starts_and_verbose_says_it_limits_the_run() {
    let t = T::new();
    warm(&t);
    let artist = t.fake.add_artist("Paced", 60);
    let o = t.run(&["albums", &artist, "-o", "jsonl", "--rate", "20/s", "-v"]);
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 60);
    let mut starts: Vec<u64> = t.hits("/albums").iter().map(|r| r.at_ms).collect();
    starts.sort();
    assert_eq!(starts.len(), 6);
    // 20/s: one start every 50 ms, not 8 at once (the fan-out after the first page). The
    // first page's arrival also carries the first connection's setup, so spacing is checked
    // from the second start on; arrival times jitter on a loaded machine, so each gap need only
    // be half the interval (the eight unpaced starts of the fan-out are a few ms apart), and
    // the span is checked in full.
    for w in starts[1..].windows(2) {
        assert!(w[1] - w[0] >= 25, "starts {starts:?}");
    }
    assert!(starts[5] - starts[1] >= 4 * 50 - 10, "starts {starts:?}");
    assert!(
        stderr(&o).contains("--rate 20/s: the rate cap is what limits this run"),
        "{}",
        stderr(&o)
    );
    // SPOTCTL_RATE does the same; a bad value is a usage error before any request.
    t.fake.clear_log();
    let o = t
        .cmd()
        .args(["albums", &artist])
        .env("SPOTCTL_RATE", "fast")
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).starts_with("spotctl: --rate \"fast\" is not a rate"),
        "{}",
        stderr(&o)
    );
    assert!(t.fake.requests().is_empty());
}

#[test]
fn a_rate_just_under_the_quota_never_meets_a_429_and_without_it_the_crawl_does() {
    let t = T::new();
    warm(&t);
    // 14 pages; the app may make 5 requests in any rolling half second (the quota scaled to
    // take half the time: 5 a second with --rate 4/s took 6 s under load).
    let artist = t.fake.add_artist("Crawl", 140);
    t.fake.set_quota(5, Duration::from_millis(500));
    let o = t.run(&["albums", &artist, "-o", "jsonl"]);
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 140);
    let refused = t.hits("/albums").iter().filter(|r| r.status == 429).count();
    assert!(refused > 0, "without --rate the crawl runs into the quota");

    // A fresh window (the same quota with no starts in it), as half a second's wait would
    // leave it.
    t.fake.set_quota(5, Duration::from_millis(500));
    t.fake.clear_log();
    let o = t
        .cmd()
        .args(["albums", &artist, "-o", "jsonl"])
        .env("SPOTCTL_RATE", "8/s")
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 140);
    let reqs = t.hits("/albums");
    assert_eq!(reqs.iter().filter(|r| r.status == 429).count(), 0);
    assert_eq!(reqs.len(), 14, "one request per page");
    // The fake's start log: no rolling half second ever held more than the quota's 5 starts.
    let starts: Vec<u64> = reqs.iter().map(|r| r.at_ms).collect();
    for &s in &starts {
        let in_window = starts.iter().filter(|&&x| x >= s && x < s + 500).count();
        assert!(in_window <= 5, "starts {starts:?}");
    }
}

#[test]
fn multi_page_artists_in_development_mode_keep_the_slots_busy() {
    let t = T::new();
    warm(&t);
    // 200 ms a response: spotctl's own work per page (a few ms, tens of ms on a loaded machine
    // running 8 tests at once) stays small beside it, so the average measures the scheduling,
    // not the CPU left over (at 50 ms it fell to 5.1 under load on the original code).
    t.fake.set_latency_ms(200);
    // 60 artists of 1–23 albums: 102 pages of 10, a third of the artists with 2 or 3 pages.
    let ids: Vec<String> = (0..60)
        .map(|i| {
            t.fake
                .add_artist(&format!("Synth {i:03}"), 1 + (i * 7919 + 3) % 23)
        })
        .collect();
    let o = stdin_run(&t, &(ids.join("\n") + "\n"), &[]);
    assert_code(&o, 0);
    assert_eq!(artist_order(&o).len(), 60);
    let reqs = t.hits("/albums");
    assert_eq!(reqs.len(), 102, "one request per page");
    // Requests in flight on average, from the fake's log: a head whose later pages are still
    // on their way must not starve the slots (counting the budget in pages, this was 5.2).
    let t0 = reqs.iter().map(|r| r.at_ms).min().unwrap();
    let t1 = reqs.iter().map(|r| r.done_ms).max().unwrap();
    let busy: u64 = reqs.iter().map(|r| r.done_ms - r.at_ms).sum();
    let avg = busy as f64 / (t1 - t0) as f64;
    assert!(avg >= 6.0, "{avg:.2} requests in flight on average");
    assert!(max_in_flight(&reqs) <= 8);
}
