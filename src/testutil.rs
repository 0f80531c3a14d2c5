//! Crate-wide unit-test support: a throw-away directory under the system temp dir.
//!
//! One helper for every test module that needs files (data directories, databases,
//! credentials, sockets), so each does not carry its own copy. Store-specific rigs
//! (`store::testutil::TempDb`) build on it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh, empty, owner-only directory with a name unique to this process and call;
/// removed with everything in it on drop — unless the test is panicking, in which case
/// it is kept (and its path printed) so the failure can be looked at.
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `hongyan-<name>-<pid>-<n>-<nanos>` under the temp dir. `name` only makes
    /// leftovers recognisable; uniqueness comes from the pid and a process-wide counter
    /// (the nanos guard against a reused pid finding an old, kept directory).
    pub(crate) fn new(name: &str) -> Self {
        use std::os::unix::fs::DirBuilderExt;
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("hongyan-{name}-{}-{n}-{nanos}", std::process::id()));
        // Owner-only, as the daemon wants its data directory: a test handing this
        // directory to the daemon must not trip the "open to others" check.
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        Self { path }
    }

    /// The directory itself.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory (not created).
    pub(crate) fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.path.join(relative)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("test failed; kept {}", self.path.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_directory_is_new_and_owner_only_and_goes_on_drop() {
        use std::os::unix::fs::PermissionsExt;
        let a = TempDir::new("testutil");
        let b = TempDir::new("testutil");
        assert_ne!(a.path(), b.path());
        let mode = std::fs::metadata(a.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{mode:o}");
        std::fs::write(a.join("f"), "x").unwrap();
        let kept = a.path().to_path_buf();
        drop(a);
        assert!(!kept.exists(), "{} removed on drop", kept.display());
    }

    #[test]
    fn a_panicking_test_keeps_its_directory() {
        let d = TempDir::new("testutil-kept");
        let path = d.path().to_path_buf();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _d = d;
            panic!("on purpose");
        }));
        assert!(unwound.is_err());
        assert!(path.exists(), "{} kept after a panic", path.display());
        std::fs::remove_dir_all(&path).unwrap();
    }
}
