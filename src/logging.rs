//! Logging: where log lines go (stderr), how much (`-q`, `-v`, `-vv`, `SPOTCTL_LOG`), and how
//! they look (`spotctl: warning: …`, sanitised like every other message). The HTTP stack's own
//! debug output never shows: it is not audited for secrets.

use crate::cli::GlobalArgs;
use crate::sanitize;
use std::io::IsTerminal;

/// Logs go to stderr, through the console thread: warnings by default, `-v` info, `-vv` debug
/// (one line per HTTP request), `-q` errors only; `SPOTCTL_LOG` (a tracing filter) overrides. Colour only on a terminal.
pub fn init(g: &GlobalArgs) {
    let level = match (g.quiet, g.verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        _ => "debug",
    };
    // The HTTP stack's debug/trace output is not audited for secrets: never below info, even
    // for a more specific target (`reqwest::connect=trace`).
    let filter = match std::env::var("SPOTCTL_LOG").ok().and_then(|f| {
        tracing_subscriber::EnvFilter::try_new(crate::hardening::quiet_libraries(&f)).ok()
    }) {
        Some(f) => f,
        // Our own logs at the chosen level; libraries' warnings only. The platform verifier
        // logs a refused certificate as an error: spotctl reports it itself (api/tls.rs).
        None => tracing_subscriber::EnvFilter::new(format!(
            "warn,rustls_platform_verifier=off,spotctl={level}"
        )),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Queued for the console thread: a stalled stderr never blocks the runtime, and info
        // and debug lines are dropped (and counted) rather than waited for (`console.rs`).
        .with_writer(crate::console::MakeLog)
        // Its report of a failed write goes through std's `eprintln!`, which panics when stderr
        // is a closed pipe: a log line nobody can read is dropped instead.
        .log_internal_errors(false)
        .with_ansi(std::io::stderr().is_terminal())
        .event_format(Lines)
        .try_init();
}

/// Log lines in the same voice as errors: `spotctl: warning: …`, `spotctl: …` (info),
/// `spotctl: debug: …`.
struct Lines;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Lines
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => "error: ",
            tracing::Level::WARN => "warning: ",
            tracing::Level::INFO => "",
            tracing::Level::DEBUG => "debug: ",
            tracing::Level::TRACE => "trace: ",
        };
        // Formatted apart first: log lines quote servers too, and go through the sanitiser.
        let mut text = String::new();
        ctx.field_format().format_fields(
            tracing_subscriber::fmt::format::Writer::new(&mut text),
            event,
        )?;
        writeln!(writer, "spotctl: {level}{}", sanitize::line(&text))
    }
}
