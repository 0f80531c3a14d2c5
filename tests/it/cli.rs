//! The CLI against a running daemon: `hongyan run --api-listen 127.0.0.1:0` as a child
//! process on its embedded default, then the client commands as separate processes
//! with `--json`, as a script would use them; finally SIGTERM. Every read of the
//! daemon's log and every child is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{Daemon, LIMIT, TempDir, command, into_closed_pipe, wait_until_blocking};

#[test]
fn cli_commands_drive_a_running_daemon() {
    let dir = TempDir::new("cli");
    let mut d = Daemon::launch(&dir).json_logs().start();

    let links = d.cli_ok(&["links"]);
    assert_eq!(links["links"].as_array().unwrap().len(), 3);

    let sent = d.cli_ok(&[
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
    let later = d.cli_ok(&[
        "send",
        "--to",
        "13800138000",
        "--send-at",
        "2099-01-01T09:00:00+08:00",
        "新年快乐",
    ]);
    assert_eq!(later["state"], "scheduled");
    let job = later["job_id"].to_string();
    let c = d.cli_ok(&["cancel", &job]);
    assert_eq!(c["result"]["outcome"], "cancelled");

    // Contacts import and a group send that follows the job until every number settled.
    let csv = dir.write(
        "contacts.csv",
        "姓名,手机号,分组\n张三,13800138000,销售\n李四,13300000000,销售\n坏行,123,销售\n",
    );
    let imported = d.cli_ok(&["contacts", "import", csv.to_str().unwrap()]);
    assert_eq!(imported["created"], 2);
    assert_eq!(imported["bad"][0]["line"], 4);
    let progress = d.cli_ok(&["group", "send", "--group", "销售", "明天放假"]);
    assert_eq!(progress["total"], 2);
    assert_eq!(progress["done"], 2, "{progress}");
    let job = progress["job_id"].to_string();
    let st = d.cli_ok(&["status", &job]);
    let jobs = d.cli_ok(&["jobs", "--limit", "2"]);
    assert_eq!(
        jobs["messages"][0]["job_id"].to_string(),
        job,
        "newest first: {jobs}"
    );
    assert_eq!(st["recipients"].as_array().unwrap().len(), 2);

    // An approval answered with `hongyan reply`.
    let req = dir.write(
        "approval.json",
        r#"{"title": "出差", "applicant": {"name": "李四", "phone": "13900139000"},
            "stages": [{"rule": "all", "approvers": [{"name": "张经理", "phone": "13800138000"}]}]}"#,
    );
    let created = d.cli_ok(&["approvals", "create", req.to_str().unwrap()]);
    let id = created["approval_id"].to_string();
    // The extension is allocated when the approval SMS is queued, right after creation;
    // `show` is re-read until then (bounded).
    let ext = wait_until_blocking("the approval's extension", LIMIT, || {
        let v = d.cli_ok(&["approvals", "show", &id]);
        v["steps"][0]["extension"].as_str().map(str::to_owned)
    });
    let to = format!("10690123{ext}");
    d.cli_ok(&["reply", "--from", "13800138000", "--to", &to, "同意"]);
    wait_until_blocking("the approval approved", LIMIT, || {
        d.cli_ok(&["approvals", "show", &id])["state"] == "approved"
    });
    // For people: what a send costs, and each job's segments in the list.
    let long = "您本月的账单已生成，应还金额 1,286.50 元，请在还款日前完成还款。".repeat(4);
    let out = d.cli_human(&["send", "--to", "13800138000", "--to", "12345", &long]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("3 segment(s) in all"), "{text}");
    let out = d.cli_human(&["jobs", "--limit", "1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 recipient(s)       3 segment(s)"), "{text}");

    // Decided: nobody to ask again, and the CLI says so and fails (not "asked 0").
    let (ok, v) = d.cli(&["approvals", "resend", &id]);
    assert!(!ok, "{v}");
    assert_eq!(v["error"]["code"], "approval_closed", "{v}");
    assert_eq!(v["error"]["details"]["state"], "approved", "{v}");
    let out = d.cli_human(&["approvals", "resend", &id]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("approval_closed") && err.contains("closed (approved)"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("asked"));

    // Output read by something that closes early (`| head`): a quiet, successful end.
    let out = into_closed_pipe(command().args(["--api", d.api_url(), "jobs"]));
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inbox = d.cli_ok(&["inbox", "--unread"]);
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
    let q = d.cli_ok(&["queue"]);
    assert!(q["segments"]["delivered"].as_u64().unwrap() >= 3, "{q}");
    d.stop();
}
