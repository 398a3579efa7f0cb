//! The page the browser is opened on: the authorize URL (with its `state`, and the PKCE
//! challenge) never goes into a child's argv, where every local user can read it
//! (`/proc/PID/cmdline`, `ps`): a watcher would send its own code with that `state` and the
//! victim's account would store the attacker's tokens. Instead the URL is written into a small
//! HTML page that redirects to it, 0600 in a fresh 0700 directory, and the browser is given the
//! page's path (`hardening::open_in_browser`, from a child without secret-bearing variables).
//!
//! Where: a directory `spotctl-login-<pid>-<hex>` directly in the home directory. Not `/tmp`
//! (snap-packaged browsers get a private `/tmp` of their own), not a hidden directory such as
//! `~/.local/share` or the config directory (snaps cannot read dot-directories in home — the
//! failure Jupyter's redirect file is known for), not `$XDG_RUNTIME_DIR` (snaps see only their
//! own subdirectory of it). `$XDG_RUNTIME_DIR` is the fallback when home is not a safe place
//! (another user could write it). The page lives until the login ends (`xdg-open` returns
//! before the browser has read it), then it and its directory are removed; one left by a
//! killed run is removed by the next login once its process is gone.

use std::path::{Path, PathBuf};

const PREFIX: &str = "spotctl-login-";

/// The page and its directory; both removed when dropped.
pub struct Page {
    dir: PathBuf,
    pub path: PathBuf,
}

impl Drop for Page {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Writes the page for `url`; `None` when no private place for it exists (the caller then
/// prints the URL and opens nothing).
pub fn write(url: &url::Url) -> Option<Page> {
    let bases = [dirs::home_dir(), dirs::runtime_dir()];
    bases
        .into_iter()
        .flatten()
        .filter(|b| safe_base(b))
        .find_map(|b| write_in(&b, url))
}

/// A directory to make ours in: owned by us, nobody else can write it or any parent.
fn safe_base(base: &Path) -> bool {
    crate::store::check_private_path(base).is_ok_and(|exists| exists)
}

fn write_in(base: &Path, url: &url::Url) -> Option<Page> {
    remove_stale(base);
    let dir = base.join(format!(
        "{PREFIX}{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    private_dir(&dir).ok()?;
    let path = dir.join("login.html");
    let page = Page {
        dir,
        path: path.clone(),
    };
    let html = html(url.as_str());
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = private_file(&path)?;
        f.write_all(html.as_bytes())?;
        f.sync_all()
    };
    write().ok()?;
    Some(page)
}

/// The page: a redirect to `url` (meta refresh, as Jupyter's redirect file), with a link for a
/// browser that does not follow it. No referrer, no script.
fn html(url: &str) -> String {
    let u = url
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<meta http-equiv=\"refresh\" content=\"0;url={u}\">\n<title>spotctl login</title></head>\n<body><p>spotctl: taking you to the login page… If nothing happens, <a href=\"{u}\">continue here</a>.</p></body></html>\n"
    )
}

#[cfg(unix)]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir(dir)
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Pages of earlier logins whose process is gone (killed before it could remove its own).
fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|r| r.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !alive(pid) {
            let dir = e.path();
            let _ = std::fs::remove_file(dir.join("login.html"));
            let _ = std::fs::remove_dir(&dir);
        }
    }
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    // EPERM: it exists, as another user's process.
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

#[cfg(not(unix))]
fn alive(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_redirects_with_the_url_escaped() {
        let h = html("https://a.example/authorize?client_id=x&state=s\"<>");
        assert!(
            h.contains("url=https://a.example/authorize?client_id=x&amp;state=s&quot;&lt;&gt;\""),
            "{h}"
        );
        assert!(!h.contains("<script"));
    }

    #[cfg(unix)]
    #[test]
    fn the_page_is_private_and_removed_with_its_directory() {
        use std::os::unix::fs::MetadataExt;
        let tmp = tempfile::tempdir().unwrap();
        let u = url::Url::parse("https://a.example/authorize?state=abc").unwrap();
        let page = write_in(tmp.path(), &u).unwrap();
        let dir = page.path.parent().unwrap().to_path_buf();
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        assert_eq!(std::fs::metadata(&page.path).unwrap().mode() & 0o777, 0o600);
        assert!(
            std::fs::read_to_string(&page.path)
                .unwrap()
                .contains("state=abc")
        );
        drop(page);
        assert!(!dir.exists());
        // A page left by a process that is gone is removed by the next login.
        let stale = tmp.path().join(format!("{PREFIX}999999999-00"));
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("login.html"), "x").unwrap();
        let page = write_in(tmp.path(), &u).unwrap();
        assert!(!stale.exists());
        drop(page);
    }
}
