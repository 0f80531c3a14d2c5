//! The data directory's lock: one daemon per data directory.
//!
//! Two daemons on one directory would both log into the carriers with the same accounts
//! and each take the other's in-flight work for a crash to recover. So the daemon holds an
//! exclusive OS file lock (`flock`) on `hongyan.lock` in the directory for as long as it
//! runs, and writes its pid there so a second start can say who holds it. The operating
//! system drops the lock when the holder exits in any way (kill -9 included), so a stale
//! file is no obstacle: only a live holder is.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "hongyan.lock";

/// Why the data directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live process holds the lock.
    #[error(
        "data directory {dir} is in use by another hongyan process{}; stop it first, or give this one its own storage.data_dir",
        .pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Held {
        /// The data directory.
        dir: PathBuf,
        /// The holder's pid, as it wrote it (None if it could not be read).
        pid: Option<u32>,
    },
    /// The lock file cannot be opened, locked or written.
    #[error("cannot lock data directory {dir} ({file}): {source}")]
    Io {
        /// The data directory.
        dir: PathBuf,
        /// The lock file.
        file: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// The held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct DataDirLock {
    // Held only for the lock it carries.
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Locks `dir` (which must exist) for this process, or says who holds it.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            dir: dir.to_path_buf(),
            file: path.clone(),
            source,
        };
        // Not truncated on open: until the lock is ours, the pid in it is the holder's.
        let mut file = open_lock_file(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held {
                    dir: dir.to_path_buf(),
                    pid: read_pid(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        write_pid(&mut file, std::process::id()).map_err(io)?;
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn open_lock_file(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    parse_pid(&text)
}

/// The pid in a lock file's text (one number, maybe followed by a newline).
fn parse_pid(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}

fn write_pid(file: &mut File, pid: u32) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{pid}")?;
    file.flush()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    #[test]
    fn a_second_lock_is_refused_naming_the_directory_and_the_holders_pid() {
        let dir = TempDir::new("lock-second");
        let held = DataDirLock::acquire(dir.path()).unwrap();
        let err = DataDirLock::acquire(dir.path()).unwrap_err();
        match &err {
            LockError::Held { dir: d, pid } => {
                assert_eq!(d, dir.path());
                assert_eq!(*pid, Some(std::process::id()));
            }
            other => panic!("unexpected {other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        drop(held);
        // Released: the next one gets it.
        DataDirLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn a_stale_lock_file_from_a_dead_process_is_no_obstacle() {
        let dir = TempDir::new("lock-stale");
        std::fs::write(dir.join(LOCK_FILE), "999999999\n").unwrap();
        let lock = DataDirLock::acquire(dir.path()).unwrap();
        let text = std::fs::read_to_string(lock.path()).unwrap();
        assert_eq!(parse_pid(&text), Some(std::process::id()));
    }

    #[test]
    fn pids_parse_with_or_without_a_newline() {
        assert_eq!(parse_pid("42\n"), Some(42));
        assert_eq!(parse_pid("42"), Some(42));
        assert_eq!(parse_pid(""), None);
        assert_eq!(parse_pid("x"), None);
    }
}
