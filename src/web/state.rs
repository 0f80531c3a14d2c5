//! [`WebState`]: what every console handler reaches — the same daemon parts the API
//! uses (store, submitter, workflow, link monitors, config), plus the console's own:
//! its clock (injectable, so tests move time instead of sleeping) and the login
//! throttle.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::throttle::Throttle;
use crate::config::Config;
use crate::daemon::DaemonHandle;
use crate::dispatch::{LinkMonitor, Submitter};
use crate::sim::SimHandle;
use crate::store::{Millis, StoreHandle};
use crate::workflow::Workflow;

/// Shared by the console's handlers (cheap to clone).
#[derive(Debug, Clone)]
pub struct WebState(Arc<Inner>);

/// The parts; reached through [`WebState`]'s `Deref`.
#[derive(Debug)]
pub struct Inner {
    /// The intake: the one way a message is sent.
    pub submitter: Submitter,
    /// The store.
    pub store: StoreHandle,
    /// Approvals, reminders, replies.
    pub workflow: Workflow,
    /// One per link: its health.
    pub monitors: Vec<LinkMonitor>,
    /// The in-process carrier simulators (demo mode), by link name.
    pub sims: Vec<(String, SimHandle)>,
    /// The config the daemon started with.
    pub config: Config,
    /// The alert evaluator's state.
    pub alerts: crate::alerts::AlertsHandle,
    /// Failed logins per account name and per address.
    pub throttle: Throttle,
    /// The console's clock.
    pub clock: Clock,
}

impl WebState {
    /// The console's state for `daemon`.
    pub fn from_daemon(daemon: &DaemonHandle) -> Self {
        let config = daemon.config().clone();
        Self(Arc::new(Inner {
            submitter: daemon.submitter(),
            store: daemon.store(),
            workflow: daemon.workflow(),
            monitors: daemon.link_monitors(),
            sims: daemon.simulators(),
            throttle: Throttle::new(&config.console),
            config,
            alerts: daemon.alerts(),
            clock: Clock::default(),
        }))
    }

    /// Now, by the console's clock (unix milliseconds).
    pub fn now(&self) -> Millis {
        self.clock.now()
    }
}

impl std::ops::Deref for WebState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The wall clock, plus an offset tests move forward (session expiry, lockouts) instead
/// of sleeping.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// Now (unix milliseconds).
    pub fn now(&self) -> Millis {
        crate::store::now_millis().saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock forward (tests).
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}
