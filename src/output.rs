//! Writing items to stdout as they arrive: table (for people), tsv, jsonl (objects exactly as
//! the service sent them) and json (one array, still streamed). A closed pipe surfaces as
//! `Error::BrokenPipe`, which `main` turns into a quiet exit 0. Progress goes to stderr, and only
//! when stderr is a terminal.
//!
//! Items are formatted in memory; each page is handed to the console thread (`console.rs`),
//! which owns stdout and stderr, so a reader that stops reading (`| less`, a terminal held by
//! Ctrl-S) holds up that thread, never the runtime that is reading responses (a blocked
//! runtime turns answered pages into timeouts). At most `console::PAGES_QUEUED` pages wait for
//! it; beyond that the listing waits (asynchronously) for the reader, which is back-pressure, not
//! a stall. A terminal is written the same way; the console thread clears the progress bar
//! around rows, and writes messages in order with them.

mod columns;

use crate::api::page::Item;
use crate::error::Result;
use serde_json::Value;
use std::io::{IsTerminal, Write};

/// How items are written (`-o`). The doc comments are `--help`'s text for the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns with a header, for people
    Table,
    /// Tab-separated values, no header
    Tsv,
    /// Comma-separated values (RFC 4180: CRLF line ends, quoted where needed), a header row of
    /// field names, the same columns as tsv, UTF-8 without BOM
    Csv,
    /// One JSON object per line, exactly as the service sent it
    Jsonl,
    /// One JSON array
    Json,
}

/// Which columns `table` and `tsv` show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// id, release_date, album_type, total_tracks, name
    Albums,
    /// type, id, name
    Search,
    /// id, type, disc_number, track_number, duration_ms, name
    Tracks,
    /// items as JSON only (`api --paginate`)
    Raw,
}

pub struct Out {
    /// The page being formatted.
    w: Vec<u8>,
    /// stdout is a terminal: JSON gets C1/DEL/bidi escaped (see `sanitize`).
    terminal: bool,
    format: OutputFormat,
    shape: Shape,
    count: u64,
    /// See [`Out::set_kind`].
    kind: Option<String>,
    /// `--with-parent`: rows start with the parent's ID, JSON objects carry it as `_parent`.
    with_parent: bool,
    /// The parent of the items being written (the listing's input).
    parent: Option<String>,
}

/// One CSV record (RFC 4180), CRLF-terminated.
pub fn csv_record(cols: &[String]) -> String {
    let mut line = String::new();
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        columns::csv_field(c, &mut line);
    }
    line.push_str("\r\n");
    line
}

/// The fields `table` and `tsv` show, read from an item without building the rest of it
/// (every field but `id`/`name`/`type` may be missing in Development Mode; an item that is not
/// an object shows empty cells).
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct Fields {
    id: Value,
    name: Value,
    #[serde(rename = "type")]
    kind: Value,
    release_date: Value,
    album_type: Value,
    total_tracks: Value,
    disc_number: Value,
    track_number: Value,
    duration_ms: Value,
}

impl Fields {
    /// The value of a column's field.
    fn get(&self, field: &str) -> &Value {
        match field {
            "id" => &self.id,
            "name" => &self.name,
            "type" => &self.kind,
            "release_date" => &self.release_date,
            "album_type" => &self.album_type,
            "total_tracks" => &self.total_tracks,
            "disc_number" => &self.disc_number,
            "track_number" => &self.track_number,
            "duration_ms" => &self.duration_ms,
            _ => &Value::Null,
        }
    }
}

/// A value as one tsv/table cell: no tabs or newlines, empty when absent.
fn cell(v: &Value) -> String {
    let s = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::sanitize::cell(&s)
}

/// `raw` (valid JSON) indented like `serde_json`'s pretty printer (two spaces, `"key": value`,
/// `[]` and `{}` when empty), every token as sent: a number or an escape is never rewritten,
/// and no tree of the value is built (an 8 MiB body costs its size, not ten times it).
pub fn pretty(raw: &str) -> String {
    reshape(raw, true)
}

/// `raw` on one line: the whitespace between tokens of an item the service sent
/// pretty-printed is dropped (a JSON string holds no raw newline); every token stays as sent.
pub fn one_line(raw: &str) -> std::borrow::Cow<'_, str> {
    // Byte searches (memchr): this runs on every item written.
    let bytes = raw.as_bytes();
    if !bytes.contains(&b'\n') && !bytes.contains(&b'\r') {
        return raw.into();
    }
    reshape(raw, false).into()
}

/// The tokens of `raw` as sent, without the whitespace between them; `indent`: laid out as
/// [`pretty`] says.
fn reshape(raw: &str, indent: bool) -> String {
    let mut out = String::with_capacity(raw.len() + if indent { raw.len() / 4 } else { 0 });
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        if indent {
            out.push('\n');
            for _ in 0..depth {
                out.push_str("  ");
            }
        }
    };
    let space = |c: &char| matches!(c, ' ' | '\t' | '\n' | '\r');
    let mut chars = raw.chars().peekable();
    let (mut in_string, mut escaped) = (false, false);
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            c if space(&c) => {}
            '{' | '[' => {
                out.push(c);
                while chars.next_if(space).is_some() {}
                if let Some(close) = chars.next_if(|&n| matches!(n, '}' | ']')) {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' if indent => out.push_str(": "),
            c => {
                in_string = c == '"';
                out.push(c);
            }
        }
    }
    out
}

impl Out {
    pub fn new(format: OutputFormat, shape: Shape) -> Out {
        let format = match (shape, format) {
            (Shape::Raw, OutputFormat::Table | OutputFormat::Tsv | OutputFormat::Csv) => {
                OutputFormat::Jsonl
            }
            (_, f) => f,
        };
        Out {
            w: Vec::with_capacity(64 * 1024),
            terminal: std::io::stdout().is_terminal(),
            format,
            shape,
            count: 0,
            kind: None,
            with_parent: false,
            parent: None,
        }
    }

    /// `--with-parent`: every row says which input it came from.
    pub fn with_parent(mut self, on: bool) -> Out {
        self.with_parent = on;
        self
    }

    /// The parent (an ID) of the items written from now on.
    pub fn set_parent(&mut self, parent: Option<String>) {
        self.parent = parent;
    }

    /// The type a listing's items are (search's `--type`), for the TYPE column of items that
    /// do not say (an item with only `id` and `name` is valid).
    pub fn set_kind(&mut self, kind: Option<String>) {
        self.kind = kind;
    }

    pub fn item(&mut self, item: &Item) -> Result<()> {
        match self.format {
            OutputFormat::Jsonl => {
                self.json(item.raw())?;
                self.w.write_all(b"\n")?;
            }
            OutputFormat::Json => {
                self.w
                    .write_all(if self.count == 0 { b"[\n" } else { b",\n" })?;
                self.json(item.raw())?;
            }
            OutputFormat::Tsv => {
                let cols = self.columns(item);
                writeln!(self.w, "{}", cols.join("\t"))?;
            }
            OutputFormat::Csv => {
                if self.count == 0 {
                    let names: Vec<String> =
                        self.column_specs().map(|c| c.field.to_string()).collect();
                    self.w.write_all(csv_record(&names).as_bytes())?;
                }
                let cols = self.columns(item);
                self.w.write_all(csv_record(&cols).as_bytes())?;
            }
            OutputFormat::Table => {
                if self.count == 0 {
                    self.table_row(&self.header())?;
                }
                let cols = self.columns(item);
                self.table_row(&cols)?;
            }
        }
        self.count += 1;
        Ok(())
    }

    /// One item as JSON: the service's bytes in a pipe, terminal-safe escapes on a terminal.
    /// With `--with-parent`, an object starts with `"_parent":"ID"`, the rest as sent.
    fn json(&mut self, raw: &str) -> Result<()> {
        let mut text = one_line(raw);
        let tagged = match (self.with_parent, &self.parent) {
            (true, Some(p)) => text.trim_start().strip_prefix('{').map(|rest| {
                let key = Value::from(p.as_str()).to_string();
                let sep = if rest.trim_start().starts_with('}') {
                    ""
                } else {
                    ","
                };
                format!("{{\"_parent\":{key}{sep}{rest}")
            }),
            _ => None,
        };
        if let Some(t) = tagged {
            text = t.into();
        }
        if self.terminal {
            let text = crate::sanitize::json_for(text.into_owned(), true);
            self.w.write_all(text.as_bytes())?;
        } else {
            self.w.write_all(text.as_bytes())?;
        }
        Ok(())
    }

    /// The columns of this output: the shape's, after the parent's with `--with-parent`.
    fn column_specs(&self) -> impl Iterator<Item = &'static columns::Column> {
        let parent = self.with_parent.then_some(&columns::PARENT);
        let of = match self.shape {
            Shape::Albums => columns::ALBUMS,
            Shape::Tracks => columns::TRACKS,
            // `Raw` is JSON only: `api` never asks for columns.
            Shape::Search | Shape::Raw => columns::SEARCH,
        };
        parent.into_iter().chain(of)
    }

    fn header(&self) -> Vec<String> {
        self.column_specs().map(|c| c.title.to_string()).collect()
    }

    fn columns(&self, item: &Item) -> Vec<String> {
        let f: Fields = item.read().unwrap_or_default();
        let parent = self.parent.as_deref().unwrap_or_default();
        self.column_specs()
            .map(|c| match c.field {
                "parent_id" => crate::sanitize::cell(parent),
                // Search's TYPE: an item that does not say is of the type asked for.
                "type" => match (cell(&f.kind), &self.kind) {
                    (k, Some(asked)) if k.is_empty() => crate::sanitize::cell(asked),
                    (k, _) => k,
                },
                field => cell(f.get(field)),
            })
            .collect()
    }

    /// Fixed-width columns (IDs are 22 characters, dates 10, types 11), so the table can stream;
    /// the name is last and needs no padding.
    fn table_row(&mut self, cols: &[String]) -> Result<()> {
        let mut line = String::new();
        for (i, (c, spec)) in cols.iter().zip(self.column_specs()).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let w = spec.width;
            match (w, spec.right) {
                (0, _) => line.push_str(c),
                (w, true) => line.push_str(&format!("{c:>w$}")),
                (w, false) => line.push_str(&format!("{c:<w$}")),
            }
        }
        writeln!(self.w, "{}", line.trim_end())?;
        Ok(())
    }

    /// Items written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Pushes what was written so far to the reader (once per page: streaming, not per item).
    /// Waits only when `console::PAGES_QUEUED` pages are already waiting for a slow reader.
    pub async fn flush(&mut self) -> Result<()> {
        if self.w.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.w, Vec::with_capacity(64 * 1024));
        Ok(crate::console::out(chunk).await?)
    }

    /// Waits (asynchronously: the runtime goes on) until everything queued is written, and
    /// returns how it ended (a closed pipe, a full disk).
    async fn stop(&self) -> Result<()> {
        Ok(crate::console::drained().await?)
    }

    pub async fn finish(mut self) -> Result<()> {
        if self.format == OutputFormat::Json {
            self.w
                .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        self.flush().await?;
        self.stop().await
    }

    /// After a failure: what was written stays valid (a `json` array is closed), but a run that
    /// wrote nothing prints nothing, so an error is never mistaken for an empty result. The
    /// same rule for every listing command, whether the first page or a later one failed.
    pub async fn finish_after_error(self) -> Result<()> {
        if self.count == 0 {
            return Ok(());
        }
        self.finish().await
    }
}

/// A progress bar on stderr for long listings; does nothing when disabled (stderr not a
/// terminal, or `-q`) and stays hidden for listings of a few pages.
pub struct Progress {
    enabled: bool,
    bar: indicatif::ProgressBar,
    /// Where a visible bar is drawn: stderr through the console thread (a recorder in tests).
    target: fn() -> indicatif::ProgressDrawTarget,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        let bar = indicatif::ProgressBar::hidden();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} items {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Progress {
            enabled,
            bar,
            target: || {
                indicatif::ProgressDrawTarget::term_like(Box::<crate::console::BarTerm>::default())
            },
        }
    }

    /// A handle for showing rate-limit waits in the bar's message.
    pub fn handle(&self) -> Option<indicatif::ProgressBar> {
        self.enabled.then(|| self.bar.clone())
    }

    /// Starts a listing: the bar appears only for more than three pages.
    pub fn begin(&self, total: Option<u64>, page: u64) {
        if !self.enabled {
            return;
        }
        self.bar.set_position(0);
        match total {
            Some(t) if t > page.max(1) * 3 => {
                self.bar.set_length(t);
                self.bar.set_draw_target((self.target)());
                self.bar
                    .enable_steady_tick(std::time::Duration::from_millis(120));
            }
            _ => self
                .bar
                .set_draw_target(indicatif::ProgressDrawTarget::hidden()),
        }
    }

    pub fn inc(&self, n: u64) {
        if self.enabled {
            self.bar.inc(n);
            self.bar.set_message("");
        }
    }

    /// Clears the bar (before a warning is printed, and at the end).
    pub fn finish(&self) {
        if self.enabled {
            self.bar.disable_steady_tick();
            self.bar.finish_and_clear();
            // `reset` draws the bar again: hide it first, or it reappears in front of the
            // end-of-listing warning. `begin` shows it again for the next listing.
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::hidden());
            self.bar.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// What the bar did to the terminal, in order.
    static DRAWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    #[derive(Debug)]
    struct Recorder;

    impl indicatif::TermLike for Recorder {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            DRAWN.lock().unwrap().push(format!("line {s}"));
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            DRAWN.lock().unwrap().push(format!("str {s}"));
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            DRAWN.lock().unwrap().push("clear".into());
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_is_reshaped_without_rewriting_a_token() {
        let raw = "{ \"a\" : [1E2, {}, [ ] ,\"x \\\" ,:{\"],\n \"b\":{\"c\":null}}";
        assert_eq!(
            one_line(raw),
            "{\"a\":[1E2,{},[],\"x \\\" ,:{\"],\"b\":{\"c\":null}}"
        );
        assert_eq!(
            pretty(raw),
            "{\n  \"a\": [\n    1E2,\n    {},\n    [],\n    \"x \\\" ,:{\"\n  ],\n  \"b\": {\n    \"c\": null\n  }\n}"
        );
        let v: Value = serde_json::from_str(raw).unwrap();
        let serde = serde_json::to_string_pretty(&v).unwrap();
        assert_eq!(pretty(&serde), serde, "the same shape as serde_json's");
    }

    #[test]
    fn a_finished_bar_stays_cleared_for_the_warning_that_follows() {
        let mut p = Progress::new(true);
        p.target = || indicatif::ProgressDrawTarget::term_like(Box::new(Recorder));
        p.begin(Some(1000), 10);
        p.inc(10);
        p.finish();
        let drawn = DRAWN.lock().unwrap().clone();
        assert!(
            drawn.iter().any(|d| d.contains("10/1000 items")),
            "the bar was drawn: {drawn:?}"
        );
        let last_clear = drawn.iter().rposition(|d| d == "clear").expect("cleared");
        let after: Vec<&String> = drawn[last_clear..]
            .iter()
            .filter(|d| d.starts_with("line") || d.starts_with("str") && d.len() > 4)
            .collect();
        assert!(after.is_empty(), "nothing drawn after finish: {drawn:?}");
    }
}
