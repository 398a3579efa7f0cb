//! The one thread that writes stdout and stderr, so a reader that stops reading (`| less` on a
//! pause, a full 4 KiB stderr pipe nobody drains, a terminal held by Ctrl-S or tmux copy mode)
//! holds up this thread, never the runtime that reads responses: a blocked runtime turns
//! answered requests into timeouts and retries (SPEC §3 "Nothing blocks the runtime").
//!
//! Everything goes through one queue, in order: rows (`Out`'s pages), messages (`eprintln!`:
//! errors, a batch's failure lines, warnings), log lines (`tracing`) and progress-bar frames.
//! So with `2>&1` a failure line about item N comes after item N−1's rows, and a bar on the
//! terminal is cleared before rows or a message and drawn again after them.
//!
//! What waits when a reader stalls, and what does not:
//! - rows: at most [`PAGES_QUEUED`] pages wait; then the listing awaits a slot
//!   (asynchronously: back-pressure, not a stall);
//! - messages and warnings are never dropped (there are few: one per failed item);
//! - info/debug log lines and bar frames are dropped once [`LOG_BUDGET`] bytes of them are
//!   waiting, and counted: the count is said once stderr moves again;
//! - nobody ever blocks on a write but this thread.
//!
//! `main` calls [`shutdown`] last (through [`Shutdown`]), which writes what is queued and joins
//! the thread. Before the thread starts, or if it cannot, lines are written directly.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};

/// Pages of rows formatted and waiting for a slow reader before the listing waits too.
pub const PAGES_QUEUED: usize = 4;

/// Bytes of droppable lines (info, debug, bar frames) allowed to wait for a stalled stderr.
pub const LOG_BUDGET: usize = 256 << 10;

/// Clears the line the bar is on (a one-line bar; the cursor stays on it).
const CLEAR_BAR: &[u8] = b"\r\x1b[2K";

enum Msg {
    /// Rows for stdout; the permit is one of the [`PAGES_QUEUED`]
    /// slots, given back once written.
    Out(Vec<u8>, tokio::sync::OwnedSemaphorePermit),
    /// A stderr line; `counted` when it is inside the droppable budget.
    Line { bytes: Vec<u8>, counted: bool },
    /// A progress-bar frame; `visible` when it leaves a bar on the cursor's line.
    Frame { bytes: Vec<u8>, visible: bool },
    /// Answered once everything before it was written.
    Barrier(tokio::sync::oneshot::Sender<()>),
}

/// What droppable lines may wait, and how many were dropped.
#[derive(Default)]
struct Budget {
    /// Droppable bytes waiting.
    queued: AtomicUsize,
    /// Droppable lines dropped since the last note about it.
    dropped: AtomicU64,
}

impl Budget {
    /// Whether `len` more droppable bytes fit (and reserves them); counts a drop when not.
    fn reserve(&self, len: usize) -> bool {
        let before = self.queued.fetch_add(len, Ordering::AcqRel);
        if before + len > LOG_BUDGET {
            self.queued.fetch_sub(len, Ordering::AcqRel);
            self.dropped.fetch_add(1, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// `len` reserved bytes were written (or will not be queued after all).
    fn release(&self, len: usize) {
        self.queued.fetch_sub(len, Ordering::AcqRel);
    }

    /// Lines dropped since the last call.
    fn take_dropped(&self) -> u64 {
        self.dropped.swap(0, Ordering::AcqRel)
    }
}

struct Console {
    tx: Mutex<Option<mpsc::Sender<Msg>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    budget: Arc<Budget>,
    /// The first failed stdout write (a closed pipe, a full disk): later rows are discarded.
    stdout_error: Arc<Mutex<Option<(std::io::ErrorKind, String)>>>,
    slots: Arc<tokio::sync::Semaphore>,
}

static CONSOLE: OnceLock<Console> = OnceLock::new();

fn console() -> &'static Console {
    CONSOLE.get_or_init(|| {
        let (tx, rx) = mpsc::channel();
        let budget = Arc::new(Budget::default());
        let stdout_error = Arc::new(Mutex::new(None));
        let writer = Writer {
            budget: budget.clone(),
            stdout_error: stdout_error.clone(),
            stdout_tty: std::io::stdout().is_terminal(),
            bar: None,
        };
        let thread = std::thread::Builder::new()
            .name("console".into())
            .spawn(move || writer.run(rx))
            .ok();
        Console {
            tx: Mutex::new(thread.as_ref().map(|_| tx)),
            thread: Mutex::new(thread),
            budget,
            stdout_error,
            slots: Arc::new(tokio::sync::Semaphore::new(PAGES_QUEUED)),
        }
    })
}

impl Console {
    /// Queues `msg`; gives it back when there is no thread (not started, or shut down).
    fn send(&self, msg: Msg) -> Result<(), Msg> {
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        match tx.as_ref() {
            Some(tx) => tx.send(msg).map_err(|e| e.0),
            None => Err(msg),
        }
    }
}

fn direct_stderr(bytes: &[u8]) {
    let _ = std::io::stderr().write_all(bytes);
}

/// A message line for stderr (with its newline), never dropped.
#[cfg_attr(test, allow(dead_code))] // unit tests print through std's eprintln!, which the harness captures
pub fn line(bytes: Vec<u8>) {
    if let Err(Msg::Line { bytes, .. }) = console().send(Msg::Line {
        bytes,
        counted: false,
    }) {
        direct_stderr(&bytes);
    }
}

/// A log line for stderr; `droppable` ones (info, debug) are dropped, and counted, when
/// [`LOG_BUDGET`] bytes of them already wait for a stalled reader.
pub fn log(bytes: Vec<u8>, droppable: bool) {
    let c = console();
    let counted = droppable;
    if counted && !c.budget.reserve(bytes.len()) {
        return;
    }
    let len = bytes.len();
    if let Err(Msg::Line { bytes, .. }) = c.send(Msg::Line { bytes, counted }) {
        if counted {
            c.budget.release(len);
        }
        direct_stderr(&bytes);
    }
}

/// A progress-bar frame. Frames are droppable; one that clears the bar never is (a dropped
/// clear would leave a stale bar to be drawn again).
fn frame(bytes: Vec<u8>, visible: bool) {
    let c = console();
    if visible && !c.budget.reserve(bytes.len()) {
        return;
    }
    let len = bytes.len();
    if let Err(Msg::Frame { bytes, .. }) = c.send(Msg::Frame { bytes, visible }) {
        if visible {
            c.budget.release(len);
        }
        direct_stderr(&bytes);
    }
}

fn stdout_error() -> Option<std::io::Error> {
    console()
        .stdout_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(|(kind, msg)| std::io::Error::new(*kind, msg.clone()))
}

/// Queues rows for stdout. Waits (asynchronously) only while
/// [`PAGES_QUEUED`] pages already wait for a slow reader. Fails
/// with the first write error (a closed pipe: `BrokenPipe`).
pub async fn out(chunk: Vec<u8>) -> std::io::Result<()> {
    if let Some(e) = stdout_error() {
        return Err(e);
    }
    let c = console();
    let permit = c
        .slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| std::io::Error::other("the output queue is closed"))?;
    if let Err(Msg::Out(chunk, _)) = c.send(Msg::Out(chunk, permit)) {
        let mut out = std::io::stdout().lock();
        out.write_all(&chunk)?;
        out.flush()?;
    }
    Ok(())
}

/// Waits (asynchronously) until everything queued so far is written; the first stdout write
/// error, if any.
pub async fn drained() -> std::io::Result<()> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    if console().send(Msg::Barrier(tx)).is_ok() {
        let _ = rx.await;
    }
    match stdout_error() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Calls [`shutdown`] when dropped: `main` holds one, so every way out of it writes what is
/// queued first.
pub struct Shutdown;

impl Drop for Shutdown {
    fn drop(&mut self) {
        shutdown();
    }
}

/// Writes what is queued and stops the thread; later lines are written directly. Called as
/// `main` returns, after the runtime is gone.
pub fn shutdown() {
    let Some(c) = CONSOLE.get() else { return };
    drop(c.tx.lock().unwrap_or_else(|e| e.into_inner()).take());
    if let Some(t) = c.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
        let _ = t.join();
    }
}

/// The console thread's state.
struct Writer {
    budget: Arc<Budget>,
    stdout_error: Arc<Mutex<Option<(std::io::ErrorKind, String)>>>,
    stdout_tty: bool,
    /// The last frame, while it leaves a bar on the screen.
    bar: Option<Vec<u8>>,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        let mut err = std::io::stderr();
        for msg in rx {
            match msg {
                Msg::Out(chunk, permit) => {
                    self.rows(&chunk, &mut err);
                    drop(permit);
                }
                Msg::Line { bytes, counted } => {
                    if counted {
                        self.budget.release(bytes.len());
                    }
                    self.around_bar(&mut err, |err| {
                        let _ = err.write_all(&bytes);
                    });
                    self.note_dropped(&mut err);
                }
                Msg::Frame { bytes, visible } => {
                    if visible {
                        self.budget.release(bytes.len());
                    }
                    let _ = err.write_all(&bytes);
                    let _ = err.flush();
                    self.bar = visible.then_some(bytes);
                }
                Msg::Barrier(tx) => {
                    let _ = tx.send(());
                }
            }
        }
        self.note_dropped(&mut err);
    }

    /// Says how many log lines a stalled stderr cost, once it moves again.
    fn note_dropped(&mut self, err: &mut std::io::Stderr) {
        let n = self.budget.take_dropped();
        if n > 0 {
            self.around_bar(err, |err| {
                let _ = writeln!(
                    err,
                    "spotctl: warning: {n} log lines were not written: stderr was not being read"
                );
            });
        }
    }

    /// Runs `f` with the bar cleared, then draws it again.
    fn around_bar(&mut self, err: &mut std::io::Stderr, f: impl FnOnce(&mut std::io::Stderr)) {
        if self.bar.is_some() {
            let _ = err.write_all(CLEAR_BAR);
        }
        f(err);
        if let Some(b) = &self.bar {
            let _ = err.write_all(b);
        }
        let _ = err.flush();
    }

    fn rows(&mut self, chunk: &[u8], err: &mut std::io::Stderr) {
        // Never held while writing: the runtime reads it before queueing rows.
        let failed = || self.stdout_error.lock().unwrap_or_else(|e| e.into_inner());
        if failed().is_some() {
            return;
        }
        // A bar shares the terminal with rows only when stdout is one too.
        let hide = self.stdout_tty && self.bar.is_some();
        if hide {
            let _ = err.write_all(CLEAR_BAR);
            let _ = err.flush();
        }
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(chunk).and_then(|_| out.flush()) {
            *failed() = Some((e.kind(), e.to_string()));
        }
        if hide && let Some(b) = &self.bar {
            let _ = err.write_all(b);
            let _ = err.flush();
        }
    }
}

/// A progress bar's terminal: each frame is queued for the console thread, so drawing never
/// blocks the thread that advances the bar (the runtime, or indicatif's ticker).
#[derive(Debug, Default)]
pub struct BarTerm {
    /// The frame being drawn, and whether it leaves a bar on the cursor's line.
    frame: Mutex<(Vec<u8>, bool)>,
}

impl BarTerm {
    fn push(&self, bytes: &[u8], visible: Option<bool>) -> std::io::Result<()> {
        let mut f = self.frame.lock().unwrap_or_else(|e| e.into_inner());
        f.0.extend_from_slice(bytes);
        if let Some(v) = visible {
            f.1 = v;
        }
        Ok(())
    }

    fn cursor(&self, n: usize, dir: char) -> std::io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.push(format!("\x1b[{n}{dir}").as_bytes(), None)
    }
}

impl indicatif::TermLike for BarTerm {
    fn width(&self) -> u16 {
        ::console::Term::stderr().size().1
    }
    fn height(&self) -> u16 {
        ::console::Term::stderr().size().0
    }
    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.cursor(n, 'A')
    }
    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.cursor(n, 'B')
    }
    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.cursor(n, 'C')
    }
    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.cursor(n, 'D')
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.push(s.as_bytes(), Some(false))?;
        self.push(b"\n", None)
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        let visible = !s.trim().is_empty();
        self.push(s.as_bytes(), visible.then_some(true))
    }
    fn clear_line(&self) -> std::io::Result<()> {
        self.push(CLEAR_BAR, Some(false))
    }
    fn flush(&self) -> std::io::Result<()> {
        let (bytes, visible) = {
            let mut f = self.frame.lock().unwrap_or_else(|e| e.into_inner());
            let visible = f.1;
            (std::mem::take(&mut f.0), visible)
        };
        if !bytes.is_empty() {
            frame(bytes, visible);
        }
        Ok(())
    }
}

/// `tracing`'s writer: each event is one line, queued whole when the writer is dropped.
pub struct LogWriter {
    buf: Vec<u8>,
    droppable: bool,
}

impl Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            log(std::mem::take(&mut self.buf), self.droppable);
        }
    }
}

/// Makes [`LogWriter`]s: warnings and errors are never dropped, info and debug may be.
pub struct MakeLog;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for MakeLog {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> LogWriter {
        LogWriter {
            buf: Vec::new(),
            droppable: false,
        }
    }
    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> LogWriter {
        LogWriter {
            buf: Vec::new(),
            droppable: *meta.level() > tracing::Level::WARN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn droppable_lines_beyond_the_budget_are_dropped_and_counted() {
        let b = Budget::default();
        let line = 1000;
        let fit = LOG_BUDGET / line;
        assert!(
            (0..fit).all(|_| b.reserve(line)),
            "the budget holds {fit} lines"
        );
        assert!(
            !b.reserve(line) && !b.reserve(line),
            "then lines are dropped"
        );
        assert_eq!(b.take_dropped(), 2, "and counted");
        assert_eq!(b.take_dropped(), 0, "once");
        b.release(line);
        assert!(b.reserve(line), "room again once a line is written");
    }

    #[test]
    fn a_bar_frame_says_whether_it_leaves_a_bar_on_the_line() {
        use indicatif::TermLike;
        let t = BarTerm::default();
        t.clear_line().unwrap();
        t.write_str("⠁ 10/1000 items").unwrap();
        assert_eq!(
            *t.frame.lock().unwrap(),
            (b"\r\x1b[2K\xe2\xa0\x81 10/1000 items".to_vec(), true)
        );
        t.frame.lock().unwrap().0.clear();
        t.clear_line().unwrap();
        assert!(!t.frame.lock().unwrap().1, "a cleared line has no bar");
        t.move_cursor_up(0).unwrap();
        assert_eq!(t.frame.lock().unwrap().0, CLEAR_BAR, "no move for 0 lines");
    }
}
