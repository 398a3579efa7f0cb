//! Writing items to stdout as they arrive: table (for people), tsv, jsonl (objects exactly as
//! the service sent them) and json (one array, still streamed). A closed pipe surfaces as
//! `Error::BrokenPipe`, which `main` turns into a quiet exit 0. Progress goes to stderr, and only
//! when stderr is a terminal.

use crate::cli::OutputFormat;
use crate::error::Result;
use serde_json::Value;
use std::io::{BufWriter, Stdout, Write};

/// Which columns `table` and `tsv` show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// id, release_date, album_type, total_tracks, name
    Albums,
    /// type, id, name
    Search,
    /// items as JSON only (`api --paginate`)
    Raw,
}

pub struct Out {
    w: BufWriter<Stdout>,
    format: OutputFormat,
    shape: Shape,
    count: u64,
    /// stdout is a terminal: JSON gets C1/DEL/bidi escaped (see `sanitize`).
    terminal: bool,
}

fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or(&Value::Null)
}

/// A value as one tsv/table cell: no tabs or newlines, empty when absent (every field but
/// `id`/`name`/`type` may be missing in Development Mode).
fn cell(v: &Value) -> String {
    let s = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::sanitize::cell(&s)
}

impl Out {
    pub fn new(format: OutputFormat, shape: Shape) -> Out {
        let format = match (shape, format) {
            (Shape::Raw, OutputFormat::Table | OutputFormat::Tsv) => OutputFormat::Jsonl,
            (_, f) => f,
        };
        Out {
            w: BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            format,
            shape,
            count: 0,
            terminal: std::io::IsTerminal::is_terminal(&std::io::stdout()),
        }
    }

    pub fn item(&mut self, v: &Value) -> Result<()> {
        match self.format {
            OutputFormat::Jsonl => {
                self.json(v)?;
                self.w.write_all(b"\n")?;
            }
            OutputFormat::Json => {
                self.w
                    .write_all(if self.count == 0 { b"[\n" } else { b",\n" })?;
                self.json(v)?;
            }
            OutputFormat::Tsv => {
                let cols = self.columns(v);
                writeln!(self.w, "{}", cols.join("\t"))?;
            }
            OutputFormat::Table => {
                if self.count == 0 {
                    self.table_row(&self.header())?;
                }
                let cols = self.columns(v);
                self.table_row(&cols)?;
            }
        }
        self.count += 1;
        Ok(())
    }

    /// One item as JSON: the service's bytes in a pipe, terminal-safe escapes on a terminal.
    fn json(&mut self, v: &Value) -> Result<()> {
        if self.terminal {
            let text = serde_json::to_string(v).map_err(std::io::Error::from)?;
            self.w
                .write_all(crate::sanitize::json_for(text, true).as_bytes())?;
        } else {
            serde_json::to_writer(&mut self.w, v).map_err(std::io::Error::from)?;
        }
        Ok(())
    }

    fn header(&self) -> Vec<String> {
        let h: &[&str] = match self.shape {
            Shape::Albums => &["ID", "RELEASED", "TYPE", "TRACKS", "NAME"],
            Shape::Search | Shape::Raw => &["TYPE", "ID", "NAME"],
        };
        h.iter().map(|s| s.to_string()).collect()
    }

    fn columns(&self, v: &Value) -> Vec<String> {
        match self.shape {
            Shape::Albums => vec![
                cell(field(v, "id")),
                cell(field(v, "release_date")),
                cell(field(v, "album_type")),
                cell(field(v, "total_tracks")),
                cell(field(v, "name")),
            ],
            Shape::Search | Shape::Raw => vec![
                cell(field(v, "type")),
                cell(field(v, "id")),
                cell(field(v, "name")),
            ],
        }
    }

    /// Fixed-width columns (IDs are 22 characters, dates 10, types 11), so the table can stream;
    /// the name is last and needs no padding.
    fn table_row(&mut self, cols: &[String]) -> Result<()> {
        let widths: &[usize] = match self.shape {
            Shape::Albums => &[22, 10, 11, 6],
            Shape::Search | Shape::Raw => &[9, 22],
        };
        let mut line = String::new();
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            match widths.get(i) {
                Some(w) if self.shape == Shape::Albums && i == 3 => {
                    line.push_str(&format!("{c:>w$}"))
                }
                Some(w) => line.push_str(&format!("{c:<w$}")),
                None => line.push_str(c),
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
    pub fn flush(&mut self) -> Result<()> {
        self.w.flush()?;
        Ok(())
    }

    pub fn finish(mut self) -> Result<()> {
        if self.format == OutputFormat::Json {
            self.w
                .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        self.flush()
    }
}

/// A progress bar on stderr for long listings; does nothing when disabled (stderr not a
/// terminal, or `-q`) and stays hidden for listings of a few pages.
pub struct Progress {
    enabled: bool,
    bar: indicatif::ProgressBar,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        let bar = indicatif::ProgressBar::hidden();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} items {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Progress { enabled, bar }
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
                self.bar
                    .set_draw_target(indicatif::ProgressDrawTarget::stderr());
                self.bar
                    .enable_steady_tick(std::time::Duration::from_millis(120));
            }
            _ => self
                .bar
                .set_draw_target(indicatif::ProgressDrawTarget::hidden()),
        }
    }

    /// Runs `f` (which writes to the terminal) with the bar cleared, then redraws it.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        if self.enabled {
            self.bar.suspend(f)
        } else {
            f()
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
            self.bar.reset();
        }
    }
}
