//! What a page is: the paging object the service sends ([`Page`], read from a response
//! [`Body`]), the page sizes it accepts (50, and 10 in Development Mode), and the query
//! parameters of a page link. The one place that knows page sizes: the session stores a
//! learned number, the paginator asks for pages, and neither imports the other for it.
//!
//! Items are never re-serialised: an [`Item`] is the span of the response body the service
//! sent for it (`1E2`, a 30-digit integer, `\u00e9`, `\/` stay as they were), sharing the body.
//! A page is read without building a tree of the body, and reading stops at the first item
//! beyond the `limit` asked for: an 8 MiB `{"items":[0,0,…]}` costs its 8 MiB, not 300 MB of
//! parsed values, and is refused (exit 6) as the broken page it is.

use crate::error::{Error, Result};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// Development Mode's page size since 2026 (SPEC §3).
pub const SMALL_PAGE: u64 = 10;
/// What extended-quota apps accept.
pub const LARGE_PAGE: u64 = 50;
/// The most items a page may hold when no `limit` was asked for (Spotify's largest page size,
/// playlist items, is 100; its default is 20).
pub const MAX_PAGE: u64 = 100;

/// One item of a page: its JSON exactly as the service sent it.
#[derive(Clone)]
pub struct Item {
    body: Arc<String>,
    at: Range<usize>,
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw())
    }
}

impl Item {
    /// The item's JSON text as sent.
    pub fn raw(&self) -> &str {
        &self.body[self.at.clone()]
    }

    /// A `null` entry (Spotify's search sends them): a position, not an item.
    pub fn is_null(&self) -> bool {
        self.raw() == "null"
    }

    /// The item's `id` when it is a string.
    pub fn id(&self) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct Ident {
            #[serde(default)]
            id: Value,
        }
        match serde_json::from_str::<Ident>(self.raw()).ok()?.id {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The member `key` of an object item, as sent (a playlist entry's `item`); None when the
    /// item is not an object or has no such member.
    pub fn member(&self, key: &str) -> Option<Item> {
        let members: std::collections::BTreeMap<std::borrow::Cow<'_, str>, &RawValue> =
            serde_json::from_str(self.raw()).ok()?;
        let v = members.get(key)?;
        Some(Item {
            body: self.body.clone(),
            at: span(&self.body, v.get()),
        })
    }

    /// The item read as `T` (the few fields a table shows), or None when it is not one.
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_str(self.raw()).ok()
    }
}

#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Item>,
    pub next: Option<String>,
    pub total: Option<u64>,
    pub offset: u64,
    pub limit: Option<u64>,
}

impl Page {
    /// The memory its items keep: the bodies they share (a page's items share one, or one
    /// copied out of it).
    pub fn bytes(&self) -> usize {
        let mut last = std::ptr::null();
        let mut n = 0;
        for it in &self.items {
            if !std::ptr::eq(Arc::as_ptr(&it.body), last) {
                last = Arc::as_ptr(&it.body);
                n += it.body.len();
            }
        }
        n
    }

    pub fn empty() -> Page {
        Page {
            items: Vec::new(),
            next: None,
            total: None,
            offset: 0,
            limit: None,
        }
    }
}

/// A response body as sent: valid JSON, UTF-8, read once for where its top-level members are.
#[derive(Clone)]
pub struct Body {
    text: Arc<String>,
    /// Name and span of each top-level member, in order, when the body is an object.
    members: Option<Vec<(String, Range<usize>)>>,
    /// The `limit` the request asked for: no page of this body may hold more items.
    asked: Option<u64>,
    /// The request, for messages ("GET /v1/artists/…/albums").
    label: String,
    /// A large body whose `items` went past the `limit` asked for: not read further, and
    /// [`Body::page`] refuses it (see [`too_many_items`]).
    refused: bool,
}

/// Bodies larger than this, when a `limit` was asked for, are first checked for too many
/// items, reading no further than the first item too many. No real page comes near it (50
/// full track objects are ~100 KB); an 8 MiB `{"items":[0,0,…]}` is refused after 51 items
/// instead of after validating 4 million.
const CHECK_ITEMS_OVER: usize = 256 << 10;

/// Whether the top-level `items` of `text` holds more than `max` entries; reads up to the end
/// of `items` at most.
fn too_many_items(text: &str, max: usize) -> bool {
    struct Check<'a> {
        whole: &'a str,
        max: usize,
    }
    impl<'de> Visitor<'de> for Check<'de> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a paging object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if k == "items" {
                    map.next_value_seed(Items {
                        whole: self.whole,
                        max: self.max,
                    })?;
                    // Not too many: stop here (the error is not TOO_MANY).
                    return Err(de::Error::custom("done"));
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let checked = de::Deserializer::deserialize_map(&mut de, Check { whole: text, max });
    matches!(checked, Err(e) if e.to_string().starts_with(TOO_MANY))
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A visitor's answer to any JSON scalar but `null` (read past, nothing kept).
macro_rules! scalars_are {
    ($v:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($v)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($v)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($v)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($v)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($v)
        }
    };
}

/// The members of a top-level object (by span), or None for any other JSON value.
struct Members<'a>(&'a str);

impl<'de> Visitor<'de> for Members<'de> {
    type Value = Option<Vec<(String, Range<usize>)>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            let v: &RawValue = map.next_value()?;
            out.push((k, span(self.0, v.get())));
        }
        Ok(Some(out))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    scalars_are!(None);
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Where `part` (a slice of `whole`) sits in `whole`.
fn span(whole: &str, part: &str) -> Range<usize> {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    start..start + part.len()
}

/// The `items` of a paging object: spans, at most `max` of them.
struct Items<'a> {
    whole: &'a str,
    max: usize,
}

/// What `items` held.
enum ItemsOut {
    Spans(Vec<Range<usize>>),
    /// `"items": null` (one search type among several, facts §9): an empty page.
    Null,
    /// Not an array.
    Other,
}

const TOO_MANY: &str = "spotctl: more items than asked for";

impl<'de> DeserializeSeed<'de> for Items<'de> {
    type Value = ItemsOut;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<ItemsOut, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'de> {
    type Value = ItemsOut;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of items")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ItemsOut, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<&RawValue>()? {
            if out.len() == self.max {
                return Err(de::Error::custom(TOO_MANY));
            }
            out.push(span(self.whole, v.get()));
        }
        Ok(ItemsOut::Spans(out))
    }
    fn visit_unit<E>(self) -> Result<ItemsOut, E> {
        Ok(ItemsOut::Null)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ItemsOut, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(ItemsOut::Other)
    }
    scalars_are!(ItemsOut::Other);
}

/// A paging object: its items' spans and the fields that say where the listing goes.
struct PageSeed<'a> {
    whole: &'a str,
    max: usize,
}

#[derive(Default)]
struct RawPage {
    items: Option<ItemsOut>,
    next: Option<String>,
    total: Option<u64>,
    offset: Option<u64>,
    limit: Option<u64>,
}

impl<'de> DeserializeSeed<'de> for PageSeed<'de> {
    type Value = Option<RawPage>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PageSeed<'de> {
    type Value = Option<RawPage>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a paging object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut p = RawPage::default();
        // A number the way the old tree read it: only a non-negative integer counts.
        let num = |v: Value| v.as_u64();
        while let Some(k) = map.next_key::<String>()? {
            match k.as_str() {
                "items" => {
                    p.items = Some(map.next_value_seed(Items {
                        whole: self.whole,
                        max: self.max,
                    })?)
                }
                "next" => p.next = map.next_value::<Value>()?.as_str().map(str::to_string),
                "total" => p.total = num(map.next_value()?),
                "offset" => p.offset = num(map.next_value()?),
                "limit" => p.limit = num(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(p))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    scalars_are!(None);
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

impl Body {
    /// Checks that `bytes` are JSON (UTF-8) and notes where the top-level members are; `asked`:
    /// the `limit` of the request. Err: the bytes back, when they are not JSON.
    pub fn new(
        bytes: Vec<u8>,
        asked: Option<u64>,
        label: &str,
    ) -> std::result::Result<Body, Vec<u8>> {
        let text = String::from_utf8(bytes).map_err(|e| e.into_bytes())?;
        let max = asked.map(|a| usize::try_from(a).unwrap_or(usize::MAX));
        if let Some(max) = max.filter(|_| text.len() > CHECK_ITEMS_OVER)
            && too_many_items(&text, max)
        {
            return Ok(Body {
                text: Arc::new(text),
                members: None,
                asked,
                label: label.to_string(),
                refused: true,
            });
        }
        let members = {
            let mut de = serde_json::Deserializer::from_str(&text);
            de::Deserializer::deserialize_any(&mut de, Members(&text))
                .and_then(|m| de.end().map(|()| m))
        };
        match members {
            Ok(members) => Ok(Body {
                text: Arc::new(text),
                members,
                asked,
                label: label.to_string(),
                refused: false,
            }),
            Err(_) => Err(text.into_bytes()),
        }
    }

    /// The body as the service sent it.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn member(&self, key: &str) -> Option<&str> {
        let (_, at) = self.members.as_ref()?.iter().find(|(k, _)| k == key)?;
        Some(&self.text[at.clone()])
    }

    /// The whole body as one item (a full object: `GET /albums/{id}`).
    pub fn whole(&self) -> Item {
        Item {
            body: self.text.clone(),
            at: 0..self.text.len(),
        }
    }

    /// The entries of the array member `key` (a batch answer: `{"albums": [{…}, null]}`), as
    /// sent; None when there is no such array.
    pub fn array(&self, key: &str) -> Option<Vec<Item>> {
        let text = self.member(key)?;
        let entries: Vec<&RawValue> = serde_json::from_str(text).ok()?;
        Some(
            entries
                .into_iter()
                .map(|v| Item {
                    body: self.text.clone(),
                    at: span(&self.text, v.get()),
                })
                .collect(),
        )
    }

    /// The body is an object with a member `key`.
    pub fn has(&self, key: &str) -> bool {
        self.member(key).is_some()
    }

    /// The body is a paging object itself (it has `items`).
    pub fn is_page(&self) -> bool {
        self.refused || self.has("items")
    }

    /// The top-level members that are paging objects (search: one per type), in order.
    pub fn page_keys(&self) -> Vec<String> {
        let Some(members) = &self.members else {
            return Vec::new();
        };
        #[derive(serde::Deserialize)]
        struct HasItems {
            #[serde(rename = "items")]
            _items: IgnoredAny,
        }
        members
            .iter()
            .map(|(k, at)| (k, &self.text[at.clone()]))
            // An object (a struct also reads from an array: `"images": [{…}]` is no listing).
            .filter(|(_, v)| v.starts_with('{') && serde_json::from_str::<HasItems>(v).is_ok())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The items at `spans`, sharing the body; when they are a small part of it (a page of
    /// a few items beside a large member), copied out, so a page held ahead of the output
    /// never keeps a body many times its items' size.
    fn items(&self, spans: Vec<Range<usize>>) -> Vec<Item> {
        let held: usize = spans.iter().map(|s| s.len()).sum();
        if held.saturating_mul(2).saturating_add(64 * 1024) >= self.text.len() {
            let body = &self.text;
            return spans
                .into_iter()
                .map(|at| Item {
                    body: body.clone(),
                    at,
                })
                .collect();
        }
        let mut text = String::with_capacity(held);
        let mut at = Vec::with_capacity(spans.len());
        for s in spans {
            let start = text.len();
            text.push_str(&self.text[s]);
            at.push(start..text.len());
        }
        let body = Arc::new(text);
        at.into_iter()
            .map(|at| Item {
                body: body.clone(),
                at,
            })
            .collect()
    }

    /// Reads the paging object (the body itself, or its member `key`). Its items are spans of
    /// the body, never copies; a page holding more items than the `limit` asked for is refused.
    pub fn page(&self, key: Option<&str>) -> Result<Page> {
        let max = self.asked.unwrap_or(MAX_PAGE);
        let too_many = || {
            Error::malformed(format!(
                "{}: the service sent more items in one page than the {max} asked for; not reading it (a broken or hostile server?)",
                self.label
            ))
        };
        if self.refused {
            return Err(too_many());
        }
        let obj = match key {
            Some(k) => self.member(k).ok_or_else(|| {
                Error::malformed(format!("the response has no \"{k}\" paging object"))
            })?,
            None => &self.text,
        };
        let mut de = serde_json::Deserializer::from_str(obj);
        let seed = PageSeed {
            whole: &self.text,
            max: usize::try_from(max).unwrap_or(usize::MAX),
        };
        let raw = match seed.deserialize(&mut de) {
            Ok(p) => p,
            Err(e) if e.to_string().starts_with(TOO_MANY) => return Err(too_many()),
            Err(e) => return Err(Error::malformed(format!("the page is not valid JSON: {e}"))),
        };
        let not_a_page =
            || Error::malformed("the response is not a page of items (no \"items\" array)");
        let raw = raw.ok_or_else(not_a_page)?;
        let items = match raw.items {
            // Null items are kept as positions (dropped when the page is handed on).
            Some(ItemsOut::Spans(s)) => self.items(s),
            Some(ItemsOut::Null) => Vec::new(),
            _ => return Err(not_a_page()),
        };
        Ok(Page {
            items,
            next: raw.next,
            total: raw.total,
            offset: raw.offset.unwrap_or(0),
            // A page never holds more than was asked for, whatever `limit` it echoes (one
            // recorded shape echoes 50 on pages of 10, where 50 is refused).
            limit: match (raw.limit, self.asked) {
                (Some(l), Some(a)) => Some(l.min(a)),
                (l, a) => l.or(a),
            },
        })
    }
}

/// Which learned page size a listing uses: Development Mode's cap is known for search and an
/// artist's albums (one number for both, `"catalog"`); album tracks, playlist items, show
/// episodes and audiobook chapters are learned each on its own (whether they are capped too is not documented). None:
/// not a catalog listing, whose `limit=` is the user's.
pub fn page_key(url: &url::Url) -> Option<&'static str> {
    let segs: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        [.., "search"] | [.., "artists", _, "albums"] => Some(CATALOG),
        [.., "albums", _, "tracks"] => Some("album_tracks"),
        [.., "playlists", _, "items"] => Some("playlist_items"),
        [.., "shows", _, "episodes"] => Some("show_episodes"),
        [.., "audiobooks", _, "chapters"] => Some("audiobook_chapters"),
        _ => None,
    }
}

/// The [`page_key`] of search and artist albums, whose learned size is the account's
/// `page_limit`.
pub const CATALOG: &str = "catalog";

/// A 64-bit hash of `s`, for remembering an id or a link without keeping it.
pub fn text_hash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

pub fn query_text(url: &url::Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

pub fn query_u64(url: &url::Url, key: &str) -> Option<u64> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
}

/// The same URL with `key` set to `value` (other parameters kept, in order).
pub fn with_param(url: &url::Url, key: &str, value: u64) -> url::Url {
    with_text_param(url, key, &value.to_string())
}

/// The same URL with `key` set to the text `value` (other parameters kept, in order).
pub fn with_text_param(url: &url::Url, key: &str, value: &str) -> url::Url {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    match pairs.iter_mut().find(|(k, _)| k == key) {
        Some(p) => p.1 = value.to_string(),
        None => pairs.push((key.to_string(), value.to_string())),
    }
    let mut out = url.clone();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_listing_has_its_page_key() {
        let k = |p: &str| page_key(&url::Url::parse(&format!("https://a.example/v1{p}")).unwrap());
        assert_eq!(k("/search"), Some(CATALOG));
        assert_eq!(k("/artists/x/albums"), Some(CATALOG));
        assert_eq!(k("/albums/x/tracks"), Some("album_tracks"));
        assert_eq!(k("/playlists/x/items"), Some("playlist_items"));
        assert_eq!(k("/shows/x/episodes"), Some("show_episodes"));
        assert_eq!(k("/audiobooks/x/chapters"), Some("audiobook_chapters"));
        assert_eq!(k("/me/tracks"), None);
        assert_eq!(k("/albums/x"), None);
    }

    #[test]
    fn params_are_replaced_in_place() {
        let u = url::Url::parse(
            "https://api.spotify.com/v1/search?query=a%20b&type=artist&offset=3&limit=3",
        )
        .unwrap();
        let v = with_param(&with_param(&u, "offset", 6), "limit", 10);
        assert_eq!(
            v.as_str(),
            "https://api.spotify.com/v1/search?query=a+b&type=artist&offset=6&limit=10"
        );
        assert_eq!(query_u64(&v, "offset"), Some(6));
    }

    fn body(text: &str, asked: Option<u64>) -> Body {
        Body::new(text.as_bytes().to_vec(), asked, "GET /x").unwrap()
    }

    #[test]
    fn pages_parse() {
        let b = body(
            r#"{"artists":{"items":[{"id":"a"},null],"next":null,"total":1,"offset":0,"limit":10}}"#,
            Some(10),
        );
        let p = b.page(Some("artists")).unwrap();
        assert_eq!(p.items.len(), 2, "a null item is a position");
        assert!(p.items[1].is_null());
        assert_eq!(p.items[0].id().as_deref(), Some("a"));
        let b = body(
            r#"{"playlists": {"items": null, "next": null, "total": 0}}"#,
            None,
        );
        assert!(b.page(Some("playlists")).unwrap().items.is_empty());
        assert_eq!(b.page_keys(), vec!["playlists"]);
        assert!(
            body(r#"{"images": [{"items": 1}]}"#, None)
                .page_keys()
                .is_empty()
        );
        assert_eq!(p.total, Some(1));
        assert!(body(r#"{"items": 5}"#, None).page(None).is_err());
        assert!(Body::new(b"{\"items\": [".to_vec(), None, "GET /x").is_err());
    }

    #[test]
    fn items_are_the_bytes_sent_and_pages_hold_at_most_the_limit() {
        let text = r#"{"items":[{"n":1E2,"big":123456789012345678901234567890,"s":"\u00e9\/"} , 7],"total":2}"#;
        let p = body(text, Some(2)).page(None).unwrap();
        assert_eq!(
            p.items[0].raw(),
            r#"{"n":1E2,"big":123456789012345678901234567890,"s":"\u00e9\/"}"#
        );
        assert_eq!(p.items[1].raw(), "7");
        // Two small items beside 1 MB of something else: copied out, the body is not kept.
        let big = format!(
            r#"{{"items":[{{"id":"a"}},2],"junk":"{}"}}"#,
            "x".repeat(1 << 20)
        );
        let p = body(&big, None).page(None).unwrap();
        assert_eq!(p.items[0].raw(), r#"{"id":"a"}"#);
        assert_eq!(p.items[1].raw(), "2");
        assert!(p.items[0].body.len() < 100, "the body is not held");
        let e = body(text, Some(1)).page(None).unwrap_err().to_string();
        assert!(
            e.starts_with("GET /x: the service sent more items in one page than the 1 asked for"),
            "{e}"
        );
    }
    #[test]
    fn a_large_page_of_too_many_items_is_refused_at_the_first_item_too_many() {
        // 600 KB of zeros, then bytes no JSON reader could get past: reading stopped at item
        // 51, so the answer is the refusal, not "not JSON" after reading everything.
        let mut text = String::from(r#"{"items":["#);
        text.push_str(&"0,".repeat(300_000));
        text.push_str("]!! not json");
        let b = Body::new(text.into_bytes(), Some(50), "GET /x").unwrap();
        assert!(b.is_page());
        let e = b.page(None).unwrap_err().to_string();
        assert!(
            e.starts_with("GET /x: the service sent more items in one page than the 50 asked for"),
            "{e}"
        );
        // Within the limit, a large page is read as before; broken JSON is still refused.
        let mut ok = String::from(r#"{"items":[""#);
        ok.push_str(&"x".repeat(400_000));
        ok.push_str(r#"",1],"next":null}"#);
        let p = body(&ok, Some(50)).page(None).unwrap();
        assert_eq!(p.items.len(), 2);
        assert!(Body::new(format!("{ok}!").into_bytes(), Some(50), "GET /x").is_err());
    }
}
