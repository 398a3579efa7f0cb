//! Pagination as a stream of pages, in order, however they were fetched.
//!
//! After the first page of an offset-based listing that says `total`, the remaining pages are
//! derived from its `next` link (same parameters, new `offset`) and fetched concurrently; each
//! page is handed on as soon as every page before it has been. At most `concurrency` pages are
//! queued per listing, so memory is bounded by the pages in flight, not by the catalog. Cursor
//! pages and listings without `total` are followed one by one, and so is a `next` left on the last
//! derived page (the listing grew while it was read). It stops on `next: null`, on an empty
//! page (never loops on an empty page that still has `next`), at `max_items`, and at the
//! service's offset cap (search: 1000).
//!
//! Several listings share the one HTTP client and its concurrency limit. For a batch
//! ([`stream_batch`]: `albums A B C`, `--artist -`) that is one budget for the whole run: as soon
//! as a request slot is free, the next listing's first page is asked for, while the output stays
//! in input order. Memory stays bounded: listings ahead of the one being written may hold at most
//! [`batch::ahead_items`] items (`4 × --concurrency` full pages of 50, in flight or fetched)
//! between them, and at most `4 × --concurrency` listings run ahead; the listing being written
//! holds at most `--concurrency` pages queued plus one in its channel. So at most
//! `5 × --concurrency + 1` pages of 50 items (and the writer's channel of 4 pages) are in
//! memory, however many artists stream through. The first listing's first
//! page is fetched alone, so the page size is settled (Development Mode's refused 50 is asked
//! once, not once per artist). Search's types ([`stream`]) fetch the next two first pages ahead.
//!
//! The page size is the largest the service accepts: ask for 50; on `400 Invalid limit`, retry
//! that page with 10, once per run, and remember it in the account.

use crate::api::client::Api;
use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

mod batch;
use batch::Budget;
pub use batch::{BadInput, stream_batch};

/// Development Mode's page size since 2026 (SPEC §3).
pub const SMALL_PAGE: u64 = 10;
/// What extended-quota apps accept.
pub const LARGE_PAGE: u64 = 50;
const LOOKAHEAD_LISTINGS: usize = 2;

#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
    pub total: Option<u64>,
    pub offset: u64,
    pub limit: Option<u64>,
}

impl Page {
    fn empty() -> Page {
        Page {
            items: Vec::new(),
            next: None,
            total: None,
            offset: 0,
            limit: None,
        }
    }
}

pub enum Source {
    Url(url::Url),
    Page(Page),
}

pub struct Listing {
    pub first: Source,
    /// Stop after this many items.
    pub max_items: Option<u64>,
    /// The service refuses `offset + limit` beyond this (search: 1000).
    pub offset_cap: Option<u64>,
    /// The paging object's key in the response (`artists` for search), or None when the
    /// response is the paging object.
    pub key: Option<String>,
    /// What the listing is, for messages when a batch stops part-way ("artist ID").
    pub label: String,
}

#[derive(Debug)]
pub enum Event {
    /// `total`: what the service announced; `expected`: what this run will print of it
    /// (after `--offset`/`--limit`), for the progress bar.
    Begin {
        total: Option<u64>,
        expected: Option<u64>,
    },
    Items {
        items: Vec<Value>,
    },
    End {
        listing: usize,
        /// The listing's label ("artist ID"), for warnings.
        label: String,
    },
    /// A batch listing failed (`stream_batch` only): the batch goes on or stops, the caller
    /// decides; the items it already sent stay written.
    Failed {
        label: String,
        error: Error,
    },
}

/// The ordered stream of pages; dropping it stops the fetching.
pub struct PageStream {
    rx: mpsc::Receiver<Result<Event>>,
    task: JoinHandle<()>,
}

impl PageStream {
    pub async fn next(&mut self) -> Option<Result<Event>> {
        self.rx.recv().await
    }
}

impl Drop for PageStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl futures::Stream for PageStream {
    type Item = Result<Event>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

/// Aborts spawned page fetches nobody will read (after an error or a closed pipe).
struct Task<T>(JoinHandle<T>);

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Task<T> {
    async fn join(mut self) -> Result<T> {
        (&mut self.0)
            .await
            .map_err(|e| Error::Internal(format!("page task failed: {e}")))
    }
}

/// Reads the paging object (the response itself, or the one under `key`), moving its items
/// out of `v` rather than copying them: every item passes through here once.
pub fn parse_page(v: &mut Value, key: Option<&str>) -> Result<Page> {
    let obj = match key {
        Some(k) => v
            .get_mut(k)
            .ok_or_else(|| Error::network(format!("the response has no \"{k}\" paging object")))?,
        None => v,
    };
    let items = match obj.get_mut("items").map(Value::take) {
        Some(Value::Array(items)) => items
            .into_iter()
            // Spotify sometimes sends null items in search results; they are not items.
            .filter(|i| !i.is_null())
            .collect(),
        _ => {
            return Err(Error::network(
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

fn query_u64(url: &url::Url, key: &str) -> Option<u64> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
}

/// The same URL with `key` set to `value` (other parameters kept, in order).
pub fn with_param(url: &url::Url, key: &str, value: u64) -> url::Url {
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

/// Spotify's answer to a page size above what the app may use (facts §3.3): decided by the
/// status and the exact message, the only signal there is.
fn is_invalid_limit(e: &Error) -> bool {
    matches!(e, Error::Api { status: 400, message, .. } if message.trim().eq_ignore_ascii_case("invalid limit"))
}

/// The listings whose page-size cap is the Development Mode one worth remembering.
fn learnable(url: &url::Url) -> bool {
    let p = url.path();
    p.ends_with("/search") || (p.contains("/artists/") && p.ends_with("/albums"))
}

/// GETs a first page, applying the run's page size; on `400 Invalid limit` retries once with
/// the small page size and, for the catalog listings, remembers it (for this run and, best
/// effort, in the account).
pub async fn get_first(api: &Api, url: &url::Url) -> Result<Value> {
    let mut url = url.clone();
    if let Some(l) = query_u64(&url, "limit") {
        let allowed = api.session.page_limit();
        if l > allowed {
            url = with_param(&url, "limit", allowed);
        }
    }
    match api.get(url.clone()).await {
        Err(e) if is_invalid_limit(&e) && query_u64(&url, "limit").unwrap_or(0) > SMALL_PAGE => {
            tracing::info!(
                "the service refused page size {}; using {SMALL_PAGE} (Development Mode)",
                query_u64(&url, "limit").unwrap_or(0)
            );
            if learnable(&url)
                && let Err(e) = api.session.remember_page_limit(SMALL_PAGE).await
            {
                tracing::warn!("could not remember the page size in the account: {e}");
            }
            api.get(with_param(&url, "limit", SMALL_PAGE)).await
        }
        r => r,
    }
}

/// Starts fetching `listings` in the background and returns their pages in order.
pub fn stream(api: Arc<Api>, listings: Vec<Listing>) -> PageStream {
    let (tx, rx) = mpsc::channel(4);
    let task = tokio::spawn(async move {
        if let Err(e) = run(api, listings, &tx).await {
            let _ = tx.send(Err(e)).await;
        }
    });
    PageStream { rx, task }
}

fn spawn_first(api: &Arc<Api>, url: &url::Url) -> Task<Result<Value>> {
    let (api, u) = (api.clone(), url.clone());
    Task(tokio::spawn(async move { get_first(&api, &u).await }))
}

async fn run(
    api: Arc<Api>,
    listings: Vec<Listing>,
    tx: &mpsc::Sender<Result<Event>>,
) -> Result<()> {
    let n = listings.len();
    let first_urls: Vec<Option<url::Url>> = listings
        .iter()
        .map(|l| match &l.first {
            Source::Url(u) => Some(u.clone()),
            Source::Page(_) => None,
        })
        .collect();
    let mut prefetched: HashMap<usize, Task<Result<Value>>> = HashMap::new();
    for (idx, mut listing) in listings.into_iter().enumerate() {
        let first = std::mem::replace(&mut listing.first, Source::Page(Page::empty()));
        let page0 = match first {
            Source::Page(p) => p,
            Source::Url(u) => {
                let v = match prefetched.remove(&idx) {
                    Some(t) => t.join().await?,
                    None => get_first(&api, &u).await,
                };
                let offset = query_u64(&u, "offset").unwrap_or(0);
                v.and_then(|mut v| parse_page(&mut v, listing.key.as_deref()))
                    .map_err(|e| resume_hint(e, offset, &listing.label, (idx, n)))?
            }
        };
        // The page size is settled once a first page is in: start the next listings' first
        // pages now, so they are in flight while this one finishes.
        let ahead = first_urls
            .iter()
            .enumerate()
            .skip(idx + 1)
            .take(LOOKAHEAD_LISTINGS);
        for (j, url) in ahead {
            if let (Some(u), false) = (url, prefetched.contains_key(&j)) {
                prefetched.insert(j, spawn_first(&api, u));
            }
        }
        run_listing(&api, (idx, n), &listing, page0, tx, None).await?;
    }
    Ok(())
}

struct Emitter<'a> {
    tx: &'a mpsc::Sender<Result<Event>>,
    emitted: u64,
    max: u64,
    next_offset: u64,
    /// A batch listing's share of the pages held ahead of the output.
    budget: Option<Budget>,
}

impl Emitter<'_> {
    fn done(&self) -> bool {
        self.emitted >= self.max
    }

    /// Waits until this listing may fetch one more page of `items` (batch listings ahead of
    /// the output).
    async fn slot(&mut self, items: u64) -> batch::Pass {
        match &mut self.budget {
            Some(b) => b.slot(items).await,
            None => None,
        }
    }

    /// Sends a page; Err(()) when the reader has gone away.
    /// Hands an event to the reader; Err(()) when it has gone away. A batch listing ahead of
    /// the output parks it until its turn.
    async fn send(&mut self, ev: Event) -> std::result::Result<(), ()> {
        match &mut self.budget {
            Some(b) => b.send(self.tx, ev).await,
            None => self.tx.send(Ok(ev)).await.map_err(|_| ()),
        }
    }

    async fn page(&mut self, mut page: Page) -> std::result::Result<(), ()> {
        let room = self.max - self.emitted;
        if page.items.len() as u64 > room {
            page.items.truncate(room as usize);
        }
        let n = page.items.len() as u64;
        self.emitted += n;
        self.next_offset = page.offset + n;
        if n == 0 {
            return Ok(());
        }
        self.send(Event::Items { items: page.items }).await
    }
}

/// `_pass`: a batch listing ahead of the output holds it until its page is in (see `batch.rs`).
async fn fetch_page(
    api: Arc<Api>,
    url: url::Url,
    key: Option<String>,
    _pass: batch::Pass,
) -> Result<Page> {
    let mut v = api.get(url).await?;
    parse_page(&mut v, key.as_deref())
}

/// Where a stopped run got to, so the user can resume without refetching (or skipping) items.
fn resume_hint(e: Error, offset: u64, label: &str, (idx, n): (usize, usize)) -> Error {
    let hint = if n == 0 {
        // A batch (`stream_batch`): the batch's stop line says which listing and what was left.
        if offset == 0 {
            return e;
        }
        format!("stopped at offset {offset}")
    } else if n > 1 {
        format!(
            "stopped at {label} (listing {} of {n}) at offset {offset}; the listings after it were not read",
            idx + 1
        )
    } else if offset > 0 {
        format!("stopped at offset {offset}; rerun with --offset {offset} to resume")
    } else {
        return e;
    };
    match e {
        Error::RateLimited(m) => Error::RateLimited(format!("{m} ({hint})")),
        Error::Network(m) => Error::Network(format!("{m} ({hint})")),
        other => other,
    }
}

async fn run_listing(
    api: &Arc<Api>,
    (idx, n): (usize, usize),
    listing: &Listing,
    page0: Page,
    tx: &mpsc::Sender<Result<Event>>,
    budget: Option<Budget>,
) -> Result<()> {
    let start = page0.offset;
    let mut out = Emitter {
        tx,
        emitted: 0,
        max: listing.max_items.unwrap_or(u64::MAX),
        next_offset: start,
        budget,
    };
    let begin = Event::Begin {
        total: page0.total,
        expected: page0.total.map(|t| {
            t.saturating_sub(page0.offset)
                .min(listing.max_items.unwrap_or(u64::MAX))
        }),
    };
    if out.send(begin).await.is_err() {
        return Ok(());
    }
    let r = follow(api, listing, page0, &mut out).await;
    let next_offset = out.next_offset;
    if let Some(b) = &mut out.budget {
        // A batch listing's parked pages go out when the output reaches it.
        b.finish(tx).await;
    }
    match r {
        Ok(()) => {
            let _ = out
                .send(Event::End {
                    listing: idx,
                    label: listing.label.clone(),
                })
                .await;
            Ok(())
        }
        Err(e) => Err(resume_hint(e, next_offset, &listing.label, (idx, n))),
    }
}

async fn follow(
    api: &Arc<Api>,
    listing: &Listing,
    page0: Page,
    out: &mut Emitter<'_>,
) -> Result<()> {
    let mut next = page0.next.clone();
    let total = page0.total;
    let page_len = page0.limit.unwrap_or(page0.items.len() as u64);
    let empty = page0.items.is_empty();
    let first_offset = page0.offset;
    if out.page(page0).await.is_err() || empty || out.done() {
        return Ok(());
    }
    let cap = listing.offset_cap.unwrap_or(u64::MAX);
    let key = listing.key.clone();

    // Fan-out: derive every remaining page from the first `next` link.
    if let (Some(total), Some(n)) = (total, next.as_deref()) {
        let next_url = url::Url::parse(n).map_err(|_| {
            Error::network(format!(
                "the service sent an invalid next link: {}",
                crate::api::ids::shown(n)
            ))
        })?;
        api.check_origin(&next_url)?;
        if let Some(mut offset) = query_u64(&next_url, "offset").filter(|_| page_len > 0) {
            let want_end = first_offset.saturating_add(listing.max_items.unwrap_or(u64::MAX));
            let end = total.min(want_end).min(cap);
            // Only what we must not exceed trims the last page's size; `total` may be stale
            // (the listing grows), and asking for a full page there costs nothing.
            let hard_end = want_end.min(cap);
            let mut queue: VecDeque<Task<Result<Page>>> = VecDeque::new();
            let mut last_next = None;
            loop {
                while offset < end && queue.len() < api.http.concurrency() {
                    let limit = page_len.min(hard_end - offset);
                    let pass = out.slot(limit).await;
                    let url = with_param(&with_param(&next_url, "offset", offset), "limit", limit);
                    queue.push_back(Task(tokio::spawn(fetch_page(
                        api.clone(),
                        url,
                        key.clone(),
                        pass,
                    ))));
                    offset += limit;
                }
                let Some(task) = queue.pop_front() else { break };
                let page = task.join().await??;
                if page.items.is_empty() {
                    // The listing shrank (or the service misbehaves): stop, never loop.
                    return Ok(());
                }
                last_next = page.next.clone();
                if out.page(page).await.is_err() || out.done() {
                    return Ok(());
                }
            }
            // The listing grew while it was read: keep following.
            next = last_next.filter(|_| offset < cap);
        }
    }

    // One by one: cursor pages, listings without total, and growth past the derived pages.
    while let Some(n) = next.take() {
        let url = url::Url::parse(&n).map_err(|_| {
            Error::network(format!(
                "the service sent an invalid next link: {}",
                crate::api::ids::shown(&n)
            ))
        })?;
        if query_u64(&url, "offset").is_some_and(|o| o >= cap) {
            break;
        }
        let pass = out.slot(page_len).await;
        let page = fetch_page(api.clone(), url, key.clone(), pass).await?;
        let empty = page.items.is_empty();
        next = page.next.clone();
        if out.page(page).await.is_err() || empty || out.done() {
            break;
        }
    }
    Ok(())
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
    fn only_the_exact_invalid_limit_answer_teaches_the_page_size() {
        let api_err = |status, m: &str| Error::Api {
            method: "GET".into(),
            path: "/v1/search".into(),
            status,
            message: m.into(),
        };
        assert!(is_invalid_limit(&api_err(400, "Invalid limit")));
        assert!(!is_invalid_limit(&api_err(
            400,
            "limit must be below 20 for this endpoint"
        )));
        assert!(!is_invalid_limit(&api_err(404, "Invalid limit")));
        let u = |p: &str| url::Url::parse(&format!("https://api.spotify.com/v1{p}")).unwrap();
        assert!(learnable(&u("/search?q=a")));
        assert!(learnable(&u("/artists/3qNVuliS40BLgXGxhdBdqu/albums")));
        assert!(!learnable(&u("/me/tracks")));
        assert!(!learnable(&u("/albums/3qNVuliS40BLgXGxhdBdqu/tracks")));
    }

    #[test]
    fn pages_parse() {
        let mut v: Value = serde_json::from_str(r#"{"artists":{"items":[{"id":"a"},null],"next":null,"total":1,"offset":0,"limit":10}}"#).unwrap();
        let p = parse_page(&mut v, Some("artists")).unwrap();
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.total, Some(1));
        assert!(parse_page(&mut serde_json::json!({"items": 5}), None).is_err());
    }
}
