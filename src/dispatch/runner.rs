//! One link's runner: moves its carrier's queued messages from the store into the link
//! (claim → split → submit), and owns the link with its events loop (`events.rs`).
//!
//! The **claim loop** takes whole messages from the store (`claim`) while the link has
//! room — fewer than [`max_outstanding`](LinkRunner) parts handed over and unanswered, and
//! (for CMPP / SMGP) a connection logged in — splits each text with the link's options and
//! the stored reference, and submits it. With nothing to do it waits on a [`Notify`] (new
//! job, freed room, connection up, schedule due) or a slow timer; it never polls in a
//! loop. During a carrier outage nothing is claimed, so jobs wait in the queue and flow out
//! at the link's rate when it is back.
//!
//! A claimed message's id towards the link is its recipient id, so every event names
//! (recipient, part), which the in-memory map turns into the segment id.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use super::changes::Changes;
use super::events::events_loop;
use super::journal::WireJournal;
use super::metrics::{LinkMetrics, MetricsSnapshot};
use super::plan::{LinkTextError, split_options};
use crate::config;
use crate::link::{LinkEvent, LinkHandle, LinkSender, OutboundMessage, OutboundPart};
use crate::route::Carrier;
use crate::shutdown::Shutdown;
use crate::store::{
    ClaimRequest, ClaimedMessage, SegmentId, SegmentPlace, StoreHandle, now_millis,
};

/// With nothing to wake it, the claim loop looks at the queue this often anyway.
const SLOW_LOOK: Duration = Duration::from_secs(2);

/// What the daemon shows about a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkView {
    /// Link name.
    pub name: String,
    /// The carrier whose numbers it takes.
    pub carrier: Carrier,
    /// Protocol name.
    pub protocol: &'static str,
    /// Whether the gateway is an in-process simulator.
    pub simulated: bool,
    /// Connections logged in now.
    pub connections_up: usize,
    /// Message parts handed to the link and not yet answered.
    pub outstanding: usize,
    /// Why the last connection closed or a login was refused.
    pub last_problem: Option<String>,
}

/// A link's health in types, for the alerts (never read from `last_problem`'s words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkHealth {
    /// Since when no connection has been logged in, counted from the start or from the
    /// first failure after the last one was up; `None` while one is up, and for an
    /// on-demand (SGIP) link that has not failed since it was last up.
    pub down_since: Option<tokio::time::Instant>,
    /// The last login refusal since a connection was last up: code and meaning.
    pub refused: Option<(u32, &'static str)>,
    /// The link connects only when it has work (SGIP), so it takes its carrier's queue
    /// with no connection up.
    pub on_demand: bool,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What one link's runner holds, shared by its claim loop, its events loop and its monitors.
#[derive(Debug)]
pub(super) struct RunnerState {
    pub(super) config: config::Link,
    /// The store's carrier key of this link's messages.
    pub(super) carrier: String,
    pub(super) store: StoreHandle,
    pub(super) wake: Arc<Notify>,
    pub(super) changes: Changes,
    /// (recipient id, part) → segment, for every part handed to the link and unanswered.
    pub(super) inflight: Mutex<HashMap<(u64, u8), SegmentPlace>>,
    pub(super) up: AtomicUsize,
    pub(super) last_problem: Mutex<Option<String>>,
    /// The same problem as a type, for words in other languages.
    pub(super) problem_kind: Mutex<Option<super::LinkProblem>>,
    /// What the alerts read: down since when, login refused.
    pub(super) health: Mutex<LinkHealth>,
    /// SGIP connects on demand: no connection is up until there is work.
    pub(super) on_demand: bool,
    pub(super) max_outstanding: usize,
    pub(super) metrics: LinkMetrics,
    /// Connections that have logged in at least once (a later login is a reconnect).
    pub(super) seen_conns: Mutex<std::collections::HashSet<usize>>,
    /// The on-the-wire journal the link records written parts in; a segment's slot is
    /// freed here once the store has committed what became of it.
    pub(super) journal: Option<Arc<WireJournal>>,
}

/// Reads one link's state and counters; cheap to clone.
#[derive(Debug, Clone)]
pub struct LinkMonitor {
    shared: Arc<RunnerState>,
    link: crate::link::LinkSender,
}

impl LinkMonitor {
    /// The link's state now.
    pub fn view(&self) -> LinkView {
        let sh = &self.shared;
        LinkView {
            name: sh.config.name.clone(),
            carrier: sh.config.carrier(),
            protocol: sh.config.protocol.name(),
            simulated: sh.config.simulated,
            connections_up: sh.up.load(Ordering::Relaxed),
            outstanding: lock(&sh.inflight).len(),
            last_problem: lock(&sh.last_problem).clone(),
        }
    }

    /// Why the last connection closed or a login was refused, as a type (`view`'s
    /// `last_problem` is its words).
    pub fn problem(&self) -> Option<super::LinkProblem> {
        lock(&self.shared.problem_kind).clone()
    }

    /// The link's health, for the alerts.
    pub fn health(&self) -> LinkHealth {
        *lock(&self.shared.health)
    }

    /// The link's configuration.
    pub fn config(&self) -> &config::Link {
        &self.shared.config
    }

    /// Counters since start.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.shared.metrics.snapshot()
    }

    /// Flow-control answers so far.
    pub fn throttled(&self) -> u64 {
        self.link.status().throttled
    }

    /// Largest number of parts the dispatcher keeps handed to the link.
    pub fn capacity(&self) -> usize {
        self.shared.max_outstanding
    }
}

/// A link with its dispatcher running.
#[derive(Debug)]
pub struct LinkRunner {
    shared: Arc<RunnerState>,
    link: LinkHandle,
    /// Stops the claim loop: a child of the owner's signal.
    stop: Shutdown,
    /// The second phase of a stop: once the link has closed, the events loop records
    /// what is left and ends. Its own signal, never the owner's: the events a closing
    /// link still sends (late answers) must be recorded, not dropped.
    drain: Shutdown,
    claim_task: JoinHandle<()>,
    events_task: JoinHandle<()>,
}

impl LinkRunner {
    /// Starts dispatching for a started link. `wake` is the notifier the submitter and the
    /// scheduler use for this link. The claim loop stops when `shutdown` is triggered;
    /// [`shutdown`](Self::shutdown) still has to be called to close the link and record
    /// its last answers.
    pub fn start(
        config: config::Link,
        link: LinkHandle,
        events: mpsc::Receiver<LinkEvent>,
        store: StoreHandle,
        wake: Arc<Notify>,
        changes: Changes,
        shutdown: Shutdown,
    ) -> Self {
        Self::start_with_journal(config, link, events, store, wake, changes, None, shutdown)
    }

    /// [`start`](Self::start) for a link whose [`WriteHook`](crate::link::WriteHook) is
    /// `journal`: the runner frees a segment's slot once its fate is committed, and on
    /// shutdown gives back the attempt of every part the link never wrote.
    // Each argument is a different collaborator the runner is wired to; a struct holding
    // them would only move the list to the two call sites.
    #[allow(clippy::too_many_arguments)]
    pub fn start_with_journal(
        config: config::Link,
        link: LinkHandle,
        events: mpsc::Receiver<LinkEvent>,
        store: StoreHandle,
        wake: Arc<Notify>,
        changes: Changes,
        journal: Option<Arc<WireJournal>>,
        shutdown: Shutdown,
    ) -> Self {
        let on_demand = config.protocol == config::LinkProtocol::Sgip;
        let max_outstanding =
            (usize::from(config.window) * usize::from(config.connections) * 2).max(2);
        let shared = Arc::new(RunnerState {
            carrier: config.carrier().name().to_owned(),
            config,
            store,
            wake,
            changes,
            inflight: Mutex::new(HashMap::new()),
            up: AtomicUsize::new(0),
            last_problem: Mutex::new(None),
            problem_kind: Mutex::new(None),
            health: Mutex::new(LinkHealth {
                down_since: (!on_demand).then(tokio::time::Instant::now),
                refused: None,
                on_demand,
            }),
            on_demand,
            max_outstanding,
            metrics: LinkMetrics::default(),
            seen_conns: Mutex::new(std::collections::HashSet::new()),
            journal,
        });
        let stop = shutdown.child();
        let drain = Shutdown::new();
        let claim_task = tokio::spawn(claim_loop(
            Arc::clone(&shared),
            link.submitter(),
            stop.clone(),
        ));
        let events_task = tokio::spawn(events_loop(Arc::clone(&shared), events, drain.clone()));
        Self {
            shared,
            link,
            stop,
            drain,
            claim_task,
            events_task,
        }
    }

    /// The link's name.
    pub fn name(&self) -> &str {
        &self.shared.config.name
    }

    /// The link's SGIP listener address, if it has one.
    pub fn listener_addr(&self) -> Option<std::net::SocketAddr> {
        self.link.listener_addr()
    }

    /// The link's state now.
    pub fn view(&self) -> LinkView {
        self.monitor().view()
    }

    /// A cheap handle that reads this link's state and counters from elsewhere (the API).
    pub fn monitor(&self) -> LinkMonitor {
        LinkMonitor {
            shared: Arc::clone(&self.shared),
            link: self.link.submitter(),
        }
    }

    /// Graceful stop: no more claims, the link closes its sessions (waiting up to its
    /// close grace for responses), every answer that came is recorded, and the parts
    /// still unanswered go back to the queue. Returns how many segments were requeued.
    pub async fn shutdown(self) -> usize {
        let name = self.shared.config.name.clone();
        self.stop.trigger();
        let _ = self.claim_task.await;
        let handed_back = self.link.shutdown().await;
        self.drain.trigger();
        let _ = self.events_task.await;
        let left: Vec<SegmentId> = lock(&self.shared.inflight)
            .drain()
            .map(|(_, at)| at.segment_id)
            .collect();
        if left.is_empty() {
            tracing::info!(link = %name, "link stopped; nothing left in flight");
            return 0;
        }
        let parts: usize = handed_back.iter().map(|m| m.parts.len()).sum();
        let sh = &self.shared;
        // Parts the link wrote keep the attempt; those it never wrote give it back.
        let (written, unsent): (Vec<SegmentId>, Vec<SegmentId>) = match &sh.journal {
            Some(j) => left.iter().partition(|&&id| j.holds(id)),
            None => (left.clone(), Vec::new()),
        };
        let now = now_millis();
        let reason = "hongyan stopped before the carrier answered";
        let mut requeued = 0;
        for (ids, unsent) in [(written, false), (unsent, true)] {
            if ids.is_empty() {
                continue;
            }
            let moved = if unsent {
                sh.store
                    .requeue_unsent(ids.clone(), reason.into(), now)
                    .await
            } else {
                sh.store.requeue(ids.clone(), reason.into(), now).await
            };
            match moved {
                Ok(out) => {
                    requeued += out.moved.len();
                    sh.release(&ids);
                }
                Err(e) => {
                    tracing::warn!(link = %name, error = %e, segments = ids.len(), "could not requeue unanswered parts; they are recovered on the next start");
                }
            }
        }
        tracing::info!(link = %name, requeued, handed_back = parts, "link stopped; unanswered parts back in the queue");
        requeued
    }
}

impl RunnerState {
    fn outstanding(&self) -> usize {
        lock(&self.inflight).len()
    }

    fn ready(&self) -> bool {
        self.outstanding() < self.max_outstanding
            && (self.on_demand || self.up.load(Ordering::Relaxed) > 0)
    }

    /// Starts the down clock, unless it runs already or a connection is up.
    pub(super) fn down_now(&self) {
        if self.up.load(Ordering::Relaxed) == 0 {
            lock(&self.health)
                .down_since
                .get_or_insert_with(tokio::time::Instant::now);
        }
    }

    pub(super) fn problem(&self, what: super::LinkProblem) {
        *lock(&self.last_problem) = Some(what.to_string());
        *lock(&self.problem_kind) = Some(what);
    }

    /// Frees the journal slots of segments whose fate the store has committed.
    pub(super) fn release(&self, ids: &[SegmentId]) {
        if let Some(j) = &self.journal {
            j.release(ids);
        }
    }

    /// Splits a claimed message and hands it to the link; on any failure its segments
    /// are failed (text) or requeued (link stopping), never left in flight.
    async fn send(&self, submitter: &LinkSender, m: ClaimedMessage) {
        let seg_ids: Vec<SegmentId> = m.segments.iter().map(|s| s.segment_id).collect();
        let msg = match self.build(&m) {
            Ok(msg) => msg,
            Err(reason) => {
                tracing::warn!(link = %self.config.name, job = m.job_id, recipient = m.recipient_id, %reason, "message cannot be sent");
                for id in seg_ids {
                    if let Err(e) = self
                        .store
                        .mark_failed(id, -1, reason.to_string(), now_millis())
                        .await
                    {
                        tracing::warn!(segment = id, error = %e, "cannot record the failure");
                    }
                }
                self.changes.bump();
                return;
            }
        };
        {
            let mut map = lock(&self.inflight);
            for s in &m.segments {
                map.insert((msg.id, s.part), SegmentPlace::of(&m, s));
            }
        }
        tracing::debug!(link = %self.config.name, job = m.job_id, recipient = m.recipient_id, number = %m.number, parts = msg.parts.len(), text = %m.text, "handing message to the link");
        let parts = msg.parts.len();
        if let Err(back) = submitter.submit(msg).await {
            {
                let mut map = lock(&self.inflight);
                for p in &back.0.parts {
                    map.remove(&(back.0.id, p.number));
                }
            }
            // The link refused it whole: never written, so no attempt was made.
            let reason = "link shutting down".to_owned();
            if let Err(e) = self
                .store
                .requeue_unsent(seg_ids, reason, now_millis())
                .await
            {
                tracing::warn!(link = %self.config.name, error = %e, "cannot requeue; recovered on the next start");
            }
        } else {
            self.metrics.handed(parts);
        }
    }

    /// The outbound message for a claimed one: split with the link's options and the
    /// stored reference, parts as claimed.
    fn build(&self, m: &ClaimedMessage) -> Result<OutboundMessage, LinkTextError> {
        let opts = split_options(&self.config, Some(&m.signature));
        let split =
            wire::segment::split(&m.text, &opts, m.reference.unwrap_or(0)).map_err(|source| {
                LinkTextError::Text {
                    link: self.config.name.clone(),
                    source,
                }
            })?;
        if split.segments.len() != usize::from(m.parts) {
            return Err(LinkTextError::Changed {
                now: split.segments.len(),
                accepted: m.parts,
            });
        }
        let mut parts = Vec::with_capacity(m.segments.len());
        for s in &m.segments {
            let segment = split
                .segments
                .get(usize::from(s.part).saturating_sub(1))
                .cloned()
                .ok_or(LinkTextError::NoPart {
                    part: s.part,
                    parts: m.parts,
                })?;
            parts.push(OutboundPart {
                number: s.part,
                segment,
                tag: u64::try_from(s.segment_id).unwrap_or_default(),
                // The claim counted this send already; the earlier ones were written.
                sent: s.attempts.saturating_sub(1),
            });
        }
        let src_number = format!(
            "{}{}",
            self.config.service_code,
            m.source_ext.as_deref().unwrap_or("")
        );
        Ok(OutboundMessage {
            id: u64::try_from(m.recipient_id).unwrap_or_default(),
            recipients: vec![m.number.clone()],
            src_number,
            coding: split.coding,
            parts,
            want_report: self.config.status_reports,
            service_id: String::new(),
        })
    }
}

async fn claim_loop(sh: Arc<RunnerState>, submitter: LinkSender, stop: Shutdown) {
    loop {
        if stop.is_triggered() {
            return;
        }
        if sh.ready() {
            let req = ClaimRequest {
                carrier: sh.carrier.clone(),
                link: sh.config.name.clone(),
                connection: 0,
                max_segments: sh.max_outstanding.saturating_sub(sh.outstanding()).max(1),
            };
            match sh.store.claim(req, now_millis()).await {
                Ok(claimed) if !claimed.is_empty() => {
                    for m in claimed {
                        sh.send(&submitter, m).await;
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(link = %sh.config.name, error = %e, "cannot claim from the store");
                }
            }
        }
        tokio::select! {
            () = sh.wake.notified() => {}
            () = tokio::time::sleep(SLOW_LOOK) => {}
            () = stop.triggered() => {}
        }
    }
}
