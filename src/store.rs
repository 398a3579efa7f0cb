//! The token store: one JSON file per account under `<config dir>/accounts/` (SPEC §2).
//!
//! Guarantees, and why:
//! - Files are created 0600 at `open()` in a 0700 directory, never chmod-ed afterwards, so there
//!   is no moment where another user could read a token. A file that group or others can read
//!   is refused (as ssh refuses such keys) rather than silently used.
//! - Writes are atomic (temporary file in the same directory, fsync, rename, fsync the
//!   directory): a crash or `kill -9` leaves the old file or the new one, never a torn one. The
//!   previous version is kept as `<name>.json.bak` (a hard link, so it costs no copy).
//! - A file that does not parse, or comes from a newer spotctl, is never overwritten: exit 7
//!   naming the file.
//! - Read-refresh-write runs under an exclusive advisory lock on `<name>.lock` (`File::try_lock`).
//!   Advisory locks die with their owner, so a killed process never leaves a stale lock behind.
//! - The directories are checked like ssh's StrictModes: owned by the user (or root) and not
//!   writable by group or others, else exit 7 with the fix, because whoever can write there can
//!   swap or delete accounts. Account and lock files are opened without following symlinks and
//!   without blocking, and must be regular files: a planted link or FIFO is exit 7, never
//!   followed, never a hang. Cleaning up temporaries touches only the exact names this module
//!   creates. On Windows the per-user profile directory, atomic replace and the lock remain;
//!   modes, ownership and directory fsync have no equivalent there and are skipped ([`os`]).
//!
//! Where things are: the file format and its parsing in `account`; what differs between Unix
//! and Windows (and the regular-file check) in `os`; names, atomic writes, backups and locks here.

use crate::error::{Error, Result};

mod account;
pub mod blocking;
mod os;
pub mod pause;
use account::io_limits;
pub use account::{
    Account, ClientAuth, Grant, Learned, LearnedLimit, OAuthExtras, Provider, User, VERSION, now,
    parse_account,
};
use os::regular_file;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Account names are `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`: they become file names, and a name
/// cannot start with a dot, so no account file can look like a temporary or a hidden file.
pub fn validate_name(name: &str) -> Result<()> {
    let b = name.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        let shown: String = name.chars().take(40).flat_map(char::escape_debug).collect();
        Err(Error::usage(format!(
            "invalid account name \"{shown}\": use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )))
    }
}

/// Whether `file` is one of the temporaries [`Store::save`] makes for `name`, exactly:
/// `.<name>.json.tmp-<pid>-<8 hex>` or `.<name>.json.bak-<pid>`. A prefix match would also
/// take another account's files (`.x.json.tmp-1.json.tmp-…` belongs to `x.json.tmp-1`).
fn is_own_temporary(file: &str, name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let Some(rest) = file
        .strip_prefix('.')
        .and_then(|f| f.strip_prefix(name))
        .and_then(|f| f.strip_prefix(".json."))
    else {
        return false;
    };
    if let Some(rest) = rest.strip_prefix("tmp-") {
        matches!(rest.split_once('-'), Some((pid, hex))
            if digits(pid) && hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    } else if let Some(pid) = rest.strip_prefix("bak-") {
        digits(pid)
    } else {
        false
    }
}

/// Whether `dir` is a place only this user controls: it and every parent pass the checks of
/// [`Store::check_dirs`]. `Ok(false)` when it does not exist.
pub fn check_private_path(dir: &Path) -> Result<bool> {
    os::check_parents(dir)?;
    Ok(os::check_dir(dir)?.is_some())
}

#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// Room reserved for an account file (they are about 1–2 KiB; tokens of other providers are
/// longer).
const RESERVE: u64 = 16 * 1024;

/// A temporary file made by [`Store::reserve`]; removed when dropped unless committed.
#[derive(Debug)]
pub struct Reserved {
    file: Option<File>,
    tmp: PathBuf,
}

impl Drop for Reserved {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Held while an account is read, refreshed and written. Dropping it releases the lock.
#[derive(Debug)]
pub struct LockGuard {
    _file: File,
}

impl Store {
    pub fn new(config_dir: &Path) -> Store {
        Store {
            dir: config_dir.join("accounts"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Checks the config and accounts directories (SPEC §2, ssh's StrictModes): owned by this
    /// user or root and not writable by group or others. Returns whether the accounts
    /// directory exists. Run before every read or write: a directory someone else can write
    /// is one where they can swap, plant or delete account and lock files.
    pub fn check_dirs(&self) -> Result<bool> {
        if let Some(config) = self.dir.parent()
            && !config.as_os_str().is_empty()
        {
            os::check_parents(config)?;
            os::check_dir(config)?;
        }
        Ok(os::check_dir(&self.dir)?.is_some())
    }

    fn ensure_dir(&self) -> Result<()> {
        if self.check_dirs()? {
            os::close_readable_dir(&self.dir);
            return Ok(());
        }
        os::create_private_dir(&self.dir).map_err(|e| {
            Error::store(format!(
                "cannot create the account directory {}: {e}",
                self.dir.display()
            ))
        })
    }

    /// Reads an account; `Ok(None)` when it does not exist.
    pub fn load(&self, name: &str) -> Result<Option<Account>> {
        validate_name(name)?;
        if !self.check_dirs()? {
            return Ok(None);
        }
        let path = self.path(name);
        let file = match os::open_read(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(os::open_error(&path, "cannot read", e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| Error::store(format!("cannot read {}: {e}", path.display())))?;
        regular_file(&path, &meta)?;
        os::check_file_mode(&path, &meta)?;
        let bytes = io_limits::read_to_end_limited(file, &path)?;
        parse_account(&bytes, &path).map(Some)
    }

    /// Every account file, sorted by name. A file that cannot be read is returned as its error,
    /// so `accounts` can show it without hiding the others.
    pub fn list(&self) -> Result<Vec<(String, Result<Account>)>> {
        if !self.check_dirs()? {
            return Ok(Vec::new());
        }
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(Error::store(format!(
                    "cannot list {}: {e}",
                    self.dir.display()
                )));
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let f = e.file_name().into_string().ok()?;
                let name = f.strip_suffix(".json")?.to_string();
                validate_name(&name).ok()?;
                Some(name)
            })
            .collect();
        names.sort();
        Ok(names
            .into_iter()
            .map(|n| {
                let acc = self.load(&n).and_then(|a| {
                    a.ok_or_else(|| {
                        Error::store(format!("{} disappeared", self.path(&n).display()))
                    })
                });
                (n, acc)
            })
            .collect())
    }

    /// Atomically replaces (or creates) the account file, keeping the previous version as `.bak`.
    /// Callers hold the account lock ([`Store::lock`]).
    pub fn save(&self, name: &str, account: &Account) -> Result<()> {
        let reserved = self.reserve(name)?;
        self.commit(name, account, reserved)
    }

    /// Creates the temporary file a save will write, with room for an account, before anything
    /// worth keeping exists: a refresh with a provider that rotates refresh tokens reserves it
    /// before asking, so a full disk fails before the old refresh token is spent, not after the
    /// only valid one came back and could not be stored. Callers hold the account lock.
    pub fn reserve(&self, name: &str) -> Result<Reserved> {
        validate_name(name)?;
        self.ensure_dir()?;
        self.remove_stale_temporaries(name);
        let tmp = self.dir.join(format!(
            ".{name}.json.tmp-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let room = fs::metadata(self.path(name))
            .map(|m| m.len())
            .unwrap_or(0)
            .saturating_mul(2)
            .max(RESERVE);
        let create = || -> std::io::Result<File> {
            let mut f = os::create_new_private(&tmp)?;
            // Written, not just sized: a sparse file would reserve nothing.
            f.write_all(&vec![b' '; room as usize])?;
            f.sync_all()?;
            Ok(f)
        };
        match create() {
            Ok(file) => Ok(Reserved {
                file: Some(file),
                tmp,
            }),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(Error::store(format!(
                    "cannot write {}: {e} (the previous version is unchanged)",
                    self.path(name).display()
                )))
            }
        }
    }

    /// Writes `account` into the reserved file and puts it in place of the account file.
    pub fn commit(&self, name: &str, account: &Account, mut reserved: Reserved) -> Result<()> {
        let path = self.path(name);
        let mut json = serde_json::to_vec_pretty(account)
            .map_err(|e| Error::Internal(format!("serializing account: {e}")))?;
        json.push(b'\n');
        // Never write a file that `load` would refuse: the account would be unusable until
        // `logout`.
        if json.len() as u64 > io_limits::MAX {
            return Err(Error::store(format!(
                "{}: the account would be {} bytes, more than the {} KiB an account file may be; nothing was written (the previous version is unchanged)",
                path.display(),
                json.len(),
                io_limits::MAX >> 10
            )));
        }
        let tmp = reserved.tmp.clone();
        let write = |f: &mut File| -> std::io::Result<()> {
            use std::io::Seek;
            f.rewind()?;
            f.write_all(&json)?;
            f.set_len(json.len() as u64)?;
            f.sync_all()?;
            Ok(())
        };
        let written = match reserved.file.as_mut() {
            Some(f) => write(f),
            None => Err(std::io::Error::other("the reserved file was already used")),
        };
        if let Err(e) = written {
            return Err(Error::store(format!(
                "cannot write {}: {e} (the previous version is unchanged)",
                path.display()
            )));
        }
        reserved.file = None;
        // Never replace a planted link (or anything but a file): its target would keep stale
        // tokens and `.bak` would become the link. (Dropping `reserved` removes the temporary.)
        if let Ok(meta) = fs::symlink_metadata(&path) {
            regular_file(&path, &meta)?;
        }
        // Keep the previous version as .bak: a hard link to it, renamed over the old .bak only
        // after the new version is in place, so a failed (or killed) replace never costs the
        // older backup.
        let bak = self.dir.join(format!("{name}.json.bak"));
        let bak_tmp = self
            .dir
            .join(format!(".{name}.json.bak-{}", std::process::id()));
        let _ = fs::remove_file(&bak_tmp);
        let linked = path.exists() && fs::hard_link(&path, &bak_tmp).is_ok();
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&bak_tmp);
            return Err(Error::store(format!(
                "cannot replace {}: {e} (the previous version is unchanged)",
                path.display()
            )));
        }
        if linked {
            let _ = fs::rename(&bak_tmp, &bak);
            // A rename between two links to one file does nothing (POSIX) and leaves the
            // temporary name behind.
            let _ = fs::remove_file(&bak_tmp);
        }
        // Renamed into place: nothing left to remove.
        reserved.tmp = PathBuf::new();
        os::sync_dir(&self.dir);
        Ok(())
    }

    /// Temporary files of `name` left by a process killed mid-write. Saves run under the
    /// account lock, so any that exist now belong to nobody.
    fn remove_stale_temporaries(&self, name: &str) {
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for e in entries.filter_map(|e| e.ok()) {
                if e.file_name()
                    .to_str()
                    .is_some_and(|f| is_own_temporary(f, name))
                {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }

    /// Deletes an account and its backup (not the lock file: `logout` removes it while holding
    /// it, and [`Store::lock`] then takes the new one). Returns whether it existed.
    pub fn delete(&self, name: &str) -> Result<bool> {
        validate_name(name)?;
        if !self.check_dirs()? {
            return Ok(false);
        }
        let path = self.path(name);
        let existed = match fs::remove_file(&path) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                return Err(Error::store(format!(
                    "cannot delete {}: {e}",
                    path.display()
                )));
            }
        };
        let _ = fs::remove_file(self.dir.join(format!("{name}.json.bak")));
        os::sync_dir(&self.dir);
        Ok(existed)
    }

    /// Takes the exclusive lock for `name`, waiting up to `timeout` for another process.
    pub async fn lock(&self, name: &str, timeout: Duration) -> Result<LockGuard> {
        validate_name(name)?;
        self.ensure_dir()?;
        let path = self.dir.join(format!("{name}.lock"));
        let open = || {
            let file =
                os::open_lock(&path).map_err(|e| os::open_error(&path, "cannot open lock", e))?;
            let meta = file
                .metadata()
                .map_err(|e| Error::store(format!("cannot open lock {}: {e}", path.display())))?;
            regular_file(&path, &meta)?;
            Ok::<_, Error>(file)
        };
        let mut file = open()?;
        let start = Instant::now();
        let mut delay = Duration::from_millis(2);
        let mut told = false;
        loop {
            match file.try_lock() {
                // `logout` deletes the lock file while holding it: a lock on a file that is no
                // longer at `path` excludes nobody, so take the one there now.
                Ok(()) if os::still_at(&file, &path) => return Ok(LockGuard { _file: file }),
                Ok(()) => file = open()?,
                Err(std::fs::TryLockError::WouldBlock) => {
                    if !told && start.elapsed() > Duration::from_secs(2) {
                        tracing::warn!(
                            "waiting for another spotctl process using account {name} (up to {}s)",
                            timeout.as_secs()
                        );
                        told = true;
                    }
                    if start.elapsed() >= timeout {
                        return Err(Error::store(format!(
                            "another spotctl process has held {} for {}s; try again, or find it with `fuser {}`",
                            path.display(),
                            timeout.as_secs(),
                            path.display()
                        )));
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_millis(25));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::store(format!("cannot lock {}: {e}", path.display())));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    #[cfg(unix)]
    use std::os::unix::fs::MetadataExt;

    pub fn sample() -> Account {
        Account {
            version: VERSION,
            provider: Provider::Spotify,
            grant: Grant::AuthorizationCode,
            client_id: "cid".into(),
            client_secret: Some(Secret::new("sekrit")),
            redirect_uri: Some("http://127.0.0.1:8888/callback".into()),
            auth_url: None,
            token_url: "https://accounts.spotify.com/api/token".into(),
            api_base: "https://api.spotify.com/v1".into(),
            client_auth: ClientAuth::Basic,
            scopes: vec!["user-library-read".into()],
            access_token: Secret::new("at"),
            token_type: "Bearer".into(),
            expires_at: 100,
            refresh_token: Some(Secret::new("rt")),
            refresh_token_expires_at: None,
            authorized_at: Some(1),
            user: None,
            updated_at: 1,
            learned: Learned::default(),
            oauth: Default::default(),
        }
    }

    #[test]
    fn names() {
        for ok in [
            "default",
            "alice",
            "app-0123abc",
            "a.b_c-d",
            &"x".repeat(64),
        ] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "../x",
            "a\0b",
            "a b",
            "ü",
            &"x".repeat(65),
            ".x.json.tmp-1",
            ".hidden",
            "-flag",
            "_x",
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn temporaries_are_matched_exactly() {
        for own in [".x.json.tmp-42-deadbeef", ".x.json.bak-42"] {
            assert!(is_own_temporary(own, "x"), "{own}");
        }
        for other in [
            ".x.json.tmp-1.json.tmp-99-0000000a",
            ".x.json.bak-keep",
            ".x.json.bak-keep.json.bak-99",
            ".x.json.tmp-42-deadbee",
            ".x.json.tmp-42-deadbeefa",
            ".x.json.tmp--deadbeef",
            ".x.json.bak-",
            ".xy.json.bak-42",
            "x.json.bak-42",
            "x.json",
            "x.json.bak",
            "x.lock",
        ] {
            assert!(!is_own_temporary(other, "x"), "{other}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        #[test]
        fn account_names_never_escape_the_directory(name in "\\PC{0,80}") {
            if validate_name(&name).is_ok() {
                let store = Store::new(Path::new("/cfg"));
                let p = store.path(&name);
                proptest::prop_assert_eq!(p.parent(), Some(Path::new("/cfg/accounts")));
                proptest::prop_assert!(!name.contains('/') && !name.contains('\0') && name != ".." && name != ".");
            }
        }

        #[test]
        fn account_parser_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = parse_account(&bytes, Path::new("/x.json"));
        }

        #[test]
        fn truncated_account_files_are_refused(cut in 0usize..400) {
            let json = serde_json::to_vec(&sample()).unwrap();
            let cut = cut.min(json.len() - 1);
            let e = parse_account(&json[..cut], Path::new("/x.json")).unwrap_err();
            proptest::prop_assert_eq!(e.exit_code(), 7);
        }
    }

    #[cfg(unix)]
    #[test]
    fn save_load_roundtrip_modes_and_backup() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        let mut a = sample();
        store.save("alice", &a).unwrap();
        let dir_mode = fs::metadata(store.dir()).unwrap().mode() & 0o777;
        assert_eq!(dir_mode, 0o700);
        let file_mode = fs::metadata(store.path("alice")).unwrap().mode() & 0o777;
        assert_eq!(file_mode, 0o600);
        a.access_token = Secret::new("at2");
        store.save("alice", &a).unwrap();
        let back = store.load("alice").unwrap().unwrap();
        assert_eq!(back.access_token.expose(), "at2");
        let bak = fs::read_to_string(store.dir().join("alice.json.bak")).unwrap();
        assert!(bak.contains("\"at\""));
        // no temporary files left behind
        let leftovers: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty());
    }

    /// An account that `load` would refuse (over 1 MiB: a 1.5 MiB `display_name` once made
    /// one) is never put in place: the previous version stays and stays usable.
    #[test]
    fn an_account_too_large_to_read_back_is_never_written() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        store.save("alice", &sample()).unwrap();
        let before = fs::read(store.path("alice")).unwrap();
        let mut big = sample();
        big.scopes = vec!["x".repeat(2 << 20)];
        let e = store.save("alice", &big).unwrap_err();
        assert_eq!(e.exit_code(), 7);
        assert!(e.to_string().contains("nothing was written"), "{e}");
        assert_eq!(fs::read(store.path("alice")).unwrap(), before);
        assert!(store.load("alice").unwrap().is_some());
        let names: Vec<String> = fs::read_dir(store.dir())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["alice.json"], "no temporary left");
    }

    /// A run killed after linking `.bak` but before replacing the file leaves `.bak` and the
    /// file as two links to one inode; `rename` between such links does nothing (POSIX), so the
    /// next save must remove its `.bak-<pid>` link itself. Found by
    /// `store::kill_9_during_refresh_never_tears_the_file`.
    #[test]
    fn a_save_after_a_crash_between_backup_and_replace_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        store.save("alice", &sample()).unwrap();
        let bak = store.dir().join("alice.json.bak");
        let _ = fs::remove_file(&bak);
        fs::hard_link(store.path("alice"), &bak).unwrap();
        store.save("alice", &sample()).unwrap();
        let mut names: Vec<String> = fs::read_dir(store.dir())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["alice.json", "alice.json.bak"]);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_open_permissions_and_corrupt_files() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        store.save("alice", &sample()).unwrap();
        let p = store.path("alice");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let e = store.load("alice").unwrap_err();
        assert_eq!(e.exit_code(), 7);
        assert!(e.to_string().contains("chmod 600"), "{e}");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&p, b"{\"version\":1,").unwrap();
        let e = store.load("alice").unwrap_err();
        assert!(e.to_string().contains("corrupt"), "{e}");
        fs::write(&p, b"{\"version\":99}").unwrap();
        let e = store.load("alice").unwrap_err();
        assert!(e.to_string().contains("newer spotctl"), "{e}");
    }
}
