//! `Secret`: a string that cannot be printed by accident.
//!
//! Access tokens, refresh tokens, client secrets, authorization codes and PKCE verifiers are all
//! held in this type. `Debug` and `Display` print `(redacted)`; the only way to get the value is
//! `expose()`, which is greppable and used where the value must cross a boundary (an HTTP
//! header, a form body, `spotctl token`'s stdout, the account file).

//!
//! Every value made into a `Secret` (read from a file, received, typed) is also remembered for
//! the rest of the run (`sanitize::remember`), so a server that echoes it back — in a `next`
//! link's path, a query, an error message — never gets it printed in a label, a resume hint or
//! a log line.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        let s = s.into();
        crate::sanitize::remember(&s);
        Secret(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

/// Whether `s` is a token as RFC 6750 (`b64token`) and RFC 6749 (VSCHAR) allow: visible
/// ASCII only, no space. Anything else (U+202E, U+2028, a CR) would go out raw in a header and
/// be printed raw by `spotctl token`.
pub fn visible_ascii(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic())
}

/// Largest client secret file read (real secrets are 32 hex digits).
pub const SECRET_FILE_CAP: u64 = 4 << 10;

/// A client secret or id as typed or read: one trailing newline (`\n` or `\r\n`, as
/// `echo` and editors leave) is dropped, surrounding spaces too; any other control character
/// is exit 2, before anything is stored or sent (a two-line file would make a corrupt account).
pub fn from_input(raw: &str, what: &str) -> Result<Secret> {
    let s = raw
        .strip_suffix('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s))
        .unwrap_or(raw);
    if s.chars().any(char::is_control) {
        return Err(Error::usage(format!(
            "{what} holds a control character (a second line, a tab, a CR); it must be the secret alone, on one line"
        )));
    }
    let s = s.trim_matches(' ');
    if s.is_empty() {
        return Err(Error::usage(format!("{what} is empty")));
    }
    Ok(Secret::new(s))
}

/// `--client-secret-file PATH`: a regular file of at most [`SECRET_FILE_CAP`] bytes, checked
/// by [`from_input`].
pub fn read_file(path: &std::path::Path, what: &str) -> Result<Secret> {
    let what = format!("{what} {}", path.display());
    let bytes = crate::hardening::read_named_file(path, SECRET_FILE_CAP)
        .map_err(|why| Error::usage(format!("{what}: {why}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::usage(format!("{what}: the file is not UTF-8 text")))?;
    from_input(&text, &what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let s = Secret::new("BQC-very-secret-token");
        assert_eq!(format!("{s}"), "(redacted)");
        assert_eq!(format!("{s:?}"), "(redacted)");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some((redacted))");
        assert_eq!(s.expose(), "BQC-very-secret-token");
    }

    #[test]
    fn input_keeps_one_line_and_refuses_the_rest() {
        assert_eq!(from_input("abc123\n", "x").unwrap().expose(), "abc123");
        assert_eq!(from_input("abc123\r\n", "x").unwrap().expose(), "abc123");
        assert_eq!(from_input(" abc123 ", "x").unwrap().expose(), "abc123");
        for bad in ["abc\ndef\n", "abc\n\n", "a\tb", "abc\r", "\n", ""] {
            assert_eq!(from_input(bad, "x").unwrap_err().exit_code(), 2, "{bad:?}");
        }
        assert!(visible_ascii("BQC-a_b.c~d+e/f=="));
        for bad in [
            "",
            "a b",
            "a\u{202e}b",
            "a\u{2028}",
            "a\u{2066}",
            "caf\u{e9}",
            "a\r",
        ] {
            assert!(!visible_ascii(bad), "{bad:?}");
        }
    }
}
