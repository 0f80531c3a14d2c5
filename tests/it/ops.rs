//! Operating the daemon as systemd and an operator do: `hongyan run` as a child process
//! on 127.0.0.1:0, then SIGHUP after a config change (tokens rotate, other keys are
//! named as needing a restart), its log on a pipe (no colour codes), `hongyan backup`
//! while it runs and a daemon started on the restored copy, secrets from a systemd
//! credentials directory, and the metric names the shipped Prometheus rules and
//! Grafana dashboard use against what `/metrics` exports. Every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{ApiCalls, Daemon, LIMIT, TempDir, command, output_of, wait_until_blocking};

/// A config with one simulated China Mobile link, data in `dir`, and API tokens.
fn config_text(dir: &Path, tokens: &[(&str, &str)], extra: &str) -> String {
    config_with_link_secret(dir, tokens, extra, "\"s3cret\"")
}

/// [`config_text`] with the link's `secret` value as written in TOML.
fn config_with_link_secret(
    dir: &Path,
    tokens: &[(&str, &str)],
    extra: &str,
    link_secret: &str,
) -> String {
    let mut t = format!(
        "[storage]\ndata_dir = {:?}\n\n[queue]\n{extra}\n",
        dir.join("data").display().to_string()
    );
    for (name, token) in tokens {
        t.push_str(&format!(
            "[[api.token]]\nname = \"{name}\"\ntoken = {token}\nscopes = [\"read\"]\n\n"
        ));
    }
    t.push_str(&format!(
        "[[link]]\nname = \"mobile\"\nprotocol = \"cmpp3\"\nsimulated = true\naccount = \"901234\"\nsecret = {link_secret}\nservice_code = \"10690123\"\n",
    ));
    t
}

/// The status of `GET /v1/links` with `token`.
async fn links_status(d: &Daemon, token: &str) -> u16 {
    d.get_raw_as(Some(token), "/v1/links").await.status
}

#[tokio::test]
async fn sighup_takes_a_new_api_token_refuses_the_old_and_names_what_needs_a_restart() {
    let dir = TempDir::new("sighup");
    let old = "\"erp-token-OLD-0123456789\"";
    let new = "\"erp-token-NEW-0123456789\"";
    let write_config = |text: &str| dir.write_mode("hongyan.toml", text, 0o600);
    let cfg = write_config(&config_text(dir.path(), &[("erp", old)], ""));
    let mut d = Daemon::launch(dir.join("data"))
        .config(&cfg)
        .json_logs()
        .start();
    let bare = |t: &str| t.trim_matches('"').to_owned();
    assert_eq!(links_status(&d, &bare(old)).await, 200);

    write_config(&config_text(
        dir.path(),
        &[("erp", new)],
        "default_validity = \"24h\"",
    ));
    d.reload();
    // The tokens are swapped before the reload's outcome is logged.
    let reloaded = d.wait_for_json("config reloaded", |v| v["message"] == "config reloaded");
    assert_eq!(reloaded["keys"], "api.token[0].token", "{reloaded}");
    let warned = d.wait_for_json("a restart warning", |v| {
        v["message"].as_str().is_some_and(|m| m.contains("restart"))
    });
    assert_eq!(warned["keys"], "queue.default_validity", "{warned}");
    assert_eq!(links_status(&d, &bare(new)).await, 200);
    assert_eq!(links_status(&d, &bare(old)).await, 401);

    // A file that no longer validates changes nothing.
    write_config("[api]\nlisten = \"not an address\"\n");
    d.reload();
    let refused = d.wait_for_json("reload refused", |v| {
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("reload refused"))
    });
    assert!(
        refused["error"].as_str().unwrap().contains("api.listen"),
        "{refused}"
    );
    assert_eq!(links_status(&d, &bare(new)).await, 200);
    d.stop();
}

#[tokio::test]
async fn secrets_come_from_a_systemd_credentials_directory_and_a_missing_one_is_named() {
    let dir = TempDir::new("credentials");
    let creds = dir.join("credentials");
    std::fs::create_dir(&creds).unwrap();
    // Laid out as systemd does: one 0400 file per LoadCredential=.
    for (name, value) in [
        ("erp-token", "erp-token-FROM-CREDENTIAL\n"),
        ("mobile-password", "s3cret\n"),
    ] {
        dir.write_mode(&format!("credentials/{name}"), value, 0o400);
    }
    // Readable by all (as the package installs it): no secret is in it.
    let cfg = dir.write(
        "hongyan.toml",
        &config_with_link_secret(
            dir.path(),
            &[("erp", "{ credential = \"erp-token\" }")],
            "",
            "{ credential = \"mobile-password\" }",
        ),
    );
    let check = |creds: Option<&Path>| {
        let mut c = command();
        c.args(["check-config", "--config", cfg.to_str().unwrap()])
            .env_remove("CREDENTIALS_DIRECTORY");
        if let Some(dir) = creds {
            c.env("CREDENTIALS_DIRECTORY", dir);
        }
        output_of(&mut c, None)
    };
    let ok = check(Some(&creds));
    assert!(ok.status.success(), "{ok:?}");
    assert!(
        !String::from_utf8_lossy(&ok.stderr).contains("warning"),
        "{ok:?}"
    );
    let missing = check(None);
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(!missing.status.success());
    assert!(
        err.contains("api.token[0].token") && err.contains("LoadCredential="),
        "{err}"
    );
    assert!(!err.contains("FROM-CREDENTIAL"), "{err}");

    let mut d = Daemon::launch(dir.join("data"))
        .config(&cfg)
        .env("CREDENTIALS_DIRECTORY", &creds)
        .start();
    assert_eq!(links_status(&d, "erp-token-FROM-CREDENTIAL").await, 200);
    d.stop();
}

#[test]
fn the_log_on_a_pipe_has_no_colour_codes_and_stamps_carry_their_offset() {
    let dir = TempDir::new("nocolour");
    let mut d = Daemon::start(&dir);
    d.stop();
    let log = d.seen.join("\n");
    assert!(!log.contains('\x1b'), "ESC in the log: {log}");
    let first = &d.seen[0];
    assert!(first.contains("+08:00"), "China time by default: {first}");
}

#[test]
fn a_backup_taken_while_the_daemon_runs_restores_its_jobs_and_inbox() {
    let dir = TempDir::new("backup");
    let (live, restored) = (dir.join("live"), dir.join("restored"));
    std::fs::create_dir(&restored).unwrap();
    let backup = dir.join("hongyan-backup.db");

    let mut d = Daemon::start(&live);
    let sent = d.cli_ok(&["send", "--to", "13800138000", "备份前的消息"]);
    let job = sent["job_id"].to_string();
    d.cli_ok(&[
        "reply",
        "--from",
        "13900139000",
        "--to",
        "10690123",
        "备份前的回复",
    ]);
    wait_until_blocking("the reply in the inbox", LIMIT, || {
        d.cli_ok(&["inbox"]).to_string().contains("备份前的回复")
    });

    let run_backup = |force: bool| {
        let mut c = command();
        c.args(["backup", backup.to_str().unwrap()])
            .env("HONGYAN_DATA", &live);
        if force {
            c.arg("--force");
        }
        output_of(&mut c, None)
    };
    let out = run_backup(false);
    assert!(out.status.success(), "{out:?}");
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the backup holds every number");
    let again = run_backup(false);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert!(run_backup(true).status.success());
    d.stop();

    // Restore: the daemon stopped, the copy put in place, a daemon started on it.
    std::fs::copy(&backup, restored.join("hongyan.db")).unwrap();
    let mut d = Daemon::start(&restored);
    let status = d.cli_ok(&["status", &job]);
    assert_eq!(status["job_id"].to_string(), job, "{status}");
    assert!(
        status.to_string().contains("13800138000"),
        "the job's recipient: {status}"
    );
    assert!(
        d.cli_ok(&["inbox"]).to_string().contains("备份前的回复"),
        "the reply came back with the restore"
    );
    d.stop();
}

/// Metric families `/metrics` exports, with their types (`# TYPE name kind`).
fn exported(metrics: &str) -> Vec<(String, String)> {
    metrics
        .lines()
        .filter_map(|l| {
            let mut w = l.strip_prefix("# TYPE ")?.split_whitespace();
            Some((w.next()?.to_owned(), w.next()?.to_owned()))
        })
        .collect()
}

/// Every `hongyan_…` identifier in `text` (PromQL in rules and dashboard queries).
fn names_used(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("hongyan_") {
        let before_ok = at == 0
            || !rest.as_bytes()[at - 1].is_ascii_alphanumeric() && rest.as_bytes()[at - 1] != b'_';
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if before_ok && end > "hongyan_".len() {
            out.insert(tail[..end].to_owned());
        }
        rest = &tail[end.max(1)..];
    }
    out
}

/// Whether `name` is an exported series: a family, or a histogram's (summary's)
/// `_bucket`/`_sum`/`_count` series — only for families of those types, so a counter
/// `…_count` is not taken for a histogram's.
fn is_exported(name: &str, families: &[(String, String)]) -> bool {
    families.iter().any(|(family, kind)| {
        family == name
            || (kind == "histogram" || kind == "summary")
                && ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|s| name.strip_suffix(s) == Some(family.as_str()))
    })
}

/// Names the dashboard and rules use that come from the alerts module (`src/alerts/`),
/// built beside this work: listed so the lead reconciles them at merge.
const EXPECTED_FROM_THE_ALERTS_MODULE: [&str; 1] = ["hongyan_alert_firing"];

#[tokio::test]
async fn every_metric_the_prometheus_rules_and_the_grafana_dashboard_use_is_exported() {
    let dir = TempDir::new("metrics");
    let mut d = Daemon::start(&dir);
    let answer = d.get_raw_as(None, "/metrics").await;
    assert_eq!(answer.status, 200);
    let metrics = answer.text();
    let families = exported(&metrics);
    assert!(families.len() > 10, "{metrics}");
    d.stop();

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let rules = std::fs::read_to_string(root.join("contrib/prometheus/hongyan.rules.yml")).unwrap();
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("contrib/grafana/hongyan.json")).unwrap(),
    )
    .unwrap();
    // The dashboard's queries: every panel target's expr and the variables' queries.
    let mut queries = String::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for t in panel["targets"].as_array().into_iter().flatten() {
            queries.push_str(t["expr"].as_str().unwrap());
            queries.push('\n');
        }
    }
    for v in dashboard["templating"]["list"].as_array().unwrap() {
        queries.push_str(&v["definition"].to_string());
        queries.push('\n');
    }
    // The rules' expressions only (comments may mention names loosely).
    let exprs: String = rules
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");

    for (source, text) in [("dashboard", &queries), ("rules", &exprs)] {
        let used = names_used(text);
        assert!(used.len() >= 3, "{source}: {used:?}");
        let missing: Vec<&String> = used
            .iter()
            .filter(|n| !is_exported(n, &families))
            .filter(|n| !EXPECTED_FROM_THE_ALERTS_MODULE.contains(&n.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{source} uses metrics /metrics does not export: {missing:?}"
        );
    }
    // The suffix rule itself: a histogram's series are accepted, made-up ones are not.
    assert!(is_exported(
        "hongyan_link_submit_latency_seconds_bucket",
        &families
    ));
    assert!(!is_exported("hongyan_link_up_bucket", &families));
    assert!(!is_exported("hongyan_link_submitted", &families));
}

/// The packaged unit must let the daemon read the boot id: without it the on-the-wire
/// journal cannot tell a crash of hongyan from a reboot, and every part in flight at a
/// crash is reported `unconfirmed` instead of being sent once.
#[test]
fn the_unit_leaves_the_boot_id_readable_for_the_journal() {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/systemd/hongyan.service"
    ))
    .unwrap();
    let hides = unit.lines().map(str::trim).any(|l| {
        l.starts_with("ProcSubset=") && l != "ProcSubset=all"
            || l.starts_with("InaccessiblePaths=") && l.contains("/proc")
    });
    assert!(!hides, "the unit hides /proc/sys/kernel/random/boot_id");
}
