//! `spotctl search QUERY`: every requested type, `--limit` items each, pages followed as needed.

use crate::api::client::Api;
use crate::api::paginate::{self, Listing, Resume, Source};
use crate::cli::SearchArgs;
use crate::commands::catalog;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::output::Shape;
use std::sync::Arc;

const TYPES: &[&str] = &[
    "artist",
    "album",
    "track",
    "playlist",
    "show",
    "episode",
    "audiobook",
];
/// Spotify refuses search offsets (including the limit) beyond this.
pub const OFFSET_CAP: u64 = 1000;

pub async fn run(ctx: Arc<Ctx>, args: SearchArgs) -> Result<()> {
    let query = args.query.trim();
    if query.is_empty() {
        return Err(Error::usage("the search query is empty"));
    }
    // Checked before any request (even the token's): a query no server accepts is a usage error.
    let encoded = url::form_urlencoded::byte_serialize(query.as_bytes())
        .map(str::len)
        .sum::<usize>();
    if encoded > crate::api::http::MAX_URL - 512 {
        return Err(Error::usage(format!(
            "the search query is {} bytes ({encoded} encoded), more than a request can carry; shorten it",
            query.len()
        )));
    }
    let types = catalog::list(&args.types, TYPES, "--type")?;
    let market = catalog::market(args.market.as_deref())?;
    if args.offset >= OFFSET_CAP {
        return Err(Error::usage(format!(
            "--offset {}: Spotify's search stops at offset {OFFSET_CAP}; refine the query instead",
            args.offset
        )));
    }

    let session = crate::auth::catalog_session(ctx.clone()).await?;
    let api = Arc::new(Api {
        http: ctx.http()?,
        session,
    });
    let page = api
        .session
        .page_limit()
        .min(args.limit)
        .min(OFFSET_CAP - args.offset);
    let mut url = api.url("/search")?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("q", query);
        q.append_pair("type", &types.join(","));
        if let Some(m) = &market {
            q.append_pair("market", m);
        }
        q.append_pair("limit", &page.to_string());
        q.append_pair("offset", &args.offset.to_string());
    }
    let first = paginate::get_first(&api, &url).await?;
    // One type left out is an empty result for it; all of them, an answer that is no search
    // result at all.
    if !types.iter().any(|t| first.has(&format!("{t}s"))) {
        return Err(Error::malformed(format!(
            "GET {}: the answer holds none of the types asked for ({})",
            url.path(),
            types.join(", ")
        )));
    }
    let mut listings = Vec::with_capacity(types.len());
    for t in &types {
        let key = format!("{t}s");
        // Every property of a search result is optional in the published schema: a type the
        // answer leaves out is an empty result for it (like `"items": null`), said once.
        let page = if first.has(&key) {
            first.page(Some(&key))?
        } else {
            tracing::warn!(
                "{key}: the service's answer has none (no \"{key}\" in it); printed none"
            );
            crate::api::page::Page::empty()
        };
        listings.push(Listing {
            first: Source::Page(page),
            max_items: Some(args.limit),
            offset_cap: Some(OFFSET_CAP),
            label: key.clone(),
            resume: Resume::Offset,
            parent: None,
            unwrap: &[],
            key: Some(key),
        });
    }
    let stream = paginate::stream(api.clone(), listings);
    let labels = catalog::Labels {
        names: types.iter().map(|t| format!("{t}s")).collect(),
        dedupe: false,
        check_complete: false,
        with_parent: false,
    };
    catalog::write(&ctx, &api, stream, Shape::Search, labels).await
}
