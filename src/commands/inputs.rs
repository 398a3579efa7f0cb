//! What a batch command (`albums`, `tracks`, `get`) is asked about: the IDs, URIs and links on
//! its command line, and stdin's lines, read as they arrive. A stdin line may also be a JSON
//! object that spotctl printed (`-o jsonl`): its `uri`, or its `type` and `id`, says what it is
//! (a playlist entry's `item` or `track` too), so `search … | albums - | tracks -` works.
//!
//! Everything is validated before it is sent: a line that names nothing, or the wrong kind of
//! thing, is that line's failure ([`Input::Bad`], with its line number), and nothing is sent
//! for it.

use crate::api::ids::{self, Kind};
use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::VecDeque;
use std::io::BufRead;
use tokio::sync::mpsc;

/// An ID, URI or link is well under this; a longer line that is not JSON is a mistake.
const MAX_ID_LINE: usize = 4096;
/// A JSON object spotctl printed (a full album with its first 50 tracks is ~60 kB) is well under
/// this; a longer line is cut off and refused rather than buffered whole.
const MAX_LINE: usize = 1 << 20;

/// What a command accepts: the kinds, and the kind of a bare ID (`None`: a bare ID needs
/// `--type`).
#[derive(Debug, Clone, Copy)]
pub struct Accept {
    pub kinds: &'static [Kind],
    pub bare: Option<Kind>,
}

/// One thing to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub kind: Kind,
    pub id: String,
}

impl Target {
    /// "album ID", for messages.
    pub fn label(&self, line: Option<usize>) -> String {
        match line {
            Some(n) => format!("{} {} (stdin line {n})", self.kind, self.id),
            None => format!("{} {}", self.kind, self.id),
        }
    }
}

/// One input of the batch: a target, or why its stdin line is not one.
pub enum Input {
    Item { target: Target, line: Option<usize> },
    Bad { line: usize, error: Error },
}

/// The inputs of a run as they arrive: the named ones first, then stdin's lines.
pub struct Feed {
    rx: mpsc::Receiver<Input>,
    /// Inputs already taken from `rx` and not handed out yet.
    ahead: VecDeque<Input>,
}

impl Feed {
    /// Starts handing out `named`, then (when `stdin`) stdin's lines as they are read.
    pub fn start(named: Vec<Target>, stdin: bool, accept: Accept) -> Feed {
        let (tx, rx) = mpsc::channel::<Input>(64);
        if stdin {
            read_stdin(tx, accept);
        }
        let ahead = named
            .into_iter()
            .map(|target| Input::Item { target, line: None })
            .collect();
        Feed { rx, ahead }
    }

    /// Waits for the first valid input, keeping the bad lines before it for their turn; false
    /// when the inputs ended without one (then nothing needs to be sent at all).
    pub async fn wait_first(&mut self) -> bool {
        if !self.ahead.is_empty() {
            // Named on the command line: valid already.
            return true;
        }
        loop {
            match self.rx.recv().await {
                None => return false,
                Some(bad @ Input::Bad { .. }) => self.ahead.push_back(bad),
                Some(item) => {
                    self.ahead.push_back(item);
                    return true;
                }
            }
        }
    }

    /// The next input, in order.
    pub async fn next(&mut self) -> Option<Input> {
        match self.ahead.pop_front() {
            Some(i) => Some(i),
            None => self.rx.recv().await,
        }
    }

    /// The next input if one comes within `wait` (`None`: none came, or the inputs ended).
    pub async fn next_within(&mut self, wait: std::time::Duration) -> Option<Input> {
        if let Some(i) = self.ahead.pop_front() {
            return Some(i);
        }
        // `recv` is cancel-safe: an input that arrives as the wait ends is not lost.
        tokio::time::timeout(wait, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// After [`Feed::wait_first`] found none: reports the bad lines (a batch of failures) or,
    /// with none at all, `empty` as a usage error.
    pub fn only_bad(
        self,
        noun: (&'static str, &'static str),
        fail_fast: bool,
        empty: &str,
    ) -> Result<()> {
        if self.ahead.is_empty() {
            return Err(Error::usage(empty));
        }
        let mut batch = crate::commands::batch::Batch::new(noun, fail_fast);
        for input in self.ahead {
            if let Input::Bad { line, error } = input {
                batch.fail(&format!("stdin line {line}"), error)?;
            }
        }
        batch.finish()
    }
}

/// Parses one input: an ID, a URI, a link, or a JSON object spotctl printed.
pub fn parse(text: &str, accept: Accept) -> std::result::Result<Target, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(match accept.bare {
            Some(k) => format!("empty {k} ID"),
            None => "empty ID".to_string(),
        });
    }
    if t.starts_with(['{', '[', '"']) {
        return from_json(t, accept);
    }
    let (kind, id) = ids::parse_typed(t)?;
    let Some(kind) = kind.or(accept.bare) else {
        return Err(format!(
            "\"{}\" is a bare ID: say what it is with --type, or give a URI (spotify:album:ID)",
            ids::shown(t)
        ));
    };
    check_kind(kind, accept, || format!("\"{}\"", ids::shown(t)))?;
    Ok(Target { kind, id })
}

fn check_kind(
    kind: Kind,
    accept: Accept,
    what: impl Fn() -> String,
) -> std::result::Result<(), String> {
    if accept.kinds.contains(&kind) {
        return Ok(());
    }
    // An artist's tracks are its albums' tracks: say how to get them.
    let hint = if kind == Kind::Artist && accept.kinds.contains(&Kind::Album) {
        " (an artist's tracks: `spotctl albums ARTIST | spotctl tracks -`)"
    } else {
        ""
    };
    Err(format!(
        "{} is {} {kind}, but {} is needed{hint}",
        what(),
        kind.article(),
        ids::kinds_text(accept.kinds)
    ))
}

fn from_json(t: &str, accept: Accept) -> std::result::Result<Target, String> {
    let v: Value = serde_json::from_str(t).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(_) = v else {
        return Err("JSON that is not an object: expected one printed by spotctl -o jsonl".into());
    };
    object_target(&v, accept, true)
}

/// The target a JSON object names: its `uri`, else `type` + `id`, else (a playlist entry) the
/// object under `item` or `track`.
fn object_target(v: &Value, accept: Accept, outer: bool) -> std::result::Result<Target, String> {
    let text = |k: &str| v.get(k).and_then(Value::as_str);
    if let Some(uri) = text("uri") {
        if !uri.starts_with("spotify:") {
            return Err(format!(
                "the JSON object's uri \"{}\" is not a Spotify URI",
                ids::shown(uri)
            ));
        }
        let (kind, id) = ids::parse_typed(uri)?;
        let kind = kind.ok_or("the JSON object's uri names no kind")?;
        check_kind(kind, accept, || {
            format!("the JSON object ({})", ids::shown(uri))
        })?;
        return Ok(Target { kind, id });
    }
    if let (Some(kind), Some(id)) = (text("type"), text("id")) {
        let kind = Kind::parse(kind).ok_or_else(|| {
            format!(
                "the JSON object is of type \"{}\", which spotctl does not fetch",
                ids::shown(kind)
            )
        })?;
        check_kind(kind, accept, || {
            format!("the JSON object ({kind} {})", ids::shown(id))
        })?;
        let id = ids::parse(id, kind)?;
        return Ok(Target { kind, id });
    }
    if outer && let Some(inner) = v.get("item").or_else(|| v.get("track")) {
        if inner.is_null() {
            return Err("the JSON object's item is null (no longer available)".into());
        }
        return object_target(inner, accept, false);
    }
    Err("the JSON object has no \"uri\", nor \"type\" and \"id\"".into())
}

/// The inputs named on the command line, validated before anything is sent, and whether `-`
/// (stdin) was among them. Positional ones come first, then the flag's (`--album: ` prefixes
/// its errors).
pub fn from_args(
    positional: &[String],
    flagged: &[String],
    flag: &str,
    accept: Accept,
) -> Result<(Vec<Target>, bool)> {
    let mut out = Vec::new();
    let mut stdin = false;
    let named = positional
        .iter()
        .map(|a| (a, String::new()))
        .chain(flagged.iter().map(|a| (a, format!("{flag}: "))));
    for (raw, prefix) in named {
        if raw.trim() == "-" {
            if stdin {
                return Err(Error::usage("`-` (stdin) given twice; give it once"));
            }
            stdin = true;
            continue;
        }
        out.push(parse(raw, accept).map_err(|e| Error::usage(format!("{prefix}{e}")))?);
    }
    Ok((out, stdin))
}

/// Reads stdin on its own thread, one line at a time, and hands each input on as soon as its
/// line is complete (a producer that writes slowly gets its first inputs fetched at once).
/// Blank lines and `#` comments are skipped; a bad line is reported with its line number.
pub fn read_stdin(tx: mpsc::Sender<Input>, accept: Accept) {
    let spawned = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            for (i, line) in split_lines(std::io::stdin().lock()).enumerate() {
                let Some(input) = stdin_line(i + 1, line, accept) else {
                    continue;
                };
                if tx.blocking_send(input).is_err() {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("could not start the stdin reader: {e}");
    }
}

/// One stdin line as an input, a bad line, or nothing (blank, comment).
pub fn stdin_line(n: usize, line: Result<Vec<u8>>, accept: Accept) -> Option<Input> {
    let bad = |error| Some(Input::Bad { line: n, error });
    let line = match line {
        Ok(l) => l,
        Err(e) => return bad(e),
    };
    let json = line.first() == Some(&b'{');
    if line.len() > MAX_LINE || (!json && line.len() > MAX_ID_LINE) {
        let what = if json {
            "a JSON object".to_string()
        } else {
            format!("{} ID", ids::kinds_text(accept.kinds))
        };
        // Counted up to one byte past what fits (the line is not read further).
        let (n, max) = if json {
            (line.len().min(MAX_LINE + 1), MAX_LINE)
        } else {
            (line.len().min(MAX_ID_LINE + 1), MAX_ID_LINE)
        };
        return bad(Error::usage(format!(
            "too long ({}{n} bytes) to be {what}",
            if n > max && json { "over " } else { "" },
        )));
    }
    let Ok(text) = std::str::from_utf8(&line) else {
        return bad(Error::usage("not valid UTF-8"));
    };
    let t = text.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    match parse(t, accept) {
        Ok(target) => Some(Input::Item {
            target,
            line: Some(n),
        }),
        Err(e) => bad(Error::usage(e)),
    }
}

/// Lines of at most MAX_LINE+1 bytes each (a longer line is cut off, not buffered whole).
pub fn split_lines(mut input: impl BufRead) -> impl Iterator<Item = Result<Vec<u8>>> {
    std::iter::from_fn(move || {
        let mut line = Vec::new();
        loop {
            let buf = match input.fill_buf() {
                Ok(b) => b,
                Err(e) => return Some(Err(Error::usage(format!("reading stdin: {e}")))),
            };
            if buf.is_empty() {
                return if line.is_empty() {
                    None
                } else {
                    Some(Ok(line))
                };
            }
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(p) => (p + 1, true),
                None => (buf.len(), false),
            };
            let room = (MAX_LINE + 1).saturating_sub(line.len());
            line.extend_from_slice(&buf[..take.min(room)]);
            input.consume(take);
            if done {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Some(Ok(line));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACKS: Accept = Accept {
        kinds: &[Kind::Album, Kind::Playlist, Kind::Show],
        bare: Some(Kind::Album),
    };
    const ID: &str = "3qNVuliS40BLgXGxhdBdqu";

    fn lines(input: &str, accept: Accept) -> Vec<String> {
        split_lines(input.as_bytes())
            .enumerate()
            .filter_map(|(i, l)| stdin_line(i + 1, l, accept))
            .map(|x| match x {
                Input::Item { target, line } => {
                    format!("{}:{}:{}", line.unwrap(), target.kind, target.id)
                }
                Input::Bad { line, error } => format!("{line}!{error}"),
            })
            .collect()
    }

    #[test]
    fn ids_uris_links_and_spotctl_json() {
        let input = format!(
            "{ID}\n\n  spotify:playlist:{ID}  \n# comment\n{{\"id\":\"{ID}\",\"name\":\"x\",\"type\":\"show\"}}\n\
             {{\"album_type\":\"album\",\"uri\":\"spotify:album:{ID}\"}}\r\n\
             {{\"added_at\":\"2026\",\"item\":{{\"type\":\"album\",\"id\":\"{ID}\"}}}}\n"
        );
        assert_eq!(
            lines(&input, TRACKS),
            vec![
                format!("1:album:{ID}"),
                format!("3:playlist:{ID}"),
                format!("5:show:{ID}"),
                format!("6:album:{ID}"),
                format!("7:album:{ID}"),
            ]
        );
    }

    #[test]
    fn bad_lines_say_why_and_name_the_kind() {
        let input = format!(
            "bogus\n{{\"uri\":\"spotify:artist:{ID}\"}}\n[1,2]\n{{\"name\":\"no id\"}}\n{{not json\n\
             {{\"type\":\"track\",\"id\":\"{ID}\"}}\n{{\"uri\":\"spotify:local:::a:1\"}}\n"
        );
        let got = lines(&input, TRACKS);
        let want = [
            "1!\"bogus\" is not a Spotify ID",
            &format!(
                "2!the JSON object (spotify:artist:{ID}) is an artist, but an album, a playlist or a show is needed"
            ),
            "3!JSON that is not an object",
            "4!the JSON object has no \"uri\", nor \"type\" and \"id\"",
            "5!not valid JSON",
            &format!("6!the JSON object (track {ID}) is a track, but an album"),
            "7!\"spotify:local:::a:1\" names a local",
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.starts_with(w), "{g}\n  should start with\n{w}");
        }
        let long = format!("{}\n", "a".repeat(1 << 21));
        let mut it = split_lines(long.as_bytes());
        let Some(Input::Bad { error, .. }) = stdin_line(1, it.next().unwrap(), TRACKS) else {
            panic!("a long line is bad")
        };
        assert!(error.to_string().contains("too long"), "{error}");
        assert!(matches!(
            stdin_line(1, Ok(b"\xff\xfe".to_vec()), TRACKS),
            Some(Input::Bad { .. })
        ));
    }

    #[test]
    fn a_bare_id_needs_a_kind() {
        let any = Accept {
            kinds: &[Kind::Album, Kind::Track],
            bare: None,
        };
        assert!(parse(ID, any).unwrap_err().contains("--type"));
        assert_eq!(
            parse(&format!("spotify:track:{ID}"), any),
            Ok(Target {
                kind: Kind::Track,
                id: ID.into()
            })
        );
    }
}
