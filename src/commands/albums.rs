//! `spotctl albums --artist A`: every album of one artist (or of many, from stdin), all pages.

use crate::api::client::Api;
use crate::api::ids::{self, Kind};
use crate::api::paginate::{self, Listing, Resume, Source};
use crate::cli::AlbumsArgs;
use crate::commands::catalog;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::Shape;
use std::io::BufRead;
use std::sync::Arc;

const GROUPS: &[&str] = &["album", "single", "appears_on", "compilation"];
/// An artist ID, URI or link is well under this; a longer line is hostile or a mistake.
const MAX_LINE: usize = 4096;

/// Reads artist IDs from stdin: one per line, blank lines and `#` comments skipped, every line
/// validated before anything is sent, a bad one reported with its line number.
fn read_ids(input: impl BufRead) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for (i, line) in split_lines(input).enumerate() {
        let n = i + 1;
        let line = line?;
        if line.len() > MAX_LINE {
            return Err(Error::usage(format!(
                "stdin line {n}: too long ({} bytes) to be an artist ID",
                line.len()
            )));
        }
        let text = std::str::from_utf8(&line)
            .map_err(|_| Error::usage(format!("stdin line {n}: not valid UTF-8")))?;
        let t = text.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        ids.push(
            ids::parse(t, Kind::Artist)
                .map_err(|e| Error::usage(format!("stdin line {n}: {e}")))?,
        );
    }
    if ids.is_empty() {
        return Err(Error::usage("--artist -: no artist IDs on stdin"));
    }
    Ok(ids)
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
    let artists = if args.artist == "-" {
        read_ids(std::io::stdin().lock())?
    } else {
        vec![
            ids::parse(&args.artist, Kind::Artist)
                .map_err(|e| Error::usage(format!("--artist: {e}")))?,
        ]
    };
    let groups = args
        .include_groups
        .as_deref()
        .map(|g| catalog::list(g, GROUPS, "--include-groups"))
        .transpose()?;
    let market = catalog::market(args.market.as_deref())?;

    let session = crate::auth::catalog_session(ctx.clone()).await?;
    let api = Arc::new(Api {
        http: ctx.http()?,
        session,
    });
    let page = api.session.page_limit().min(args.limit.unwrap_or(u64::MAX));
    let mut listings = Vec::with_capacity(artists.len());
    for id in &artists {
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
            q.append_pair("offset", &args.offset.to_string());
        }
        listings.push(Listing {
            first: Source::Url(url),
            max_items: args.limit,
            offset_cap: None,
            key: None,
            label: format!("artist {id}"),
            resume: Resume::Offset,
        });
    }
    let stream = paginate::stream(api.clone(), listings);
    let labels = catalog::Labels {
        names: artists.iter().map(|a| format!("artist {a}")).collect(),
        dedupe: true,
        check_complete: args.limit.is_none() && args.offset == 0,
    };
    catalog::write(&ctx, &api, stream, Shape::Albums, labels).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_ids() {
        let input =
            "3qNVuliS40BLgXGxhdBdqu\n\n  spotify:artist:5BigCatalogArtistAAAAA  \n# comment\n";
        let ids = read_ids(input.as_bytes()).unwrap();
        assert_eq!(
            ids,
            vec!["3qNVuliS40BLgXGxhdBdqu", "5BigCatalogArtistAAAAA"]
        );
        let e = read_ids("3qNVuliS40BLgXGxhdBdqu\nbogus\n".as_bytes()).unwrap_err();
        assert!(e.to_string().starts_with("stdin line 2:"), "{e}");
        let long = format!("{}\n", "a".repeat(1 << 20));
        let e = read_ids(long.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("line 1: too long"), "{e}");
        assert!(read_ids("\n\n".as_bytes()).is_err());
        assert!(
            read_ids(&b"\xff\xfe\n"[..])
                .unwrap_err()
                .to_string()
                .contains("UTF-8")
        );
    }
}
