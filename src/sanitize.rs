//! The one place that decides what a server or a file may put on a terminal (SPEC §3).
//!
//! Anything spotctl did not write itself — names, user ids, display names, scopes, error
//! messages, JSON keys, account files — may carry escape sequences (a CSI that clears the
//! screen, an OSC 52 that writes the clipboard), CR (overwrites what was printed), C1 controls
//! (U+009B is a CSI on many terminals), DEL, bidi overrides (U+202E reverses what follows) and
//! line separators. Three treatments, one list of dangerous characters:
//! - [`line`]: one-line messages on stderr — dangerous characters shown escaped (`\u{1b}`), so a
//!   reader sees that they were there; long text cut in the middle.
//! - [`cell`]: table/tsv cells — each dangerous character (and tab/newline) becomes a space.
//! - [`json_for`]: serialised JSON — untouched when stdout is not a terminal (pipes get the
//!   bytes the service sent); on a terminal C1, DEL, bidi controls and separators are written as
//!   `\uXXXX` escapes, which is the same JSON value (C0 is always escaped by serde_json).
//!
//! Also here: [`redact`], which removes credentials the client sent from text the server
//! returned, in every encoding they were sent in; and [`remember`], the run's own credentials
//! (every `Secret` made), which [`line`] removes from every `spotctl:` line — errors, request
//! labels, resume hints, log lines — whatever a server echoed where.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Mutex, OnceLock};

/// This run's credentials, in the encodings they may come back in: longest first (a form that
/// contains another is replaced whole), and the first [`MIN_REMEMBERED`] bytes of each, so a
/// line that holds none of them costs one pass over its bytes however many are remembered
/// (`refresh --all` over hundreds of accounts).
#[derive(Default)]
struct Remembered {
    forms: BTreeSet<(std::cmp::Reverse<usize>, String)>,
    prefixes: HashSet<[u8; MIN_REMEMBERED]>,
}

fn remembered() -> std::sync::MutexGuard<'static, Remembered> {
    static SECRETS: OnceLock<Mutex<Remembered>> = OnceLock::new();
    SECRETS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Shorter values are not credentials (and would redact ordinary words).
const MIN_REMEMBERED: usize = 8;

/// Remembers one of this run's credentials (and its form-, percent- and JSON-escaped forms) so
/// that [`line`] never prints it.
pub fn remember(secret: &str) {
    if secret.len() < MIN_REMEMBERED {
        return;
    }
    // Every byte but unreserved ones percent-encoded, as a path or query may carry it.
    let pct: String = secret
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let forms = [
        secret.to_string(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        pct,
        secret.replace('/', "\\/"),
    ];
    let mut r = remembered();
    for f in forms {
        if let Ok(p) = <[u8; MIN_REMEMBERED]>::try_from(&f.as_bytes()[..MIN_REMEMBERED]) {
            r.prefixes.insert(p);
        }
        r.forms.insert((std::cmp::Reverse(f.len()), f));
    }
}

/// Whether some remembered form may start in `text` (no false negatives).
fn may_hold(r: &Remembered, text: &str) -> bool {
    text.as_bytes()
        .windows(MIN_REMEMBERED)
        .any(|w| <[u8; MIN_REMEMBERED]>::try_from(w).is_ok_and(|p| r.prefixes.contains(&p)))
}

/// `text` without any of this run's credentials.
pub fn redact_remembered(text: &str) -> String {
    let r = remembered();
    if !may_hold(&r, text) {
        return text.to_string();
    }
    let mut out = text.to_string();
    for (_, f) in r.forms.iter() {
        if out.contains(f.as_str()) {
            out = out.replace(f.as_str(), "(redacted)");
        }
    }
    out
}

/// Whether `text` holds one of this run's credentials (a `next` link that would print one).
pub fn carries_remembered(text: &str) -> bool {
    let r = remembered();
    may_hold(&r, text) && r.forms.iter().any(|(_, f)| text.contains(f.as_str()))
}

/// Characters that must never reach a terminal raw.
pub fn dangerous(c: char) -> bool {
    c.is_control() // C0, DEL, C1
        || matches!(c,
            '\u{061c}'                // Arabic letter mark
            | '\u{200e}' | '\u{200f}' // LRM, RLM
            | '\u{202a}'..='\u{202e}' // embeddings and overrides
            | '\u{2066}'..='\u{2069}' // isolates
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
        )
}

/// Messages longer than this (in characters) are cut in the middle.
const MAX_LINE: usize = 2000;

/// Text for a one-line message: this run's credentials redacted, dangerous characters escaped,
/// at most [`MAX_LINE`] characters (head and tail kept: the cause is at the start, the advice
/// at the end).
pub fn line(s: &str) -> String {
    let escaped: String = redact_remembered(s)
        .chars()
        .flat_map(|c| {
            let e: Vec<char> = if dangerous(c) {
                format!("\\u{{{:x}}}", c as u32).chars().collect()
            } else {
                vec![c]
            };
            e
        })
        .collect();
    cut_middle(&escaped, MAX_LINE)
}

/// Multi-line text for a terminal (a non-JSON body `api` prints): like [`line`], but newlines
/// and tabs are kept and nothing is cut.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if dangerous(c) && c != '\n' && c != '\t' {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` cut to `max` characters by dropping the middle (`…` marks the cut).
pub fn cut_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head = max * 2 / 3;
    let tail = max - head - 1;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// What is kept of a user info field (id, display name) from the service: real ones are
/// under 100 bytes; a 1.5 MiB `display_name` must not make an account file too large to read.
pub const USER_FIELD_CAP: usize = 256;

/// `s` cut to at most `max` bytes on a character boundary, `…` marking the cut.
pub fn cap_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max - '…'.len_utf8();
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A table/tsv cell: dangerous characters and tabs/newlines become spaces.
pub fn cell(s: &str) -> String {
    s.chars()
        .map(|c| if dangerous(c) { ' ' } else { c })
        .collect()
}

/// Serialised JSON as it should be written: byte for byte when `terminal` is false; with C1,
/// DEL, bidi controls and separators as `\uXXXX` escapes when it is true. Valid either way:
/// outside strings serde_json writes only ASCII, and inside them an escape is the same value.
/// Newlines and tabs are left alone: inside strings serde_json has already escaped them, so
/// any left are the layout of pretty-printed JSON.
pub fn json_for(text: String, terminal: bool) -> String {
    let escape = |c: char| dangerous(c) && !matches!(c, '\n' | '\t');
    if !terminal || !text.chars().any(escape) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escape(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Removes from `text` every credential in `secrets`, in each encoding it may have been sent in
/// (raw, form/query-encoded), plus what follows `Bearer ` or `Basic ` when it is shaped like a
/// credential (the `Authorization` header echoed by a proxy or a debug page, whatever it
/// carried) — but not a word: "Only valid bearer authentication supported" is Spotify's own.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
        for form in [s.to_string(), encoded] {
            if out.contains(&form) {
                out = out.replace(&form, "(redacted)");
            }
        }
    }
    redact_auth_schemes(&out)
}

/// `Bearer xyz` / `Basic xyz` (any case) → `Bearer (redacted)`.
fn redact_auth_schemes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let hit = ["bearer ", "basic "]
            .iter()
            .filter_map(|p| lower.find(p).map(|i| (i, p.len())))
            .min();
        let Some((i, len)) = hit else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i + len]);
        let after = &rest[i + len..];
        let value_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-._~+/=".contains(c)))
            .unwrap_or(after.len());
        if credential_shaped(&after[..value_len]) {
            out.push_str("(redacted)");
        } else {
            out.push_str(&after[..value_len]);
        }
        rest = &after[value_len..];
    }
}

/// At least 8 characters of the token alphabet, and not a word (letters only, all lower case
/// after the first, or all upper case): `BQxyz-123_abc`, `MDEyOmFi==`, but not
/// `authentication`, `Authentication` or `REQUIRED`.
fn credential_shaped(v: &str) -> bool {
    if v.len() < 8 {
        return false;
    }
    let letters = v.bytes().all(|b| b.is_ascii_alphabetic());
    let word = letters
        && (v.bytes().skip(1).all(|b| b.is_ascii_lowercase())
            || v.bytes().all(|b| b.is_ascii_uppercase()));
    !word
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str =
        "a\u{1b}]52;c;SGk=\u{7}\u{1b}[2J\rb\u{9b}31m\u{7f}\u{202e}c\u{2028}d\u{2066}";

    #[test]
    fn lines_escape_every_dangerous_character() {
        let l = line(EVIL);
        assert!(!l.chars().any(dangerous), "{l:?}");
        assert_eq!(
            l,
            r"a\u{1b}]52;c;SGk=\u{7}\u{1b}[2J\u{d}b\u{9b}31m\u{7f}\u{202e}c\u{2028}d\u{2066}"
        );
        assert_eq!(line("태연 ✨ ok"), "태연 ✨ ok");
    }

    #[test]
    fn long_lines_keep_head_and_tail() {
        let s = format!("start {} end", "x".repeat(10_000));
        let l = line(&s);
        assert_eq!(l.chars().count(), MAX_LINE);
        assert!(l.starts_with("start ") && l.ends_with(" end") && l.contains('…'));
    }

    #[test]
    fn cells_replace_with_spaces() {
        assert!(!cell(EVIL).chars().any(dangerous));
        assert_eq!(cell("a\tb\nc\u{202e}d"), "a b c d");
    }

    #[test]
    fn json_is_escaped_only_for_a_terminal_and_stays_the_same_value() {
        let v = serde_json::json!({ format!("k{EVIL}"): EVIL });
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(json_for(text.clone(), false), text);
        let t = json_for(text, true);
        assert!(!t.chars().any(dangerous), "{t}");
        assert!(t.contains(r"\u009b31m\u007f\u202ec\u2028d"), "{t}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&t).unwrap(), v);
    }

    #[test]
    fn redaction_covers_raw_encoded_and_header_forms() {
        let r = redact(
            "code=a+b%2Fc token=SECRET1 Authorization: Bearer BQxyz-123_abc and basic MDEyOmFi==, ok",
            &["SECRET1", "a b/c"],
        );
        assert_eq!(
            r,
            "code=(redacted) token=(redacted) Authorization: Bearer (redacted) and basic (redacted), ok"
        );
        assert_eq!(redact("a basic idea", &[]), "a basic idea");
    }

    #[test]
    fn user_fields_are_capped_on_a_character_boundary() {
        assert_eq!(cap_bytes("short", 256), "short");
        let c = cap_bytes(&"태".repeat(200), 256);
        assert!(c.len() <= 256 && c.ends_with('…'), "{}", c.len());
    }

    #[test]
    fn spotifys_own_words_after_bearer_are_kept() {
        for text in [
            "Only valid bearer authentication supported",
            "Bearer Authentication REQUIRED",
            "basic Authentication",
        ] {
            assert_eq!(redact(text, &[]), text);
        }
        assert_eq!(
            redact("got Bearer abcdefghIJ and Basic dXNlcjpwYXNz", &[]),
            "got Bearer (redacted) and Basic (redacted)"
        );
    }

    #[test]
    fn remembered_credentials_leave_every_line_in_every_encoding() {
        remember("Tok/en+with=odd~chars-0123");
        for echoed in [
            "GET /v1/p/Tok/en+with=odd~chars-0123: 404",
            "next=Tok%2Fen%2Bwith%3Dodd~chars-0123",
            "\"Tok\\/en+with=odd~chars-0123\"",
        ] {
            let l = line(echoed);
            assert!(!l.contains("odd~chars"), "{echoed} -> {l}");
            assert!(l.contains("(redacted)"), "{l}");
            assert!(carries_remembered(echoed));
        }
        assert_eq!(line("short ok"), "short ok");
    }
}
