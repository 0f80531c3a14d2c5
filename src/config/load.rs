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
        let key = key_path(e.path());
        let inner = e.into_inner();
        let mut reason = inner.message().trim().to_string();
        if let Some((line, col)) = inner.span().map(|s| line_col(text, s.start)) {
            reason.push_str(&format!(" (line {line}, column {col})"));
        }
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

/// The path of a key as the file spells it: `link[0].window`; `(file)` for the root. As
/// serde_path_to_error's own rendering, except that the empty key (valid TOML) is written
/// `""` as TOML writes it — that rendering shows nothing for it.
pub(super) fn key_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut key = String::new();
    for segment in path {
        if !matches!(segment, Segment::Seq { .. }) && !key.is_empty() {
            key.push('.');
        }
        match segment {
            Segment::Seq { index } => key.push_str(&format!("[{index}]")),
            Segment::Map { key: name } if name.is_empty() => key.push_str("\"\""),
            Segment::Map { key: name } | Segment::Enum { variant: name } => key.push_str(name),
            Segment::Unknown => key.push('?'),
        }
    }
    if key.is_empty() {
        key.push_str("(file)");
    }
    key
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
