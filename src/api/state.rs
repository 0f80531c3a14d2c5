//! What every handler reaches: the daemon's parts, the tokens, the config.

use std::sync::Arc;

use axum::http::HeaderMap;

use super::auth::Tokens;
use super::error::ApiError;
use crate::config::{Config, Scope};
use crate::daemon::DaemonHandle;
use crate::dispatch::{LinkMonitor, Submitter};
use crate::sim::SimHandle;
use crate::store::StoreHandle;
use crate::workflow::Workflow;

/// Shared by the handlers (cheap to clone).
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub submitter: Submitter,
    pub store: StoreHandle,
    pub workflow: Workflow,
    pub monitors: Vec<LinkMonitor>,
    pub sims: Vec<(String, SimHandle)>,
    pub config: Config,
    pub tokens: Tokens,
    pub retention: Arc<crate::daemon::retention::RetentionCounters>,
    pub alerts: crate::alerts::AlertsHandle,
}

impl AppState {
    /// The state of `daemon`'s API.
    pub fn from_daemon(daemon: &DaemonHandle) -> Self {
        Self(Arc::new(Inner {
            submitter: daemon.submitter(),
            store: daemon.store(),
            workflow: daemon.workflow(),
            monitors: daemon.link_monitors(),
            sims: daemon.simulators(),
            config: daemon.config().clone(),
            tokens: Tokens::new(&daemon.config().api.tokens),
            retention: daemon.retention_counters(),
            alerts: daemon.alerts(),
        }))
    }

    /// Refuses the request unless it carries a token with `scope`; the client's name.
    pub fn auth(&self, headers: &HeaderMap, scope: Scope) -> Result<String, ApiError> {
        self.0.tokens.check(headers, scope)
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
