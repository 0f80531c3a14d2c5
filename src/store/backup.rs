//! `hongyan backup FILE`: an online copy of the SQLite database with SQLite's backup
//! API, taken while the daemon runs.
//!
//! The copy is one consistent snapshot: the source connection holds a read transaction
//! for the whole copy, so the daemon's writes (WAL mode: a reader never blocks the
//! writer) neither stop nor restart it. Pages go over in steps, so a progress line can
//! be shown; a step that finds the database busy or locked is retried after a pause,
//! within a bound. The copy is written to a temporary file beside FILE (owner-only,
//! 0600: it holds every message and number), checked with `PRAGMA quick_check`, synced,
//! then renamed into place, so FILE is either the whole backup or untouched.
//!
//! The source is opened read-only: `hongyan backup` run as root must not leave files
//! owned by root in the daemon's data directory. The journal of SUBMITs on the wire and
//! the data directory's lock are not copied: both describe one running process, and a
//! daemon started on a restored database starts a fresh journal.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

/// Pages per backup step (4 MiB at the default page size): small enough for a moving
/// progress line, large enough not to take long.
const PAGES_PER_STEP: i32 = 1024;
/// Pause before retrying a step that found the database busy or locked.
const BUSY_PAUSE: Duration = Duration::from_millis(20);
/// How long steps may keep finding the database busy before the backup gives up.
const BUSY_LIMIT: Duration = Duration::from_secs(60);

/// Why a backup was not made. FILE is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// There is no database where the config says.
    #[error("no database at {0}: check --config / HONGYAN_DATA (the same as `hongyan run` uses)")]
    NoDatabase(PathBuf),
    /// FILE exists and `--force` was not given.
    #[error("{0} exists; give --force to overwrite it")]
    Exists(PathBuf),
    /// Creating, writing or renaming the backup file failed.
    #[error("backup file {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// SQLite refused (opening, a step, the check).
    #[error("{what}: {source}")]
    Sqlite {
        /// What was being done.
        what: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database stayed busy or locked for [`BUSY_LIMIT`].
    #[error("the database stayed busy for {0:?}; try again")]
    Busy(Duration),
    /// The copy failed SQLite's own check.
    #[error("the copy failed its integrity check: {0}")]
    Check(String),
}

/// What a finished backup copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The database copied.
    pub source: PathBuf,
    /// The backup file.
    pub file: PathBuf,
    /// Its size in pages and bytes.
    pub pages: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Pages copied so far and in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupProgress {
    /// Pages copied.
    pub done: u64,
    /// Pages in the database.
    pub total: u64,
}

/// Copies the database at `source` to `file` (see the module header); `progress` is
/// called after each step.
pub fn backup(
    source: &Path,
    file: &Path,
    force: bool,
    mut progress: impl FnMut(BackupProgress),
) -> Result<BackupReport, BackupError> {
    if !source.is_file() {
        return Err(BackupError::NoDatabase(source.to_path_buf()));
    }
    if !force && file.exists() {
        return Err(BackupError::Exists(file.to_path_buf()));
    }
    let tmp = temporary(file);
    // A WAL database that no connection has open has no -wal file. Then nothing may be
    // created beside it (a backup run as root would leave root-owned -wal/-shm files the
    // daemon cannot open), so it is read as immutable; if a daemon started meanwhile
    // (a -wal file appeared, or the file changed), the copy is made again the ordinary
    // way, beside the daemon.
    let mut quiet = !wal_of(source).exists();
    let pages = loop {
        let before = stamp(source);
        let src = open_source(source, quiet)?;
        let pages = match copy(&src, &tmp, &mut progress) {
            Ok(pages) => pages,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        drop(src);
        if quiet && (wal_of(source).exists() || stamp(source) != before) {
            let _ = std::fs::remove_file(&tmp);
            quiet = false;
            continue;
        }
        break pages;
    };
    std::fs::rename(&tmp, file).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        BackupError::Write {
            path: file.to_path_buf(),
            source,
        }
    })?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(BackupReport {
        source: source.to_path_buf(),
        file: file.to_path_buf(),
        pages,
        bytes,
    })
}

/// Opens the database read-only; `immutable` when no connection has it open.
fn open_source(source: &Path, immutable: bool) -> Result<Connection, BackupError> {
    let fail = |e| BackupError::Sqlite {
        what: format!("cannot open {}", source.display()),
        source: e,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let src = if immutable {
        let uri = format!("file:{}?immutable=1", uri_path(source));
        Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
    } else {
        Connection::open_with_flags(source, flags)
    }
    .map_err(fail)?;
    src.busy_timeout(Duration::from_secs(5)).map_err(fail)?;
    Ok(src)
}

/// `path` for a `file:` URI: `%`, `?` and `#` escaped (SQLite decodes them).
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

/// The database's write-ahead log, present while any connection has it open.
fn wal_of(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push("-wal");
    PathBuf::from(name)
}

/// What tells that a file was written: its length and modification time.
fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// `FILE.partial-PID` beside `file`, so the rename stays on one file system.
fn temporary(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".partial-{}", std::process::id()));
    file.with_file_name(name)
}

/// The copy into `tmp` (created 0600); the number of pages.
fn copy(
    src: &Connection,
    tmp: &Path,
    progress: &mut impl FnMut(BackupProgress),
) -> Result<u64, BackupError> {
    let write = |source| BackupError::Write {
        path: tmp.to_path_buf(),
        source,
    };
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(tmp)
            .map_err(write)?;
    }
    let sql = |what: &'static str| {
        move |source| BackupError::Sqlite {
            what: what.into(),
            source,
        }
    };
    let mut dst = Connection::open(tmp).map_err(sql("cannot open the backup file"))?;
    // One snapshot for the whole copy: with this read transaction open, the daemon's
    // commits are not seen, so they cannot restart the copy.
    src.execute_batch("BEGIN DEFERRED; SELECT count(*) FROM sqlite_schema;")
        .map_err(sql("cannot begin reading the database"))?;
    let pages = {
        let b = Backup::new(src, &mut dst).map_err(sql("cannot start the backup"))?;
        let mut busy_since: Option<Instant> = None;
        loop {
            let step = b.step(PAGES_PER_STEP).map_err(sql("backup step"))?;
            let p = b.progress();
            let total = u64::try_from(p.pagecount).unwrap_or(0);
            let left = u64::try_from(p.remaining).unwrap_or(0);
            progress(BackupProgress {
                done: total.saturating_sub(left),
                total,
            });
            match step {
                StepResult::Done => break total,
                StepResult::Busy | StepResult::Locked => {
                    let since = *busy_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > BUSY_LIMIT {
                        return Err(BackupError::Busy(BUSY_LIMIT));
                    }
                    std::thread::sleep(BUSY_PAUSE);
                }
                _ => busy_since = None,
            }
        }
    };
    let _ = src.execute_batch("COMMIT;");
    let check: String = dst
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(sql("integrity check"))?;
    if check != "ok" {
        return Err(BackupError::Check(check));
    }
    drop(dst);
    std::fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(write)?;
    Ok(pages)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::testutil::TempDir;

    fn database(dir: &Path, rows: usize) -> PathBuf {
        let path = dir.join("hongyan.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t(x TEXT);")
            .unwrap();
        for i in 0..rows {
            c.execute(
                "INSERT INTO t VALUES (?1)",
                [format!("row {i} {}", "x".repeat(200))],
            )
            .unwrap();
        }
        path
    }

    fn rows(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_backup_is_a_private_whole_copy_and_reports_its_progress() {
        let d = TempDir::new("backup-copy");
        let db = database(d.path(), 500);
        // A writer with the database open (the daemon) does not stop the copy.
        let writer = Connection::open(&db).unwrap();
        writer.execute("INSERT INTO t VALUES ('open')", []).unwrap();
        let file = d.join("copy.db");
        let mut seen = Vec::new();
        let report = backup(&db, &file, false, |p| seen.push(p)).unwrap();
        assert_eq!(rows(&file), 501);
        assert!(report.pages > 0 && report.bytes > 0);
        assert_eq!(seen.last().map(|p| p.done), Some(report.pages));
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn an_existing_file_is_kept_unless_forced() {
        let d = TempDir::new("backup-force");
        let db = database(d.path(), 3);
        let file = d.join("copy.db");
        std::fs::write(&file, "precious").unwrap();
        let e = backup(&db, &file, false, |_| {}).unwrap_err();
        assert!(matches!(e, BackupError::Exists(_)), "{e}");
        assert_eq!(std::fs::read(&file).unwrap(), b"precious");
        backup(&db, &file, true, |_| {}).unwrap();
        assert_eq!(rows(&file), 3);
    }

    #[test]
    fn no_database_is_named_and_a_stopped_database_is_not_touched() {
        let d = TempDir::new("backup-missing");
        let e = backup(&d.join("none.db"), &d.join("b.db"), false, |_| {}).unwrap_err();
        assert!(matches!(e, BackupError::NoDatabase(_)), "{e}");
        // A closed WAL database (the daemon stopped): read-only, no -wal/-shm left by us.
        let db = database(d.path(), 2);
        backup(&db, &d.join("b.db"), false, |_| {}).unwrap();
        assert!(!d.join("hongyan.db-wal").exists());
        assert_eq!(rows(&d.join("b.db")), 2);
    }
}
