//! `api` for scripts (issue 18, item 6): `--param` URL-encoded, catalog paths through the app
//! account, the Development Mode 403 naming the replacement, and the 429 wait said on a
//! terminal's stderr.

use crate::common::*;

#[test]
fn params_are_url_encoded_and_catalog_paths_need_no_login() {
    let t = T::new();
    let o = t.run(&[
        "api",
        "/search?type=artist",
        "--param",
        "q=태연",
        "--param",
        "limit=1",
    ]);
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["artists"]["items"][0]["id"], ARTIST_57);
    let req = &t.hits("/search")[0];
    assert_eq!(
        req.query, "type=artist&q=%ED%83%9C%EC%97%B0&limit=1",
        "after the path's own"
    );
    // The app account `albums` would have made is the one `api` uses too: one token.
    let o = t.run(&["api", &format!("/artists/{ARTIST_57}")]);
    assert_code(&o, 0);
    assert_eq!(t.fake.token_requests(), 1);
    // A user's own data still needs a user.
    let o = t.run(&["api", "/me"]);
    assert_code(&o, 3);
    assert!(
        stderr(&o).contains("no account named \"default\""),
        "{}",
        stderr(&o)
    );
    let o = t.run(&["api", "/search", "--param", "novalue"]);
    assert_code(&o, 2);
}

#[test]
fn an_endpoint_development_mode_removed_says_so_and_names_the_replacement() {
    let t = T::new();
    let o = t.run(&["api", "/albums", "--param", &format!("ids={ARTIST_57}")]);
    assert_code(&o, 4);
    assert_eq!(
        stderr(&o),
        "spotctl: GET /v1/albums: 403 Forbidden; Development Mode apps lost GET /albums in February 2026; fetch them one at a time: GET /albums/{id} for each (`spotctl get` does)\n"
    );
    t.user_account("alice", "alice", "playlist-read-private", 3600);
    let o = t.run(&[
        "api",
        "-a",
        "alice",
        &format!("/playlists/{ALICE_PLAYLIST}/tracks"),
    ]);
    assert_code(&o, 4);
    assert!(
        stderr(&o).contains("use GET /playlists/{id}/items"),
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn a_wait_for_a_429_is_one_line_on_a_terminal() {
    let t = T::new();
    assert_code(&t.run(&["api", &format!("/artists/{ARTIST_57}")]), 0);
    t.fake.inject(Fault::new("/artists/", too_many("1")));
    let cmd = format!("{} api /artists/{ARTIST_57}", env!("CARGO_BIN_EXE_spotctl"));
    let mut c = std::process::Command::new("script");
    t.apply_env(&mut c);
    let o = c.args(["-qec", &cmd, "/dev/null"]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 0, "{text}");
    let notices: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("rate limited"))
        .collect();
    assert!(
        !notices.is_empty()
            && notices[0]
                .trim()
                .starts_with("spotctl: rate limited by the service; waiting "),
        "{text}"
    );
    // Not on a pipe: scripts see only what failed.
    t.fake.inject(Fault::new("/artists/", too_many("1")));
    let o = t.run(&["api", &format!("/artists/{ARTIST_57}")]);
    assert_code(&o, 0);
    assert_eq!(stderr(&o), "");
}
