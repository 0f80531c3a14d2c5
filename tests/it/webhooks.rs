//! Webhooks over real HTTP on 127.0.0.1:0: a scripted receiver that fails before it
//! succeeds, signatures checked with the documented recipe (HMAC-SHA256 over
//! `timestamp.body`, computed here independently), and events that outlive a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use hongyan::config::{Config, Secret, Webhook, WebhookEvent};
use hongyan::daemon::Daemon;
use hongyan::dispatch::SendRequest;
use hongyan::sim::MoSpec;
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::daemon::{TempDir, demo_config};

const LIMIT: Duration = Duration::from_secs(30);
const SECRET: &str = "webhook-secret-0123456789";

/// One request as the receiver saw it.
#[derive(Debug)]
struct Received {
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// The documented recipe, done by hand.
    fn signature_ok(&self) -> bool {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(self.header("X-Hongyan-Timestamp").as_bytes());
        mac.update(b".");
        mac.update(&self.body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.header("X-Hongyan-Signature") == format!("sha256={hex}")
    }
}

/// A receiver that answers 500 to the first `failures` requests and 200 after.
async fn receiver(failures: usize) -> (String, mpsc::UnboundedReceiver<(u16, Received)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/sms", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    let seen = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let (tx, seen) = (tx.clone(), Arc::clone(&seen));
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let headers: HashMap<String, String> = head
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                let len: usize = headers
                    .get("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + len {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body = buf[head_end..head_end + len].to_vec();
                let status = if seen.fetch_add(1, Ordering::SeqCst) < failures {
                    500
                } else {
                    200
                };
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = sock.write_all(reply.as_bytes()).await;
                let _ = tx.send((status, Received { headers, body }));
            });
        }
    });
    (url, rx)
}

fn with_webhook(mut config: Config, url: &str, events: Vec<WebhookEvent>) -> Config {
    config.webhooks.push(Webhook {
        name: "shop".into(),
        url: url.into(),
        secret: Some(Secret(SECRET.into())),
        secret_env: None,
        events,
        timeout: Duration::from_secs(5),
        max_backoff: Duration::from_secs(2),
    });
    config
}

async fn next_request(rx: &mut mpsc::UnboundedReceiver<(u16, Received)>) -> (u16, Received) {
    tokio::time::timeout(LIMIT, rx.recv())
        .await
        .expect("a webhook request in time")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_fails_twice_gets_the_signed_report_once_it_recovers() {
    let dir = TempDir::new("hook-retry");
    let (url, mut rx) = receiver(2).await;
    let config = with_webhook(demo_config(&dir), &url, vec![WebhookEvent::DeliveryReport]);
    let daemon = Daemon::start(config).await.unwrap();
    let out = daemon
        .submitter()
        .send(SendRequest::new(
            vec!["13800138000".into()],
            "您的快递已到驿站",
        ))
        .await
        .unwrap();
    let job = out.job.unwrap().job_id;
    let mut attempts = Vec::new();
    loop {
        let (status, r) = next_request(&mut rx).await;
        assert!(
            r.signature_ok(),
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
    assert!(rx.try_recv().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_queued_before_a_restart_is_delivered_after_it() {
    let dir = TempDir::new("hook-restart");
    // Phase 1: the receiver refuses everything.
    let (url, mut rx) = receiver(usize::MAX).await;
    let config = with_webhook(demo_config(&dir), &url, vec![WebhookEvent::Inbound]);
    let daemon = Daemon::start(config).await.unwrap();
    let out = daemon
        .submitter()
        .send(SendRequest::new(vec!["13800138000".into()], "回复 TD 退订"))
        .await
        .unwrap();
    daemon
        .wait_until_settled(out.job.unwrap().job_id, LIMIT)
        .await
        .unwrap();
    daemon
        .simulator("mobile-demo")
        .unwrap()
        .deliver_mo(MoSpec::new("13800138000", "10690123", "TD"))
        .await
        .unwrap();
    let (status, first) = next_request(&mut rx).await;
    assert_eq!(status, 500);
    let delivery = first.header("X-Hongyan-Delivery").to_string();
    daemon.shutdown(LIMIT).await;

    // Phase 2: a healthy receiver at a new address; the queued event reaches it.
    let (url, mut rx) = receiver(0).await;
    let config = with_webhook(demo_config(&dir), &url, vec![WebhookEvent::Inbound]);
    let daemon = Daemon::start(config).await.unwrap();
    let (status, r) = next_request(&mut rx).await;
    assert_eq!(status, 200);
    assert!(r.signature_ok());
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
    let (url, mut rx) = receiver(0).await;
    let mut ids = Vec::new();
    for round in 0..2 {
        let config = with_webhook(demo_config(&dir), &url, vec![WebhookEvent::DeliveryReport]);
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
            let (status, r) = next_request(&mut rx).await;
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
