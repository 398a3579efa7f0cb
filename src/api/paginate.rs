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
//! Null items (Spotify's search sends them, sometimes a whole page) are positions: they count
//! for offsets, `max_items` and "is this page empty", and are dropped only when a page is handed
//! on, with a warning. `"items": null` is an empty page. A `next` link that goes back to a page
//! already read, or pages that stop adding new items while `next` goes on, end the listing with
//! exit 6 (and the resume hint) instead of looping.
//!
//! Several listings share the one HTTP client and its concurrency limit. For a batch
//! ([`batch::stream_batch`]: `albums A B C`, `--artist -`) that is one budget for the whole run: as
//! soon as a request slot is free, the next listing's first page is asked for, while the output
//! stays in input order. Memory stays bounded: listings ahead of the one being written may hold at
//! most [`budget::ahead_items`] items (`4 × --concurrency` full pages of 50, in flight or fetched)
//! between them, and at most `4 × --concurrency` listings run ahead; the listing being written
//! holds at most `--concurrency` pages queued plus one in its channel. So at most
//! `5 × --concurrency + 1` pages of 50 items (and the writer's channel of 4 pages) are in
//! memory, however many artists stream through. The first listing's first page is fetched alone, so the
//! page size is settled (Development Mode's refused 50 is asked once, not once per artist).
//! Search's types ([`stream`]) fetch the next two first pages ahead.
//!
//! A multi-type search is one response per offset for every type (its paging objects share
//! `offset` and `limit`): a derived page of the first type also asks for the later types that
//! still need that offset, and keeps their paging objects until their listing is written
//! (at most the 1000-item search cap per type), so each offset is fetched once, not per type.
//!
//! The page size is the largest the service accepts: ask for 50; on any 400 (Development Mode's
//! "Invalid limit", sometimes an empty body), retry that page with 10, and remember 10 in the
//! account only when that retry succeeds.
//!
//! Where things are: what a page is and its sizes in `api/page.rs`; what is asked for and
//! handed back in `listing`; the first page at the run's page size in `first`; telling progress
//! from a loop in `progress`; the resume hint in `resume`; the one-run engine (lookahead, pages
//! shared by a multi-type search, pages in flight) here; many listings under one budget in
//! `batch`, with the budget itself in `budget`.

use crate::api::client::Api;
use crate::api::page::{Body, Item, Page, query_text, query_u64, with_param, with_text_param};
use crate::error::{Error, Result};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub mod batch;
mod budget;
mod first;
mod listing;
mod progress;
mod resume;
use budget::{Budget, Pass};
pub use first::get_first;
use listing::Task;
pub use listing::{Event, Listing, PageStream, Resume, Source};
use progress::Progress;
use resume::resume_hint;

const LOOKAHEAD_LISTINGS: usize = 2;

/// Starts fetching `listings` in the background and returns their pages in order.
pub fn stream(api: Arc<Api>, listings: Vec<Listing>) -> PageStream {
    let (tx, rx) = mpsc::channel(4);
    let task = tokio::spawn(async move {
        if let Err(e) = run(api, listings, &tx).await {
            let _ = tx.send(Err(e)).await;
        }
    });
    PageStream::new(rx, task)
}

fn spawn_first(api: &Arc<Api>, url: &url::Url) -> Task<Result<Body>> {
    let (api, u) = (api.clone(), url.clone());
    Task(tokio::spawn(async move { get_first(&api, &u).await }))
}

/// Pages of later listings that came with an earlier listing's request, by (key, offset).
type Shared = std::sync::Mutex<HashMap<(String, u64), Page>>;

/// A later listing that may share an earlier one's requests: its key, the search `type` it
/// stands for, and the offset where it ends.
#[derive(Debug, Clone)]
struct Sharer {
    key: String,
    kind: String,
    end: u64,
}

/// The listings that can ride along on another's requests: search paging objects given as a
/// first page (their `type` is the key without its plural `s`), by listing index.
fn sharers(listings: &[Listing]) -> Vec<Option<Sharer>> {
    listings
        .iter()
        .map(|l| {
            let (Source::Page(p), Some(key)) = (&l.first, &l.key) else {
                return None;
            };
            let kind = key.strip_suffix('s')?.to_string();
            let end = p
                .total?
                .min(p.offset.saturating_add(l.max_items.unwrap_or(u64::MAX)))
                .min(l.offset_cap.unwrap_or(u64::MAX));
            Some(Sharer {
                key: key.clone(),
                kind,
                end,
            })
        })
        .collect()
}

async fn run(
    api: Arc<Api>,
    listings: Vec<Listing>,
    tx: &mpsc::Sender<Result<Event>>,
) -> Result<()> {
    let n = listings.len();
    let sharers = sharers(&listings);
    let shared: Arc<Shared> = Arc::default();
    let first_urls: Vec<Option<url::Url>> = listings
        .iter()
        .map(|l| match &l.first {
            Source::Url(u) => Some(u.clone()),
            Source::Page(_) => None,
        })
        .collect();
    let mut prefetched: HashMap<usize, Task<Result<Body>>> = HashMap::new();
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
                v.and_then(|b| b.page(listing.key.as_deref()))
                    .map_err(|e| resume_hint(e, offset, &listing.label, (idx, n), None))?
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
        let share = Share {
            later: sharers.iter().skip(idx + 1).flatten().cloned().collect(),
            pages: shared.clone(),
        };
        run_listing(&api, (idx, n), &listing, page0, tx, &share, None).await?;
    }
    Ok(())
}

struct Emitter<'a> {
    tx: &'a mpsc::Sender<Result<Event>>,
    /// Positions handed on (null items included: they count, as Spotify's `limit` does).
    emitted: u64,
    max: u64,
    next_offset: u64,
    /// The `next` link of the last page handed on: where to continue.
    next_link: Option<String>,
    /// Null items dropped so far in this listing.
    nulls: u64,
    /// A batch listing's share of the pages held ahead of the output.
    budget: Option<Budget>,
}

/// The longest listing spotctl reads: far beyond any real catalog (search stops at 1000, the
/// largest discographies hold a few thousand), so a listing that goes on past it is a broken or
/// hostile server, not data; it ends with exit 6 and the resume hint.
pub const LISTING_CAP: u64 = 100_000;

impl Emitter<'_> {
    fn done(&self) -> bool {
        self.emitted >= self.max
    }

    /// Err once the listing has gone on past [`LISTING_CAP`] positions.
    fn check_cap(&self, url: &url::Url) -> Result<()> {
        if self.emitted >= LISTING_CAP && !self.done() {
            return Err(Error::malformed(format!(
                "GET {}: the listing goes on past {LISTING_CAP} items, far more than any real catalog; stopping (a broken or hostile server?)",
                crate::sanitize::cut_middle(url.path(), 200)
            )));
        }
        Ok(())
    }

    /// Waits until this listing may fetch one more page of `items` (batch listings ahead of
    /// the output).
    async fn slot(&mut self, items: u64) -> Pass {
        match &mut self.budget {
            Some(b) => b.slot(items).await,
            None => Pass::default(),
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
        // A test hook (debug builds only): a bug in a listing's task, at the page of this offset.
        #[cfg(debug_assertions)]
        if std::env::var("SPOTCTL_DEBUG_PANIC_AT_OFFSET").ok() == Some(page.offset.to_string()) {
            panic!("SPOTCTL_DEBUG_PANIC_AT_OFFSET");
        }
        let room = self.max - self.emitted;
        let cut = page.items.len() as u64 > room;
        if cut {
            page.items.truncate(room as usize);
        }
        let n = page.items.len() as u64;
        self.emitted += n;
        // Where the next page starts is what the service's `next` says: a page can cover more
        // positions than it holds items, and resuming at `offset + items` would read some again.
        self.next_offset = page
            .next
            .as_deref()
            .and_then(|l| url::Url::parse(l).ok())
            .and_then(|u| query_u64(&u, "offset"))
            // A link going back (a looping server) is no place to resume from.
            .filter(|&o| !cut && o > page.offset)
            .unwrap_or(page.offset + n);
        self.next_link = page.next.clone();
        // Nulls are positions (counted above), not items: dropped here, and counted for the
        // end-of-listing warning.
        let items: Vec<Item> = page.items.into_iter().filter(|i| !i.is_null()).collect();
        self.nulls += n - items.len() as u64;
        if items.is_empty() {
            return Ok(());
        }
        self.send(Event::Items { items }).await
    }
}

/// `pass`: a batch listing holds it until its page is in (see `budget.rs`).
async fn fetch_page(api: Arc<Api>, url: url::Url, key: Option<String>, pass: Pass) -> Result<Page> {
    let ledger = pass.ledger();
    let page = pass
        .guard(async { api.get_body(url).await?.page(key.as_deref()) })
        .await?;
    if let Some(l) = ledger {
        l.hold(page.bytes());
    }
    Ok(page)
}

/// What a listing shares with the ones after it.
struct Share {
    later: Vec<Sharer>,
    pages: Arc<Shared>,
}

impl Share {
    /// Nothing to share (artists' albums: one listing per request).
    fn none() -> Share {
        Share {
            later: Vec::new(),
            pages: Arc::default(),
        }
    }
}

/// Fetches a page of `key` whose response also carries the paging objects of `others`, and
/// keeps those for their listings.
async fn fetch_shared(
    api: Arc<Api>,
    url: url::Url,
    key: Option<String>,
    others: Vec<String>,
    pages: Arc<Shared>,
    _pass: Pass,
) -> Result<Page> {
    let body = api.get_body(url).await?;
    for other in others {
        if let Ok(p) = body.page(Some(&other)) {
            let mut pages = pages.lock().unwrap_or_else(|e| e.into_inner());
            pages.insert((other, p.offset), p);
        }
    }
    body.page(key.as_deref())
}

/// Starts fetching the derived page at `offset` of listing `key`, or hands on the one an
/// earlier listing's request brought along. A `full` page of a search also asks for the later
/// listings' types that still need this offset.
fn spawn_page(
    api: &Arc<Api>,
    url: url::Url,
    key: &Option<String>,
    offset: u64,
    full: bool,
    share: &Share,
    pass: Pass,
) -> JoinHandle<Result<Page>> {
    let kept = key.as_ref().and_then(|k| {
        let mut pages = share.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages.remove(&(k.clone(), offset))
    });
    if let Some(page) = kept {
        return tokio::spawn(async move { Ok(page) });
    }
    let others: Vec<&Sharer> = share
        .later
        .iter()
        .filter(|l| full && offset < l.end)
        .collect();
    match (others.is_empty(), query_text(&url, "type"), key.as_deref()) {
        (false, Some(_), Some(own)) => {
            let mut kinds = vec![own.trim_end_matches('s').to_string()];
            kinds.extend(others.iter().map(|l| l.kind.clone()));
            let url = with_text_param(&url, "type", &kinds.join(","));
            let others = others.iter().map(|l| l.key.clone()).collect();
            tokio::spawn(fetch_shared(
                api.clone(),
                url,
                key.clone(),
                others,
                share.pages.clone(),
                pass,
            ))
        }
        _ => tokio::spawn(fetch_page(api.clone(), url, key.clone(), pass)),
    }
}

async fn run_listing(
    api: &Arc<Api>,
    (idx, n): (usize, usize),
    listing: &Listing,
    page0: Page,
    tx: &mpsc::Sender<Result<Event>>,
    share: &Share,
    budget: Option<Budget>,
) -> Result<()> {
    let start = page0.offset;
    let mut out = Emitter {
        tx,
        emitted: 0,
        max: listing.max_items.unwrap_or(u64::MAX),
        next_offset: start,
        next_link: None,
        nulls: 0,
        budget,
    };
    let begin = Event::Begin {
        total: page0.total,
        expected: page0.total.map(|t| {
            t.saturating_sub(page0.offset)
                .min(listing.max_items.unwrap_or(u64::MAX))
        }),
        parent: listing.parent.clone(),
        unwrap: listing.unwrap,
    };
    if out.send(begin).await.is_err() {
        return Ok(());
    }
    let r = follow(api, listing, page0, &mut out, share).await;
    let next_offset = out.next_offset;
    if out.nulls > 0 {
        // Fewer items than asked for: say why, never truncate silently.
        tracing::warn!(
            "{}: the service sent {} empty (null) {}; they were skipped",
            listing.label,
            out.nulls,
            if out.nulls == 1 { "entry" } else { "entries" }
        );
    }
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
        Err(e) => {
            let next = match listing.resume {
                Resume::NextUrl => out.next_link.as_deref().map(|l| (api.session.name(), l)),
                Resume::Offset => None,
            };
            Err(resume_hint(e, next_offset, &listing.label, (idx, n), next))
        }
    }
}

async fn follow(
    api: &Arc<Api>,
    listing: &Listing,
    page0: Page,
    out: &mut Emitter<'_>,
    share: &Share,
) -> Result<()> {
    let mut next = page0.next.clone();
    let mut progress = Progress::new(&page0);
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
            Error::malformed(format!(
                "the service sent an invalid next link: {}",
                crate::api::ids::shown(n)
            ))
        })?;
        api.check_origin(&next_url)?;
        // The one-by-one path's check, on the first link too: a link back to the first page
        // would have the fan-out read the listing again.
        progress.check_link(&next_url)?;
        // The page size is what the `next` link asks for when it says (a paging object may
        // echo a `limit` its pages do not hold).
        let page_len = query_u64(&next_url, "limit").map_or(page_len, |l| l.min(page_len));
        if let Some(mut offset) = query_u64(&next_url, "offset").filter(|_| page_len > 0) {
            let want_end = first_offset.saturating_add(listing.max_items.unwrap_or(u64::MAX));
            let end = total.min(want_end).min(cap);
            // Only what we must not exceed trims the last page's size; `total` may be stale
            // (the listing grows), and asking for a full page there costs nothing.
            let hard_end = want_end.min(cap);
            let mut queue: VecDeque<Task<Result<Page>>> = VecDeque::new();
            let mut last_next = None;
            loop {
                while offset < end && queue.len() < api.http.concurrency_for(&next_url) {
                    let limit = page_len.min(hard_end - offset);
                    progress.offset_read(offset);
                    let pass = out.slot(limit).await;
                    let url = with_param(&with_param(&next_url, "offset", offset), "limit", limit);
                    // A search's types share `offset`, `limit` and where they stop: a full page,
                    // or the last one shortened to that end, is the same request for all.
                    let full = limit == page_len || offset + limit == hard_end;
                    let task = spawn_page(api, url, &key, offset, full, share, pass);
                    queue.push_back(Task(task));
                    offset += limit;
                }
                let Some(task) = queue.pop_front() else { break };
                let page = task.join().await??;
                if page.items.is_empty() {
                    // The listing shrank (or the service misbehaves): stop, never loop.
                    return Ok(());
                }
                // A `total` of a billion over the same items again and again is a loop too.
                progress.check_page(&next_url, &page)?;
                last_next = page.next.clone();
                if out.page(page).await.is_err() || out.done() {
                    return Ok(());
                }
                out.check_cap(&next_url)?;
            }
            // The listing grew while it was read: keep following.
            next = last_next.filter(|_| offset < cap);
        }
    }

    // One by one: cursor pages, listings without total, and growth past the derived pages.
    while let Some(n) = next.take() {
        let url = url::Url::parse(&n).map_err(|_| {
            Error::malformed(format!(
                "the service sent an invalid next link: {}",
                crate::api::ids::shown(&n)
            ))
        })?;
        if query_u64(&url, "offset").is_some_and(|o| o >= cap) {
            break;
        }
        progress.check_link(&url)?;
        let pass = out.slot(page_len).await;
        let page = fetch_page(api.clone(), url.clone(), key.clone(), pass).await?;
        progress.check_page(&url, &page)?;
        let empty = page.items.is_empty();
        next = page.next.clone();
        if out.page(page).await.is_err() || empty || out.done() {
            break;
        }
        out.check_cap(&url)?;
    }
    Ok(())
}
