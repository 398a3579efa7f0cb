//! The first page of a catalog listing at the run's page size: 50, or what the account learned;
//! on a 400 above Development Mode's 10, that page again at 10, remembered once the retry
//! works. Other listings (and `api --paginate`, whose `limit=` is the user's) are asked as they
//! are: their 400 is the answer.

use crate::api::client::Api;
use crate::api::page::Body;
use crate::api::page::{SMALL_PAGE, query_u64, with_param};
use crate::error::{Error, Result};

/// Spotify's answer to a page size above what the app may use (facts §3.3, §9): a 400, with
/// "Invalid limit" or an empty body. Any 400 qualifies (never match on message text); whether
/// it was the page size is settled by the retry at 10.
fn is_invalid_limit(e: &Error) -> bool {
    matches!(e, Error::Api { status: 400, .. })
}

/// The catalog listings, whose page-size cap is worth learning (each by its `page_key`).
fn learnable(url: &url::Url) -> bool {
    crate::api::page::page_key(url).is_some()
}

/// `url` at the run's page size: the learned size applies to the listings it was learned on;
/// an explicit `limit=` in an `api --paginate` URL for anything else is the user's.
pub(super) fn at_run_size(api: &Api, url: &url::Url) -> url::Url {
    if learnable(url)
        && let Some(l) = query_u64(url, "limit")
    {
        let allowed = api.session.page_limit_for(url);
        if l > allowed {
            return with_param(url, "limit", allowed);
        }
    }
    url.clone()
}

/// GETs a first page, applying the run's page size; on a 400 above the small page size retries
/// once with it and, when that works, for the catalog listings, remembers it (for this run and,
/// best effort, in the account).
pub async fn get_first(api: &Api, url: &url::Url) -> Result<Body> {
    let url = at_run_size(api, url);
    match api.get_body(url.clone()).await {
        // Only for the catalog listings (SPEC §3): elsewhere a 400 is the service's answer.
        Err(e)
            if is_invalid_limit(&e)
                && learnable(&url)
                && query_u64(&url, "limit").unwrap_or(0) > SMALL_PAGE =>
        {
            tracing::info!(
                "the service refused page size {}; trying {SMALL_PAGE} (Development Mode)",
                query_u64(&url, "limit").unwrap_or(0)
            );
            let v = api.get_body(with_param(&url, "limit", SMALL_PAGE)).await?;
            api.session.remember_page_limit_for(&url, SMALL_PAGE);
            Ok(v)
        }
        r => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_400_is_a_page_size_candidate() {
        let api_err = |status, m: &str| Error::Api {
            method: "GET".into(),
            path: "/v1/search".into(),
            status,
            message: m.into(),
        };
        assert!(is_invalid_limit(&api_err(400, "Invalid limit")));
        assert!(is_invalid_limit(&api_err(400, "")));
        assert!(is_invalid_limit(&api_err(
            400,
            "limit must be below 20 for this endpoint"
        )));
        assert!(!is_invalid_limit(&api_err(404, "Invalid limit")));
        let u = |p: &str| url::Url::parse(&format!("https://api.spotify.com/v1{p}")).unwrap();
        assert!(learnable(&u("/search?q=a")));
        assert!(learnable(&u("/artists/3qNVuliS40BLgXGxhdBdqu/albums")));
        assert!(!learnable(&u("/me/tracks")));
        assert!(learnable(&u("/albums/3qNVuliS40BLgXGxhdBdqu/tracks")));
        assert!(!learnable(&u("/albums/3qNVuliS40BLgXGxhdBdqu")));
    }
}
