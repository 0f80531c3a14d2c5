//! A fresh directory per test: unique in the process, removed when the test is done —
//! kept (and named on standard error) when it failed, for a look at its database and logs.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh directory under the system's temporary directory, removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty directory whose name starts with `name`.
    pub fn new(name: &str) -> Self {
        // Two tests of one name in the same millisecond still get their own.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hongyan-it-{}-{name}-{}-{}",
            std::process::id(),
            hongyan::store::now_millis(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        Self(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside it.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `text` to the file `name` inside it; the file's path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.join(name);
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }

    /// [`write`](Self::write), then gives the file the permission bits `mode` (`0o600`
    /// for a config with secrets, `0o400` as systemd lays out a credential); its path.
    pub fn write_mode(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = self.write(name, text);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", path.display()));
        path
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("test failed: its directory is kept at {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TempDir;

    #[test]
    fn each_is_fresh_and_gone_when_dropped() {
        let (a, b) = (TempDir::new("same"), TempDir::new("same"));
        assert_ne!(a.path(), b.path());
        let file = a.write("f.txt", "x");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
        let path = a.path().to_path_buf();
        drop(a);
        assert!(!path.exists(), "{}", path.display());
    }
}
