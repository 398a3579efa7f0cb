//! What differs between Unix and Windows. Unix: modes, ownership, no-follow and non-blocking
//! opens, directory fsync. Windows: the per-user profile directory's ACLs stand in for modes
//! and ownership, `rename` replaces atomically (MoveFileEx), `File::try_lock` is LockFileEx;
//! there is no directory fsync and no FIFO to fear.
//!
//! Shared by both: an account or lock file must be a regular file, never a link.

use crate::error::{Error, Result};
use std::fs;
use std::path::Path;

#[cfg(not(unix))]
pub use portable::*;
#[cfg(unix)]
pub use unix::*;

/// Account and lock files must be regular files: a FIFO would hang a reader, a device or a
/// directory is not ours, a link points somewhere spotctl was not asked to write.
pub fn regular_file(path: &Path, meta: &fs::Metadata) -> Result<()> {
    if meta.file_type().is_symlink() {
        return Err(symlink_error(path));
    }
    if !meta.is_file() {
        return Err(Error::store(format!(
            "{} is not a regular file (a FIFO, device or directory); spotctl never reads or replaces such a thing: remove it",
            path.display()
        )));
    }
    Ok(())
}

fn symlink_error(path: &Path) -> Error {
    Error::store(format!(
        "{} is a symbolic link; spotctl does not follow links in its account directory: replace it with the file itself, or remove it",
        path.display()
    ))
}

#[cfg(unix)]
mod unix {
    use crate::error::{Error, Result};
    use std::fs::{self, DirBuilder, File, OpenOptions};
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    /// No symlinks, no waiting for a FIFO's writer, not inherited by children.
    fn flags() -> i32 {
        use rustix::fs::OFlags;
        (OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC).bits() as i32
    }

    pub fn open_read(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .custom_flags(flags())
            .open(path)
    }

    pub fn open_lock(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(flags())
            .open(path)
    }

    /// A new file, 0600 from its creation (`O_EXCL` never follows a link either).
    pub fn create_new_private(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(flags())
            .open(path)
    }

    /// An open error, saying "symbolic link" when `O_NOFOLLOW` refused one.
    pub fn open_error(path: &Path, what: &str, e: std::io::Error) -> Error {
        let is_link = e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
            && fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if is_link {
            super::symlink_error(path)
        } else {
            Error::store(format!("{what} {}: {e}", path.display()))
        }
    }

    /// `Ok(None)` when `dir` does not exist; exit 7 when it is not a directory, belongs to
    /// someone else, or group or others can write it.
    pub fn check_dir(dir: &Path) -> Result<Option<fs::Metadata>> {
        let meta = match fs::metadata(dir) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::store(format!("cannot read {}: {e}", dir.display()))),
        };
        if !meta.is_dir() {
            return Err(Error::store(format!(
                "{} is not a directory; point --config-dir (SPOTCTL_CONFIG_DIR) at a directory of your own",
                dir.display()
            )));
        }
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me && meta.uid() != 0 {
            return Err(Error::store(format!(
                "{} is owned by uid {}, not by you (uid {me}): its owner could replace or delete your accounts; use a directory of your own (--config-dir or SPOTCTL_CONFIG_DIR)",
                dir.display(),
                meta.uid()
            )));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            let fix = if meta.uid() == me {
                format!("run `chmod go-w {}`", dir.display())
            } else {
                "use a directory of your own (--config-dir or SPOTCTL_CONFIG_DIR)".to_string()
            };
            return Err(Error::store(format!(
                "{} is writable by group or others (mode {mode:04o}): they could replace or delete your accounts; {fix}",
                dir.display()
            )));
        }
        Ok(Some(meta))
    }

    /// Every parent of `dir` up to `/`, as ssh's `safe_path` checks them: owned by this user or
    /// root, and not writable by group or others — except a sticky directory (`/tmp`) owned by
    /// root or this user, where others cannot rename or delete our entries. Whoever can write
    /// a parent can rename the directory below it and put one of their own in its place.
    /// Symbolic links are resolved first (the real directories are the ones that count); a
    /// directory that does not exist yet is checked from its first existing ancestor.
    pub fn check_parents(dir: &Path) -> Result<()> {
        let mut existing = dir;
        let canon = loop {
            match fs::canonicalize(existing) {
                Ok(c) => break c,
                Err(_) => match existing.parent() {
                    Some(p) if !p.as_os_str().is_empty() => existing = p,
                    _ => return Ok(()),
                },
            }
        };
        let me = rustix::process::geteuid().as_raw();
        // `dir` itself (when it exists) is checked more strictly by `check_dir`.
        let skip = usize::from(existing == dir);
        for parent in canon.ancestors().skip(skip) {
            let meta = fs::metadata(parent)
                .map_err(|e| Error::store(format!("cannot read {}: {e}", parent.display())))?;
            let mode = meta.mode() & 0o7777;
            let owner_ok = meta.uid() == me || meta.uid() == 0;
            let sticky = mode & 0o1000 != 0;
            let writable = mode & 0o022 != 0;
            let elsewhere =
                "or use a config directory elsewhere (--config-dir or SPOTCTL_CONFIG_DIR)";
            if !owner_ok {
                return Err(Error::store(format!(
                    "{} (a parent of {}) is owned by uid {}, not by you (uid {me}) or root: its owner could replace the directories below it and your accounts with them; {elsewhere}",
                    parent.display(),
                    dir.display(),
                    meta.uid()
                )));
            }
            if writable && !sticky {
                let fix = if meta.uid() == me {
                    format!("run `chmod go-w {}`, {elsewhere}", parent.display())
                } else {
                    format!(
                        "ask root to run `chmod go-w {}`, {elsewhere}",
                        parent.display()
                    )
                };
                return Err(Error::store(format!(
                    "{} (a parent of {}) is writable by group or others (mode {mode:04o}) and not sticky: they could rename the directories below it and put their own accounts in their place; {fix}",
                    parent.display(),
                    dir.display()
                )));
            }
        }
        Ok(())
    }

    /// The accounts directory is 0700; one that others can only read or enter (made by hand,
    /// or by an old tool) is closed, when it is ours to change.
    pub fn close_readable_dir(dir: &Path) {
        let Ok(meta) = fs::metadata(dir) else { return };
        if meta.mode() & 0o077 != 0 && meta.uid() == rustix::process::geteuid().as_raw() {
            tracing::warn!(
                "{} was readable by other users; setting it to 0700",
                dir.display()
            );
            if let Err(e) = fs::set_permissions(dir, fs::Permissions::from_mode(0o700)) {
                tracing::warn!("cannot set {} to 0700: {e}", dir.display());
            }
        }
    }

    pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }

    /// An account file that group or others can read is refused, as ssh refuses such keys.
    pub fn check_file_mode(path: &Path, meta: &fs::Metadata) -> Result<()> {
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::store(format!(
                "permissions {mode:04o} on {} are too open: other users could read your tokens; run `chmod 600 {}`",
                path.display(),
                path.display()
            )));
        }
        Ok(())
    }

    /// Whether the open `file` is still the one named `path` (not deleted or replaced since).
    pub fn still_at(file: &File, path: &Path) -> bool {
        match (file.metadata(), fs::symlink_metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }

    /// Makes a rename or unlink durable.
    pub fn sync_dir(dir: &Path) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

#[cfg(not(unix))]
mod portable {
    use crate::error::{Error, Result};
    use std::fs::{self, File, OpenOptions};
    use std::path::Path;

    pub fn open_read(path: &Path) -> std::io::Result<File> {
        File::open(path)
    }

    /// Lock files are never deleted here (`logout` removes them on Unix only).
    pub fn still_at(_file: &File, _path: &Path) -> bool {
        true
    }

    pub fn open_lock(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
    }

    pub fn create_new_private(path: &Path) -> std::io::Result<File> {
        OpenOptions::new().write(true).create_new(true).open(path)
    }

    pub fn open_error(path: &Path, what: &str, e: std::io::Error) -> Error {
        Error::store(format!("{what} {}: {e}", path.display()))
    }

    pub fn check_dir(dir: &Path) -> Result<Option<fs::Metadata>> {
        match fs::metadata(dir) {
            Ok(m) if m.is_dir() => Ok(Some(m)),
            Ok(_) => Err(Error::store(format!(
                "{} is not a directory; point --config-dir (SPOTCTL_CONFIG_DIR) at a directory of your own",
                dir.display()
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::store(format!("cannot read {}: {e}", dir.display()))),
        }
    }

    pub fn check_parents(_dir: &Path) -> Result<()> {
        Ok(())
    }

    pub fn close_readable_dir(_dir: &Path) {}

    pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
        fs::create_dir_all(dir)
    }

    pub fn check_file_mode(_path: &Path, _meta: &fs::Metadata) -> Result<()> {
        Ok(())
    }

    pub fn sync_dir(_dir: &Path) {}
}
