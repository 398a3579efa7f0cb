//! spotctl: parse the command line, set up logging, run the command, and turn the outcome into
//! an exit code (SPEC §1). Nothing else happens here.

/// `eprintln!` that never panics: std's panics when stderr is a closed pipe (`2>&1 | head
/// -1`), which would stop `refresh --all` part-way with exit 101. A message nobody can read is
/// dropped; the exit code still tells. Defined before the modules so it shadows std's in all.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod api;
mod auth;
mod cli;
mod commands;
mod context;
mod duration;
mod error;
mod output;
mod sanitize;
mod secret;
mod store;

use clap::Parser;
use cli::{Cli, Command};
use context::Ctx;
use error::{Error, code};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return clap_error(e),
    };
    init_tracing(&cli.global);
    let result = Ctx::new(&cli.global).and_then(|ctx| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("starting the runtime: {e}")))?;
        let r = rt.block_on(run(Arc::new(ctx), cli.command));
        // Do not wait for background work (a stdin reader, aborted page fetches).
        rt.shutdown_background();
        r
    });
    match result {
        Ok(()) | Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(Error::Reported(c)) => ExitCode::from(c),
        Err(e) => {
            // Messages quote servers and files: never raw controls, never a flood (SPEC §3).
            eprintln!("spotctl: {}", sanitize::line(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}

async fn run(ctx: Arc<Ctx>, command: Command) -> error::Result<()> {
    match command {
        Command::Login(a) => auth::login::run(&ctx, a).await,
        Command::Refresh(a) => commands::refresh::run(ctx, a).await,
        Command::Token(a) => commands::token::run(ctx, a).await,
        Command::Accounts => commands::accounts::run(&ctx),
        Command::Logout(a) => commands::logout::run(&ctx, a).await,
        Command::Search(a) => commands::search::run(ctx, a).await,
        Command::Albums(a) => commands::albums::run(ctx, a).await,
        Command::Api(a) => commands::api::run(ctx, a).await,
        Command::Completions { shell } => commands::completions::run(shell),
        Command::Man => commands::man::run(),
    }
}

/// clap's errors as one `spotctl:` line (exit 2); `--help` and `--version` as clap prints them.
fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(code::USAGE)
        } else {
            ExitCode::SUCCESS
        };
    }
    let text = e.render().to_string();
    // Point at the help of the subcommand being used, as clap parsed it (not a guess from argv,
    // which may hold an option's value or bytes that are not UTF-8).
    let sub = <Cli as clap::CommandFactory>::command()
        .ignore_errors(true)
        .try_get_matches_from(std::env::args_os())
        .ok()
        .and_then(|m| m.subcommand_name().map(str::to_string));
    let help = sub.map_or_else(|| "spotctl".to_string(), |s| format!("spotctl {s}"));
    let msg = one_line(&text);
    let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
    eprintln!("spotctl: {msg} (see `{help} --help`)");
    ExitCode::from(code::USAGE)
}

/// clap's multi-line error as one sentence: a list under a line ending in `:` joins it with
/// commas, `[possible values: …]` becomes a parenthesis, a `tip:` follows after `;`. The usage
/// block and the "For more information" line go (the message points at `--help` instead).
fn one_line(text: &str) -> String {
    let mut out = String::new();
    let mut in_list = false;
    let mut in_usage = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            in_usage = false;
            in_list = false;
            continue;
        }
        if line.starts_with("Usage:") {
            in_usage = true;
            continue;
        }
        if in_usage || line.starts_with("For more information") {
            continue;
        }
        let item = raw.starts_with(' ') && !line.starts_with("tip:");
        if out.is_empty() {
            out.push_str(line);
        } else if let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push_str(" (");
            out.push_str(inner);
            out.push(')');
        } else if item && out.ends_with(':') {
            out.push(' ');
            out.push_str(line);
            in_list = true;
            continue;
        } else if item && in_list {
            out.push_str(", ");
            out.push_str(line);
            continue;
        } else {
            out.push_str("; ");
            out.push_str(line);
        }
        in_list = false;
    }
    out
}

/// Logs go to stderr: warnings by default, `-v` info, `-vv` debug (one line per HTTP request),
/// `-q` errors only; `SPOTCTL_LOG` (a tracing filter) overrides. Colour only on a terminal.
fn init_tracing(g: &cli::GlobalArgs) {
    let level = match (g.quiet, g.verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        _ => "debug",
    };
    let filter = match std::env::var("SPOTCTL_LOG")
        .ok()
        .and_then(|f| tracing_subscriber::EnvFilter::try_new(f).ok())
    {
        // The HTTP stack's debug/trace output is not audited for secrets: never below info.
        Some(mut f) => {
            for lib in [
                "hyper",
                "hyper_util",
                "reqwest",
                "h2",
                "rustls",
                "rustls_platform_verifier",
                "axum",
            ] {
                if let Ok(d) = format!("{lib}=info").parse() {
                    f = f.add_directive(d);
                }
            }
            f
        }
        // Our own logs at the chosen level; libraries' warnings only. The platform verifier
        // logs a refused certificate as an error: spotctl reports it itself (api/tls.rs).
        None => tracing_subscriber::EnvFilter::new(format!(
            "warn,rustls_platform_verifier=off,spotctl={level}"
        )),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
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

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn clap_errors_become_one_sentence() {
        assert_eq!(
            one_line(
                "error: the following required arguments were not provided:\n  <QUERY>\n  --artist <ARTIST>\n\nUsage: spotctl search <QUERY>\n\nFor more information, try '--help'.\n"
            ),
            "error: the following required arguments were not provided: <QUERY>, --artist <ARTIST>"
        );
        assert_eq!(
            one_line(
                "error: invalid value 'x' for '--output <FORMAT>'\n  [possible values: table, tsv]\n\n  tip: a similar value exists: 'tsv'\n\nFor more information, try '--help'.\n"
            ),
            "error: invalid value 'x' for '--output <FORMAT>' (possible values: table, tsv); tip: a similar value exists: 'tsv'"
        );
        assert_eq!(
            one_line(
                "error: unexpected argument '--x' found\n\nUsage: spotctl [OPTIONS]\n  more usage\n"
            ),
            "error: unexpected argument '--x' found"
        );
    }
}
