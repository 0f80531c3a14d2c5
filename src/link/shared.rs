//! State shared by every connection of one account (and the SGIP listener): the intake
//! queue, the retry queue, the rate limiter, report matching, MO reassembly and repeat
//! detection. Every lock here is a short, synchronous critical section — never held
//! across an `.await`.

use std::collections::VecDeque;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use wire::reassembly::{MoPart, Reassembler};

use super::config::LinkConfig;
use super::dedupe::RecentIds;
use super::event::LinkEvent;
use super::message::{CarrierMsgId, DeliveryReport, OutboundMessage, SubmitKey, national};
use super::rate::{RateConfig, RateLimiter};
use super::reports::{ReportMatcher, ReportOutcome};

/// How many DELIVER ids are remembered for dropping repeats.
const RECENT_DELIVERS: usize = 16_384;
/// How many reports are remembered for dropping repeats.
const RECENT_REPORTS: usize = 65_536;

/// What makes a report the same report: its msg id, recipient and status.
fn report_key(r: &DeliveryReport) -> u64 {
    let mut h = DefaultHasher::new();
    r.msg_id.hash(&mut h);
    national(&r.recipient).hash(&mut h);
    r.stat.hash(&mut h);
    r.err.hash(&mut h);
    h.finish()
}

/// Locks a mutex, taking over the data if another thread panicked while holding it (the
/// data is plain bookkeeping that stays consistent between statements).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) type Matcher = ReportMatcher<CarrierMsgId, SubmitKey, DeliveryReport>;

/// Counters for [`LinkHandle::status`](super::LinkHandle::status).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub up: AtomicUsize,
    /// Bytes the most recent flush of any connection could not write.
    pub unsent: AtomicUsize,
    /// Submit responses with the flow-control code (the part went again, more slowly).
    pub throttled: std::sync::atomic::AtomicU64,
}

pub(crate) struct Shared {
    pub config: LinkConfig,
    pub events: mpsc::Sender<LinkEvent>,
    pub intake: tokio::sync::Mutex<mpsc::Receiver<OutboundMessage>>,
    /// Messages handed back by a closed connection, sent before new ones.
    pub retry: Mutex<VecDeque<OutboundMessage>>,
    /// Bumped whenever `retry` gets work, to wake idle connections.
    pub retry_signal: watch::Sender<u64>,
    pub shutdown: watch::Receiver<bool>,
    pub rate: Option<Mutex<RateLimiter>>,
    pub matcher: Mutex<Matcher>,
    pub reassembler: Mutex<Reassembler>,
    pub seen: Mutex<RecentIds<CarrierMsgId>>,
    /// Reports already handed on, by (msg id, recipient, status): a gateway repeats a
    /// report whose answer it did not see (at least once), under a new DELIVER id.
    pub seen_reports: Mutex<RecentIds<u64>>,
    pub counters: Counters,
}

impl Shared {
    pub(crate) fn new(
        config: LinkConfig,
        events: mpsc::Sender<LinkEvent>,
        intake: mpsc::Receiver<OutboundMessage>,
        shutdown: watch::Receiver<bool>,
    ) -> Arc<Self> {
        let rate = config
            .rate_per_second
            .map(|r| Mutex::new(RateLimiter::new(RateConfig::per_second(r))));
        Arc::new(Self {
            events,
            intake: tokio::sync::Mutex::new(intake),
            retry: Mutex::new(VecDeque::new()),
            retry_signal: watch::Sender::new(0),
            shutdown,
            rate,
            matcher: Mutex::new(ReportMatcher::new(config.reports)),
            reassembler: Mutex::new(Reassembler::new(config.reassembly)),
            seen: Mutex::new(RecentIds::new(RECENT_DELIVERS)),
            seen_reports: Mutex::new(RecentIds::new(RECENT_REPORTS)),
            counters: Counters::default(),
            config,
        })
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Puts messages back at the front of the retry queue, keeping their order, and wakes
    /// the connections.
    pub(crate) fn requeue(&self, messages: Vec<OutboundMessage>) {
        if messages.is_empty() {
            return;
        }
        {
            let mut q = lock(&self.retry);
            for m in messages.into_iter().rev() {
                q.push_front(m);
            }
        }
        self.retry_signal.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn pop_retry(&self) -> Option<OutboundMessage> {
        lock(&self.retry).pop_front()
    }

    /// Whether no message waits anywhere (retry queue and intake), as far as can be
    /// seen without waiting.
    pub(crate) fn nothing_queued(&self) -> bool {
        if !lock(&self.retry).is_empty() {
            return false;
        }
        match self.intake.try_lock() {
            Ok(rx) => rx.is_empty(),
            // Another connection holds the intake: it is waiting for a message.
            Err(_) => true,
        }
    }

    /// False for ids that are only placeholders (all zero) or that were seen recently.
    fn first_time(&self, deliver_id: Option<CarrierMsgId>) -> bool {
        match deliver_id {
            None | Some(CarrierMsgId::Cmpp(0)) => true,
            Some(CarrierMsgId::Smgp(bytes)) if bytes == [0; 10] => true,
            Some(id) => lock(&self.seen).insert(id),
        }
    }

    /// A submit was accepted under `msg_id`: remember it for reports; early reports come
    /// out matched.
    pub(crate) fn on_submitted(
        &self,
        msg: &OutboundMessage,
        part: u8,
        msg_id: CarrierMsgId,
        now: Instant,
        out: &mut Vec<LinkEvent>,
    ) {
        let n = msg.recipients.len();
        let mut matcher = lock(&self.matcher);
        let mut early = Vec::new();
        if n <= 1 || matches!(msg_id, CarrierMsgId::Cmpp(_)) {
            for i in 0..n.max(1) {
                let key = SubmitKey {
                    id: msg.id,
                    part,
                    recipient_index: (n > 0).then_some(i),
                    recipients: None,
                };
                early.extend(matcher.submitted(msg_id.for_recipient(i), key, now));
            }
        } else {
            let key = SubmitKey {
                id: msg.id,
                part,
                recipient_index: None,
                recipients: Some(msg.recipients.clone().into()),
            };
            early.extend(matcher.submitted(msg_id, key, now));
        }
        drop(matcher);
        for m in early {
            out.push(LinkEvent::Report {
                matched: Some(m.key.resolve(&m.report)),
                report: m.report,
            });
        }
    }

    /// A status report arrived. Repeats are recognised by content, not by the id of the
    /// DELIVER that carried them.
    pub(crate) fn on_report(&self, report: DeliveryReport, now: Instant, out: &mut Vec<LinkEvent>) {
        if !lock(&self.seen_reports).insert(report_key(&report)) {
            tracing::debug!(link = %self.config.name, msg_id = %report.msg_id, "repeated status report dropped");
            return;
        }
        let outcome = lock(&self.matcher).report(report.msg_id, report, now);
        match outcome {
            ReportOutcome::Matched(m) => out.push(LinkEvent::Report {
                matched: Some(m.key.resolve(&m.report)),
                report: m.report,
            }),
            ReportOutcome::Held { evicted } => {
                if let Some(o) = evicted {
                    out.push(LinkEvent::Report {
                        report: o.report,
                        matched: None,
                    });
                }
            }
        }
    }

    /// One MO part arrived.
    pub(crate) fn on_mo(
        &self,
        deliver_id: Option<CarrierMsgId>,
        part: MoPart,
        now: Instant,
        out: &mut Vec<LinkEvent>,
    ) {
        if !self.first_time(deliver_id) {
            tracing::debug!(link = %self.config.name, "repeated MO DELIVER dropped");
            return;
        }
        let ready = lock(&self.reassembler).push(part, now.into_std());
        out.extend(ready.into_iter().map(LinkEvent::Mo));
    }

    /// Held reports past their age and MO sets past their timeout.
    pub(crate) fn housekeeping(&self, now: Instant, out: &mut Vec<LinkEvent>) {
        let orphans = lock(&self.matcher).expire(now);
        out.extend(orphans.into_iter().map(|o| LinkEvent::Report {
            report: o.report,
            matched: None,
        }));
        let stale = lock(&self.reassembler).expire(now.into_std());
        out.extend(stale.into_iter().map(LinkEvent::Mo));
    }

    /// Hands events to the consumer, waiting while its queue is full.
    pub(crate) async fn emit(&self, events: &mut Vec<LinkEvent>) {
        let mut listening = true;
        for e in events.drain(..) {
            // Nobody listening any more is no reason to stop sending messages.
            if listening && self.events.send(e).await.is_err() {
                listening = false;
            }
        }
    }
}
