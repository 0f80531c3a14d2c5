//! Test rig for the engine's pieces: a temp store, a queue that takes China Mobile
//! numbers, the embedded default config, tokio's clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use crate::clock::Clock;
use crate::config::Config;
use crate::dispatch::{Changes, Submitter};
use crate::route::{Carrier, Router};
use crate::store::StoreHandle;
use crate::store::testutil::TempDb;

use super::Workflow;
use super::events::WorkflowEvent;

/// An approver or recipient on the China Mobile link.
pub(super) const MOBILE_A: &str = "13900139000";
/// Another.
pub(super) const MOBILE_B: &str = "13700137000";

pub(super) struct Rig {
    _db: TempDb,
    pub(super) store: StoreHandle,
    pub(super) submitter: Submitter,
    pub(super) config: Config,
    pub(super) clock: Clock,
}

impl Rig {
    /// Call inside a tokio runtime (the store's writer replies through it).
    pub(super) fn new(name: &str) -> Self {
        let db = TempDb::new(name);
        let store = db.handle();
        let config = Config::embedded_default().unwrap();
        let mut router = Router::default();
        router.add_link(Carrier::Mobile);
        let submitter = Submitter::new(
            &config,
            router,
            store.clone(),
            HashMap::new(),
            Changes::default(),
        );
        Self {
            _db: db,
            store,
            submitter,
            config,
            clock: Clock::following_tokio(),
        }
    }

    /// An engine without its task: each test runs the passes it needs.
    pub(super) fn workflow(&self) -> Workflow {
        Workflow::new(
            self.store.clone(),
            self.submitter.clone(),
            self.config.clone(),
            crate::policy::PolicyHandle::new(crate::policy::Policy::from_config(
                &self.config.policy,
                crate::policy::WordList::empty(),
            )),
            self.clock,
        )
    }
}

/// The events sent so far.
pub(super) fn drain(
    rx: &mut tokio::sync::broadcast::Receiver<WorkflowEvent>,
) -> Vec<WorkflowEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}
