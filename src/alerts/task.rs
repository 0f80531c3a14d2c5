//! The evaluator: every `alerts.evaluate_every` it observes the daemon (links, queue,
//! reports, webhook outbox, disk, the store's writer), asks [`rules`](super::rules) which
//! conditions hold and each alert's [`state`](super::state) machine what to say, and
//! applies the notices: the log, the alert history with its signed webhook event, the
//! on-call SMS through a healthy link, and the snapshot `/v1/alerts` and `/metrics` read.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::oncall::{self, Candidate, Route, SmsBudget};
use super::reload::AlertsReload;
use super::rules::{self, AlertKind, BacklogTrend, Condition, LinkSeen, Observations, Thresholds};
use super::state::{AlertState, Millis, Notice, Pacing, Step};
use crate::clock::Clock;
use crate::config;
use crate::dispatch::{LinkMonitor, SendRequest, Submitter};
use crate::shutdown::Shutdown;
use crate::store::{NewAlertEvent, StoreHandle};

/// One alert firing now, as `/v1/alerts` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Firing {
    /// The alert's name.
    pub alert: &'static str,
    /// What it is about: a link's name, or the alert's name.
    pub subject: String,
    /// Since when (unix ms).
    pub since: Millis,
    /// For people, as of the last evaluation.
    pub text: String,
    /// When people were last told (unix ms).
    pub last_notified: Millis,
    /// What became of the last on-call SMS for it.
    pub sms: Option<String>,
}

/// What became of an on-call SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsOutcome {
    /// In the queue as job `job`, for the carrier of `link`.
    Queued {
        /// The job.
        job: i64,
        /// The healthy link chosen.
        link: String,
    },
    /// No healthy link it could go through.
    NoHealthyLink,
    /// `alerts.sms_per_hour` is spent.
    RateLimited(u32),
    /// The intake refused it.
    Failed(String),
}

impl std::fmt::Display for SmsOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Queued { job, link } => write!(f, "job {job} via {link}"),
            Self::NoHealthyLink => f.write_str("skipped: no healthy link"),
            Self::RateLimited(n) => {
                write!(
                    f,
                    "skipped: {n} SMS this hour already (alerts.sms_per_hour)"
                )
            }
            Self::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

/// Reads what the evaluator knows; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct AlertsHandle {
    firing: Arc<Mutex<Vec<Firing>>>,
    evaluations: Arc<AtomicU64>,
}

impl AlertsHandle {
    /// The alerts firing now, by alert then subject.
    pub fn firing(&self) -> Vec<Firing> {
        self.firing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Evaluations completed since start.
    pub fn evaluations(&self) -> u64 {
        self.evaluations.load(Ordering::Acquire)
    }

    /// Whether any alert of `kind` fires now.
    pub fn is_firing(&self, kind: AlertKind) -> bool {
        self.firing().iter().any(|f| f.alert == kind.name())
    }
}

/// What the evaluator needs from the daemon.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// `[alerts]`.
    pub config: config::Alerts,
    /// Reads and the history.
    pub store: StoreHandle,
    /// The on-call SMS go in as ordinary jobs.
    pub submitter: Submitter,
    /// Every link.
    pub monitors: Vec<LinkMonitor>,
    /// The data directory (its filesystem's free space).
    pub data_dir: PathBuf,
    /// "Now" for ages and the history.
    pub clock: Clock,
}

/// Starts the evaluator; it stops when `shutdown` is triggered. The [`AlertsReload`]
/// hands it reloaded `[alerts]` settings (SIGHUP).
pub fn start(inputs: Inputs, shutdown: Shutdown) -> (AlertsHandle, AlertsReload, JoinHandle<()>) {
    let handle = AlertsHandle::default();
    let (reload, mut settings) = AlertsReload::channel(inputs.config.clone());
    let mut ev = Evaluator::new(inputs, handle.clone());
    let task = tokio::spawn(async move {
        let mut tick = ticks(Instant::now(), ev.inputs.config.evaluate_every);
        loop {
            tokio::select! {
                () = shutdown.triggered() => break,
                Ok(()) = settings.changed() => {
                    let new = settings.borrow_and_update().clone();
                    if let Some(every) = ev.retune(new) {
                        tick = ticks(Instant::now() + every, every);
                    }
                }
                _ = tick.tick() => ev.evaluate().await,
            }
        }
    });
    (handle, reload, task)
}

/// An evaluation every `every`, the first at `first`.
fn ticks(first: Instant, every: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval_at(first, every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tick
}

struct Evaluator {
    inputs: Inputs,
    thresholds: Thresholds,
    pacing: Pacing,
    alerts: BTreeMap<(AlertKind, String), Tracked>,
    backlog: BacklogTrend,
    /// Carrier-accepted parts so far on report-asking links, one sample per evaluation
    /// over the reports window.
    accepted: VecDeque<Sample>,
    budget: SmsBudget,
    /// The outstanding writer probe: when it was queued, and whether it came back.
    probe: Option<(Instant, Arc<AtomicBool>)>,
    started: Instant,
    handle: AlertsHandle,
}

/// One evaluation's count of carrier-accepted parts.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// The evaluator's clock.
    at: Millis,
    /// Parts accepted so far.
    accepted: u64,
    /// The store's clock (segments' `submitted_at`) at the same moment.
    stamp: Millis,
}

struct Tracked {
    state: AlertState,
    condition: Condition,
    sms: Option<String>,
}

/// The thresholds of `[alerts]`.
pub fn thresholds(c: &config::Alerts) -> Thresholds {
    Thresholds {
        link_down_after: c.link_down_after,
        queue_age: c.queue_age,
        reports_after: c.reports_after,
        reports_window: c.reports_window,
        reports_missing_share: f64::from(c.reports_missing_percent) / 100.0,
        reports_min_segments: c.reports_min_segments,
        webhook_growing_for: c.webhook_growing_for,
        disk_free_share: f64::from(c.disk_free_percent) / 100.0,
        disk_free_bytes: c.disk_free_mib.saturating_mul(1 << 20),
        store_stalled_after: c.store_stalled_after,
    }
}

/// The pacing of `[alerts]`.
pub fn pacing(c: &config::Alerts) -> Pacing {
    Pacing {
        repeat_every: c.repeat_every,
        max_notices_per_day: c.max_notices_per_day,
        resolve_after_evaluations: c.resolve_after_evaluations,
        resolve_after: c.resolve_after,
    }
}

fn ms(d: Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
}

/// Free and total bytes of the filesystem holding `dir`.
fn disk_space(dir: &std::path::Path) -> std::io::Result<(u64, u64)> {
    let st = rustix::fs::statvfs(dir)?;
    Ok((
        st.f_bavail.saturating_mul(st.f_frsize),
        st.f_blocks.saturating_mul(st.f_frsize),
    ))
}

impl Evaluator {
    fn new(inputs: Inputs, handle: AlertsHandle) -> Self {
        Self {
            thresholds: thresholds(&inputs.config),
            pacing: pacing(&inputs.config),
            budget: SmsBudget::new(inputs.config.sms_per_hour),
            inputs,
            alerts: BTreeMap::new(),
            backlog: BacklogTrend::default(),
            accepted: VecDeque::new(),
            probe: None,
            started: Instant::now(),
            handle,
        }
    }

    /// Takes reloaded `[alerts]` settings for the evaluations from now on. What fires
    /// keeps firing (no new notice for a changed threshold); the SMS sent in the last
    /// hour still count against the new hourly bound. The new period, if it changed.
    fn retune(&mut self, new: config::Alerts) -> Option<Duration> {
        self.thresholds = thresholds(&new);
        self.pacing = pacing(&new);
        self.budget.set_max(new.sms_per_hour);
        let period =
            (new.evaluate_every != self.inputs.config.evaluate_every).then_some(new.evaluate_every);
        self.inputs.config = new;
        tracing::info!(
            firing = self
                .alerts
                .values()
                .filter(|t| t.state.since().is_some())
                .count(),
            "alert settings reloaded"
        );
        period
    }

    async fn observe(&mut self, now: Millis) -> Observations {
        let links = self
            .inputs
            .monitors
            .iter()
            .map(|m| {
                let h = m.health();
                LinkSeen {
                    name: m.config().name.clone(),
                    carrier: m.config().carrier(),
                    down_for: h.down_since.map(|t| t.elapsed()),
                    refused: h.refused,
                }
            })
            .collect();
        let reports = self.reports(now).await;
        let store = &self.inputs.store;
        let oldest_queued = match store.oldest_queued().await {
            Ok(t) => t.map(|t| Duration::from_millis(u64::try_from(now - t).unwrap_or(0))),
            Err(e) => {
                tracing::warn!(error = %e, "alerts: cannot read the queue's age");
                None
            }
        };
        let webhook_growing = match store.webhook_backlog().await {
            Ok(b) => {
                let total = b.values().map(|n| u64::try_from(*n).unwrap_or(0)).sum();
                let at = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
                self.backlog.observe(total, at)
            }
            Err(e) => {
                tracing::warn!(error = %e, "alerts: cannot read the webhook backlog");
                None
            }
        };
        let disk = match disk_space(&self.inputs.data_dir) {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::warn!(error = %e, dir = %self.inputs.data_dir.display(), "alerts: cannot read free disk space");
                None
            }
        };
        Observations {
            links,
            oldest_queued,
            reports,
            webhook_growing,
            disk,
            store_waiting: self.probe_writer(),
        }
    }

    /// Segments the carriers accepted in the reports window (`reports_window` ending
    /// `reports_after` ago) on links that ask for reports, and how many of them still
    /// wait for one. The accepted count comes from the links' counters sampled at each
    /// evaluation (so no index on every segment's submit time is needed); until this
    /// process has seen a whole window, nothing is decided.
    async fn reports(&mut self, now: Millis) -> Option<(u64, u64)> {
        let reporting: Vec<&LinkMonitor> = self
            .inputs
            .monitors
            .iter()
            .filter(|m| m.config().status_reports)
            .collect();
        let accepted: u64 = reporting.iter().map(|m| m.metrics().acknowledged).sum();
        self.accepted.push_back(Sample {
            at: now,
            accepted,
            stamp: crate::store::now_millis(),
        });
        let to = now - ms(self.thresholds.reports_after);
        let from = to - ms(self.thresholds.reports_window);
        while self.accepted.get(1).is_some_and(|s| s.at <= from) {
            self.accepted.pop_front();
        }
        let at = |t: Millis| self.accepted.iter().rev().find(|s| s.at <= t).copied();
        let (from, to) = (at(from)?, at(to)?);
        let submitted = to.accepted.saturating_sub(from.accepted);
        // Between the same two samples in the store's own timestamps, so the count of
        // those still waiting covers exactly the submits counted.
        let waiting = match self
            .inputs
            .store
            .awaiting_reports(from.stamp, to.stamp)
            .await
        {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "alerts: cannot count missing reports");
                return None;
            }
        };
        let missing: u64 = reporting
            .iter()
            .filter_map(|m| waiting.get(&m.config().name))
            .sum();
        Some((submitted, missing.min(submitted)))
    }

    /// How long the outstanding writer probe has waited; queues a new one once the last
    /// came back. One at a time, so a stuck writer is not handed a growing pile.
    fn probe_writer(&mut self) -> Option<Duration> {
        if let Some((at, done)) = &self.probe {
            if !done.load(Ordering::Acquire) {
                return Some(at.elapsed());
            }
        }
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let store = self.inputs.store.clone();
        tokio::spawn(async move {
            // A closed store answers at once with an error: not a stall.
            let _ = store.writer_probe().await;
            flag.store(true, Ordering::Release);
        });
        self.probe = Some((Instant::now(), done));
        None
    }

    async fn evaluate(&mut self) {
        let now = self.inputs.clock.now_millis();
        let seen = self.observe(now).await;
        let holding = rules::evaluate(&seen, &self.thresholds);
        let mut active: BTreeMap<(AlertKind, String), Condition> = holding
            .into_iter()
            .map(|c| ((c.kind, c.subject.clone()), c))
            .collect();
        let keys: Vec<_> = self
            .alerts
            .keys()
            .cloned()
            .chain(active.keys().cloned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for key in keys {
            let condition = active.remove(&key);
            let tracked = match (self.alerts.entry(key), condition.clone()) {
                (Entry::Occupied(e), _) => e.into_mut(),
                (Entry::Vacant(e), Some(c)) => e.insert(Tracked {
                    state: AlertState::new(),
                    condition: c,
                    sms: None,
                }),
                (Entry::Vacant(_), None) => continue,
            };
            let since = tracked.state.since();
            let step = tracked.state.step(condition.is_some(), now, &self.pacing);
            if let Some(c) = condition {
                tracked.condition = c;
            }
            let Some(step) = step else { continue };
            let c = tracked.condition.clone();
            let since = tracked.state.since().or(since).unwrap_or(now);
            let sms = self.apply(&c, step, since, now).await;
            if let Some(t) = self.alerts.get_mut(&(c.kind, c.subject.clone())) {
                t.sms = sms.map(|s| s.to_string());
            }
        }
        self.publish();
    }

    /// Tells people of one notice; what became of the SMS.
    async fn apply(
        &mut self,
        c: &Condition,
        step: Step,
        since: Millis,
        now: Millis,
    ) -> Option<SmsOutcome> {
        let state = step.notice.name();
        let alert = c.kind.name();
        match step.notice {
            Notice::Resolved => {
                tracing::info!(alert, state, subject = %c.subject, notified = step.notify, "alert resolved: {}", c.text)
            }
            _ => {
                tracing::error!(alert, state, subject = %c.subject, notified = step.notify, "alert: {}", c.text)
            }
        }
        let text = oncall::text(step.notice, &c.text);
        let sms = if step.notify {
            self.on_call(c, &text, now).await
        } else {
            None
        };
        let event = NewAlertEvent {
            alert: alert.to_owned(),
            subject: c.subject.clone(),
            state: state.to_owned(),
            text,
            since,
            notified: step.notify,
            sms: sms.as_ref().map(ToString::to_string),
        };
        if let Err(e) = self.inputs.store.alert_record(event, now).await {
            tracing::warn!(alert, state, error = %e, "alert notice not recorded (no webhook event either)");
        }
        sms
    }

    /// Queues the on-call SMS through a healthy link; what became of it.
    async fn on_call(&mut self, c: &Condition, text: &str, now: Millis) -> Option<SmsOutcome> {
        let numbers = &self.inputs.config.on_call;
        if numbers.is_empty() {
            return None;
        }
        let candidates: Vec<Candidate> = self
            .inputs
            .monitors
            .iter()
            .map(|m| {
                let h = m.health();
                Candidate {
                    name: m.config().name.clone(),
                    carrier: m.config().carrier(),
                    healthy: m.view().connections_up > 0 || (h.on_demand && h.down_since.is_none()),
                    claims_while_down: h.on_demand,
                }
            })
            .collect();
        let failing = c.carrier.map(|carrier| (c.subject.as_str(), carrier));
        let outcome = match oncall::choose(&candidates, failing) {
            Route::NoHealthyLink => SmsOutcome::NoHealthyLink,
            Route::Via { .. } if !self.budget.take(numbers.len(), now) => {
                SmsOutcome::RateLimited(self.inputs.config.sms_per_hour)
            }
            Route::Via { link, carrier } => {
                let req = SendRequest {
                    signature: Some(self.inputs.config.signature.clone()),
                    via: Some(carrier),
                    ..SendRequest::new(numbers.clone(), text)
                };
                match self.inputs.submitter.send(req).await {
                    Ok(out) => match out.job {
                        Some(j) => SmsOutcome::Queued {
                            job: j.job_id,
                            link,
                        },
                        None => SmsOutcome::Failed("no on-call number was accepted".into()),
                    },
                    Err(e) => SmsOutcome::Failed(e.to_string()),
                }
            }
        };
        if let SmsOutcome::Queued { .. } = outcome {
            tracing::info!(alert = c.kind.name(), subject = %c.subject, sms = %outcome, "on-call SMS queued");
        } else {
            tracing::warn!(alert = c.kind.name(), subject = %c.subject, sms = %outcome, "on-call SMS not sent");
        }
        Some(outcome)
    }

    fn publish(&self) {
        let firing = self
            .alerts
            .values()
            .filter_map(|t| {
                Some(Firing {
                    alert: t.condition.kind.name(),
                    subject: t.condition.subject.clone(),
                    since: t.state.since()?,
                    text: t.condition.text.clone(),
                    last_notified: t.state.last_notified()?,
                    sms: t.sms.clone(),
                })
            })
            .collect();
        *self
            .handle
            .firing
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = firing;
        self.handle.evaluations.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
#[path = "task_tests.rs"]
mod tests;
