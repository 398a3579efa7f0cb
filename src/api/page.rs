//! What a page is: the paging object the service sends ([`Page`], read by [`parse_page`]), the
//! page sizes it accepts (50, and 10 in Development Mode), and the query parameters of a page
//! link. The one place that knows page sizes: the session stores a learned number, the
//! paginator asks for pages, and neither imports the other for it.

use crate::error::{Error, Result};
use serde_json::Value;

/// Development Mode's page size since 2026 (SPEC §3).
pub const SMALL_PAGE: u64 = 10;
/// What extended-quota apps accept.
pub const LARGE_PAGE: u64 = 50;

#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
    pub total: Option<u64>,
    pub offset: u64,
    pub limit: Option<u64>,
}

impl Page {
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

/// Reads the paging object (the response itself, or the one under `key`), moving its items
/// out of `v` rather than copying them: every item passes through here once.
pub fn parse_page(v: &mut Value, key: Option<&str>) -> Result<Page> {
    let obj = match key {
        Some(k) => v.get_mut(k).ok_or_else(|| {
            Error::malformed(format!("the response has no \"{k}\" paging object"))
        })?,
        None => v,
    };
    let items = match obj.get_mut("items").map(Value::take) {
        // Null items are kept as positions (dropped when the page is handed on).
        Some(Value::Array(items)) => items,
        // Reported for one search type among several (facts §9): an empty result for it.
        Some(Value::Null) => Vec::new(),
        _ => {
            return Err(Error::malformed(
                "the response is not a page of items (no \"items\" array)",
            ));
        }
    };
    Ok(Page {
        items,
        next: obj.get("next").and_then(Value::as_str).map(str::to_string),
        total: obj.get("total").and_then(Value::as_u64),
        offset: obj.get("offset").and_then(Value::as_u64).unwrap_or(0),
        limit: obj.get("limit").and_then(Value::as_u64),
    })
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

    #[test]
    fn pages_parse() {
        let mut v: Value = serde_json::from_str(r#"{"artists":{"items":[{"id":"a"},null],"next":null,"total":1,"offset":0,"limit":10}}"#).unwrap();
        let p = parse_page(&mut v, Some("artists")).unwrap();
        assert_eq!(p.items.len(), 2, "a null item is a position");
        let mut v = serde_json::json!({"playlists": {"items": null, "next": null, "total": 0}});
        assert!(
            parse_page(&mut v, Some("playlists"))
                .unwrap()
                .items
                .is_empty()
        );
        assert_eq!(p.total, Some(1));
        assert!(parse_page(&mut serde_json::json!({"items": 5}), None).is_err());
    }
}
