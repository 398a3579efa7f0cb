//! Rate limits across processes (SPEC §1): the "not before" instant a 429's `Retry-After` set,
//! per app and origin, in a small state file beside the accounts, so the next spotctl process
//! (an `xargs -P 8 spotctl …` loop) waits for it, or exits 5 at once, instead of sending into
//! the blocked window.
//!
//! `<accounts>/<client id>.pause` (not `.json`: it is not an account), `{"version":1,
//! "not_before":{"https://api.spotify.com":1767225600000}}` in unix milliseconds. The store's
//! rules hold: written atomically (temporary file created 0600, fsync, rename, fsync the
//! directory) under an exclusive lock on `<client id>.pause.lock`; opened without following
//! links, a regular file only; entries already past are dropped at each write. Reads need no
//! lock (a rename is atomic). Everything here blocks on files: callers run it off the runtime
//! (`spawn_blocking`). It is best effort: a pause file that cannot be read or written costs
//! only the sharing (a warning), never the run.

use super::os;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Real files are a few hundred bytes; a larger one is not ours.
const MAX_FILE: u64 = 64 << 10;
/// How long a writer waits for another one (a write takes milliseconds).
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// The pause file of one app.
#[derive(Debug, Clone)]
pub struct PauseFile {
    dir: PathBuf,
    base: String,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Contents {
    version: u32,
    /// Origin → unix milliseconds.
    not_before: BTreeMap<String, u64>,
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl PauseFile {
    /// The pause file of the app `client_id`, in the accounts directory `dir`. A client id
    /// that is not plain letters and digits is named by its hash (it names a file).
    pub fn new(dir: &Path, client_id: &str) -> PauseFile {
        let plain = !client_id.is_empty()
            && client_id.len() <= 64
            && client_id.bytes().all(|b| b.is_ascii_alphanumeric());
        let base = if plain {
            client_id.to_string()
        } else {
            use sha2::Digest;
            let h = sha2::Sha256::digest(client_id.as_bytes());
            h.iter().take(16).map(|b| format!("{b:02x}")).collect()
        };
        PauseFile {
            dir: dir.to_path_buf(),
            base,
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(format!("{}.pause", self.base))
    }

    fn read(&self) -> Result<Contents> {
        let path = self.path();
        let file = match os::open_read(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Contents::default()),
            Err(e) => return Err(os::open_error(&path, "cannot read", e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| Error::store(format!("cannot read {}: {e}", path.display())))?;
        super::regular_file(&path, &meta)?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::store(format!("cannot read {}: {e}", path.display())))?;
        if bytes.len() as u64 > MAX_FILE {
            return Err(Error::store(format!("{} is too large", path.display())));
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::store(format!("{} is not a pause file: {e}", path.display())))
    }

    /// The origins still paused, and until when. A file that cannot be read pauses nothing.
    pub fn load(&self) -> Vec<(String, SystemTime)> {
        let contents = match self.read() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("ignoring the shared rate-limit pause: {e}");
                return Vec::new();
            }
        };
        let now = unix_ms(SystemTime::now());
        contents
            .not_before
            .into_iter()
            .filter(|(_, ms)| *ms > now)
            .map(|(o, ms)| (o, UNIX_EPOCH + Duration::from_millis(ms)))
            .collect()
    }

    /// Records that `origin` may not be asked before `until` (keeping a later instant another
    /// process recorded). Blocks: run it off the runtime.
    pub fn record(&self, origin: &str, until: SystemTime) -> Result<()> {
        let lock_path = self.dir.join(format!("{}.pause.lock", self.base));
        let lock = os::open_lock(&lock_path)
            .map_err(|e| os::open_error(&lock_path, "cannot open lock", e))?;
        let meta = lock
            .metadata()
            .map_err(|e| Error::store(format!("cannot open lock {}: {e}", lock_path.display())))?;
        super::regular_file(&lock_path, &meta)?;
        let start = std::time::Instant::now();
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::store(format!(
                        "{} is held by another process",
                        lock_path.display()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::store(format!(
                        "cannot lock {}: {e}",
                        lock_path.display()
                    )));
                }
            }
        }
        // A file we cannot read is replaced: it only ever holds pauses.
        let mut contents = self.read().unwrap_or_default();
        let now = unix_ms(SystemTime::now());
        contents.version = 1;
        contents.not_before.retain(|_, ms| *ms > now);
        let ms = unix_ms(until);
        let entry = contents.not_before.entry(origin.to_string()).or_insert(0);
        if *entry >= ms {
            return Ok(());
        }
        *entry = ms;
        let json = serde_json::to_vec(&contents)
            .map_err(|e| Error::Internal(format!("serializing the pause file: {e}")))?;
        let path = self.path();
        // Under the lock, a temporary of ours that exists was left by a killed process.
        let tmp = self
            .dir
            .join(format!(".{}.pause.tmp-{}", self.base, std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let write = || -> std::io::Result<()> {
            let mut f = os::create_new_private(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::store(format!(
                "cannot write {}: {e}",
                path.display()
            )));
        }
        os::sync_dir(&self.dir);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_the_later_instant_and_drop_the_past() {
        let dir = tempfile::tempdir().unwrap();
        let f = PauseFile::new(dir.path(), "abc123");
        assert!(f.load().is_empty(), "no file: nothing paused");
        let soon = SystemTime::now() + Duration::from_secs(60);
        let later = soon + Duration::from_secs(60);
        f.record("https://api.example", later).unwrap();
        f.record("https://api.example", soon).unwrap();
        f.record("https://accounts.example", soon).unwrap();
        let got = f.load();
        assert_eq!(got.len(), 2);
        let api = got
            .iter()
            .find(|(o, _)| o == "https://api.example")
            .unwrap();
        assert_eq!(unix_ms(api.1), unix_ms(later), "the later instant stays");
        std::fs::write(f.path(), "not json").unwrap();
        assert!(f.load().is_empty(), "a broken file pauses nothing");
        f.record("https://api.example", soon).unwrap();
        assert_eq!(f.load().len(), 1, "and is replaced by the next record");
        assert_eq!(
            PauseFile::new(dir.path(), "../x").base.len(),
            32,
            "odd client ids are hashed"
        );
    }
}
