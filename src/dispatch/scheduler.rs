//! The scheduler tick: once a second, release scheduled jobs whose time has come
//! (`promote_due`) and fail messages whose validity ran out before they could be sent
//! (`expire`). A release wakes the dispatchers; nothing else polls.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::changes::Changes;
use crate::store::{StoreHandle, now_millis};

/// How often the tick runs.
pub const TICK: Duration = Duration::from_secs(1);

/// Starts the tick; it ends when `stop` turns true.
pub fn start(
    store: StoreHandle,
    wake: Vec<Arc<Notify>>,
    changes: Changes,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            run_once(&store, &wake, &changes).await;
        }
    })
}

/// One tick: promote, then expire.
pub async fn run_once(store: &StoreHandle, wake: &[Arc<Notify>], changes: &Changes) {
    let now = now_millis();
    match store.promote_due(now).await {
        Ok(jobs) if !jobs.is_empty() => {
            tracing::info!(jobs = ?jobs, "scheduled jobs released to the queue");
            changes.bump();
            for n in wake {
                n.notify_one();
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot release scheduled jobs"),
    }
    match store.expire(now).await {
        Ok(expired) => {
            if !expired.is_empty() {
                changes.bump();
            }
            for r in expired {
                tracing::warn!(
                    job = r.job_id,
                    recipient = r.recipient_id,
                    "message expired before it could be sent"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot expire old messages"),
    }
}
