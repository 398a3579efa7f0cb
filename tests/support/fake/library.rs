//! The parts of the catalog beyond artists and albums, and the users' own things: podcasts
//! (shows and their episodes), an audiobook, playlists (with the 2026 `/items` endpoints and
//! the `/tracks` ones Development Mode removed), the users' playlists and top items.
//!
//! Shapes follow facts §4.2–4.3: a 2026 playlist holds `items` whose entries carry `item`
//! (older answers: `tracks` and `track`); `/playlists/{id}/tracks` answers 403 in Development
//! Mode, and there a playlist's contents are served only to its owner or a collaborator.
//! Show and audiobook objects lose `available_markets` and `publisher` in Development Mode.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::Mode;
use super::catalog::{Catalog, MARKETS, TrackRef, View, make_id};
use super::server::{Incoming, json as json_response};
use super::state::{State, Subject, unix_now};
use super::web_api::{ApiErr, ApiResult, Link, err, limit, offset, page, rfc3339};

/// "Taeyeon's Radio Diary": 57 episodes (several pages at any page size).
pub const SHOW_57: &str = "4TaeyeonRadioDiaryShow";
/// "Tiny Show": 3 episodes.
pub const SHOW_3: &str = "3TinyShowAAAAAAAAAAAAA";
/// "README Sample Podcast": 12 episodes; the show id the README's examples use (a real show's
/// id on Spotify).
pub const README_SHOW: &str = "4rOoJ6Egrf8K2IrywzwOMk";
/// An audiobook with 4 chapters.
pub const AUDIOBOOK: &str = "7AudiobookOfSeasonsAAA";
/// Alice's playlist "Alice Mix ✨": 57 tracks (the first of each of the 57-album artist's
/// albums), 2 episodes and 1 local file (whose `id` is null), 60 entries.
pub const ALICE_PLAYLIST: &str = "37i9dQZAliceMixAAAAAAA";
/// Bob's playlist "Bob's Road Trip": 5 tracks.
pub const BOB_PLAYLIST: &str = "37i9dQZBobRoadTripAAAA";

/// (max, default) page size of show episodes, playlist items, a user's playlists and top items.
const PAGE: (usize, usize) = (50, 20);

pub(crate) struct Show {
    pub id: String,
    pub name: String,
    pub episodes: u32,
}

/// What a playlist entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    Track(TrackRef),
    /// Episode `n` (1-based) of show `show` (index).
    Episode(usize, u32),
    /// A local file: no id, no uri of the usual kind (facts §9).
    Local(String),
    /// A track no longer available: the entry says `"item": null`.
    Gone,
}

pub(crate) struct Playlist {
    pub id: String,
    pub owner: String,
    pub name: String,
    pub public: bool,
    pub collaborative: bool,
    pub description: Option<String>,
    pub entries: Vec<(String, Entry)>,
}

#[derive(Default)]
pub(crate) struct Library {
    pub shows: Vec<Show>,
    episodes_by_id: HashMap<String, (usize, u32)>,
    pub playlists: Vec<Playlist>,
    /// `/playlists/{id}/items` entries carry `track` instead of `item` (as answers did before
    /// the 2026 rename).
    pub legacy_item_key: bool,
}

impl Library {
    pub(crate) fn new(catalog: &Catalog) -> Library {
        let mut lib = Library::default();
        lib.add_show(SHOW_57, "Taeyeon's Radio Diary 📻", 57);
        lib.add_show(SHOW_3, "Tiny Show", 3);
        lib.add_show(README_SHOW, "README Sample Podcast", 12);
        let taeyeon = catalog
            .artist_index(super::ARTIST_57)
            .expect("the 57-album artist exists");
        let mut entries: Vec<(String, Entry)> = (0..57)
            .map(|al| {
                let t = TrackRef::OfAlbum {
                    artist: taeyeon,
                    album: al,
                    number: 1,
                };
                (added_at(al), Entry::Track(t))
            })
            .collect();
        entries.insert(10, (added_at(57), Entry::Episode(0, 1)));
        entries.insert(
            30,
            (added_at(58), Entry::Local("Home Recording.mp3".into())),
        );
        entries.push((added_at(59), Entry::Episode(1, 2)));
        lib.playlists.push(Playlist {
            id: ALICE_PLAYLIST.to_string(),
            owner: "alice".into(),
            name: "Alice Mix ✨".into(),
            public: true,
            collaborative: false,
            description: Some("Everything <b>Taeyeon</b>".into()),
            entries,
        });
        lib.playlists.push(Playlist {
            id: BOB_PLAYLIST.to_string(),
            owner: "bob".into(),
            name: "Bob's Road Trip".into(),
            public: false,
            collaborative: false,
            description: None,
            entries: (0..5)
                .map(|n| (added_at(n), Entry::Track(TrackRef::Love(n))))
                .collect(),
        });
        lib
    }

    fn add_show(&mut self, id: &str, name: &str, episodes: u32) {
        let idx = self.shows.len();
        for n in 1..=episodes {
            self.episodes_by_id.insert(episode_id(id, n), (idx, n));
        }
        self.shows.push(Show {
            id: id.to_string(),
            name: name.to_string(),
            episodes,
        });
    }

    fn show_index(&self, id: &str) -> Option<usize> {
        self.shows.iter().position(|s| s.id == id)
    }

    fn playlist_index(&self, id: &str) -> Option<usize> {
        self.playlists.iter().position(|p| p.id == id)
    }

    fn show_simple(&self, s: usize, v: &View) -> Value {
        let show = &self.shows[s];
        let mut o = json!({
            "description": format!("{} — a fake podcast", show.name),
            "html_description": format!("<p>{} — a fake podcast</p>", show.name),
            "explicit": false,
            "external_urls": {"spotify": format!("https://open.spotify.com/show/{}", show.id)},
            "href": format!("{}/shows/{}", v.api, show.id),
            "id": show.id,
            "images": images(&show.id),
            "is_externally_hosted": false,
            "languages": ["ko", "en"],
            "media_type": "audio",
            "name": show.name,
            "total_episodes": show.episodes,
            "type": "show",
            "uri": format!("spotify:show:{}", show.id),
        });
        if v.mode != Mode::Dev2026 {
            o["available_markets"] = json!(MARKETS);
            o["publisher"] = json!("Fake Radio");
        }
        o
    }

    fn episode(&self, (s, n): (usize, u32), v: &View, with_show: bool) -> Value {
        let show = &self.shows[s];
        let id = episode_id(&show.id, n);
        let day = (show.episodes - n) as usize;
        let mut o = json!({
            "audio_preview_url": null,
            "description": format!("Episode {n} of {}", show.name),
            "html_description": format!("<p>Episode {n} of {}</p>", show.name),
            "duration_ms": 1_200_000 + n * 1000,
            "explicit": false,
            "external_urls": {"spotify": format!("https://open.spotify.com/episode/{id}")},
            "href": format!("{}/episodes/{id}", v.api),
            "id": id,
            "images": images(&id),
            "is_externally_hosted": false,
            "is_playable": true,
            "languages": ["ko"],
            "name": format!("{} #{n}", show.name),
            "release_date": rfc3339(1_767_225_600 - day as i64 * 86_400)[..10].to_string(),
            "release_date_precision": "day",
            "type": "episode",
            "uri": format!("spotify:episode:{id}"),
        });
        if with_show {
            o["show"] = self.show_simple(s, v);
        }
        o
    }

    fn chapters(&self) -> Vec<Value> {
        (1..=4)
            .map(|n| {
                let id = make_id(&format!("chapter:{AUDIOBOOK}:{n}"));
                json!({
                    "chapter_number": n - 1,
                    "duration_ms": 600_000 * n,
                    "id": id,
                    "name": format!("Chapter {n}"),
                    "type": "chapter",
                    "uri": format!("spotify:episode:{id}"),
                })
            })
            .collect()
    }

    fn audiobook(&self, v: &View) -> Value {
        let chapters = self.chapters();
        let link = Link::new(format!("{}/audiobooks/{AUDIOBOOK}/chapters", v.api));
        let mut o = json!({
            "authors": [{"name": "Kim Seasons"}],
            "chapters": page(&link, chapters, 0, 50, 4, usize::MAX, Default::default()),
            "description": "Four seasons, four chapters.",
            "edition": "Unabridged",
            "explicit": false,
            "external_urls": {"spotify": format!("https://open.spotify.com/show/{AUDIOBOOK}")},
            "href": format!("{}/audiobooks/{AUDIOBOOK}", v.api),
            "id": AUDIOBOOK,
            "images": images(AUDIOBOOK),
            "languages": ["ko"],
            "media_type": "audio",
            "name": "The Book of Seasons",
            "narrators": [{"name": "Narrator Park"}],
            "total_chapters": 4,
            "type": "audiobook",
            "uri": format!("spotify:audiobook:{AUDIOBOOK}"),
        });
        if v.mode != Mode::Dev2026 {
            o["available_markets"] = json!(MARKETS);
            o["publisher"] = json!("Fake Books");
        }
        o
    }
}

fn added_at(n: usize) -> String {
    format!("2026-{:02}-{:02}T09:00:00Z", 1 + n / 28 % 12, 1 + n % 28)
}

fn episode_id(show: &str, n: u32) -> String {
    make_id(&format!("episode:{show}:{n}"))
}

fn images(id: &str) -> Value {
    json!([{"height": 640, "url": format!("https://i.scdn.co/image/show{}", id.to_lowercase()), "width": 640}])
}

fn ok(v: &Value) -> ApiResult {
    Ok(json_response(200, v))
}

/// Routes the endpoints this module serves; `None` for any other.
pub(crate) fn route(
    st: &mut State,
    v: &View,
    caller: &Subject,
    inc: &Incoming,
    segments: &[&str],
) -> Option<ApiResult> {
    let dev = v.mode != Mode::Extended;
    Some(match (inc.method.as_str(), segments) {
        ("GET", ["shows", id, "episodes"]) => show_episodes(st, v, id, inc),
        ("GET", ["shows", id]) => match st.library.show_index(id) {
            Some(s) => {
                let mut o = st.library.show_simple(s, v);
                o["episodes"] = episodes_page(st, v, s, 0, 50, Default::default());
                ok(&o)
            }
            None => not_found(id),
        },
        ("GET", ["episodes", id]) => match st.library.episodes_by_id.get(*id).copied() {
            Some(at) => ok(&st.library.episode(at, v, true)),
            None => not_found(id),
        },
        ("GET", ["audiobooks", id]) if *id == AUDIOBOOK => ok(&st.library.audiobook(v)),
        ("GET", ["audiobooks", id, "chapters"]) if *id == AUDIOBOOK => {
            let (limit, offset) = match paging(inc) {
                Ok(p) => p,
                Err(e) => return Some(Err(e)),
            };
            let all = st.library.chapters();
            let n = all.len();
            let items = all.into_iter().skip(offset).take(limit).collect();
            let link = Link::new(format!("{}/audiobooks/{AUDIOBOOK}/chapters", v.api));
            let tweaks = st.page_tweaks(&inc.method, &inc.path, &inc.query);
            ok(&page(&link, items, offset, limit, n, usize::MAX, tweaks))
        }
        ("GET", ["audiobooks", id]) => not_found(id),
        ("GET", ["playlists", id, "items"]) => playlist_items(st, v, caller, id, inc, false),
        ("GET", ["playlists", _, "tracks"]) if dev => Err(err(403, "Forbidden")),
        ("GET", ["playlists", id, "tracks"]) => playlist_items(st, v, caller, id, inc, true),
        ("GET", ["playlists", id]) => playlist_full(st, v, caller, id),
        ("POST", ["playlists", id, "items"]) => add_items(st, caller, id, inc),
        ("POST", ["playlists", _, "tracks"]) if dev => Err(err(403, "Forbidden")),
        ("POST", ["playlists", id, "tracks"]) => add_items(st, caller, id, inc),
        ("GET", ["me", "playlists"]) => my_playlists(st, v, caller, inc),
        ("GET", ["me", "top", kind]) => top(st, v, caller, kind, inc),
        _ => return None,
    })
}

fn not_found(id: &str) -> ApiResult {
    if id.len() == 22 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Err(err(404, "Resource not found"))
    } else {
        Err(err(400, "Invalid base62 id"))
    }
}

fn paging(inc: &Incoming) -> Result<(usize, usize), ApiErr> {
    let (max, default) = PAGE;
    Ok((limit(inc, max, default)?, offset(inc)?))
}

fn episodes_page(
    st: &State,
    v: &View,
    s: usize,
    offset: usize,
    limit: usize,
    tweaks: super::state::Tweaks,
) -> Value {
    let lib = &st.library;
    let total = lib.shows[s].episodes as usize;
    let items = (offset..total.min(offset + limit))
        .map(|i| lib.episode((s, (total - i) as u32), v, false))
        .collect();
    let link = Link::new(format!("{}/shows/{}/episodes", v.api, lib.shows[s].id));
    page(&link, items, offset, limit, total, usize::MAX, tweaks)
}

/// `GET /shows/{id}/episodes`: newest first.
fn show_episodes(st: &mut State, v: &View, id: &str, inc: &Incoming) -> ApiResult {
    let Some(s) = st.library.show_index(id) else {
        return not_found(id);
    };
    let (limit, offset) = paging(inc)?;
    let tweaks = st.page_tweaks(&inc.method, &inc.path, &inc.query);
    ok(&episodes_page(st, v, s, offset, limit, tweaks))
}

fn may_read(p: &Playlist, caller: &Subject, mode: Mode) -> bool {
    match caller {
        // Development Mode: contents only for the owner or a collaborator (facts §4.3).
        _ if mode == Mode::Extended => true,
        Subject::User { id, .. } => *id == p.owner || p.collaborative,
        Subject::App => false,
    }
}

fn entry_json(st: &State, v: &View, e: &Entry) -> Value {
    match e {
        Entry::Track(t) => st.catalog.track(*t, v, true),
        Entry::Episode(s, n) => st.library.episode((*s, *n), v, true),
        Entry::Gone => Value::Null,
        Entry::Local(name) => json!({
            "album": {"name": null, "type": "album"},
            "artists": [],
            "disc_number": 0,
            "duration_ms": 201_000,
            "explicit": false,
            "external_urls": {},
            "href": null,
            "id": null,
            "is_local": true,
            "name": name,
            "track_number": 0,
            "type": "track",
            "uri": format!("spotify:local:::{}:201", name.replace(' ', "+")),
        }),
    }
}

fn entries_page(
    st: &State,
    v: &View,
    p: usize,
    (offset, limit): (usize, usize),
    (what, key): (&str, &str),
    tweaks: super::state::Tweaks,
) -> Value {
    let pl = &st.library.playlists[p];
    let items = pl
        .entries
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(added_at, e)| {
            let mut o = json!({
                "added_at": added_at,
                "added_by": {
                    "external_urls": {"spotify": format!("https://open.spotify.com/user/{}", pl.owner)},
                    "href": format!("{}/users/{}", v.api, pl.owner),
                    "id": pl.owner,
                    "type": "user",
                    "uri": format!("spotify:user:{}", pl.owner),
                },
                "is_local": matches!(e, Entry::Local(_)),
            });
            o[key] = entry_json(st, v, e);
            o
        })
        .collect();
    let link = Link::new(format!("{}/playlists/{}/{what}", v.api, pl.id));
    page(
        &link,
        items,
        offset,
        limit,
        pl.entries.len(),
        usize::MAX,
        tweaks,
    )
}

/// `GET /playlists/{id}/items` (the 2026 name, entries carry `item`) or, outside Development
/// Mode, `/tracks` (entries carry `track`).
fn playlist_items(
    st: &mut State,
    v: &View,
    caller: &Subject,
    id: &str,
    inc: &Incoming,
    old_path: bool,
) -> ApiResult {
    let Some(p) = st.library.playlist_index(id) else {
        return not_found(id);
    };
    if !may_read(&st.library.playlists[p], caller, v.mode) {
        return Err(err(403, "Forbidden"));
    }
    let (limit, offset) = paging(inc)?;
    let key = if old_path || st.library.legacy_item_key {
        "track"
    } else {
        "item"
    };
    let tweaks = st.page_tweaks(&inc.method, &inc.path, &inc.query);
    let what = if old_path { "tracks" } else { "items" };
    ok(&entries_page(
        st,
        v,
        p,
        (offset, limit),
        (what, key),
        tweaks,
    ))
}

fn owner_json(v: &View, id: &str, display_name: Option<String>) -> Value {
    json!({
        "display_name": display_name,
        "external_urls": {"spotify": format!("https://open.spotify.com/user/{id}")},
        "href": format!("{}/users/{id}", v.api),
        "id": id,
        "type": "user",
        "uri": format!("spotify:user:{id}"),
    })
}

/// A simplified playlist (`/me/playlists`, search): its contents only as `{href, total}`.
fn playlist_simple(st: &mut State, v: &View, p: usize) -> Value {
    let owner = st.library.playlists[p].owner.clone();
    let display = st.user(&owner).display_name.clone();
    let pl = &st.library.playlists[p];
    let key = if v.mode == Mode::Dev2026 {
        "items"
    } else {
        "tracks"
    };
    let mut o = json!({
        "collaborative": pl.collaborative,
        "description": pl.description,
        "external_urls": {"spotify": format!("https://open.spotify.com/playlist/{}", pl.id)},
        "href": format!("{}/playlists/{}", v.api, pl.id),
        "id": pl.id,
        "images": [],
        "name": pl.name,
        "owner": owner_json(v, &owner, display),
        "public": pl.public,
        "snapshot_id": make_id(&format!("snapshot:{}:{}", pl.id, pl.entries.len())),
        "type": "playlist",
        "uri": format!("spotify:playlist:{}", pl.id),
    });
    o[key] =
        json!({"href": format!("{}/playlists/{}/{key}", v.api, pl.id), "total": pl.entries.len()});
    o
}

/// `GET /playlists/{id}`: the first 100 entries inside, where the caller may read them.
fn playlist_full(st: &mut State, v: &View, caller: &Subject, id: &str) -> ApiResult {
    let Some(p) = st.library.playlist_index(id) else {
        return not_found(id);
    };
    let mut o = playlist_simple(st, v, p);
    o["followers"] = json!({"href": null, "total": 1});
    if may_read(&st.library.playlists[p], caller, v.mode) {
        let (key, entry) = if v.mode == Mode::Dev2026 {
            ("items", "item")
        } else {
            ("tracks", "track")
        };
        o[key] = entries_page(st, v, p, (0, 100), (key, entry), Default::default());
    }
    ok(&o)
}

/// `POST /playlists/{id}/items`: `{"uris": [...], "position": N}` or `?uris=a,b`; at most 100;
/// the owner or a collaborator only. 201 `{"snapshot_id"}`.
fn add_items(st: &mut State, caller: &Subject, id: &str, inc: &Incoming) -> ApiResult {
    let Subject::User { id: user, scopes } = caller else {
        return Err(err(403, "Forbidden"));
    };
    if !scopes
        .split_whitespace()
        .any(|s| s == "playlist-modify-public" || s == "playlist-modify-private")
    {
        return Err(err(403, "Insufficient client scope"));
    }
    let Some(p) = st.library.playlist_index(id) else {
        return not_found(id);
    };
    let pl = &st.library.playlists[p];
    if pl.owner != *user && !pl.collaborative {
        return Err(err(403, "Forbidden"));
    }
    let body: Value = serde_json::from_slice(&inc.body).unwrap_or(Value::Null);
    let mut uris: Vec<String> = match body.get("uris").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        None => Vec::new(),
    };
    if let Some(q) = inc.param("uris") {
        uris.extend(q.split(',').filter(|s| !s.is_empty()).map(str::to_string));
    }
    if uris.is_empty() {
        return Err(err(400, "No uris provided"));
    }
    if uris.len() > 100 {
        return Err(err(400, "Too many ids requested"));
    }
    let mut entries = Vec::new();
    for uri in &uris {
        let entry = match uri.split(':').collect::<Vec<_>>().as_slice() {
            ["spotify", "track", tid] => st.catalog.track_by_id(tid).map(Entry::Track),
            ["spotify", "episode", eid] => st
                .library
                .episodes_by_id
                .get(*eid)
                .map(|&(s, n)| Entry::Episode(s, n)),
            _ => return Err(err(400, "Invalid base62 id")),
        };
        match entry {
            Some(e) => entries.push(e),
            None => return Err(err(400, "Invalid track uri")),
        }
    }
    let now = rfc3339(unix_now());
    let pl = &mut st.library.playlists[p];
    let at = body
        .get("position")
        .and_then(Value::as_u64)
        .map_or(pl.entries.len(), |n| (n as usize).min(pl.entries.len()));
    for (i, e) in entries.into_iter().enumerate() {
        pl.entries.insert(at + i, (now.clone(), e));
    }
    let snapshot = make_id(&format!("snapshot:{}:{}", pl.id, pl.entries.len()));
    Ok(json_response(201, &json!({ "snapshot_id": snapshot })))
}

/// Appends an entry whose item is `null` (a track no longer available) to playlist `id`.
pub(crate) fn add_gone_entry(st: &mut State, id: &str) {
    if let Some(p) = st.library.playlist_index(id) {
        st.library.playlists[p]
            .entries
            .push((added_at(60), Entry::Gone));
    }
}

/// Registers a playlist `POST /me/playlists` created, so its items can be added and listed.
pub(crate) fn register(st: &mut State, id: &str, owner: &str, body: &Value) {
    st.library.playlists.push(Playlist {
        id: id.to_string(),
        owner: owner.to_string(),
        name: body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        public: body.get("public").and_then(Value::as_bool).unwrap_or(true),
        collaborative: body
            .get("collaborative")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        description: body
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        entries: Vec::new(),
    });
}

fn user_of(caller: &Subject) -> Result<(&str, &str), ApiErr> {
    match caller {
        Subject::User { id, scopes } => Ok((id, scopes)),
        Subject::App => Err(err(403, "Forbidden")),
    }
}

/// `GET /me/playlists`: the playlists the user owns, oldest first.
fn my_playlists(st: &mut State, v: &View, caller: &Subject, inc: &Incoming) -> ApiResult {
    let user = user_of(caller)?.0.to_string();
    let (limit, offset) = paging(inc)?;
    let tweaks = st.page_tweaks(&inc.method, &inc.path, &inc.query);
    let mine: Vec<usize> = (0..st.library.playlists.len())
        .filter(|&p| st.library.playlists[p].owner == user)
        .collect();
    let items = mine
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&p| playlist_simple(st, v, p))
        .collect();
    let link = Link::new(format!("{}/me/playlists", v.api));
    ok(&page(
        &link,
        items,
        offset,
        limit,
        mine.len(),
        usize::MAX,
        tweaks,
    ))
}

/// `GET /me/top/artists|tracks` (scope `user-top-read`): alice's favourites are the catalog's
/// first artists and love songs, bob's the same lists reversed, anyone else has none.
fn top(st: &mut State, v: &View, caller: &Subject, kind: &str, inc: &Incoming) -> ApiResult {
    let (user, scopes) = user_of(caller).map(|(u, s)| (u.to_string(), s.to_string()))?;
    if !scopes.split_whitespace().any(|s| s == "user-top-read") {
        return Err(err(403, "Insufficient client scope"));
    }
    if let Some(r) = inc.param("time_range")
        && !["short_term", "medium_term", "long_term"].contains(&r)
    {
        return Err(err(400, "Invalid time range"));
    }
    let (limit, offset) = paging(inc)?;
    let n = match user.as_str() {
        "alice" | "bob" => 30,
        _ => 0,
    };
    let order = |i: usize| if user == "bob" { n - 1 - i } else { i };
    let tweaks = st.page_tweaks(&inc.method, &inc.path, &inc.query);
    let items: Vec<Value> = match kind {
        "artists" => (offset..n.min(offset + limit))
            .map(|i| {
                st.catalog
                    .artist_full(order(i) % st.catalog.artists.len(), v)
            })
            .collect(),
        "tracks" => (offset..n.min(offset + limit))
            .map(|i| st.catalog.track(TrackRef::Love(order(i)), v, true))
            .collect(),
        _ => return Err(err(400, "Invalid type")),
    };
    let link = Link::new(format!("{}/me/top/{kind}", v.api));
    ok(&page(&link, items, offset, limit, n, usize::MAX, tweaks))
}
