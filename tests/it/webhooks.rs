//! Webhooks over real HTTP on 127.0.0.1:0: a scripted receiver that fails before it
//! succeeds, signatures checked with the documented recipe (HMAC-SHA256 over
//! `timestamp.body`, computed here independently), and events that outlive a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use hongyan::config::{Config, Secret, Webhook, WebhookEvent};
use hongyan::daemon::Daemon;
use hongyan::dispatch::SendRequest;
use hongyan::sim::MoSpec;

use crate::support::{LIMIT, TempDir, WebhookReceiver, demo_config, send_job, settled};

const SECRET: &str = "webhook-secret-0123456789";

fn with_webhook(mut config: Config, url: &str, events: Vec<WebhookEvent>) -> Config {
    config.webhooks.push(Webhook {
        name: "shop".into(),
        url: url.into(),
        secret: Some(Secret(SECRET.into())),
        secret_env: None,
        events,
        timeout: Duration::from_secs(5),
        // The least allowed: retries come after 1 s each, not 1 s then 2 s.
        max_backoff: Duration::from_secs(1),
    });
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_fails_twice_gets_the_signed_report_once_it_recovers() {
    let dir = TempDir::new("hook-retry");
    let mut hook = WebhookReceiver::start(2).await;
    let config = with_webhook(
        demo_config(&dir),
        &hook.url,
        vec![WebhookEvent::DeliveryReport],
    );
    let daemon = Daemon::start(config).await.unwrap();
    let job = send_job(
        &daemon,
        SendRequest::new(vec!["13800138000".into()], "您的快递已到驿站"),
    )
    .await;
    let mut attempts = Vec::new();
    loop {
        let (status, r) = hook.next().await;
        assert!(
            r.signature_ok(SECRET),
            "signature does not verify: {:?}",
            r.headers
        );
        attempts.push((status, r));
        if status == 200 {
            break;
        }
    }
    assert_eq!(attempts.len(), 3, "two failures, then delivered");
    let ids: Vec<&str> = attempts
        .iter()
        .map(|(_, r)| r.header("X-Hongyan-Delivery"))
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0] && !i.is_empty()),
        "one delivery id across retries: {ids:?}"
    );
    let body = attempts[2].1.json();
    assert_eq!(body["event"], "delivery_report");
    assert_eq!(attempts[2].1.header("X-Hongyan-Event"), "delivery_report");
    assert_eq!(body["data"]["job_id"], job);
    assert_eq!(body["data"]["number"], "13800138000");
    assert_eq!(body["data"]["status"], "delivered");
    // Delivered once: nothing else comes, and the outbox is empty.
    daemon.wait_for_webhooks_drained(LIMIT).await.unwrap();
    daemon.shutdown(LIMIT).await;
    assert!(hook.is_quiet());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_queued_before_a_restart_is_delivered_after_it() {
    let dir = TempDir::new("hook-restart");
    // Phase 1: the receiver refuses everything.
    let mut hook = WebhookReceiver::start(usize::MAX).await;
    let config = with_webhook(demo_config(&dir), &hook.url, vec![WebhookEvent::Inbound]);
    let daemon = Daemon::start(config).await.unwrap();
    let job = send_job(
        &daemon,
        SendRequest::new(vec!["13800138000".into()], "回复 TD 退订"),
    )
    .await;
    settled(&daemon, job).await;
    daemon
        .simulator("mobile-demo")
        .unwrap()
        .deliver_mo(MoSpec::new("13800138000", "10690123", "TD"))
        .await
        .unwrap();
    let (status, first) = hook.next().await;
    assert_eq!(status, 500);
    let delivery = first.header("X-Hongyan-Delivery").to_string();
    daemon.shutdown(LIMIT).await;

    // Phase 2: a healthy receiver at a new address; the queued event reaches it.
    let mut hook = WebhookReceiver::start(0).await;
    let config = with_webhook(demo_config(&dir), &hook.url, vec![WebhookEvent::Inbound]);
    let daemon = Daemon::start(config).await.unwrap();
    let (status, r) = hook.next().await;
    assert_eq!(status, 200);
    assert!(r.signature_ok(SECRET));
    assert_eq!(
        r.header("X-Hongyan-Delivery"),
        delivery,
        "the same event, not a new one"
    );
    let body = r.json();
    assert_eq!(body["event"], "inbound");
    assert_eq!(body["data"]["text"], "TD");
    assert_eq!(body["data"]["destination"], "10690123");
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_ids_are_never_reused_after_delivery_or_a_restart() {
    let dir = TempDir::new("hook-ids");
    let mut hook = WebhookReceiver::start(0).await;
    let mut ids = Vec::new();
    for round in 0..2 {
        let config = with_webhook(
            demo_config(&dir),
            &hook.url,
            vec![WebhookEvent::DeliveryReport],
        );
        let daemon = Daemon::start(config).await.unwrap();
        // One at a time: each event is delivered (and its outbox row deleted) before
        // the next is queued, so there is never more than one waiting.
        for n in 0..4 {
            daemon
                .submitter()
                .send(SendRequest::new(
                    vec!["13800138000".into()],
                    format!("第 {round}-{n} 条"),
                ))
                .await
                .unwrap();
            let (status, r) = hook.next().await;
            assert_eq!(status, 200);
            ids.push(r.header("X-Hongyan-Delivery").to_string());
            daemon.wait_for_webhooks_drained(LIMIT).await.unwrap();
        }
        daemon.shutdown(LIMIT).await;
    }
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        distinct.len(),
        ids.len(),
        "a delivery id came twice: {ids:?}"
    );
}
