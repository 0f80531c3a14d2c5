//! The daemon: the store, the router, the links with their dispatchers, the scheduler
//! tick and — for `simulated = true` links — in-process carrier simulators, started and
//! stopped as one.
//!
//! [`Daemon::start`] opens the store under `storage.data_dir`, recovers what the previous
//! process left in flight (only what its on-the-wire journal names may have been written:
//! `queue.resend_unconfirmed`; the rest is queued again), builds the router, starts one
//! simulator per simulated link on 127.0.0.1:0 (for SGIP also the reverse direction into
//! the link's own listener), the links, their dispatchers and the tick, and returns a
//! [`DaemonHandle`]: the [`Submitter`] for new jobs, the store for reads, the link views,
//! and [`DaemonHandle::shutdown`] for a graceful, bounded stop.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | [`Daemon`], [`DaemonHandle`], [`DaemonError`] |
//! | `start.rs` | opening the store, recovery, the router, the simulators, the workflow engine, the alert evaluator |
//! | `wait.rs` | waiting for a job or the inbox to reach a state, woken by store changes |
//! | `reload.rs` | SIGHUP: what a changed config file changes now (tokens, routing, alert settings), and what needs a restart |
//! | `notify.rs` | systemd readiness, watchdog and stopping notifications |
//! | `policy_reload.rs` | the messaging policy with its word list, at start and on SIGHUP |
//! | `retention.rs` | the periodic purge of finished records older than `storage.retention` |
//! | `lock.rs` | the data directory's lock: one daemon per directory, the holder's pid named |
//! | `datadir.rs` | creating the data directory owner-only; warning when others can read it |
//! | `logging.rs` | the tracing subscriber: text or JSON, filter from `log.level` |

pub mod datadir;
pub mod lock;
pub mod logging;
pub mod notify;
pub mod policy_reload;
pub mod reload;
pub mod retention;
mod start;
mod wait;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

use crate::config::Config;
use crate::dispatch::{Changes, LinkRunner, LinkView, Submitter, scheduler};
use crate::shutdown::{Shutdown, ShutdownGuard};
use crate::sim::SimHandle;
use crate::store::{StoreHandle, UnconfirmedSegment};
use crate::workflow::Workflow;

pub use start::{SimTweak, record_submits};
pub use wait::WaitTimeout;

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The configuration cannot work (key and reason, as in the config loader).
    #[error("{key}: {reason}")]
    Config {
        /// The key, e.g. `link[1].udh`.
        key: String,
        /// Why.
        reason: String,
    },
    /// The on-the-wire journal (crash recovery's record of what was written) cannot be
    /// created in the data directory.
    #[error("cannot create the on-the-wire journal {path}: {source}")]
    Journal {
        /// The journal file.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The data directory cannot be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the data directory, or its lock cannot be taken.
    #[error(transparent)]
    Locked(#[from] lock::LockError),
    /// The store cannot be opened or recovered.
    #[error("store {path}: {source}")]
    Store {
        /// The database file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: crate::store::StoreError,
    },
    /// A simulator cannot start.
    #[error("simulator for link {link}: {source}")]
    Sim {
        /// The link.
        link: String,
        /// Why.
        #[source]
        source: crate::sim::SimError,
    },
    /// A link cannot start (e.g. its SGIP listener cannot bind).
    #[error("link {link}: {source}")]
    Link {
        /// The link.
        link: String,
        /// Why.
        #[source]
        source: crate::link::LinkError,
    },
}

/// Starts daemons.
#[derive(Debug)]
pub struct Daemon;

impl Daemon {
    /// Starts everything `config` describes. Errors come back before any job is
    /// taken; what was started by then is stopped again.
    pub async fn start(config: Config) -> Result<DaemonHandle, DaemonError> {
        Self::start_with(config, None).await
    }

    /// Like [`Daemon::start`]; `tweak` adjusts each in-process simulator's settings
    /// before it starts (report delay, failure share — for tests and trials).
    pub async fn start_with(
        config: Config,
        tweak: Option<SimTweak>,
    ) -> Result<DaemonHandle, DaemonError> {
        start::start(config, None, tweak).await
    }

    /// Creates the data directory if needed and locks it for this process, for a caller
    /// that must know the directory is free before it does anything else (binding the
    /// API); then [`Daemon::start_locked`].
    pub fn lock_data_dir(config: &Config) -> Result<lock::DataDirLock, DaemonError> {
        start::lock_data_dir(config)
    }

    /// Like [`Daemon::start`], with the data directory already locked by
    /// [`Daemon::lock_data_dir`]; the daemon holds the lock until it stops.
    pub async fn start_locked(
        config: Config,
        lock: lock::DataDirLock,
    ) -> Result<DaemonHandle, DaemonError> {
        start::start(config, Some(lock), None).await
    }
}

/// A running daemon.
#[derive(Debug)]
pub struct DaemonHandle {
    config: Config,
    store: StoreHandle,
    submitter: Submitter,
    runners: Vec<LinkRunner>,
    sims: Vec<(String, SimHandle)>,
    wake: Vec<Arc<Notify>>,
    changes: Changes,
    /// Stops the scheduler, retention, webhooks and workflow tasks.
    shutdown: Shutdown,
    /// A handle dropped without [`DaemonHandle::shutdown`] still stops those tasks.
    _stop_on_drop: ShutdownGuard,
    scheduler: JoinHandle<()>,
    retention: JoinHandle<()>,
    retention_counters: Arc<retention::RetentionCounters>,
    workflow: Workflow,
    workflow_task: JoinHandle<()>,
    webhooks: JoinHandle<()>,
    alerts: crate::alerts::AlertsHandle,
    /// `None` when `alerts.enabled = false`: no evaluator runs to take new settings.
    alerts_reload: Option<crate::alerts::AlertsReload>,
    alerts_task: Option<JoinHandle<()>>,
    alerts_stop: crate::shutdown::Shutdown,
    recovered: Vec<UnconfirmedSegment>,
    /// The messaging policy in force, replaced on reload.
    policy: crate::policy::PolicyHandle,
    /// Released when the handle goes, after the store is closed.
    _lock: lock::DataDirLock,
}

/// What [`DaemonHandle::shutdown`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Segments handed to a link and unanswered, put back in the queue.
    pub requeued: usize,
    /// True when the deadline passed before the links had closed; what was still in
    /// flight stays so and is recovered on the next start (unconfirmed if it may have
    /// been written, queued again if not).
    pub timed_out: bool,
}

impl DaemonHandle {
    /// The entry point for new jobs.
    pub fn submitter(&self) -> Submitter {
        self.submitter.clone()
    }

    /// The store (reads: job status, inbox, queue depth).
    pub fn store(&self) -> StoreHandle {
        self.store.clone()
    }

    /// Approvals, reminders and reply routing.
    pub fn workflow(&self) -> Workflow {
        self.workflow.clone()
    }

    /// The configuration running.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// True when every link is simulated.
    pub fn is_demo(&self) -> bool {
        self.config.is_demo()
    }

    /// Every link's state now.
    pub fn links(&self) -> Vec<LinkView> {
        self.runners.iter().map(LinkRunner::view).collect()
    }

    /// The alerts firing now, for the API and `/metrics`.
    pub fn alerts(&self) -> crate::alerts::AlertsHandle {
        self.alerts.clone()
    }

    /// The parts of the daemon a config reload (SIGHUP) hands new settings to: the
    /// routing (`[routing]`, the portability file re-read) and, while the evaluator runs,
    /// the alert settings. The API adds its tokens (`ApiServer::token_reload`).
    pub fn reload_parts(&self) -> Vec<Box<dyn reload::ConfigReload>> {
        let mut parts: Vec<Box<dyn reload::ConfigReload>> = vec![Box::new(self.routing_reload())];
        if let Some(a) = self.alerts_reload() {
            parts.push(Box::new(a));
        }
        parts.push(Box::new(policy_reload::PolicyReload(self.policy())));
        parts
    }

    /// The messaging policy in force (replaced on reload).
    pub fn policy(&self) -> crate::policy::PolicyHandle {
        self.policy.clone()
    }

    /// The routing's reload part: new routers go to the submitter.
    pub fn routing_reload(&self) -> crate::dispatch::RoutingReload {
        crate::dispatch::RoutingReload::new(self.submitter.clone(), &self.config)
    }

    /// The alert evaluator's reload part; `None` when `alerts.enabled = false` (turning
    /// alerts on needs a restart).
    pub fn alerts_reload(&self) -> Option<crate::alerts::AlertsReload> {
        self.alerts_reload.clone()
    }

    /// What retention has deleted since start, for `/metrics`.
    pub fn retention_counters(&self) -> Arc<retention::RetentionCounters> {
        Arc::clone(&self.retention_counters)
    }

    /// Readers of every link's state and counters, for the API and `/metrics`.
    pub fn link_monitors(&self) -> Vec<crate::dispatch::LinkMonitor> {
        self.runners.iter().map(LinkRunner::monitor).collect()
    }

    /// Every in-process simulator, by link name.
    pub fn simulators(&self) -> Vec<(String, SimHandle)> {
        self.sims.clone()
    }

    /// The in-process simulator behind a simulated link.
    pub fn simulator(&self, link: &str) -> Option<SimHandle> {
        self.sims
            .iter()
            .find(|(name, _)| name == link)
            .map(|(_, sim)| sim.clone())
    }

    /// Segments the previous process left in flight, with what recovery did with each
    /// (never written: queued again; may have been written: unconfirmed or resent).
    pub fn recovered(&self) -> &[UnconfirmedSegment] {
        &self.recovered
    }

    /// Runs the scheduler tick now (release due jobs, expire old ones, give up on
    /// reports past `queue.report_timeout`) instead of waiting for the next second.
    pub async fn tick(&self) {
        let timeout = self.config().queue.report_timeout;
        scheduler::run_once(&self.store, &self.wake, &self.changes, timeout).await;
    }

    /// Runs the retention purge now, as if the clock read `now` (unix ms): deletes what is
    /// finished and older than `storage.retention` (zero: nothing).
    pub async fn purge(
        &self,
        now: crate::store::Millis,
    ) -> Result<crate::store::PurgeOutcome, crate::store::StoreError> {
        let retention = self.config().storage.retention;
        if retention.is_zero() {
            return Ok(crate::store::PurgeOutcome::default());
        }
        let out = retention::run_once(
            &self.store,
            retention,
            now,
            retention::PASS_BUDGET,
            &self.shutdown,
        )
        .await?;
        self.retention_counters.record(&out);
        Ok(out)
    }

    /// Graceful stop within `deadline`: new jobs are refused, dispatchers stop claiming,
    /// links close their sessions (each waiting up to its close grace for responses),
    /// answers are recorded, unanswered parts go back to the queue, the simulators stop
    /// and the store is closed.
    pub async fn shutdown(self, deadline: Duration) -> ShutdownReport {
        tracing::info!(?deadline, "shutting down");
        self.submitter.close();
        self.shutdown.trigger();
        let _ = self.scheduler.await;
        let _ = self.retention.await;
        let _ = self.workflow_task.await;
        let _ = self.webhooks.await;
        self.alerts_stop.trigger();
        if let Some(t) = self.alerts_task {
            let _ = t.await;
        }
        let mut links = JoinSet::new();
        for r in self.runners {
            links.spawn(r.shutdown());
        }
        let mut requeued = 0;
        let drained = tokio::time::timeout(deadline, async {
            while let Some(n) = links.join_next().await {
                requeued += n.unwrap_or(0);
            }
        })
        .await;
        let timed_out = drained.is_err();
        if timed_out {
            links.abort_all();
            tracing::warn!(
                "links did not close in time; parts still in flight are recovered on the next start (unconfirmed if they may have been written, queued again if not)"
            );
        }
        let mut sims = JoinSet::new();
        for (_, sim) in self.sims {
            sims.spawn(sim.shutdown());
        }
        while sims.join_next().await.is_some() {}
        if let Err(e) = self.store.close().await {
            tracing::warn!(error = %e, "store close");
        }
        tracing::info!(requeued, timed_out, "stopped");
        ShutdownReport {
            requeued,
            timed_out,
        }
    }
}
