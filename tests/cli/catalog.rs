//! `search`, `albums` and `completions` against the fake: output formats, page sizes, IDs in
//! every form, stdin batches, the app-token cache, and refusing bad input before any request.

use crate::common::*;

fn album_requests(t: &T) -> Vec<Req> {
    t.hits("/albums")
        .into_iter()
        .filter(|r| r.path.starts_with("/v1/artists/"))
        .collect()
}

#[test]
fn albums_of_57_as_tsv_learns_the_dev_mode_page_size_once() {
    let t = T::new();
    let o = t.run(&["albums", "--artist", ARTIST_57, "-o", "tsv"]);
    assert_code(&o, 0);
    let rows = lines(&o);
    assert_eq!(rows.len(), 57);
    for r in &rows {
        let cols: Vec<&str> = r.split('\t').collect();
        assert_eq!(
            cols.len(),
            5,
            "id, release_date, album_type, total_tracks, name: {r}"
        );
        assert_eq!(cols[0].len(), 22);
        assert!(["album", "single", "compilation"].contains(&cols[2]), "{r}");
        assert!(cols[3].parse::<u32>().is_ok(), "{r}");
    }
    assert!(
        rows.iter()
            .any(|r| r.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))),
        "Korean text intact"
    );
    assert!(
        rows.iter().any(|r| r.chars().any(|c| c as u32 >= 0x1F300)),
        "emoji intact"
    );
    assert!(stderr(&o).is_empty(), "quiet on success: {}", stderr(&o));
    // 50 refused with 400 Invalid limit, then 10: 1 + 6 pages; one token request.
    let reqs = album_requests(&t);
    assert_eq!(reqs.len(), 7, "{reqs:#?}");
    assert_eq!(reqs[0].status, 400);
    assert!(reqs[0].query.contains("limit=50"));
    assert!(
        reqs[1..]
            .iter()
            .all(|r| r.status == 200
                && (r.query.contains("limit=10") || r.query.contains("limit=7"))),
        "{reqs:#?}"
    );
    assert_eq!(t.fake.token_requests(), 1);
    let acc = read_json(&t.account_path(&format!("app-{CLIENT_ID}")));
    assert_eq!(acc["learned"]["page_limit"], 10);

    // The next run starts right: no 400, no new token.
    t.fake.clear_log();
    let o2 = t.run(&["albums", "--artist", ARTIST_57, "-o", "tsv"]);
    assert_code(&o2, 0);
    assert_eq!(o2.stdout, o.stdout, "same output, byte for byte");
    let reqs = album_requests(&t);
    assert_eq!(reqs.len(), 6);
    assert!(reqs.iter().all(|r| r.status == 200));
    assert_eq!(t.fake.token_requests(), 0);

    // A week later the app may have been granted extended quota: 50 is tried again, once.
    let path = t.account_path(&format!("app-{CLIENT_ID}"));
    let mut acc = read_json(&path);
    acc["learned"]["page_limit_at"] = (now() - 8 * 86400).into();
    write_account(&path, &acc);
    t.fake.clear_log();
    assert_code(&t.run(&["albums", "--artist", ARTIST_57, "-o", "tsv"]), 0);
    let reqs = album_requests(&t);
    assert_eq!(reqs.len(), 7);
    assert_eq!(reqs[0].status, 400);
    assert!(
        read_json(&path)["learned"]["page_limit_at"]
            .as_i64()
            .unwrap()
            > now() - 60
    );
}

#[test]
fn extended_quota_uses_pages_of_50() {
    let t = T::with(Mode::Extended);
    let o = t.run(&["albums", "--artist", ARTIST_1000, "-o", "jsonl"]);
    assert_code(&o, 0);
    let items = jsonl(&o);
    assert_eq!(items.len(), 1000);
    let mut unique = ids(&items);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 1000);
    assert_eq!(items[0]["name"], "Big Catalog Album 0001", "{}", items[0]);
    assert_eq!(items[999]["name"], "Big Catalog Album 1000");
    assert_eq!(album_requests(&t).len(), 20);
}

#[test]
fn every_artist_form_is_accepted() {
    let t = T::new();
    let forms = [
        format!("spotify:artist:{ARTIST_57}"),
        format!("https://open.spotify.com/artist/{ARTIST_57}?si=abc"),
        format!("https://open.spotify.com/intl-ko/artist/{ARTIST_57}/"),
    ];
    let base = t.run(&["albums", "--artist", ARTIST_57, "-o", "jsonl"]);
    assert_code(&base, 0);
    for f in &forms {
        let o = t.run(&["albums", "--artist", f, "-o", "jsonl"]);
        assert_code(&o, 0);
        assert_eq!(o.stdout, base.stdout, "{f}");
    }
}

#[test]
fn jsonl_passes_objects_through_untouched() {
    let t = T::new();
    let o = t.run(&[
        "albums", "--artist", ARTIST_57, "--limit", "3", "-o", "jsonl",
    ]);
    assert_code(&o, 0);
    let items = jsonl(&o);
    assert_eq!(items.len(), 3);
    for i in &items {
        assert_eq!(i["type"], "album");
        assert!(
            i.get("album_group").is_none(),
            "dev mode removed album_group"
        );
        assert!(i["uri"].as_str().unwrap().starts_with("spotify:album:"));
    }
    let o = t.run(&[
        "albums", "--artist", ARTIST_57, "--limit", "3", "-o", "json",
    ]);
    assert_code(&o, 0);
    let arr: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(arr.as_array().unwrap(), &items);
}

#[test]
fn limit_and_offset_select_a_window() {
    let t = T::new();
    let all = jsonl(&t.run(&["albums", "--artist", ARTIST_57, "-o", "jsonl"]));
    let o = t.run(&[
        "albums", "--artist", ARTIST_57, "--offset", "15", "--limit", "12", "-o", "jsonl",
    ]);
    assert_code(&o, 0);
    assert_eq!(ids(&jsonl(&o)), ids(&all[15..27]));
}

#[test]
fn table_has_a_header_and_aligned_columns() {
    let t = T::new();
    let o = t.run(&[
        "albums", "--artist", ARTIST_57, "--limit", "2", "-o", "table",
    ]);
    assert_code(&o, 0);
    let rows = lines(&o);
    assert_eq!(rows.len(), 3);
    assert!(
        rows[0].starts_with("ID                      RELEASED    TYPE         TRACKS  NAME"),
        "{}",
        rows[0]
    );
    let name_col = rows[0].find("NAME").unwrap();
    for r in &rows[1..] {
        assert_eq!(
            r.char_indices().nth(name_col).map(|(i, _)| i).map(|_| ()),
            Some(())
        );
        assert_eq!(&r[..22].len(), &22);
    }
}

#[test]
fn empty_artist_prints_nothing() {
    let t = T::new();
    let o = t.run(&["albums", "--artist", ARTIST_EMPTY, "-o", "jsonl"]);
    assert_code(&o, 0);
    assert!(o.stdout.is_empty());
    let o = t.run(&["albums", "--artist", ARTIST_EMPTY, "-o", "json"]);
    assert_eq!(stdout(&o), "[]\n");
}

#[test]
fn stdin_batch_keeps_input_order_and_skips_blank_lines() {
    let t = T::new();
    let a = jsonl(&t.run(&["albums", "--artist", ARTIST_57, "-o", "jsonl"]));
    let b = jsonl(&t.run(&["albums", "--artist", ARTIST_1000, "-o", "jsonl"]));
    let input = format!("{ARTIST_1000}\n\n  spotify:artist:{ARTIST_57}  \n\n{ARTIST_EMPTY}\n");
    let o = t
        .cmd()
        .args(["albums", "--artist", "-", "-o", "jsonl"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_code(&o, 0);
    let got = ids(&jsonl(&o));
    let mut want = ids(&b);
    want.extend(ids(&a));
    assert_eq!(got, want);
}

#[test]
fn stdin_batch_reports_a_bad_line_with_its_number_and_completes_the_others() {
    let t = T::new();
    let input = format!("{ARTIST_57}\n\nspotify:album:{ARTIST_57}\n{ARTIST_EMPTY}\n");
    let o = t
        .cmd()
        .args(["albums", "--artist", "-", "-o", "jsonl"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_eq!(
        stderr(&o),
        "spotctl: stdin line 3: \"spotify:album:3qNVuliS40BLgXGxhdBdqu\" is an album, but an artist is needed\n\
         spotctl: 1 of 3 artists failed\n"
    );
    assert_eq!(jsonl(&o).len(), 57, "the good artists were fetched");
    assert_eq!(
        t.hits(ARTIST_EMPTY).len(),
        1,
        "and the one after the bad line"
    );
}

#[test]
fn without_any_artist_on_stdin_nothing_is_sent() {
    let t = T::new();
    let o = t
        .cmd()
        .args(["albums", "--artist", "-"])
        .write_stdin("\n# nothing\n")
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_eq!(stderr(&o), "spotctl: --artist -: no artist IDs on stdin\n");
    assert!(t.fake.requests().is_empty());
}

#[test]
fn search_one_type_in_every_format() {
    let t = T::new();
    let o = t.run(&[
        "search", "taeyeon", "--type", "artist", "--limit", "3", "-o", "jsonl",
    ]);
    assert_code(&o, 0);
    let items = jsonl(&o);
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| i["type"] == "artist"));
    let reqs = t.hits("/v1/search");
    assert_eq!(reqs.len(), 1, "limit 3 fits one page");
    assert!(reqs[0].query.contains("limit=3"), "{}", reqs[0].query);

    let o = t.run(&[
        "search", "taeyeon", "--type", "artist", "--limit", "3", "-o", "tsv",
    ]);
    let rows = lines(&o);
    assert_eq!(rows.len(), 3);
    for (r, i) in rows.iter().zip(&items) {
        assert_eq!(
            r,
            &format!(
                "artist\t{}\t{}",
                i["id"].as_str().unwrap(),
                i["name"].as_str().unwrap()
            )
        );
    }
}

#[test]
fn search_follows_pages_until_the_limit_with_query_next_links() {
    let t = T::new();
    let o = t.run(&[
        "search", "taeyeon", "--type", "artist", "--limit", "25", "-o", "jsonl",
    ]);
    assert_code(&o, 0);
    let items = jsonl(&o);
    assert_eq!(items.len(), 25);
    let mut u = ids(&items);
    u.sort();
    u.dedup();
    assert_eq!(u.len(), 25, "no repeats");
    let reqs: Vec<Req> = t
        .hits("/v1/search")
        .into_iter()
        .filter(|r| r.status == 200)
        .collect();
    assert_eq!(reqs.len(), 3, "pages at offsets 0, 10, 20: {reqs:#?}");
    assert!(
        reqs[1..].iter().all(|r| r.query.contains("query=")),
        "next links use query="
    );
}

#[test]
fn search_several_types_counts_the_limit_per_type() {
    let t = T::new();
    let o = t.run(&[
        "search",
        "taeyeon",
        "--type",
        "artist,album",
        "--limit",
        "4",
        "-o",
        "jsonl",
    ]);
    assert_code(&o, 0);
    let items = jsonl(&o);
    let types: Vec<&str> = items.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "artist", "artist", "artist", "artist", "album", "album", "album", "album"
        ]
    );
}

#[test]
fn search_stops_at_the_offset_cap() {
    let t = T::new();
    let o = t.run(&[
        "search", "love", "--type", "track", "--limit", "5000", "-o", "jsonl",
    ]);
    assert_code(&o, 0);
    assert_eq!(jsonl(&o).len(), 1000, "Spotify serves at most offset 1000");
    assert!(
        t.hits("/v1/search")
            .iter()
            .all(|r| r.status == 200 || r.query.contains("limit=50"))
    );
}

#[test]
fn fifty_calls_in_a_pipeline_make_one_token_request() {
    let t = T::new();
    for _ in 0..50 {
        let o = t.run(&["albums", "--artist", ARTIST_57, "--limit", "1", "-o", "tsv"]);
        assert_code(&o, 0);
    }
    assert_eq!(t.fake.token_requests(), 1);
    let o = t.run(&["accounts", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["name"], format!("app-{CLIENT_ID}"));
    assert_eq!(v[0]["grant"], "client_credentials");
}

#[test]
fn login_client_credentials_stores_an_app_account() {
    let t = T::new();
    let o = t.run(&["login", "--client-credentials", "-a", "myapp"]);
    assert_code(&o, 0);
    assert_eq!(
        stderr(&o),
        "spotctl: stored app-only account \"myapp\" (client credentials; no user)\n"
    );
    let acc = read_json(&t.account_path("myapp"));
    assert_eq!(acc["grant"], "client_credentials");
    assert_eq!(acc["client_id"], CLIENT_ID);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(t.account_path("myapp"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(t.config().join("accounts"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dmode, 0o700);
    }
    // Used by name, without the environment's credentials.
    let o = t
        .cmd()
        .env_remove("SPOTIFY_CLIENT_ID")
        .env_remove("SPOTIFY_CLIENT_SECRET")
        .args([
            "albums", "-a", "myapp", "--artist", ARTIST_57, "--limit", "2", "-o", "tsv",
        ])
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert_eq!(lines(&o).len(), 2);
    assert_eq!(t.fake.token_requests(), 1);
}

#[test]
fn missing_credentials_say_how_to_set_them() {
    let t = T::new();
    let o = t
        .cmd()
        .env_remove("SPOTIFY_CLIENT_ID")
        .env_remove("SPOTIFY_CLIENT_SECRET")
        .args(["albums", "--artist", ARTIST_57])
        .output()
        .unwrap();
    assert_code(&o, 3);
    assert!(
        stderr(&o).starts_with(
            "spotctl: no credentials: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET"
        ),
        "{}",
        stderr(&o)
    );
    assert!(t.fake.requests().is_empty());
}

#[test]
fn spotipy_variables_are_accepted() {
    let t = T::new();
    let o = t
        .cmd()
        .env_remove("SPOTIFY_CLIENT_ID")
        .env_remove("SPOTIFY_CLIENT_SECRET")
        .env("SPOTIPY_CLIENT_ID", CLIENT_ID)
        .env("SPOTIPY_CLIENT_SECRET", CLIENT_SECRET)
        .args(["albums", "--artist", ARTIST_57, "--limit", "1"])
        .output()
        .unwrap();
    assert_code(&o, 0);
}

#[test]
fn wrong_secret_is_exit_3_and_stores_nothing() {
    let t = T::new();
    let o = t
        .cmd()
        .env("SPOTIFY_CLIENT_SECRET", "00000000000000000000000000000000")
        .args(["albums", "--artist", ARTIST_57])
        .output()
        .unwrap();
    assert_code(&o, 3);
    assert!(
        stderr(&o).contains("the client id or secret is wrong"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("00000000000000000000000000000000"));
    assert!(!t.account_path(&format!("app-{CLIENT_ID}")).exists());
}

#[test]
fn named_account_that_does_not_exist_is_exit_3() {
    let t = T::new();
    let o = t.run(&["albums", "-a", "nobody", "--artist", ARTIST_57]);
    assert_code(&o, 3);
    assert_eq!(
        stderr(&o),
        "spotctl: no account named \"nobody\"; run `spotctl login -a nobody` (or `spotctl accounts` to see the stored ones)\n"
    );
    assert!(!t.account_path("nobody").exists(), "never created silently");
}

#[test]
fn bad_input_is_exit_2_before_any_request() {
    let t = T::new();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["albums", "--artist", "abc"],
            "spotctl: --artist: \"abc\" is not a Spotify ID: expected 22 letters and digits, got 3 characters\n",
        ),
        (
            vec!["albums", "--artist", "spotify:album:3qNVuliS40BLgXGxhdBdqu"],
            "spotctl: --artist: \"spotify:album:3qNVuliS40BLgXGxhdBdqu\" is an album, but an artist is needed\n",
        ),
        (
            vec!["albums", "--artist", ""],
            "spotctl: --artist: empty artist ID\n",
        ),
        (
            vec![
                "albums",
                "--artist",
                "https://open.spotify.com/track/3qNVuliS40BLgXGxhdBdqu",
            ],
            "spotctl: --artist: \"https://open.spotify.com/track/3qNVuliS40BLgXGxhdBdqu\" is a track, but an artist is needed\n",
        ),
        (
            vec![
                "albums",
                "--artist",
                ARTIST_57,
                "--include-groups",
                "album,ep",
            ],
            "spotctl: --include-groups: unknown value \"ep\"; choose from album, single, appears_on, compilation\n",
        ),
        (
            vec!["albums", "--artist", ARTIST_57, "--market", "KOR"],
            "spotctl: --market \"KOR\" is not a country code; use two letters like KR or US\n",
        ),
        (
            vec!["search", "x", "--type", "artist,podcast"],
            "spotctl: --type: unknown value \"podcast\"; choose from artist, album, track, playlist, show, episode, audiobook\n",
        ),
        (vec!["search", "  "], "spotctl: the search query is empty\n"),
    ];
    for (args, want) in cases {
        let o = t.run(&args);
        assert_code(&o, 2);
        assert_eq!(stderr(&o), want, "{args:?}");
    }
    for args in [
        vec!["albums", "--artist", ARTIST_57, "--limit", "0"],
        vec!["albums", "--artist", ARTIST_57, "--limit", "-3"],
        vec!["search", "x", "--limit", "0"],
        vec!["albums", "--artist", ARTIST_57, "-o", "xml"],
        vec!["albums"],
        vec!["frobnicate"],
    ] {
        let o = t.run(&args);
        assert_code(&o, 2);
        let e = stderr(&o);
        assert!(
            e.starts_with("spotctl: ") && e.lines().count() == 1,
            "{args:?}: one spotctl: line, got {e}"
        );
    }
    assert!(t.fake.requests().is_empty(), "no request for bad input");
}

#[test]
fn unknown_artist_is_exit_4_with_the_service_message() {
    let t = T::new();
    let o = t.run(&["albums", "--artist", "0000000000000000000000"]);
    assert_code(&o, 4);
    assert_eq!(
        stderr(&o),
        "spotctl: GET /v1/artists/0000000000000000000000/albums: 404 Resource not found\n"
    );
}

#[test]
fn closed_pipe_ends_quietly() {
    let t = T::new();
    let bin = env!("CARGO_BIN_EXE_spotctl");
    let script = format!(
        "'{bin}' albums --artist {ARTIST_1000} -o jsonl | head -1; echo \"status=${{PIPESTATUS[0]}}\" >&2"
    );
    let mut c = std::process::Command::new("bash");
    c.arg("-c").arg(script);
    t.apply_env(&mut c);
    let o = c.output().unwrap();
    assert_eq!(lines(&o).len(), 1);
    assert_eq!(stderr(&o), "status=0\n", "nothing on stderr, status 0");
}

#[test]
fn completions_are_generated() {
    let t = T::new();
    let o = t.run(&["completions", "zsh"]);
    assert_code(&o, 0);
    assert!(stdout(&o).starts_with("#compdef spotctl"));
    assert!(stdout(&o).contains("--artist"));
    let o = t.run(&["completions", "bash"]);
    assert!(stdout(&o).contains("_spotctl()"));
}

#[test]
fn help_teaches_with_examples() {
    let t = T::new();
    let o = t.run(&["albums", "--help"]);
    assert_code(&o, 0);
    let h = stdout(&o);
    assert!(h.contains("Examples:") && h.contains("--artist -"), "{h}");
    let o = t.run(&["--help"]);
    assert!(stdout(&o).contains("Exit status:"));
}

#[test]
fn hostile_ids_are_refused_before_any_request() {
    let t = T::new();
    let long = "A".repeat(10_000);
    let cases = [
        "3qNVuliS40BLgXGxhdBdqü".to_string(),
        "태연태연태연태연태연태연태연태연태연태연태연".to_string(),
        long.clone(),
        "3qNVuliS40BLgXGxhd\u{1b}[31m".to_string(),
        "https://open.spotify.com/artist/3qNVuliS40BLgXGxhd%2Fqu".to_string(),
        "https://open.spotify.com.evil.example/artist/3qNVuliS40BLgXGxhdBdqu".to_string(),
        "https://evil.example/open.spotify.com/artist/3qNVuliS40BLgXGxhdBdqu".to_string(),
        "spotify:artist:3qNVuliS40BLgXGxhdBdqu/../../me".to_string(),
    ];
    for c in &cases {
        let o = t.run(&["albums", "--artist", c]);
        assert_code(&o, 2);
        let e = stderr(&o);
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(
            e.len() < 300,
            "the input is cut in the message: {} bytes",
            e.len()
        );
        assert!(
            !e.contains('\u{1b}'),
            "control characters are escaped: {e:?}"
        );
    }
    // The same through stdin, with a 1 MB line.
    let input = format!("{ARTIST_57}\n{}\n", "x".repeat(1 << 20));
    let o = t
        .cmd()
        .args(["albums", "--artist", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert_eq!(
        stderr(&o),
        "spotctl: stdin line 2: too long (4097 bytes) to be an artist ID\nspotctl: 1 of 2 artists failed\n"
    );
    assert!(
        t.hits("/artists/")
            .iter()
            .all(|r| r.path.contains(ARTIST_57))
    );
}
