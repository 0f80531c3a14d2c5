//! The CLI against a running daemon: `hongyan run --api-listen 127.0.0.1:0` as a child
//! process on its embedded default, then the client commands as separate processes
//! with `--json`, as a script would use them; finally SIGTERM. Every read of the
//! daemon's log and every child is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::daemon::TempDir;

const LIMIT: Duration = Duration::from_secs(30);

struct Running {
    child: Child,
    api: String,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(dir: &TempDir) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hongyan"))
            .args(["run", "--log-format", "json", "--api-listen", "127.0.0.1:0"])
            .env("HONGYAN_DATA", &dir.0)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + LIMIT;
        let api = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = lines.recv_timeout(left) else {
                let _ = child.kill();
                panic!("the daemon never said where the API listens");
            };
            let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if v["message"] == "API listening" {
                break format!("http://{}", v["addr"].as_str().unwrap());
            }
        };
        Self { child, api, lines }
    }

    /// Runs `hongyan --api … --json ARGS`; (success, JSON of standard output).
    fn cli(&self, args: &[&str]) -> (bool, Value) {
        let out = Command::new(env!("CARGO_BIN_EXE_hongyan"))
            .args(["--api", &self.api, "--json"])
            .args(args)
            .env_remove("HONGYAN_TOKEN")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let v = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
            panic!(
                "{args:?}: not JSON: {stdout} / {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.success(), v)
    }

    /// Runs `hongyan --api … ARGS` for people (no `--json`).
    fn human(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_hongyan"))
            .args(["--api", &self.api])
            .args(args)
            .env_remove("HONGYAN_TOKEN")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> Value {
        let (ok, v) = self.cli(args);
        assert!(ok, "{args:?}: {v}");
        v
    }

    fn stop(mut self) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!("no exit after SIGTERM");
                }
            }
        }
        assert!(self.child.wait().unwrap().success());
    }
}

#[test]
fn cli_commands_drive_a_running_daemon() {
    let dir = TempDir::new("cli");
    let d = Running::start(&dir);

    let links = d.ok(&["links"]);
    assert_eq!(links["links"].as_array().unwrap().len(), 3);

    let sent = d.ok(&[
        "send",
        "--to",
        "13800138000",
        "--to",
        "12345",
        "您的快递已发货",
    ]);
    assert_eq!(
        (sent["accepted"].as_u64(), sent["rejected"].as_u64()),
        (Some(1), Some(1))
    );

    // A scheduled send cancels.
    let later = d.ok(&[
        "send",
        "--to",
        "13800138000",
        "--send-at",
        "2099-01-01T09:00:00+08:00",
        "新年快乐",
    ]);
    assert_eq!(later["state"], "scheduled");
    let job = later["job_id"].to_string();
    let c = d.ok(&["cancel", &job]);
    assert_eq!(c["result"]["outcome"], "cancelled");

    // Contacts import and a group send that follows the job until every number settled.
    let csv = dir.0.join("contacts.csv");
    std::fs::write(
        &csv,
        "姓名,手机号,分组\n张三,13800138000,销售\n李四,13300000000,销售\n坏行,123,销售\n",
    )
    .unwrap();
    let imported = d.ok(&["contacts", "import", csv.to_str().unwrap()]);
    assert_eq!(imported["created"], 2);
    assert_eq!(imported["bad"][0]["line"], 4);
    let progress = d.ok(&["group", "send", "--group", "销售", "明天放假"]);
    assert_eq!(progress["total"], 2);
    assert_eq!(progress["done"], 2, "{progress}");
    let job = progress["job_id"].to_string();
    let st = d.ok(&["status", &job]);
    let jobs = d.ok(&["jobs", "--limit", "2"]);
    assert_eq!(
        jobs["messages"][0]["job_id"].to_string(),
        job,
        "newest first: {jobs}"
    );
    assert_eq!(st["recipients"].as_array().unwrap().len(), 2);

    // An approval answered with `hongyan reply`.
    let req = dir.0.join("approval.json");
    std::fs::write(
        &req,
        r#"{"title": "出差", "applicant": {"name": "李四", "phone": "13900139000"},
            "stages": [{"rule": "all", "approvers": [{"name": "张经理", "phone": "13800138000"}]}]}"#,
    )
    .unwrap();
    let created = d.ok(&["approvals", "create", req.to_str().unwrap()]);
    let id = created["approval_id"].to_string();
    let deadline = Instant::now() + LIMIT;
    // The extension is allocated when the approval SMS is queued, right after creation;
    // `show` is re-read until then (bounded).
    let ext = loop {
        let v = d.ok(&["approvals", "show", &id]);
        if let Some(e) = v["steps"][0]["extension"].as_str() {
            break e.to_owned();
        }
        assert!(Instant::now() < deadline, "no extension: {v}");
    };
    let to = format!("10690123{ext}");
    d.ok(&["reply", "--from", "13800138000", "--to", &to, "同意"]);
    let deadline = Instant::now() + LIMIT;
    loop {
        let v = d.ok(&["approvals", "show", &id]);
        if v["state"] == "approved" {
            break;
        }
        assert!(Instant::now() < deadline, "not approved: {v}");
    }
    // For people: what a send costs, and each job's segments in the list.
    let long = "您本月的账单已生成，应还金额 1,286.50 元，请在还款日前完成还款。".repeat(4);
    let out = d.human(&["send", "--to", "13800138000", "--to", "12345", &long]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("3 segment(s) in all"), "{text}");
    let out = d.human(&["jobs", "--limit", "1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 recipient(s)       3 segment(s)"), "{text}");

    // Decided: nobody to ask again, and the CLI says so and fails (not "asked 0").
    let (ok, v) = d.cli(&["approvals", "resend", &id]);
    assert!(!ok, "{v}");
    assert_eq!(v["error"]["code"], "approval_closed", "{v}");
    assert_eq!(v["error"]["details"]["state"], "approved", "{v}");
    let out = d.human(&["approvals", "resend", &id]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("approval_closed") && err.contains("closed (approved)"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("asked"));

    // Output read by something that closes early (`| head`): a quiet, successful end.
    let out = crate::output::into_closed_pipe(
        Command::new(env!("CARGO_BIN_EXE_hongyan")).args(["--api", &d.api, "jobs"]),
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inbox = d.ok(&["inbox", "--unread"]);
    assert!(
        inbox["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["message"]["text"] == "同意")
    );

    // Errors: non-zero exit with the API's JSON error.
    let (ok, v) = d.cli(&["status", "999999"]);
    assert!(!ok);
    assert_eq!(v["error"]["code"], "not_found");
    let (ok, v) = d.cli(&["--token", "wrong-token-0123456789", "queue"]);
    assert!(!ok);
    assert_eq!(v["error"]["code"], "unauthorized");
    let q = d.ok(&["queue"]);
    assert!(q["segments"]["delivered"].as_u64().unwrap() >= 3, "{q}");
    d.stop();
}
