//! The first command of the README: runs one spotctl command against the bundled fake Spotify,
//! with no credentials, no account and no network:
//!
//! ```text
//! cargo run --example demo -- albums --artist 3qNVuliS40BLgXGxhdBdqu      # 57 albums
//! cargo run --example demo -- sh 'spotctl albums 3qNVuliS40BLgXGxhdBdqu | spotctl tracks -'
//! ```
//!
//! It builds spotctl (same profile as itself), starts the fake of `tests/support/` on a free
//! port of 127.0.0.1, points spotctl at it with the fake app's credentials and a throwaway
//! config directory, runs the given command and exits with its status. Nothing the user has
//! (real credentials, `SPOTCTL_ACCOUNT`, accounts in the config dir) is read or touched.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

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
    let spotctl = spotctl_binary()?;
    let fake = FakeSpotify::start_on(0, Mode::Dev2026)
        .map_err(|e| format!("cannot start the fake Spotify on 127.0.0.1: {e}"))?;
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    eprintln!(
        "demo: spotctl against a fake Spotify at {} (Development Mode rules), with a throwaway config dir; nothing leaves this machine",
        fake.accounts_base()
    );
    // `demo -- sh 'spotctl … | spotctl …'`: a pipeline of spotctl commands against the one fake
    // (and one app account), with `spotctl` on PATH.
    let mut cmd = match (args.first().and_then(|a| a.to_str()), args.get(1)) {
        (Some("sh"), Some(script)) if args.len() == 2 => {
            let mut c = Command::new("sh");
            let bin_dir = spotctl.parent().map(Path::to_path_buf).unwrap_or_default();
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![bin_dir];
            dirs.extend(std::env::split_paths(&path));
            let joined = std::env::join_paths(dirs).map_err(|e| format!("PATH: {e}"))?;
            c.arg("-c").arg(script).env("PATH", joined);
            c
        }
        _ => {
            let mut c = Command::new(&spotctl);
            c.args(args);
            c
        }
    };
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
        .map_err(|e| format!("cannot run {}: {e}", spotctl.display()))?;
    drop(fake);
    Ok(match status.code() {
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        // Killed by a signal (Ctrl-C): the shell's convention is 128 + the signal.
        None => ExitCode::from(130),
    })
}

/// The spotctl binary of this checkout, in the same target directory and profile as this
/// example (`target/debug/examples/demo` → `target/debug/spotctl`). `cargo run --example` does
/// not build the crate's binaries, so when cargo started us, build it first (a no-op when it is
/// up to date).
fn spotctl_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find myself: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("unexpected location {}", exe.display()))?;
    let bin = profile_dir.join(format!("spotctl{}", std::env::consts::EXE_SUFFIX));
    if let Some(cargo) = std::env::var_os("CARGO") {
        let mut build = Command::new(cargo);
        // The variables `cargo run` set for us describe this example, not the build we ask for.
        for (k, _) in std::env::vars_os() {
            if let Some(k) = k.to_str()
                && support::is_cargo_run_var(k)
            {
                build.env_remove(k);
            }
        }
        // Not --quiet: the first build takes minutes, and cargo's progress shows it is working.
        build.args(["build", "--bin", "spotctl", "--manifest-path"]);
        build.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => {}
            Some("release") => {
                build.arg("--release");
            }
            Some(other) => {
                build.args(["--profile", other]);
            }
        }
        let ok = build
            .status()
            .map_err(|e| format!("cannot run cargo to build spotctl: {e}"))?
            .success();
        if !ok {
            return Err("building spotctl failed (see cargo's messages above)".into());
        }
    }
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "{} not found; build it with `cargo build` or run `cargo run --example demo -- …`",
            bin.display()
        ))
    }
}
