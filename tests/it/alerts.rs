//! Alerts end to end: the daemon with its in-process simulated carriers on 127.0.0.1:0,
//! in paused tokio time (hours of evaluations in a moment), faults injected in the
//! simulators; what the evaluator fired, what it recorded, and the on-call SMS as the
//! other carrier's simulator received it. Then `GET /v1/alerts` and `hongyan alerts`
//! against a running API. Every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use hongyan::alerts::AlertKind;
use hongyan::config::Config;
use hongyan::daemon::{Daemon, DaemonHandle, record_submits};
use hongyan::dispatch::SendRequest;
use hongyan::sim::SimHandle;
use hongyan::store::AlertEvent;
use tokio::time::Instant;

use crate::support::{
    Api, ApiCalls, Found, LIMIT, TOKEN, TempDir, demo_config, external_mobile_at, free_addr, run,
    start_recording, stdout_of, texts_to, wait_until, wait_until_every,
};

const ON_CALL: &str = "13800138000";
/// CMPP 3.0 Status 3: authentication failed.
const AUTH_FAILED: u32 = 3;
/// Paused time: a bound on how long the daemon may take, not a wait.
const PAUSED_LIMIT: Duration = Duration::from_secs(3600);
/// How often a wait in paused time looks: hours of it pass in a test.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// Demo config with an on-call (China Mobile) number, on `dir`; the disk rule off, so
/// the test machine's free space decides nothing.
fn config(dir: &TempDir) -> Config {
    let mut c = demo_config(dir);
    c.alerts.on_call = vec![ON_CALL.into()];
    no_disk_rule(&mut c);
    c
}

fn no_disk_rule(c: &mut Config) {
    c.alerts.disk_free_percent = 0;
    c.alerts.disk_free_mib = 0;
}

/// Waits (in paused time, bounded by [`PAUSED_LIMIT`]) until `check` holds.
async fn until<R: Found>(what: &str, check: impl AsyncFnMut() -> R) -> R::Value {
    wait_until_every(what, PAUSED_LIMIT, LOOK_EVERY, check).await
}

fn mobile_up(d: &DaemonHandle) -> bool {
    d.links()
        .iter()
        .any(|l| l.name == "mobile-demo" && l.connections_up > 0)
}

fn refused(d: &DaemonHandle) -> bool {
    d.link_monitors()
        .iter()
        .any(|m| m.config().name == "mobile-demo" && m.health().refused.is_some())
}

/// The mobile gateway refuses every login from now on, and drops the sessions it has.
async fn refuse_mobile(d: &DaemonHandle) {
    until("mobile link up", async || mobile_up(d)).await;
    let faults = d.simulator("mobile-demo").unwrap().faults();
    faults.refuse_logins(u32::MAX, AUTH_FAILED);
    faults.cut_connections();
    until("login refused", async || refused(d)).await;
}

/// The texts `sim` received for the on-call number.
fn on_call_texts(sim: &SimHandle) -> Vec<String> {
    texts_to(sim, ON_CALL)
}

async fn history(d: &DaemonHandle) -> Vec<AlertEvent> {
    d.store().alerts_recent(1000).await.unwrap()
}

fn count(h: &[AlertEvent], alert: AlertKind, state: &str) -> usize {
    h.iter()
        .filter(|e| e.event.alert == alert.name() && e.event.state == state && e.event.notified)
        .count()
}

#[tokio::test(start_paused = true)]
async fn a_refused_login_fires_within_one_evaluation_and_the_sms_goes_through_another_carrier() {
    let dir = TempDir::new("alert-refused");
    let d = start_recording(config(&dir)).await;
    refuse_mobile(&d).await;
    let alerts = d.alerts();
    // The evaluation running when the refusal came may have read the links before it;
    // the next one must fire. Counted in evaluations, not time: paused time runs ahead
    // while an evaluation waits for the store's threads.
    let seen_at = alerts.evaluations();
    until("an evaluation after the refusal", async || {
        alerts.is_firing(AlertKind::LoginRefused) || alerts.evaluations() > seen_at + 2
    })
    .await;
    assert!(
        alerts.is_firing(AlertKind::LoginRefused),
        "not fired by the first evaluation after the refusal"
    );
    let firing = alerts.firing();
    let f = firing.iter().find(|f| f.alert == "login_refused").unwrap();
    assert_eq!(f.subject, "mobile-demo");
    assert!(f.text.contains("3 "), "names the result code: {}", f.text);
    let telecom = d.simulator("telecom-demo").unwrap();
    until("on-call SMS at the telecom gateway", async || {
        !on_call_texts(&telecom).is_empty()
    })
    .await;
    let texts = on_call_texts(&telecom);
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains("告警") && texts[0].contains("mobile-demo"),
        "{texts:?}"
    );
    assert!(texts[0].contains("登录被拒"), "{texts:?}");
    assert_eq!(
        texts[0].matches('【').count(),
        1,
        "one signature: {texts:?}"
    );
    assert!(texts[0].contains("【鸿雁告警】"), "{texts:?}");
    let mobile = d.simulator("mobile-demo").unwrap();
    assert!(
        on_call_texts(&mobile).is_empty(),
        "never through the failing link"
    );
    let h = history(&d).await;
    assert_eq!(count(&h, AlertKind::LoginRefused, "firing"), 1);
    assert!(
        h[h.len() - 1]
            .event
            .sms
            .as_deref()
            .unwrap_or("")
            .contains("telecom-demo"),
        "{h:?}"
    );
    d.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(start_paused = true)]
async fn a_link_brought_back_sends_the_resolved_notice() {
    let dir = TempDir::new("alert-resolved");
    let d = start_recording(config(&dir)).await;
    refuse_mobile(&d).await;
    let alerts = d.alerts();
    until("firing", async || alerts.is_firing(AlertKind::LoginRefused)).await;
    d.simulator("mobile-demo")
        .unwrap()
        .faults()
        .refuse_logins(0, 0);
    until("mobile link back", async || mobile_up(&d)).await;
    until("resolved", async || {
        !alerts.is_firing(AlertKind::LoginRefused)
    })
    .await;
    let h = history(&d).await;
    assert_eq!(count(&h, AlertKind::LoginRefused, "resolved"), 1, "{h:?}");
    assert_eq!(h[0].event.state, "resolved", "newest first: {h:?}");
    // The resolved notice may go through either healthy link now; the mobile link is
    // back and no longer failing.
    let telecom = d.simulator("telecom-demo").unwrap();
    let mobile = d.simulator("mobile-demo").unwrap();
    until("resolved SMS", async || {
        on_call_texts(&telecom)
            .iter()
            .chain(on_call_texts(&mobile).iter())
            .any(|t| t.contains("已恢复"))
    })
    .await;
    d.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(start_paused = true)]
async fn a_flapping_link_is_not_announced_more_than_the_daily_bound() {
    let dir = TempDir::new("alert-flap");
    let mut c = config(&dir);
    c.alerts.max_notices_per_day = 2;
    let d = start_recording(c).await;
    let faults = d.simulator("mobile-demo").unwrap().faults();
    let alerts = d.alerts();
    for _ in 0..5 {
        refuse_mobile(&d).await;
        until("firing", async || alerts.is_firing(AlertKind::LoginRefused)).await;
        faults.refuse_logins(0, 0);
        until("mobile link back", async || mobile_up(&d)).await;
        until("resolved", async || {
            !alerts.is_firing(AlertKind::LoginRefused)
        })
        .await;
    }
    let h = history(&d).await;
    let fired = h
        .iter()
        .filter(|e| e.event.alert == "login_refused" && e.event.state == "firing")
        .count();
    assert_eq!(fired, 5, "every episode is recorded: {h:?}");
    assert_eq!(
        count(&h, AlertKind::LoginRefused, "firing"),
        2,
        "told twice only: {h:?}"
    );
    let telecom = d.simulator("telecom-demo").unwrap();
    let mobile = d.simulator("mobile-demo").unwrap();
    let texts: Vec<String> = on_call_texts(&telecom)
        .into_iter()
        .chain(on_call_texts(&mobile))
        .collect();
    let firing_sms = texts
        .iter()
        .filter(|t| t.contains("登录被拒") && !t.contains("已恢复"))
        .count();
    assert!(firing_sms <= 2, "{texts:?}");
    d.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(start_paused = true)]
async fn a_queue_held_back_fires_the_age_alert() {
    let dir = TempDir::new("alert-queue");
    let c = config(&dir);
    let age = c.alerts.queue_age;
    // From before the start: the store stamps the job with the system clock, which
    // stands still in paused time, so its age counts from the evaluator's start.
    let started = Instant::now();
    let d = start_recording(c).await;
    refuse_mobile(&d).await;
    // The only link for China Mobile numbers cannot log in: this waits in the queue.
    let out = d
        .submitter()
        .send(SendRequest::new(vec!["13900139000".into()], "您的快递已到"))
        .await
        .unwrap();
    assert_eq!(out.accepted(), 1);
    let alerts = d.alerts();
    until("queue_stuck firing", async || {
        alerts.is_firing(AlertKind::QueueStuck)
    })
    .await;
    assert!(started.elapsed() >= age, "not before the threshold");
    let f = alerts.firing();
    let q = f.iter().find(|f| f.alert == "queue_stuck").unwrap();
    assert!(q.text.contains("队列"), "{}", q.text);
    d.shutdown(Duration::from_secs(5)).await;
}

/// An unreachable link with `link_down_after = 0s` fires at the first evaluation.
async fn api_with_a_down_link(name: &str) -> Api {
    let api = Api::start(name, |c| {
        external_mobile_at(c, free_addr());
        no_disk_rule(c);
        c.alerts.link_down_after = Duration::ZERO;
        c.alerts.evaluate_every = Duration::from_secs(1);
        c.alerts.repeat_every = Duration::from_secs(1);
    })
    .await;
    let alerts = api.daemon().alerts();
    // The other links fire too if they are not logged in yet at the first evaluation.
    wait_until("link_down of mobile-demo firing", LIMIT, async || {
        alerts
            .firing()
            .iter()
            .any(|f| f.alert == "link_down" && f.subject == "mobile-demo")
    })
    .await;
    api
}

#[tokio::test]
async fn the_api_lists_firing_alerts_and_recent_notices() {
    let api = api_with_a_down_link("alerts-api").await;
    let v = api.call("GET", "/v1/alerts", None).await;
    let firing = v["firing"].as_array().unwrap();
    let down = firing
        .iter()
        .find(|a| a["alert"] == "link_down" && a["subject"] == "mobile-demo")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(down["subject"], "mobile-demo");
    assert!(down["since"].as_str().unwrap().ends_with("+08:00"), "{v}");
    assert!(
        down["text"].as_str().unwrap().contains("mobile-demo"),
        "{v}"
    );
    let recent = v["recent"].as_array().unwrap();
    let fired = recent
        .iter()
        .find(|e| {
            e["alert"] == "link_down" && e["state"] == "firing" && e["subject"] == "mobile-demo"
        })
        .unwrap_or_else(|| panic!("{v}"));
    assert!(fired["at"].as_str().unwrap().ends_with("+08:00"), "{v}");
    let metrics = api.get_raw("/metrics").await.text();
    assert!(
        metrics.contains("hongyan_alert_firing{alert=\"link_down\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hongyan_alert_firing{alert=\"disk_low\"} 0"),
        "{metrics}"
    );
    api.stop().await;
}

#[tokio::test]
async fn hongyan_alerts_prints_the_table_and_the_json() {
    let api = api_with_a_down_link("alerts-cli").await;
    let base = api.api_url().to_owned();
    // On a blocking thread: this runtime serves the API the command calls.
    let alerts = move |json: bool| {
        let mut args = vec!["alerts", "--api", &base, "--token", TOKEN];
        if json {
            args.push("--json");
        }
        stdout_of(&run(&args, None))
    };
    let out = tokio::task::spawn_blocking({
        let alerts = alerts.clone();
        move || alerts(false)
    })
    .await
    .unwrap();
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("alert") && first.contains("subject"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("link_down") && l.contains("mobile-demo")),
        "{out}"
    );
    let json = tokio::task::spawn_blocking(move || alerts(true))
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        v["firing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["alert"] == "link_down"),
        "{v}"
    );
    api.stop().await;
}

#[tokio::test(start_paused = true)]
async fn reports_that_do_not_come_fire_reports_missing_once_a_window_has_passed() {
    let dir = TempDir::new("alert-reports");
    let mut c = config(&dir);
    // No on-call SMS: they would be counted among the telecom link's submits.
    c.alerts.on_call.clear();
    let (after, window, min) = (
        c.alerts.reports_after,
        c.alerts.reports_window,
        c.alerts.reports_min_segments,
    );
    // The telecom gateway accepts every submit but holds its reports for a day.
    let tweak: hongyan::daemon::SimTweak = std::sync::Arc::new(|link, sc| {
        record_submits()(link, sc);
        if link.name == "telecom-demo" {
            sc.report_delay = Duration::from_secs(86_400);
        }
    });
    let d = Daemon::start_with(c, Some(tweak)).await.unwrap();
    let alerts = d.alerts();
    // Into the window: submits older than `after`, younger than `after + window`.
    tokio::time::sleep(Duration::from_secs(60)).await;
    let numbers: Vec<String> = (0..min).map(|i| format!("1330000{i:04}")).collect();
    let out = d
        .submitter()
        .send(SendRequest::new(numbers, "您的快递已到"))
        .await
        .unwrap();
    assert_eq!(out.accepted() as u64, min);
    let telecom = d.simulator("telecom-demo").unwrap();
    until("all accepted", async || {
        telecom.submits().len() as u64 >= min
    })
    .await;
    let sent = Instant::now();
    wait_until_every(
        "reports_missing firing",
        2 * (after + window),
        LOOK_EVERY,
        async || alerts.is_firing(AlertKind::ReportsMissing),
    )
    .await;
    assert!(sent.elapsed() >= after, "not before the reports are due");
    let f = alerts.firing();
    let r = f.iter().find(|f| f.alert == "reports_missing").unwrap();
    assert!(r.text.contains(&format!("{min}/{min}")), "{}", r.text);
    d.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(start_paused = true)]
async fn with_no_healthy_link_the_sms_is_skipped_and_said_so() {
    let dir = TempDir::new("alert-nolink");
    let mut c = config(&dir);
    c.links.retain(|l| l.name == "mobile-demo");
    let d = start_recording(c).await;
    refuse_mobile(&d).await;
    let alerts = d.alerts();
    until("firing", async || alerts.is_firing(AlertKind::LoginRefused)).await;
    let f = alerts.firing();
    let f = f.iter().find(|f| f.alert == "login_refused").unwrap();
    assert_eq!(f.sms.as_deref(), Some("skipped: no healthy link"));
    let h = history(&d).await;
    assert_eq!(h[0].event.sms.as_deref(), Some("skipped: no healthy link"));
    let mobile = d.simulator("mobile-demo").unwrap();
    assert!(
        on_call_texts(&mobile).is_empty(),
        "never through the failing link"
    );
    d.shutdown(Duration::from_secs(5)).await;
}
