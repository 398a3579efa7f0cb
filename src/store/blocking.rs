//! File work with fsyncs off the runtime thread (SPEC §3 "file work with fsyncs runs off the
//! runtime"): an account save in the middle of a crawl (a token renewal, the learned page size)
//! must not stall the requests in flight on the one runtime thread, or their answers turn into
//! timeouts. [`run`] waits for the work on the blocking pool; [`spawn`] does not wait at all
//! (what only the next run needs), and `main` waits for those with [`settle`] before exiting.

use crate::error::{Error, Result};
use std::sync::Mutex;
use tokio::task::JoinHandle;

/// Work started by [`spawn`] and not yet waited for.
static PENDING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// Runs `f` on the blocking pool and waits for it (asynchronously: the runtime goes on).
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("file work on the blocking pool: {e}")))?
}

/// Starts `work` without waiting for it; [`settle`] waits for it before the run ends.
pub fn spawn(work: impl std::future::Future<Output = ()> + Send + 'static) {
    let handle = tokio::spawn(work);
    PENDING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(handle);
}

/// Waits for everything [`spawn`] started.
pub async fn settle() {
    loop {
        let pending = std::mem::take(&mut *PENDING.lock().unwrap_or_else(|e| e.into_inner()));
        if pending.is_empty() {
            return;
        }
        for h in pending {
            let _ = h.await;
        }
    }
}
