//! spotctl: parse the command line, set up logging, run the command, and turn the outcome into
//! an exit code (SPEC §1). Nothing else happens here.

mod api;
mod auth;
mod cli;
mod commands;
mod context;
mod duration;
mod error;
mod output;
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
            eprintln!("spotctl: {e}");
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
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .collect();
    let msg = parts.join("; ");
    let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
    eprintln!("spotctl: {msg} (see `{help} --help`)");
    ExitCode::from(code::USAGE)
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
        write!(writer, "spotctl: {level}")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
