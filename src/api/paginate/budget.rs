//! The room that batch listings ahead of the output share: how many may run ahead, how many
//! items they may hold between them, and the passes their requests hold (see `batch` for why).

use super::listing::Event;
use crate::api::page::LARGE_PAGE;
use crate::error::{Error, Result};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

/// How many listings may run ahead of the output: four times the concurrency.
pub fn ahead_listings(concurrency: usize) -> usize {
    4 * concurrency.max(1)
}

/// Items that listings ahead of the output may hold between them: as many as
/// [`ahead_listings`] full pages of 50. Counted in items, not pages, so Development Mode's
/// pages of 10 get five times the room: a head whose later pages are still on their way then
/// holds up the output, not the requests behind it (counted in pages, the 500-artist bench in
/// Development Mode stalled at 1.4× its floor).
pub fn ahead_items(concurrency: usize) -> usize {
    ahead_listings(concurrency) * LARGE_PAGE as usize
}

/// Bytes of pages that listings ahead of the output may hold between them. Items alone do not
/// bound memory: a server can send pages of legitimate shape whose few items are huge (10 of
/// 760 KB each is a 7.6 MB page, under the body cap), and 1600 such items are 1.2 GB. Real
/// pages are a few KB an item, so the item budget is what limits them.
pub const AHEAD_BYTES: usize = 32 << 20;

/// The bytes of the pages held ahead of the output, across the batch.
#[derive(Default)]
pub(super) struct AheadBytes {
    held: AtomicUsize,
    freed: tokio::sync::Notify,
}

impl AheadBytes {
    fn over(&self) -> bool {
        self.held.load(Ordering::Acquire) >= AHEAD_BYTES
    }
}

/// What one listing holds of [`AheadBytes`]: the pages it fetched while ahead of the output,
/// given back when it becomes the head (its pages then leave as fast as they are written) or
/// ends.
#[derive(Clone)]
pub(super) struct Ledger {
    mine: Arc<AtomicUsize>,
    all: Arc<AheadBytes>,
}

impl Ledger {
    pub(super) fn new(all: Arc<AheadBytes>) -> Ledger {
        Ledger {
            mine: Arc::default(),
            all,
        }
    }

    /// A page of `bytes` is in, held ahead of the output.
    pub(super) fn hold(&self, bytes: usize) {
        self.mine.fetch_add(bytes, Ordering::AcqRel);
        self.all.held.fetch_add(bytes, Ordering::AcqRel);
    }

    fn release(&self) {
        let n = self.mine.swap(0, Ordering::AcqRel);
        if n > 0 {
            self.all.held.fetch_sub(n, Ordering::AcqRel);
            self.all.freed.notify_waiters();
        }
    }
}

/// Whether a listing's failure stops the whole batch (`--fail-fast`, a rate limit beyond the
/// cap, the network gone): the caller's rule, applied by the engine as the failure arrives.
pub type StopRule = Arc<dyn Fn(&Error) -> bool + Send + Sync>;

/// No listing stopped the batch yet.
pub(super) const RUNNING: usize = usize::MAX;

/// Where the batch stopped: the index of the first listing whose failure stops it, shared by
/// every listing (the ones after it end at once, whatever they were waiting for).
#[derive(Clone)]
pub(super) struct Stop {
    pub(super) at: Arc<watch::Sender<usize>>,
    pub(super) rule: StopRule,
}

impl Stop {
    /// Records `idx`'s failure when it stops the batch.
    pub(super) fn failed(&self, idx: usize, e: &Error) {
        if (self.rule)(e) {
            self.at.send_modify(|at| *at = (*at).min(idx));
        }
    }

    pub(super) fn stopped(&self) -> bool {
        *self.at.borrow() != RUNNING
    }

    /// Resolves once a listing before `idx` has stopped the batch.
    pub(super) async fn before(&self, idx: usize) {
        let mut rx = self.at.subscribe();
        let _ = rx.wait_for(|&at| at < idx).await;
    }
}

/// What a page request of a batch listing holds until its page is in. Ahead of the output: one
/// of `--concurrency` passes, so ahead listings never queue more requests than there are slots
/// and the head's next page waits behind at most one round of them (the client's semaphore is
/// first come, first served). Always: the batch's stop, which it records on failure and obeys
/// (a request of a listing after the one that stopped the batch never starts).
#[derive(Default)]
pub(super) struct Pass {
    _permit: Option<OwnedSemaphorePermit>,
    stop: Option<(Stop, usize)>,
    /// Where the page's bytes are counted, when it is fetched ahead of the output.
    ledger: Option<Ledger>,
}

impl Pass {
    /// Where the page this pass fetches is to be counted (`Ledger::hold`), if it is fetched
    /// ahead of the output.
    pub(super) fn ledger(&self) -> Option<Ledger> {
        self.ledger.clone()
    }

    /// Runs a page request under the batch's stop.
    pub(super) async fn guard<T>(self, f: impl Future<Output = Result<T>>) -> Result<T> {
        let Some((stop, idx)) = &self.stop else {
            return f.await;
        };
        tokio::select! {
            biased;
            () = stop.before(*idx) => Err(Error::Internal("the batch stopped before this page".into())),
            r = f => {
                if let Err(e) = &r {
                    stop.failed(*idx, e);
                }
                r
            }
        }
    }
}

/// The passes of the requests ahead of the output: as many as the client's concurrency now,
/// so after a 429 halves it, listings ahead queue at most the halved number in front of the
/// head's next page.
pub(super) struct Passes {
    sem: Arc<Semaphore>,
    /// How many passes exist (held ones included).
    size: std::sync::atomic::AtomicUsize,
    /// The client's concurrency towards the API now.
    concurrency: Box<dyn Fn() -> usize + Send + Sync>,
}

impl Passes {
    pub(super) fn new(concurrency: Box<dyn Fn() -> usize + Send + Sync>) -> Passes {
        let n = concurrency().max(1);
        Passes {
            sem: Arc::new(Semaphore::new(n)),
            size: n.into(),
            concurrency,
        }
    }

    async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        // The concurrency only goes down (halved on a 429): passes not held are retired now,
        // held ones as they come back.
        let now = (self.concurrency)().max(1);
        let size = self.size.load(Ordering::Acquire);
        if now < size {
            let gone = self.sem.forget_permits(size - now);
            self.size.fetch_sub(gone, Ordering::AcqRel);
        }
        self.sem.clone().acquire_owned().await.ok()
    }
}

/// A batch listing's claim on the pages held ahead of the output.
pub(super) struct Budget {
    pub(super) sem: Arc<Semaphore>,
    /// Requests of listings ahead of the output, in flight or queued.
    pub(super) passes: Arc<Passes>,
    /// The budget's size (a page never asks for more).
    pub(super) room: u32,
    /// The index of the listing being written.
    pub(super) head: watch::Receiver<usize>,
    pub(super) idx: usize,
    pub(super) held: Vec<OwnedSemaphorePermit>,
    /// Events of a listing ahead of the output, waiting for its turn (counted by `held`).
    pub(super) parked: Parked,
    pub(super) stop: Stop,
    /// The bytes of the pages it fetched ahead of the output.
    pub(super) ledger: Ledger,
}

impl Drop for Budget {
    fn drop(&mut self) {
        self.ledger.release();
    }
}

/// The events a listing ahead of the output parks until its turn. Shared with the batch's
/// loop, which sends them on the moment the listing reaches the front, whatever the listing's
/// task is waiting for then (a slow page of its own). The head moves under this lock, so a
/// listing either parks (and the loop sends it on) or sees it is the head and sends itself.
pub(super) type Parked = Arc<std::sync::Mutex<VecDeque<Event>>>;

pub(super) fn lock(p: &Parked) -> std::sync::MutexGuard<'_, VecDeque<Event>> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

impl Budget {
    /// Its pages now leave as fast as the writer takes them: the items and bytes they held
    /// ahead of the output go back.
    fn give_back(&mut self) {
        self.held.clear();
        self.ledger.release();
    }

    fn is_head(&self) -> bool {
        *self.head.borrow() >= self.idx
    }

    /// Sends `ev` on when this listing is being written (after what it parked), parks it
    /// otherwise, so a listing ahead keeps fetching while it waits its turn.
    pub(super) async fn send(
        &mut self,
        tx: &mpsc::Sender<Result<Event>>,
        ev: Event,
    ) -> std::result::Result<(), ()> {
        {
            let mut parked = lock(&self.parked);
            if !self.is_head() {
                parked.push_back(ev);
                return Ok(());
            }
        }
        self.flush(tx).await?;
        tx.send(Ok(ev)).await.map_err(|_| ())
    }

    async fn flush(&mut self, tx: &mpsc::Sender<Result<Event>>) -> std::result::Result<(), ()> {
        loop {
            let Some(p) = lock(&self.parked).pop_front() else {
                break;
            };
            tx.send(Ok(p)).await.map_err(|_| ())?;
        }
        self.give_back();
        Ok(())
    }

    /// Waits for this listing's turn and sends what it parked.
    pub(super) async fn finish(&mut self, tx: &mpsc::Sender<Result<Event>>) {
        self.until_head().await;
        let _ = self.flush(tx).await;
    }

    /// Waits for room for a page of `items` and a pass, unless this listing is the head (which
    /// never waits). The pass is held by the request until its page is in.
    pub(super) async fn slot(&mut self, items: u64) -> Pass {
        let permit = self.permit(items).await;
        Pass {
            ledger: permit.as_ref().map(|_| self.ledger.clone()),
            _permit: permit,
            stop: Some((self.stop.clone(), self.idx)),
        }
    }

    async fn permit(&mut self, items: u64) -> Option<OwnedSemaphorePermit> {
        let n = u32::try_from(items.max(1))
            .unwrap_or(u32::MAX)
            .min(self.room);
        let mut page_held = false;
        loop {
            if self.is_head() {
                // Parked pages stay counted until they are sent on.
                if lock(&self.parked).is_empty() {
                    self.give_back();
                }
                return None;
            }
            if !page_held {
                tokio::select! {
                    p = self.sem.clone().acquire_many_owned(n) => {
                        if let Ok(p) = p {
                            self.held.push(p);
                        }
                        page_held = true;
                    }
                    r = self.head.changed() => if r.is_err() { return None },
                }
                continue;
            }
            if self.ledger.all.over() {
                // The pages held ahead are over their bytes: wait until some are written (or
                // this listing's turn comes), as for the item room.
                let freed = self.ledger.all.freed.notified();
                tokio::pin!(freed);
                freed.as_mut().enable();
                if self.ledger.all.over() {
                    tokio::select! {
                        () = freed => {}
                        r = self.head.changed() => if r.is_err() { return None },
                    }
                }
                continue;
            }
            tokio::select! {
                p = self.passes.acquire() => {
                    // The bytes may have grown while it waited for the pass.
                    if self.ledger.all.over() {
                        continue;
                    }
                    return p;
                }
                r = self.head.changed() => if r.is_err() { return None },
            }
        }
    }

    /// Keeps the permits until the output reaches this listing (its pages sit in its channel
    /// until then).
    async fn until_head(&mut self) {
        while !self.is_head() {
            if self.head.changed().await.is_err() {
                break;
            }
        }
        self.give_back();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn passes_follow_the_halved_concurrency() {
        let now = Arc::new(AtomicUsize::new(8));
        let n = now.clone();
        let passes = Passes::new(Box::new(move || n.load(Ordering::Acquire)));
        let held: Vec<_> = futures::future::join_all((0..3).map(|_| passes.acquire())).await;
        // A 429 halves the client's concurrency: 4 passes in all from now on.
        now.store(4, Ordering::Release);
        let mut more = Vec::new();
        while let Ok(Some(p)) =
            tokio::time::timeout(std::time::Duration::from_millis(20), passes.acquire()).await
        {
            more.push(p);
        }
        assert_eq!(held.len() + more.len(), 4, "3 held, 1 more");
        drop(held);
        drop(more);
        let mut all = Vec::new();
        while let Ok(Some(p)) =
            tokio::time::timeout(std::time::Duration::from_millis(20), passes.acquire()).await
        {
            all.push(p);
        }
        assert_eq!(all.len(), 4, "the returned passes beyond 4 are retired");
    }
}
