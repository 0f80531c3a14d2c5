//! Reading the config file: TOML syntax and types via serde (errors carry the key
//! path, e.g. `link[1].window`), then [`super::validate`] for everything else.

use std::path::{Path, PathBuf};

use super::schema::Config;
use super::validate;

/// Why the configuration cannot be used. Printed as one line naming the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A key is missing, unknown, of the wrong type, or holds a value that is not allowed.
    #[error("{key}: {reason}")]
    Invalid {
        /// Path of the key, e.g. `link[0].window`; `(file)` for syntax errors.
        key: String,
        /// What is wrong and what is expected.
        reason: String,
    },
}

impl ConfigError {
    /// An invalid value at `key`.
    pub fn invalid(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// The key this error is about, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Read { .. } => None,
            Self::Invalid { key, .. } => Some(key),
        }
    }
}

/// Read, parse and validate a config file.
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text)
}

/// Parse and validate config text.
pub fn parse(text: &str) -> Result<Config, ConfigError> {
    let de = toml::de::Deserializer::parse(text).map_err(|e| syntax_error(text, &e))?;
    let mut config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let mut reason = inner.message().trim().to_string();
        if let Some((line, col)) = inner.span().map(|s| line_col(text, s.start)) {
            reason.push_str(&format!(" (line {line}, column {col})"));
        }
        // serde_path_to_error says "." for the root.
        let key = if key == "." {
            "(file)".to_string()
        } else {
            key
        };
        ConfigError::Invalid { key, reason }
    })?;
    validate::validate(&mut config, &|name| std::env::var(name).ok())?;
    Ok(config)
}

fn syntax_error(text: &str, e: &toml::de::Error) -> ConfigError {
    let mut reason = format!("not valid TOML: {}", e.message().trim());
    if let Some((line, col)) = e.span().map(|s| line_col(text, s.start)) {
        reason.push_str(&format!(" (line {line}, column {col})"));
    }
    ConfigError::Invalid {
        key: "(file)".into(),
        reason,
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
