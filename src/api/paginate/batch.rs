//! Many listings with one concurrency budget (`albums A B C`, `albums --artist -`).
//!
//! Listings arrive on a channel as they are read (stdin is streamed) and each runs in its own
//! task, so the next artist's first page is asked for as soon as a request slot is free. The
//! HTTP client's semaphore is the concurrency budget; this module bounds memory and keeps the
//! order:
//! - the listing being written (the head) fetches freely (at most `--concurrency` pages queued);
//! - listings ahead of it take room for each page they fetch from a shared budget of
//!   [`ahead_items`] items, and give it back only once they become the head, so everything held
//!   ahead of the output is within the budget (the head never waits for it: no deadlock);
//!   (a first page takes room for the page size it will be asked at: 10 once Development Mode's
//!   size is learned, not the 50 its URL was made with);
//! - their requests also hold one of the passes, as many as the client's concurrency now (a 429
//!   halves both), until the page is in, so they never queue more requests than there are
//!   slots: the head's next page, asked for late, waits behind at most one round of them
//!   instead of the whole budget;
//! - at most [`ahead_listings`] listings run ahead of the head; each parks its pages (counted by
//!   its permits) until its turn, so it fans out while it waits. The moment it becomes the head,
//!   this loop sends what it parked on (whatever its task is waiting for then), and the rest
//!   comes through a channel of one event.
//!
//! A listing that fails (or an input line that was not an artist) is one [`Event::Failed`] in
//! its place in the order; the caller decides whether the batch goes on, and says so up front
//! ([`StopRule`]): a failure that stops the batch stops it the moment it arrives, not when the
//! output reaches it. No request for a later listing starts after it, and the later listings'
//! requests in flight are aborted (the listings before it are completed and written). Until the
//! first listing's first page is in, no other listing starts; a first page that failed leaves
//! the page size unsettled, so the next listing's first page is fetched alone again.

use super::budget::{
    AheadBytes, Budget, Ledger, Parked, Passes, RUNNING, Stop, ahead_items, ahead_listings, lock,
};
use super::first::get_first;
use super::listing::{Event, Listing, PageStream, Source, Task};
use crate::api::client::Api;
use crate::api::page::{LARGE_PAGE, Page, query_u64};
use crate::error::Result;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

/// An input line that is not a listing: its label ("stdin line 3") and why.
pub type BadInput = (String, crate::error::Error);

pub use super::budget::StopRule;

/// Fetches the listings arriving on `input` with one concurrency budget, and returns their
/// pages in input order. `single`: the input is one listing, whose stop says how to resume it
/// with `--offset` (in a batch, the batch's stop line says where it stopped).
pub fn stream_batch(
    api: Arc<Api>,
    input: mpsc::Receiver<Result<Listing, BadInput>>,
    single: bool,
    stops: StopRule,
) -> PageStream {
    let (tx, rx) = mpsc::channel(4);
    let task = tokio::spawn(async move {
        if let Err(e) = run(api, input, &tx, usize::from(single), stops).await {
            let _ = tx.send(Err(e)).await;
        }
    });
    PageStream::new(rx, task)
}

struct Running {
    idx: usize,
    rx: mpsc::Receiver<Result<Event>>,
    task: Task<()>,
    parked: Parked,
}

async fn run(
    api: Arc<Api>,
    mut input: mpsc::Receiver<Result<Listing, BadInput>>,
    tx: &mpsc::Sender<Result<Event>>,
    n: usize,
    rule: StopRule,
) -> Result<()> {
    let stop = Stop {
        at: Arc::new(watch::channel(RUNNING).0),
        rule,
    };
    let mut stop_rx = stop.at.subscribe();
    let ahead = ahead_listings(api.http.concurrency_for(api.base()));
    let room = ahead_items(api.http.concurrency_for(api.base()));
    let sem = Arc::new(Semaphore::new(room));
    let bytes = Arc::new(AheadBytes::default());
    let passes = {
        let api = api.clone();
        Arc::new(Passes::new(Box::new(move || {
            api.http.concurrency_for(api.base())
        })))
    };
    let (head_tx, head_rx) = watch::channel(0usize);
    let mut head: Option<Running> = None;
    let mut pending: VecDeque<Running> = VecDeque::new();
    let mut next_idx = 0usize;
    let mut input_open = true;
    // Until the first listing's first page is in, the page size is not settled: start no other.
    let mut gate: Option<oneshot::Receiver<bool>> = None;
    let mut settled = false;
    loop {
        if head.is_none() {
            head = pending.pop_front();
            if let Some(h) = &head {
                // What it parked goes out now, not when its task next sends.
                let parked = {
                    let mut q = lock(&h.parked);
                    let _ = head_tx.send(h.idx);
                    std::mem::take(&mut *q)
                };
                for ev in parked {
                    if tx.send(Ok(ev)).await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
        if head.is_none() && !input_open {
            return Ok(());
        }
        if stop.stopped() {
            // Nothing after the failure starts; what is running after it ends by itself.
            input_open = false;
        }
        let can_start = input_open && gate.is_none() && pending.len() < ahead;
        tokio::select! {
            biased;
            ev = async { head.as_mut()?.rx.recv().await }, if head.is_some() => {
                let closed = ev.is_none();
                let finished = match &ev {
                    None => true,
                    Some(Ok(Event::End { .. } | Event::Failed { .. })) => true,
                    Some(_) => false,
                };
                if let Some(ev) = ev
                    && tx.send(ev).await.is_err()
                {
                    return Ok(());
                }
                if closed && let Some(h) = head.take() {
                    // Its channel closed without an end: the listing's task died (a panic).
                    // Exit 1, never a run that looks complete.
                    if let Err(e) = h.task.join().await
                        && !stop.stopped()
                    {
                        return Err(e);
                    }
                } else if finished {
                    head = None;
                }
            }
            _ = stop_rx.changed() => {}
            first = async { gate.as_mut()?.await.ok() }, if gate.is_some() => {
                gate = None;
                // A first page that failed settled nothing: the next listing goes alone.
                if first != Some(true) {
                    settled = false;
                }
            }
            item = input.recv(), if can_start => match item {
                None => input_open = false,
                Some(_) if stop.stopped() => input_open = false,
                Some(listing) => {
                    let idx = next_idx;
                    next_idx += 1;
                    let (ltx, lrx) = mpsc::channel(1);
                    let first_in = if !settled && listing.is_ok() {
                        settled = true;
                        let (s, r) = oneshot::channel();
                        gate = Some(r);
                        Some(s)
                    } else {
                        None
                    };
                    let parked = Parked::default();
                    let budget = Budget {
                        sem: sem.clone(),
                        passes: passes.clone(),
                        room: u32::try_from(room).unwrap_or(u32::MAX),
                        head: head_rx.clone(),
                        idx,
                        held: Vec::new(),
                        parked: parked.clone(),
                        stop: stop.clone(),
                        ledger: Ledger::new(bytes.clone()),
                    };
                    let stop = stop.clone();
                    let work = one(api.clone(), (idx, n), listing, budget, ltx, first_in, stop.clone());
                    let task = tokio::spawn(async move {
                        // A listing after one that stopped the batch ends at once: its
                        // requests in flight are aborted, none starts.
                        tokio::select! {
                            biased;
                            () = stop.before(idx) => {}
                            () = work => {}
                        }
                    });
                    pending.push_back(Running {
                        idx,
                        rx: lrx,
                        task: Task(task),
                        parked,
                    });
                }
            },
        }
    }
}

/// One listing of the batch, from its first page to its end (or failure), into its own channel.
async fn one(
    api: Arc<Api>,
    (idx, n): (usize, usize),
    listing: Result<Listing, BadInput>,
    mut budget: Budget,
    tx: mpsc::Sender<Result<Event>>,
    first_in: Option<oneshot::Sender<bool>>,
    stop: Stop,
) {
    let mut listing = match listing {
        Ok(l) => l,
        Err((label, error)) => {
            stop.failed(idx, &error);
            let _ = tx.send(Ok(Event::Failed { label, error })).await;
            return;
        }
    };
    let first = std::mem::replace(&mut listing.first, Source::Page(Page::empty()));
    let page0 = match first {
        Source::Page(p) => Ok(p),
        Source::Url(u) => {
            // The page size the first page will be asked at: the URL's, or what the account
            // learned since the URL was made (Development Mode's 10, not 50).
            let limit =
                query_u64(&super::first::at_run_size(&api, &u), "limit").unwrap_or(LARGE_PAGE);
            let pass = budget.slot(limit).await;
            let ledger = pass.ledger();
            let v = get_first(&api, &u).await;
            drop(pass);
            let offset = query_u64(&u, "offset").unwrap_or(0);
            let page0 = v
                .and_then(|b| b.page(listing.key.as_deref()))
                .map_err(|e| super::resume::resume_hint(e, offset, &listing.label, (idx, n), None));
            if let (Ok(p), Some(l)) = (&page0, ledger) {
                l.hold(p.bytes());
            }
            // The stop is recorded before the next listings may start.
            if let Err(e) = &page0 {
                stop.failed(idx, e);
            }
            if let Some(s) = first_in {
                let _ = s.send(page0.is_ok());
            }
            page0
        }
    };
    let r = match page0 {
        Ok(page0) => {
            super::run_listing(
                &api,
                (idx, n),
                &listing,
                page0,
                &tx,
                &super::Share::none(),
                Some(budget),
            )
            .await
        }
        Err(e) => {
            // No page is held: the first page's permit goes back now.
            drop(budget);
            Err(e)
        }
    };
    if let Err(error) = r {
        stop.failed(idx, &error);
        let _ = tx
            .send(Ok(Event::Failed {
                label: listing.label.clone(),
                error,
            }))
            .await;
    }
}
