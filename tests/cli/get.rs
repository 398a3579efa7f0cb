//! `spotctl get` (issue 18, item 2): full objects in input order, the batch endpoints where
//! the app may use them, one request per object after their 403 (remembered in the account),
//! a missing object as that input's failure.

use crate::common::*;

/// The album IDs of the 57-album artist, in order.
fn album_ids(t: &T) -> Vec<String> {
    let o = t.run(&["albums", ARTIST_57, "-o", "jsonl"]);
    assert_code(&o, 0);
    ids(&jsonl(&o))
}

fn uris(kind: &str, ids: &[String]) -> Vec<String> {
    ids.iter()
        .map(|id| format!("spotify:{kind}:{id}"))
        .collect()
}

#[test]
fn development_mode_falls_back_to_one_request_per_object_and_remembers_it() {
    let t = T::new();
    let albums = album_ids(&t);
    t.fake.clear_log();
    let mut args = vec!["get".to_string()];
    args.extend(uris("album", &albums[..5]));
    args.push(format!("spotify:artist:{ARTIST_57}"));
    args.push(format!("spotify:show:{SHOW_3}"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = t.run(&args);
    assert_code(&o, 0);
    let got = jsonl(&o);
    let mut want: Vec<String> = albums[..5].to_vec();
    want.push(ARTIST_57.into());
    want.push(SHOW_3.into());
    assert_eq!(ids(&got), want, "one object per input, in input order");
    assert!(got[0]["tracks"]["items"].is_array(), "full album objects");
    assert_eq!(got[6]["type"], "show");
    let batch: Vec<Req> = t
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.param("ids").is_some())
        .collect();
    assert_eq!(batch.len(), 1, "one batch request finds out: {batch:?}");
    assert_eq!(batch[0].path, "/v1/albums");
    assert_eq!(t.hits("/albums/").len(), 5, "then one request per album");
    let acc = read_json(&t.account_path(&format!("app-{CLIENT_ID}")));
    assert!(acc["learned"]["batch_forbidden_at"].as_i64().unwrap() > now() - 60);

    // The next run goes straight to single requests.
    t.fake.clear_log();
    let o = t.run(&["get", &format!("spotify:album:{}", albums[9])]);
    assert_code(&o, 0);
    assert_eq!(t.fake.api_requests(), 1);
    assert_eq!(t.hits(&format!("/albums/{}", albums[9])).len(), 1);
}

#[test]
fn extended_quota_asks_20_albums_a_request_and_a_null_is_that_inputs_failure() {
    let t = T::with(Mode::Extended);
    let mut albums = album_ids(&t);
    albums.truncate(44);
    let missing = "0MissingAlbumAAAAAAAAA".to_string();
    albums.insert(21, missing.clone());
    t.fake.clear_log();
    let o = t
        .cmd()
        .args(["get", "-", "--type", "album"])
        .write_stdin(albums.join("\n") + "\n")
        .output()
        .unwrap();
    assert_code(&o, 4);
    let mut want = albums.clone();
    want.remove(21);
    assert_eq!(ids(&jsonl(&o)), want, "the others, in input order");
    assert_eq!(
        stderr(&o),
        format!(
            "spotctl: album {missing} (stdin line 22): GET /v1/albums: 404 no album with this ID (null in the batch answer)\nspotctl: 1 of 45 inputs failed\n"
        )
    );
    let reqs = t.hits("/albums");
    assert_eq!(reqs.len(), 3, "ceil(45 / 20) requests: {reqs:?}");
    assert!(reqs.iter().all(|r| r.path == "/v1/albums"));
}

#[test]
fn albums_pipe_into_get_and_tracks_pipe_into_get() {
    let t = T::with(Mode::Extended);
    let albums = t.run(&["albums", ARTIST_57, "--limit", "3", "-o", "jsonl"]);
    assert_code(&albums, 0);
    let o = t
        .cmd()
        .args(["get", "-"])
        .write_stdin(stdout(&albums))
        .output()
        .unwrap();
    assert_code(&o, 0);
    let full = jsonl(&o);
    assert_eq!(ids(&full), ids(&jsonl(&albums)));
    assert!(full.iter().all(|a| a["label"].is_string()), "full objects");

    let album = t.fake.add_album("Piped", 3);
    let tracks = t.run(&["tracks", &album]);
    let o = t
        .cmd()
        .args(["get", "-", "-o", "tsv"])
        .write_stdin(stdout(&tracks))
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert_eq!(
        lines(&o)
            .iter()
            .map(|l| l.split('\t').next_back().unwrap().to_string())
            .collect::<Vec<_>>(),
        ["Piped · 1", "Piped · 2", "Piped · 3"]
    );
    assert_eq!(
        t.hits("/tracks")
            .iter()
            .filter(|r| r.path == "/v1/tracks")
            .count(),
        1
    );
}

#[test]
fn a_missing_object_alone_is_the_runs_error_and_a_bare_id_needs_a_type() {
    let t = T::new();
    let o = t.run(&["get", "--type", "show", "0MissingShowAAAAAAAAAA"]);
    assert_code(&o, 4);
    assert_eq!(
        stderr(&o),
        "spotctl: GET /v1/shows/0MissingShowAAAAAAAAAA: 404 Resource not found\n"
    );
    let o = t.run(&["get", ARTIST_57]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("--type"), "{}", stderr(&o));
    assert_eq!(t.fake.api_requests(), 1, "nothing sent for the bare ID");
}
