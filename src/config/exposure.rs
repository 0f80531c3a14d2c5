//! Whether a config file gives its secrets away: one that holds a password, shared secret
//! or API token inline (`secret = "…"`) and that group or others may read. Loading still
//! succeeds — the operator may have reasons — but `hongyan run` and `check-config` warn,
//! naming the file and the keys, since anyone on the machine could log in as the SP.

use std::path::{Path, PathBuf};

/// Keys whose string value is a secret.
const SECRET_KEYS: [&str; 3] = ["secret", "token", "gateway_password"];

/// A config file that others can read holds secrets inline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposedSecrets {
    /// The file.
    pub file: PathBuf,
    /// Its permission bits.
    pub mode: u32,
    /// The keys holding a secret inline, e.g. `link[0].secret`.
    pub keys: Vec<String>,
}

impl std::fmt::Display for ExposedSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "config file {} can be read by other users (mode {:03o}) and holds secrets inline ({}); chmod 600 it, or move them to systemd credentials ({{ credential = \"name\" }}) or secret_env / token_env",
            self.file.display(),
            self.mode & 0o777,
            self.keys.join(", ")
        )
    }
}

/// Checks the config file at `path`: `Some` when group or others may read it and it holds
/// a secret inline. A file that cannot be read or parsed here is not judged (loading it
/// reports that).
pub fn check_file(path: &Path) -> Option<ExposedSecrets> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    let text = std::fs::read_to_string(path).ok()?;
    judge(path, mode, &text)
}

/// The decision, apart from the file system.
fn judge(path: &Path, mode: u32, text: &str) -> Option<ExposedSecrets> {
    if mode & 0o044 == 0 {
        return None;
    }
    let table: toml::Table = text.parse().ok()?;
    let mut keys = Vec::new();
    for (k, v) in &table {
        inline_secrets(k, v, &mut keys);
    }
    (!keys.is_empty()).then(|| ExposedSecrets {
        file: path.to_path_buf(),
        mode,
        keys,
    })
}

/// Collects the paths (`link[0].secret`) of non-empty secret strings under `value`.
fn inline_secrets(path: &str, value: &toml::Value, out: &mut Vec<String>) {
    match value {
        toml::Value::String(s) => {
            let key = path.rsplit(['.', ']']).next().unwrap_or(path);
            if SECRET_KEYS.contains(&key) && !s.is_empty() {
                out.push(path.to_owned());
            }
        }
        toml::Value::Table(t) => {
            for (k, v) in t {
                inline_secrets(&format!("{path}.{k}"), v, out);
            }
        }
        toml::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                inline_secrets(&format!("{path}[{i}]"), v, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const INLINE: &str = r#"
[[api.token]]
name = "erp"
token = "erp-token-0123456789"

[[link]]
name = "mobile"
secret = "s3cret"

[[link]]
name = "unicom"
secret_env = "UNICOM_SECRET"
gateway_password = "gw"
"#;

    #[test]
    fn inline_secrets_in_a_file_others_can_read_are_named() {
        let e = judge(Path::new("/etc/hongyan.toml"), 0o100644, INLINE).unwrap();
        assert_eq!(
            e.keys,
            [
                "api.token[0].token",
                "link[0].secret",
                "link[1].gateway_password"
            ]
        );
        let text = e.to_string();
        assert!(
            text.contains("/etc/hongyan.toml") && text.contains("644"),
            "{text}"
        );
        assert!(judge(Path::new("f"), 0o100640, INLINE).is_some(), "group");
        assert!(judge(Path::new("f"), 0o100604, INLINE).is_some(), "others");
    }

    #[test]
    fn a_private_file_or_secrets_from_the_environment_are_fine() {
        assert_eq!(judge(Path::new("f"), 0o100600, INLINE), None);
        let env_only = "[[link]]\nname = \"m\"\nsecret_env = \"MOBILE_SECRET\"\n";
        assert_eq!(judge(Path::new("f"), 0o100644, env_only), None);
    }
}
