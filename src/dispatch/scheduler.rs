//! The scheduler tick: once a second, release scheduled jobs whose time has come
//! (`promote_due`), fail messages whose validity ran out before they could be sent
//! (`expire`), and give up on status reports that did not come within
//! `queue.report_timeout` (`expire_reports`). A release wakes the dispatchers; nothing
//! else polls. Before the first tick, reports kept before a restart settle the
//! unconfirmed segments they identify (`settle_unconfirmed_by_orphans`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::changes::Changes;
use crate::shutdown::Shutdown;
use crate::store::{StoreHandle, now_millis};

/// How often the tick runs.
pub const TICK: Duration = Duration::from_secs(1);

/// Most segments given up on per tick: a backlog (the first start after a long outage of
/// reports) is worked off over a few ticks rather than in one long write.
const UNREPORTED_PER_TICK: usize = 5_000;

/// Starts the tick; it ends when `stop` is triggered.
pub fn start(
    store: StoreHandle,
    wake: Vec<Arc<Notify>>,
    changes: Changes,
    report_timeout: Duration,
    stop: Shutdown,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Once, after the start's recovery made segments unconfirmed: reports that came
        // for them before (overtaking their lost submit responses) settle them now.
        match store.settle_unconfirmed_by_orphans(now_millis()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(
                    segments = n,
                    "unconfirmed segments settled by reports kept before the restart"
                );
                changes.bump();
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot match kept reports to unconfirmed segments")
            }
        }
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = stop.triggered() => return,
            }
            if stop.is_triggered() {
                return;
            }
            run_once(&store, &wake, &changes, report_timeout).await;
        }
    })
}

/// One tick: promote, expire, then the report deadline (`report_timeout` zero: none).
pub async fn run_once(
    store: &StoreHandle,
    wake: &[Arc<Notify>],
    changes: &Changes,
    report_timeout: Duration,
) {
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
    if report_timeout.is_zero() {
        return;
    }
    let timeout = i64::try_from(report_timeout.as_millis()).unwrap_or(i64::MAX);
    match store
        .expire_reports(now.saturating_sub(timeout), UNREPORTED_PER_TICK, now)
        .await
    {
        Ok(given_up) if !given_up.is_empty() => {
            changes.bump();
            for u in &given_up {
                tracing::debug!(
                    job = u.job_id,
                    segment = u.segment_id,
                    msg_id = %u.msg_id,
                    "no status report in time; marked unreported"
                );
            }
            tracing::info!(
                segments = given_up.len(),
                timeout = ?report_timeout,
                "status reports that never came: segments marked unreported"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot apply the report deadline"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::{ClaimRequest, DeliveryState, NewJob, NewRecipient, Priority, StoreOptions};
    use crate::testutil::TempDir;

    #[tokio::test]
    async fn the_tick_gives_up_on_reports_past_the_timeout_and_only_then() {
        let dir = TempDir::new("scheduler");
        let store = StoreHandle::open(dir.join("q.db"), StoreOptions::default()).unwrap();
        let job = NewJob {
            sender: None,
            idempotency_key: None,
            priority: Priority::Notification,
            text: "t".into(),
            signature: String::new(),
            source_ext: None,
            send_at: None,
            expires_at: None,
            recipients: ["13800000001", "13800000002"]
                .map(|n| NewRecipient {
                    number: n.into(),
                    carrier: "cmcc".into(),
                    segments: 1,
                    reference: None,
                })
                .to_vec(),
        };
        let now = now_millis();
        let job_id = store.enqueue(job, now).await.unwrap().job_id;
        let req = ClaimRequest {
            carrier: "cmcc".into(),
            link: "l".into(),
            connection: 0,
            max_segments: 10,
        };
        let claimed = store.claim(req, now).await.unwrap();
        let (old, recent) = (
            claimed[0].segments[0].segment_id,
            claimed[1].segments[0].segment_id,
        );
        // One accepted an hour ago, one just now; neither has its report.
        store
            .mark_submitted(old, "old".into(), now - 3_600_000)
            .await
            .unwrap();
        store
            .mark_submitted(recent, "new".into(), now)
            .await
            .unwrap();
        let changes = Changes::default();
        let states = || async {
            let st = store.job_status(job_id).await.unwrap().unwrap();
            st.recipients.iter().map(|r| r.state).collect::<Vec<_>>()
        };

        // Zero: wait for ever.
        run_once(&store, &[], &changes, Duration::ZERO).await;
        assert_eq!(states().await, [DeliveryState::Submitted; 2]);
        // Thirty minutes: the hour-old one is given up on, the fresh one waits.
        run_once(&store, &[], &changes, Duration::from_secs(1800)).await;
        assert_eq!(
            states().await,
            [DeliveryState::Unreported, DeliveryState::Submitted]
        );
        drop(store);
    }
}
