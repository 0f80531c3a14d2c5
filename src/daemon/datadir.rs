//! The data directory: created owner-only (0700) whatever the umask, since it holds the
//! message texts, the numbers and the replies; an existing one that others can read is
//! left as the operator made it, with a warning naming it.

use std::path::Path;

/// Permission bits of a data directory hongyan creates.
pub const DATA_DIR_MODE: u32 = 0o700;

/// What [`prepare`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataDir {
    /// Created now, owner-only.
    Created,
    /// It existed, owner-only (or stricter).
    Private,
    /// It existed and group or others have these permission bits on it.
    OpenToOthers(u32),
}

/// Creates `dir` (and its parents) if missing, owner-only; otherwise reports its mode.
pub fn prepare(dir: &Path) -> std::io::Result<DataDir> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    match std::fs::metadata(dir) {
        Ok(m) => Ok(judge(m.permissions().mode())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DATA_DIR_MODE)
                .create(dir)?;
            // The umask may have taken bits away (or a strange one left some): set it.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DATA_DIR_MODE))?;
            Ok(DataDir::Created)
        }
        Err(e) => Err(e),
    }
}

/// Whether a directory with `mode` is open to group or others.
fn judge(mode: u32) -> DataDir {
    match mode & 0o077 {
        0 => DataDir::Private,
        open => DataDir::OpenToOthers(open),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::testutil::TempDir;

    #[test]
    fn a_new_data_directory_is_owner_only_and_an_open_one_is_reported() {
        let base = TempDir::new("datadir");
        let dir = base.join("data");
        assert_eq!(prepare(&dir).unwrap(), DataDir::Created);
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{mode:o}");
        assert_eq!(prepare(&dir).unwrap(), DataDir::Private);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(prepare(&dir).unwrap(), DataDir::OpenToOthers(0o055));
    }

    #[test]
    fn group_or_other_bits_make_a_directory_open() {
        assert_eq!(judge(0o40700), DataDir::Private);
        assert_eq!(judge(0o40750), DataDir::OpenToOthers(0o050));
        assert_eq!(judge(0o40701), DataDir::OpenToOthers(0o001));
    }
}
