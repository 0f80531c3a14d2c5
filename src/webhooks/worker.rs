//! The delivery loop: due outbox rows are POSTed, one webhook's in order, different
//! webhooks side by side; woken by store changes and by the next retry time. It bumps
//! the change counter itself after recording attempts, so waiters see them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::task::{JoinHandle, JoinSet};

use super::sign::sign;
use super::url::parse_url;
use crate::config::Webhook;
use crate::dispatch::Changes;
use crate::shutdown::Shutdown;
use crate::store::{StoreHandle, WebhookDelivery, now_millis};

/// Deliveries taken per pass.
const BATCH: usize = 256;
/// When nothing is known to be due, look again after this long anyway: a change the
/// worker was not told about (a decision made through the engine) is then picked up.
const IDLE: Duration = Duration::from_secs(1);

type HttpClient = Client<HttpConnector, Full<Bytes>>;

struct Target {
    hook: Webhook,
    uri: hyper::Uri,
}

/// Starts the worker for `hooks`; it ends when `stop` is triggered. Without webhooks it
/// returns a task that ends at once.
pub fn start(
    store: StoreHandle,
    hooks: Vec<Webhook>,
    changes: Changes,
    stop: Shutdown,
) -> JoinHandle<()> {
    let mut woken = changes.subscribe();
    let mut targets = BTreeMap::new();
    for hook in hooks {
        match parse_url(&hook.url) {
            Ok(url) => {
                targets.insert(hook.name.clone(), Arc::new(Target { uri: url.0, hook }));
            }
            Err(reason) => tracing::error!(webhook = %hook.name, %reason, "webhook URL unusable"),
        }
    }
    tokio::spawn(async move {
        if targets.is_empty() {
            return;
        }
        let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
        loop {
            // A stop abandons a pass mid-delivery: that delivery is not recorded, so it is
            // sent again after the restart (same delivery id, for the receiver to drop).
            let passed = tokio::select! {
                r = pass(&store, &client, &targets, &changes) => r,
                _ = stop.triggered() => return,
            };
            let wait = match passed {
                Ok(Some(next)) => Duration::from_millis(
                    u64::try_from(next.saturating_sub(now_millis())).unwrap_or(0),
                )
                .min(IDLE),
                Ok(None) => IDLE,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook outbox unreadable; retrying");
                    IDLE
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = woken.changed() => {}
                _ = stop.triggered() => {}
            }
            if stop.is_triggered() {
                return;
            }
        }
    })
}

/// Delivers what is due; returns when the next delivery is due.
async fn pass(
    store: &StoreHandle,
    client: &HttpClient,
    targets: &BTreeMap<String, Arc<Target>>,
    changes: &Changes,
) -> Result<Option<i64>, crate::store::StoreError> {
    let due = store.webhooks_due(now_millis(), BATCH).await?;
    let mut by_hook: BTreeMap<String, Vec<WebhookDelivery>> = BTreeMap::new();
    for d in due {
        by_hook.entry(d.webhook.clone()).or_default().push(d);
    }
    let mut tasks = JoinSet::new();
    for (name, deliveries) in by_hook {
        let Some(target) = targets.get(&name).cloned() else {
            for d in deliveries {
                tracing::warn!(webhook = %name, delivery = d.id, "webhook no longer configured; event dropped");
                store.webhook_delivered(d.id).await?;
            }
            continue;
        };
        let (store, client) = (store.clone(), client.clone());
        tasks.spawn(async move {
            for d in deliveries {
                let outcome = post(&client, &target, &d).await;
                let recorded = match outcome {
                    Ok(()) => {
                        tracing::debug!(webhook = %target.hook.name, delivery = d.id, event = %d.event, "webhook delivered");
                        store.webhook_delivered(d.id).await
                    }
                    Err(reason) => {
                        let backoff = backoff(d.attempts, target.hook.max_backoff);
                        tracing::warn!(webhook = %target.hook.name, delivery = d.id, attempts = d.attempts + 1, %reason, retry_in = ?backoff, "webhook delivery failed");
                        let next = now_millis().saturating_add(i64::try_from(backoff.as_millis()).unwrap_or(i64::MAX));
                        store.webhook_retry(d.id, next, reason.to_string()).await
                    }
                };
                if let Err(e) = recorded {
                    tracing::warn!(webhook = %target.hook.name, delivery = d.id, error = %e, "cannot record a webhook attempt");
                }
            }
        });
    }
    let ran = !tasks.is_empty();
    while tasks.join_next().await.is_some() {}
    if ran {
        // Waiters (tests, the API's backlog) see deliveries recorded.
        changes.bump();
    }
    store.webhook_next_due().await
}

/// 1 s, 2 s, 4 s … capped.
fn backoff(attempts: u32, max: Duration) -> Duration {
    Duration::from_secs(1u64 << attempts.min(20)).min(max)
}

/// Why one delivery attempt failed; its text is stored with the delivery for operators.
#[derive(Debug, thiserror::Error)]
enum PostError {
    /// The request could not be built (a header value the HTTP library refuses).
    #[error("request: {0}")]
    Request(#[from] hyper::http::Error),
    /// No answer within the webhook's `timeout`.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Connecting or talking to the receiver failed.
    #[error("{0}")]
    Transport(hyper_util::client::legacy::Error),
    /// The receiver answered, but not with a 2xx.
    #[error("answered {0}")]
    Status(hyper::StatusCode),
}

async fn post(client: &HttpClient, target: &Target, d: &WebhookDelivery) -> Result<(), PostError> {
    let secret = target.hook.secret.as_ref().map_or("", |s| s.expose());
    let timestamp = now_millis() / 1000;
    let request = hyper::Request::post(target.uri.clone())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(
            hyper::header::USER_AGENT,
            concat!("hongyan/", env!("CARGO_PKG_VERSION")),
        )
        .header("X-Hongyan-Event", d.event.as_str())
        .header("X-Hongyan-Delivery", d.id.to_string())
        .header("X-Hongyan-Timestamp", timestamp.to_string())
        .header(
            "X-Hongyan-Signature",
            sign(secret.as_bytes(), timestamp, d.body.as_bytes()),
        )
        .body(Full::new(Bytes::from(d.body.clone())))?;
    match tokio::time::timeout(target.hook.timeout, client.request(request)).await {
        Err(_) => Err(PostError::Timeout(target.hook.timeout)),
        Ok(Err(e)) => Err(PostError::Transport(e)),
        Ok(Ok(resp)) if resp.status().is_success() => Ok(()),
        Ok(Ok(resp)) => Err(PostError::Status(resp.status())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap() {
        let cap = Duration::from_secs(600);
        assert_eq!(backoff(0, cap), Duration::from_secs(1));
        assert_eq!(backoff(3, cap), Duration::from_secs(8));
        assert_eq!(backoff(30, cap), cap);
    }
}
