//! The fake's music catalog (artists, albums, tracks), generated deterministically, and the JSON
//! shape of each object per [`Mode`]: Development Mode apps no longer get `album_group`,
//! `available_markets`, `label`, `popularity`, `followers` (facts §4.3), so spotctl must not
//! depend on them.
//!
//! Albums are plain structs built when an artist is added (cheap: 10 000 albums take a few
//! milliseconds); tracks are never stored, they are computed from (album, number) on demand.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{ARTIST_57, ARTIST_1000, ARTIST_EMPTY, Mode};

/// Markets an album "available everywhere" lists; also the answer of `GET /v1/markets`.
pub(crate) const MARKETS: &[&str] = &[
    "AR", "AU", "BR", "CA", "DE", "ES", "FR", "GB", "ID", "IN", "IT", "JP", "KR", "MX", "NL", "PH",
    "PL", "SE", "TH", "TW", "US", "VN",
];

/// Albums the 57-album artist only released at home: filtering by `market=US` drops them, so a
/// market changes `total` as it does on Spotify.
const KR_JP_ONLY: &[&str] = &["JP", "KR"];

/// Number of generated "Love Song N" tracks: more than search's 1000-item offset cap.
pub(crate) const LOVE_SONGS: usize = 1200;

/// How many generated "Taeyeon Cover Artist N" artists exist (so `search taeyeon --type artist`
/// needs several pages at Development Mode's limit of 10).
const COVER_ARTISTS: usize = 25;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Group {
    Album,
    Single,
    Compilation,
    AppearsOn,
}

impl Group {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Group::Album => "album",
            Group::Single => "single",
            Group::Compilation => "compilation",
            Group::AppearsOn => "appears_on",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Group> {
        match s {
            "album" => Some(Group::Album),
            "single" => Some(Group::Single),
            "compilation" => Some(Group::Compilation),
            "appears_on" => Some(Group::AppearsOn),
            _ => None,
        }
    }
}

pub(crate) struct Album {
    pub id: String,
    pub name: String,
    pub group: Group,
    pub album_type: &'static str,
    pub release_date: String,
    pub precision: &'static str,
    pub total_tracks: u32,
    /// `None`: available in every market.
    pub only_markets: Option<&'static [&'static str]>,
}

impl Album {
    pub(crate) fn available_in(&self, market: Option<&str>) -> bool {
        match (market, self.only_markets) {
            (Some(m), Some(list)) => list.contains(&m),
            _ => true,
        }
    }
}

pub(crate) struct Artist {
    pub id: String,
    pub name: String,
    pub genres: Vec<&'static str>,
    pub followers: u64,
    pub popularity: u32,
    pub albums: Vec<Album>,
}

/// A track is identified by where it lives; its id and fields are derived from that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TrackRef {
    /// "Love Song {n+1}" by the 1000-album artist.
    Love(usize),
    /// Track `number` (1-based) of an album, as (artist index, album index).
    OfAlbum {
        artist: usize,
        album: usize,
        number: u32,
    },
}

/// How objects are rendered: which fields exist depends on the mode, links on the API base.
pub(crate) struct View<'a> {
    pub mode: Mode,
    pub api: &'a str,
}

impl View<'_> {
    /// Development Mode (2026 rules) drops fields; the other modes keep them.
    fn full_fields(&self) -> bool {
        self.mode != Mode::Dev2026
    }
}

pub(crate) struct Catalog {
    pub artists: Vec<Artist>,
    by_id: HashMap<String, usize>,
    albums_by_id: HashMap<String, (usize, usize)>,
    love_by_id: HashMap<String, usize>,
    /// Album tracks by id (`/tracks/{id}`, `/tracks?ids=`), and how many artists' albums it
    /// covers: built on the first lookup (hashing every track id of a 10 000-album artist at
    /// insert would slow down tests that never look one up).
    tracks_by_id: RefCell<(HashMap<String, TrackRef>, usize)>,
    big_catalog: usize,
}

impl Catalog {
    pub(crate) fn new() -> Catalog {
        let mut c = Catalog {
            artists: Vec::new(),
            by_id: HashMap::new(),
            albums_by_id: HashMap::new(),
            love_by_id: HashMap::new(),
            tracks_by_id: RefCell::new((HashMap::new(), 0)),
            big_catalog: 0,
        };
        c.insert(Artist {
            id: ARTIST_57.to_string(),
            name: "태연 TAEYEON".to_string(),
            genres: vec!["k-pop", "k-ballad"],
            followers: 9_876_543,
            popularity: 71,
            albums: taeyeon_albums(ARTIST_57),
        });
        c.big_catalog = c.insert(Artist {
            id: ARTIST_1000.to_string(),
            name: "Big Catalog".to_string(),
            genres: vec!["library music"],
            followers: 1_000,
            popularity: 12,
            albums: generated_albums(ARTIST_1000, "Big Catalog", 1000),
        });
        c.insert(Artist {
            id: ARTIST_EMPTY.to_string(),
            name: "Nobody".to_string(),
            genres: Vec::new(),
            followers: 0,
            popularity: 0,
            albums: Vec::new(),
        });
        // The README's example album, under the id it uses.
        let readme_artist = make_id("artist:README Sample");
        let mut album = generated_albums(&readme_artist, "README Sample", 1);
        album[0].id = super::README_ALBUM.to_string();
        album[0].name = "README Sample Album".to_string();
        album[0].total_tracks = 12;
        c.insert(Artist {
            id: readme_artist,
            name: "README Sample".to_string(),
            genres: Vec::new(),
            followers: 3,
            popularity: 1,
            albums: album,
        });
        for n in 1..=COVER_ARTISTS {
            c.add_artist(&format!("Taeyeon Cover Artist {n}"), n % 3 + 1);
        }
        for n in 0..LOVE_SONGS {
            c.love_by_id.insert(make_id(&format!("track:love:{n}")), n);
        }
        c
    }

    fn insert(&mut self, artist: Artist) -> usize {
        let index = self.artists.len();
        self.by_id.insert(artist.id.clone(), index);
        for (i, album) in artist.albums.iter().enumerate() {
            self.albums_by_id.insert(album.id.clone(), (index, i));
        }
        self.artists.push(artist);
        index
    }

    /// Adds an artist with `albums` generated albums; the id depends only on the name (and on
    /// how many artists of that name exist already), so reruns give the same ids.
    pub(crate) fn add_artist(&mut self, name: &str, albums: usize) -> String {
        let mut id = make_id(&format!("artist:{name}"));
        let mut n = 1;
        while self.by_id.contains_key(&id) {
            n += 1;
            id = make_id(&format!("artist:{name}#{n}"));
        }
        let artist = Artist {
            id: id.clone(),
            name: name.to_string(),
            genres: Vec::new(),
            followers: 42,
            popularity: 5,
            albums: generated_albums(&id, name, albums),
        };
        self.insert(artist);
        id
    }

    pub(crate) fn artist_index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub(crate) fn album_index(&self, id: &str) -> Option<(usize, usize)> {
        self.albums_by_id.get(id).copied()
    }

    /// The generated love songs and every album track.
    pub(crate) fn track_by_id(&self, id: &str) -> Option<TrackRef> {
        self.love_by_id
            .get(id)
            .map(|&n| TrackRef::Love(n))
            .or_else(|| {
                let mut index = self.tracks_by_id.borrow_mut();
                let (map, done) = &mut *index;
                for (a, artist) in self.artists.iter().enumerate().skip(*done) {
                    for (al, album) in artist.albums.iter().enumerate() {
                        for number in 1..=album.total_tracks {
                            let t = TrackRef::OfAlbum {
                                artist: a,
                                album: al,
                                number,
                            };
                            map.insert(album_track_id(&album.id, number), t);
                        }
                    }
                }
                *done = self.artists.len();
                map.get(id).copied()
            })
    }

    /// Adds an artist named "{name} Artist" with one album `name` of `tracks` tracks; returns
    /// the album's id.
    pub(crate) fn add_album(&mut self, name: &str, tracks: u32) -> String {
        let artist_id = make_id(&format!("artist:{name} Artist"));
        let mut albums = generated_albums(&artist_id, &format!("{name} Artist"), 1);
        albums[0].name = name.to_string();
        albums[0].total_tracks = tracks;
        let id = albums[0].id.clone();
        self.insert(Artist {
            id: artist_id,
            name: format!("{name} Artist"),
            genres: Vec::new(),
            followers: 7,
            popularity: 3,
            albums,
        });
        id
    }

    pub(crate) fn album(&self, (a, al): (usize, usize)) -> &Album {
        &self.artists[a].albums[al]
    }

    pub(crate) fn artists_matching(&self, needle: &str) -> Vec<usize> {
        (0..self.artists.len())
            .filter(|&a| self.artists[a].name.to_lowercase().contains(needle))
            .collect()
    }

    pub(crate) fn albums_matching(&self, needle: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (a, artist) in self.artists.iter().enumerate() {
            for (al, album) in artist.albums.iter().enumerate() {
                if album.name.to_lowercase().contains(needle) {
                    out.push((a, al));
                }
            }
        }
        out
    }

    /// Track search covers the generated love songs only.
    pub(crate) fn tracks_matching(&self, needle: &str) -> Vec<TrackRef> {
        (0..LOVE_SONGS)
            .filter(|n| love_name(*n).to_lowercase().contains(needle))
            .map(TrackRef::Love)
            .collect()
    }

    pub(crate) fn album_tracks(&self, (a, al): (usize, usize)) -> Vec<TrackRef> {
        let total = self.artists[a].albums[al].total_tracks;
        (1..=total)
            .map(|number| TrackRef::OfAlbum {
                artist: a,
                album: al,
                number,
            })
            .collect()
    }

    /// Love songs by this artist (only the 1000-album artist has any): `top-tracks`.
    pub(crate) fn top_tracks(&self, a: usize) -> Vec<TrackRef> {
        if a == self.big_catalog {
            (0..10).map(TrackRef::Love).collect()
        } else {
            Vec::new()
        }
    }

    // ---- JSON ----

    pub(crate) fn artist_simple(&self, a: usize, v: &View) -> Value {
        let artist = &self.artists[a];
        json!({
            "external_urls": {"spotify": format!("https://open.spotify.com/artist/{}", artist.id)},
            "href": format!("{}/artists/{}", v.api, artist.id),
            "id": artist.id,
            "name": artist.name,
            "type": "artist",
            "uri": format!("spotify:artist:{}", artist.id),
        })
    }

    pub(crate) fn artist_full(&self, a: usize, v: &View) -> Value {
        let artist = &self.artists[a];
        let mut o = self.artist_simple(a, v);
        o["genres"] = json!(artist.genres);
        o["images"] = images(&artist.id);
        if v.full_fields() {
            o["followers"] = json!({"href": null, "total": artist.followers});
            o["popularity"] = json!(artist.popularity);
        }
        o
    }

    /// A simplified album; `album_group` only exists in an artist's album list.
    pub(crate) fn album_simple(&self, at: (usize, usize), v: &View, with_group: bool) -> Value {
        let album = self.album(at);
        let mut o = json!({
            "album_type": album.album_type,
            "total_tracks": album.total_tracks,
            "external_urls": {"spotify": format!("https://open.spotify.com/album/{}", album.id)},
            "href": format!("{}/albums/{}", v.api, album.id),
            "id": album.id,
            "images": images(&album.id),
            "name": album.name,
            "release_date": album.release_date,
            "release_date_precision": album.precision,
            "type": "album",
            "uri": format!("spotify:album:{}", album.id),
            "artists": [self.artist_simple(at.0, v)],
        });
        if v.full_fields() {
            o["available_markets"] = json!(album.only_markets.unwrap_or(MARKETS));
            if with_group {
                o["album_group"] = json!(album.group.as_str());
            }
        }
        o
    }

    /// The fields a full album adds to the simplified one, except `tracks` (a page, built by
    /// the caller, who knows the paging rules).
    pub(crate) fn album_full_without_tracks(&self, at: (usize, usize), v: &View) -> Value {
        let album = self.album(at);
        let mut o = self.album_simple(at, v, false);
        let year = album.release_date.get(..4).unwrap_or("2000");
        o["copyrights"] = json!([{"text": format!("(C) {year} SM Entertainment"), "type": "C"}]);
        o["external_ids"] = json!({"upc": upc(&album.id)});
        o["genres"] = json!([]);
        if v.full_fields() {
            o["label"] = json!("SM Entertainment");
            o["popularity"] = json!(30 + album.total_tracks);
        }
        o
    }

    fn track_fields(&self, t: TrackRef) -> (String, String, (usize, usize), u32) {
        match t {
            TrackRef::Love(n) => {
                let big = &self.artists[self.big_catalog];
                let album = n % big.albums.len().max(1);
                (
                    make_id(&format!("track:love:{n}")),
                    love_name(n),
                    (self.big_catalog, album),
                    (n / 1000) as u32 + 1,
                )
            }
            TrackRef::OfAlbum {
                artist,
                album,
                number,
            } => {
                let al = &self.artists[artist].albums[album];
                (
                    album_track_id(&al.id, number),
                    format!("{} · {number}", al.name),
                    (artist, album),
                    number,
                )
            }
        }
    }

    /// A simplified track (album tracks); a full one adds `album`, `external_ids`, `popularity`.
    pub(crate) fn track(&self, t: TrackRef, v: &View, full: bool) -> Value {
        let (id, name, at, number) = self.track_fields(t);
        let duration = 150_000 + (id.bytes().map(u64::from).sum::<u64>() * 997) % 120_000;
        let mut o = json!({
            "artists": [self.artist_simple(at.0, v)],
            "disc_number": 1,
            "duration_ms": duration,
            "explicit": false,
            "external_urls": {"spotify": format!("https://open.spotify.com/track/{id}")},
            "href": format!("{}/tracks/{id}", v.api),
            "id": id,
            "is_local": false,
            "name": name,
            "preview_url": null,
            "track_number": number,
            "type": "track",
            "uri": format!("spotify:track:{id}"),
        });
        if v.full_fields() {
            o["available_markets"] = json!(self.album(at).only_markets.unwrap_or(MARKETS));
        }
        if full {
            o["album"] = self.album_simple(at, v, false);
            o["external_ids"] = json!({"isrc": format!("KRA{}", &upc(&id)[..9])});
            if v.full_fields() {
                o["popularity"] = json!(duration % 100);
            }
        }
        o
    }
}

fn album_track_id(album: &str, number: u32) -> String {
    make_id(&format!("track:{album}:{number}"))
}

fn love_name(n: usize) -> String {
    format!("Love Song {}", n + 1)
}

/// A deterministic Spotify-shaped id: 22 base62 characters derived from a seed.
/// Cover art as Spotify sends it: three sizes, largest first (facts §9).
fn images(id: &str) -> Value {
    json!(
        [640, 300, 64]
            .iter()
            .map(|px| json!({
                "height": px,
                "url": format!("https://i.scdn.co/image/ab67616d0000{px:04}{}", id.to_lowercase()),
                "width": px,
            }))
            .collect::<Vec<_>>()
    )
}

pub(crate) fn make_id(seed: &str) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let digest = Sha256::digest(seed.as_bytes());
    digest
        .iter()
        .take(22)
        .map(|b| char::from(B62[usize::from(*b) % 62]))
        .collect()
}

/// A 12-digit code derived from an id, for `external_ids`.
fn upc(id: &str) -> String {
    let digest = Sha256::digest(id.as_bytes());
    digest
        .iter()
        .take(12)
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

/// Release date of the `i`-th newest album when `per_year` albums come out each year, newest
/// in late 2025: non-increasing in `i`, always a valid calendar date (28-day months).
fn release_date(i: usize, per_year: usize) -> (i32, String) {
    let year = 2025 - (i / per_year) as i32;
    let slot = i % per_year;
    let day_of_year = 336 - slot * 336 / per_year; // 336..=1
    let month = (day_of_year - 1) / 28 + 1;
    let day = (day_of_year - 1) % 28 + 1;
    (year, format!("{year}-{month:02}-{day:02}"))
}

/// The 57 albums of the Korean artist: all four groups interleaved, newest first, names mixing
/// Hangul, Latin and emoji (the UTF-8 and column-width cases for output), the oldest ones with
/// year-only release dates.
fn taeyeon_albums(artist_id: &str) -> Vec<Album> {
    const TITLES: [(&str, &str); 14] = [
        ("사계", "Four Seasons"),
        ("불티", "Spark"),
        ("그대라는 시", "All About You"),
        ("우리의 밤", "Our Night"),
        ("꿈", "Dream"),
        ("별", "Stars"),
        ("바람", "Wind"),
        ("초대", "Invitation"),
        ("봄날", "Spring Day"),
        ("너의 노래", "Your Song"),
        ("하늘", "Sky"),
        ("기억", "Memory"),
        ("겨울", "Winter"),
        ("편지", "Letter"),
    ];
    const EMOJI: [&str; 7] = ["🌸", "✨", "🌙", "🎵", "❄️", "🌊", "🍂"];
    (0..57)
        .map(|i| {
            let group = match i % 10 {
                0 | 5 => Group::Album,
                1 | 2 | 6 | 8 => Group::Single,
                3 | 7 => Group::AppearsOn,
                _ => Group::Compilation,
            };
            let (ko, en) = TITLES[i % TITLES.len()];
            let name = if group == Group::Compilation {
                format!("TAEYEON {} Best Collection {}", EMOJI[i % 7], i / 10 + 1)
            } else {
                format!("{ko} ({en}) {} Vol. {}", EMOJI[i % 7], i / TITLES.len() + 1)
            };
            let (year, full_date) = release_date(i, 3);
            let (release_date, precision) = if year <= 2009 {
                (year.to_string(), "year")
            } else {
                (full_date, "day")
            };
            let album_type = match group {
                Group::Album => "album",
                Group::Single => "single",
                Group::Compilation => "compilation",
                Group::AppearsOn if i % 2 == 0 => "album",
                Group::AppearsOn => "single",
            };
            let total_tracks = if album_type == "single" {
                1 + (i % 3) as u32
            } else {
                8 + (i % 7) as u32
            };
            Album {
                id: make_id(&format!("album:{artist_id}:{i}")),
                name,
                group,
                album_type,
                release_date,
                precision,
                total_tracks,
                only_markets: (i % 7 == 3).then_some(KR_JP_ONLY),
            }
        })
        .collect()
}

/// `count` albums named "{artist} Album 0001".., all of group `album`, newest first, spread
/// over at most ~20 years whatever the count.
fn generated_albums(artist_id: &str, artist_name: &str, count: usize) -> Vec<Album> {
    let per_year = count.div_ceil(20).max(12);
    (0..count)
        .map(|i| Album {
            id: make_id(&format!("album:{artist_id}:{i}")),
            name: format!("{artist_name} Album {:04}", i + 1),
            group: Group::Album,
            album_type: "album",
            release_date: release_date(i, per_year).1,
            precision: "day",
            total_tracks: 1 + (i * 7 % 12) as u32,
            only_markets: None,
        })
        .collect()
}
