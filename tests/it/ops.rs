//! Operating the daemon as systemd and an operator do: `hongyan run` as a child process
//! on 127.0.0.1:0, then SIGHUP after a config change (tokens rotate, other keys are
//! named as needing a restart), its log on a pipe (no colour codes), `hongyan backup`
//! while it runs and a daemon started on the restored copy, secrets from a systemd
//! credentials directory, and the metric names the shipped Prometheus rules and
//! Grafana dashboard use against what `/metrics` exports. Every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::TempDir;

const LIMIT: Duration = Duration::from_secs(30);

/// `hongyan run --log-format json --api-listen 127.0.0.1:0` with extra arguments and
/// environment; killed when dropped.
struct Daemon {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
}

impl Daemon {
    fn start(args: &[&str], env: &[(&str, &Path)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hongyan"));
        cmd.args(["run", "--log-format", "json", "--api-listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("CREDENTIALS_DIRECTORY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let mut d = Self {
            child,
            addr: String::new(),
            lines,
        };
        let listening = d.wait_for(|v| v["message"] == "API listening");
        d.addr = listening["addr"].as_str().unwrap().to_owned();
        d
    }

    /// The first log line (JSON) that `pred` accepts; panics after [`LIMIT`].
    fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = self.lines.recv_timeout(left) else {
                let _ = self.child.kill();
                panic!("the log line waited for never came");
            };
            let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if pred(&v) {
                return v;
            }
        }
    }

    fn signal(&self, sig: &str) {
        let sent = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// SIGTERM, then waits (bounded) for a successful exit.
    fn stop(mut self) {
        self.signal("-TERM");
        let deadline = Instant::now() + LIMIT;
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("no exit after SIGTERM"),
            }
        }
        assert!(self.child.wait().unwrap().success());
    }

    /// `hongyan --api … --json ARGS` (the demo token); its JSON output.
    fn cli(&self, args: &[&str]) -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_hongyan"))
            .args(["--api", &format!("http://{}", self.addr), "--json"])
            .args(args)
            .env_remove("HONGYAN_TOKEN")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET over plain HTTP/1.0; (status, body).
fn get(addr: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n{auth}\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

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

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn sighup_takes_a_new_api_token_refuses_the_old_and_names_what_needs_a_restart() {
    let dir = TempDir::new("sighup");
    let cfg = dir.join("hongyan.toml");
    let old = "\"erp-token-OLD-0123456789\"";
    let new = "\"erp-token-NEW-0123456789\"";
    write_private(&cfg, &config_text(dir.path(), &[("erp", old)], ""));
    let mut d = Daemon::start(&["--config", cfg.to_str().unwrap()], &[]);
    let bare = |t: &str| t.trim_matches('"').to_owned();
    assert_eq!(get(&d.addr, "/v1/links", Some(&bare(old))).0, 200);

    write_private(
        &cfg,
        &config_text(dir.path(), &[("erp", new)], "default_validity = \"24h\""),
    );
    d.signal("-HUP");
    // The tokens are swapped before the reload's outcome is logged.
    let reloaded = d.wait_for(|v| v["message"] == "config reloaded");
    assert_eq!(reloaded["keys"], "api.token[0].token", "{reloaded}");
    let warned = d.wait_for(|v| v["message"].as_str().is_some_and(|m| m.contains("restart")));
    assert_eq!(warned["keys"], "queue.default_validity", "{warned}");
    assert_eq!(get(&d.addr, "/v1/links", Some(&bare(new))).0, 200);
    assert_eq!(get(&d.addr, "/v1/links", Some(&bare(old))).0, 401);

    // A file that no longer validates changes nothing.
    write_private(&cfg, "[api]\nlisten = \"not an address\"\n");
    d.signal("-HUP");
    let refused = d.wait_for(|v| {
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("reload refused"))
    });
    assert!(
        refused["error"].as_str().unwrap().contains("api.listen"),
        "{refused}"
    );
    assert_eq!(get(&d.addr, "/v1/links", Some(&bare(new))).0, 200);
    d.stop();
}

#[test]
fn secrets_come_from_a_systemd_credentials_directory_and_a_missing_one_is_named() {
    let dir = TempDir::new("credentials");
    let creds = dir.join("credentials");
    std::fs::create_dir(&creds).unwrap();
    // Laid out as systemd does: one 0400 file per LoadCredential=.
    for (name, value) in [
        ("erp-token", "erp-token-FROM-CREDENTIAL\n"),
        ("mobile-password", "s3cret\n"),
    ] {
        let file = creds.join(name);
        std::fs::write(&file, value).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).unwrap();
    }
    let cfg = dir.join("hongyan.toml");
    // Readable by all (as the package installs it): no secret is in it.
    std::fs::write(
        &cfg,
        config_with_link_secret(
            dir.path(),
            &[("erp", "{ credential = \"erp-token\" }")],
            "",
            "{ credential = \"mobile-password\" }",
        ),
    )
    .unwrap();
    let check = |creds: Option<&Path>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hongyan"));
        c.args(["check-config", "--config", cfg.to_str().unwrap()])
            .env_remove("CREDENTIALS_DIRECTORY");
        if let Some(dir) = creds {
            c.env("CREDENTIALS_DIRECTORY", dir);
        }
        c.output().unwrap()
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

    let d = Daemon::start(
        &["--config", cfg.to_str().unwrap()],
        &[("CREDENTIALS_DIRECTORY", &creds)],
    );
    assert_eq!(
        get(&d.addr, "/v1/links", Some("erp-token-FROM-CREDENTIAL")).0,
        200
    );
    d.stop();
}

#[test]
fn the_log_on_a_pipe_has_no_colour_codes_and_stamps_carry_their_offset() {
    let dir = TempDir::new("nocolour");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hongyan"))
        .args(["run", "--api-listen", "127.0.0.1:0"])
        .env("HONGYAN_DATA", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stderr);
        loop {
            let mut line = Vec::new();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let _ = tx.send(line);
                }
            }
        }
    });
    let mut log = Vec::new();
    let deadline = Instant::now() + LIMIT;
    while !String::from_utf8_lossy(&log).contains("API listening") {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            let _ = child.kill();
            panic!("no API listening line: {}", String::from_utf8_lossy(&log));
        };
        log.extend(line);
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        log.extend(line);
    }
    assert!(child.wait().unwrap().success());
    assert!(
        !log.contains(&0x1b),
        "ESC in the log: {}",
        String::from_utf8_lossy(&log)
    );
    let text = String::from_utf8_lossy(&log);
    let first = text.lines().next().unwrap();
    assert!(first.contains("+08:00"), "China time by default: {first}");
}

#[test]
fn a_backup_taken_while_the_daemon_runs_restores_its_jobs_and_inbox() {
    let dir = TempDir::new("backup");
    let (live, restored) = (dir.join("live"), dir.join("restored"));
    std::fs::create_dir(&restored).unwrap();
    let backup = dir.join("hongyan-backup.db");

    let d = Daemon::start(&[], &[("HONGYAN_DATA", &live)]);
    let sent = d.cli(&["send", "--to", "13800138000", "备份前的消息"]);
    let job = sent["job_id"].to_string();
    d.cli(&[
        "reply",
        "--from",
        "13900139000",
        "--to",
        "10690123",
        "备份前的回复",
    ]);
    let deadline = Instant::now() + LIMIT;
    while !d.cli(&["inbox"]).to_string().contains("备份前的回复") {
        assert!(
            Instant::now() < deadline,
            "the reply never reached the inbox"
        );
    }

    let run_backup = |force: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hongyan"));
        c.args(["backup", backup.to_str().unwrap()])
            .env("HONGYAN_DATA", &live);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
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
    let d = Daemon::start(&[], &[("HONGYAN_DATA", &restored)]);
    let status = d.cli(&["status", &job]);
    assert_eq!(status["job_id"].to_string(), job, "{status}");
    assert!(
        status.to_string().contains("13800138000"),
        "the job's recipient: {status}"
    );
    assert!(
        d.cli(&["inbox"]).to_string().contains("备份前的回复"),
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

#[test]
fn every_metric_the_prometheus_rules_and_the_grafana_dashboard_use_is_exported() {
    let dir = TempDir::new("metrics");
    let d = Daemon::start(&[], &[("HONGYAN_DATA", dir.path())]);
    let (status, metrics) = get(&d.addr, "/metrics", None);
    assert_eq!(status, 200);
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
