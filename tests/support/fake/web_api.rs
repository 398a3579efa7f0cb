//! The Spotify Web API under `/v1`: bearer-token checks, the catalog endpoints spotctl uses
//! (artist albums, search, artist, album, album tracks, track), the user endpoints (`/me`,
//! saved tracks, library, playlist creation) and the batch/browse endpoints Development Mode
//! removed (403 there, working in `Mode::Extended`).
//!
//! Paging follows facts §3.2: `next` is a full URL carrying the same parameters with a new
//! offset (search writes `query=`, not `q=`), page sizes are capped per mode, and search stops
//! at offset + limit = 1000.

use std::time::Instant;

use axum::http::header;
use axum::response::Response;
use serde_json::{Value, json};

use super::Mode;
use super::catalog::{Catalog, Group, MARKETS, View, make_id};
use super::server::{Incoming, encode, json as json_response, set_header, web_api_error};
use super::state::{Shared, State, Subject, Tweaks, unix_now};

/// Search never pages past this many results (facts §3.1).
const SEARCH_OFFSET_CAP: usize = 1000;
const SEARCH_TYPES: &[&str] = &[
    "album",
    "artist",
    "playlist",
    "track",
    "show",
    "episode",
    "audiobook",
];
/// (max, default) page size of the endpoints whose limits did not change in 2026.
const CLASSIC_PAGE: (usize, usize) = (50, 20);

/// An error in the Web API's shape; `invalid_token` adds the `WWW-Authenticate` challenge.
pub(crate) struct ApiErr {
    status: u16,
    message: &'static str,
    invalid_token: bool,
}

pub(crate) fn err(status: u16, message: &'static str) -> ApiErr {
    ApiErr {
        status,
        message,
        invalid_token: false,
    }
}

impl ApiErr {
    fn into_response(self) -> Response {
        let mut r = web_api_error(self.status, self.message);
        if self.invalid_token {
            set_header(
                &mut r,
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"spotify\", error=\"invalid_token\"",
            );
        }
        r
    }
}

pub(crate) type ApiResult = Result<Response, ApiErr>;

pub(crate) fn handle(shared: &Shared, inc: &Incoming) -> Response {
    let api = shared.api_base();
    let mut st = shared.lock();
    dispatch(&mut st, &api, inc).unwrap_or_else(ApiErr::into_response)
}

fn dispatch(st: &mut State, api: &str, inc: &Incoming) -> ApiResult {
    let caller = authenticate(st, inc)?;
    let v = View { mode: st.mode, api };
    let segments: Vec<&str> = inc.path["/v1".len()..]
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    // Development Mode apps get 403 on the endpoints removed in February 2026 (facts §4.2).
    let extended = st.mode == Mode::Extended;
    let removed = || {
        if extended {
            Ok(())
        } else {
            Err(err(403, "Forbidden"))
        }
    };
    if let Some(r) = super::library::route(st, &v, &caller, inc, &segments) {
        return r;
    }
    match (inc.method.as_str(), segments.as_slice()) {
        ("GET", ["artists", id, "albums"]) => artist_albums(st, &v, id, inc),
        ("GET", ["artists", id, "top-tracks"]) => {
            removed()?;
            let a = artist_index(&st.catalog, id)?;
            let tracks: Vec<Value> = st
                .catalog
                .top_tracks(a)
                .into_iter()
                .map(|t| st.catalog.track(t, &v, true))
                .collect();
            Ok(json_response(200, &json!({ "tracks": tracks })))
        }
        ("GET", ["artists", id]) => {
            let a = artist_index(&st.catalog, id)?;
            Ok(json_response(200, &st.catalog.artist_full(a, &v)))
        }
        ("GET", ["artists"]) => {
            removed()?;
            several(inc, 50, "artists", |id| {
                st.catalog
                    .artist_index(id)
                    .map(|a| st.catalog.artist_full(a, &v))
            })
        }
        ("GET", ["albums", id, "tracks"]) => album_tracks(st, &v, id, inc),
        ("GET", ["albums", id]) => {
            check_id(id)?;
            market(inc)?;
            let at = st
                .catalog
                .album_index(id)
                .ok_or(err(404, "Resource not found"))?;
            Ok(json_response(200, &album_full(&st.catalog, &v, at)))
        }
        ("GET", ["albums"]) => {
            removed()?;
            several(inc, 20, "albums", |id| {
                st.catalog
                    .album_index(id)
                    .map(|at| album_full(&st.catalog, &v, at))
            })
        }
        ("GET", ["tracks", id]) => {
            check_id(id)?;
            let t = st
                .catalog
                .track_by_id(id)
                .ok_or(err(404, "Resource not found"))?;
            Ok(json_response(200, &st.catalog.track(t, &v, true)))
        }
        ("GET", ["tracks"]) => {
            removed()?;
            several(inc, 50, "tracks", |id| {
                st.catalog
                    .track_by_id(id)
                    .map(|t| st.catalog.track(t, &v, true))
            })
        }
        ("GET", ["search"]) => search(st, &v, inc),
        ("GET", ["me"]) => {
            let (id, _) = user_of(&caller)?;
            Ok(json_response(200, &user_json(st, &v, id, true)))
        }
        ("GET", ["me", "tracks"]) => saved_tracks(st, &v, &caller, inc),
        ("PUT", ["me", "library"]) => save_to_library(st, &caller, inc),
        ("POST", ["me", "playlists"]) => create_playlist(st, &v, &caller, inc),
        ("GET", ["browse", "new-releases"]) => {
            removed()?;
            let (max, default) = CLASSIC_PAGE;
            let (limit, offset) = (limit(inc, max, default)?, offset(inc)?);
            let tweaks = page_tweaks(st, inc);
            let albums = &st.catalog.artists[0].albums;
            let items = (0..albums.len())
                .skip(offset)
                .take(limit)
                .map(|al| st.catalog.album_simple((0, al), &v, false))
                .collect();
            let link = Link::new(format!("{}/browse/new-releases", v.api));
            let page = page(
                &link,
                items,
                offset,
                limit,
                albums.len(),
                usize::MAX,
                tweaks,
            );
            Ok(json_response(200, &json!({ "albums": page })))
        }
        ("GET", ["markets"]) => {
            removed()?;
            Ok(json_response(200, &json!({ "markets": MARKETS })))
        }
        ("GET", ["users", id]) => {
            removed()?;
            if !st.users.contains_key(*id) {
                return Err(err(404, "Resource not found"));
            }
            Ok(json_response(200, &user_json(st, &v, id, false)))
        }
        _ => Err(err(404, "Service not found")),
    }
}

// ---- authentication ----

fn authenticate(st: &State, inc: &Incoming) -> Result<Subject, ApiErr> {
    let Some(token) = inc.bearer.as_deref().filter(|t| !t.is_empty()) else {
        return Err(err(401, "No token provided"));
    };
    match st.access.get(token) {
        Some(grant) if grant.expires_at > Instant::now() => Ok(grant.subject.clone()),
        // Since July 2026 one message covers expired, invalid and revoked (facts §5).
        _ => Err(ApiErr {
            status: 401,
            message: "Missing/invalid/expired access token",
            invalid_token: true,
        }),
    }
}

/// User endpoints with an app (client-credentials) token: a plain 403 keeps it simple; real
/// Spotify's wording varies by endpoint, and spotctl must decide by status anyway.
fn user_of(caller: &Subject) -> Result<(&str, &str), ApiErr> {
    match caller {
        Subject::User { id, scopes } => Ok((id, scopes)),
        Subject::App => Err(err(403, "Forbidden")),
    }
}

fn require_scope(scopes: &str, any_of: &[&str]) -> Result<(), ApiErr> {
    if scopes.split_whitespace().any(|s| any_of.contains(&s)) {
        Ok(())
    } else {
        Err(err(403, "Insufficient client scope"))
    }
}

// ---- parameters ----

/// Page size rules of artist albums and search: Development Mode apps since 2026 accept at most
/// 10 and default to 5 (facts §3.3, §4.2); the others 50 and 20.
fn page_size(mode: Mode) -> (usize, usize) {
    match mode {
        Mode::Extended | Mode::DevLegacy => (50, 20),
        Mode::Dev2026 => (10, 5),
    }
}

pub(crate) fn limit(inc: &Incoming, max: usize, default: usize) -> Result<usize, ApiErr> {
    match inc.param("limit") {
        None => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or(err(400, "Invalid limit")),
    }
}

pub(crate) fn offset(inc: &Incoming) -> Result<usize, ApiErr> {
    match inc.param("offset") {
        None => Ok(0),
        Some(s) => s.parse::<usize>().map_err(|_| err(400, "Invalid offset")),
    }
}

/// `market` must be an ISO 3166-1 alpha-2 code (or `from_token`, which the fake treats as no
/// market).
fn market(inc: &Incoming) -> Result<Option<&str>, ApiErr> {
    match inc.param("market") {
        None | Some("from_token") => Ok(None),
        Some(m) if m.len() == 2 && m.bytes().all(|b| b.is_ascii_uppercase()) => Ok(Some(m)),
        Some(_) => Err(err(400, "Invalid market code")),
    }
}

fn check_id(id: &str) -> Result<(), ApiErr> {
    if id.len() == 22 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(err(400, "Invalid base62 id"))
    }
}

fn artist_index(catalog: &Catalog, id: &str) -> Result<usize, ApiErr> {
    check_id(id)?;
    catalog
        .artist_index(id)
        .ok_or(err(404, "Resource not found"))
}

// ---- paging ----

/// Called once a listing request has passed validation and will answer with page(s).
fn page_tweaks(st: &mut State, inc: &Incoming) -> Tweaks {
    st.page_tweaks(&inc.method, &inc.path, &inc.query)
}

/// How to write the URL of another page of the same listing: `base?lead&offset=O&limit=L&trail`,
/// the shape Spotify's own `next` links have. Values are stored already encoded.
pub(crate) struct Link {
    base: String,
    lead: Vec<(&'static str, String)>,
    trail: Vec<(&'static str, String)>,
}

impl Link {
    pub(crate) fn new(base: String) -> Link {
        Link {
            base,
            lead: Vec::new(),
            trail: Vec::new(),
        }
    }

    /// Carries `market` over to the next page when the request had one.
    fn keep_market(mut self, inc: &Incoming) -> Link {
        if let Some(m) = inc.param("market") {
            self.trail.push(("market", encode(m, "")));
        }
        self
    }

    fn at(&self, offset: usize, limit: usize) -> String {
        let mut url = self.base.clone();
        let mut sep = '?';
        for (k, v) in &self.lead {
            url.push_str(&format!("{sep}{k}={v}"));
            sep = '&';
        }
        url.push_str(&format!("{sep}offset={offset}&limit={limit}"));
        for (k, v) in &self.trail {
            url.push_str(&format!("&{k}={v}"));
        }
        url
    }

    /// The 2024–25 recordings' order: `offset&limit&query&type&market&locale=…` (facts §9).
    fn at_with_locale(&self, offset: usize, limit: usize) -> String {
        let mut url = format!("{}?offset={offset}&limit={limit}", self.base);
        for (k, v) in self.lead.iter().chain(&self.trail) {
            url.push_str(&format!("&{k}={v}"));
        }
        url.push_str("&locale=en-US,en;q%3D0.9");
        url
    }
}

/// A paging object. `cap` is the largest offset + limit the endpoint serves (search: 1000).
pub(crate) fn page(
    link: &Link,
    items: Vec<Value>,
    offset: usize,
    limit: usize,
    total: usize,
    cap: usize,
    tweaks: Tweaks,
) -> Value {
    let end = offset.saturating_add(limit);
    let more = tweaks.empty_page || tweaks.next_on_last_page || end < total.min(cap);
    let next = more.then(|| {
        if tweaks.locale_next {
            link.at_with_locale(end, limit)
        } else {
            link.at(end, limit)
        }
    });
    let next = match (tweaks.looping_next, tweaks.self_next) {
        (Some(to), _) => Some(link.at(to, limit)),
        (None, true) => Some(link.at(offset, limit)),
        _ => next,
    };
    let next = match next {
        Some(n) if tweaks.foreign_next => {
            let path = n.split_once("/v1/").map_or("", |(_, p)| p);
            Some(format!("https://elsewhere.example/v1/{path}"))
        }
        other => other,
    };
    let previous = (offset > 0).then(|| link.at(offset.saturating_sub(limit), limit));
    let mut items = if tweaks.empty_page { Vec::new() } else { items };
    for item in items.iter_mut().take(tweaks.null_items) {
        *item = Value::Null;
    }
    if tweaks.bare_items {
        for item in items.iter_mut().filter(|i| i.is_object()) {
            *item = json!({"id": item["id"], "name": item["name"]});
        }
    }
    let total = (total as i64).saturating_add(tweaks.total_delta).max(0);
    let mut page = json!({
        "href": link.at(offset, limit),
        "items": items,
        "limit": tweaks.echo_limit.unwrap_or(limit),
        "next": next,
        "offset": offset,
        "previous": previous,
        "total": total,
    });
    if tweaks.no_total
        && let Some(o) = page.as_object_mut()
    {
        o.remove("total");
    }
    page
}

// ---- catalog endpoints ----

fn artist_albums(st: &mut State, v: &View, id: &str, inc: &Incoming) -> ApiResult {
    let a = artist_index(&st.catalog, id)?;
    let groups: Vec<Group> = match inc.param("include_groups") {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(|g| Group::parse(g).ok_or(err(400, "Invalid include_groups value")))
            .collect::<Result<_, _>>()?,
    };
    let market = market(inc)?;
    let (max, default) = page_size(v.mode);
    let (limit, offset) = (limit(inc, max, default)?, offset(inc)?);
    let tweaks = page_tweaks(st, inc);

    let albums = &st.catalog.artists[a].albums;
    let matching: Vec<usize> = (0..albums.len())
        .filter(|&i| groups.is_empty() || groups.contains(&albums[i].group))
        .filter(|&i| albums[i].available_in(market))
        .collect();
    let items = matching
        .iter()
        .skip(offset.saturating_sub(tweaks.shift_back))
        .take(limit)
        .map(|&al| st.catalog.album_simple((a, al), v, true))
        .collect();

    let mut link = Link::new(format!("{}/artists/{id}/albums", v.api));
    if let Some(g) = inc.param("include_groups") {
        link.trail.push(("include_groups", encode(g, ",")));
    }
    let link = link.keep_market(inc);
    let page = page(
        &link,
        items,
        offset,
        limit,
        matching.len(),
        usize::MAX,
        tweaks,
    );
    Ok(json_response(200, &page))
}

fn album_tracks(st: &mut State, v: &View, id: &str, inc: &Incoming) -> ApiResult {
    check_id(id)?;
    market(inc)?;
    let at = st
        .catalog
        .album_index(id)
        .ok_or(err(404, "Resource not found"))?;
    let (max, default) = CLASSIC_PAGE;
    let (limit, offset) = (limit(inc, max, default)?, offset(inc)?);
    let tweaks = page_tweaks(st, inc);
    let tracks = st.catalog.album_tracks(at);
    let items = tracks
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&t| {
            let mut o = st.catalog.track(t, v, false);
            // Asked with a market, Spotify says whether each track plays there.
            if inc.param("market").is_some() {
                o["is_playable"] = Value::Bool(true);
            }
            o
        })
        .collect();
    let link = Link::new(format!("{}/albums/{id}/tracks", v.api)).keep_market(inc);
    let page = page(
        &link,
        items,
        offset,
        limit,
        tracks.len(),
        usize::MAX,
        tweaks,
    );
    Ok(json_response(200, &page))
}

/// A full album: the simplified fields plus details and the first page of its tracks.
fn album_full(catalog: &Catalog, v: &View, at: (usize, usize)) -> Value {
    let mut o = catalog.album_full_without_tracks(at, v);
    let tracks = catalog.album_tracks(at);
    let items = tracks
        .iter()
        .take(50)
        .map(|&t| catalog.track(t, v, false))
        .collect();
    let link = Link::new(format!("{}/albums/{}/tracks", v.api, catalog.album(at).id));
    o["tracks"] = page(
        &link,
        items,
        0,
        50,
        tracks.len(),
        usize::MAX,
        Tweaks::default(),
    );
    o
}

/// `GET /{kind}?ids=a,b,c` (the batch endpoints): unknown ids give `null` entries.
fn several(
    inc: &Incoming,
    max: usize,
    key: &str,
    lookup: impl Fn(&str) -> Option<Value>,
) -> ApiResult {
    let ids: Vec<&str> = inc
        .param("ids")
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
        .collect();
    if ids.is_empty() {
        return Err(err(400, "invalid id"));
    }
    if ids.len() > max {
        return Err(err(400, "Too many ids requested"));
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        check_id(id)?;
        out.push(lookup(id).unwrap_or(Value::Null));
    }
    let mut body = serde_json::Map::new();
    body.insert(key.to_string(), Value::Array(out));
    Ok(json_response(200, &Value::Object(body)))
}

fn search(st: &mut State, v: &View, inc: &Incoming) -> ApiResult {
    let q = inc
        .param("q")
        .or_else(|| inc.param("query"))
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or(err(400, "No search query"))?;
    let mut types: Vec<&str> = Vec::new();
    for t in inc
        .param("type")
        .ok_or(err(400, "Missing parameter type"))?
        .split(',')
    {
        let t = t.trim();
        if !SEARCH_TYPES.contains(&t) {
            return Err(err(400, "Bad search type field"));
        }
        if !types.contains(&t) {
            types.push(t);
        }
    }
    let market = market(inc)?;
    let (max, default) = page_size(v.mode);
    let (limit, offset) = (limit(inc, max, default)?, offset(inc)?);
    if offset.saturating_add(limit) > SEARCH_OFFSET_CAP {
        return Err(err(400, "Invalid offset"));
    }
    let tweaks = page_tweaks(st, inc);

    let needle = q.to_lowercase();
    let cat = &st.catalog;
    let mut out = serde_json::Map::new();
    for t in types {
        let (total, items): (usize, Vec<Value>) = match t {
            "artist" => {
                let hits = cat.artists_matching(&needle);
                let items = hits.iter().skip(offset).take(limit);
                (hits.len(), items.map(|&a| cat.artist_full(a, v)).collect())
            }
            "album" => {
                let mut hits = cat.albums_matching(&needle);
                hits.retain(|&at| cat.album(at).available_in(market));
                let items = hits.iter().skip(offset).take(limit);
                let items = items.map(|&at| cat.album_simple(at, v, false)).collect();
                (hits.len(), items)
            }
            "track" => {
                let hits = cat.tracks_matching(&needle);
                let items = hits.iter().skip(offset).take(limit);
                (
                    hits.len(),
                    items.map(|&tr| cat.track(tr, v, true)).collect(),
                )
            }
            // Playlists, shows, episodes and audiobooks: the fake has none.
            _ => (0, Vec::new()),
        };
        // Each type pages on its own, and its `next` names only that type (facts §3.1).
        let mut link = Link::new(format!("{}/search", v.api)).keep_market(inc);
        link.lead = vec![("query", encode(q, "")), ("type", t.to_string())];
        let mut page = page(
            &link,
            items,
            offset,
            limit,
            total,
            SEARCH_OFFSET_CAP,
            tweaks.clone(),
        );
        if tweaks.items_null.as_deref() == Some(t) {
            page["items"] = Value::Null;
        }
        if tweaks.type_missing.as_deref() == Some(t) {
            continue;
        }
        out.insert(format!("{t}s"), page);
    }
    Ok(json_response(200, &Value::Object(out)))
}

// ---- user endpoints ----

/// `/me` (`private`) or a public profile; Development Mode drops the private fields (§4.3).
fn user_json(st: &mut State, v: &View, id: &str, private: bool) -> Value {
    let display_name = st.user(id).display_name.clone();
    let mut o = json!({
        "display_name": display_name,
        "external_urls": {"spotify": format!("https://open.spotify.com/user/{id}")},
        "href": format!("{}/users/{id}", v.api),
        "id": id,
        // User images can have null sizes (facts §9).
        "images": [{"height": null, "url": format!("https://i.scdn.co/image/user-{id}"), "width": null}],
        "type": "user",
        "uri": format!("spotify:user:{id}"),
    });
    if v.mode != Mode::Dev2026 {
        o["followers"] = json!({"href": null, "total": 3});
    }
    if private {
        o["account_id"] = json!(make_id(&format!("account:{id}")));
        if v.mode != Mode::Dev2026 {
            o["country"] = json!("KR");
            o["email"] = json!(format!("{id}@example.com"));
            o["explicit_content"] = json!({"filter_enabled": false, "filter_locked": false});
            o["product"] = json!("premium");
        }
    }
    o
}

fn saved_tracks(st: &mut State, v: &View, caller: &Subject, inc: &Incoming) -> ApiResult {
    let (id, scopes) = user_of(caller)?;
    require_scope(scopes, &["user-library-read"])?;
    market(inc)?;
    let (max, default) = CLASSIC_PAGE;
    let (limit, offset) = (limit(inc, max, default)?, offset(inc)?);
    let tweaks = page_tweaks(st, inc);
    let saved = st.user(id).saved.clone();
    let items = saved
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(added_at, t)| json!({"added_at": added_at, "track": st.catalog.track(*t, v, true)}))
        .collect();
    let link = Link::new(format!("{}/me/tracks", v.api)).keep_market(inc);
    let page = page(&link, items, offset, limit, saved.len(), usize::MAX, tweaks);
    Ok(json_response(200, &page))
}

/// `PUT /me/library?uris=spotify:track:…,…` (the 2026 replacement of the per-type save
/// endpoints). Known tracks join the saved list; Spotify answers 200 with an empty body.
fn save_to_library(st: &mut State, caller: &Subject, inc: &Incoming) -> ApiResult {
    let (id, scopes) = user_of(caller)?;
    require_scope(scopes, &["user-library-modify"])?;
    let uris: Vec<&str> = inc
        .param("uris")
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
        .collect();
    if uris.is_empty() {
        return Err(err(400, "Missing required field: uris"));
    }
    if uris.len() > 40 {
        return Err(err(400, "Too many ids requested"));
    }
    let mut tracks = Vec::new();
    for uri in uris {
        let mut parts = uri.split(':');
        let (Some("spotify"), Some(_kind), Some(item), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err(400, "Invalid base62 id"));
        };
        check_id(item)?;
        if uri.starts_with("spotify:track:")
            && let Some(t) = st.catalog.track_by_id(item)
        {
            tracks.push(t);
        }
    }
    let added_at = rfc3339(unix_now());
    let user = st.user(id);
    for t in tracks {
        if !user.saved.iter().any(|(_, s)| *s == t) {
            user.saved.insert(0, (added_at.clone(), t));
        }
    }
    let mut r = super::server::empty(200);
    set_header(
        &mut r,
        header::CONTENT_TYPE,
        "application/json; charset=utf-8",
    );
    Ok(r)
}

/// `POST /me/playlists` with a JSON body: 201 and the new playlist, echoing what was sent, so
/// tests can check that request bodies arrive intact.
fn create_playlist(st: &mut State, v: &View, caller: &Subject, inc: &Incoming) -> ApiResult {
    let (id, scopes) = user_of(caller)?;
    require_scope(
        scopes,
        &["playlist-modify-public", "playlist-modify-private"],
    )?;
    let body: Value =
        serde_json::from_slice(&inc.body).map_err(|_| err(400, "Error parsing JSON."))?;
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .ok_or(err(400, "Missing required field: name"))?;
    st.playlists_created += 1;
    let playlist_id = make_id(&format!("playlist:{id}:{}", st.playlists_created));
    super::library::register(st, &playlist_id, id, &body);
    let owner = user_json(st, v, id, false);
    let href = format!("{}/playlists/{playlist_id}", v.api);
    // Development Mode renamed a playlist's `tracks` to `items` (facts §4.3).
    let contents_key = if v.mode == Mode::Dev2026 {
        "items"
    } else {
        "tracks"
    };
    let mut o = json!({
        "collaborative": body.get("collaborative").and_then(Value::as_bool).unwrap_or(false),
        "description": body.get("description").cloned().unwrap_or(Value::Null),
        "external_urls": {"spotify": format!("https://open.spotify.com/playlist/{playlist_id}")},
        "href": href,
        "id": playlist_id,
        "images": [],
        "name": name,
        "owner": owner,
        "public": body.get("public").and_then(Value::as_bool).unwrap_or(true),
        "snapshot_id": make_id(&format!("snapshot:{playlist_id}")),
        "type": "playlist",
        "uri": format!("spotify:playlist:{playlist_id}"),
    });
    o[contents_key] = json!({"href": format!("{href}/{contents_key}"), "total": 0});
    Ok(json_response(201, &o))
}

/// `2026-07-01T12:00:00Z` from unix seconds (civil-from-days, proleptic Gregorian).
pub(crate) fn rfc3339(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}
