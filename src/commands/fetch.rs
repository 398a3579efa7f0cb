//! One batch of listings (`albums`, `tracks`): the inputs named on the command line and read
//! from stdin (`inputs`), each turned into a listing by its [`Row`], fetched with one
//! concurrency budget (`paginate::batch::stream_batch`) and written in input order by the one
//! writer (`catalog::write_batch`), going on past a failing input (`batch`).
//!
//! Nothing is sent (not even a token request) before there is a first valid input: bad lines
//! before it wait for their turn, and a stdin of bad lines only never opens a session. An
//! input given twice is fetched once.

use crate::api::client::Api;
use crate::api::listings::{Ask, Row};
use crate::api::paginate::Listing;
use crate::api::paginate::batch::{BadInput, stream_batch};
use crate::commands::batch::Batch;
use crate::commands::catalog;
use crate::commands::inputs::{Accept, Feed, Input, Target};
use crate::context::Ctx;
use crate::error::{Error, Result};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::mpsc;

/// A batch command's description.
pub struct Plan {
    /// What inputs are called in the summary ("artist", "artists").
    pub noun: (&'static str, &'static str),
    pub accept: Accept,
    /// The row for each kind of input.
    pub rows: &'static [&'static Row],
    pub ask: Ask,
    pub fail_fast: bool,
    /// Drop items whose `id` was already written in the same listing.
    pub dedupe: bool,
    /// Warn when a listing's count differs from its `total`.
    pub check_complete: bool,
    /// `tsv`/`csv`/`table` rows start with the parent's ID; JSON objects carry it.
    pub with_parent: bool,
    /// The usage error for a stdin with no input at all.
    pub empty_stdin: &'static str,
}

/// Fetches every listing of `named` (then stdin's, when `stdin`) and writes them in order.
pub async fn run(ctx: Arc<Ctx>, named: Vec<Target>, stdin: bool, plan: Plan) -> Result<()> {
    // One input named on the command line is not a batch: its error is the run's, as is.
    let single = named.len() == 1 && !stdin;
    let mut feed = Feed::start(named, stdin, plan.accept);
    if !feed.wait_first().await {
        return feed.only_bad(plan.noun, plan.fail_fast, plan.empty_stdin);
    }

    let session = crate::auth::catalog_session(ctx.clone()).await?;
    let api = Arc::new(Api {
        http: ctx.http()?,
        session,
    });
    let ask = plan.ask.clone();
    let rows = plan.rows;
    let listing = {
        let api = api.clone();
        move |t: &Target, line: Option<usize>| -> Result<Listing> {
            let row = crate::api::listings::row_for(rows, t.kind)
                .ok_or_else(|| Error::Internal(format!("no listing for {} inputs", t.kind)))?;
            row.listing(&api, &t.id, t.label(line), &ask)
        }
    };
    let (l_tx, l_rx) = mpsc::channel::<Result<Listing, BadInput>>(1);
    let verbose = ctx.verbose > 0;
    tokio::spawn(async move {
        let mut seen: HashSet<Target> = HashSet::new();
        loop {
            let Some(input) = feed.next().await else {
                break;
            };
            let item = match input {
                Input::Item { target, line } => {
                    if !seen.insert(target.clone()) {
                        if verbose {
                            tracing::info!("{} was already fetched; skipped", target.label(line));
                        }
                        continue;
                    }
                    listing(&target, line).map_err(|e| (target.label(None), e))
                }
                Input::Bad { line, error } => Err((format!("stdin line {line}"), error)),
            };
            if l_tx.send(item).await.is_err() {
                return;
            }
        }
    });
    let mut batch = Batch::new(plan.noun, plan.fail_fast).sharing_one_account();
    let stream = stream_batch(api.clone(), l_rx, single, batch.stop_rule());
    let labels = catalog::Labels {
        names: Vec::new(),
        dedupe: plan.dedupe,
        check_complete: plan.check_complete,
        with_parent: plan.with_parent,
    };
    let shape = rows.first().map_or(crate::output::Shape::Raw, |r| r.shape);
    let counted = (!single).then_some(&mut batch);
    catalog::write_batch(&ctx, &api, stream, shape, labels, counted).await?;
    batch.finish()
}
