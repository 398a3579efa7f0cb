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

use crate::error::{Error, Result};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
#[cfg(not(unix))]
use temp_windows_stub::*;

/// TEMP (dropped by the lead; #9 makes this module portable): no-op modes so the crate builds
/// for Windows while #11 works on the rest.
#[cfg(not(unix))]
mod temp_windows_stub {
    pub trait DirBuilderExt {
        fn mode(&mut self, _: u32) -> &mut Self {
            self
        }
    }
    impl DirBuilderExt for std::fs::DirBuilder {}
    pub trait OpenOptionsExt {
        fn mode(&mut self, _: u32) -> &mut Self {
            self
        }
    }
    impl OpenOptionsExt for std::fs::OpenOptions {}
    pub trait MetadataExt {
        fn mode(&self) -> u32 {
            0o600
        }
    }
    impl MetadataExt for std::fs::Metadata {}
    pub trait PermissionsExt {
        fn from_mode(_: u32) -> Self;
    }
    impl PermissionsExt for std::fs::Permissions {
        fn from_mode(_: u32) -> Self {
            unreachable!("TEMP stub")
        }
    }
}
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The account file format version this build writes and understands.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Spotify,
    Kakao,
    Custom,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Spotify => "spotify",
            Provider::Kakao => "kakao",
            Provider::Custom => "custom",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    ClientCredentials,
    AuthorizationCode,
}

impl Grant {
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::AuthorizationCode => "authorization_code",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// HTTP Basic `client_id:client_secret`.
    Basic,
    /// `client_id` (and `client_secret` when there is one) in the form body; also used by PKCE.
    Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// What spotctl learned about the service for this account, so the next run starts right.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learned {
    /// The largest page size the service accepted (50, or 10 for Development Mode apps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_limit: Option<u32>,
    /// When `page_limit` was learned (unix seconds); after a week it is probed again, so an
    /// app moved to extended quota gets its 50 back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_limit_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub version: u32,
    pub provider: Provider,
    pub grant: Grant,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    pub token_url: String,
    pub api_base: String,
    pub client_auth: ClientAuth,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub access_token: Secret,
    #[serde(default = "bearer")]
    pub token_type: String,
    /// Unix seconds.
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    pub updated_at: i64,
    #[serde(default)]
    pub learned: Learned,
}

fn bearer() -> String {
    "Bearer".to_string()
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Account names are `[A-Za-z0-9._-]{1,64}` and not `.`/`..`: they become file names.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        let shown: String = name.chars().take(40).flat_map(char::escape_debug).collect();
        Err(Error::usage(format!(
            "invalid account name \"{shown}\": use 1-64 letters, digits, '.', '_' or '-' (not `.` or `..`)"
        )))
    }
}

pub struct Store {
    dir: PathBuf,
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

    fn ensure_dir(&self) -> Result<()> {
        if let Ok(meta) = fs::metadata(&self.dir)
            && meta.is_dir()
        {
            // A directory others can list or enter (made by hand, or by an old tool): close it.
            if meta.mode() & 0o077 != 0 {
                #[cfg(unix)]
                use std::os::unix::fs::PermissionsExt;
                tracing::warn!(
                    "{} was accessible to other users; setting it to 0700",
                    self.dir.display()
                );
                if let Err(e) = fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700)) {
                    // Not ours to change (a shared directory): the files are 0600 regardless.
                    tracing::warn!("cannot set {} to 0700: {e}", self.dir.display());
                }
            }
            return Ok(());
        }
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| {
                Error::store(format!(
                    "cannot create the account directory {}: {e}",
                    self.dir.display()
                ))
            })
    }

    /// Reads an account; `Ok(None)` when it does not exist.
    pub fn load(&self, name: &str) -> Result<Option<Account>> {
        validate_name(name)?;
        let path = self.path(name);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::store(format!("cannot read {}: {e}", path.display())));
            }
        };
        let meta = file
            .metadata()
            .map_err(|e| Error::store(format!("cannot read {}: {e}", path.display())))?;
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::store(format!(
                "permissions {mode:04o} on {} are too open: other users could read your tokens; run `chmod 600 {}`",
                path.display(),
                path.display()
            )));
        }
        let bytes = io_limits::read_to_end_limited(file, &path)?;
        parse_account(&bytes, &path).map(Some)
    }

    /// Every account file, sorted by name. A file that cannot be read is returned as its error,
    /// so `accounts` can show it without hiding the others.
    pub fn list(&self) -> Result<Vec<(String, Result<Account>)>> {
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
        validate_name(name)?;
        self.ensure_dir()?;
        let path = self.path(name);
        let mut json = serde_json::to_vec_pretty(account)
            .map_err(|e| Error::Internal(format!("serializing account: {e}")))?;
        json.push(b'\n');
        self.remove_stale_temporaries(name);
        let tmp = self.dir.join(format!(
            ".{name}.json.tmp-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            Ok(())
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(Error::store(format!(
                "cannot write {}: {e} (the previous version is unchanged)",
                path.display()
            )));
        }
        if path.exists() {
            // Keep the previous version: a hard link renamed over the old .bak, atomically.
            let bak = self.dir.join(format!("{name}.json.bak"));
            let bak_tmp = self
                .dir
                .join(format!(".{name}.json.bak-{}", std::process::id()));
            let _ = fs::remove_file(&bak_tmp);
            if fs::hard_link(&path, &bak_tmp).is_ok() && fs::rename(&bak_tmp, &bak).is_err() {
                let _ = fs::remove_file(&bak_tmp);
            }
        }
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(Error::store(format!(
                "cannot replace {}: {e} (the previous version is unchanged)",
                path.display()
            )));
        }
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Temporary files of `name` left by a process killed mid-write. Saves run under the
    /// account lock, so any that exist now belong to nobody.
    fn remove_stale_temporaries(&self, name: &str) {
        let prefixes = [format!(".{name}.json.tmp-"), format!(".{name}.json.bak-")];
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for e in entries.filter_map(|e| e.ok()) {
                let f = e.file_name();
                let f = f.to_string_lossy();
                if prefixes.iter().any(|p| f.starts_with(p.as_str())) {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }

    /// Deletes an account and its backup (the lock file stays: deleting it while another
    /// process waits on it would let two processes hold "the" lock). Returns whether it existed.
    pub fn delete(&self, name: &str) -> Result<bool> {
        validate_name(name)?;
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
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(existed)
    }

    /// Takes the exclusive lock for `name`, waiting up to `timeout` for another process.
    pub async fn lock(&self, name: &str, timeout: Duration) -> Result<LockGuard> {
        validate_name(name)?;
        self.ensure_dir()?;
        let path = self.dir.join(format!("{name}.lock"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::store(format!("cannot open lock {}: {e}", path.display())))?;
        let start = Instant::now();
        let mut delay = Duration::from_millis(2);
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(LockGuard { _file: file }),
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

/// Parses an account file's bytes. Never guesses: anything unexpected is exit 7 naming the file.
pub fn parse_account(bytes: &[u8], path: &Path) -> Result<Account> {
    let corrupt = |why: String| {
        Error::store(format!(
            "account file {} is corrupt ({why}); it was left untouched: fix it, restore {}.bak, or delete it and log in again",
            path.display(),
            path.display()
        ))
    };
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) if v > u64::from(VERSION) => {
            return Err(Error::store(format!(
                "account file {} was written by a newer spotctl (format version {v}, this one understands {VERSION}); upgrade spotctl — the file was left untouched",
                path.display()
            )));
        }
        _ => return Err(corrupt("no valid \"version\" field".into())),
    }
    serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))
}

mod io_limits {
    //! Account files are small; refuse to read a huge one into memory.
    use crate::error::{Error, Result};
    use std::io::Read;
    use std::path::Path;

    const MAX: u64 = 1 << 20;

    pub fn read_to_end_limited(file: std::fs::File, path: &Path) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        file.take(MAX + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::store(format!("cannot read {}: {e}", path.display())))?;
        if buf.len() as u64 > MAX {
            return Err(Error::store(format!(
                "account file {} is larger than 1 MiB; it was left untouched",
                path.display()
            )));
        }
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
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
