//! Ack after commit, end to end: the daemon answers a report's or MO's DELIVER only once
//! the store has committed it, so the gateway sends again what it got no answer for — and
//! that resend must be harmless. Each test makes the gateway (an in-process simulator)
//! miss the daemon's answer: it stops reading, the daemon stores and answers, the
//! connection is cut with the answer unread, and the simulator sends the Deliver again on
//! the next connection under the same Deliver id. The resend is recognised: one inbox
//! row, one report. Every wait is bounded and woken by changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use hongyan::daemon::{Daemon, DaemonHandle, SimTweak};
use hongyan::dispatch::SendRequest;
use hongyan::sim::{MoSpec, SimConfig, SimHandle};
use hongyan::store::DeliveryState;

use crate::support::{
    LIMIT, TempDir, demo_config, mobile_only_at, send_job, start_demo_gateway, submitted,
};

/// Cuts the simulator's connections (reading paused, so the daemon's answers already
/// written are lost with them) and lets the next connection read again.
async fn cut_unread(sim: &SimHandle) {
    assert!(sim.faults().cut_connections(), "no connection was open");
    sim.faults().pause_reading(false);
}

/// For each protocol: an MO stored and answered, the answer lost, the MO sent again —
/// still one inbox row, and the resend is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mo_the_gateway_sends_again_after_a_cut_gives_one_inbox_row() {
    let dir = TempDir::new("ack-mo");
    let daemon = Daemon::start(demo_config(&dir)).await.unwrap();
    // A message through each link: CMPP / SMGP are logged in, SGIP's gateway knows us.
    let job = send_job(
        &daemon,
        SendRequest::new(
            vec![
                "13800138000".into(),
                "13300000000".into(),
                "8613012345678".into(),
            ],
            "请回复",
        ),
    )
    .await;
    daemon.wait_until_settled(job, LIMIT).await.unwrap();
    for (link, from, to) in [
        ("mobile-demo", "13800138000", "106901230007"),
        ("telecom-demo", "13300000000", "106590120007"),
        ("unicom-demo", "8613012345678", "106550120007"),
    ] {
        let sim = daemon.simulator(link).unwrap();
        let text = format!("{link} 只收一次");
        sim.faults().pause_reading(true);
        sim.deliver_mo(MoSpec::new(from, to, &text)).await.unwrap();
        // Stored (and so answered — into a socket the gateway does not read).
        daemon
            .wait_for_inbox(LIMIT, |l| l.iter().any(|m| m.message.text == text))
            .await
            .unwrap();
        assert_eq!(sim.stats().mo_acked, 0, "{link}: the gateway read nothing");
        cut_unread(&sim).await;
        // Sent again on the next connection (SGIP: the gateway reconnects to us) and
        // answered there at once: it is already stored.
        let stats = sim
            .wait_until(|s| s.mo_acked == 1, LIMIT)
            .await
            .unwrap_or_else(|e| panic!("{link}: the resend was not answered: {e:?}"));
        assert_eq!((stats.mo_sent, stats.mo_resent), (2, 1), "{link}");
        let inbox = daemon.store().inbox_list(false, 1000).await.unwrap();
        let rows = inbox.iter().filter(|m| m.message.text == text).count();
        assert_eq!(rows, 1, "{link}: the resent MO made a second inbox row");
    }
    daemon.shutdown(LIMIT).await;
}

/// A report stored and answered, the answer lost, the report sent again: recorded once
/// (the link knows it is stored and answers the resend at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_the_gateway_sends_again_after_a_cut_is_stored_once() {
    let dir = TempDir::new("ack-report");
    // The report trails its submit response by a second: time to stop reading.
    let tweak: SimTweak = Arc::new(|_, sc: &mut SimConfig| {
        sc.report_delay = Duration::from_secs(1);
    });
    let daemon = Daemon::start_with(demo_config(&dir), Some(tweak))
        .await
        .unwrap();
    let sim = daemon.simulator("mobile-demo").unwrap();
    let job = send_one(&daemon, "13800138000", "只报一次").await;
    sim.faults().pause_reading(true);
    let st = daemon.wait_until_settled(job, LIMIT).await.unwrap();
    let seg = &st.recipients[0].segments[0];
    assert_eq!(seg.state, DeliveryState::Delivered, "{st:?}");
    let first_reported = seg.reported_at;
    assert_eq!(sim.stats().reports_acked, 0, "the gateway read nothing");
    cut_unread(&sim).await;
    let stats = sim
        .wait_until(|s| s.reports_acked == 1, LIMIT)
        .await
        .expect("the resent report was answered");
    assert_eq!(stats.reports_resent, 1);
    // One report recorded: the resend never reached the store.
    let monitor = daemon
        .link_monitors()
        .into_iter()
        .find(|m| m.config().name == "mobile-demo")
        .unwrap();
    assert_eq!(monitor.metrics().delivered, 1);
    let st = daemon.store().job_status(job).await.unwrap().unwrap();
    assert_eq!(st.recipients[0].segments[0].reported_at, first_reported);
    assert!(daemon.store().orphan_reports(10).await.unwrap().is_empty());
    daemon.shutdown(LIMIT).await;
}

/// The same after a restart: the new process does not know the report, hands it to the
/// store, which recognises it as a duplicate (the first report stands) — and answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_sent_again_to_the_next_process_is_a_duplicate_in_the_store() {
    let dir = TempDir::new("ack-restart");
    // An external gateway that outlives the daemon.
    let sim = start_demo_gateway(Duration::from_secs(1)).await;
    let config = mobile_only_at(&dir, sim.local_addr());

    let daemon = Daemon::start(config.clone()).await.unwrap();
    let job = send_one(&daemon, "13800138000", "重启也只报一次").await;
    sim.faults().pause_reading(true);
    let st = daemon.wait_until_settled(job, LIMIT).await.unwrap();
    let first_reported = st.recipients[0].segments[0].reported_at;
    assert_eq!(st.recipients[0].segments[0].state, DeliveryState::Delivered);
    // The gateway reads nothing, so the close is not answered either: bounded by the
    // link's close waits, well inside LIMIT.
    daemon.shutdown(LIMIT).await;
    cut_unread(&sim).await;

    let daemon = Daemon::start(config).await.unwrap();
    let stats = sim
        .wait_until(|s| s.reports_acked == 1, LIMIT)
        .await
        .expect("the resent report was answered by the new process");
    assert_eq!(stats.reports_resent, 1);
    // This process handed the report to the store (it could not know it)...
    let monitor = daemon.link_monitors().remove(0);
    assert_eq!(monitor.metrics().delivered, 1);
    // ...which kept the first one.
    let st = daemon.store().job_status(job).await.unwrap().unwrap();
    let seg = &st.recipients[0].segments[0];
    assert_eq!(seg.state, DeliveryState::Delivered);
    assert_eq!(seg.reported_at, first_reported, "the first report stands");
    assert!(daemon.store().orphan_reports(10).await.unwrap().is_empty());
    daemon.shutdown(LIMIT).await;
    sim.shutdown().await;
}

/// Sends `text` to `to` and waits until its submit is answered; the job id.
async fn send_one(daemon: &DaemonHandle, to: &str, text: &str) -> i64 {
    let job = send_job(daemon, SendRequest::new(vec![to.into()], text)).await;
    submitted(daemon, job).await;
    job
}
