//! `spotctl get URI…` / `get --type T ID…`: the full object for each input, one output object
//! per input, in input order.
//!
//! Albums, tracks and artists go through the batch endpoints (`/albums?ids=` 20 at a time,
//! `/tracks?ids=` and `/artists?ids=` 50) where the app may use them. Development Mode apps get
//! 403 there: the first batch request is sent alone, and on its 403 every object is asked for
//! one at a time (`/albums/{id}`), which is remembered in the account so the next run asks
//! one at a time from the start. A missing object (404, or `null` in a batch answer) is that
//! input's failure; the others are printed. Requests are run `--concurrency` at a time, in
//! input order, and a failure that stops a batch (a rate limit beyond the cap, the network
//! gone) stops it before anything later is sent.

use crate::api::client::Api;
use crate::api::ids::Kind;
use crate::api::page::Item;
use crate::cli::GetArgs;
use crate::commands::batch::Batch;
use crate::commands::inputs::{self, Accept, Feed, Input, Target};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::{Out, Shape};
use futures::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

const ALL: &[Kind] = &[
    Kind::Artist,
    Kind::Album,
    Kind::Track,
    Kind::Show,
    Kind::Episode,
    Kind::Audiobook,
    Kind::Playlist,
];

/// The batch endpoint of a kind and how many IDs one request may carry.
fn batch_size(kind: Kind) -> Option<usize> {
    match kind {
        Kind::Album => Some(20),
        Kind::Track | Kind::Artist => Some(50),
        _ => None,
    }
}

/// `/albums`, `/tracks`, …: where objects of `kind` live.
fn collection(kind: Kind) -> String {
    format!("/{kind}s")
}

/// One unit of work, in input order: a bad line, one object, or a run of objects of one kind
/// for a batch request.
enum Job {
    Bad(String, Error),
    One(Target, String),
    Many(Kind, Vec<(Target, String)>),
}

/// What is known about the batch endpoints this run.
const UNKNOWN: u8 = 0;
const ALLOWED: u8 = 1;
const FORBIDDEN: u8 = 2;

struct Fetcher {
    api: Arc<Api>,
    market: Option<String>,
    mode: AtomicU8,
    /// Held by the first batch request while the mode is unknown: the others wait for its
    /// answer instead of each meeting the same 403.
    probe: tokio::sync::Mutex<()>,
}

type Outcome = Vec<(String, Result<Item>)>;

impl Fetcher {
    fn url(&self, path: &str, ids: Option<&str>) -> Result<url::Url> {
        let mut url = self.api.url(path)?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(ids) = ids {
                q.append_pair("ids", ids);
            }
            if let Some(m) = &self.market {
                q.append_pair("market", m);
            }
        }
        // `query_pairs_mut` leaves a bare `?` when nothing was added.
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(url)
    }

    async fn one(&self, t: &Target) -> Result<Item> {
        let url = self.url(&format!("{}/{}", collection(t.kind), t.id), None)?;
        Ok(self.api.get_body(url).await?.whole())
    }

    async fn singles(&self, run: Vec<(Target, String)>) -> Outcome {
        let got = futures::future::join_all(run.iter().map(|(t, _)| self.one(t))).await;
        run.into_iter().map(|(_, l)| l).zip(got).collect()
    }

    async fn run(&self, job: Job) -> Outcome {
        match job {
            Job::Bad(label, e) => vec![(label, Err(e))],
            Job::One(t, label) => vec![(label, self.one(&t).await)],
            Job::Many(kind, run) => self.many(kind, run).await,
        }
    }

    /// A run of objects of one kind: one batch request, unless the batch endpoints are
    /// refused (then one request each).
    async fn many(&self, kind: Kind, run: Vec<(Target, String)>) -> Outcome {
        let _probe = match self.mode.load(Ordering::Acquire) {
            FORBIDDEN => return self.singles(run).await,
            ALLOWED => None,
            _ => Some(self.probe.lock().await),
        };
        if self.mode.load(Ordering::Acquire) == FORBIDDEN {
            return self.singles(run).await;
        }
        let ids: Vec<&str> = run.iter().map(|(t, _)| t.id.as_str()).collect();
        let url = match self.url(&collection(kind), Some(&ids.join(","))) {
            Ok(u) => u,
            Err(e) => return run.into_iter().map(|(_, l)| (l, Err(e.clone()))).collect(),
        };
        match self.api.get_body(url).await {
            Err(Error::Api { status: 403, .. }) => {
                tracing::info!(
                    "the batch endpoint {} answered 403 (Development Mode): asking one at a time, and remembering it",
                    collection(kind)
                );
                self.mode.store(FORBIDDEN, Ordering::Release);
                self.api.session.remember_batch_forbidden().await;
                self.singles(run).await
            }
            Err(e) => run.into_iter().map(|(_, l)| (l, Err(e.clone()))).collect(),
            Ok(body) => {
                self.mode.store(ALLOWED, Ordering::Release);
                let key = format!("{kind}s");
                let entries = body.array(&key).unwrap_or_default();
                if entries.len() != run.len() {
                    let e = Error::malformed(format!(
                        "GET /v1{}: {} entries for {} IDs",
                        collection(kind),
                        entries.len(),
                        run.len()
                    ));
                    return run.into_iter().map(|(_, l)| (l, Err(e.clone()))).collect();
                }
                run.into_iter()
                    .zip(entries)
                    .map(|((t, l), item)| {
                        if item.is_null() {
                            (l, Err(missing(&t)))
                        } else {
                            (l, Ok(item))
                        }
                    })
                    .collect()
            }
        }
    }
}

/// A `null` in a batch answer: the object does not exist (as a 404 says for one request).
fn missing(t: &Target) -> Error {
    Error::Api {
        method: "GET".into(),
        path: format!("/v1{}", collection(t.kind)),
        status: 404,
        message: format!("no {} with this ID (null in the batch answer)", t.kind),
    }
}

/// How long a batch request waits for the next stdin line to join it: long enough for a file
/// or a fast producer (their lines follow each other within microseconds), short enough that a
/// slow producer's objects are asked for as they come.
const GATHER: std::time::Duration = std::time::Duration::from_millis(20);

/// The jobs for the inputs in order: a run of batchable objects of one kind grows while more of
/// the same kind come (within [`GATHER`] of each other), up to the endpoint's size.
async fn next_job(feed: &mut Feed, pending: &mut Option<Input>, batching: bool) -> Option<Job> {
    let input = match pending.take() {
        Some(i) => i,
        None => feed.next().await?,
    };
    let (target, line) = match input {
        Input::Bad { line, error } => return Some(Job::Bad(format!("stdin line {line}"), error)),
        Input::Item { target, line } => (target, line),
    };
    let label = target.label(line);
    let Some(max) = batch_size(target.kind).filter(|_| batching) else {
        return Some(Job::One(target, label));
    };
    let kind = target.kind;
    let mut run = vec![(target, label)];
    while run.len() < max {
        match feed.next_within(GATHER).await {
            Some(Input::Item { target, line }) if target.kind == kind => {
                let label = target.label(line);
                run.push((target, label));
            }
            Some(other) => {
                *pending = Some(other);
                break;
            }
            None => break,
        }
    }
    Some(Job::Many(kind, run))
}

pub async fn run(ctx: Arc<Ctx>, args: GetArgs) -> Result<()> {
    let accept = Accept {
        kinds: ALL,
        bare: args.kind,
    };
    let (named, stdin) = inputs::from_args(&args.inputs, &[], "", accept)?;
    let market = crate::commands::catalog::market(args.market.as_deref())?;
    let single = named.len() == 1 && !stdin;
    let noun = ("input", "inputs");
    let mut feed = Feed::start(named, stdin, accept);
    if !feed.wait_first().await {
        return feed.only_bad(noun, args.fail_fast, "-: no URIs, links or IDs on stdin");
    }
    let session = crate::auth::catalog_session(ctx.clone()).await?;
    let api = Arc::new(Api {
        http: ctx.http()?,
        session,
    });
    crate::commands::catalog::notice_waits(&ctx, &api, None);
    let batching = !api.session.batch_forbidden().await;
    let fetcher = Arc::new(Fetcher {
        api: api.clone(),
        market,
        mode: AtomicU8::new(if batching { UNKNOWN } else { FORBIDDEN }),
        probe: tokio::sync::Mutex::new(()),
    });
    let concurrency = api.http.concurrency_for(api.base());
    let jobs = futures::stream::unfold((feed, None), move |(mut feed, mut pending)| async move {
        let job = next_job(&mut feed, &mut pending, batching).await?;
        Some((job, (feed, pending)))
    });
    let mut results = Box::pin(
        jobs.map(|job| {
            let f = fetcher.clone();
            async move { f.run(job).await }
        })
        .buffered(concurrency),
    );
    let mut out = Out::new(ctx.output, Shape::Search);
    let mut batch = Batch::new(noun, args.fail_fast).sharing_one_account();
    let result = async {
        while let Some(outcome) = results.next().await {
            for (label, r) in outcome {
                match r {
                    Ok(item) => {
                        out.item(&item)?;
                        batch.ok();
                    }
                    Err(e) if single => return Err(e),
                    Err(e) => {
                        // Rows before it first, then its line.
                        out.flush().await?;
                        batch.fail(&label, e)?;
                    }
                }
            }
            out.flush().await?;
        }
        Ok::<(), Error>(())
    }
    .await;
    // Nothing more is asked for once the run stops.
    drop(results);
    match result {
        Ok(()) if out.count() == 0 && batch.failed() > 0 => out.finish_after_error().await?,
        Ok(()) => out.finish().await?,
        Err(Error::BrokenPipe) => return Err(Error::BrokenPipe),
        Err(e) => {
            out.finish_after_error().await?;
            return Err(e);
        }
    }
    batch.finish()
}
