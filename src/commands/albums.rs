//! `spotctl albums A B C` / `--artist A,B` / `--artist -`: every album of each artist, all pages,
//! as one batch (`batch.rs`) over one concurrency budget (`paginate::batch::stream_batch`). Artists
//! named on the command line are validated before any request; stdin is read as it arrives
//! (a line is validated and its artist started as soon as the line is complete), and an artist
//! given twice is fetched once.

use crate::api::client::Api;
use crate::api::ids::{self, Kind};
use crate::api::paginate::batch::{BadInput, stream_batch};
use crate::api::paginate::{Listing, Resume, Source};
use crate::cli::AlbumsArgs;
use crate::commands::batch::Batch;
use crate::commands::catalog;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::Shape;
use std::collections::{HashSet, VecDeque};
use std::io::BufRead;
use std::sync::Arc;
use tokio::sync::mpsc;

const GROUPS: &[&str] = &["album", "single", "appears_on", "compilation"];
/// An artist ID, URI or link is well under this; a longer line is hostile or a mistake.
const MAX_LINE: usize = 4096;

/// One artist of the batch: its ID, or why its stdin line is not one.
enum Input {
    Artist { id: String, line: Option<usize> },
    Bad { line: usize, error: Error },
}

/// Reads stdin on its own thread, one line at a time, and hands each artist on as soon as its
/// line is complete (a producer that writes slowly gets its first artists fetched at once).
/// Blank lines and `#` comments are skipped; a bad line is reported with its line number.
fn read_stdin(tx: mpsc::Sender<Input>) {
    let spawned = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            for (i, line) in split_lines(std::io::stdin().lock()).enumerate() {
                let Some(input) = stdin_line(i + 1, line) else {
                    continue;
                };
                if tx.blocking_send(input).is_err() {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("could not start the stdin reader: {e}");
    }
}

/// One stdin line as an artist, a bad line, or nothing (blank, comment).
fn stdin_line(n: usize, line: Result<Vec<u8>>) -> Option<Input> {
    let bad = |error| Some(Input::Bad { line: n, error });
    let line = match line {
        Ok(l) => l,
        Err(e) => return bad(e),
    };
    if line.len() > MAX_LINE {
        return bad(Error::usage(format!(
            "too long ({} bytes) to be an artist ID",
            line.len()
        )));
    }
    let Ok(text) = std::str::from_utf8(&line) else {
        return bad(Error::usage("not valid UTF-8"));
    };
    let t = text.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    match ids::parse(t, Kind::Artist) {
        Ok(id) => Some(Input::Artist { id, line: Some(n) }),
        Err(e) => bad(Error::usage(e)),
    }
}

/// The artists named on the command line, validated before anything is sent, and whether `-`
/// (stdin) was among them. Positional ones come first, then `--artist`s.
fn from_args(args: &AlbumsArgs) -> Result<(Vec<String>, bool)> {
    let mut ids = Vec::new();
    let mut stdin = false;
    let named = args
        .artists
        .iter()
        .map(|a| (a, ""))
        .chain(args.artist.iter().map(|a| (a, "--artist: ")));
    for (raw, flag) in named {
        if raw.trim() == "-" {
            if stdin {
                return Err(Error::usage("`-` (stdin) given twice; give it once"));
            }
            stdin = true;
            continue;
        }
        ids.push(ids::parse(raw, Kind::Artist).map_err(|e| Error::usage(format!("{flag}{e}")))?);
    }
    Ok((ids, stdin))
}

/// Lines of at most MAX_LINE+1 bytes each (a 1 MB line is cut off, not buffered whole).
fn split_lines(mut input: impl BufRead) -> impl Iterator<Item = Result<Vec<u8>>> {
    std::iter::from_fn(move || {
        let mut line = Vec::new();
        loop {
            let buf = match input.fill_buf() {
                Ok(b) => b,
                Err(e) => return Some(Err(Error::usage(format!("reading stdin: {e}")))),
            };
            if buf.is_empty() {
                return if line.is_empty() {
                    None
                } else {
                    Some(Ok(line))
                };
            }
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(p) => (p + 1, true),
                None => (buf.len(), false),
            };
            let room = (MAX_LINE + 1).saturating_sub(line.len());
            line.extend_from_slice(&buf[..take.min(room)]);
            input.consume(take);
            if done {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                return Some(Ok(line));
            }
        }
    })
}

pub async fn run(ctx: Arc<Ctx>, args: AlbumsArgs) -> Result<()> {
    let (named, stdin) = from_args(&args)?;
    // One artist named on the command line is not a batch: its error is the run's, as is.
    let single = named.len() == 1 && !stdin;
    let groups = args
        .include_groups
        .as_deref()
        .map(|g| catalog::list(g, GROUPS, "--include-groups"))
        .transpose()?;
    let market = catalog::market(args.market.as_deref())?;

    let (in_tx, mut in_rx) = mpsc::channel::<Input>(64);
    let feeder = tokio::spawn(async move {
        for id in named {
            if in_tx.send(Input::Artist { id, line: None }).await.is_err() {
                return;
            }
        }
        if stdin {
            read_stdin(in_tx);
        }
    });
    // Nothing is sent (not even a token request) before there is a first valid artist: bad lines
    // before it wait for their turn, and a stdin of bad lines only never opens a session.
    let mut ahead: VecDeque<Input> = VecDeque::new();
    let first = loop {
        match in_rx.recv().await {
            None => break None,
            Some(bad @ Input::Bad { .. }) => ahead.push_back(bad),
            Some(artist) => break Some(artist),
        }
    };
    let Some(first) = first else {
        let _ = feeder.await;
        if ahead.is_empty() {
            return Err(Error::usage("--artist -: no artist IDs on stdin"));
        }
        let mut batch = Batch::new(("artist", "artists"), args.fail_fast);
        for input in ahead {
            if let Input::Bad { line, error } = input {
                batch.fail(&format!("stdin line {line}"), error)?;
            }
        }
        return batch.finish();
    };
    ahead.push_back(first);

    let session = crate::auth::catalog_session(ctx.clone()).await?;
    let api = Arc::new(Api {
        http: ctx.http()?,
        session,
    });
    let page = api.session.page_limit().min(args.limit.unwrap_or(u64::MAX));
    let listing = {
        let api = api.clone();
        let (limit, offset) = (args.limit, args.offset);
        move |id: &str, line: Option<usize>| -> Result<Listing> {
            let mut url = api.url(&format!("/artists/{id}/albums"))?;
            {
                let mut q = url.query_pairs_mut();
                if let Some(g) = &groups {
                    q.append_pair("include_groups", &g.join(","));
                }
                if let Some(m) = &market {
                    q.append_pair("market", m);
                }
                q.append_pair("limit", &page.to_string());
                q.append_pair("offset", &offset.to_string());
            }
            Ok(Listing {
                first: Source::Url(url),
                max_items: limit,
                offset_cap: None,
                key: None,
                label: match line {
                    Some(n) => format!("artist {id} (stdin line {n})"),
                    None => format!("artist {id}"),
                },
                resume: Resume::Offset,
            })
        }
    };
    // Artists in input order, each once, as listings for the paginator.
    let (l_tx, l_rx) = mpsc::channel::<Result<Listing, BadInput>>(1);
    let verbose = ctx.verbose > 0;
    tokio::spawn(async move {
        let mut seen: HashSet<String> = HashSet::new();
        loop {
            let input = match ahead.pop_front() {
                Some(i) => i,
                None => match in_rx.recv().await {
                    Some(i) => i,
                    None => break,
                },
            };
            let item = match input {
                Input::Artist { id, line } => {
                    if !seen.insert(id.clone()) {
                        if verbose {
                            let at = line
                                .map(|n| format!(" (stdin line {n})"))
                                .unwrap_or_default();
                            tracing::info!("artist {id}{at} was already fetched; skipped");
                        }
                        continue;
                    }
                    listing(&id, line).map_err(|e| (format!("artist {id}"), e))
                }
                Input::Bad { line, error } => Err((format!("stdin line {line}"), error)),
            };
            if l_tx.send(item).await.is_err() {
                return;
            }
        }
    });
    let mut batch = Batch::new(("artist", "artists"), args.fail_fast).sharing_one_account();
    let stream = stream_batch(api.clone(), l_rx, single, batch.stop_rule());
    let labels = catalog::Labels {
        names: Vec::new(),
        dedupe: true,
        check_complete: args.limit.is_none() && args.offset == 0,
    };
    let counted = (!single).then_some(&mut batch);
    catalog::write_batch(&ctx, &api, stream, Shape::Albums, labels, counted).await?;
    batch.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_lines() {
        let input = "3qNVuliS40BLgXGxhdBdqu\n\n  spotify:artist:5BigCatalogArtistAAAAA  \n# comment\nbogus\n";
        let got: Vec<String> = split_lines(input.as_bytes())
            .enumerate()
            .filter_map(|(i, l)| stdin_line(i + 1, l))
            .map(|x| match x {
                Input::Artist { id, line } => format!("{}:{id}", line.unwrap()),
                Input::Bad { line, error } => format!("{line}!{error}"),
            })
            .collect();
        assert_eq!(
            got,
            vec![
                "1:3qNVuliS40BLgXGxhdBdqu",
                "3:5BigCatalogArtistAAAAA",
                "5!\"bogus\" is not a Spotify ID: expected 22 letters and digits, got 5 characters"
            ]
        );
        let long = format!("{}\n", "a".repeat(1 << 20));
        let mut lines = split_lines(long.as_bytes());
        let Some(Input::Bad { error, .. }) = stdin_line(1, lines.next().unwrap()) else {
            panic!("a long line is bad")
        };
        assert!(error.to_string().contains("too long"), "{error}");
        assert!(matches!(
            stdin_line(1, Ok(b"\xff\xfe".to_vec())),
            Some(Input::Bad { .. })
        ));
    }
}
