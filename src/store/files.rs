//! The database's files on disk: readable and writable by their owner only (0600), the
//! `-wal` and `-shm` beside it too, whatever the umask — they hold message texts,
//! numbers and replies.
//!
//! SQLite creates the `-wal` and `-shm` files with the main file's permission bits, so
//! the main file is created here (empty, which SQLite takes as a new database) with 0600
//! before SQLite first opens it; files left by an earlier run are set to 0600 as well.

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::error::{Result, StoreError};

/// Permission bits of every database file.
pub const DB_FILE_MODE: u32 = 0o600;

/// The main file and the two SQLite keeps beside it in WAL mode.
pub(crate) fn database_files(path: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    [path.to_path_buf(), with("-wal"), with("-shm")]
}

/// Creates the main file (0600) if missing and sets 0600 on those of the three files
/// that exist. Call before SQLite opens the file, and again once it has (the log and the
/// shared-memory index exist from then on).
pub(crate) fn make_private(path: &Path) -> Result<()> {
    let err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| StoreError::FileMode { path: p, source }
    };
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(DB_FILE_MODE)
        .open(path)
        .map_err(err(path))?;
    for file in database_files(path) {
        match std::fs::metadata(&file) {
            Ok(m) if m.permissions().mode() & 0o777 == DB_FILE_MODE => {}
            Ok(_) => std::fs::set_permissions(&file, std::fs::Permissions::from_mode(DB_FILE_MODE))
                .map_err(err(&file))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(&file)(e)),
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::TempDb;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_database_its_log_and_its_index_are_owner_only() {
        let db = TempDb::new("file-modes");
        let s = db.open();
        for f in database_files(db.path()) {
            assert_eq!(mode(&f), DB_FILE_MODE, "{}", f.display());
        }
        drop(s);
    }

    #[test]
    fn files_left_open_to_others_by_an_earlier_run_are_closed_again() {
        let db = TempDb::new("file-modes-old");
        drop(db.open());
        for f in database_files(db.path()).iter().filter(|f| f.exists()) {
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let s = db.open();
        for f in database_files(db.path()) {
            assert_eq!(mode(&f), DB_FILE_MODE, "{}", f.display());
        }
        drop(s);
    }
}
