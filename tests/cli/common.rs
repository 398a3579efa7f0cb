//! The test harness: a fake service plus a private config dir, and a `spotctl` command wired to
//! both (never the real home, never a real host).

pub use crate::support::fake::*;
use std::path::PathBuf;
use std::process::Output;

pub struct T {
    pub fake: FakeSpotify,
    pub dir: tempfile::TempDir,
}

impl T {
    pub fn new() -> T {
        T::with(Mode::Dev2026)
    }

    pub fn with(mode: Mode) -> T {
        T {
            fake: FakeSpotify::start_with(mode),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn account_path(&self, name: &str) -> PathBuf {
        self.config().join("accounts").join(format!("{name}.json"))
    }

    /// Points `c` at the fake and a private config dir, with the fake app's credentials and
    /// short backoff steps so retry tests are quick (never the real home, never a real host).
    pub fn apply_env(&self, c: &mut std::process::Command) {
        for v in [
            "SPOTCTL_ACCOUNT",
            "SPOTCTL_LOG",
            "SPOTIPY_CLIENT_ID",
            "SPOTIPY_CLIENT_SECRET",
            "SPOTIPY_REDIRECT_URI",
            "SPOTIFY_REDIRECT_URI",
            "BROWSER",
            // The developer's own proxy and CA settings must not reach the fake.
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
        ] {
            c.env_remove(v);
        }
        c.env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("SPOTCTL_CONFIG_DIR", self.config())
            .env("SPOTCTL_API_BASE", self.fake.api_base())
            .env("SPOTCTL_ACCOUNTS_BASE", self.fake.accounts_base())
            .env("SPOTCTL_KAKAO_AUTH_BASE", self.fake.kakao_auth_base())
            .env("SPOTCTL_KAKAO_API_BASE", self.fake.kakao_api_base())
            .env("SPOTIFY_CLIENT_ID", CLIENT_ID)
            .env("SPOTIFY_CLIENT_SECRET", CLIENT_SECRET)
            .env("SPOTCTL_RETRY_BASE_MS", "20");
    }

    /// The `spotctl` binary with [`T::apply_env`].
    pub fn std_cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_spotctl"));
        self.apply_env(&mut c);
        c
    }

    /// [`T::std_cmd`] as an assert_cmd command with a 60 s timeout.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::from_std(self.std_cmd());
        c.timeout(std::time::Duration::from_secs(60));
        c
    }

    /// Runs `spotctl ARGS` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("spotctl runs")
    }

    /// Requests the fake saw whose path contains `part`.
    pub fn hits(&self, part: &str) -> Vec<Req> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.path.contains(part))
            .collect()
    }

    /// An authorization-code account stored as if `spotctl login` had run (tokens minted by the
    /// fake directly), for tests of refresh/token/api that need no browser.
    pub fn user_account(&self, name: &str, user: &str, scopes: &str, expires_in: i64) -> TokenSet {
        let t = self.fake.issue_user_tokens(user, scopes, false);
        let now = now();
        let acc = serde_json::json!({
            "version": 1,
            "provider": "spotify",
            "grant": "authorization_code",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": "http://127.0.0.1:8888/callback",
            "token_url": format!("{}/api/token", self.fake.accounts_base()),
            "api_base": self.fake.api_base(),
            "client_auth": "basic",
            "scopes": scopes.split(' ').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
            "access_token": t.access_token,
            "token_type": "Bearer",
            "expires_at": now + expires_in,
            "refresh_token": t.refresh_token,
            "refresh_token_expires_at": now + 182 * 86400,
            "authorized_at": now,
            "user": {"id": user},
            "updated_at": now,
        });
        write_account(&self.account_path(name), &acc);
        t
    }
}

/// A `status` answer with `body` as it is, labelled JSON (a hostile or broken body).
pub fn json_body(status: u16, body: &str) -> FaultKind {
    FaultKind::Raw {
        status,
        headers: vec![(
            "content-type".into(),
            "application/json; charset=utf-8".into(),
        )],
        body: body.to_string(),
    }
}

/// A 429 with `Retry-After: retry_after` (not a quota refusal): the fault most tests that
/// pace or retry start from.
pub fn too_many(retry_after: &str) -> FaultKind {
    FaultKind::TooMany {
        retry_after: Some(retry_after.into()),
        quota: false,
    }
}

/// `status` on every request to `path` after the first `skip`: a service that breaks part-way
/// and stays broken.
pub fn broken_after(path: &str, skip: usize, status: u16) -> Fault {
    Fault::new(path, FaultKind::Status(status))
        .skip(skip)
        .times(usize::MAX)
}

/// `spotctl api -a alice -X POST /me/playlists --data DATA`: the write most API tests send.
pub fn post_playlist(t: &T, data: &str) -> Output {
    t.run(&[
        "api",
        "-a",
        "alice",
        "-X",
        "POST",
        "/me/playlists",
        "--data",
        data,
    ])
}

pub fn write_account(path: &std::path::Path, v: &serde_json::Value) {
    #[cfg(unix)]
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = path.parent().unwrap();
    let mut d = std::fs::DirBuilder::new();
    d.recursive(true);
    #[cfg(unix)]
    d.mode(0o700);
    d.create(dir).unwrap();
    let _ = std::fs::remove_file(path);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    o.mode(0o600);
    let mut f = o.open(path).unwrap();
    std::io::Write::write_all(&mut f, serde_json::to_string_pretty(v).unwrap().as_bytes()).unwrap();
}

pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("account file")).expect("valid JSON")
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Asserts the exit code, showing stderr when it differs.
#[track_caller]
pub fn assert_code(o: &Output, want: i32) {
    assert_eq!(
        code(o),
        want,
        "exit code; stderr:\n{}\nstdout:\n{}",
        stderr(o),
        String::from_utf8_lossy(&o.stdout)
    );
}

pub fn lines(o: &Output) -> Vec<String> {
    stdout(o).lines().map(str::to_string).collect()
}

/// Parses jsonl stdout.
pub fn jsonl(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

pub fn ids(items: &[serde_json::Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_string())
        .collect()
}

/// Largest number of requests the fake was handling at the same moment.
pub fn max_in_flight(reqs: &[Req]) -> usize {
    let mut events: Vec<(u64, i32)> = reqs
        .iter()
        .flat_map(|r| [(r.at_ms, 1), (r.done_ms, -1)])
        .collect();
    // Ends before starts at the same millisecond: back-to-back requests do not overlap.
    events.sort();
    let mut cur = 0i32;
    events
        .iter()
        .map(|(_, d)| {
            cur += d;
            cur
        })
        .max()
        .unwrap_or(0) as usize
}

/// A config directory on a 64 KiB tmpfs holding one account (a copy of `name` from the test's
/// own config), filled to the last byte; unmounted when dropped. `None` when not root or
/// mounting is not possible here (the test then skips).
#[cfg(unix)]
pub struct FullDisk {
    /// The config directory (`SPOTCTL_CONFIG_DIR`) on the small disk.
    pub dir: PathBuf,
}

#[cfg(unix)]
impl FullDisk {
    pub fn new(t: &T, name: &str) -> Option<FullDisk> {
        use std::os::unix::fs::PermissionsExt;
        let is_root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout == b"0\n");
        if !is_root {
            skip("mounting a small tmpfs needs root");
            return None;
        }
        let mnt = t.dir.path().join("small");
        std::fs::create_dir(&mnt).unwrap();
        let ok = std::process::Command::new("mount")
            // mode=0700: a tmpfs root is 1777 by default, a directory spotctl refuses (SPEC §2).
            .args(["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs"])
            .arg(&mnt)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            skip("cannot mount tmpfs here");
            return None;
        }
        let disk = FullDisk { dir: mnt };
        let accounts = disk.dir.join("accounts");
        std::fs::create_dir_all(&accounts).unwrap();
        std::fs::set_permissions(&accounts, std::fs::Permissions::from_mode(0o700)).unwrap();
        let path = accounts.join(format!("{name}.json"));
        std::fs::copy(t.account_path(name), &path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::File::create(accounts.join(format!("{name}.lock"))).unwrap();
        let filler = vec![b'x'; 4096];
        let mut f = std::fs::File::create(disk.dir.join("filler")).unwrap();
        while std::io::Write::write_all(&mut f, &filler).is_ok() {}
        Some(disk)
    }

    pub fn account_path(&self, name: &str) -> PathBuf {
        self.dir.join("accounts").join(format!("{name}.json"))
    }

    /// Makes room again.
    pub fn free(&self) {
        std::fs::remove_file(self.dir.join("filler")).unwrap();
    }
}

#[cfg(unix)]
impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.dir).status();
    }
}

/// Runs spotctl to the end, returning (exit code, stderr, peak RSS in kB, wall time).
///
/// The peak is the kernel's `VmHWM` of the spotctl process, sampled every 5 ms until it exits
/// (a high-water mark: only growth in its last 5 ms could be missed). Not `wait4`'s rusage:
/// that also counts the test process's memory at the moment of the fork/exec, which is
/// larger than what is measured here when the whole suite runs.
pub fn run_measured(t: &T, args: &[&str]) -> (i32, String, i64, std::time::Duration) {
    let start = std::time::Instant::now();
    let mut child = t
        .std_cmd()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn spotctl");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut s);
        s
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0i64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            peak_kb = peak_kb.max(hwm.unwrap_or(0));
        }
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "spotctl hangs"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert!(peak_kb > 0, "VmHWM was read");
    (
        status.code().unwrap_or(-1),
        reader.join().unwrap_or_default(),
        peak_kb,
        start.elapsed(),
    )
}

/// `cargo` as a user's shell runs it, for tests that run the README's cargo commands: the
/// toolchain that built these tests, named explicitly (`CARGO`, and `RUSTC` beside it), the
/// real home's `CARGO_HOME`/`RUSTUP_HOME` (tests give programs a temporary `HOME`, and cargo
/// would look for its crate cache there), and none of the variables `cargo test` sets for this
/// test binary (build scripts watch some of them, and inheriting them rebuilds dependencies).
/// Nothing depends on rustup's variables leaking in from the `cargo test` that started us.
pub fn cargo() -> std::process::Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut c = std::process::Command::new(&cargo);
    for (k, _) in std::env::vars() {
        if crate::support::is_cargo_run_var(&k) || k.starts_with("RUSTUP_") {
            c.env_remove(k);
        }
    }
    let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    let dir_of = |var: &str, default: &str| {
        std::env::var_os(var).map_or_else(|| home.join(default), PathBuf::from)
    };
    c.env("CARGO_HOME", dir_of("CARGO_HOME", ".cargo"))
        .env("RUSTUP_HOME", dir_of("RUSTUP_HOME", ".rustup"));
    let rustc = std::path::Path::new(&cargo)
        .with_file_name(format!("rustc{}", std::env::consts::EXE_SUFFIX));
    if rustc.is_file() {
        c.env("RUSTC", rustc);
    }
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Builds the example `name` once per test run (a no-op when `cargo test` has just built it, as
/// it does for every example), so a test that runs `cargo run --example NAME` measures the
/// command, not a silent first build; panics with cargo's messages if the build fails.
pub fn build_example(name: &'static str) {
    static BUILT: std::sync::Mutex<Vec<&str>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if built.contains(&name) {
        return;
    }
    let o = cargo()
        .args(["build", "--quiet", "--example", name])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("cargo runs");
    assert!(
        o.status.success(),
        "cargo build --example {name}:\n{}",
        stderr(&o)
    );
    built.push(name);
}

/// Waits (up to 30 s) until process `pid` has `path` open: the event "it has got as far as the
/// lock file", instead of a sleep that hopes it has. Without `/proc` (macOS), waits 1.5 s.
pub fn wait_for_open_file(pid: u32, path: &std::path::Path) {
    let fds = PathBuf::from(format!("/proc/{pid}/fd"));
    if !std::path::Path::new("/proc/self/fd").is_dir() {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        return;
    }
    let want = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let open = std::fs::read_dir(&fds)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .any(|e| std::fs::read_link(e.path()).is_ok_and(|l| l == want));
        if open {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "process {pid} never opened {}",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Set (to `1`) where the root-only tests must run, as in CI (`.ci/run` runs as root): a test
/// that would skip fails instead, so a check cannot pass by not running.
#[cfg(unix)]
pub const REQUIRE_ROOT_TESTS: &str = "SPOTCTL_REQUIRE_ROOT_TESTS";

/// A test that cannot run here says why and passes, unless [`REQUIRE_ROOT_TESTS`] is set, when
/// it fails with the same reason. Call as `return skip("…")`.
#[cfg(unix)]
#[track_caller]
pub fn skip(why: &str) {
    if std::env::var_os(REQUIRE_ROOT_TESTS).is_some_and(|v| v == "1") {
        panic!("{why}, and {REQUIRE_ROOT_TESTS}=1 says this machine must run it");
    }
    eprintln!("skipped: {why}");
}

/// Holds `path` locked (as another spotctl would) until dropped.
pub fn lock_file(path: &std::path::Path) -> std::fs::File {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .unwrap();
    f.lock().unwrap();
    f
}
