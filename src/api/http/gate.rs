//! One origin's pacing: the "not before" instant any 429 from it sets for every request, its
//! concurrency limit (halved once per burst of 429s, for the rest of the run), and the permit a
//! request holds while it is in flight.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

/// One origin's pacing: its pause, its concurrency limit, its bursts.
pub(super) struct Gate {
    /// Shared "not before" instant set by any 429 from this origin.
    pause: Mutex<Option<Instant>>,
    permits: Semaphore,
    /// Permits to drop instead of returning, after the concurrency was halved.
    debt: AtomicUsize,
    pub(super) concurrency: AtomicUsize,
    /// When the concurrency was last halved: a 429 to a request sent before then belongs to
    /// the burst that already halved it.
    halved_at: Mutex<Option<Instant>>,
}

pub(super) struct Permit<'a> {
    permit: Option<SemaphorePermit<'a>>,
    gate: &'a Gate,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(p) = self.permit.take() {
            let mut debt = self.gate.debt.load(Ordering::Acquire);
            while debt > 0 {
                match self.gate.debt.compare_exchange(
                    debt,
                    debt - 1,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        p.forget();
                        return;
                    }
                    Err(d) => debt = d,
                }
            }
        }
    }
}

impl Gate {
    pub(super) fn new(concurrency: usize) -> Gate {
        Gate {
            pause: Mutex::new(None),
            permits: Semaphore::new(concurrency),
            debt: AtomicUsize::new(0),
            concurrency: AtomicUsize::new(concurrency),
            halved_at: Mutex::new(None),
        }
    }

    /// A 429 answered a request sent at `sent`: halves the concurrency unless that request was
    /// already in flight when an earlier 429 halved it (one burst, one halving, even when the
    /// pause it asked for is already over, as with `Retry-After: 0`).
    pub(super) fn rate_limited(&self, sent: Instant) {
        let mut halved_at = self.halved_at.lock().unwrap_or_else(|e| e.into_inner());
        if halved_at.is_some_and(|h| sent <= h) {
            return;
        }
        *halved_at = Some(Instant::now());
        self.halve_concurrency();
    }

    /// Halves the allowed concurrency (at least 1) for the rest of the run.
    fn halve_concurrency(&self) {
        let cur = self.concurrency.load(Ordering::Acquire);
        let target = (cur / 2).max(1);
        if target < cur
            && self
                .concurrency
                .compare_exchange(cur, target, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            let drop_n = cur - target;
            let forgotten = self.permits.forget_permits(drop_n);
            self.debt.fetch_add(drop_n - forgotten, Ordering::AcqRel);
            tracing::info!("rate limited: concurrency lowered to {target}");
        }
    }

    pub(super) fn pause_until(&self, until: Instant) {
        if let Ok(mut p) = self.pause.lock()
            && p.is_none_or(|cur| cur < until)
        {
            *p = Some(until);
        }
    }

    /// The shared pause, while it lasts.
    pub(super) fn paused_until(&self) -> Option<Instant> {
        self.pause
            .lock()
            .ok()
            .and_then(|p| *p)
            .filter(|t| *t > Instant::now())
    }

    /// Waits out any shared pause, then takes a concurrency permit; re-checks the pause after
    /// the permit, because a 429 may have arrived while this request queued. A pause longer
    /// than `max_wait` is not waited for: `Err(until)`, and the request is never sent.
    pub(super) async fn ready(&self, max_wait: Duration) -> Result<Permit<'_>, Instant> {
        loop {
            if let Some(t) = self.paused_until() {
                if t.saturating_duration_since(Instant::now()) > max_wait {
                    return Err(t);
                }
                tokio::time::sleep_until(t.into()).await;
                continue;
            }
            let permit = self.permits.acquire().await.ok();
            if self.paused_until().is_some() {
                drop(Permit { permit, gate: self });
                continue;
            }
            return Ok(Permit { permit, gate: self });
        }
    }
}
