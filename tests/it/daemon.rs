//! The daemon end to end: `Daemon::start` with its in-process simulated carriers (or an
//! external simulator, for the restart) on 127.0.0.1:0, jobs through the submitter,
//! states read back from the store. Every wait is woken by store changes and bounded;
//! nothing sleeps to wait for a state. Then `hongyan demo` and `hongyan run` as
//! subprocesses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use hongyan::config::Config;
use hongyan::daemon::{Daemon, SimTweak};
use hongyan::dispatch::{RecipientOutcome, SendRequest};
use hongyan::route::Carrier;
use hongyan::sim::{SimConfig, Simulator};
use hongyan::store::DeliveryState;

use crate::support::{
    self, ApiCalls, LIMIT, TempDir, accepted, assert_delivered, demo_config, demo_gateway,
    leave_one_claimed, mobile_only_at, send_job, settled, start_demo_gateway, start_recording,
    submitted,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_to_each_carrier_is_delivered_and_reported() {
    let dir = TempDir::new("each");
    let daemon = start_recording(demo_config(&dir)).await;
    assert!(daemon.is_demo());
    let req = SendRequest::new(
        vec![
            "13800138000".into(),
            "+86 133 0013 3000".into(),
            "8613012345678".into(),
        ],
        "您的验证码是 123456，5 分钟内有效。",
    );
    let out = daemon.submitter().send(req).await.unwrap();
    let got = accepted(&out.recipients);
    assert_eq!(
        got.iter()
            .map(|(n, c, _)| (n.as_str(), *c))
            .collect::<Vec<_>>(),
        vec![
            ("13800138000", Carrier::Mobile),
            ("13300133000", Carrier::Telecom),
            ("13012345678", Carrier::Unicom),
        ]
    );
    let job = out.job.unwrap().job_id;
    let st = settled(&daemon, job).await;
    assert_delivered(&st);
    let links: Vec<_> = st
        .recipients
        .iter()
        .map(|r| r.segments[0].link.clone().unwrap())
        .collect();
    assert_eq!(links, ["mobile-demo", "telecom-demo", "unicom-demo"]);
    // Each simulator got exactly its own carrier's message.
    for (link, number) in [
        ("mobile-demo", "13800138000"),
        ("telecom-demo", "13300133000"),
        ("unicom-demo", "13012345678"),
    ] {
        let subs = daemon.simulator(link).unwrap().submits();
        assert_eq!(subs.len(), 1, "{link}");
        assert!(
            subs[0].recipients.iter().any(|r| r.ends_with(number)),
            "{link}: {:?}",
            subs[0].recipients
        );
    }
    let report = daemon.shutdown(LIMIT).await;
    assert!(!report.timed_out);
    assert_eq!(report.requeued, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_part_of_a_long_message_is_sent_once_and_delivered() {
    let dir = TempDir::new("long");
    let daemon = start_recording(demo_config(&dir)).await;
    let text = "您本月账单应还 1,286.50 元，请于 12 月 5 日前还款，逾期将影响信用记录。".repeat(4);
    let out = daemon
        .submitter()
        .send(SendRequest::new(vec!["13300133000".into()], text.clone()))
        .await
        .unwrap();
    let (_, _, segments) = accepted(&out.recipients)[0];
    assert!(segments >= 3, "{segments}");
    let st = settled(&daemon, out.job.unwrap().job_id).await;
    assert_delivered(&st);
    let r = &st.recipients[0];
    assert_eq!(r.parts, segments);
    assert_eq!(r.segments.len(), usize::from(segments));
    assert!(r.reference.is_some());
    // The simulator saw exactly the counted parts, numbered 1..=n, each once.
    let subs = daemon.simulator("telecom-demo").unwrap().submits();
    assert_eq!(subs.len(), usize::from(segments));
    let mut ids: Vec<_> = r
        .segments
        .iter()
        .map(|s| s.msg_id.clone().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), usize::from(segments), "one carrier id per part");
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_numbers_are_rejected_per_item_while_the_good_ones_go() {
    let dir = TempDir::new("bad");
    let daemon = Daemon::start(demo_config(&dir)).await.unwrap();
    let req = SendRequest::new(
        vec![
            "12345".into(),
            "13900139000".into(),
            "0571-88886666".into(),
            "139 0013 9000".into(),
            "18912345678".into(),
        ],
        "周五例会改到 15:00。",
    );
    let out = daemon.submitter().send(req).await.unwrap();
    assert_eq!(out.recipients.len(), 5);
    let kinds: Vec<&str> = out
        .recipients
        .iter()
        .map(|o| match o {
            RecipientOutcome::Accepted { .. } => "accepted",
            RecipientOutcome::Rejected { .. } => "rejected",
            RecipientOutcome::Duplicate { .. } => "duplicate",
            RecipientOutcome::Skipped { .. } => "skipped",
        })
        .collect();
    assert_eq!(
        kinds,
        ["rejected", "accepted", "rejected", "duplicate", "accepted"]
    );
    match &out.recipients[2] {
        RecipientOutcome::Rejected { reason, code, .. } => {
            assert!(reason.contains("fixed-line"), "{reason}");
            assert!(!code.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let st = settled(&daemon, out.job.unwrap().job_id).await;
    assert_eq!(st.recipients.len(), 2);
    assert_delivered(&st);
    // Only bad numbers: nothing is accepted and no job is made.
    let none = daemon
        .submitter()
        .send(SendRequest::new(vec!["110".into()], "x"))
        .await
        .unwrap();
    assert!(none.job.is_none());
    assert_eq!(none.accepted(), 0);
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_without_a_link_fails_with_the_reason_unless_a_fallback_is_configured() {
    let dir = TempDir::new("nolink");
    let mut config = demo_config(&dir);
    config.links.retain(|l| l.carrier() == Carrier::Mobile);
    config.routing.fallback.clear();
    let daemon = Daemon::start(config.clone()).await.unwrap();
    let out = daemon
        .submitter()
        .send(SendRequest::new(
            vec!["13300133000".into(), "13800138000".into()],
            "通知",
        ))
        .await
        .unwrap();
    match &out.recipients[0] {
        RecipientOutcome::Rejected { code, reason, .. } => {
            assert_eq!(code, "no_link");
            assert!(reason.contains("no link for China Telecom"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let st = settled(&daemon, out.job.unwrap().job_id).await;
    assert_eq!(st.recipients.len(), 1);
    assert_delivered(&st);
    daemon.shutdown(LIMIT).await;

    // With telecom → mobile configured, the same number goes through the mobile link.
    config
        .routing
        .fallback
        .insert(Carrier::Telecom, Carrier::Mobile);
    let daemon = Daemon::start(config).await.unwrap();
    let out = daemon
        .submitter()
        .send(SendRequest::new(vec!["13300133000".into()], "通知"))
        .await
        .unwrap();
    match &out.recipients[0] {
        RecipientOutcome::Accepted { carrier, via, .. } => {
            assert_eq!((*carrier, *via), (Carrier::Telecom, Carrier::Mobile));
        }
        other => panic!("{other:?}"),
    }
    let st = settled(&daemon, out.job.unwrap().job_id).await;
    assert_delivered(&st);
    assert_eq!(
        st.recipients[0].segments[0].link.as_deref(),
        Some("mobile-demo")
    );
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_jobs_and_matches_a_report_that_arrives_after_it() {
    let dir = TempDir::new("restart");
    // An external gateway that outlives the daemon and reports late.
    let sim = start_demo_gateway(Duration::from_secs(600)).await;
    let config = mobile_only_at(&dir, sim.local_addr());

    let daemon = Daemon::start(config.clone()).await.unwrap();
    let job = send_job(
        &daemon,
        SendRequest::new(vec!["13800138000".into()], "重启前发出"),
    )
    .await;
    let st = submitted(&daemon, job).await;
    let msg_id = st.recipients[0].segments[0].msg_id.clone().unwrap();
    let stop = daemon.shutdown(LIMIT).await;
    assert!(!stop.timed_out);
    assert_eq!(stop.requeued, 0);

    // The gateway still holds the report; it sends it when the account logs in again.
    let daemon = Daemon::start(config).await.unwrap();
    assert!(
        daemon.recovered().is_empty(),
        "nothing was left on the wire"
    );
    // The gateway writes the held report right behind the login response, often in the
    // same read: the link handles it without waiting for more traffic.
    let st = settled(&daemon, job).await;
    assert_delivered(&st);
    assert_eq!(
        st.recipients[0].segments[0].msg_id.as_deref(),
        Some(msg_id.as_str())
    );
    assert_eq!(
        sim.stats().submits_accepted,
        1,
        "the job was not sent again"
    );
    daemon.shutdown(LIMIT).await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_beats_its_submit_response_is_applied() {
    let dir = TempDir::new("early");
    let tweak: SimTweak = Arc::new(|_, sc: &mut SimConfig| sc.report_delay = Duration::ZERO);
    let daemon = Daemon::start_with(demo_config(&dir), Some(tweak))
        .await
        .unwrap();
    daemon
        .simulator("mobile-demo")
        .unwrap()
        .faults()
        .reports_before_responses(1);
    let out = daemon
        .submitter()
        .send(SendRequest::new(
            vec!["13800138000".into()],
            "先到的状态报告",
        ))
        .await
        .unwrap();
    let st = settled(&daemon, out.job.unwrap().job_id).await;
    assert_delivered(&st);
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mo_reply_lands_in_the_inbox_with_its_extended_number() {
    let dir = TempDir::new("mo");
    let daemon = Daemon::start(demo_config(&dir)).await.unwrap();
    // Wait for the mobile link to log in (a submit proves it).
    let out = daemon
        .submitter()
        .send(SendRequest::new(
            vec!["13800138000".into()],
            "请回复 Y 确认",
        ))
        .await
        .unwrap();
    settled(&daemon, out.job.unwrap().job_id).await;
    for (link, from, to) in [
        ("mobile-demo", "13800138000", "106901230001"),
        ("unicom-demo", "8613012345678", "106550120002"),
    ] {
        daemon
            .simulator(link)
            .unwrap()
            .deliver_mo(hongyan::sim::MoSpec::new(from, to, "Y 收到"))
            .await
            .unwrap();
        let inbox = daemon
            .wait_for_inbox(LIMIT, |l| l.iter().any(|m| m.message.destination == to))
            .await
            .unwrap();
        let m = inbox.iter().find(|m| m.message.destination == to).unwrap();
        assert_eq!(m.message.text, "Y 收到");
        assert_eq!(m.message.link, link);
        assert!(m.message.sender.ends_with(&from[from.len() - 11..]));
    }
    daemon.shutdown(LIMIT).await;
}

#[test]
fn hongyan_demo_runs_the_whole_path_and_exits_zero() {
    let out = support::output_of(
        support::command().arg("demo").env_remove("HONGYAN_DATA"),
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for line in [
        "DEMO MODE",
        "[1] Shipping notification: job 1 delivered",
        "[2] Payment reminder (long message): job 2 delivered",
        "[3] Group message (with one landline number): job 3 delivered",
        "0571-88886666: rejected",
        "13800138000  China Mobile",
        "13300133000  China Telecom  telecom-demo  3",
        "13012345678  China Unicom",
        "from 13900139000 to 1069012388 via mobile-demo",
        "approval SMS from 10690123",
        "→ not applied: not the recipient",
        "→ applied: approval 1 is approved",
        "approval 1: approved; 李四 told by SMS: delivered",
        "Daemon stopped cleanly",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    assert!(
        stderr.contains("DEMO MODE: all carriers are simulated"),
        "{stderr}"
    );
    // Words, not Rust's debug text (`Decided { approval_id: 1, .. }`, `SimStats { .. }`).
    for debug in [" { ", "Decided", "SimStats", "Some("] {
        assert!(!stdout.contains(debug), "{debug:?} in:\n{stdout}");
    }
}

#[test]
fn hongyan_run_with_a_bad_config_names_the_key_and_exits_non_zero() {
    let dir = TempDir::new("badcfg");
    let text = hongyan::config::EMBEDDED_DEFAULT_TOML.replacen("rate = 1000", "rate = 0", 1);
    let path = dir.write("bad.toml", &text);
    let mut d = support::Daemon::launch(&dir).config(&path).spawn();
    let status = d.exit();
    assert!(!status.success());
    let err = d.seen.join("\n");
    assert!(err.contains("link[0].rate"), "{err}");
    assert!(!dir.join("hongyan.db").exists(), "nothing started");
}

#[test]
fn hongyan_run_drains_and_exits_zero_on_sigterm() {
    let dir = TempDir::new("sigterm");
    let mut d = support::Daemon::launch(&dir).json_logs().start();
    let seen = &d.seen;
    assert!(
        seen.iter().any(|l| l.contains("hongyan running")),
        "{seen:#?}"
    );
    assert!(seen.iter().any(|l| l.contains("DEMO MODE")), "{seen:#?}");
    let first: serde_json::Value = serde_json::from_str(&seen[0]).unwrap();
    assert!(first.get("level").is_some(), "{first}");
    // Bounded: the drain deadline is close_grace + 5 s.
    d.stop();
    assert!(
        d.seen.iter().any(|l| l.contains("SIGTERM received")),
        "{:#?}",
        d.seen
    );
    assert!(dir.join("hongyan.db").exists());
}

/// `hongyan run` serves the API at the address it logs, with the demo's token: a message
/// sent over HTTP to the child process is delivered by its simulated carrier.
#[tokio::test]
async fn hongyan_run_serves_its_api_at_the_address_it_logs() {
    let dir = TempDir::new("run-api");
    let mut d = support::Daemon::start(&dir);
    let links = d.get_json("/v1/links").await;
    assert_eq!(links["links"].as_array().unwrap().len(), 3, "{links}");
    let sent = d
        .post_json(
            "/v1/messages",
            serde_json::json!({"recipients": ["13800138000"], "text": "子进程收到"}),
        )
        .await;
    assert_eq!(sent["accepted"], 1, "{sent}");
    let job = sent["job_id"].as_i64().unwrap();
    let st = support::wait_until("the job delivered", LIMIT, async || {
        let st = d.get_json(&format!("/v1/messages/{job}")).await;
        (st["state"] == "delivered").then_some(st)
    })
    .await;
    assert_eq!(st["recipients"][0]["state"], "delivered", "{st}");
    let (status, code, _) = d.fail("GET", "/v1/messages/999999", None).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    d.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_an_outage_jobs_wait_in_the_queue_and_flow_out_when_the_carrier_returns() {
    let dir = TempDir::new("outage");
    let addr = support::free_addr();
    let config = mobile_only_at(&dir, addr);
    let daemon = Daemon::start(config).await.unwrap();
    let waiting = daemon
        .submitter()
        .send(SendRequest::new(
            vec!["13800138000".into()],
            "网关恢复后送达",
        ))
        .await
        .unwrap()
        .job
        .unwrap()
        .job_id;
    let mut bulk = SendRequest::new(vec!["13700137000".into()], "批量");
    bulk.priority = hongyan::store::Priority::Bulk;
    let bulk = daemon
        .submitter()
        .send(bulk)
        .await
        .unwrap()
        .job
        .unwrap()
        .job_id;
    let mut approval = SendRequest::new(vec!["13600136000".into()], "审批");
    approval.priority = hongyan::store::Priority::Approval;
    let approval = daemon
        .submitter()
        .send(approval)
        .await
        .unwrap()
        .job
        .unwrap()
        .job_id;
    let mut short = SendRequest::new(vec!["13900139000".into()], "过期作废");
    short.validity = Some(Duration::from_millis(1500));
    let expiring = daemon
        .submitter()
        .send(short)
        .await
        .unwrap()
        .job
        .unwrap()
        .job_id;

    // Nothing is claimed while no connection is up: the job stays queued, untouched.
    let st = daemon.store().job_status(waiting).await.unwrap().unwrap();
    assert_eq!(st.recipients[0].state, DeliveryState::Queued);
    assert_eq!(st.recipients[0].segments[0].attempts, 0);
    assert_eq!(daemon.links()[0].outstanding, 0);
    // The scheduler tick fails the one whose validity runs out first.
    let st = daemon.wait_until_settled(expiring, LIMIT).await.unwrap();
    assert_eq!(st.recipients[0].state, DeliveryState::Expired);
    let st = daemon.store().job_status(waiting).await.unwrap().unwrap();
    assert_eq!(st.recipients[0].segments[0].attempts, 0, "no retry storm");

    // The carrier comes back on the same address.
    let mut sc = demo_gateway();
    sc.listen = addr;
    let sim = Simulator::start(sc).await.unwrap();
    let st = settled(&daemon, waiting).await;
    assert_delivered(&st);
    assert_eq!(st.recipients[0].segments[0].attempts, 1);
    for job in [bulk, approval] {
        assert_delivered(&settled(&daemon, job).await);
    }
    assert_eq!(
        sim.stats().submits_accepted,
        3,
        "the expired one was never sent"
    );
    // Highest priority class first, then oldest.
    let order: Vec<String> = sim
        .submits()
        .iter()
        .map(|s| s.recipients[0].clone())
        .collect();
    assert_eq!(order, ["13600136000", "13800138000", "13700137000"]);
    daemon.shutdown(LIMIT).await;
    sim.shutdown().await;
}

/// Leaves one message in flight in the store under `config`'s data directory, as a
/// crash would, with no journal to say whether it was written.
async fn crash_with_one_in_flight(config: &Config) -> i64 {
    leave_one_claimed(config, "崩溃前在途").await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_a_segment_on_the_wire_is_marked_unconfirmed_not_resent() {
    let dir = TempDir::new("crash-default");
    let config = demo_config(&dir);
    let job = crash_with_one_in_flight(&config).await;
    let daemon = start_recording(config).await;
    assert_eq!(daemon.recovered().len(), 1);
    assert_eq!(daemon.recovered()[0].job_id, job);
    let st = daemon.store().job_status(job).await.unwrap().unwrap();
    assert_eq!(st.recipients[0].state, DeliveryState::Unconfirmed);
    // A later message goes out; the unconfirmed one does not.
    let out = daemon
        .submitter()
        .send(SendRequest::new(vec!["13900139000".into()], "之后的消息"))
        .await
        .unwrap();
    settled(&daemon, out.job.unwrap().job_id).await;
    let subs = daemon.simulator("mobile-demo").unwrap().submits();
    assert_eq!(subs.len(), 1);
    assert!(subs[0].recipients[0].ends_with("13900139000"));
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_resend_unconfirmed_sends_it_again() {
    let dir = TempDir::new("crash-resend");
    let mut config = demo_config(&dir);
    config.queue.resend_unconfirmed = true;
    let job = crash_with_one_in_flight(&config).await;
    let daemon = Daemon::start(config).await.unwrap();
    assert_eq!(daemon.recovered().len(), 1);
    let st = settled(&daemon, job).await;
    assert_delivered(&st);
    assert_eq!(st.recipients[0].segments[0].attempts, 2);
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_idempotency_key_returns_the_first_job() {
    let dir = TempDir::new("idem");
    let daemon = start_recording(demo_config(&dir)).await;
    let mut req = SendRequest::new(vec!["13300133000".into()], "重复提交的长短信，".repeat(20));
    req.idempotency_key = Some("order-42".into());
    let first = daemon.submitter().send(req.clone()).await.unwrap();
    let first = first.job.unwrap();
    assert!(first.created);
    // The retry gets another expiry and reference internally, and is still the same job.
    let again = daemon.submitter().send(req.clone()).await.unwrap();
    let again = again.job.unwrap();
    assert_eq!(again.job_id, first.job_id);
    assert!(!again.created);
    // Another text under the same key is a conflict.
    req.text = "另一条".into();
    let err = daemon.submitter().send(req).await.unwrap_err();
    assert!(err.to_string().contains("order-42"), "{err}");
    let st = settled(&daemon, first.job_id).await;
    assert_delivered(&st);
    let parts = usize::from(st.recipients[0].parts);
    assert_eq!(
        daemon.simulator("telecom-demo").unwrap().submits().len(),
        parts,
        "sent once"
    );
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_job_waits_for_its_time_and_a_cancelled_one_never_goes() {
    let dir = TempDir::new("sched");
    let daemon = start_recording(demo_config(&dir)).await;
    let soon = hongyan::store::now_millis() + 1_200;
    let mut req = SendRequest::new(vec!["13800138000".into()], "定时发送");
    req.send_at = Some(soon);
    let later = daemon.submitter().send(req.clone()).await.unwrap();
    let later = later.job.unwrap();
    assert_eq!(later.state, hongyan::store::JobState::Scheduled);
    req.send_at = Some(soon + 3_600_000);
    req.recipients = vec!["13900139000".into()];
    let cancelled = daemon.submitter().send(req).await.unwrap().job.unwrap();
    assert!(matches!(
        daemon.submitter().cancel(cancelled.job_id).await.unwrap(),
        hongyan::store::CancelOutcome::Cancelled { recipients: 1 }
    ));
    let st = settled(&daemon, later.job_id).await;
    assert_delivered(&st);
    assert!(st.recipients[0].segments[0].claimed_at.unwrap() >= soon);
    let st = daemon
        .store()
        .job_status(cancelled.job_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(st.recipients[0].state, DeliveryState::Cancelled);
    assert_eq!(daemon.simulator("mobile-demo").unwrap().submits().len(), 1);
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_and_extensions_a_link_cannot_carry_are_refused_with_the_reason() {
    let dir = TempDir::new("limits");
    let mut config = demo_config(&dir);
    for l in &mut config.links {
        l.max_segments = 2;
    }
    // 15 digits leave room for 5 digits of extension.
    config.links[0].service_code = "106901234567890".into();
    let daemon = Daemon::start(config).await.unwrap();
    let out = daemon
        .submitter()
        .send(SendRequest::new(
            vec!["13800138000".into()],
            "超长".repeat(100),
        ))
        .await
        .unwrap();
    assert!(out.job.is_none());
    match &out.recipients[0] {
        RecipientOutcome::Rejected { code, reason, .. } => {
            assert_eq!(code, "text");
            assert!(reason.contains("at most 2"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let mut req = SendRequest::new(vec!["13800138000".into()], "x");
    req.source_ext = Some("12a".into());
    assert!(matches!(
        daemon.submitter().send(req).await,
        Err(hongyan::dispatch::SendError::BadExtension(_))
    ));
    let mut req = SendRequest::new(vec!["13800138000".into()], "x");
    req.source_ext = Some("123456789012".into());
    let out = daemon.submitter().send(req).await.unwrap();
    match &out.recipients[0] {
        RecipientOutcome::Rejected { code, .. } => assert_eq!(code, "extension"),
        other => panic!("{other:?}"),
    }
    // Four digits is the reply-extension length (extension_length, default 4): a manual
    // one could be taken for an approval's. Per recipient, so the other carriers' links
    // decide for their own recipients; three or five digits go.
    assert_eq!(daemon.config().links[0].extension_length, 4);
    let mut req = SendRequest::new(vec!["13800138000".into()], "x");
    req.source_ext = Some("0042".into());
    let out = daemon.submitter().send(req).await.unwrap();
    assert!(out.job.is_none());
    match &out.recipients[0] {
        RecipientOutcome::Rejected { code, reason, .. } => {
            assert_eq!(code, "extension");
            assert!(reason.contains("extension_length"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    for ext in ["042", "00042"] {
        let mut req = SendRequest::new(vec!["13800138000".into()], "x");
        req.source_ext = Some(ext.into());
        let out = daemon.submitter().send(req).await.unwrap();
        assert!(out.job.is_some(), "{ext}: {:?}", out.recipients);
    }
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submit_the_carrier_never_answers_is_unconfirmed_and_a_refused_one_failed() {
    let dir = TempDir::new("unanswered");
    let mut config = demo_config(&dir);
    config.links.retain(|l| l.carrier() == Carrier::Mobile);
    // Short: the one submit goes unanswered, and each attempt waits it out.
    config.links[0].response_timeout = Duration::from_millis(300);
    config.links[0].max_attempts = 1;
    // No status report: the gateway's report would name the number and the minute and
    // settle the unconfirmed segment as delivered.
    config.links[0].status_reports = false;
    let daemon = Daemon::start(config).await.unwrap();
    let sim = daemon.simulator("mobile-demo").unwrap();
    sim.faults().drop_next_responses(1);
    let out = daemon
        .submitter()
        .send(SendRequest::new(vec!["13800138000".into()], "无应答"))
        .await
        .unwrap();
    let st = settled(&daemon, out.job.unwrap().job_id).await;
    let r = &st.recipients[0];
    assert_eq!(r.state, DeliveryState::Unconfirmed, "{r:?}");
    assert!(
        r.last_error
            .as_deref()
            .unwrap_or("")
            .contains("no response"),
        "{r:?}"
    );
    daemon.shutdown(LIMIT).await;
}

#[tokio::test]
async fn links_of_one_carrier_with_different_text_settings_are_refused_naming_the_link() {
    let dir = TempDir::new("twolinks");
    let mut config = demo_config(&dir);
    let mut second = config.links[0].clone();
    second.name = "mobile-2".into();
    second.signature = Some("【别的】".into());
    config.links.push(second);
    let err = Daemon::start(config).await.unwrap_err();
    assert!(err.to_string().starts_with("link[3]:"), "{err}");
    assert!(
        !dir.join("hongyan.db").exists(),
        "refused before opening the store"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_delivered_jobs_once_old_and_keeps_what_still_waits() {
    let dir = TempDir::new("retention");
    let daemon = Daemon::start(demo_config(&dir)).await.unwrap();
    let retention = daemon.config().storage.retention;
    assert_eq!(retention, Duration::from_secs(180 * 86_400));
    let sent = send_job(
        &daemon,
        SendRequest::new(vec!["13800138000".into()], "已发货"),
    )
    .await;
    assert_delivered(&settled(&daemon, sent).await);
    // Scheduled a year ahead: old by then, but still waiting.
    let mut req = SendRequest::new(vec!["13900139000".into()], "续费提醒");
    req.send_at = Some(hongyan::store::now_millis() + 365 * 86_400_000);
    let waiting = send_job(&daemon, req).await;
    // The newest job always stays (job ids count on from it), however old.
    let newest = send_job(
        &daemon,
        SendRequest::new(vec!["13800138002".into()], "已揽收"),
    )
    .await;
    assert_delivered(&settled(&daemon, newest).await);

    // Today nothing is old enough.
    let now = hongyan::store::now_millis();
    assert!(daemon.purge(now).await.unwrap().is_empty());
    assert!(daemon.store().job_status(sent).await.unwrap().is_some());

    // A day past the retention window: the delivered job goes, the scheduled one stays.
    let later = now + i64::try_from(retention.as_millis()).unwrap() + 86_400_000;
    let out = daemon.purge(later).await.unwrap();
    assert_eq!((out.jobs, out.segments, out.kept), (1, 1, 1), "{out:?}");
    // Counted for /metrics.
    let counted = daemon.retention_counters();
    let load = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        (
            load(&counted.runs),
            load(&counted.jobs),
            load(&counted.segments)
        ),
        (2, 1, 1)
    );
    assert!(daemon.store().job_status(sent).await.unwrap().is_none());
    assert!(daemon.store().job_status(waiting).await.unwrap().is_some());
    assert!(daemon.store().job_status(newest).await.unwrap().is_some());
    // The daemon goes on sending after a purge, with new ids.
    let again = send_job(
        &daemon,
        SendRequest::new(vec!["13800138001".into()], "已签收"),
    )
    .await;
    assert!(again > newest);
    assert_delivered(&settled(&daemon, again).await);
    let report = daemon.shutdown(LIMIT).await;
    assert!(!report.timed_out);
}

/// The daemon's simulators run as long as it does: they keep counters, not a record of
/// every SUBMIT (which grew ~630 bytes per message), unless a test asks for the records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemons_simulators_count_submits_without_recording_them() {
    let dir = TempDir::new("sim-no-records");
    let daemon = Daemon::start(demo_config(&dir)).await.unwrap();
    let job = send_job(
        &daemon,
        SendRequest::new(vec!["13800138000".into()], "不留底"),
    )
    .await;
    assert_delivered(&settled(&daemon, job).await);
    let sim = daemon.simulator("mobile-demo").unwrap();
    assert_eq!(sim.stats().submits_accepted, 1);
    assert!(sim.submits().is_empty(), "{:?}", sim.submits());
    daemon.shutdown(LIMIT).await;
}
