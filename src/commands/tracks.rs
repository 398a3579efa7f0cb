//! `spotctl tracks X…`: every track of each album, every item of each playlist, every episode
//! of each show, every chapter of each audiobook, as one batch in input order. Each kind of input is a row of
//! `api::listings`; the batch, the inputs and the writer are `fetch`'s.

use crate::api::ids::Kind;
use crate::api::listings::{self, Ask};
use crate::cli::TracksArgs;
use crate::commands::catalog;
use crate::commands::fetch::{self, Plan};
use crate::commands::inputs::{self, Accept};
use crate::context::Ctx;
use crate::error::Result;
use std::sync::Arc;

/// Albums, playlists, shows, audiobooks; a bare ID is an album.
pub const ACCEPT: Accept = Accept {
    kinds: &[Kind::Album, Kind::Playlist, Kind::Show, Kind::Audiobook],
    bare: Some(Kind::Album),
};

pub async fn run(ctx: Arc<Ctx>, args: TracksArgs) -> Result<()> {
    let (named, stdin) = inputs::from_args(&args.inputs, &args.album, "--album", ACCEPT)?;
    let market = catalog::market(args.batch.market.as_deref())?;
    let plan = Plan {
        noun: ("input", "inputs"),
        accept: ACCEPT,
        rows: listings::TRACKS,
        ask: Ask {
            params: market
                .map(|m| ("market".to_string(), m))
                .into_iter()
                .collect(),
            offset: args.batch.offset,
            max_items: args.batch.limit,
        },
        fail_fast: args.batch.fail_fast,
        dedupe: false,
        check_complete: false,
        with_parent: args.batch.with_parent,
        empty_stdin: "-: no albums, playlists, shows or audiobooks on stdin",
    };
    fetch::run(ctx, named, stdin, plan).await
}
