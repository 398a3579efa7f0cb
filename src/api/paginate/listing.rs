//! What the paginator is asked for ([`Listing`]: where it starts, where it stops, how a user
//! resumes it) and what it hands back ([`PageStream`] of [`Event`]s, in order), shared by the
//! single-run paginator and the batch.

use crate::api::page::{Item, Page};
use crate::error::{Error, Result};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

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
    /// How a user resumes a listing that stopped part-way.
    pub resume: Resume,
    /// The ID of what the listing belongs to (the artist of albums, the album of tracks), for
    /// `--with-parent`; handed on in [`Event::Begin`].
    pub parent: Option<String>,
    /// Where each entry keeps the item to print (a playlist entry: `item`, or `track` in
    /// older answers); empty: the entry is the item.
    pub unwrap: &'static [&'static str],
}

/// What the resume hint of a listing that stopped part-way tells the user to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// The command's `--offset N` (`albums`, `search`).
    Offset,
    /// `spotctl api --paginate 'NEXT'`: the `next` link of the last page written (`api` has no
    /// `--offset`, and a cursor-paged listing has no offset at all).
    NextUrl,
}

#[derive(Debug)]
pub enum Event {
    /// `total`: what the service announced; `expected`: what this run will print of it
    /// (after `--offset`/`--limit`), for the progress bar.
    Begin {
        total: Option<u64>,
        expected: Option<u64>,
        /// The listing's [`Listing::parent`] and [`Listing::unwrap`].
        parent: Option<String>,
        unwrap: &'static [&'static str],
    },
    Items {
        items: Vec<Item>,
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

/// The ordered stream of pages; dropping it stops the fetching. A fetching task that died (a
/// panic) ends the stream with an internal error (exit 1), never as a complete listing.
pub struct PageStream {
    rx: mpsc::Receiver<Result<Event>>,
    task: JoinHandle<()>,
    ended: bool,
}

impl PageStream {
    pub(super) fn new(rx: mpsc::Receiver<Result<Event>>, task: JoinHandle<()>) -> PageStream {
        PageStream {
            rx,
            task,
            ended: false,
        }
    }

    pub async fn next(&mut self) -> Option<Result<Event>> {
        use futures::Stream;
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut *self).poll_next(cx)).await
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
        use std::future::Future;
        use std::task::Poll;
        match self.rx.poll_recv(cx) {
            Poll::Ready(None) if !self.ended => {
                // Every sender is gone: the task is ending; how it ended says whether the
                // stream is complete.
                let done = std::pin::Pin::new(&mut self.task).poll(cx);
                match done {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(r) => {
                        self.ended = true;
                        match r {
                            Err(e) if e.is_panic() => Poll::Ready(Some(Err(died(e)))),
                            _ => Poll::Ready(None),
                        }
                    }
                }
            }
            other => other,
        }
    }
}

/// A fetching task that did not finish: a bug, exit 1.
pub(super) fn died(e: tokio::task::JoinError) -> Error {
    Error::Internal(format!("a page task failed: {e}"))
}

/// Aborts spawned page fetches nobody will read (after an error or a closed pipe).
pub(super) struct Task<T>(pub(super) JoinHandle<T>);

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Task<T> {
    pub(super) async fn join(mut self) -> Result<T> {
        (&mut self.0).await.map_err(died)
    }
}
