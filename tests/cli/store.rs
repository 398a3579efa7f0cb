//! The token store under stress: corrupt and hostile files, read-only and full disks, stale
//! locks, and `kill -9` at random moments of a refresh.

use crate::common::*;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

pub fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false)
}

#[test]
fn corrupt_account_file_is_exit_7_and_left_untouched() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    let cases: &[(&[u8], &str)] = &[
        (b"{\"version\":1,\"provider\":\"spot", "is corrupt"),
        (b"", "is corrupt"),
        (b"[1,2,3]", "is corrupt"),
        (b"{\"version\":1,\"provider\":\"spotify\"}", "is corrupt"),
        (b"{\"version\":\"1\"}", "is corrupt"),
        (
            b"{\"version\":2,\"provider\":\"spotify\"}",
            "was written by a newer spotctl",
        ),
        (b"\xff\xfe\x00garbage", "is corrupt"),
    ];
    for (bytes, want) in cases {
        std::fs::write(t.account_path("alice"), bytes).unwrap();
        for args in [
            &["token", "-a", "alice"][..],
            &["refresh", "-a", "alice"],
            &["albums", "-a", "alice", "--artist", ARTIST_57],
        ] {
            let o = t.run(args);
            assert_code(&o, 7);
            let e = stderr(&o);
            assert!(
                e.contains(&t.account_path("alice").display().to_string()) && e.contains(want),
                "{args:?} {bytes:?}: {e}"
            );
            assert!(o.stdout.is_empty());
            assert_eq!(
                std::fs::read(t.account_path("alice")).unwrap(),
                *bytes,
                "never rewritten"
            );
        }
    }
    assert_eq!(t.fake.token_requests(), 0);
}

#[test]
fn group_readable_account_file_is_refused() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    std::fs::set_permissions(
        t.account_path("alice"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let o = t.run(&["token", "-a", "alice"]);
    assert_code(&o, 7);
    assert!(
        stderr(&o).contains("are too open") && stderr(&o).contains("chmod 600"),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
}

/// Makes `dir` unwritable even for root (chattr +i), undone on drop.
struct ReadOnly(std::path::PathBuf, bool);

impl ReadOnly {
    fn new(dir: &std::path::Path) -> ReadOnly {
        if is_root() {
            let ok = std::process::Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(
                ok,
                "chattr +i is needed to make a directory read-only for root"
            );
            ReadOnly(dir.to_path_buf(), true)
        } else {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o500)).unwrap();
            ReadOnly(dir.to_path_buf(), false)
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.1 {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(&self.0)
                .status();
        } else {
            let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700));
        }
    }
}

#[test]
fn read_only_config_dir_is_exit_7_with_the_old_file_intact() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    let before = std::fs::read(t.account_path("alice")).unwrap();
    let dir = t.config().join("accounts");
    // The lock file must exist beforehand (it cannot be created in a read-only directory).
    assert_code(&t.run(&["refresh", "-a", "alice"]), 0);
    let before2 = std::fs::read(t.account_path("alice")).unwrap();
    assert_ne!(before, before2);
    let _ro = ReadOnly::new(&dir);
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 7);
    assert!(
        stderr(&o).contains("cannot write")
            && stderr(&o).contains("the previous version is unchanged"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(t.account_path("alice")).unwrap(), before2);
    // An app account cannot be created there either.
    let o = t.run(&["albums", "--artist", ARTIST_57]);
    assert_code(&o, 7);
}

#[test]
fn full_disk_is_exit_7_with_the_old_file_intact() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    let Some(disk) = FullDisk::new(&t, "alice") else {
        return;
    };
    let mnt = disk.dir.clone();
    let path = disk.account_path("alice");
    let before = std::fs::read(&path).unwrap();
    let o = t
        .cmd()
        .env("SPOTCTL_CONFIG_DIR", &mnt)
        .args(["refresh", "-a", "alice"])
        .output()
        .unwrap();
    assert_code(&o, 7);
    assert!(
        stderr(&o).contains("No space left on device"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(mnt.join("accounts"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains("tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary file removed: {leftovers:?}"
    );
}

#[test]
fn a_lock_held_by_a_killed_process_does_not_block() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    // A process that takes the lock and is then killed: flock dies with it.
    let lock = t.config().join("accounts").join("alice.lock");
    // -o: the lock is held by flock itself, not inherited by `sleep`.
    let mut holder = std::process::Command::new("flock")
        .arg("-o")
        .arg(&lock)
        // `cat` ends when the test drops its stdin: no orphan left holding the test's stderr.
        .args(["sh", "-c", "echo locked; exec cat"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("flock(1) is available");
    // flock runs the command once it holds the lock: its first line is the event.
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line, "locked\n");
    holder.kill().unwrap();
    holder.wait().unwrap();
    drop(holder.stdin.take());
    let start = std::time::Instant::now();
    let o = t.run(&["token", "-a", "alice"]);
    assert_code(&o, 0);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn kill_9_during_refresh_never_tears_the_file() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    let iterations: u64 = std::env::var("SPOTCTL_KILL_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut seed: u64 = 0x2545F4914F6CDD1D;
    let mut killed_mid = 0;
    for i in 0..iterations {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_micros(seed % 25_000);
        let mut c = t.std_cmd();
        c.args(["refresh", "-a", "alice"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut p = c.spawn().unwrap();
        std::thread::sleep(delay);
        let _ = p.kill();
        let status = p.wait().unwrap();
        if status.code().is_none() {
            killed_mid += 1;
        }
        let acc = read_json(&t.account_path("alice"));
        assert!(
            acc["refresh_token"].as_str().is_some_and(|s| !s.is_empty()),
            "iteration {i}: {acc}"
        );
        assert!(acc["access_token"].is_string());
    }
    eprintln!("killed {killed_mid} of {iterations} runs before they finished");
    assert!(killed_mid > 0, "the kills must land during runs");
    // The refresh token left behind is usable.
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 0);
    let files: Vec<_> = std::fs::read_dir(t.config().join("accounts"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files
            .iter()
            .all(|f| !f.contains(".tmp-") && !f.contains(".bak-")),
        "stale temporary files are cleaned up: {files:?}"
    );
}

#[test]
fn cron_refresh_token_and_login_run_together_on_one_account() {
    let t = T::new();
    t.fake.set_refresh_behavior(RefreshBehavior::Rotating);
    crate::login::login_ok(&t, "alice", &[], &[]);
    let spawn_loop = |args: &'static [&'static str], n: usize| {
        let cmds: Vec<_> = (0..n)
            .map(|_| {
                let mut c = t.cmd();
                c.args(args);
                c
            })
            .collect();
        std::thread::spawn(move || {
            cmds.into_iter()
                .map(|mut c| c.output().unwrap())
                .collect::<Vec<_>>()
        })
    };
    let cron = spawn_loop(&["refresh", "--all"], 10);
    let tokens = spawn_loop(&["token", "-a", "alice"], 10);
    for _ in 0..2 {
        crate::login::login_ok(&t, "alice", &[], &[]);
    }
    for o in cron
        .join()
        .unwrap()
        .iter()
        .chain(tokens.join().unwrap().iter())
    {
        assert_code(o, 0);
    }
    // Whatever interleaving happened, the account is whole and its refresh token works.
    let acc = read_json(&t.account_path("alice"));
    assert!(acc["refresh_token"].is_string());
    let o = t.run(&["refresh", "-a", "alice"]);
    assert_code(&o, 0);
    let o = t.run(&["api", "/me", "-a", "alice"]);
    assert_code(&o, 0);
}
