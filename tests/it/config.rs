//! `hongyan check-config`: a bad config names the key and exits non-zero before
//! anything starts; a good one prints a summary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn write_temp(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("hongyan-it-{}-{name}.toml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

fn check(path: &PathBuf, envs: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hongyan"))
        .args(["check-config", "--config"])
        .arg(path)
        .envs(envs.iter().copied())
        .output()
        .unwrap()
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
    let path = write_temp("example", EXAMPLE);
    let out = check(&path, &SECRETS);
    std::fs::remove_file(&path).ok();
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
    let path = write_temp(
        "bad-window",
        &EXAMPLE.replacen("window = 16", "window = 0", 1),
    );
    let out = check(&path, &SECRETS);
    std::fs::remove_file(&path).ok();
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
    let path = write_temp("no-env", EXAMPLE);
    let out = check(&path, &SECRETS[..3]);
    std::fs::remove_file(&path).ok();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("link[1].secret_env: environment variable HONGYAN_TELECOM_SECRET is not set"),
        "{err}"
    );
}
