//! Waiting for the store to reach a state — a job settled, a reply in the inbox — woken
//! by the daemon's [`Changes`](crate::dispatch::Changes) counter, never by a timer, and
//! always bounded.

use std::future::Future;
use std::ops::ControlFlow::{self, Break, Continue};
use std::time::Duration;

use tokio::time::Instant;

use super::DaemonHandle;
use crate::store::{InboxMessage, JobId, JobStatus};

/// A wait ran out of time; what was seen last is attached.
#[derive(Debug, thiserror::Error)]
#[error("timed out after {after:?} waiting for {what}; last seen: {last}")]
pub struct WaitTimeout {
    /// What was awaited.
    pub what: String,
    /// How long.
    pub after: Duration,
    /// The last state seen, as debug text.
    pub last: String,
}

impl DaemonHandle {
    /// Waits until `check` breaks with the value, re-checking after every store change;
    /// until then it continues with a description of what it saw, for the timeout.
    async fn wait_for<T, F, Fut>(
        &self,
        what: String,
        timeout: Duration,
        mut check: F,
    ) -> Result<T, WaitTimeout>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = ControlFlow<T, String>>,
    {
        let mut rx = self.changes.subscribe();
        let deadline = Instant::now() + timeout;
        loop {
            // Marked seen before looking, so a change during the look wakes the next wait.
            rx.borrow_and_update();
            let last = match check().await {
                Break(t) => return Ok(t),
                Continue(last) => last,
            };
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => {
                    return Err(WaitTimeout {
                        what,
                        after: timeout,
                        last,
                    });
                }
            }
        }
    }

    /// Waits until job `job_id` satisfies `done` (e.g. every recipient final).
    pub async fn wait_for_job(
        &self,
        job_id: JobId,
        timeout: Duration,
        done: impl Fn(&JobStatus) -> bool,
    ) -> Result<JobStatus, WaitTimeout> {
        let store = self.store();
        self.wait_for(format!("job {job_id}"), timeout, || {
            let store = store.clone();
            let done = &done;
            async move {
                match store.job_status(job_id).await {
                    Ok(Some(st)) if done(&st) => Break(st),
                    Ok(st) => Continue(format!("{st:?}")),
                    Err(e) => Continue(e.to_string()),
                }
            }
        })
        .await
    }

    /// Waits until every recipient of job `job_id` is final (delivered, failed,
    /// expired, unconfirmed, cancelled or unreported).
    pub async fn wait_until_settled(
        &self,
        job_id: JobId,
        timeout: Duration,
    ) -> Result<JobStatus, WaitTimeout> {
        self.wait_for_job(job_id, timeout, |st| {
            st.recipients.iter().all(|r| r.state.is_final())
        })
        .await
    }

    /// Waits until the inbox (newest first, up to 1 000 messages) satisfies `done`.
    pub async fn wait_for_inbox(
        &self,
        timeout: Duration,
        done: impl Fn(&[InboxMessage]) -> bool,
    ) -> Result<Vec<InboxMessage>, WaitTimeout> {
        let store = self.store();
        self.wait_for("the inbox".into(), timeout, || {
            let store = store.clone();
            let done = &done;
            async move {
                match store.inbox_list(false, 1000).await {
                    Ok(list) if done(&list) => Break(list),
                    Ok(list) => Continue(format!("{} messages", list.len())),
                    Err(e) => Continue(e.to_string()),
                }
            }
        })
        .await
    }

    /// Waits until the webhook outbox is empty (every event delivered).
    pub async fn wait_for_webhooks_drained(&self, timeout: Duration) -> Result<(), WaitTimeout> {
        let store = self.store();
        self.wait_for("an empty webhook outbox".into(), timeout, || {
            let store = store.clone();
            async move {
                match store.webhook_backlog().await {
                    Ok(b) if b.is_empty() => Break(()),
                    Ok(b) => Continue(format!("{b:?}")),
                    Err(e) => Continue(e.to_string()),
                }
            }
        })
        .await
    }
}
