//! What the process does to keep its secrets to itself (SECURITY.md, "Other users on the same
//! machine" and "Secrets in memory"):
//! - [`protect_memory`]: like ssh-agent, the process is made non-dumpable (Linux
//!   `prctl(PR_SET_DUMPABLE, 0)`: no core dump, and no ptrace or `/proc/PID/mem`/`environ` by
//!   other processes of the same user) and its core size limit is 0, before anything else
//!   ([`startup`]): every command but `completions` and `man` holds a token or a secret.
//! - [`raise_fd_limit`]: the soft open-file limit raised to the hard one, so idle connections
//!   to the login callback cannot use up a 1024 soft limit.
//! - [`quiet_libraries`]: `SPOTCTL_LOG` may turn spotctl's own logs up, never the HTTP and TLS
//!   libraries' (their debug output is not audited for secrets).
//! - [`read_named_file`]: files the user names (a client secret, a CA bundle) are read with a
//!   cap, and only when they are regular files (`/dev/zero` is exit 2, not 500 MB of memory).
//! - [`secret_bearing`] and [`browser_helper`]: the browser is started by a child spotctl
//!   whose environment holds no secret-bearing variable (`SPOTIFY_CLIENT_SECRET`, `*_TOKEN`…),
//!   and whose argv holds only the path of a page only this user can read.

use std::path::Path;

/// The first thing `main` does: as the browser launcher ([`browser_helper`]), open the page
/// and give the exit code; otherwise [`protect_memory`] (every command but `completions` and
/// `man` holds a token or a secret, and those two lose nothing by it) and go on.
pub fn startup() -> Option<std::process::ExitCode> {
    let helper = browser_helper();
    if helper.is_none() {
        protect_memory();
    }
    helper
}

/// Makes the process non-dumpable and sets its core size to 0 (Linux; elsewhere the core
/// limit only). Failures are ignored: this is defence in depth, not a condition to run.
pub fn protect_memory() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let max = getrlimit(Resource::Core).maximum;
        let _ = setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: max,
            },
        );
    }
}

/// Raises the soft limit on open files to the hard limit (capped at 1 Mi: macOS reports an
/// unlimited hard limit it does not accept).
pub fn raise_fd_limit() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let now = getrlimit(Resource::Nofile);
        let want = now.maximum.unwrap_or(1 << 20).min(1 << 20);
        if now.current.is_some_and(|c| c < want) {
            let _ = setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(want),
                    maximum: now.maximum,
                },
            );
        }
    }
}

/// Libraries whose own logs stay at info or above whatever `SPOTCTL_LOG` says.
pub const LIBRARIES: &[&str] = &[
    "hyper",
    "hyper_util",
    "reqwest",
    "h2",
    "rustls",
    "rustls_platform_verifier",
    "axum",
    "tower",
    "tokio_rustls",
    "webbrowser",
];

/// `SPOTCTL_LOG` with every directive that would turn one of [`LIBRARIES`] (or one of their
/// modules: `reqwest::connect=trace`) above info dropped, and any that filters by span
/// (`[span]=trace` would enable the libraries' events inside it); then each library not
/// lowered by the user is capped at info. A bare level (`trace`) is kept: the per-library
/// directives are more specific and win over it. A library may be made quieter
/// (`hyper=off`), never louder.
pub fn quiet_libraries(filter: &str) -> String {
    const QUIET: &[&str] = &["off", "error", "warn", "info", "0", "1", "2", "3"];
    const LEVELS: &[&str] = &["trace", "debug", "4", "5"];
    let is_lib = |target: &str| {
        LIBRARIES
            .iter()
            .any(|lib| target == *lib || target.starts_with(&format!("{lib}::")))
    };
    let mut lowered = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    for d in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        if d.contains('[') {
            continue;
        }
        let (target, level) = match d.rsplit_once('=') {
            Some((t, l)) => (t, Some(l.to_ascii_lowercase())),
            None => (d, None),
        };
        let bare_level = level.is_none()
            && (QUIET.contains(&d.to_ascii_lowercase().as_str())
                || LEVELS.contains(&d.to_ascii_lowercase().as_str()));
        if !bare_level && is_lib(target) {
            // A bare target (`hyper`) means every level.
            match level {
                Some(l) if QUIET.contains(&l.as_str()) => lowered.push(target.to_string()),
                _ => continue,
            }
        }
        kept.push(d.to_string());
    }
    kept.extend(
        LIBRARIES
            .iter()
            .filter(|lib| !lowered.iter().any(|t| t == *lib))
            .map(|lib| format!("{lib}=info")),
    );
    kept.join(",")
}

/// Reads a file the user named, refusing anything but a regular file and anything larger than
/// `cap` bytes. The error is a phrase for a usage message ("is not a regular file …").
pub fn read_named_file(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    // A FIFO must not hang the open.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = opts
        .open(path)
        .map_err(|e| format!("cannot read it: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read it: {e}"))?;
    if !meta.is_file() {
        return Err("it is not a regular file (a device, FIFO or directory)".into());
    }
    if meta.len() > cap {
        return Err(format!("it is larger than {}", human_size(cap)));
    }
    let mut buf = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if buf.len() as u64 > cap {
        return Err(format!("it is larger than {}", human_size(cap)));
    }
    Ok(buf)
}

fn human_size(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{} MiB", n >> 20)
    } else {
        format!("{} KiB", n >> 10)
    }
}

/// Whether an environment variable may carry a credential, so it is not passed on to the
/// browser: spotctl's and spotipy's own variables, and any name with SECRET, TOKEN, PASSWORD,
/// PASSWD, CREDENTIAL or API_KEY/APIKEY in it (`GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`).
/// Deliberately not "AUTH" or "SESSION": `XAUTHORITY` and `DBUS_SESSION_BUS_ADDRESS` are what a
/// browser needs to show a window.
pub fn secret_bearing(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    n.starts_with("SPOTIFY_")
        || n.starts_with("SPOTIPY_")
        || [
            "SECRET",
            "TOKEN",
            "PASSWORD",
            "PASSWD",
            "CREDENTIAL",
            "API_KEY",
            "APIKEY",
        ]
        .iter()
        .any(|p| n.contains(p))
}

/// The argument that starts a spotctl as the browser launcher (never typed by a person).
pub const BROWSER_HELPER: &str = "--internal-open-browser";

/// When this process was started as the browser launcher (`spotctl --internal-open-browser
/// PATH`): opens `PATH` in the default browser and returns the exit code. `None` otherwise.
pub fn browser_helper() -> Option<std::process::ExitCode> {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(std::ffi::OsStr::new(BROWSER_HELPER)) {
        return None;
    }
    let page = args.next()?;
    let page = page.to_str()?;
    Some(match webbrowser::open(page) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::FAILURE,
    })
}

/// Opens `page` (a local file) in the browser from a child spotctl without the secret-bearing
/// variables; true when a browser was started.
pub fn open_in_browser(page: &Path) -> bool {
    let Ok(exe) = std::env::current_exe() else {
        return false;
    };
    let mut c = std::process::Command::new(exe);
    c.arg(BROWSER_HELPER).arg(page);
    for (k, _) in std::env::vars_os() {
        if k.to_str().is_none_or(secret_bearing) {
            c.env_remove(k);
        }
    }
    c.status().is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spotctl_log_never_turns_the_libraries_back_on() {
        let f = quiet_libraries("reqwest::connect=trace,hyper_util=trace,spotctl=debug,trace");
        assert!(
            !f.contains("=trace,hyper") && !f.contains("reqwest::connect"),
            "{f}"
        );
        assert!(f.starts_with("spotctl=debug,trace,hyper=info"), "{f}");
        let f = quiet_libraries("[conn]=trace");
        assert!(!f.contains("[conn]"), "{f}");
        let f = tracing_subscriber::EnvFilter::try_new(quiet_libraries("h2::codec=trace,debug"));
        assert!(f.is_ok());
        // Quieter is allowed, a bare target (every level) is not.
        let f = quiet_libraries("hyper=off,rustls,reqwest=DEBUG");
        assert!(f.starts_with("hyper=off,hyper_util=info"), "{f}");
        assert!(!f.contains("hyper=info") && !f.contains("rustls,") && !f.contains("DEBUG"));
    }

    #[test]
    fn secret_bearing_variables_are_found_and_the_desktop_ones_kept() {
        for n in [
            "SPOTIFY_CLIENT_SECRET",
            "SPOTIPY_CLIENT_ID",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "my_api_key",
            "PGPASSWORD",
        ] {
            assert!(secret_bearing(n), "{n}");
        }
        for n in [
            "DISPLAY",
            "XAUTHORITY",
            "DBUS_SESSION_BUS_ADDRESS",
            "WAYLAND_DISPLAY",
            "HOME",
            "PATH",
            "BROWSER",
            "XDG_RUNTIME_DIR",
        ] {
            assert!(!secret_bearing(n), "{n}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn named_files_are_capped_and_must_be_regular() {
        let e = read_named_file(Path::new("/dev/zero"), 4096).unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("big");
        std::fs::write(&p, vec![b'a'; 5000]).unwrap();
        assert!(read_named_file(&p, 4096).unwrap_err().contains("4 KiB"));
        assert_eq!(read_named_file(&p, 5000).unwrap().len(), 5000);
    }
}
