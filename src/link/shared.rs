//! State shared by every connection of one account (and the SGIP listener): the intake
//! queue, the retry queue, the rate limiter, report matching, MO reassembly and the ack
//! book (answers held back until the consumer has stored what a DELIVER carried, and
//! repeat detection). Every lock here is a short, synchronous critical section — never
//! held across an `.await`; the ack book's lock is never held while taking another.

use std::collections::VecDeque;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use wire::reassembly::{MoPart, Reassembler};

use super::ack::{Ack, Answer, Arrival, Book, RepeatKey};
use super::config::LinkConfig;
use super::event::LinkEvent;
use super::failure::ConnectionLoss;
use super::message::{
    CarrierMsgId, DeliveryReport, OutboundMessage, SubmitKey, national, normalised,
};
use super::rate::{RateConfig, RateLimiter};
use super::reports::{MatchOutcome, ReportMatcher};
use crate::shutdown::Shutdown;

/// What makes a report the same report: its msg id, recipient and status.
fn report_key(r: &DeliveryReport) -> u64 {
    let mut h = DefaultHasher::new();
    r.msg_id.hash(&mut h);
    national(&r.recipient).hash(&mut h);
    r.stat.hash(&mut h);
    r.err.hash(&mut h);
    h.finish()
}

/// What makes an MO part the same part, besides the id of the DELIVER that carried it:
/// who sent it, to which number, and what it says. A DELIVER id alone is not unique — an
/// SGIP gateway numbers each connection from node 0 with a counter restarting at 1.
fn mo_content_key(part: &MoPart) -> u64 {
    let mut h = DefaultHasher::new();
    national(&part.sender).hash(&mut h);
    part.destination.trim().hash(&mut h);
    part.coding.hash(&mut h);
    part.content.hash(&mut h);
    h.finish()
}

/// Locks a mutex, taking over the data if another thread panicked while holding it (the
/// data is plain bookkeeping that stays consistent between statements).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A report with the ack of the DELIVER it came in, as the matcher holds it.
pub(crate) type Incoming = (DeliveryReport, Ack);

pub(crate) type Matcher = ReportMatcher<CarrierMsgId, SubmitKey, Incoming>;

/// Counters for [`LinkHandle::status`](super::LinkHandle::status).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub up: AtomicUsize,
    /// Bytes the most recent flush of any connection could not write.
    pub unsent: AtomicUsize,
    /// Submit responses with the flow-control code (the part went again, more slowly).
    pub throttled: std::sync::atomic::AtomicU64,
}

pub(crate) struct AccountState {
    pub config: LinkConfig,
    pub events: mpsc::Sender<LinkEvent>,
    pub intake: tokio::sync::Mutex<mpsc::Receiver<OutboundMessage>>,
    /// Messages handed back by a closed connection, sent before new ones.
    pub retry: Mutex<VecDeque<OutboundMessage>>,
    /// Bumped whenever `retry` gets work, to wake idle connections.
    pub retry_signal: watch::Sender<u64>,
    /// Triggered when the link is to close (its handle's `shutdown`, dropped, or the
    /// owner's signal).
    pub shutdown: Shutdown,
    pub rate: Option<Mutex<RateLimiter>>,
    pub matcher: Mutex<Matcher>,
    /// MO parts being joined, each with the ack of its DELIVER.
    pub reassembler: Mutex<Reassembler<Ack>>,
    /// DELIVERs handed on and not yet answered, and the repeat keys of those answered.
    pub acks: Arc<Book>,
    pub counters: Counters,
    /// Why the most recent connection was lost, for the reason a part fails with when it
    /// has been written `max_attempts` times without an answer.
    pub last_loss: Mutex<Option<ConnectionLoss>>,
}

impl AccountState {
    pub(crate) fn new(
        config: LinkConfig,
        events: mpsc::Sender<LinkEvent>,
        intake: mpsc::Receiver<OutboundMessage>,
        shutdown: Shutdown,
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
            reassembler: Mutex::new(Reassembler::tagged(config.reassembly)),
            acks: Book::new(),
            counters: Counters::default(),
            last_loss: Mutex::new(None),
            config,
        })
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutdown.is_triggered()
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

    /// The repeat key of an MO part: its DELIVER id with its content; none for ids that
    /// are only placeholders (all zero), which cannot tell one DELIVER from another.
    fn deliver_key(deliver_id: Option<CarrierMsgId>, part: &MoPart) -> Option<RepeatKey> {
        match deliver_id {
            None | Some(CarrierMsgId::Cmpp(0)) => None,
            Some(CarrierMsgId::Smgp(bytes)) if bytes == [0; 10] => None,
            Some(id) => Some(RepeatKey::Deliver(id, mo_content_key(part))),
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
            let (report, ack) = m.report;
            out.push(LinkEvent::Report {
                matched: Some(m.key.resolve(&report)),
                report,
                ack,
            });
        }
    }

    /// A status report arrived, with the answer to its DELIVER (held back until the
    /// consumer has stored the report). Repeats are recognised by content, not by the id
    /// of the DELIVER that carried them: a gateway repeats a report whose answer it did
    /// not see under a new DELIVER id.
    pub(crate) fn on_report(
        &self,
        mut report: DeliveryReport,
        answer: Option<Answer>,
        now: Instant,
        out: &mut Vec<LinkEvent>,
    ) {
        // One form for every protocol (SGIP's UserNumber carries the 86).
        report.recipient = normalised(&report.recipient);
        let key = RepeatKey::Report(report_key(&report));
        let ack = match self.acks.arrive(Some(key), answer) {
            Arrival::New(ack) => ack,
            Arrival::Waiting => {
                tracing::debug!(link = %self.config.name, msg_id = %report.msg_id, "repeated status report; answered once the first copy is stored");
                return;
            }
            Arrival::Answered => {
                tracing::debug!(link = %self.config.name, msg_id = %report.msg_id, "repeated status report answered (already stored)");
                return;
            }
        };
        let outcome = lock(&self.matcher).report(report.msg_id, (report, ack), now);
        match outcome {
            MatchOutcome::Matched(m) => {
                let (report, ack) = m.report;
                out.push(LinkEvent::Report {
                    matched: Some(m.key.resolve(&report)),
                    report,
                    ack,
                });
            }
            MatchOutcome::Held { evicted } => {
                if let Some(o) = evicted {
                    let (report, ack) = o.report;
                    out.push(LinkEvent::Report {
                        report,
                        matched: None,
                        ack,
                    });
                }
            }
        }
    }

    /// One MO part arrived, with the answer to its DELIVER: held back until the message
    /// it belongs to is stored (for a long message, until all its parts are in or the
    /// reassembly timeout hands it over incomplete).
    pub(crate) fn on_mo(
        &self,
        deliver_id: Option<CarrierMsgId>,
        mut part: MoPart,
        answer: Option<Answer>,
        now: Instant,
        out: &mut Vec<LinkEvent>,
    ) {
        // One form for every protocol: SGIP's UserNumber carries the 86, and the inbox,
        // the reply router and webhooks compare senders with numbers stored without it.
        part.sender = normalised(&part.sender);
        let ack = match self
            .acks
            .arrive(Self::deliver_key(deliver_id, &part), answer)
        {
            Arrival::New(ack) => ack,
            Arrival::Waiting => {
                tracing::debug!(link = %self.config.name, "repeated MO DELIVER; answered once the first copy is stored");
                return;
            }
            Arrival::Answered => {
                tracing::debug!(link = %self.config.name, "repeated MO DELIVER answered (already stored)");
                return;
            }
        };
        let pushed = lock(&self.reassembler).push_tagged(part, ack, now.into_std());
        if let Some(late) = pushed.dropped {
            // A byte-identical copy, under a new DELIVER id, of a part whose message has
            // been handed on already: nothing of it is new, and that message's own DELIVERs
            // are answered only once it is stored.
            tracing::debug!(link = %self.config.name, "late copy of an MO part dropped and answered");
            late.answer();
        }
        out.extend(pushed.ready.into_iter().map(mo_event));
    }

    /// Held reports past their age and MO sets past their timeout.
    pub(crate) fn housekeeping(&self, now: Instant, out: &mut Vec<LinkEvent>) {
        let orphans = lock(&self.matcher).expire(now);
        out.extend(orphans.into_iter().map(|o| {
            let (report, ack) = o.report;
            LinkEvent::Report {
                report,
                matched: None,
                ack,
            }
        }));
        let stale = lock(&self.reassembler).expire_tagged(now.into_std());
        out.extend(stale.into_iter().map(mo_event));
    }

    /// Hands events to the consumer, waiting while its queue is full.
    pub(crate) async fn emit(&self, events: &mut Vec<LinkEvent>) {
        let mut listening = true;
        for e in events.drain(..) {
            // Nobody listening any more is no reason to stop sending messages. (An event
            // nobody takes drops its ack: its DELIVERs stay unanswered and come again.)
            if listening && self.events.send(e).await.is_err() {
                listening = false;
            }
        }
    }
}

/// A reassembled (or timed-out) MO message as an event, answering all its parts.
fn mo_event(t: wire::reassembly::Tagged<Ack>) -> LinkEvent {
    LinkEvent::Mo {
        message: t.message,
        ack: Ack::join(t.tags),
    }
}
