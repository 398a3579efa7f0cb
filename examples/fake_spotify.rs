//! Runs the fake Spotify + Kakao service of spotctl's tests on its own, to try spotctl offline:
//!
//! ```text
//! cargo run --example fake_spotify -- --mode extended --latency-ms 50
//! ```
//!
//! It prints `export` lines to paste into a shell (and nothing else on stdout), logs each request
//! on stderr and serves until Ctrl-C. `cargo test --example fake_spotify` runs the fake's own tests.

#[path = "../tests/support/mod.rs"]
mod support;

// The fake's self-tests live beside it but are compiled only here, so they do not run again in
// every integration test binary that includes `tests/support`.
#[cfg(test)]
#[path = "../tests/support/fake/selftest.rs"]
mod selftest;
#[cfg(test)]
#[path = "../tests/support/fake/selftest_library.rs"]
mod selftest_library;

use std::collections::HashSet;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use support::fake::{
    ARTIST_57, ARTIST_1000, ARTIST_EMPTY, CLIENT_ID, CLIENT_SECRET, FakeSpotify, KAKAO_CLIENT_ID,
    Mode, RefreshBehavior,
};

const HELP: &str = "\
fake_spotify: a local fake of Spotify (Accounts service + Web API) and Kakao, to try spotctl offline.

Usage: cargo run --example fake_spotify -- [OPTIONS]

Options:
      --port N               listen on 127.0.0.1:N (default 0: any free port)
      --mode MODE            which kind of Spotify app to imitate (default dev-2026):
                               extended    every endpoint; page size up to 50 (default 20)
                               dev-legacy  Development Mode app from before 2026: batch endpoints
                                           answer 403; page size up to 50
                               dev-2026    Development Mode under the 2026 rules: endpoints and
                                           fields removed; page size up to 10 (default 5)
      --latency-ms N         wait N ms before every response (default 0)
      --quota N/SECS         at most N Web API requests in any rolling SECS seconds; one more
                             gets a 429 with Retry-After until the window frees (try --rate)
      --refresh-tokens KIND  what a token refresh returns (default none):
                               none        no new refresh token (Spotify since mid-2026)
                               rotating    a new refresh token each time, the old one revoked
                               expired     every refresh fails with invalid_grant
  -q, --quiet                do not log requests on stderr
  -h, --help                 print this help

Prints `export` lines for your shell on stdout (nothing else: paste them all), then serves
until Ctrl-C. SPOTCTL_CONFIG_DIR is a new directory, deleted when the fake stops, so the fake's
accounts never mix with your real ones. Logins are approved at once as user \"alice\". Registered redirect URIs: http://127.0.0.1:8888/callback and
http://127.0.0.1/callback (any port).

Catalog: artists 3qNVuliS40BLgXGxhdBdqu (57 albums), 5BigCatalogArtistAAAAA (1000),
0NoAlbumsArtistAAAAAAA (none); shows 4TaeyeonRadioDiaryShow (57 episodes), 3TinyShowAAAAAAAAAAAAA
(3); audiobook 7AudiobookOfSeasonsAAA; playlists 37i9dQZAliceMixAAAAAAA (alice's, 60 entries)
and 37i9dQZBobRoadTripAAAA (bob's): in dev-2026 mode only their owner reads their items, and
/playlists/{id}/tracks and the batch endpoints (/albums?ids=…) answer 403.
";

struct Options {
    port: u16,
    mode: Mode,
    latency_ms: u64,
    quota: Option<(usize, u64)>,
    refresh: RefreshBehavior,
    quiet: bool,
}

/// `Ok(None)` means help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o = Options {
        port: 0,
        mode: Mode::Dev2026,
        latency_ms: 0,
        quota: None,
        refresh: RefreshBehavior::None2026,
        quiet: false,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg, None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "-q" | "--quiet" => o.quiet = true,
            "--port" => {
                let v = value("--port")?;
                o.port = v.parse().map_err(|_| format!("bad --port: {v}"))?;
            }
            "--mode" => {
                let v = value("--mode")?;
                o.mode = Mode::parse(&v).ok_or_else(|| format!("bad --mode: {v}"))?;
            }
            "--latency-ms" => {
                let v = value("--latency-ms")?;
                o.latency_ms = v.parse().map_err(|_| format!("bad --latency-ms: {v}"))?;
            }
            "--quota" => {
                let v = value("--quota")?;
                let bad = || format!("bad --quota: {v} (want N/SECS, e.g. 100/30)");
                let (n, secs) = v.split_once('/').ok_or_else(bad)?;
                o.quota = Some((
                    n.parse().map_err(|_| bad())?,
                    secs.parse().map_err(|_| bad())?,
                ));
            }
            "--refresh-tokens" => {
                let v = value("--refresh-tokens")?;
                o.refresh = RefreshBehavior::parse(&v)
                    .ok_or_else(|| format!("bad --refresh-tokens: {v}"))?;
            }
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(Some(o))
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("fake_spotify: {e} (see --help)");
            return ExitCode::from(2);
        }
    };
    let fake = match FakeSpotify::start_on(opts.port, opts.mode) {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "fake_spotify: cannot listen on 127.0.0.1:{}: {e}",
                opts.port
            );
            return ExitCode::FAILURE;
        }
    };
    fake.set_latency_ms(opts.latency_ms);
    if let Some((n, secs)) = opts.quota {
        fake.set_quota(n, std::time::Duration::from_secs(secs));
    }
    fake.set_refresh_behavior(opts.refresh);

    // A config directory for the fake's accounts, so they never land among the real ones (a
    // cron `refresh --all` would then fail on them). Deleted when the fake stops.
    let config = match tempfile::Builder::new().prefix("spotctl-fake-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("fake_spotify: cannot make a config directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let base = fake.accounts_base();
    // stdout holds only lines to paste, each complete and safe in any POSIX shell (no comments:
    // zsh's interactive shell runs `#` lines as commands). Everything else goes to stderr.
    for (name, value) in [
        ("SPOTCTL_API_BASE", fake.api_base()),
        ("SPOTCTL_ACCOUNTS_BASE", base.clone()),
        ("SPOTIFY_CLIENT_ID", CLIENT_ID.to_string()),
        ("SPOTIFY_CLIENT_SECRET", CLIENT_SECRET.to_string()),
        ("SPOTCTL_KAKAO_AUTH_BASE", fake.kakao_auth_base()),
        ("SPOTCTL_KAKAO_API_BASE", fake.kakao_api_base()),
        ("SPOTCTL_CONFIG_DIR", config.path().display().to_string()),
    ] {
        println!("export {name}={}", shell_quoted(&value));
    }
    eprintln!(
        "fake_spotify: fake Spotify + Kakao at {base} (mode {}); paste the export lines above into your shell",
        opts.mode.as_str()
    );
    eprintln!(
        "fake_spotify: SPOTCTL_CONFIG_DIR is a new directory for the fake's accounts (your real ones stay apart), deleted when the fake stops"
    );
    eprintln!("fake_spotify: Kakao REST API key (client id): {KAKAO_CLIENT_ID}");
    eprintln!(
        "fake_spotify: sample artists: {ARTIST_57} (57 albums), {ARTIST_1000} (1000 albums), {ARTIST_EMPTY} (none); try: spotctl albums --artist {ARTIST_57}"
    );
    let _ = std::io::stdout().flush();
    // The readiness line: everything to paste is out, and requests are served from now on.
    eprintln!("fake_spotify: serving until Ctrl-C");

    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fake_spotify: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = log_requests(&fake, opts.quiet) => {}
        }
    });
    eprintln!("fake_spotify: stopped");
    drop(config);
    ExitCode::SUCCESS
}

/// `value` as one shell word: as it is when it is plainly safe, else in single quotes.
fn shell_quoted(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/:._-+=,@%".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// Prints each finished request on stderr (never tokens or form bodies), polling the log.
async fn log_requests(fake: &FakeSpotify, quiet: bool) {
    if quiet {
        return std::future::pending().await;
    }
    let mut printed = HashSet::new();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        for r in fake.requests() {
            if r.done_ms == 0 || !printed.insert(r.seq) {
                continue;
            }
            let query = if r.query.is_empty() || r.path.ends_with("/authorize") {
                String::new()
            } else {
                format!("?{}", r.query)
            };
            let outcome = match r.status {
                0 => "connection reset".to_string(),
                s => s.to_string(),
            };
            eprintln!(
                "{} {}{query} -> {outcome} (connection {}, {} ms)",
                r.method,
                r.path,
                r.conn,
                r.done_ms.saturating_sub(r.at_ms)
            );
        }
    }
}
