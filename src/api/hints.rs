//! The way out of a refused request: what an account lacks and the command that adds it.
//!
//! A 403 tells nothing about why (Spotify's wording varies and must not be matched on), so the
//! hint is built from what spotctl knows: the account's grant and scopes, and, for the Spotify
//! endpoints whose scope is documented, the scope they need. An app-only account on a user
//! endpoint needs a user login; a user account missing a scope needs to log in again with it
//! added to the scopes it already has (`login --scope` replaces the list).

use crate::store::{Account, Grant, Provider};

/// The scopes of which a Spotify endpoint needs one (any of them), by method and path relative
/// to the API base. Only endpoints whose scope is documented and unambiguous are listed.
fn needed_scopes(method: &str, rel: &str) -> Option<&'static [&'static str]> {
    let seg: Vec<&str> = rel.trim_matches('/').split('/').collect();
    let read = method == "GET";
    Some(match (seg.as_slice(), read) {
        (
            [
                "me",
                "tracks" | "albums" | "shows" | "episodes" | "audiobooks",
                ..,
            ],
            true,
        )
        | (["me", "library", "contains"], true) => &["user-library-read"],
        (
            [
                "me",
                "tracks" | "albums" | "shows" | "episodes" | "audiobooks" | "library",
                ..,
            ],
            false,
        ) => &["user-library-modify"],
        (["me", "playlists"], false) => &["playlist-modify-public", "playlist-modify-private"],
        (["me", "top", ..], true) => &["user-top-read"],
        (["me", "following", ..], true) => &["user-follow-read"],
        (["me", "following", ..], false) => &["user-follow-modify"],
        (["me", "player", "recently-played"], true) => &["user-read-recently-played"],
        (["me", "player", "currently-playing"], true) => {
            &["user-read-currently-playing", "user-read-playback-state"]
        }
        (["me", "player", ..], true) => &["user-read-playback-state"],
        (["me", "player", ..], false) => &["user-modify-playback-state"],
        _ => return None,
    })
}

/// Whether a path is about a user's own data (the only Spotify endpoints that take scopes).
fn is_user_endpoint(rel: &str) -> bool {
    rel == "/me" || rel.starts_with("/me/")
}

/// A scope that can be put in a shell command as it is.
fn plain(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(&b))
}

/// For an app-only account: user endpoints need a user login (a new app token never helps).
pub fn app_only(name: &str) -> String {
    format!(
        "{name} is an app-only account (client credentials), and user endpoints such as /me need a user: log one in with `spotctl login -a NAME --scope SCOPES`, then use -a NAME"
    )
}

/// The endpoints Development Mode apps lost in February 2026 (facts §4.2), and what to use
/// instead; `None` for any other.
pub fn removed_in_dev_mode(method: &str, rel: &str) -> Option<String> {
    let seg: Vec<&str> = rel.trim_matches('/').split('/').collect();
    let get = method == "GET";
    let instead = match (seg.as_slice(), get) {
        (
            [
                kind @ ("albums" | "artists" | "tracks" | "shows" | "episodes" | "audiobooks"
                | "chapters"),
            ],
            true,
        ) => format!("fetch them one at a time: GET /{kind}/{{id}} for each (`spotctl get` does)"),
        (["users", _, "playlists"], false) => "use POST /me/playlists".into(),
        (["users", _, "playlists"], true) => {
            "use GET /me/playlists (the logged-in user's own)".into()
        }
        (["playlists", _, "tracks"], _) => {
            format!("use {method} /playlists/{{id}}/items (`spotctl tracks spotify:playlist:ID`)")
        }
        (
            [
                "me",
                "tracks" | "albums" | "episodes" | "shows" | "audiobooks" | "following",
                rest @ ..,
            ],
            _,
        ) if !get || rest == ["contains"] => {
            "use PUT/DELETE /me/library or GET /me/library/contains with spotify: URIs".into()
        }
        (["artists", _, "top-tracks"] | ["browse", "new-releases"] | ["markets"], true)
        | (["browse", "categories", ..], true)
        | (["users", _], true) => "it has no replacement".into(),
        _ => return None,
    };
    Some(format!(
        "Development Mode apps lost {method} {rel} in February 2026; {instead}"
    ))
}

/// What to add to a 403's message for `acc` (named `name`), or `None` when spotctl has nothing
/// useful to say (the account has the scope the endpoint needs; a catalog endpoint).
pub fn forbidden(name: &str, acc: &Account, method: &str, rel: &str) -> Option<String> {
    let spotify = acc.provider == Provider::Spotify;
    if spotify && let Some(h) = removed_in_dev_mode(method, rel) {
        return Some(h);
    }
    if acc.grant == Grant::ClientCredentials {
        return is_user_endpoint(rel).then(|| app_only(name));
    }
    // Spotify's catalog endpoints take no scopes: a 403 there is about the app (Development
    // Mode, allowlist), not the login.
    if spotify && !is_user_endpoint(rel) {
        return None;
    }
    let has: Vec<&str> = acc.scopes.iter().map(String::as_str).collect();
    let keep: Vec<&str> = has.iter().copied().filter(|s| plain(s)).collect();
    let has_shown = crate::api::ids::shown(&has.join(" "));
    let command = |add: &str| {
        let mut all = keep.clone();
        all.push(add);
        let list = all.join(" ");
        if all.len() == 1 {
            format!("`spotctl login -a {name} --scope {list}`")
        } else {
            format!("`spotctl login -a {name} --scope \"{list}\"`")
        }
    };
    match needed_scopes(method, rel).filter(|_| spotify) {
        Some(any_of) if any_of.iter().any(|s| has.contains(s)) => None,
        Some(any_of) => {
            let need = any_of[0];
            let what = if any_of.len() == 1 {
                format!("the scope {need}")
            } else {
                format!("one of the scopes {}", any_of.join(", "))
            };
            let has = if has.is_empty() {
                format!("{name} has none")
            } else {
                format!("{name} has: {has_shown}")
            };
            Some(format!(
                "{rel} needs {what}, which {name} lacks ({has}): log in again with it added: {}",
                command(need)
            ))
        }
        None if has.is_empty() => Some(format!(
            "{name} has no scopes: if this endpoint needs one, log in again with it: {}",
            command("SCOPE")
        )),
        None => Some(format!(
            "{name}'s scopes are {has_shown}: if this endpoint needs another, log in again with it added: {}",
            command("SCOPE")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_endpoints_name_their_replacement() {
        let h = removed_in_dev_mode("GET", "/albums").unwrap();
        assert_eq!(
            h,
            "Development Mode apps lost GET /albums in February 2026; fetch them one at a time: GET /albums/{id} for each (`spotctl get` does)"
        );
        assert!(
            removed_in_dev_mode("GET", "/playlists/x/tracks")
                .unwrap()
                .contains("/items")
        );
        assert!(
            removed_in_dev_mode("POST", "/users/bob/playlists")
                .unwrap()
                .contains("POST /me/playlists")
        );
        assert!(
            removed_in_dev_mode("PUT", "/me/tracks")
                .unwrap()
                .contains("/me/library")
        );
        assert!(
            removed_in_dev_mode("GET", "/me/tracks").is_none(),
            "still there"
        );
        assert!(removed_in_dev_mode("GET", "/albums/x").is_none());
        assert!(
            removed_in_dev_mode("GET", "/artists/x/top-tracks")
                .unwrap()
                .ends_with("no replacement")
        );
    }

    #[test]
    fn scopes_of_known_endpoints() {
        assert_eq!(
            needed_scopes("GET", "/me/tracks"),
            Some(&["user-library-read"][..])
        );
        assert_eq!(
            needed_scopes("PUT", "/me/library"),
            Some(&["user-library-modify"][..])
        );
        assert_eq!(needed_scopes("GET", "/me"), None);
        assert_eq!(needed_scopes("GET", "/me/playlists"), None);
        assert_eq!(needed_scopes("GET", "/artists/x/albums"), None);
        assert!(plain("user-read-email") && !plain("a\"b") && !plain("$(x)"));
    }
}
