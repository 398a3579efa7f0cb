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
//! returned, in every encoding they were sent in.

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

/// Text for a one-line message: dangerous characters escaped, at most [`MAX_LINE`] characters
/// (head and tail kept: the cause is at the start, the advice at the end).
pub fn line(s: &str) -> String {
    let escaped: String = s
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
/// (raw, form/query-encoded), plus anything after `Bearer ` or `Basic ` (the `Authorization`
/// header echoed by a proxy or a debug page, whatever it carried).
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
        if value_len >= 8 {
            out.push_str("(redacted)");
        } else {
            out.push_str(&after[..value_len]);
        }
        rest = &after[value_len..];
    }
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
}
