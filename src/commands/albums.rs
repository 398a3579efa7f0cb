//! `spotctl albums A B C` / `--artist A,B` / `--artist -`: every album of each artist, all pages,
//! as one batch in input order. An artist's albums are a row of `api::listings`; the inputs
//! (validated before any request, stdin read as it arrives, spotctl's JSON objects included),
//! the batch and the writer are `fetch`'s. An artist given twice is fetched once.

use crate::api::ids::Kind;
use crate::api::listings::{self, Ask};
use crate::cli::AlbumsArgs;
use crate::commands::catalog;
use crate::commands::fetch::{self, Plan};
use crate::commands::inputs::{self, Accept};
use crate::context::Ctx;
use crate::error::Result;
use std::sync::Arc;

const GROUPS: &[&str] = &["album", "single", "appears_on", "compilation"];

/// Artists only.
pub const ACCEPT: Accept = Accept {
    kinds: &[Kind::Artist],
    bare: Some(Kind::Artist),
};

pub async fn run(ctx: Arc<Ctx>, args: AlbumsArgs) -> Result<()> {
    let (named, stdin) = inputs::from_args(&args.artists, &args.artist, "--artist", ACCEPT)?;
    let groups = args
        .include_groups
        .as_deref()
        .map(|g| catalog::list(g, GROUPS, "--include-groups"))
        .transpose()?;
    let market = catalog::market(args.batch.market.as_deref())?;
    let mut params = Vec::new();
    if let Some(g) = groups {
        params.push(("include_groups".to_string(), g.join(",")));
    }
    if let Some(m) = market {
        params.push(("market".to_string(), m));
    }
    let plan = Plan {
        noun: ("artist", "artists"),
        accept: ACCEPT,
        rows: &[&listings::ARTIST_ALBUMS],
        ask: Ask {
            params,
            offset: args.batch.offset,
            max_items: args.batch.limit,
        },
        fail_fast: args.batch.fail_fast,
        // Pages can shift while they are read: an album is written once per artist.
        dedupe: true,
        check_complete: args.batch.limit.is_none() && args.batch.offset == 0,
        with_parent: args.batch.with_parent,
        empty_stdin: "--artist -: no artist IDs on stdin",
    };
    fetch::run(ctx, named, stdin, plan).await
}
