//! [`Workflow`]: the engine task and the handle the API, the CLI and the demo use.
//!
//! One task does all the work, in passes: route new inbox messages to their items,
//! expire requests, mark reminders to slow approvers, send the approval SMS that are
//! due, tell applicants their outcome, and send due reminders. A pass runs when an MO
//! message arrives, when the handle changed something, and when the next scheduled
//! moment comes (asked of the store: the earliest expiry, approver reminder or
//! reminder send), and at once again while stored replies are left over from a pass
//! that took a full batch, so a burst is drained without waiting for more traffic.
//! Nothing polls.
//!
//! The pieces of a pass live beside this file: approvals (`approvals.rs`), reminders
//! (`reminders.rs`), replies (`inbound.rs`), queueing an SMS with its extension
//! (`sending.rs`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

use super::error::WorkflowError;
use super::events::WorkflowEvent;
use crate::clock::Clock;
use crate::config::Config;
use crate::dispatch::Submitter;
use crate::policy::PolicyHandle;
use crate::shutdown::Shutdown;
use crate::store::{Millis, StoreHandle};

/// How many items one pass takes of each kind (the rest come in the next pass, at once).
pub(super) const BATCH: usize = 256;
/// Shortest wait between passes when something is already due (a failing store must not
/// spin the engine).
const MIN_WAIT: Duration = Duration::from_millis(100);

pub(super) struct Inner {
    pub(super) store: StoreHandle,
    pub(super) submitter: Submitter,
    pub(super) config: Config,
    /// The messaging policy in force: opt-out keywords, the confirmation text.
    pub(super) policy: PolicyHandle,
    /// Changes to the opt-out list since start.
    pub(super) opt_out_counters: super::opt_out::OptOutCounters,
    clock: Clock,
    poke: Notify,
    events: broadcast::Sender<WorkflowEvent>,
}

/// The workflow engine's handle (cheap to clone).
#[derive(Clone)]
pub struct Workflow {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for Workflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workflow").finish_non_exhaustive()
    }
}

impl Workflow {
    /// Starts the engine. `inbox` is bumped for every stored MO message; the task ends
    /// when `shutdown` is triggered.
    pub fn start(
        store: StoreHandle,
        submitter: Submitter,
        config: Config,
        policy: PolicyHandle,
        clock: Clock,
        mut inbox: watch::Receiver<u64>,
        shutdown: Shutdown,
    ) -> (Self, JoinHandle<()>) {
        let wf = Self::new(store, submitter, config, policy, clock);
        let engine = wf.clone();
        let task = tokio::spawn(async move {
            loop {
                if engine.run_once().await {
                    // More stored replies than one pass takes: route them now, not when
                    // the next MO or due item happens to come (a burst may be the last
                    // traffic for a long time). A pass is bounded, so stopping is still
                    // seen between passes.
                    if shutdown.is_triggered() {
                        return;
                    }
                    tokio::task::yield_now().await;
                    continue;
                }
                let wake = engine.next_wake().await;
                tokio::select! {
                    _ = sleep_until(wake) => {}
                    _ = inbox.changed() => {}
                    _ = engine.inner.poke.notified() => {}
                    _ = shutdown.triggered() => {}
                }
                if shutdown.is_triggered() {
                    return;
                }
            }
        });
        (wf, task)
    }

    /// The handle without its task (tests drive passes with [`Workflow::run_once`]).
    pub(super) fn new(
        store: StoreHandle,
        submitter: Submitter,
        config: Config,
        policy: PolicyHandle,
        clock: Clock,
    ) -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            inner: Arc::new(Inner {
                store,
                submitter,
                config,
                policy,
                opt_out_counters: super::opt_out::OptOutCounters::default(),
                clock,
                poke: Notify::new(),
                events,
            }),
        }
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<WorkflowEvent> {
        self.inner.events.subscribe()
    }

    /// The clock the engine schedules by.
    pub fn clock(&self) -> Clock {
        self.inner.clock
    }

    pub(super) fn now(&self) -> Millis {
        self.inner.clock.now_millis()
    }

    pub(super) fn emit(&self, e: WorkflowEvent) {
        tracing::debug!(event = ?e, "workflow");
        let _ = self.inner.events.send(e);
    }

    /// Asks for a pass soon: the handle changed something the engine acts on.
    pub(super) fn poke(&self) {
        self.inner.poke.notify_one();
    }

    /// When the engine should look again.
    async fn next_wake(&self) -> Option<tokio::time::Instant> {
        // Replies left over (a pass failed half-way): look again shortly rather than
        // wait for an MO that may never come.
        if self.inner.store.inbox_backlog().await.is_ok_and(|n| n > 0) {
            return Some(tokio::time::Instant::now() + MIN_WAIT);
        }
        let remind = self.remind_after();
        match self.inner.store.workflow_next_due(remind).await {
            Ok(Some(at)) => {
                let now = tokio::time::Instant::now();
                Some(wake_at(now, self.inner.clock.instant_at(at)))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "workflow: cannot read the schedule; retrying");
                Some(tokio::time::Instant::now() + Duration::from_secs(1))
            }
        }
    }

    pub(super) fn remind_after(&self) -> Option<i64> {
        remind_after(self.inner.config.workflow.remind_after)
    }

    /// One pass of the engine now: routes replies, expires, reminds, sends what is due.
    /// True when stored replies are left for another pass (more than a batch came).
    pub async fn run_once(&self) -> bool {
        match self.pass().await {
            Ok(more) => more,
            Err(e) => {
                tracing::warn!(error = %e, "workflow pass failed; the next pass retries");
                false
            }
        }
    }

    async fn pass(&self) -> Result<bool, WorkflowError> {
        self.polls_pass().await?;
        let more = self.route_replies().await?;
        self.approvals_pass().await?;
        self.reminders_pass().await?;
        Ok(more)
    }
}

/// When to wake for something due at `at`: something already due that the pass just left
/// (it failed, or more than a batch) waits a moment rather than spinning.
fn wake_at(now: tokio::time::Instant, at: tokio::time::Instant) -> tokio::time::Instant {
    if at <= now { now + MIN_WAIT } else { at }
}

/// `workflow.remind_after` in ms; `None` when zero (no reminders to approvers).
fn remind_after(d: Duration) -> Option<i64> {
    (!d.is_zero()).then(|| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn zero_remind_after_means_no_reminders() {
        assert_eq!(remind_after(Duration::ZERO), None);
        assert_eq!(remind_after(Duration::from_secs(2)), Some(2_000));
    }

    #[tokio::test(start_paused = true)]
    async fn something_already_due_waits_a_moment_and_a_later_moment_is_kept() {
        let now = tokio::time::Instant::now();
        assert_eq!(wake_at(now, now), now + MIN_WAIT);
        assert_eq!(wake_at(now + MIN_WAIT, now), now + 2 * MIN_WAIT);
        let later = now + Duration::from_secs(60);
        assert_eq!(wake_at(now, later), later);
    }

    // Real time: the store's writer is a thread, which paused time would not wait for.
    #[tokio::test]
    async fn the_engine_stops_when_its_shutdown_is_triggered() {
        let rig = super::super::testutil::Rig::new("engine-stop");
        let (inbox_tx, inbox) = watch::channel(0u64);
        let shutdown = Shutdown::new();
        let (wf, task) = Workflow::start(
            rig.store.clone(),
            rig.submitter.clone(),
            rig.config.clone(),
            crate::policy::PolicyHandle::default(),
            rig.clock,
            inbox,
            shutdown.child(),
        );
        // A pass first, so the trigger finds the engine waiting for work.
        let mut events = wf.subscribe();
        rig.store
            .inbox_insert(crate::store::NewInbound {
                sender: "13900139000".into(),
                destination: "1".into(),
                text: "?".into(),
                coding: 8,
                received_at: 0,
                link: "nope".into(),
                item_id: None,
            })
            .await
            .unwrap();
        inbox_tx.send_modify(|n| *n += 1);
        let seen = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("the engine routes the stored reply");
        assert!(
            matches!(seen, Ok(WorkflowEvent::Unmatched { .. })),
            "{seen:?}"
        );
        assert!(!task.is_finished());
        shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the engine ends once triggered")
            .expect("the engine does not panic");
    }
}
