//! Real Spotify shapes (facts §9) and hostile servers (issue 8): every numbered finding of the
//! issue has a test here that asserts what a user sees — output, exit code, message — and what
//! the fake received. None of them may loop, truncate silently or write raw control characters
//! to a terminal.

use crate::common::*;
use std::time::{Duration, Instant};

const ALBUMS: &str = "/albums";
/// Matches 1000 albums, "Big Catalog Album 0001".. in order.
const BIG: &str = "Big Catalog";

fn raw(status: u16, headers: &[(&str, &str)], body: &str) -> FaultKind {
    FaultKind::Raw {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.to_string(),
    }
}

fn names(o: &std::process::Output) -> Vec<String> {
    jsonl(o)
        .iter()
        .map(|v| v["name"].as_str().unwrap_or("").to_string())
        .collect()
}

fn app_account(t: &T) -> serde_json::Value {
    read_json(&t.account_path(&format!("app-{CLIENT_ID}")))
}

/// The characters no terminal may receive raw from a server or a file: ESC (CSI, OSC 52), CR,
/// BEL, C1 CSI, DEL, bidi overrides and isolates, line/paragraph separators.
const HOSTILE: &[char] = &[
    '\u{1b}', '\r', '\u{7}', '\u{9b}', '\u{7f}', '\u{202e}', '\u{2066}', '\u{2028}', '\u{2029}',
];

#[track_caller]
fn assert_no_raw_controls(what: &str, text: &str) {
    for c in HOSTILE {
        assert!(
            !text.contains(*c),
            "{what} has a raw U+{:04X}:\n{text:?}",
            *c as u32
        );
    }
}

/// Everything hostile at once: an OSC 52 clipboard write, a CSI that clears the screen, CR, C1
/// CSI, DEL, a bidi override and a line separator.
const EVIL: &str = "x\u{1b}]52;c;SGVsbG8=\u{7}\u{1b}[2J\rY\u{9b}31m\u{7f}\u{202e}Z\u{2028}W";

// ---- 1. null items are positions ----

#[test]
fn a_page_of_null_items_is_not_the_end_of_a_search() {
    let t = T::new();
    // The second page (offset 10) is all nulls, as Spotify sometimes sends.
    t.fake
        .inject(Fault::new("/search", FaultKind::NullItems(100)).skip(1));
    let o = t.run(&["search", BIG, "--type", "album", "--limit", "30"]);
    assert_code(&o, 0);
    let got = names(&o);
    let want: Vec<String> = (1..=10)
        .chain(21..=30)
        .map(|n| format!("Big Catalog Album {n:04}"))
        .collect();
    assert_eq!(got, want, "the page after the nulls is printed");
    assert_eq!(
        stderr(&o),
        "spotctl: warning: albums: the service sent 10 empty (null) entries; they were skipped\n"
    );
    let offsets: Vec<String> = t
        .hits("/search")
        .iter()
        .filter(|r| r.status == 200)
        .filter_map(|r| r.param("offset"))
        .collect();
    assert_eq!(offsets, ["0", "10", "20"]);
}

#[test]
fn some_null_items_in_a_page_keep_the_offsets_right() {
    let t = T::new();
    let want = t.run(&["albums", "--artist", ARTIST_57, "-q"]);
    assert_code(&want, 0);
    t.fake.clear_log();
    t.fake.inject(Fault::new(ALBUMS, FaultKind::NullItems(3)));
    let o = t.run(&["albums", "--artist", ARTIST_57, "-q"]);
    assert_code(&o, 0);
    let (got, all) = (names(&o), names(&want));
    assert_eq!(got.len(), 54);
    assert_eq!(
        got[..],
        all[3..],
        "nothing after the nulls is lost or repeated"
    );
}

// ---- 2. `items: null` for one search type ----

#[test]
fn items_null_for_one_search_type_is_an_empty_result_not_a_failure() {
    let t = T::new();
    t.fake.inject(Fault::new(
        "/search",
        FaultKind::ItemsNull("playlist".into()),
    ));
    let o = t.run(&[
        "search",
        BIG,
        "--type",
        "album,playlist,artist",
        "--limit",
        "3",
        "-o",
        "tsv",
    ]);
    assert_code(&o, 0);
    let rows = lines(&o);
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(rows[0].starts_with("album\t") && rows[0].ends_with("\tBig Catalog Album 0001"));
    assert!(rows[3].starts_with("artist\t") && rows[3].ends_with("\tBig Catalog"));
}

// ---- 3. the 400 for a page size above 10 with an empty body ----

#[test]
fn an_empty_400_above_10_falls_back_to_10_and_is_learned_when_that_works() {
    let t = T::with(Mode::Extended);
    t.fake.inject(Fault::new(ALBUMS, raw(400, &[], "")));
    let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "tsv"]);
    assert_code(&o, 0);
    assert_eq!(lines(&o).len(), 57);
    let limits: Vec<String> = t
        .hits(ALBUMS)
        .iter()
        .filter_map(|r| r.param("limit"))
        .collect();
    assert_eq!(limits[..2], ["50", "10"]);
    assert_eq!(app_account(&t)["learned"]["page_limit"], 10);
}

#[test]
fn a_400_that_the_retry_at_10_also_gets_is_exit_4_and_not_learned() {
    let t = T::with(Mode::Extended);
    let body = "{\"error\":{\"status\":400,\"message\":\"Bad request\"}}";
    t.fake
        .inject(Fault::new(ALBUMS, raw(400, &[], body)).times(usize::MAX));
    let o = t.run(&["albums", "--artist", ARTIST_57]);
    assert_code(&o, 4);
    assert_eq!(
        stderr(&o),
        format!("spotctl: GET /v1/artists/{ARTIST_57}/albums: 400 Bad request\n")
    );
    assert_eq!(t.hits(ALBUMS).len(), 2, "one retry at 10, no more");
    assert!(
        app_account(&t)["learned"]["page_limit"].is_null(),
        "a page size that did not help is not remembered"
    );
}

// ---- 4. response body caps ----

#[test]
fn an_endless_api_body_is_exit_6_in_bounded_memory() {
    let t = T::new();
    t.fake
        .inject(Fault::new(ALBUMS, FaultKind::EndlessBody).times(usize::MAX));
    let (code, err, rss_kb, wall) = run_measured(&t, &["albums", "--artist", ARTIST_57]);
    assert_eq!(code, 6, "{err}");
    assert_eq!(
        err,
        format!(
            "spotctl: GET /v1/artists/{ARTIST_57}/albums: the response is larger than 8 MiB, far more than any real page; not reading more (a broken or hostile server?)\n"
        )
    );
    assert_eq!(
        t.hits(ALBUMS).len(),
        1,
        "a body that is too large is not retried"
    );
    assert!(rss_kb < 64 * 1024, "peak RSS {rss_kb} kB");
    assert!(wall < Duration::from_secs(20), "{wall:?}");
    eprintln!("endless API body: peak RSS {rss_kb} kB, {wall:?}");
}

#[test]
fn eight_endless_bodies_at_once_stay_within_concurrency_times_the_cap() {
    let t = T::new();
    // The first page (after the page-size probe) is real; the 8 derived pages fetched at once
    // never end.
    t.fake.inject(
        Fault::new(ALBUMS, FaultKind::EndlessBody)
            .skip(2)
            .times(usize::MAX),
    );
    let (code, err, rss_kb, _) = run_measured(&t, &["albums", "--artist", ARTIST_1000]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("the response is larger than 8 MiB"), "{err}");
    assert!(err.contains("rerun with --offset 10 to resume"), "{err}");
    assert!(
        rss_kb < 128 * 1024,
        "8 x 8 MiB + baseline: peak RSS {rss_kb} kB"
    );
    eprintln!("8 endless API bodies at once: peak RSS {rss_kb} kB");
}

#[test]
fn an_endless_token_body_is_exit_6_in_bounded_memory() {
    let t = T::new();
    t.fake
        .inject(Fault::new("/api/token", FaultKind::EndlessBody).times(usize::MAX));
    let (code, err, rss_kb, _) = run_measured(&t, &["albums", "--artist", ARTIST_57]);
    assert_eq!(code, 6, "{err}");
    assert_eq!(
        err,
        "spotctl: POST /api/token: the response is larger than 64 KiB, far more than any real token response; not reading more (a broken or hostile server?)\n"
    );
    assert!(rss_kb < 32 * 1024, "peak RSS {rss_kb} kB");
    eprintln!("endless token body: peak RSS {rss_kb} kB");
}

#[test]
fn a_huge_declared_body_is_refused_before_reading_it() {
    let t = T::new();
    t.fake
        .inject(Fault::new(ALBUMS, FaultKind::HugeDeclaredBody).times(usize::MAX));
    let start = Instant::now();
    let o = t.run(&["albums", "--artist", ARTIST_57]);
    assert_code(&o, 6);
    assert!(
        stderr(&o).contains("the response is larger than 8 MiB"),
        "{}",
        stderr(&o)
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}

// ---- 5. loops ----

/// A listing on `path` served one page at a time (no `total`), with `fault` on every page
/// after the first `skip`; runs `args` with a 20 s limit (the old client never ended).
fn looping(
    t: &T,
    path: &str,
    fault: FaultKind,
    skip: usize,
    args: &[&str],
) -> std::process::Output {
    t.fake
        .inject(Fault::new(path, FaultKind::NoTotal).times(usize::MAX));
    t.fake
        .inject(Fault::new(path, fault).skip(skip).times(usize::MAX));
    t.cmd()
        .timeout(Duration::from_secs(20))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_next_link_pointing_back_is_exit_6_with_the_resume_hint() {
    let t = T::new();
    // The third page's `next` points back at the first.
    let args = ["albums", "--artist", ARTIST_57, "-o", "tsv"];
    let o = looping(&t, ALBUMS, FaultKind::LoopingNext(0), 2, &args);
    assert_code(&o, 6);
    assert_eq!(lines(&o).len(), 30);
    assert_eq!(
        stderr(&o),
        format!(
            "spotctl: GET /v1/artists/{ARTIST_57}/albums: the service's next link goes back to offset 0, a page already read; stopping instead of looping (stopped at offset 30; rerun with --offset 30 to resume)\n"
        )
    );
    assert!(t.hits(ALBUMS).len() <= 5, "{}", t.hits(ALBUMS).len());
}

#[test]
fn api_paginate_on_a_cursor_that_never_moves_is_exit_6() {
    let t = T::new();
    t.user_account("alice", "alice", "user-library-read", 3600);
    let args = ["api", "/me/tracks?limit=5", "--paginate", "-a", "alice"];
    let o = looping(&t, "/me/tracks", FaultKind::SelfNext, 0, &args);
    assert_code(&o, 6);
    assert_eq!(jsonl(&o).len(), 5, "the page once, never again");
    assert!(
        stderr(&o).contains("a page already read; stopping instead of looping"),
        "{}",
        stderr(&o)
    );
    assert!(t.hits("/me/tracks").len() <= 3);
}

#[test]
fn pages_that_add_nothing_new_end_the_listing_with_exit_6() {
    let t = T::new();
    // Every page after the first serves the first page's items again under a new offset:
    // `next` goes on, the items never change. The old client printed the first 10 albums,
    // dropped the rest as duplicates and exited 0.
    let args = ["albums", "--artist", ARTIST_57, "-o", "tsv"];
    let o = looping(&t, ALBUMS, FaultKind::ShiftBack(1_000_000), 1, &args);
    assert_code(&o, 6);
    assert_eq!(lines(&o).len(), 10);
    assert_eq!(
        stderr(&o),
        format!(
            "spotctl: GET /v1/artists/{ARTIST_57}/albums: pages stopped adding new items while the service's next link goes on (3 pages in a row); stopping instead of looping (stopped at offset 30; rerun with --offset 30 to resume)\n"
        )
    );
    assert_eq!(t.hits(ALBUMS).iter().filter(|r| r.status == 200).count(), 4);
}

// ---- 6. nothing raw reaches a terminal ----

#[test]
fn accounts_show_hostile_user_ids_names_and_scopes_defanged() {
    let t = T::new();
    t.user_account("evil", "alice", "user-read-private", 3600);
    let path = t.account_path("evil");
    let mut acc = read_json(&path);
    acc["user"] =
        serde_json::json!({"id": format!("id{EVIL}"), "display_name": format!("name{EVIL}")});
    acc["scopes"] = serde_json::json!([format!("scope{EVIL}")]);
    write_account(&path, &acc);
    for fmt in ["table", "tsv"] {
        let o = t.run(&["accounts", "-o", fmt]);
        assert_code(&o, 0);
        assert_no_raw_controls(fmt, &stdout(&o));
        assert!(stdout(&o).contains("idx"), "{}", stdout(&o));
        assert_eq!(lines(&o).len(), if fmt == "tsv" { 1 } else { 2 });
    }
    // Piped JSON is the data, byte for byte (jq decides what to do with it).
    let o = t.run(&["accounts", "-o", "jsonl"]);
    assert_eq!(jsonl(&o)[0]["user"]["display_name"], format!("name{EVIL}"));

    // A scope as the token endpoint sends it on a refresh, stored, then listed.
    t.user_account("evil2", "bob", &format!("granted{EVIL}"), 0);
    let o = t.run(&["refresh", "-a", "evil2", "-v"]);
    assert_code(&o, 0);
    assert_no_raw_controls("refresh's stderr", &stderr(&o));
    assert_eq!(
        read_json(&t.account_path("evil2"))["scopes"][0],
        format!("granted{EVIL}"),
        "stored as sent"
    );
    let o = t.run(&["accounts", "-o", "table"]);
    assert_no_raw_controls("accounts", &stdout(&o));
    assert!(stdout(&o).contains("grantedx"), "{}", stdout(&o));
}

#[test]
fn a_hostile_display_name_from_the_service_is_defanged_at_login() {
    let t = T::new();
    t.fake
        .set_display_name("alice", Some(&format!("Alice{EVIL}")));
    let err = crate::login::login_ok(&t, "alice", &[], &[]);
    assert_no_raw_controls("login's stderr", &err);
    assert!(err.contains("logged in as Alice"), "{err}");
    t.fake.set_display_name("alice", None);
    let err = crate::login::login_ok(&t, "alice2", &[], &[]);
    assert!(
        err.contains("logged in as alice; stored as account \"alice2\""),
        "a null display_name shows the id: {err}"
    );
}

#[test]
fn hostile_error_messages_and_json_keys_never_reach_stderr_raw() {
    let t = T::new();
    let evil = serde_json::to_string(&format!("gone{EVIL}")).unwrap();
    t.fake.inject(Fault::new(
        ALBUMS,
        raw(
            404,
            &[("content-type", "application/json")],
            &format!("{{\"error\":{{\"status\":404,\"message\":{evil}}}}}"),
        ),
    ));
    let o = t.run(&["albums", "--artist", ARTIST_57]);
    assert_code(&o, 4);
    assert_no_raw_controls("stderr", &stderr(&o));
    assert!(stderr(&o).contains("404 gone"), "{}", stderr(&o));

    // `api --paginate`: the paging objects' keys come from the server and name the listings
    // in messages.
    t.user_account("alice", "alice", "", 3600);
    let key = serde_json::to_string(&format!("k{EVIL}")).unwrap();
    let next = format!(
        "{}/search?q=a&type=album&offset=1&limit=1",
        t.fake.api_base()
    );
    let page = format!(
        "{{\"items\":[{{\"id\":\"a\"}},null],\"next\":\"{next}\",\"total\":3,\"offset\":0,\"limit\":1}}"
    );
    t.fake.inject(Fault::new(
        "/search",
        raw(200, &[], &format!("{{{key}:{page},\"other\":{page}}}")),
    ));
    t.fake
        .inject(Fault::new("/search", FaultKind::Status(503)).times(usize::MAX));
    let o = t.run(&[
        "api",
        // Two entries a page: the null counts, as Spotify's `limit` does.
        "/search?q=a&type=album&limit=2",
        "--paginate",
        "-a",
        "alice",
    ]);
    assert_code(&o, 6);
    assert_no_raw_controls("stderr", &stderr(&o));
    assert!(stderr(&o).contains("stopped at k"), "{}", stderr(&o));
    // The same key in a warning line (logged, not returned): the log formatter sanitises too.
    assert!(
        stderr(&o).contains("spotctl: warning: kx"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains(": the service sent 1 empty (null) entry; they were skipped"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn table_and_tsv_cells_never_carry_controls_bidi_or_line_separators() {
    let t = T::new();
    let artist = t.fake.add_artist(&format!("Evil{EVIL}"), 2);
    for fmt in ["table", "tsv"] {
        let o = t.run(&["albums", "--artist", &artist, "-o", fmt]);
        assert_code(&o, 0);
        assert_no_raw_controls(fmt, &stdout(&o));
        assert_eq!(lines(&o).len(), if fmt == "tsv" { 2 } else { 3 });
    }
}

/// Runs spotctl with a terminal as stdout (script(1)), returning what the terminal received.
fn on_a_terminal(t: &T, args: &str) -> String {
    let mut c = std::process::Command::new("script");
    c.args(["-qec"])
        .arg(format!("'{}' {args}", env!("CARGO_BIN_EXE_spotctl")))
        .arg("/dev/null");
    t.apply_env(&mut c);
    c.env("TERM", "dumb");
    let o = c.output().expect("script(1) from util-linux");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn jsonl_escapes_c1_del_and_bidi_on_a_terminal_and_passes_bytes_through_a_pipe() {
    let t = T::new();
    let name = "A\u{9b}31m\u{7f}\u{202e}B\u{2028}C";
    let artist = t.fake.add_artist(name, 1);
    let piped = t.run(&["albums", "--artist", &artist, "-o", "jsonl"]);
    assert_code(&piped, 0);
    assert!(
        stdout(&piped).contains(&format!("\"name\":\"{name} Album 0001\"")),
        "byte-exact in a pipe: {:?}",
        stdout(&piped)
    );
    for fmt in ["jsonl", "json"] {
        let text = on_a_terminal(&t, &format!("albums --artist {artist} -o {fmt}"));
        assert!(
            text.contains(r#"A\u009b31m\u007f\u202eB\u2028C Album 0001"#),
            "{fmt}: {text:?}"
        );
        assert_no_raw_controls(fmt, &text.replace("\r\n", "\n"));
    }
    t.user_account("alice", "alice", "", 3600);
    let text = on_a_terminal(&t, &format!("api /artists/{artist}/albums -a alice"));
    assert!(text.contains(r"A\u009b31m"), "api on a terminal: {text:?}");
    assert_no_raw_controls("api", &text.replace("\r\n", "\n"));
}

// ---- 7. credentials echoed back ----

#[test]
fn an_api_error_that_echoes_the_bearer_token_is_redacted() {
    let t = T::new();
    t.fake
        .inject(Fault::new(ALBUMS, FaultKind::EchoAuthorization(400)).times(usize::MAX));
    let o = t.run(&["albums", "--artist", ARTIST_57]);
    assert_code(&o, 4);
    let token = t.hits(ALBUMS)[0].bearer.clone().expect("a bearer was sent");
    assert!(token.len() > 20);
    assert!(!stderr(&o).contains(&token[..16]), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("credential (redacted); got Authorization: Bearer (redacted)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_token_endpoint_that_echoes_the_basic_header_gets_it_redacted() {
    use base64::Engine;
    let t = T::new();
    t.fake
        .inject(Fault::new("/api/token", FaultKind::EchoAuthorization(400)).times(usize::MAX));
    let o = t.run(&["albums", "--artist", ARTIST_57]);
    assert_code(&o, 6);
    let b64 =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    assert!(!stderr(&o).contains(&b64[..12]), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("\"message\":\"credential (redacted); got Authorization: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn very_verbose_masks_every_credential_looking_query_parameter() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let o = t.run(&[
        "api",
        "/me?oauth_token=S1xx&id_token=S2xx&X-Amz-Security-Token=S3xx&accessToken=S4xx&client_secret=S5xx&apiKey=S6xx&Signature=S7xx&passWord=S8xx&market=KR",
        "-a",
        "alice",
        "-vv",
    ]);
    assert_code(&o, 0);
    let err = stderr(&o);
    for s in [
        "S1xx", "S2xx", "S3xx", "S4xx", "S5xx", "S6xx", "S7xx", "S8xx",
    ] {
        assert!(!err.contains(s), "{s} in:\n{err}");
    }
    assert!(
        err.contains("GET /v1/me?oauth_token=(redacted)&id_token=(redacted)&X-Amz-Security-Token=(redacted)&accessToken=(redacted)&client_secret=(redacted)&apiKey=(redacted)&Signature=(redacted)&passWord=(redacted)&market=KR -> 200"),
        "{err}"
    );
}

// ---- 8. requests too large to send ----

#[test]
fn a_huge_search_query_is_a_usage_error_and_sends_nothing() {
    let t = T::new();
    let q = "a".repeat(70_000);
    let o = t.run(&["search", &q]);
    assert_code(&o, 2);
    assert_eq!(
        t.fake.requests().len(),
        0,
        "nothing sent, not even a token request"
    );
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1);
    assert!(err.len() < 400, "{} bytes", err.len());
    assert!(err.contains("the search query is 70000 bytes"), "{err}");
}

#[test]
fn a_huge_api_path_is_a_usage_error_with_the_value_cut() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let path = format!("/{}", "p".repeat(120_000));
    let o = t.run(&["api", &path, "-a", "alice"]);
    assert_code(&o, 2);
    assert_eq!(t.fake.requests().len(), 0);
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1);
    assert!(err.len() < 400, "{} bytes: {}", err.len(), &err[..200]);
}

// ---- 9. a Retry-After larger than u64 ----

#[test]
fn a_retry_after_beyond_u64_is_too_long_exit_5() {
    let t = T::new();
    t.fake
        .inject(Fault::new(ALBUMS, too_many("99999999999999999999999999")));
    let start = Instant::now();
    let o = t.run(&["albums", "--artist", ARTIST_57]);
    assert_code(&o, 5);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        stderr(&o).contains("longer than --max-retry-wait 120s"),
        "{}",
        stderr(&o)
    );
    assert_eq!(t.hits(ALBUMS).len(), 1, "not retried");
}

// ---- the other real shapes of facts §9 ----

#[test]
fn real_429_shapes_lowercase_retry_after_and_nothing_at_all_are_retried() {
    for headers in [vec![("retry-after", "0")], vec![]] {
        let t = T::new();
        t.fake
            .inject(Fault::new(ALBUMS, raw(429, &headers, "")).skip(1));
        let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "tsv"]);
        assert_code(&o, 0);
        assert_eq!(lines(&o).len(), 57, "{headers:?}");
    }
}

#[test]
fn plain_text_403_pretty_json_404_and_empty_or_html_5xx_read_right() {
    let t = T::new();
    t.fake.inject(Fault::new(
        ALBUMS,
        raw(403, &[("content-type", "text/plain")], "Forbidden."),
    ));
    let o = t.run(&["albums", "--artist", ARTIST_57]);
    assert_code(&o, 4);
    assert_eq!(
        stderr(&o),
        format!("spotctl: GET /v1/artists/{ARTIST_57}/albums: 403 Forbidden (Forbidden.)\n")
    );
    t.fake.inject(Fault::new(
        ALBUMS,
        raw(
            404,
            &[("content-type", "application/json")],
            "{\n  \"error\" : {\n    \"status\" : 404,\n    \"message\" : \"Resource not found\"\n  }\n}",
        ),
    ));
    let o = t.run(&["albums", "--artist", ARTIST_57]);
    assert_code(&o, 4);
    assert_eq!(
        stderr(&o),
        format!("spotctl: GET /v1/artists/{ARTIST_57}/albums: 404 Resource not found\n")
    );
    t.fake.inject(Fault::new(ALBUMS, raw(502, &[], "")));
    t.fake.inject(Fault::new(
        ALBUMS,
        raw(
            503,
            &[("content-type", "text/html")],
            "<html><body>down</body></html>",
        ),
    ));
    let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "tsv"]);
    assert_code(&o, 0);
    assert_eq!(lines(&o).len(), 57);
}

#[test]
fn a_next_on_the_last_page_and_locale_in_next_links_end_right() {
    let t = T::new();
    t.fake
        .inject(Fault::new(ALBUMS, FaultKind::NextOnLastPage).times(usize::MAX));
    let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "tsv"]);
    assert_code(&o, 0);
    assert_eq!(lines(&o).len(), 57);
    assert!(t.hits(ALBUMS).len() <= 9, "{}", t.hits(ALBUMS).len());

    t.fake.clear_log();
    t.fake
        .inject(Fault::new("/search", FaultKind::LocaleNext).times(usize::MAX));
    let o = t.run(&[
        "search", BIG, "--type", "album", "--limit", "35", "-o", "tsv",
    ]);
    assert_code(&o, 0);
    assert_eq!(lines(&o).len(), 35);
    let later: Vec<Req> = t
        .hits("/search")
        .into_iter()
        .filter(|r| r.param("offset").is_some_and(|o| o != "0"))
        .collect();
    assert_eq!(later.len(), 3);
    for r in later {
        assert_eq!(
            r.param("locale").as_deref(),
            Some("en-US,en;q=0.9"),
            "{}",
            r.query
        );
    }
}

#[test]
fn a_huge_total_over_the_same_items_again_is_exit_6_not_endless() {
    let t = T::new();
    // Every page says there are 1,000,057 albums and serves the first page's items again: the
    // derived pages would go on for 100,000 requests with nothing new (albums drops repeats, so
    // the output would just stop growing).
    t.fake
        .inject(Fault::new(ALBUMS, FaultKind::TotalChanges(1_000_000)).times(usize::MAX));
    t.fake.inject(
        Fault::new(ALBUMS, FaultKind::ShiftBack(1_000_000_000))
            .skip(1)
            .times(usize::MAX),
    );
    let o = t
        .cmd()
        .timeout(Duration::from_secs(20))
        .args(["albums", "--artist", ARTIST_57, "-o", "tsv", "-q"])
        .output()
        .unwrap();
    assert_code(&o, 6);
    assert!(
        stderr(&o).contains("pages stopped adding new items"),
        "{}",
        stderr(&o)
    );
    assert!(t.hits(ALBUMS).len() < 30, "{}", t.hits(ALBUMS).len());
}
