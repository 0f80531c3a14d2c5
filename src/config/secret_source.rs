//! Where a secret's value comes from: inline (`secret = "…"`), a systemd credential
//! (`secret = { credential = "mobile-password" }`, read from `$CREDENTIALS_DIRECTORY`,
//! which `LoadCredential=` fills) or a file (`secret = { file = "/run/keys/mobile" }`).
//!
//! Every key that holds a [`Secret`] (link `secret` and `gateway_password`, API `token`,
//! webhook `secret`) takes all three forms. The value is read while the config is
//! parsed, so a missing credential stops `check-config` and start-up with the key named
//! (`link[0].secret: credential "mobile-password" not found …`); the value itself is
//! never printed.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

use super::schema::Secret;

/// The environment variable systemd sets to the directory of the unit's credentials.
pub const CREDENTIALS_DIRECTORY: &str = "CREDENTIALS_DIRECTORY";

/// `{ credential = "…" }` or `{ file = "…" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Source {
    #[serde(default)]
    credential: Option<String>,
    #[serde(default)]
    file: Option<PathBuf>,
}

/// Reads the secret `source` names; `credentials` is `$CREDENTIALS_DIRECTORY` (unset
/// outside systemd). The error says what to fix, without the value.
fn resolve(source: Source, credentials: Option<&Path>) -> Result<Secret, String> {
    match (source.credential, source.file) {
        (Some(name), None) => {
            if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                return Err(format!(
                    "credential {name:?} is not a credential name (no slashes)"
                ));
            }
            let Some(dir) = credentials else {
                return Err(format!(
                    "credential {name:?}: ${CREDENTIALS_DIRECTORY} is not set: is LoadCredential= set in the unit?"
                ));
            };
            read(&dir.join(&name)).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => format!(
                    "credential {name:?} not found in {}: is LoadCredential= set in the unit{}?",
                    dir.display(),
                    packaged_hint(&name)
                ),
                _ => format!("credential {name:?} in {}: {e}", dir.display()),
            })
        }
        (None, Some(path)) => {
            read(&path).map_err(|e| format!("secret file {}: {e}", path.display()))
        }
        (Some(_), Some(_)) => Err("give either credential or file, not both".into()),
        (None, None) => Err("a secret table needs credential = \"name\" or file = \"path\"".into()),
    }
}

/// Where the packaged unit (`LoadCredential=hongyan:/etc/hongyan/credentials`) takes a
/// `hongyan_…` credential from.
fn packaged_hint(name: &str) -> String {
    name.strip_prefix("hongyan_")
        .map_or_else(String::new, |file| {
            format!(", and is there a file /etc/hongyan/credentials/{file}")
        })
}

/// Largest secret file read: a password or token is far smaller, and a path to
/// something endless (`/dev/zero`) must not eat the memory.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// The file's text without one trailing newline (`echo secret > file` adds one). Only
/// a regular file: a FIFO or a device would block or never end.
fn read(path: &Path) -> std::io::Result<Secret> {
    use std::io::Read;
    let invalid = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why);
    if !std::fs::metadata(path)?.is_file() {
        return Err(invalid("is not a regular file"));
    }
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_SECRET_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SECRET_BYTES {
        return Err(invalid("is larger than 64 KiB: not a secret"));
    }
    let value = text
        .strip_suffix('\n')
        .map_or(text.as_str(), |t| t.strip_suffix('\r').unwrap_or(t));
    if value.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "is empty",
        ));
    }
    Ok(Secret(value.to_owned()))
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SecretVisitor)
    }
}

struct SecretVisitor;

impl<'de> Visitor<'de> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, { credential = \"name\" } or { file = \"path\" }")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Secret, E> {
        Ok(Secret(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Secret, E> {
        Ok(Secret(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Secret, A::Error> {
        let source = Source::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let dir = std::env::var_os(CREDENTIALS_DIRECTORY).map(PathBuf::from);
        resolve(source, dir.as_deref()).map_err(de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    fn cred(name: &str) -> Source {
        Source {
            credential: Some(name.into()),
            file: None,
        }
    }

    #[test]
    fn a_credential_is_read_from_the_directory_without_its_newline() {
        let d = TempDir::new("cred-ok");
        std::fs::write(d.join("mobile-password"), "s3cret\n").unwrap();
        let s = resolve(cred("mobile-password"), Some(d.path())).unwrap();
        assert_eq!(s.expose(), "s3cret");
        std::fs::write(d.join("crlf"), "tok\r\n").unwrap();
        assert_eq!(
            resolve(cred("crlf"), Some(d.path())).unwrap().expose(),
            "tok"
        );
    }

    #[test]
    fn a_missing_credential_says_to_set_load_credential() {
        let d = TempDir::new("cred-missing");
        let e = resolve(cred("mobile-password"), Some(d.path())).unwrap_err();
        assert!(
            e.contains("\"mobile-password\" not found") && e.contains("LoadCredential="),
            "{e}"
        );
        let e = resolve(cred("hongyan_mobile-password"), Some(d.path())).unwrap_err();
        assert!(
            e.contains("/etc/hongyan/credentials/mobile-password"),
            "{e}"
        );
        let e = resolve(cred("mobile-password"), None).unwrap_err();
        assert!(
            e.contains("CREDENTIALS_DIRECTORY is not set") && e.contains("LoadCredential="),
            "{e}"
        );
    }

    #[test]
    fn bad_names_empty_files_and_ambiguous_tables_are_refused() {
        let d = TempDir::new("cred-bad");
        assert!(resolve(cred("../etc/shadow"), Some(d.path())).is_err());
        std::fs::write(d.join("empty"), "\n").unwrap();
        let e = resolve(cred("empty"), Some(d.path())).unwrap_err();
        assert!(e.contains("is empty"), "{e}");
        let e = resolve(
            Source {
                credential: None,
                file: Some("/dev/zero".into()),
            },
            None,
        )
        .unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
        std::fs::write(d.join("big"), vec![b'x'; 70 * 1024]).unwrap();
        let e = resolve(cred("big"), Some(d.path())).unwrap_err();
        assert!(e.contains("larger than 64 KiB"), "{e}");
        let both = Source {
            credential: Some("a".into()),
            file: Some("/x".into()),
        };
        assert!(
            resolve(both, Some(d.path()))
                .unwrap_err()
                .contains("not both")
        );
        let none = Source {
            credential: None,
            file: None,
        };
        assert!(resolve(none, None).is_err());
    }

    #[test]
    fn every_secret_key_takes_a_file_and_errors_name_the_key_not_the_value() {
        let d = TempDir::new("cred-config");
        let file = d.join("mobile");
        std::fs::write(&file, "file-secret\n").unwrap();
        let text = format!(
            "[[link]]\nname = \"m\"\nprotocol = \"cmpp3\"\nsimulated = true\naccount = \"901234\"\nservice_code = \"10690123\"\nsecret = {{ file = {:?} }}\n",
            file.display().to_string()
        );
        let config = crate::config::parse(&text).unwrap();
        assert_eq!(
            config.links[0].secret.as_ref().unwrap().expose(),
            "file-secret"
        );
        let missing = text.replace("mobile", "absent");
        let e = crate::config::parse(&missing).unwrap_err();
        assert_eq!(e.key(), Some("link[0].secret"), "{e}");
        let e = crate::config::parse(&text.replace("file =", "path =")).unwrap_err();
        assert!(e.key().unwrap().starts_with("link[0].secret"), "{e}");
        assert!(!e.to_string().contains("file-secret"), "{e}");
    }
}
