//! Where `hongyan run --config PATH` keeps its database, read from `[storage]` alone:
//! for the commands that work on the data directory beside a running daemon (`hongyan
//! backup`), which need no secrets and must find the same file `run` opens.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{ConfigError, Storage};

/// Only `[storage]` of a config file: finding the database needs no secrets, so a
/// backup run from a shell (without the unit's credentials) still finds it.
#[derive(Debug, Deserialize)]
struct StorageOnly {
    #[serde(default)]
    storage: Storage,
}

/// The database file `hongyan run --config PATH` would open (without `PATH`: the
/// embedded default's, under `$HONGYAN_DATA` or `./hongyan-data`).
pub fn database_path(config: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let storage = match config {
        None => Storage::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            let only: StorageOnly = toml::from_str(&text)
                .map_err(|e| ConfigError::invalid("storage", e.message().trim()))?;
            only.storage
        }
    };
    Ok(storage.data_dir.join(storage.database))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    #[test]
    fn the_database_is_found_from_the_config_like_run_finds_it() {
        let d = TempDir::new("backup-config");
        let cfg = d.join("hongyan.toml");
        // Secrets it cannot read here do not matter: only [storage] is read.
        std::fs::write(
            &cfg,
            "[storage]\ndata_dir = \"/var/lib/hongyan\"\ndatabase = \"x.db\"\n[[link]]\nsecret = { credential = \"nowhere\" }\n",
        )
        .unwrap();
        assert_eq!(
            database_path(Some(&cfg)).unwrap(),
            Path::new("/var/lib/hongyan/x.db")
        );
        let e = database_path(Some(&d.join("absent.toml"))).unwrap_err();
        assert!(e.to_string().contains("absent.toml"), "{e}");
    }
}
