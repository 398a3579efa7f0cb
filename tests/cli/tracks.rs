//! `spotctl tracks` (issue 18, item 1): album tracks, playlist items (`item` or the older
//! `track`), show episodes, as one batch in input order over one concurrency budget, with
//! the batch's failure lines, summary, `--fail-fast` and resume hint.

use crate::common::*;

fn warm(t: &T) {
    assert_code(&t.run(&["albums", ARTIST_EMPTY]), 0);
    t.fake.clear_log();
}

fn names(o: &std::process::Output) -> Vec<String> {
    jsonl(o)
        .iter()
        .map(|v| v["name"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The album of each track ("Long · 7" → "Long"), repeats collapsed: the order albums came out.
fn album_order(o: &std::process::Output) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names(o) {
        let album = n.split(" · ").next().unwrap().to_string();
        if out.last() != Some(&album) {
            out.push(album);
        }
    }
    out
}

#[test]
fn every_track_of_an_album_one_request_per_page_of_50() {
    let t = T::new();
    warm(&t);
    let album = t.fake.add_album("Long", 123);
    let o = t.run(&["tracks", &album, "-o", "jsonl"]);
    assert_code(&o, 0);
    let items = jsonl(&o);
    assert_eq!(items.len(), 123);
    let numbers: Vec<u64> = items
        .iter()
        .map(|v| v["track_number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=123).collect::<Vec<_>>(), "in order");
    let reqs = t.hits("/tracks");
    assert_eq!(reqs.len(), 3, "requests = pages");
    assert!(
        reqs.iter()
            .all(|r| r.param("limit").as_deref() == Some("50"))
    );
}

#[test]
fn albums_playlists_and_shows_in_input_order_with_tsv_columns() {
    let t = T::new();
    t.user_account("alice", "alice", "playlist-read-private", 3600);
    let a = t.fake.add_album("First", 2);
    let b = t.fake.add_album("Second", 1);
    let o = t.run(&[
        "-a",
        "alice",
        "tracks",
        &a,
        &format!("spotify:show:{SHOW_3}"),
        &format!("https://open.spotify.com/album/{b}?si=x"),
        "-o",
        "tsv",
    ]);
    assert_code(&o, 0);
    let rows = lines(&o);
    assert_eq!(rows.len(), 2 + 3 + 1, "{rows:?}");
    let cols: Vec<Vec<&str>> = rows.iter().map(|r| r.split('\t').collect()).collect();
    assert!(cols.iter().all(|c| c.len() == 6), "{rows:?}");
    assert_eq!(&cols[0][1..], ["track", "1", "1", cols[0][4], "First · 1"]);
    assert_eq!(cols[2][1], "episode");
    assert_eq!(cols[2][5], "Tiny Show #3", "newest first");
    assert_eq!(
        (cols[2][2], cols[2][3]),
        ("", ""),
        "episodes have no numbers"
    );
    assert_eq!(cols[5][5], "Second · 1");
    assert!(t.hits(&format!("/shows/{SHOW_3}/episodes")).len() == 1);
}

#[test]
fn audiobook_chapters_are_one_more_row() {
    let t = T::new();
    let o = t.run(&[
        "tracks",
        &format!("spotify:audiobook:{AUDIOBOOK}"),
        "-o",
        "tsv",
    ]);
    assert_code(&o, 0);
    let names: Vec<String> = lines(&o)
        .iter()
        .map(|l| l.split('\t').collect::<Vec<_>>()[1..].join(" "))
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(
        names[0].starts_with("chapter") && names[0].ends_with("Chapter 1"),
        "{names:?}"
    );
    let reqs = t.hits("/chapters");
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].param("limit").as_deref(), Some("50"));
}

#[test]
fn playlist_items_print_the_track_or_episode_each_entry_holds_item_or_track() {
    let t = T::new();
    t.user_account("alice", "alice", "playlist-read-private", 3600);
    let uri = format!("spotify:playlist:{ALICE_PLAYLIST}");
    let o = t.run(&["-a", "alice", "tracks", &uri, "-o", "jsonl"]);
    assert_code(&o, 0);
    let items = jsonl(&o);
    assert_eq!(items.len(), 60);
    assert!(
        items.iter().all(|v| v.get("added_at").is_none()),
        "the item, not the entry"
    );
    assert_eq!(items.iter().filter(|v| v["type"] == "episode").count(), 2);
    assert!(items[30]["is_local"] == true && items[30]["id"].is_null());
    let reqs = t.hits("/playlists/");
    assert_eq!(reqs.len(), 2, "60 entries, pages of 50");
    assert!(
        reqs.iter().all(|r| r.path.ends_with("/items")),
        "the 2026 path"
    );
    assert_eq!(
        reqs[0].param("additional_types").as_deref(),
        Some("track,episode")
    );

    // An entry no longer available (`"item": null`) is skipped with a warning.
    t.fake.add_gone_playlist_entry(ALICE_PLAYLIST);
    let gone = t.run(&["-a", "alice", "tracks", &uri, "-o", "jsonl"]);
    assert_code(&gone, 0);
    assert_eq!(stdout(&gone), stdout(&o));
    assert_eq!(
        stderr(&gone),
        format!(
            "spotctl: warning: playlist {ALICE_PLAYLIST}: 1 entry no longer available (null) skipped\n"
        )
    );

    // Older answers carry `track`: the same output.
    t.fake.set_legacy_playlist_items(true);
    let old = t.run(&["-a", "alice", "tracks", &uri, "-o", "jsonl"]);
    assert_code(&old, 0);
    assert_eq!(stdout(&old), stdout(&o));
}

#[test]
fn a_batch_goes_on_past_a_missing_album_a_forbidden_playlist_and_a_wrong_kind() {
    let t = T::new();
    warm(&t);
    let good = t.fake.add_album("Good", 3);
    let missing = "0MissingAlbumAAAAAAAAA";
    let artist = format!("spotify:artist:{ARTIST_57}");
    let input = format!(
        "{good}\n{missing}\n{artist}\nspotify:playlist:{BOB_PLAYLIST}\n{{\"uri\":\"spotify:show:{SHOW_3}\"}}\n"
    );
    let o = t
        .cmd()
        .args(["tracks", "-", "-o", "jsonl"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_code(&o, 4);
    assert_eq!(
        album_order(&o),
        ["Good", "Tiny Show #3", "Tiny Show #2", "Tiny Show #1"]
    );
    let e = stderr(&o);
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 4, "{e}");
    assert!(
        lines[0].starts_with(&format!(
            "spotctl: album {missing} (stdin line 2): GET /v1/albums/{missing}/tracks: 404 "
        )),
        "{e}"
    );
    assert_eq!(
        lines[1],
        format!(
            "spotctl: stdin line 3: \"{artist}\" is an artist, but an album, a playlist, a show or an audiobook is needed (an artist's tracks: `spotctl albums ARTIST | spotctl tracks -`)"
        )
    );
    assert!(
        lines[2].starts_with(&format!(
            "spotctl: playlist {BOB_PLAYLIST} (stdin line 4): GET /v1/playlists/{BOB_PLAYLIST}/items: 403"
        )),
        "{e}"
    );
    assert_eq!(lines[3], "spotctl: 3 of 5 inputs failed");
    assert!(
        t.hits(ARTIST_57).is_empty(),
        "nothing sent for the wrong kind"
    );
}

#[test]
fn fail_fast_stops_at_the_first_failing_input() {
    let t = T::new();
    warm(&t);
    let missing = "0MissingAlbumAAAAAAAAA";
    let after = t.fake.add_album("After", 2);
    let o = t.run(&[
        "tracks",
        missing,
        &after,
        "--fail-fast",
        "--concurrency",
        "1",
    ]);
    assert_code(&o, 4);
    assert!(stdout(&o).is_empty());
    assert!(
        stderr(&o).contains(&format!(
            "spotctl: stopped at album {missing} (--fail-fast); the inputs after it were skipped"
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_single_album_that_stops_part_way_says_how_to_resume() {
    let t = T::new();
    warm(&t);
    let album = t.fake.add_album("Long", 123);
    t.fake.inject(
        Fault::new(&format!("/albums/{album}/tracks"), too_many("9999")).query("offset", "100"),
    );
    let o = t.run(&["tracks", &album, "-o", "jsonl", "--max-retry-wait", "5"]);
    assert_code(&o, 5);
    assert_eq!(
        jsonl(&o).len(),
        100,
        "what was fetched before stays written"
    );
    assert!(
        stderr(&o).contains("rerun with --offset 100 to resume"),
        "{}",
        stderr(&o)
    );
    // The 429's wait is recorded for every later process (issue 18 item 7): the resumed run
    // refuses to send into it, exit 5 with nothing asked...
    let early = t.run(&["tracks", &album, "-o", "jsonl", "--offset", "100"]);
    assert_code(&early, 5);
    assert!(jsonl(&early).is_empty(), "{}", stderr(&early));
    // ... and once the wait is over (its record gone), the rerun picks up where it stopped.
    let pause = t
        .config()
        .join("accounts")
        .join(format!("{}.pause", crate::support::fake::CLIENT_ID));
    std::fs::remove_file(&pause).expect("the pause was recorded");
    let resumed = t.run(&["tracks", &album, "-o", "jsonl", "--offset", "100"]);
    assert_code(&resumed, 0);
    assert_eq!(jsonl(&resumed).len(), 23);
    assert_eq!(jsonl(&resumed)[0]["track_number"], 101);
}

#[test]
fn many_albums_share_one_budget_and_market_and_limit_are_sent() {
    let t = T::new();
    warm(&t);
    t.fake.set_latency_ms(30);
    let albums: Vec<String> = (0..24)
        .map(|i| t.fake.add_album(&format!("Album {i:02}"), 3))
        .collect();
    let o = t
        .cmd()
        .args(["tracks", "--album", "-", "--market", "kr", "--limit", "2"])
        .args(["-o", "jsonl"])
        .write_stdin(albums.join("\n"))
        .output()
        .unwrap();
    assert_code(&o, 0);
    let want: Vec<String> = (0..24).map(|i| format!("Album {i:02}")).collect();
    assert_eq!(album_order(&o), want, "input order");
    assert_eq!(jsonl(&o).len(), 48, "--limit per album");
    let reqs = t.hits("/tracks");
    assert_eq!(reqs.len(), 24);
    assert!(
        reqs.iter()
            .all(|r| r.param("market").as_deref() == Some("KR"))
    );
    assert!(
        reqs.iter()
            .all(|r| r.param("limit").as_deref() == Some("2"))
    );
    assert_eq!(max_in_flight(&reqs), 8, "the whole budget, never more");
}

#[test]
fn a_second_user_logs_in_as_themselves_and_reads_their_own_playlist() {
    let t = T::new();
    t.fake.queue_logins(&["alice", "bob"]);
    for name in ["alice", "bob"] {
        let err = crate::login::login_ok(&t, name, &["--scope", "playlist-read-private"], &[]);
        assert!(
            err.contains(&format!("stored as account \"{name}\"")),
            "{err}"
        );
        assert_eq!(read_json(&t.account_path(name))["user"]["id"], name);
    }
    let o = t.run(&[
        "-a",
        "bob",
        "tracks",
        &format!("spotify:playlist:{BOB_PLAYLIST}"),
    ]);
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 5);
    let o = t.run(&[
        "-a",
        "bob",
        "tracks",
        &format!("spotify:playlist:{ALICE_PLAYLIST}"),
    ]);
    assert_code(&o, 4);
    assert!(stderr(&o).contains(": 403 Forbidden"), "{}", stderr(&o));
}

#[test]
fn a_refused_page_size_is_learned_once_for_album_tracks_and_remembered() {
    let t = T::new();
    warm(&t);
    // An app whose album tracks refuse pages above 10 (undocumented either way).
    t.fake.inject(
        Fault::new("/tracks", FaultKind::Status(400))
            .query("limit", "50")
            .times(usize::MAX),
    );
    let albums: Vec<String> = (0..3)
        .map(|i| t.fake.add_album(&format!("Capped {i}"), 12))
        .collect();
    let mut args = vec!["tracks", "-o", "jsonl"];
    args.extend(albums.iter().map(String::as_str));
    let o = t.run(&args);
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 36);
    let limits: Vec<String> = t
        .hits("/tracks")
        .iter()
        .map(|r| r.param("limit").unwrap_or_default())
        .collect();
    // 50 refused once, then 10 for everything: 2 pages of 10 per album of 12.
    assert_eq!(
        limits.iter().filter(|l| *l == "50").count(),
        1,
        "{limits:?}"
    );
    assert_eq!(limits.len(), 1 + 6, "{limits:?}");
    let acc = read_json(&t.account_path(&format!("app-{CLIENT_ID}")));
    assert_eq!(acc["learned"]["page_limits"]["album_tracks"]["limit"], 10);
    // Artist albums keep their own size; the next run starts at 10 for album tracks.
    t.fake.clear_log();
    let o = t.run(&["tracks", &albums[0]]);
    assert_code(&o, 0);
    assert!(
        t.hits("/tracks")
            .iter()
            .all(|r| r.param("limit").as_deref() == Some("10"))
    );
}
