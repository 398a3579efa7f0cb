//! The store and the login under attack (issue 9): another local user, a hostile web page, a
//! hand-edited or planted file, an environment pointing at another server. One test per thing
//! seen; the two-user cases need root (to act as another user with `setpriv`) and say so when
//! skipped.

use crate::common::*;
use crate::login::approved_login;
use crate::store::is_root;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `spotctl ARGS` with a short timeout: a hang is a failure, not a stuck test run.
fn run_quick(t: &T, args: &[&str]) -> std::process::Output {
    t.cmd()
        .timeout(Duration::from_secs(10))
        .args(args)
        .output()
        .expect("spotctl runs")
}

// 1. Saving one account never deletes another account's files.

#[test]
fn saving_one_account_never_deletes_another_accounts_files() {
    let t = T::new();
    // Names that start with a dot (the old way to collide with temporaries) are usage errors.
    for bad in [
        ".x.json.tmp-1",
        ".x.json.bak-keep",
        ".hidden",
        "-flag",
        "_x",
    ] {
        let o = t.run(&["login", "--client-credentials", &format!("--account={bad}")]);
        assert_code(&o, 2);
        assert!(
            stderr(&o).contains("invalid account name"),
            "{bad}: {}",
            stderr(&o)
        );
    }
    // Valid names whose temporaries start like account x's do.
    t.user_account("x", "x", "", 10);
    t.user_account("x.json.tmp-1", "y", "", 3600);
    t.user_account("x.json.bak-keep", "z", "", 3600);
    let dir = t.config().join("accounts");
    let foreign = [
        ".x.json.tmp-1.json.tmp-99-0000000a",
        ".x.json.bak-keep.json.tmp-99-0000000b",
        ".x.json.bak-keep.json.bak-99",
        "x.json.tmp-1.lock",
        "x.json.bak-keep.lock",
    ];
    for f in foreign {
        std::fs::write(dir.join(f), b"someone else's").unwrap();
    }
    // x's own leftovers from a killed process: these go.
    let own = [".x.json.tmp-4242-deadbeef", ".x.json.bak-4242"];
    for f in own {
        std::fs::write(dir.join(f), b"stale").unwrap();
    }
    let o = t.run(&["refresh", "-a", "x"]);
    assert_code(&o, 0);
    let now_there = names_in(&dir);
    for f in foreign {
        assert!(
            now_there.contains(&f.to_string()),
            "{f} was deleted: {now_there:?}"
        );
    }
    for f in own {
        assert!(
            !now_there.contains(&f.to_string()),
            "{f} left behind: {now_there:?}"
        );
    }
    for other in ["x.json.tmp-1", "x.json.bak-keep"] {
        assert_code(&t.run(&["token", "-a", other]), 0);
    }
}

// 2. Borrowed directories, planted FIFOs and symlinks.

#[test]
fn an_accounts_directory_others_can_write_is_exit_7_with_the_fix() {
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let accounts = t.config().join("accounts");
    let before = std::fs::read(t.account_path("alice")).unwrap();
    for (dir, mode) in [(&accounts, 0o777), (&accounts, 0o720), (&t.config(), 0o777)] {
        chmod(dir, mode);
        for args in [
            &["token", "-a", "alice"][..],
            &["refresh", "-a", "alice"],
            &["login", "--client-credentials", "-a", "bob"],
        ] {
            let o = run_quick(&t, args);
            assert_code(&o, 7);
            let e = stderr(&o);
            assert!(
                e.starts_with("spotctl: ")
                    && e.lines().count() == 1
                    && e.contains(&dir.display().to_string())
                    && e.contains("writable by")
                    && e.contains(&format!("chmod go-w {}", dir.display())),
                "{args:?} {mode:o}: {e}"
            );
            assert!(o.stdout.is_empty());
        }
        assert_eq!(
            std::fs::metadata(dir).unwrap().permissions().mode() & 0o777,
            mode,
            "not silently changed"
        );
        chmod(dir, 0o700);
    }
    assert!(!t.account_path("bob").exists());
    assert_eq!(std::fs::read(t.account_path("alice")).unwrap(), before);
    assert_eq!(t.fake.token_requests(), 0);
    // A directory only others can read (not write) is ours to close: repaired on the next
    // write, as before.
    chmod(&accounts, 0o755);
    assert_code(&run_quick(&t, &["refresh", "-a", "alice"]), 0);
    assert_eq!(
        std::fs::metadata(&accounts).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn an_accounts_directory_owned_by_another_user_is_exit_7() {
    if !is_root() {
        return skip("giving a directory to another user needs root");
    }
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let accounts = t.config().join("accounts");
    std::os::unix::fs::chown(&accounts, Some(12345), Some(12345)).unwrap();
    let o = run_quick(&t, &["token", "-a", "alice"]);
    assert_code(&o, 7);
    let e = stderr(&o);
    assert!(
        e.contains(&accounts.display().to_string())
            && e.contains("owned by uid 12345")
            && e.contains("--config-dir"),
        "{e}"
    );
    assert!(o.stdout.is_empty());
}

/// `spotctl` run as uid/gid 12345 (another user) with `setpriv`.
fn as_other_user(t: &T, config: &Path, args: &[&str]) -> std::process::Output {
    let mut c = std::process::Command::new("setpriv");
    c.args(["--reuid=12345", "--regid=12345", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_spotctl"))
        .args(args);
    t.apply_env(&mut c);
    c.env("SPOTCTL_CONFIG_DIR", config);
    let mut c = assert_cmd::Command::from_std(c);
    c.timeout(Duration::from_secs(20));
    c.output().expect("setpriv runs")
}

#[test]
fn a_shared_directory_another_user_made_is_refused_not_used_after_a_warning() {
    if !is_root() {
        return skip("acting as two users needs root (setpriv)");
    }
    let t = T::new();
    chmod(t.dir.path(), 0o755);
    // root plays the other user: it made the shared directory and its accounts/ 0777.
    let shared = t.dir.path().join("shared");
    std::fs::create_dir_all(shared.join("accounts")).unwrap();
    chmod(&shared, 0o777);
    chmod(&shared.join("accounts"), 0o777);
    let o = as_other_user(
        &t,
        &shared,
        &["login", "--client-credentials", "-a", "work"],
    );
    assert_code(&o, 7);
    let e = stderr(&o);
    assert!(
        e.contains(&shared.display().to_string())
            && e.contains("writable by")
            && e.contains("use a directory of your own"),
        "{e}"
    );
    assert!(!shared.join("accounts/work.json").exists());
    assert_eq!(
        t.fake.token_requests(),
        0,
        "nothing obtained to be stored there"
    );
    // The victim's own directory (made by spotctl) works.
    let own = t.dir.path().join("own");
    std::fs::create_dir(&own).unwrap();
    std::os::unix::fs::chown(&own, Some(12345), Some(12345)).unwrap();
    let o = as_other_user(
        &t,
        &own.join("cfg"),
        &["login", "--client-credentials", "-a", "work"],
    );
    assert_code(&o, 0);
    let meta = std::fs::metadata(own.join("cfg/accounts/work.json")).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), 12345);
}

#[test]
fn a_fifo_planted_as_an_account_is_exit_7_not_a_hang() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    let fifo = t.account_path("work");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for args in [
        &["refresh", "--all"][..],
        &["accounts"],
        &["token", "-a", "work"],
    ] {
        let started = Instant::now();
        let o = run_quick(&t, args);
        assert_code(&o, 7);
        assert!(started.elapsed() < Duration::from_secs(5));
        let e = stderr(&o);
        assert!(
            e.contains(&fifo.display().to_string()) && e.contains("not a regular file"),
            "{args:?}: {e}"
        );
    }
    // alice was still refreshed by `refresh --all`.
    assert!(t.fake.token_requests() >= 1);
}

#[test]
fn a_symlinked_lock_file_is_refused_and_its_target_never_created() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    let target = t.dir.path().join("victim-writes-here");
    let lock = t.config().join("accounts/alice.lock");
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    let o = run_quick(&t, &["refresh", "-a", "alice"]);
    assert_code(&o, 7);
    let e = stderr(&o);
    assert!(
        e.contains(&lock.display().to_string()) && e.contains("symbolic link"),
        "{e}"
    );
    assert!(!target.exists(), "the lock's symlink was followed");
    assert_eq!(t.fake.token_requests(), 0);
}

#[test]
fn a_symlinked_account_file_is_refused_and_left_in_place() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    let real = t.dir.path().join("elsewhere.json");
    std::fs::rename(t.account_path("alice"), &real).unwrap();
    std::os::unix::fs::symlink(&real, t.account_path("alice")).unwrap();
    let before = std::fs::read(&real).unwrap();
    for args in [
        &["refresh", "-a", "alice"][..],
        &["token", "-a", "alice"],
        &["login", "--client-credentials", "-a", "alice"],
    ] {
        let o = run_quick(&t, args);
        assert_code(&o, 7);
        let e = stderr(&o);
        assert!(
            e.contains(&t.account_path("alice").display().to_string())
                && e.contains("symbolic link"),
            "{args:?}: {e}"
        );
    }
    assert!(
        std::fs::symlink_metadata(t.account_path("alice"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&real).unwrap(), before);
    assert!(!t.config().join("accounts/alice.json.bak").exists());
    assert_eq!(t.fake.token_requests(), 0);
}

// 3. Stored secrets stay with their origins.

#[test]
fn an_account_is_never_used_with_another_origin_from_the_environment() {
    let t = T::new();
    let evil = FakeSpotify::start_with(Mode::Dev2026);
    t.user_account("alice", "alice", "", 10);
    let own_accounts = t.fake.accounts_base();
    let own_api = t.fake.api_base();
    let origin = |u: &str| u.split('/').take(3).collect::<Vec<_>>().join("/");
    let before = std::fs::read(t.account_path("alice")).unwrap();
    for (var, value, ours) in [
        ("SPOTCTL_ACCOUNTS_BASE", evil.accounts_base(), &own_accounts),
        ("SPOTCTL_API_BASE", evil.api_base(), &own_api),
    ] {
        for args in [
            &["refresh", "-a", "alice"][..],
            &["token", "-a", "alice"],
            &["api", "-a", "alice", "/me"],
            &["albums", "-a", "alice", "--artist", ARTIST_57],
        ] {
            let o = t.cmd().env(var, &value).args(args).output().unwrap();
            assert_code(&o, 2);
            let e = stderr(&o);
            assert!(
                e.contains(var) && e.contains(&origin(&value)) && e.contains(&origin(ours)),
                "{var} {args:?}: {e}"
            );
            assert!(e.contains("spotctl login -a alice"), "{e}");
            assert!(o.stdout.is_empty());
        }
    }
    assert!(evil.requests().is_empty(), "{:?}", evil.requests());
    assert!(t.fake.requests().is_empty());
    assert_eq!(std::fs::read(t.account_path("alice")).unwrap(), before);
    // The same origin (the usual case) is fine.
    assert_code(&t.run(&["refresh", "-a", "alice"]), 0);
    // The app account the catalog commands make is bound the same way.
    assert_code(&t.run(&["albums", "--artist", ARTIST_57]), 0);
    let o = t
        .cmd()
        .env("SPOTCTL_ACCOUNTS_BASE", evil.accounts_base())
        .args(["albums", "--artist", ARTIST_57])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains(&format!(
            "spotctl login --client-credentials -a app-{CLIENT_ID}"
        )),
        "{}",
        stderr(&o)
    );
    assert!(evil.requests().is_empty());
}

// 4. A forged request does not end a login.

#[test]
fn forged_callbacks_are_ignored_and_the_real_one_still_logs_in() {
    let t = T::new();
    let (l, loc) = approved_login(&t, "real");
    let origin: String = loc.split('/').take(3).collect::<Vec<_>>().join("/");
    let state = loc
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("state="))
        .unwrap()
        .to_string();
    // What a web page (no-cors fetch) or another local program can send.
    let forged = [
        (format!("{origin}/callback?code=forged&state=wrong"), vec![]),
        (format!("{origin}/callback?code=forged"), vec![]),
        (
            format!("{origin}/callback?error=access_denied&state=wrong"),
            vec![],
        ),
        (
            format!("{origin}/callback?code=forged&state=wrong"),
            vec![("Host", "evil.com")],
        ),
        // Even the right state through another Host (DNS rebinding) is not taken.
        (
            format!("{origin}/callback?code=forged&state={state}"),
            vec![("Host", "evil.com:80")],
        ),
    ];
    for (u, headers) in &forged {
        let (status, _, body) = http_request("GET", u, headers, None);
        assert_eq!(status, 400, "{u} {headers:?}: {body}");
        assert!(
            body.contains("does not belong to the login in progress"),
            "{body}"
        );
    }
    let (status, _, body) = http_get(&loc);
    assert_eq!(status, 200, "{body}");
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("ignored")).collect();
    assert_eq!(warnings.len(), 1, "one warning line: {err}");
    assert!(warnings[0].starts_with("spotctl: warning: "), "{err}");
    let tok = t.hits("/api/token");
    assert_eq!(tok.len(), 1, "only the real code was exchanged");
    assert!(!tok[0].body.contains("forged"));
    assert!(t.account_path("real").exists());
}

#[test]
fn a_denied_login_with_the_right_state_still_ends_it() {
    let t = T::new();
    t.fake.set_authorize_behavior(AuthorizeBehavior::Deny);
    let (l, loc) = approved_login(&t, "no");
    let origin: String = loc.split('/').take(3).collect::<Vec<_>>().join("/");
    assert_eq!(
        http_get(&format!("{origin}/callback?error=access_denied&state=nope")).0,
        400
    );
    assert_eq!(http_get(&loc).0, 200);
    let (code, err) = l.finish();
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("access_denied"), "{err}");
}

// 5. The paste reader has a line limit.

#[test]
fn an_endless_pasted_line_is_capped_and_memory_stays_bounded() {
    let t = T::new();
    // 1 GiB of address space: the old reader (one growing String) died of it within a second.
    let mut c = std::process::Command::new("prlimit");
    c.arg("--as=1073741824")
        .arg(env!("CARGO_BIN_EXE_spotctl"))
        .args(["login", "--no-browser", "-a", "zero", "--wait", "2"])
        .args(["--redirect-uri", "http://127.0.0.1/callback"]);
    t.apply_env(&mut c);
    // std's Command (assert_cmd would replace stdin); --wait ends it.
    c.stdin(std::fs::File::open("/dev/zero").unwrap());
    let o = c.output().unwrap();
    assert_code(&o, 3);
    let e = stderr(&o);
    assert!(e.contains("the login timed out after 2s"), "{e}");
    let capped: Vec<&str> = e.lines().filter(|l| l.contains("longer than")).collect();
    assert_eq!(capped.len(), 1, "said once: {e}");
}

#[test]
fn a_long_pasted_line_is_skipped_and_the_next_one_still_works() {
    let t = T::new();
    let (mut l, loc) = approved_login(&t, "paste");
    l.paste(&"a".repeat(100_000));
    // A pasted address from another login (wrong state) does not end this one either.
    l.paste("http://127.0.0.1:1/callback?code=old&state=another-login");
    l.paste(&loc);
    let (code, err) = l.finish();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("longer than 8 KiB"), "{err}");
    assert!(err.contains("does not belong to this login"), "{err}");
    assert_eq!(t.hits("/api/token").len(), 1);
}

// 6. Empty names, hostile times and tokens in hand-edited files.

#[test]
fn an_empty_account_name_is_a_usage_error() {
    let t = T::new();
    t.user_account("default", "alice", "", 3600);
    for args in [
        &["token", "-a", ""][..],
        &["refresh", "--account", ""],
        &["albums", "-a", "", "--artist", ARTIST_57],
    ] {
        let o = t.run(args);
        assert_code(&o, 2);
        assert!(
            stderr(&o).contains("invalid account name"),
            "{}",
            stderr(&o)
        );
    }
    // An empty SPOTCTL_ACCOUNT still counts as unset, like every other variable.
    let o = t
        .cmd()
        .env("SPOTCTL_ACCOUNT", "")
        .arg("token")
        .output()
        .unwrap();
    assert_code(&o, 0);
}

fn edit_account(t: &T, name: &str, f: impl FnOnce(&mut serde_json::Value)) {
    let mut v = read_json(&t.account_path(name));
    f(&mut v);
    write_account(&t.account_path(name), &v);
}

#[test]
fn extreme_stored_times_saturate_instead_of_wrapping() {
    let t = T::new();
    let old = t.user_account("past", "alice", "", 3600);
    edit_account(&t, "past", |v| {
        v["expires_at"] = i64::MIN.into();
        v["refresh_token_expires_at"] = i64::MIN.into();
        v["learned"] = serde_json::json!({"page_limit": 10, "page_limit_at": i64::MIN});
    });
    let o = t.run(&["accounts", "-o", "table"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains(" expired "), "{}", stdout(&o));
    let o = t.run(&["accounts", "-o", "tsv"]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("\t1970-01-01T00:00:00Z\t1970-01-01T00:00:00Z\t"),
        "{}",
        stdout(&o)
    );
    // Long expired: refreshed, never taken as valid for 292 billion years.
    let o = t.run(&["token", "-a", "past"]);
    assert_code(&o, 0);
    assert_ne!(stdout(&o).trim(), old.access_token);
    assert_eq!(t.fake.token_requests(), 1);
    let o = t.run(&["albums", "-a", "past", "--artist", ARTIST_57]);
    assert_code(&o, 0);

    t.user_account("future", "bob", "", 3600);
    edit_account(&t, "future", |v| {
        v["expires_at"] = i64::MAX.into();
        v["refresh_token_expires_at"] = i64::MAX.into();
        v["authorized_at"] = i64::MIN.into();
    });
    let o = t.run(&["token", "--json", "-a", "future"]);
    assert_code(&o, 0);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let left = j["expires_in"].as_i64().unwrap();
    assert!(left > 0 && left <= i64::MAX - now() + 1, "{left}");
    let o = t.run(&[
        "refresh",
        "-a",
        "future",
        "--if-expires-within",
        "10m",
        "-v",
    ]);
    assert_code(&o, 0);
}

#[test]
fn a_stored_token_with_control_characters_is_a_corrupt_file() {
    let t = T::new();
    for (field, value) in [
        ("access_token", "abc\r\nX-Injected: 1"),
        ("refresh_token", "rt\nmore"),
        ("token_type", "Bearer\r\nX: y"),
        ("client_secret", "s\u{7f}"),
    ] {
        t.user_account("alice", "alice", "", 3600);
        edit_account(&t, "alice", |v| v[field] = value.into());
        let before = std::fs::read(t.account_path("alice")).unwrap();
        let o = t.run(&["token", "--header", "-a", "alice"]);
        assert_code(&o, 7);
        let e = stderr(&o);
        assert!(
            e.contains("is corrupt") && e.contains(field) && e.lines().count() == 1,
            "{field}: {e}"
        );
        assert!(!e.contains(value), "the value is not shown");
        assert!(o.stdout.is_empty());
        assert_eq!(std::fs::read(t.account_path("alice")).unwrap(), before);
    }
}
