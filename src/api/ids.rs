//! Spotify IDs, URIs and open.spotify.com links, parsed and validated locally so a typo never
//! costs a request (and never sends user input to an unexpected place).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Artist,
    Album,
    Track,
    Playlist,
    Show,
    Episode,
    Audiobook,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Artist => "artist",
            Kind::Album => "album",
            Kind::Track => "track",
            Kind::Playlist => "playlist",
            Kind::Show => "show",
            Kind::Episode => "episode",
            Kind::Audiobook => "audiobook",
        }
    }

    /// `artist`, `album`, … (what a URI's middle part and a JSON object's `type` say).
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "artist" => Kind::Artist,
            "album" => Kind::Album,
            "track" => Kind::Track,
            "playlist" => Kind::Playlist,
            "show" => Kind::Show,
            "episode" => Kind::Episode,
            "audiobook" => Kind::Audiobook,
            _ => return None,
        })
    }

    pub fn article(self) -> &'static str {
        match self {
            Kind::Artist | Kind::Album | Kind::Episode | Kind::Audiobook => "an",
            _ => "a",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Shows user input safely inside a one-line error: control characters escaped, long input cut.
pub fn shown(input: &str) -> String {
    let mut s: String = input
        .chars()
        .take(60)
        .flat_map(char::escape_debug)
        .collect();
    if input.chars().count() > 60 {
        s.push('…');
    }
    s
}

fn is_base62_id(s: &str) -> bool {
    s.len() == 22 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn check_id(id: &str, input: &str) -> Result<String, String> {
    if is_base62_id(id) {
        return Ok(id.to_string());
    }
    let n = id.chars().count();
    if n != 22 {
        Err(format!(
            "\"{}\" is not a Spotify ID: expected 22 letters and digits, got {n} characters",
            shown(input)
        ))
    } else {
        Err(format!(
            "\"{}\" is not a Spotify ID: only letters and digits are allowed",
            shown(input)
        ))
    }
}

/// Parses `ID`, `spotify:KIND:ID` or `https://open.spotify.com/[intl-xx/]KIND/ID[/][?si=…]`
/// and checks it names a `want`.
pub fn parse(input: &str, want: Kind) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err(format!("empty {want} ID"));
    }
    let wrong_kind = |got: &str| {
        format!(
            "\"{}\" is {} {got}, but {} {want} is needed",
            shown(input),
            Kind::parse(got).map_or("a", Kind::article),
            want.article()
        )
    };
    if let Some(rest) = s.strip_prefix("spotify:") {
        let mut parts = rest.split(':');
        let (kind, id) = match (parts.next(), parts.next(), parts.next()) {
            (Some(k), Some(id), None) => (k, id),
            _ => {
                return Err(format!(
                    "\"{}\" is not a Spotify URI: expected spotify:{want}:ID",
                    shown(input)
                ));
            }
        };
        if kind != want.as_str() {
            return Err(wrong_kind(kind));
        }
        return check_id(id, input);
    }
    // A shared link, with or without its scheme.
    let with_scheme;
    let s = if s.starts_with("open.spotify.com/") {
        with_scheme = format!("https://{s}");
        with_scheme.as_str()
    } else {
        s
    };
    if s.starts_with("http://") || s.starts_with("https://") {
        let url = url::Url::parse(s)
            .map_err(|e| format!("\"{}\" is not a valid URL: {e}", shown(input)))?;
        if url.host_str() != Some("open.spotify.com") {
            return Err(format!(
                "\"{}\" is not an open.spotify.com link",
                shown(input)
            ));
        }
        let mut segs: Vec<&str> = url
            .path_segments()
            .map(|p| p.filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        if segs.first().is_some_and(|s| is_intl(s)) {
            segs.remove(0);
        }
        return match segs.as_slice() {
            [kind, id] => {
                if *kind != want.as_str() {
                    return Err(wrong_kind(kind));
                }
                check_id(id, input)
            }
            _ => Err(format!(
                "\"{}\" is not a link to {} {want}: expected https://open.spotify.com/{want}/ID",
                shown(input),
                want.article()
            )),
        };
    }
    check_id(s, input)
}

/// "an album, a playlist or a show": what a command accepts, for messages.
pub fn kinds_text(kinds: &[Kind]) -> String {
    let each: Vec<String> = kinds
        .iter()
        .map(|k| format!("{} {k}", k.article()))
        .collect();
    match each.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// What an input names: its kind (from a URI or a link; `None` for a bare ID) and its ID.
pub fn parse_typed(input: &str) -> Result<(Option<Kind>, String), String> {
    let s = input.trim();
    let kind_of = |k: &str| {
        Kind::parse(k).ok_or_else(|| {
            format!(
                "\"{}\" names a {}, which spotctl does not know",
                shown(input),
                shown(k)
            )
        })
    };
    if let Some(rest) = s.strip_prefix("spotify:") {
        let kind = kind_of(rest.split(':').next().unwrap_or(""))?;
        return parse(s, kind).map(|id| (Some(kind), id));
    }
    let link = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    let link = link.unwrap_or(s);
    if let Some(path) = link.strip_prefix("open.spotify.com/") {
        let mut segs = path.split(['/', '?', '#']).filter(|p| !p.is_empty());
        let mut first = segs.next().unwrap_or("");
        if is_intl(first) {
            first = segs.next().unwrap_or("");
        }
        let kind = kind_of(first)?;
        return parse(s, kind).map(|id| (Some(kind), id));
    }
    if s.starts_with("http://") || s.starts_with("https://") {
        // Not a Spotify link: `parse` says why.
        return parse(s, Kind::Artist).map(|id| (None, id));
    }
    check_id(s, input).map(|id| (None, id))
}

/// `intl-de`, `intl-pt-BR`: the locale prefix Spotify puts in shared links.
fn is_intl(seg: &str) -> bool {
    let Some(rest) = seg.strip_prefix("intl-") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    matches!(parts.len(), 1 | 2)
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3qNVuliS40BLgXGxhdBdqu";

    #[test]
    fn accepts_every_form() {
        for s in [
            ID.to_string(),
            format!("  {ID}\n"),
            format!("spotify:artist:{ID}"),
            format!("https://open.spotify.com/artist/{ID}"),
            format!("https://open.spotify.com/artist/{ID}?si=abc123"),
            format!("https://open.spotify.com/artist/{ID}/"),
            format!("http://open.spotify.com/artist/{ID}"),
            format!("https://open.spotify.com/intl-de/artist/{ID}?si=x"),
            format!("https://open.spotify.com/intl-pt-BR/artist/{ID}#frag"),
            format!("open.spotify.com/artist/{ID}?si=abc"),
        ] {
            assert_eq!(parse(&s, Kind::Artist).as_deref(), Ok(ID), "{s}");
        }
    }

    #[test]
    fn rejects_with_reasons() {
        let e = parse(&format!("spotify:album:{ID}"), Kind::Artist).unwrap_err();
        assert!(e.contains("is an album, but an artist is needed"), "{e}");
        let e = parse(
            &format!("https://open.spotify.com/track/{ID}"),
            Kind::Artist,
        )
        .unwrap_err();
        assert!(e.contains("is a track"), "{e}");
        let e = parse("abc", Kind::Artist).unwrap_err();
        assert!(e.contains("got 3 characters"), "{e}");
        assert!(parse("", Kind::Artist).unwrap_err().contains("empty"));
        assert!(parse("3qNVuliS40BLgXGxhdBdq!", Kind::Artist).is_err());
        let e = parse(
            &format!("https://open.spotify.com.evil.com/artist/{ID}"),
            Kind::Artist,
        )
        .unwrap_err();
        assert!(e.contains("not an open.spotify.com link"), "{e}");
        assert!(
            parse(
                &format!("https://evil.com/open.spotify.com/artist/{ID}"),
                Kind::Artist
            )
            .is_err()
        );
        assert!(
            parse(
                "https://open.spotify.com/artist/3qNVuliS40BLgXGxhd%2Fqu",
                Kind::Artist
            )
            .is_err()
        );
        assert!(parse(&format!("spotify:artist:{ID}:extra"), Kind::Artist).is_err());
        assert!(
            parse(
                &format!("https://open.spotify.com/artist/{ID}/albums"),
                Kind::Artist
            )
            .is_err()
        );
        let long = "x".repeat(10_000);
        let e = parse(&long, Kind::Artist).unwrap_err();
        assert!(e.len() < 200, "error must not echo 10 kB of input");
        let e = parse("abc\u{1b}[31m", Kind::Artist).unwrap_err();
        assert!(!e.contains('\u{1b}'), "control characters are escaped: {e}");
    }

    #[test]
    fn typed_inputs_say_their_kind() {
        assert_eq!(parse_typed(ID), Ok((None, ID.to_string())));
        assert_eq!(
            parse_typed(&format!("spotify:show:{ID}")),
            Ok((Some(Kind::Show), ID.to_string()))
        );
        assert_eq!(
            parse_typed(&format!(
                "https://open.spotify.com/intl-ko/playlist/{ID}?si=x"
            )),
            Ok((Some(Kind::Playlist), ID.to_string()))
        );
        assert_eq!(
            parse_typed(&format!("open.spotify.com/track/{ID}")),
            Ok((Some(Kind::Track), ID.to_string()))
        );
        assert!(parse_typed(&format!("spotify:user:{ID}")).is_err());
        assert!(parse_typed("https://evil.example/album/x").is_err());
        assert!(parse_typed(&format!("https://open.spotify.com.evil/album/{ID}")).is_err());
        assert_eq!(
            kinds_text(&[Kind::Album, Kind::Playlist, Kind::Show]),
            "an album, a playlist or a show"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        #[test]
        fn never_panics_and_only_returns_valid_ids(s in "\\PC{0,200}") {
            if let Ok(id) = parse(&s, Kind::Artist) {
                proptest::prop_assert!(is_base62_id(&id));
            }
        }

        #[test]
        fn url_roundtrip(id in "[A-Za-z0-9]{22}", si in "[A-Za-z0-9]{0,16}") {
            let url = format!("https://open.spotify.com/artist/{id}?si={si}");
            proptest::prop_assert_eq!(parse(&url, Kind::Artist), Ok(id.clone()));
            let uri = format!("spotify:album:{id}");
            proptest::prop_assert!(parse(&uri, Kind::Artist).is_err());
        }

        #[test]
        fn lookalike_hosts_are_refused(prefix in "[a-z]{1,10}", id in "[A-Za-z0-9]{22}") {
            let url = format!("https://{prefix}open.spotify.com/artist/{id}");
            proptest::prop_assert!(parse(&url, Kind::Artist).is_err());
            let url = format!("https://open.spotify.com.{prefix}/artist/{id}");
            proptest::prop_assert!(parse(&url, Kind::Artist).is_err());
        }
    }
}
