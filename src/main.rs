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
mod env;
mod error;
mod logging;
mod output;
mod sanitize;
mod secret;
mod store;

use clap::Parser;
use cli::{Cli, Command};
use context::Ctx;
use error::Error;
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return cli::usage::report(e),
    };
    logging::init(&cli.global);
    let result = cli::global::context(&cli.global).and_then(|ctx| {
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
        Command::Login(a) => commands::login::run(&ctx, a).await,
        Command::Refresh(a) => commands::refresh::run(ctx, a).await,
        Command::Token(a) => commands::token::run(ctx, a).await,
        Command::Accounts => commands::accounts::run(&ctx),
        Command::Logout(a) => commands::logout::run(&ctx, a).await,
        Command::Search(a) => commands::search::run(ctx, a).await,
        Command::Albums(a) => commands::albums::run(ctx, a).await,
        Command::Tracks(a) => commands::tracks::run(ctx, a).await,
        Command::Get(a) => commands::get::run(ctx, a).await,
        Command::Api(a) => commands::api::run(ctx, a).await,
        Command::Completions { shell } => commands::completions::run(shell),
        Command::Man => commands::man::run(),
    }
}
