//! What a newcomer still tripped on (issue 21), each as they would meet it: the README's order
//! (trying before installing), its manual-page steps on a fresh home, the fake's printed lines
//! pasted into a shell, the README's examples against the fake, the Python hand-off snippets,
//! and `logout` leaving no lock file behind.

use crate::common::*;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// The fenced blocks of kind `lang` in `text`, in order.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}\n");
    text.split(&fence)
        .skip(1)
        .map(|b| b.split("\n```").next().unwrap_or("").to_string())
        .collect()
}

/// The part of the README after `heading` up to the next heading of any level.
fn section(heading: &str) -> String {
    let text = readme();
    let rest = text
        .split(&format!("\n{heading}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("README has {heading}"));
    let mut out = String::new();
    for line in rest.lines() {
        if line.starts_with('#') && !in_fence(&out) {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn in_fence(text: &str) -> bool {
    text.lines().filter(|l| l.starts_with("```")).count() % 2 == 1
}

/// The directory the examples are built in (beside this test binary's `deps/`).
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("examples")
}

/// A directory holding `spotctl` (a link to the binary under test), for a `PATH` of its own.
fn bin_dir(t: &T) -> PathBuf {
    let dir = t.dir.path().join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("spotctl");
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_spotctl"), &link).unwrap();
    }
    dir
}

#[test]
fn the_readme_has_the_try_it_command_before_any_other_cargo_command() {
    let text = readme();
    let first = text
        .lines()
        .map(|l| l.trim_start_matches('`'))
        .find(|l| l.starts_with("cargo "))
        .expect("a cargo command");
    assert!(
        first.starts_with("cargo run --example demo -- albums"),
        "the first cargo command a reader meets: {first}"
    );
    let install = text.find("cargo install").expect("install is shown");
    let demo = text.find("cargo run --example demo").unwrap();
    assert!(demo < install, "trying comes before installing");
}

#[test]
fn the_readmes_catalog_examples_use_artists_the_fake_has() {
    let known = [
        ARTIST_57,
        ARTIST_1000,
        ARTIST_EMPTY,
        README_ALBUM,
        README_SHOW,
        SHOW_57,
        SHOW_3,
        ALICE_PLAYLIST,
        BOB_PLAYLIST,
    ];
    let mut seen = 0;
    for block in blocks(&readme(), "sh") {
        for line in block
            .lines()
            .filter(|l| ["albums", "tracks", "get "].iter().any(|c| l.contains(c)))
        {
            let code = line.split('#').next().unwrap();
            for word in code.split(|c: char| !c.is_ascii_alphanumeric()) {
                if word.len() == 22 && word.chars().any(|c| c.is_ascii_digit()) {
                    assert!(
                        known.contains(&word),
                        "{word} is a 404 against the fake: {line}"
                    );
                    seen += 1;
                }
            }
        }
    }
    assert!(seen >= 8, "{seen} ids checked");
}

#[test]
fn the_readmes_album_and_show_examples_work_against_the_fake() {
    let t = T::new();
    let o = t.run(&["tracks", README_ALBUM, "-o", "tsv"]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 12, "{}", stdout(&o));
    let o = t.run(&["tracks", &format!("spotify:show:{README_SHOW}")]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 12);
    let o = t.run(&[
        "get",
        &format!("spotify:album:{README_ALBUM}"),
        &format!("spotify:artist:{ARTIST_57}"),
    ]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 2);
}

#[test]
fn the_readme_lists_every_option_of_the_fake() {
    let o = Command::new(examples_dir().join("fake_spotify"))
        .arg("--help")
        .output();
    let help = match o {
        Ok(o) => stdout(&o),
        Err(_) => {
            build_example("fake_spotify");
            stdout(
                &Command::new(examples_dir().join("fake_spotify"))
                    .arg("--help")
                    .output()
                    .unwrap(),
            )
        }
    };
    let offline = section("## Try it offline");
    let flags: Vec<&str> = help
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("--")))
        .map(|w| w.trim_end_matches(','))
        .filter(|w| *w != "--help")
        .collect();
    assert!(
        flags.contains(&"--quota") && flags.contains(&"--port"),
        "{flags:?}"
    );
    for f in flags {
        assert!(offline.contains(f), "README's fake section lists {f}");
    }
}

#[test]
fn the_logged_in_answer_the_readme_shows_is_the_page_the_callback_serves() {
    let shown = section("## Try it offline")
        .lines()
        .find_map(|l| l.split("(HTML): ").nth(1).map(str::to_string))
        .expect("the README shows the callback's answer");
    let (head, tail) = shown.split_once('…').expect("shortened with …");
    let t = T::new();
    // What `curl -s "$next"` prints: the callback's answer to the browser's redirect.
    let mut l = crate::login::start_login(
        &t,
        &["-a", "alice", "--redirect-uri", "http://127.0.0.1/callback"],
        &[],
    );
    let loc = t.fake.authorize_location(&l.url()).unwrap();
    let (status, _, body) = http_get(&loc);
    assert_eq!(status, 200);
    assert_eq!(l.finish().0, 0);
    assert!(
        body.starts_with(head) && body.ends_with(tail),
        "README shows {shown:?}, the callback serves {body:?}"
    );
}

/// Runs the fake example as the README says, and returns it with everything it printed on
/// stdout; its stderr (the request log) is drained in the background.
fn start_fake_example() -> (std::process::Child, Vec<String>) {
    build_example("fake_spotify");
    let mut child = Command::new(examples_dir().join("fake_spotify"))
        .args(["--mode", "dev-2026"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The readiness line comes after the last line to paste has been flushed.
    let err = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in err.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l| l == "fake_spotify: serving until Ctrl-C")
    {
        match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(l) => seen.push(l),
            Err(_) => {
                let _ = child.kill();
                panic!("the fake never said it serves: {seen:?}");
            }
        }
    }
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    // The last line to paste is SPOTCTL_CONFIG_DIR; nothing may follow (checked at the end).
    while !lines
        .last()
        .is_some_and(|l: &String| l.starts_with("export SPOTCTL_CONFIG_DIR="))
    {
        let mut l = String::new();
        assert!(out.read_line(&mut l).unwrap() > 0, "{lines:?}");
        lines.push(l.trim_end().to_string());
    }
    child.stdout = Some(out.into_inner());
    (child, lines)
}

#[test]
fn everything_the_fake_prints_on_stdout_is_a_complete_export_and_pasting_it_keeps_accounts_apart() {
    let (fake, lines) = start_fake_example();
    for l in &lines {
        let (name, value) = l
            .strip_prefix("export ")
            .and_then(|r| r.split_once('='))
            .unwrap_or_else(|| panic!("not an export line: {l}"));
        assert!(
            name.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !value.is_empty(),
            "{l}"
        );
    }
    let config = lines
        .iter()
        .find_map(|l| l.strip_prefix("export SPOTCTL_CONFIG_DIR="))
        .map(PathBuf::from)
        .expect("SPOTCTL_CONFIG_DIR is exported, not a comment");
    assert!(config.is_dir(), "{}", config.display());
    // Pasted as they are into a fresh shell of a fresh user, then the README's commands.
    let t = T::new();
    let home = t.dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    for shell in ["sh", "bash"] {
        let script = format!(
            "{}\nspotctl albums --artist {ARTIST_57} -o jsonl | wc -l\nspotctl refresh --all\n",
            lines.join("\n")
        );
        let o = Command::new(shell)
            .arg("-c")
            .arg(&script)
            .env_clear()
            .env("HOME", &home)
            .env("PATH", format!("{}:/usr/bin:/bin", bin_dir(&t).display()))
            .output()
            .unwrap();
        assert_code(&o, 0);
        assert_eq!(stdout(&o).trim(), "57", "{shell}: {}", stderr(&o));
    }
    assert!(
        config.join("accounts").is_dir(),
        "the fake's accounts are in its own directory"
    );
    assert!(
        !home.join(".config").exists(),
        "nothing under the user's ~/.config"
    );
    // Ctrl-C: the fake's directory goes with it; nothing else was printed to paste.
    let killed = Command::new("kill")
        .args(["-INT", &fake.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = fake.wait_with_output().unwrap();
    assert!(o.status.success());
    assert_eq!(stdout(&o), "", "nothing after the export lines");
    assert!(!config.exists(), "{} removed on exit", config.display());
}

#[test]
fn the_readmes_manual_page_steps_work_on_a_fresh_home() {
    let install = section("## Install");
    let steps = blocks(&install, "sh")
        .into_iter()
        .find(|b| b.contains("spotctl man >"))
        .expect("the manual page steps");
    if Command::new("man").arg("-w").arg("man").output().is_err() {
        eprintln!("skipped: no `man` on this machine to check the steps with");
        return;
    }
    let t = T::new();
    let home = t.dir.path().join("fresh");
    // A fresh account: nothing but ~/.cargo/bin, where `cargo install` put spotctl.
    let cargo_bin = home.join(".cargo/bin");
    std::fs::create_dir_all(&cargo_bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_spotctl"), cargo_bin.join("spotctl")).unwrap();
    let o = Command::new("sh")
        .arg("-ec")
        .arg(&steps)
        .env_clear()
        .env("HOME", &home)
        .env("PATH", format!("{}:/usr/bin:/bin", cargo_bin.display()))
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .unwrap();
    assert_code(&o, 0);
    let page = stdout(&o);
    assert!(
        page.contains("spotctl - OAuth2 token manager") || page.contains("spotctl \\- OAuth2"),
        "`man spotctl` shows the page: {page}{}",
        stderr(&o)
    );
}

/// The README's Python blocks (standard library, requests, spotipy), each run against the fake
/// with `spotctl` on `PATH` and an account "alice"; a block whose package is not installed is
/// skipped with the reason.
#[test]
fn the_readmes_python_hand_off_snippets_print_the_user_against_the_fake() {
    let snippets = blocks(&section("### Tokens for other tools"), "python");
    assert_eq!(snippets.len(), 3, "urllib, requests, spotipy");
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let t = T::new();
    t.user_account("alice", "alice", "", 3600);
    let path = format!(
        "{}:{}",
        bin_dir(&t).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // All at once (each is a Python start-up and its imports); a snippet whose package is not
    // installed says so and is skipped.
    let children: Vec<_> = snippets
        .iter()
        .map(|code| {
            let mut c = Command::new("python3");
            t.apply_env(&mut c);
            c.arg("-c")
                .arg(code)
                .env("PATH", &path)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ran = 0;
    for (code, child) in snippets.iter().zip(children) {
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        if let Some(p) = ["spotipy", "requests"]
            .into_iter()
            .find(|p| err.contains(&format!("ModuleNotFoundError: No module named '{p}'")))
        {
            eprintln!("skipped the {p} snippet: `pip install {p}` to run it");
            continue;
        }
        assert_code(&o, 0);
        assert_eq!(stdout(&o), "alice\n", "{code}\n{err}");
        ran += 1;
    }
    assert!(ran >= 1, "the standard-library snippet always runs");
    assert!(!t.hits("/v1/me").is_empty());
}

#[test]
fn logout_leaves_no_lock_file_behind() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    assert_code(&t.run(&["refresh", "-a", "alice"]), 0);
    let lock = t.config().join("accounts").join("alice.lock");
    assert!(lock.exists(), "a refresh takes the lock");
    let o = t.run(&["logout", "-a", "alice"]);
    assert_code(&o, 0);
    assert!(!t.account_path("alice").exists());
    assert!(!lock.exists(), "{} left behind", lock.display());
    let left: Vec<_> = std::fs::read_dir(t.config().join("accounts"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A spotctl waiting on a lock file that is deleted (as `logout` now does) and made anew by
/// another process must take the new one, not go on under a lock that excludes nobody.
#[test]
fn a_waiter_on_a_deleted_lock_file_takes_the_new_one() {
    let t = T::new();
    t.user_account("alice", "alice", "", 10);
    let path = t.config().join("accounts").join("alice.lock");
    let old = lock_file(&path);
    let mut waiter = t
        .std_cmd()
        .args(["refresh", "-a", "alice"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_open_file(waiter.id(), &path);
    // What logout does, then another process locks the new file; the old lock goes away.
    std::fs::remove_file(&path).unwrap();
    let new = lock_file(&path);
    drop(old);
    wait_for_open_file(waiter.id(), &path);
    assert!(
        waiter.try_wait().unwrap().is_none() && t.fake.token_requests() == 0,
        "the waiter went on while the new lock was held"
    );
    drop(new);
    let status = waiter.wait().unwrap();
    assert!(status.success());
    assert_eq!(t.fake.token_requests(), 1);
}

/// CI runs as root with `SPOTCTL_REQUIRE_ROOT_TESTS=1`: a root-only test that finds itself
/// without root must fail there, not print "skipped" and pass. Checked by running one such test
/// of this binary as another user, with and without the variable.
#[test]
fn a_root_only_test_that_would_skip_fails_when_root_tests_are_required() {
    if !crate::store::is_root() {
        return skip("running a test as another user needs root (setpriv)");
    }
    let exe = std::env::current_exe().unwrap();
    let run = |require: &str| {
        Command::new("setpriv")
            .args(["--reuid=12345", "--regid=12345", "--clear-groups"])
            .arg(&exe)
            .args([
                "--exact",
                "attack::an_accounts_directory_owned_by_another_user_is_exit_7",
                "--nocapture",
            ])
            .env(REQUIRE_ROOT_TESTS, require)
            .env("HOME", "/nonexistent")
            .output()
            .expect("setpriv runs")
    };
    let o = run("0");
    assert_code(&o, 0);
    assert!(
        stderr(&o).contains("skipped: giving a directory to another user needs root"),
        "{}",
        stderr(&o)
    );
    let o = run("1");
    assert_ne!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stderr(&o).contains("SPOTCTL_REQUIRE_ROOT_TESTS=1 says this machine must run it"),
        "{}",
        stderr(&o)
    );
}
