//! The first command of the README: runs one spotctl command against the bundled fake Spotify,
//! with no credentials, no account and no network:
//!
//! ```text
//! cargo run --example demo -- albums --artist 3qNVuliS40BLgXGxhdBdqu      # 57 albums
//! cargo run --example demo -- sh 'spotctl albums 3qNVuliS40BLgXGxhdBdqu | spotctl tracks -'
//! ```
//!
//! It starts the fake of `tests/support/` on a free port of 127.0.0.1, points spotctl at it
//! with the fake app's credentials and a throwaway config directory, runs the given command and
//! exits with its status. Nothing the user has (real credentials, `SPOTCTL_ACCOUNT`, accounts in
//! the config dir) is read or touched.
//!
//! spotctl's own code is compiled into this example (`src/main.rs` as the module `spotctl`), so
//! `cargo run --example demo` builds spotctl once, with no second `cargo build` of the binary
//! (which `cargo run --example` does not build). The command runs in a child process of this
//! same executable (marked by [`CHILD`]), with its environment set at spawn: spotctl reads its
//! settings from the environment, and a child gets them without touching this process's.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "../src/main.rs"]
mod spotctl;
// spotctl's modules name each other `crate::api`, `crate::error`, …: make them resolve here.
use spotctl::*;

use std::process::{Command, ExitCode};

/// Set in the child that runs spotctl itself; the value is the demo's process id.
const CHILD: &str = "SPOTCTL_DEMO_CHILD";

use support::fake::{
    ARTIST_57, ARTIST_1000, ARTIST_EMPTY, CLIENT_ID, CLIENT_SECRET, FakeSpotify, Mode,
};

fn help() -> String {
    format!(
        "\
demo: runs one spotctl command against a local fake of Spotify (no credentials, no network).

Usage: cargo run --example demo -- <SPOTCTL ARGUMENTS>

Examples:
  cargo run --example demo -- albums --artist {ARTIST_57}
  cargo run --example demo -- albums --artist {ARTIST_57} -o tsv
  cargo run --example demo -- search taeyeon --type artist,album
  cargo run --example demo -- albums --artist {ARTIST_1000} -o jsonl | wc -l
  cargo run --example demo -- sh 'spotctl search 태연 --type artist --limit 1 | spotctl albums - | spotctl tracks - -o csv'

`sh SCRIPT` runs a shell pipeline of spotctl commands (spotctl on PATH) against one fake.

The fake follows Spotify's 2026 Development Mode rules (10 items a page). Artists:
{ARTIST_57} (57 albums), {ARTIST_1000} (1000 albums), {ARTIST_EMPTY} (none).
Each run starts from an empty config directory that is deleted afterwards; to keep a fake
running between commands, use `cargo run --example fake_spotify` (see README).
"
    )
}

fn main() -> ExitCode {
    if std::env::var_os(CHILD).is_some() {
        return spotctl::main();
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    match args.first().and_then(|a| a.to_str()) {
        None => {
            eprint!("{}", help());
            return ExitCode::from(2);
        }
        Some("-h" | "--help") if args.len() == 1 => {
            print!("{}", help());
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[std::ffi::OsString]) -> Result<ExitCode, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find myself: {e}"))?;
    let fake = FakeSpotify::start_on(0, Mode::Dev2026)
        .map_err(|e| format!("cannot start the fake Spotify on 127.0.0.1: {e}"))?;
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    eprintln!(
        "demo: spotctl against a fake Spotify at {} (Development Mode rules), with a throwaway config dir; nothing leaves this machine",
        fake.accounts_base()
    );
    // `demo -- sh 'spotctl … | spotctl …'`: a pipeline of spotctl commands against the one fake
    // (and one app account), with `spotctl` on PATH: this executable under that name.
    let mut cmd = match (args.first().and_then(|a| a.to_str()), args.get(1)) {
        (Some("sh"), Some(script)) if args.len() == 2 => {
            let bin_dir = dir.path().join("bin");
            std::fs::create_dir(&bin_dir).map_err(|e| format!("{}: {e}", bin_dir.display()))?;
            let link = bin_dir.join(format!("spotctl{}", std::env::consts::EXE_SUFFIX));
            #[cfg(unix)]
            std::os::unix::fs::symlink(&me, &link)
                .map_err(|e| format!("{}: {e}", link.display()))?;
            #[cfg(not(unix))]
            std::fs::copy(&me, &link).map_err(|e| format!("{}: {e}", link.display()))?;
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![bin_dir];
            dirs.extend(std::env::split_paths(&path));
            let joined = std::env::join_paths(dirs).map_err(|e| format!("PATH: {e}"))?;
            let mut c = Command::new("sh");
            c.arg("-c").arg(script).env("PATH", joined);
            c
        }
        _ => {
            let mut c = Command::new(&me);
            // spotctl's usage lines name `argv[0]`: say spotctl, not demo.
            #[cfg(unix)]
            std::os::unix::process::CommandExt::arg0(&mut c, "spotctl");
            c.args(args);
            c
        }
    };
    cmd.env(CHILD, std::process::id().to_string());
    // The user's own settings must not leak in (a real account, real credentials, a proxy).
    for v in [
        "SPOTCTL_ACCOUNT",
        "SPOTIPY_CLIENT_ID",
        "SPOTIPY_CLIENT_SECRET",
        "SPOTIPY_REDIRECT_URI",
        "SPOTIFY_REDIRECT_URI",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("SPOTCTL_CONFIG_DIR", dir.path().join("config"))
        .env("SPOTCTL_API_BASE", fake.api_base())
        .env("SPOTCTL_ACCOUNTS_BASE", fake.accounts_base())
        .env("SPOTCTL_KAKAO_AUTH_BASE", fake.kakao_auth_base())
        .env("SPOTCTL_KAKAO_API_BASE", fake.kakao_api_base())
        .env("SPOTIFY_CLIENT_ID", CLIENT_ID)
        .env("SPOTIFY_CLIENT_SECRET", CLIENT_SECRET)
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {}: {e}", me.display()))?;
    drop(fake);
    Ok(match status.code() {
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        // Killed by a signal (Ctrl-C): the shell's convention is 128 + the signal.
        None => ExitCode::from(130),
    })
}
