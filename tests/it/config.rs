//! `hongyan check-config`: a bad config names the key and exits non-zero before
//! anything starts; a good one prints a summary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Output;

use crate::support::{TempDir, command, output_of};

/// `hongyan check-config --config PATH` with `envs` set.
fn check(path: &Path, envs: &[(&str, &str)]) -> Output {
    let mut cmd = command();
    cmd.args(["check-config", "--config"])
        .arg(path)
        .envs(envs.iter().copied());
    output_of(&mut cmd, None)
}

const EXAMPLE: &str = include_str!("../../config/hongyan.example.toml");
const SECRETS: [(&str, &str); 6] = [
    ("HONGYAN_SHOP_TOKEN", "shop-token-0123456789"),
    ("HONGYAN_OFFICE_TOKEN", "office-token-0123456789"),
    ("HONGYAN_CMCC_SECRET", "a"),
    ("HONGYAN_TELECOM_SECRET", "b"),
    ("HONGYAN_UNICOM_SECRET", "c"),
    ("HONGYAN_UNICOM_GATEWAY_PASSWORD", "d"),
];

#[test]
fn example_config_checks_out_with_its_secrets_set() {
    let dir = TempDir::new("check-example");
    let path = dir.write("example.toml", EXAMPLE);
    let out = check(&path, &SECRETS);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("link unicom: sgip for unicom numbers"),
        "{text}"
    );
}

#[test]
fn a_bad_value_names_its_key_and_fails() {
    let dir = TempDir::new("check-bad-window");
    let path = dir.write(
        "bad-window.toml",
        &EXAMPLE.replacen("window = 16", "window = 0", 1),
    );
    let out = check(&path, &SECRETS);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("link[0].window: 0 is outside 1 to 1024"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_missing_secret_variable_names_its_key() {
    let dir = TempDir::new("check-no-env");
    let path = dir.write("no-env.toml", EXAMPLE);
    let out = check(&path, &SECRETS[..3]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("link[1].secret_env: environment variable HONGYAN_TELECOM_SECRET is not set"),
        "{err}"
    );
}

#[test]
fn an_inline_secret_in_a_file_others_can_read_is_warned_about_naming_the_file() {
    use std::os::unix::fs::PermissionsExt;
    let text = hongyan::config::EMBEDDED_DEFAULT_TOML;
    assert!(text.contains("secret = \"demo-secret\""));
    let dir = TempDir::new("check-inline-secret");
    let path = dir.write("inline-secret.toml", text);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = check(&path, &[("HONGYAN_DATA", "/nonexistent-hongyan-data")]);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let private = check(&path, &[("HONGYAN_DATA", "/nonexistent-hongyan-data")]);
    assert!(open.status.success());
    let err = String::from_utf8_lossy(&open.stderr);
    assert!(err.contains("warning:"), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("link[0].secret"), "{err}");
    assert!(private.status.success());
    assert!(
        private.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&private.stderr)
    );
}
