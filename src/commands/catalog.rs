//! What `search`, `albums` and `api --paginate` share: validating catalog options, and writing
//! a page stream to stdout with progress, de-duplication and the completeness check.

use crate::api::client::Api;
use crate::api::page::Item;
use crate::api::paginate::{Event, PageStream};
use crate::commands::batch::Batch;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::{Out, Progress, Shape};
use std::collections::HashSet;
use std::sync::Arc;

/// `--market`: an ISO 3166-1 alpha-2 code (`kr` is accepted as `KR`) or `from_token`.
pub fn market(m: Option<&str>) -> Result<Option<String>> {
    let Some(m) = m else { return Ok(None) };
    let m = m.trim();
    if m == "from_token" {
        return Ok(Some(m.to_string()));
    }
    if m.len() == 2 && m.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Ok(Some(m.to_ascii_uppercase()));
    }
    Err(Error::usage(format!(
        "--market \"{}\" is not a country code; use two letters like KR or US",
        crate::api::ids::shown(m)
    )))
}

/// A comma-separated list checked against `allowed`, in the user's order, without repeats.
pub fn list(raw: &str, allowed: &[&str], flag: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split(',').map(str::trim) {
        if part.is_empty() {
            continue;
        }
        if !allowed.contains(&part) {
            return Err(Error::usage(format!(
                "{flag}: unknown value \"{}\"; choose from {}",
                crate::api::ids::shown(part),
                allowed.join(", ")
            )));
        }
        if !out.iter().any(|p| p == part) {
            out.push(part.to_string());
        }
    }
    if out.is_empty() {
        return Err(Error::usage(format!(
            "{flag} is empty; choose from {}",
            allowed.join(", ")
        )));
    }
    Ok(out)
}

pub struct Labels {
    /// What a listing is called in warnings ("artist 3qNV…"), by listing index.
    pub names: Vec<String>,
    /// Drop items whose `id` was already written in the same listing (pages can shift while
    /// they are read).
    pub dedupe: bool,
    /// Warn when the count written differs from the `total` the service announced.
    pub check_complete: bool,
    /// `--with-parent`: each row says which input (listing) it came from.
    pub with_parent: bool,
}

/// The item an entry holds: itself, or (a playlist entry) the object under the first of
/// `keys` it has, as sent; `None` when that is `null` (an entry no longer available).
fn unwrapped(entry: &Item, keys: &[&str]) -> Option<Item> {
    if keys.is_empty() {
        return Some(entry.clone());
    }
    keys.iter()
        .find_map(|k| entry.member(k))
        .filter(|v| !v.is_null())
}

/// A wait for a 429 is said on stderr when stderr is a terminal: in the progress bar while one
/// shows, else as one line per pause (not one per response of a burst). A run that goes quiet
/// for 16 s otherwise looks hung.
pub fn notice_waits(ctx: &Ctx, api: &Api, bar: Option<indicatif::ProgressBar>) {
    if ctx.quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return;
    }
    let until = std::sync::Mutex::new(None::<std::time::Instant>);
    api.http.set_wait_hook(Box::new(move |d| {
        if let Some(bar) = bar.as_ref().filter(|b| !b.is_hidden()) {
            bar.set_message(format!(
                "rate limited: waiting {}",
                crate::api::http::human_wait(d)
            ));
            return;
        }
        let end = std::time::Instant::now() + d;
        let mut until = until.lock().unwrap_or_else(|e| e.into_inner());
        if until.is_some_and(|u| end <= u + std::time::Duration::from_secs(1)) {
            return;
        }
        *until = Some(end);
        eprintln!(
            "spotctl: rate limited by the service; waiting {} before going on",
            crate::api::http::human_wait(d)
        );
    }));
}

/// Writes every page of `stream` to stdout in order, as it arrives.
pub async fn write(
    ctx: &Ctx,
    api: &Arc<Api>,
    stream: PageStream,
    shape: Shape,
    labels: Labels,
) -> Result<()> {
    write_batch(ctx, api, stream, shape, labels, None).await
}

/// [`write`] for a batch (`paginate::batch::stream_batch`): a failed listing is reported and
/// counted by `batch`, which says whether the run goes on; the summary comes after the last item.
pub async fn write_batch(
    ctx: &Ctx,
    api: &Arc<Api>,
    mut stream: PageStream,
    shape: Shape,
    labels: Labels,
    mut batch: Option<&mut Batch>,
) -> Result<()> {
    let mut out = Out::new(ctx.output, shape).with_parent(labels.with_parent);
    let mut unwrap: &[&str] = &[];
    let progress = Progress::new(ctx.show_progress());
    notice_waits(ctx, api, progress.handle());
    let mut seen: HashSet<u64> = HashSet::new();
    let (mut total, mut written, mut dups) = (None, 0u64, 0u64);
    let mut begun = 0usize;
    // Entries of this listing whose item is `null` (a playlist track no longer available).
    let mut gone = 0u64;
    let result = async {
        while let Some(ev) = stream.next().await {
            match ev? {
                Event::Begin {
                    total: t,
                    expected,
                    parent,
                    unwrap: keys,
                } => {
                    out.set_parent(parent);
                    unwrap = keys;
                    gone = 0;
                    // Search's listings are its types, in order: the TYPE column of an item
                    // that does not say is the type asked for.
                    if shape == Shape::Search {
                        let kind = labels.names.get(begun).map(|n| n.trim_end_matches('s'));
                        out.set_kind(kind.map(str::to_string));
                    }
                    begun += 1;
                    seen.clear();
                    (total, written, dups) = (t, 0, 0);
                    progress.begin(expected, api.session.page_limit());
                }
                Event::Items { items, .. } => {
                    let n = items.len() as u64;
                    for entry in &items {
                        let Some(item) = unwrapped(entry, unwrap) else {
                            gone += 1;
                            continue;
                        };
                        let item = &item;
                        // A hash per id, not the id: a listing of 100,000 items keeps 1 MB.
                        if labels.dedupe
                            && let Some(id) = item.id()
                            && !seen.insert(crate::api::page::text_hash(&id))
                        {
                            dups += 1;
                            continue;
                        }
                        out.item(item)?;
                        written += 1;
                    }
                    // The bar shares a terminal with a table on stdout: `Out` clears it while
                    // the page is written, so no bar line is left between rows.
                    out.flush().await?;
                    progress.inc(n);
                }
                Event::Failed { label, error, .. } => {
                    progress.finish();
                    match batch.as_deref_mut() {
                        Some(b) => b.fail(&label, error)?,
                        None => return Err(error),
                    }
                }
                Event::End { listing, label } => {
                    if let Some(b) = batch.as_deref_mut() {
                        b.ok();
                    }
                    progress.finish();
                    if gone > 0 && !ctx.quiet {
                        // Fewer items than entries: say why, never drop them silently.
                        eprintln!(
                            "spotctl: warning: {}: {gone} {} no longer available (null) skipped",
                            crate::sanitize::line(&label),
                            if gone == 1 { "entry" } else { "entries" }
                        );
                    }
                    let short = total.filter(|t| *t != written);
                    if let (true, false, Some(t)) = (labels.check_complete, ctx.quiet, short) {
                        let name = labels
                            .names
                            .get(listing)
                            .map(String::as_str)
                            .unwrap_or(&label);
                        let why = if dups > 0 {
                            format!(" ({dups} duplicates dropped)")
                        } else {
                            String::new()
                        };
                        let name = crate::sanitize::line(name);
                        eprintln!(
                            "spotctl: warning: {name}: wrote {written} items but the service said \
                             {t}{why}; the catalog may have changed while it was read"
                        );
                    }
                }
            }
        }
        Ok::<(), Error>(())
    }
    .await;
    progress.finish();
    match result {
        // Every listing of a batch failed: an error, not an empty result (no `[]`, no
        // "nothing found"); the batch's summary line follows.
        Ok(()) if out.count() == 0 && batch.as_deref().is_some_and(|b| b.failed() > 0) => {
            out.finish_after_error().await
        }
        Ok(()) => {
            if ctx.output == crate::output::OutputFormat::Table && out.count() == 0 && !ctx.quiet {
                eprintln!("spotctl: nothing found");
            }
            out.finish().await
        }
        // The reader is gone: nothing more to write.
        Err(Error::BrokenPipe) => Err(Error::BrokenPipe),
        Err(e) => {
            // Items already written stay valid (a `json` array is closed), then the error.
            out.finish_after_error().await?;
            Err(e)
        }
    }
}
