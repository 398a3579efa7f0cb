//! spotctl: parse the command line, set up logging, run the command, and turn the outcome into
//! an exit code (SPEC §1). Nothing else happens here.

#[macro_use]
mod macros; // `eprintln!` through the console thread, for every module below
// `pub(crate)`, as private here: examples/demo.rs compiles this file as a module and runs `main`.
pub(crate) mod api;
pub(crate) mod auth;
pub(crate) mod cli;
pub(crate) mod commands;
pub(crate) mod console;
pub(crate) mod context;
pub(crate) mod duration;
pub(crate) mod env;
pub(crate) mod error;
pub(crate) mod hardening;
pub(crate) mod logging;
pub(crate) mod output;
pub(crate) mod sanitize;
pub(crate) mod secret;
pub(crate) mod store;

use clap::Parser;
use cli::{Cli, Command};
use context::Ctx;
use error::Error;
use std::process::ExitCode;

pub(crate) fn main() -> ExitCode {
    let _written = console::Shutdown; // what is queued for stdout and stderr, before the exit
    if let Some(code) = hardening::startup() {
        return code;
    }
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
        let r = rt.block_on(async {
            let r = run(std::sync::Arc::new(ctx), cli.command).await;
            store::blocking::settle().await; // saves only the next run needs (a page size)
            r
        });
        rt.shutdown_background(); // not waiting for a stdin reader or aborted page fetches
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

async fn run(ctx: std::sync::Arc<Ctx>, command: Command) -> error::Result<()> {
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
