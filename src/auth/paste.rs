//! A redirected URL pasted on stdin, for when the browser cannot reach the callback server (over
//! SSH, a redirect URI on another machine): the reader thread, capped lines ([`PASTE_LINE_CAP`]:
//! `< /dev/zero` must not eat memory), and the line read as a redirect (through the same
//! [`interpret`] as the callback server, so the two ways in behave the same).

use crate::auth::callback::{IssCheck, Outcome, interpret_with};
use std::io::BufRead;
use tokio::sync::mpsc;

/// A line pasted by the user: the full redirected URL, or just its query string.
pub fn interpret_pasted(line: &str, expected_state: &str, iss: &IssCheck) -> Option<Outcome> {
    // Copied addresses often come with quotes or angle brackets around them.
    let line = line
        .trim()
        .trim_matches(|c: char| matches!(c, '\'' | '"' | '<' | '>' | '`') || c.is_whitespace());
    let query = match line.split_once('?') {
        Some((_, q)) => q,
        None => line,
    };
    let query = query.split('#').next().unwrap_or(query);
    interpret_with(query, expected_state, iss)
}

/// The longest pasted line read: real redirect URLs are a few hundred bytes.
pub const PASTE_LINE_CAP: usize = 8 * 1024;

/// A line from [`PasteReader`].
#[derive(Debug, PartialEq, Eq)]
pub enum Pasted {
    Line(String),
    /// Longer than [`PASTE_LINE_CAP`]: dropped (the rest of it is skipped unread into memory).
    TooLong,
    Eof,
}

/// Reads pasted lines with a cap, holding at most the cap plus one buffer in memory.
pub struct PasteReader<R> {
    inner: R,
    skipping: bool,
}

impl<R: BufRead> PasteReader<R> {
    pub fn new(inner: R) -> Self {
        PasteReader {
            inner,
            skipping: false,
        }
    }

    pub fn next_line(&mut self) -> std::io::Result<Pasted> {
        let mut line = Vec::new();
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(if line.is_empty() {
                    Pasted::Eof
                } else {
                    Pasted::Line(String::from_utf8_lossy(&line).into_owned())
                });
            }
            let (chunk, end) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if !self.skipping {
                line.extend_from_slice(&buf[..chunk]);
            }
            self.inner.consume(chunk);
            if self.skipping {
                self.skipping = !end;
                continue;
            }
            if line.len() > PASTE_LINE_CAP {
                self.skipping = !end;
                return Ok(Pasted::TooLong);
            }
            if end {
                return Ok(Pasted::Line(String::from_utf8_lossy(&line).into_owned()));
            }
        }
    }
}

/// Reads pasted lines from stdin on a plain thread (a blocking stdin read must not keep the
/// runtime alive at exit) and hands them on; with `paste` false nothing is read (stdin is the
/// caller's) and the channel just closes.
pub fn read_stdin(paste: bool) -> mpsc::Receiver<String> {
    let (paste_tx, paste_rx) = mpsc::channel::<String>(4);
    std::thread::spawn(move || {
        if !paste {
            return;
        }
        // Capped lines: `< /dev/zero` (one endless line) must not eat memory.
        let mut lines = PasteReader::new(std::io::stdin().lock());
        loop {
            match lines.next_line() {
                Ok(Pasted::Eof) | Err(_) => return,
                Ok(Pasted::TooLong) => eprintln!(
                    "spotctl: that line is longer than {} KiB and was skipped; paste only the address the browser was sent to",
                    PASTE_LINE_CAP / 1024
                ),
                Ok(Pasted::Line(line)) => {
                    if paste_tx.blocking_send(line).is_err() {
                        return;
                    }
                }
            }
        }
    });
    paste_rx
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn pasted_lines_are_capped_and_the_rest_of_a_long_line_is_skipped() {
        let long = "a".repeat(PASTE_LINE_CAP + 1);
        let ok = "b".repeat(PASTE_LINE_CAP - 1);
        let input = format!("first\n{long}\n{ok}\n{long}{long}tail\nlast");
        // A tiny buffer exercises lines split across many reads.
        let mut r = PasteReader::new(std::io::BufReader::with_capacity(7, input.as_bytes()));
        assert_eq!(r.next_line().unwrap(), Pasted::Line("first\n".into()));
        assert_eq!(r.next_line().unwrap(), Pasted::TooLong);
        assert_eq!(r.next_line().unwrap(), Pasted::Line(format!("{ok}\n")));
        assert_eq!(r.next_line().unwrap(), Pasted::TooLong);
        assert_eq!(r.next_line().unwrap(), Pasted::Line("last".into()));
        assert_eq!(r.next_line().unwrap(), Pasted::Eof);
        // An endless line: one TooLong, then nothing is kept while it is skipped.
        let mut r = PasteReader::new(std::io::BufReader::new(std::io::repeat(0).take(1 << 20)));
        assert_eq!(r.next_line().unwrap(), Pasted::TooLong);
        assert_eq!(r.next_line().unwrap(), Pasted::Eof);
    }
}
