//! The catalog's listings as data: each is a [`Row`] (what it lists, from which kind of input,
//! at which path, where each entry keeps its item, and which columns `tsv`/`csv`/`table` show),
//! turned into a [`Listing`] for the one batch engine and written by the one writer. Adding the
//! next listing (`/me/tracks`, a user's top items) is a row and a test, not a new command:
//! show episodes and audiobook chapters were added that way.

use crate::api::client::Api;
use crate::api::ids::Kind;
use crate::api::paginate::{Listing, Resume, Source};
use crate::error::Result;
use crate::output::Shape;

/// One kind of listing.
#[derive(Debug)]
pub struct Row {
    /// What an input must be.
    pub input: Kind,
    /// The path under the API base; `{id}` is the input's ID.
    pub path: &'static str,
    /// Where each entry keeps the item to print ([`Listing::unwrap`]).
    pub unwrap: &'static [&'static str],
    /// Query parameters every request of this listing carries.
    pub fixed: &'static [(&'static str, &'static str)],
    /// The columns of `tsv`, `csv` and `table`.
    pub shape: Shape,
}

/// Every album of an artist (`albums`).
pub const ARTIST_ALBUMS: Row = Row {
    input: Kind::Artist,
    path: "/artists/{id}/albums",
    unwrap: &[],
    fixed: &[],
    shape: Shape::Albums,
};

/// Every track of an album (`tracks ALBUM`).
pub const ALBUM_TRACKS: Row = Row {
    input: Kind::Album,
    path: "/albums/{id}/tracks",
    unwrap: &[],
    fixed: &[],
    shape: Shape::Tracks,
};

/// Every item of a playlist (`tracks spotify:playlist:ID`): the 2026 `/items` path, whose
/// entries carry `item` (older answers: `track`); episodes are asked for too.
pub const PLAYLIST_ITEMS: Row = Row {
    input: Kind::Playlist,
    path: "/playlists/{id}/items",
    unwrap: &["item", "track"],
    fixed: &[("additional_types", "track,episode")],
    shape: Shape::Tracks,
};

/// Every episode of a show (`tracks spotify:show:ID`).
pub const SHOW_EPISODES: Row = Row {
    input: Kind::Show,
    path: "/shows/{id}/episodes",
    unwrap: &[],
    fixed: &[],
    shape: Shape::Tracks,
};

/// Every chapter of an audiobook (`tracks spotify:audiobook:ID`).
pub const AUDIOBOOK_CHAPTERS: Row = Row {
    input: Kind::Audiobook,
    path: "/audiobooks/{id}/chapters",
    unwrap: &[],
    fixed: &[],
    shape: Shape::Tracks,
};

/// What `tracks` lists for each kind of input.
pub const TRACKS: &[&Row] = &[
    &ALBUM_TRACKS,
    &PLAYLIST_ITEMS,
    &SHOW_EPISODES,
    &AUDIOBOOK_CHAPTERS,
];

/// The row among `rows` for an input of `kind`.
pub fn row_for(rows: &[&'static Row], kind: Kind) -> Option<&'static Row> {
    rows.iter().copied().find(|r| r.input == kind)
}

/// What the user asked of every listing of a run.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    /// Extra query parameters (`include_groups`, `market`), in order.
    pub params: Vec<(String, String)>,
    /// `--offset`, per listing.
    pub offset: u64,
    /// `--limit`, per listing.
    pub max_items: Option<u64>,
}

impl Row {
    /// The listing of input `id` (`label` names it in messages).
    pub fn listing(&self, api: &Api, id: &str, label: String, ask: &Ask) -> Result<Listing> {
        let mut url = api.url(&self.path.replace("{id}", id))?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in self.fixed {
                q.append_pair(k, v);
            }
            for (k, v) in &ask.params {
                q.append_pair(k, v);
            }
        }
        // The largest page size this kind of listing accepts (learned, else 50).
        let page = api
            .session
            .page_limit_for(&url)
            .min(ask.max_items.unwrap_or(u64::MAX));
        url.query_pairs_mut()
            .append_pair("limit", &page.to_string())
            .append_pair("offset", &ask.offset.to_string());
        Ok(Listing {
            first: Source::Url(url),
            max_items: ask.max_items,
            offset_cap: None,
            key: None,
            label,
            resume: Resume::Offset,
            parent: Some(id.to_string()),
            unwrap: self.unwrap,
        })
    }
}
