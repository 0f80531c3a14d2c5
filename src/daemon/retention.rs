//! The retention task: every [`PURGE_EVERY`] (first a minute after start, so it never
//! competes with recovery), delete what is finished and older than `storage.retention`
//! (see [`Store::purge`](crate::store::Store::purge) for what goes and what stays), in
//! passes of [`PASS_BUDGET`] segments with a pause as long as each pass after it, so the
//! writer spends at most half its time purging and a first purge of a large old file does
//! not stall sending.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::shutdown::Shutdown;
use crate::store::{Millis, PurgeOutcome, StoreError, StoreHandle, now_millis};

/// How often the purge runs.
pub const PURGE_EVERY: Duration = Duration::from_secs(600);

/// Delay before the first purge after start.
const FIRST_AFTER: Duration = Duration::from_secs(60);

/// Segments deleted (or examined) per pass: about 10 ms of the writer on the 2-core
/// machine (`cargo bench --bench store`: ~200,000 segments/s), so sending is never held up
/// for long.
pub const PASS_BUDGET: usize = 2_000;

/// What retention has deleted since the daemon started, for `/metrics`.
#[derive(Debug, Default)]
pub struct RetentionCounters {
    /// Completed purges (each works through every pass).
    pub runs: AtomicU64,
    /// Jobs deleted.
    pub jobs: AtomicU64,
    /// Segments deleted.
    pub segments: AtomicU64,
    /// Inbox messages deleted.
    pub inbox: AtomicU64,
    /// Orphan reports deleted.
    pub orphan_reports: AtomicU64,
    /// Opt-out history records deleted.
    pub opt_out_history: AtomicU64,
    /// Polls deleted with their replies.
    pub polls: AtomicU64,
}

impl RetentionCounters {
    /// Adds one purge's totals.
    pub fn record(&self, out: &PurgeOutcome) {
        self.runs.fetch_add(1, Ordering::Relaxed);
        self.jobs.fetch_add(out.jobs, Ordering::Relaxed);
        self.segments.fetch_add(out.segments, Ordering::Relaxed);
        self.inbox.fetch_add(out.inbox, Ordering::Relaxed);
        self.orphan_reports
            .fetch_add(out.orphan_reports, Ordering::Relaxed);
        self.opt_out_history
            .fetch_add(out.opt_out_history, Ordering::Relaxed);
        self.polls.fetch_add(out.polls, Ordering::Relaxed);
    }
}

/// Starts the task; `retention` zero keeps everything (the task ends at once). It ends
/// when `stop` is triggered, also between the passes of a purge. Each purge is added to
/// `counters`.
pub fn start(
    store: StoreHandle,
    retention: Duration,
    counters: Arc<RetentionCounters>,
    stop: Shutdown,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        if retention.is_zero() {
            tracing::info!("storage.retention is 0: nothing is ever deleted");
            return;
        }
        let mut next = tokio::time::Instant::now() + FIRST_AFTER;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {}
                _ = stop.triggered() => return,
            }
            if stop.is_triggered() {
                return;
            }
            match run_once(&store, retention, now_millis(), PASS_BUDGET, &stop).await {
                Ok(out) => counters.record(&out),
                Err(e) => tracing::warn!(error = %e, "retention purge failed; trying again later"),
            }
            next = tokio::time::Instant::now() + PURGE_EVERY;
        }
    })
}

/// One purge: passes of `budget` until everything older than `now - retention` has been
/// looked at (or `stop` is triggered). Returns the totals.
pub async fn run_once(
    store: &StoreHandle,
    retention: Duration,
    now: Millis,
    budget: usize,
    stop: &Shutdown,
) -> Result<PurgeOutcome, StoreError> {
    let keep = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
    let cutoff = now.saturating_sub(keep);
    let mut total = PurgeOutcome::default();
    let mut after = 0;
    loop {
        let started = std::time::Instant::now();
        let pass = store.purge(cutoff, after, budget).await?;
        total.add(&pass);
        match pass.resume_after {
            Some(next) if !stop.is_triggered() => after = next,
            _ => break,
        }
        // Half the writer at most: as long a pause as the pass took, so sending and the
        // background checkpoint (a purge dirties many pages) keep up.
        tokio::time::sleep(started.elapsed()).await;
    }
    if !total.is_empty() {
        tracing::info!(
            jobs = total.jobs,
            segments = total.segments,
            inbox = total.inbox,
            orphan_reports = total.orphan_reports,
            opt_out_history = total.opt_out_history,
            polls = total.polls,
            kept_unfinished = total.kept,
            retention = %humantime::format_duration(retention),
            "retention: deleted finished records older than storage.retention"
        );
    }
    Ok(total)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::ReportStatus;
    use crate::store::testutil::{TempDb, claim_req, one, report};

    const DAY: Duration = Duration::from_secs(86_400);

    fn temp_store(name: &str) -> (TempDb, StoreHandle) {
        let db = TempDb::new(name);
        let store = db.handle();
        (db, store)
    }

    /// A one-part job to `number`, claimed, answered and reported delivered at `now`.
    async fn delivered(store: &StoreHandle, number: &str, now: Millis) -> i64 {
        let id = store.enqueue(one(number), now).await.unwrap().job_id;
        for m in store.claim(claim_req("cmcc", 10), now).await.unwrap() {
            for seg in m.segments {
                let msg_id = format!("m{}", seg.segment_id);
                store
                    .mark_submitted(seg.segment_id, msg_id.clone(), now)
                    .await
                    .unwrap();
                store
                    .record_report(report(&msg_id, ReportStatus::Delivered), now)
                    .await
                    .unwrap();
            }
        }
        id
    }

    #[tokio::test]
    async fn one_purge_works_through_every_pass_and_keeps_what_is_recent() {
        let (_db, store) = temp_store("passes");
        let now = now_millis();
        let mut old = Vec::new();
        for i in 0..7 {
            old.push(delivered(&store, &format!("1380000{i:04}"), now).await);
        }
        let stop = Shutdown::new();
        // Nothing is old yet.
        let none = run_once(&store, 180 * DAY, now, 2, &stop).await.unwrap();
        assert!(none.is_empty());
        // 181 days later: all seven, two per pass.
        let later = now + 181 * 86_400_000;
        let recent = delivered(&store, "13900000000", later).await;
        let out = run_once(&store, 180 * DAY, later, 2, &stop).await.unwrap();
        assert_eq!(out.jobs, 7);
        assert_eq!(out.resume_after, None);
        for id in old {
            assert!(store.job_status(id).await.unwrap().is_none());
        }
        assert!(store.job_status(recent).await.unwrap().is_some());
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_stop_ends_a_purge_between_passes() {
        let (_db, store) = temp_store("stop");
        let now = now_millis();
        for i in 0..5 {
            delivered(&store, &format!("1380000{i:04}"), now).await;
        }
        let stop = Shutdown::new();
        stop.trigger();
        let out = run_once(&store, DAY, now + 2 * 86_400_000, 2, &stop)
            .await
            .unwrap();
        assert_eq!(out.jobs, 2, "one pass, then the stop is seen");
        store.close().await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn the_task_ends_on_stop_and_at_once_without_retention() {
        let (_db, store) = temp_store("task");
        let stop = Shutdown::new();
        let task = start(store.clone(), 180 * DAY, Arc::default(), stop.clone());
        tokio::time::sleep(FIRST_AFTER / 2).await;
        assert!(!task.is_finished());
        stop.trigger();
        tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .unwrap()
            .unwrap();
        // Retention 0: the task ends by itself, with nobody stopping it.
        let forever = start(
            store.clone(),
            Duration::ZERO,
            Arc::default(),
            Shutdown::new(),
        );
        tokio::time::timeout(Duration::from_secs(1), forever)
            .await
            .unwrap()
            .unwrap();
        store.close().await.unwrap();
    }
}
