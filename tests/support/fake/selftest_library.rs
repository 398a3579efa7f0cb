//! The fake's own tests of album tracks, batch endpoints, shows, playlists, the users' own
//! listings and a second user's login (`cargo test --example fake_spotify`).

use base64::Engine as _;
use serde_json::Value;

use crate::support::fake::{
    ALICE_PLAYLIST, ARTIST_57, AUDIOBOOK, AuthorizeBehavior, BOB_PLAYLIST, CLIENT_ID, FakeSpotify,
    Mode, SHOW_3, SHOW_57, http_request,
};

fn call(method: &str, url: &str, token: &str, body: Option<&str>) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let (status, _, body) = http_request(method, url, &headers, body);
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn get(url: &str, token: &str) -> (u16, Value) {
    call("GET", url, token, None)
}

/// Every item of a listing, following `next`; also the number of pages.
fn all(url: &str, token: &str) -> (Vec<Value>, usize) {
    let (mut items, mut pages, mut url) = (Vec::new(), 0, url.to_string());
    loop {
        let (status, page) = get(&url, token);
        assert_eq!(status, 200, "{url}: {page}");
        pages += 1;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(n) => url = n.to_string(),
            None => return (items, pages),
        }
    }
}

#[test]
fn album_tracks_page_and_every_track_has_a_full_object() {
    let fake = FakeSpotify::start();
    let token = fake.issue_app_token();
    let big = fake.add_album("Long Album", 123);
    let api = fake.api_base();
    let (tracks, pages) = all(&format!("{api}/albums/{big}/tracks?limit=50"), &token);
    assert_eq!((tracks.len(), pages), (123, 3));
    let numbers: Vec<u64> = tracks
        .iter()
        .map(|t| t["track_number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=123).collect::<Vec<_>>());
    assert!(
        tracks[0].get("album").is_none(),
        "album tracks are simplified"
    );
    let (status, full) = get(
        &format!("{api}/tracks/{}", tracks[5]["id"].as_str().unwrap()),
        &token,
    );
    assert_eq!(status, 200);
    assert_eq!(
        full["album"]["id"],
        big.as_str(),
        "a full track names its album"
    );
    let (_, page) = get(
        &format!("{api}/albums/{big}/tracks?market=KR&limit=2"),
        &token,
    );
    assert_eq!(page["items"][0]["is_playable"], true);
    assert_eq!(
        page["next"],
        format!("{api}/albums/{big}/tracks?offset=2&limit=2&market=KR")
    );
    let (status, _) = get(&format!("{api}/albums/{big}/tracks?limit=51"), &token);
    assert_eq!(status, 400);
}

#[test]
fn batch_endpoints_work_in_extended_mode_only_and_null_unknown_ids() {
    let fake = FakeSpotify::start_with(Mode::Extended);
    let token = fake.issue_app_token();
    let api = fake.api_base();
    let (_, page) = get(&format!("{api}/artists/{ARTIST_57}/albums?limit=3"), &token);
    let a: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    let missing = "0000000000000000000000";
    let (status, body) = get(
        &format!("{api}/albums?ids={},{missing},{}", a[0], a[2]),
        &token,
    );
    assert_eq!(status, 200);
    let got = body["albums"].as_array().unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0]["id"], a[0]);
    assert!(got[1].is_null(), "an unknown id is a null entry");
    assert!(got[0]["tracks"]["items"].is_array(), "full albums");
    let many = vec![a[0]; 21].join(",");
    assert_eq!(get(&format!("{api}/albums?ids={many}"), &token).0, 400);
    let (status, body) = get(&format!("{api}/artists?ids={ARTIST_57}"), &token);
    assert_eq!(
        (status, body["artists"][0]["name"].as_str()),
        (200, Some("태연 TAEYEON"))
    );
    for mode in [Mode::Dev2026, Mode::DevLegacy] {
        fake.set_mode(mode);
        for path in [
            format!("/albums?ids={}", a[0]),
            format!("/artists?ids={ARTIST_57}"),
            "/tracks?ids=0000000000000000000000".to_string(),
        ] {
            let (status, body) = get(&format!("{api}{path}"), &token);
            assert_eq!(
                (status, &body["error"]["message"]),
                (403, &Value::from("Forbidden"))
            );
        }
    }
}

#[test]
fn shows_episodes_and_an_audiobook() {
    let fake = FakeSpotify::start();
    let token = fake.issue_app_token();
    let api = fake.api_base();
    let (episodes, pages) = all(&format!("{api}/shows/{SHOW_57}/episodes?limit=50"), &token);
    assert_eq!((episodes.len(), pages), (57, 2));
    assert_eq!(episodes[0]["type"], "episode");
    let dates: Vec<&str> = episodes
        .iter()
        .map(|e| e["release_date"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let (status, show) = get(&format!("{api}/shows/{SHOW_3}"), &token);
    assert_eq!((status, show["episodes"]["total"].as_u64()), (200, Some(3)));
    assert!(
        show.get("publisher").is_none(),
        "removed in Development Mode"
    );
    let id = episodes[3]["id"].as_str().unwrap();
    let (status, ep) = get(&format!("{api}/episodes/{id}"), &token);
    assert_eq!((status, ep["show"]["id"].as_str()), (200, Some(SHOW_57)));
    let (status, book) = get(&format!("{api}/audiobooks/{AUDIOBOOK}"), &token);
    assert_eq!((status, book["total_chapters"].as_u64()), (200, Some(4)));
    assert_eq!(
        get(&format!("{api}/shows/0000000000000000000000"), &token).0,
        404
    );
}

#[test]
fn playlists_have_items_in_the_2026_shape_and_tracks_only_outside_development_mode() {
    let fake = FakeSpotify::start();
    let alice = fake
        .issue_user_tokens("alice", "playlist-modify-private user-top-read", false)
        .access_token;
    let bob = fake.issue_user_tokens("bob", "", false).access_token;
    let app = fake.issue_app_token();
    let api = fake.api_base();
    let items_url = format!("{api}/playlists/{ALICE_PLAYLIST}/items?limit=50");
    let (entries, pages) = all(&items_url, &alice);
    assert_eq!((entries.len(), pages), (60, 2));
    assert!(
        entries
            .iter()
            .all(|e| e.get("item").is_some() && e.get("track").is_none())
    );
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["item"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "episode").count(), 2);
    assert!(
        entries
            .iter()
            .any(|e| e["item"]["id"].is_null() && e["is_local"] == true)
    );
    // Development Mode: contents only for the owner; the old path is gone.
    assert_eq!(get(&items_url, &bob).0, 403);
    assert_eq!(get(&items_url, &app).0, 403);
    let old = format!("{api}/playlists/{ALICE_PLAYLIST}/tracks");
    assert_eq!(get(&old, &alice).0, 403);
    let (_, full) = get(&format!("{api}/playlists/{ALICE_PLAYLIST}"), &alice);
    assert_eq!(full["items"]["total"], 60);
    assert!(full["items"]["items"][0]["item"].is_object());
    // Older answers: `track`.
    fake.set_legacy_playlist_items(true);
    let (_, page) = get(&items_url, &alice);
    assert!(page["items"][0]["track"].is_object() && page["items"][0].get("item").is_none());
    fake.set_legacy_playlist_items(false);
    fake.set_mode(Mode::Extended);
    let (entries, _) = all(&format!("{old}?limit=50"), &app);
    assert!(
        entries
            .iter()
            .all(|e| e["track"].is_object() || e["track"]["is_local"] == true)
    );
    assert_eq!(
        get(&format!("{api}/playlists/{BOB_PLAYLIST}/items"), &app).0,
        200
    );
    fake.set_mode(Mode::Dev2026);

    // Create, add items, list: the user's own playlists.
    let (status, created) = call(
        "POST",
        &format!("{api}/me/playlists"),
        &alice,
        Some(r#"{"name":"New"}"#),
    );
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap();
    let uri = entries_uri(&entries[0]);
    let (status, snap) = call(
        "POST",
        &format!("{api}/playlists/{id}/items"),
        &alice,
        Some(&format!(r#"{{"uris":["{uri}"]}}"#)),
    );
    assert_eq!((status, snap["snapshot_id"].is_string()), (201, true));
    let (items, _) = all(&format!("{api}/playlists/{id}/items"), &alice);
    assert_eq!(items.len(), 1);
    let (status, _) = call(
        "POST",
        &format!("{api}/playlists/{id}/items"),
        &bob,
        Some(&format!(r#"{{"uris":["{uri}"]}}"#)),
    );
    assert_eq!(status, 403, "not bob's playlist");
    let (mine, _) = all(&format!("{api}/me/playlists"), &alice);
    let names: Vec<&str> = mine.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Alice Mix ✨", "New"]);
    assert_eq!(mine[1]["items"]["total"], 1);
    let (theirs, _) = all(&format!("{api}/me/playlists"), &bob);
    assert_eq!(theirs.len(), 1);
    assert_eq!(get(&format!("{api}/me/playlists"), &app).0, 403);

    // Top items: per user, scope needed.
    let (top, pages) = all(&format!("{api}/me/top/tracks?limit=20"), &alice);
    assert_eq!((top.len(), pages), (30, 2));
    let (status, body) = get(&format!("{api}/me/top/artists"), &alice);
    assert_eq!(
        (status, body["items"][0]["id"].as_str()),
        (200, Some(ARTIST_57))
    );
    assert_eq!(
        get(&format!("{api}/me/top/artists"), &bob).0,
        403,
        "no user-top-read"
    );
}

fn entries_uri(entry: &Value) -> String {
    entry["track"]["uri"].as_str().unwrap().to_string()
}

#[test]
fn queued_logins_approve_as_the_next_users_in_turn() {
    let fake = FakeSpotify::start();
    fake.queue_logins(&["bob"]);
    let url = |state: &str| {
        format!(
            "{}/authorize?client_id={CLIENT_ID}&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A8888%2Fcallback&state={state}",
            fake.accounts_base()
        )
    };
    let who = |location: String| {
        let code = url::Url::parse(&location)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{CLIENT_ID}:{}",
                crate::support::fake::CLIENT_SECRET
            ))
        );
        let form = format!(
            "grant_type=authorization_code&code={code}&redirect_uri=http%3A%2F%2F127.0.0.1%3A8888%2Fcallback"
        );
        let (_, _, body) = http_request(
            "POST",
            &format!("{}/api/token", fake.accounts_base()),
            &[
                ("authorization", &basic),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            Some(&form),
        );
        let token: Value = serde_json::from_str(&body).unwrap();
        let (_, me) = get(
            &format!("{}/me", fake.api_base()),
            token["access_token"].as_str().unwrap(),
        );
        me["id"].as_str().unwrap().to_string()
    };
    assert_eq!(who(fake.authorize_location(&url("a")).unwrap()), "bob");
    assert_eq!(who(fake.authorize_location(&url("b")).unwrap()), "alice");
    fake.set_authorize_behavior(AuthorizeBehavior::Deny);
    assert!(
        fake.authorize_location(&url("c"))
            .unwrap()
            .contains("access_denied")
    );
}
