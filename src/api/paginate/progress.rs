//! Telling a listing that makes progress from one that loops: a `next` link already followed or
//! going back to an offset already read, or pages that stop adding new items while `next` goes
//! on, end the listing (exit 6) instead of looping.

use crate::api::page::{Item, Page, query_u64, text_hash as hash};
use crate::error::{Error, Result};
use std::collections::{HashSet, VecDeque};

/// Pages that stop adding new items for this many `next` links in a row end the listing.
const STALE_PAGES: u32 = 3;
/// How many of the latest item hashes and followed links are remembered: loop detection needs
/// a window, not the whole listing (an endless listing must not grow memory without limit).
const WINDOW: usize = 4096;

/// The latest `WINDOW` hashes, for "seen recently".
#[derive(Default)]
struct Recent {
    set: HashSet<u64>,
    order: VecDeque<u64>,
}

impl Recent {
    /// True when `h` is not among the latest hashes (and remembers it).
    fn insert(&mut self, h: u64) -> bool {
        if !self.set.insert(h) {
            return false;
        }
        self.order.push_back(h);
        if self.order.len() > WINDOW
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }
}

/// What a listing has read lately, to tell a `next` link that makes progress from a loop.
pub(super) struct Progress {
    /// The links followed lately (hashes).
    urls: Recent,
    /// Highest offset fetched (first page, derived pages, followed links).
    max_offset: u64,
    /// Hashes of the items seen lately (their `id`, or their JSON when they have none).
    items: Recent,
    stale: u32,
}

impl Progress {
    pub(super) fn new(page0: &Page) -> Progress {
        let mut p = Progress {
            urls: Recent::default(),
            max_offset: page0.offset,
            items: Recent::default(),
            stale: 0,
        };
        for i in &page0.items {
            p.is_new(i);
        }
        p
    }

    pub(super) fn offset_read(&mut self, offset: u64) {
        self.max_offset = self.max_offset.max(offset);
    }

    /// True when the item was not seen before in this listing (nulls never are new).
    pub(super) fn is_new(&mut self, item: &Item) -> bool {
        if item.is_null() {
            return false;
        }
        let h = match item.id() {
            Some(id) => hash(&id),
            None => hash(item.raw()),
        };
        self.items.insert(h)
    }

    /// Before following `url`: refuses a link already followed, or one going back to an
    /// offset already read.
    pub(super) fn check_link(&mut self, url: &url::Url) -> Result<()> {
        let label = format!("GET {}", crate::sanitize::cut_middle(url.path(), 200));
        if let Some(o) = query_u64(url, "offset")
            && o <= self.max_offset
        {
            return Err(Error::malformed(format!(
                "{label}: the service's next link goes back to offset {o}, a page already read; stopping instead of looping"
            )));
        }
        if !self.urls.insert(hash(url.as_str())) {
            return Err(Error::malformed(format!(
                "{label}: the service's next link repeats a page already read; stopping instead of looping"
            )));
        }
        if let Some(o) = query_u64(url, "offset") {
            self.max_offset = o;
        }
        Ok(())
    }

    /// After a followed page: counts pages in a row that added no new item (a page of nulls
    /// counts only when there is no offset to show progress).
    pub(super) fn check_page(&mut self, url: &url::Url, page: &Page) -> Result<()> {
        let mut new = false;
        for i in &page.items {
            new |= self.is_new(i);
        }
        let all_null = !page.items.is_empty() && page.items.iter().all(Item::is_null);
        if new || page.items.is_empty() || (all_null && query_u64(url, "offset").is_some()) {
            self.stale = 0;
            return Ok(());
        }
        self.stale += 1;
        if self.stale >= STALE_PAGES {
            return Err(Error::malformed(format!(
                "GET {}: pages stopped adding new items while the service's next link goes on ({STALE_PAGES} pages in a row); stopping instead of looping",
                crate::sanitize::cut_middle(url.path(), 200)
            )));
        }
        Ok(())
    }
}
