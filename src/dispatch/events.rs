//! One link's events loop: what the link reports, recorded in the store.
//!
//! `Submitted` → `mark_submitted` (applying an orphan report that beat it), `Failed` →
//! `mark_failed` when the carrier refused the part, `mark_unconfirmed` when it never
//! answered any attempt, `Report` → `record_report` (kept as an orphan when no segment has
//! the id yet), `Mo` → inbox. Events are taken in bursts and recorded in order: submit
//! responses and reports are queued for the store's writer without waiting for each commit
//! (so a burst shares transactions), the next burst is queued while the previous one waits
//! for its commit (a separate settling task waits, in order), and the writer runs them in
//! the order queued, so a report never overtakes the submit response it follows.
//!
//! **Ack after commit**: a report's or MO's DELIVER is answered (its event's
//! [`Ack`](crate::link::Ack) fired) only once the store has committed it — matched,
//! duplicate or kept as an orphan; MO in the inbox. A kill at any moment therefore loses
//! no report or MO: whatever was not committed was not answered, and the gateway sends it
//! again. What was committed but not yet answered comes again too, and is not stored
//! twice: a report is a duplicate of the one its segment has, an MO message is known by its
//! DELIVER ids (`inbox_receive`). When the store fails, the ack is dropped (logged at
//! warn): the DELIVER stays unanswered and comes again.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

use super::runner::{RunnerState, lock};
use crate::link::resend::{self, Verdict};
use crate::link::{Ack, DeliveryReport, LinkEvent};
use crate::shutdown::Shutdown;
use crate::store::{
    Deferred, MoReceived, NewInbound, NewReport, ReportOutcome, ReportStatus, SegmentId,
    SubmitOutcome, now_millis,
};

impl RunnerState {
    async fn record(&self, event: LinkEvent) {
        let name = &self.config.name;
        let now = now_millis();
        match event {
            LinkEvent::Up { conn } => {
                self.up.fetch_add(1, Ordering::Relaxed);
                {
                    let mut h = lock(&self.health);
                    h.down_since = None;
                    h.refused = None;
                }
                if !lock(&self.seen_conns).insert(conn) {
                    self.metrics.reconnected();
                }
                tracing::info!(link = %name, conn, "link up");
                self.wake.notify_one();
            }
            LinkEvent::Down { conn, reason } => {
                let before = self
                    .up
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                        Some(n.saturating_sub(1))
                    })
                    .unwrap_or(0);
                if before <= 1 && !self.on_demand {
                    self.down_now();
                }
                tracing::info!(link = %name, conn, %reason, "link down");
                self.problem(super::LinkProblem::Closed { conn, reason });
            }
            LinkEvent::Unreachable { conn, reason } => {
                // The link logged it at warn already; here it becomes the link's problem
                // in words for /v1/links and `hongyan links`.
                tracing::debug!(link = %name, conn, %reason, "link unreachable");
                self.down_now();
                self.problem(super::LinkProblem::Unreachable { conn, reason });
            }
            LinkEvent::LoginRefused {
                conn,
                status,
                meaning,
            } => {
                tracing::warn!(link = %name, conn, status, meaning, "login refused by the gateway");
                self.down_now();
                lock(&self.health).refused = Some((status, meaning));
                self.problem(super::LinkProblem::LoginRefused {
                    conn,
                    status,
                    meaning,
                });
            }
            event @ (LinkEvent::Submitted { .. } | LinkEvent::Report { .. }) => {
                if let Ok(Some(q)) = self.queue(event, now).await {
                    if let Some(seg) = self.settle(q).await {
                        self.release(&[seg]);
                    }
                }
            }
            LinkEvent::Failed { id, part, reason } => {
                self.metrics.failed();
                let Some(seg) = lock(&self.inflight)
                    .remove(&(id, part))
                    .map(|at| at.segment_id)
                else {
                    tracing::warn!(link = %name, id, part, %reason, "failure for a part this run did not send");
                    return;
                };
                self.wake.notify_one();
                if let Some(writes) = reason.writes() {
                    // Every write was an attempt, also those one claim made on several
                    // connections or by resending.
                    if let Err(e) = self.store.count_writes(seg, writes).await {
                        tracing::warn!(link = %name, segment = seg, error = %e, "cannot record the attempts");
                    }
                }
                if resend::verdict(&reason) == Verdict::Unconfirmed {
                    // Sent, never answered: the carrier may have it. Like a crash, this is
                    // unconfirmed (reported, not resent), not failed — a failure invites a
                    // resend and a second copy on the handset.
                    tracing::warn!(link = %name, segment = seg, %reason, "submit unanswered; marked unconfirmed");
                    match self
                        .store
                        .mark_unconfirmed(vec![seg], reason.to_string(), now)
                        .await
                    {
                        Ok(_) => self.release(&[seg]),
                        Err(e) => {
                            tracing::warn!(link = %name, segment = seg, error = %e, "cannot record the missing answer");
                        }
                    }
                    return;
                }
                let code = reason.code();
                tracing::info!(link = %name, segment = seg, ?code, ?reason, "submit failed");
                let code = code.map_or(-1, i64::from);
                match self
                    .store
                    .mark_failed(seg, code, reason.to_string(), now)
                    .await
                {
                    Ok(_) => self.release(&[seg]),
                    Err(e) => {
                        tracing::warn!(link = %name, segment = seg, error = %e, "cannot record the failure");
                    }
                }
            }
            LinkEvent::Mo { message: mo, ack } => {
                self.metrics.mo_received();
                let text = mo
                    .text
                    .clone()
                    .unwrap_or_else(|| wire::hex::encode(&mo.payload));
                tracing::info!(link = %name, sender = %mo.sender, destination = %mo.destination, parts = mo.total, "inbound message");
                tracing::debug!(link = %name, %text, "inbound text");
                let inbound = NewInbound {
                    sender: mo.sender,
                    destination: mo.destination,
                    text,
                    coding: mo.coding.as_u8(),
                    received_at: now,
                    link: name.clone(),
                    item_id: None,
                };
                let mut ids = ack.deliver_ids();
                ids.sort_unstable();
                let stored = if ids.is_empty() {
                    self.store
                        .inbox_insert(inbound)
                        .await
                        .map(MoReceived::Stored)
                } else {
                    let key = ids
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",");
                    self.store.inbox_receive(inbound, key).await
                };
                match stored {
                    Ok(MoReceived::Stored(_)) => {
                        // Committed: now the gateway may have its answers.
                        self.metrics.mo_stored();
                        ack.answer();
                        self.changes.bump_inbox();
                    }
                    Ok(MoReceived::Resent(id)) => {
                        // Stored before a restart, never answered: answer it now.
                        tracing::info!(link = %name, inbox = id, delivers = ack.len(), "inbound message sent again by the gateway; stored already, answered");
                        ack.answer();
                    }
                    Err(e) => {
                        tracing::warn!(link = %name, error = %e, delivers = ack.len(), "cannot store an inbound message; left unanswered for the gateway to send again");
                        drop(ack);
                    }
                }
            }
            LinkEvent::Unparsed { pdu, reason } => {
                tracing::warn!(link = %name, pdu, %reason, "unreadable PDU from the gateway");
            }
        }
    }

    /// Queues the submit response of a part for the store; `None` when it names a part
    /// this run did not send, or the store is gone (both logged).
    async fn queue_submitted(
        &self,
        id: u64,
        part: u8,
        msg_id: String,
        latency: Duration,
        now: i64,
    ) -> Option<Queued> {
        let name = &self.config.name;
        self.metrics.acknowledged(latency);
        let Some(at) = lock(&self.inflight).remove(&(id, part)) else {
            tracing::warn!(link = %name, id, part, %msg_id, "submit response for a part this run did not send");
            return None;
        };
        let seg = at.segment_id;
        self.wake.notify_one();
        match self
            .store
            .mark_submitted_deferred(at, msg_id.clone(), now)
            .await
        {
            Ok(outcome) => Some(Queued::Submitted {
                seg,
                msg_id,
                outcome,
            }),
            Err(e) => {
                tracing::warn!(link = %name, segment = seg, %msg_id, error = %e, "cannot record the submit response");
                None
            }
        }
    }

    /// Queues a status report for the store; its ack goes with it, fired once committed.
    async fn queue_report(&self, report: DeliveryReport, ack: Ack, now: i64) -> Option<Queued> {
        let name = &self.config.name;
        self.metrics.reported(report.delivered);
        let status = if report.delivered {
            ReportStatus::Delivered
        } else if report.stat.eq_ignore_ascii_case("EXPIRED") {
            ReportStatus::Expired
        } else {
            ReportStatus::Failed
        };
        let msg_id = report.msg_id.to_string();
        // Kept with the report in case it matches nothing yet (an orphan); serialised from
        // a borrowed struct, as this runs once per report.
        let raw = serde_json::to_string(&RawReport {
            link: name,
            msg_id: &msg_id,
            recipient: &report.recipient,
            delivered: report.delivered,
            stat: &report.stat,
            err: report.err.as_deref(),
            meaning: report.meaning,
        })
        .ok();
        let new = NewReport {
            carrier: self.carrier.clone(),
            msg_id: msg_id.clone(),
            status,
            stat: report.stat,
            err: report.err.unwrap_or_default(),
            raw,
            link: Some(name.clone()),
            recipient: Some(report.recipient),
            submitted_at: report.submitted.map(|t| t.start_millis(now)),
        };
        match self.store.record_report_deferred(new, now).await {
            Ok(outcome) => Some(Queued::Report {
                msg_id,
                outcome,
                ack,
            }),
            Err(e) => {
                tracing::warn!(link = %name, %msg_id, error = %e, "cannot record a report; left unanswered for the gateway to send again");
                None
            }
        }
    }

    /// Waits for a queued store command and logs what it did. Returns the segment whose
    /// fate it committed, for its journal slot to be freed (with the burst's others).
    async fn settle(&self, q: Queued) -> Option<SegmentId> {
        let name = &self.config.name;
        match q {
            Queued::Submitted {
                seg,
                msg_id,
                outcome,
            } => match outcome.outcome().await {
                Ok(out) => {
                    if let Some(r) = out.matched_report {
                        tracing::info!(link = %name, segment = seg, %msg_id, stat = %r.stat, "submitted; an earlier report for it applied");
                    } else {
                        tracing::debug!(link = %name, segment = seg, %msg_id, "submitted");
                    }
                    Some(seg)
                }
                Err(e) => {
                    tracing::warn!(link = %name, segment = seg, %msg_id, error = %e, "cannot record the submit response");
                    None
                }
            },
            Queued::Report {
                msg_id,
                outcome,
                ack,
            } => match outcome.outcome().await {
                Ok(done) => {
                    // Committed (matched, a duplicate, or kept as an orphan): answer it.
                    ack.answer();
                    self.metrics.report_stored();
                    self.log_report(&msg_id, done);
                    None
                }
                Err(e) => {
                    drop(ack);
                    tracing::warn!(link = %name, %msg_id, error = %e, "cannot record a report; left unanswered for the gateway to send again");
                    None
                }
            },
        }
    }

    /// Settles a burst's commands in order, frees the journal slots of the segments whose
    /// fate they committed (one lock for the burst), and tells watchers.
    async fn settle_burst(&self, queued: Vec<Queued>) {
        let mut settled = Vec::with_capacity(queued.len());
        for q in queued {
            settled.extend(self.settle(q).await);
        }
        self.release(&settled);
        self.changes.bump();
    }

    /// Logs what the store did with a report.
    fn log_report(&self, msg_id: &str, done: ReportOutcome) {
        let name = &self.config.name;
        match done {
            ReportOutcome::Matched {
                segment_id,
                recipient_state,
                ..
            } => {
                tracing::debug!(link = %name, segment = segment_id, %msg_id, state = %recipient_state, "report recorded");
            }
            ReportOutcome::Duplicate { segment_id } => {
                tracing::debug!(link = %name, segment = segment_id, %msg_id, "repeated report ignored");
            }
            ReportOutcome::Orphaned { orphan_id } => {
                tracing::info!(link = %name, orphan = orphan_id, %msg_id, "report for no known message yet; kept until its submit response is recorded");
            }
        }
    }

    /// A submit response or a report as a store command (`None`: nothing to store,
    /// logged); any other event comes back as `Err` for [`record`](Self::record).
    async fn queue(&self, event: LinkEvent, now: i64) -> Result<Option<Queued>, LinkEvent> {
        match event {
            LinkEvent::Submitted {
                id,
                part,
                msg_id,
                latency,
            } => Ok(self
                .queue_submitted(id, part, msg_id.to_string(), latency, now)
                .await),
            LinkEvent::Report { report, ack, .. } => Ok(self.queue_report(report, ack, now).await),
            other => Err(other),
        }
    }

    /// Records a burst of events in order. Submit responses and reports — nearly all
    /// of the traffic — are queued for the store without waiting for each commit, so a
    /// burst shares the writer's transactions; the writer runs commands in the order
    /// they were queued, so a report still never overtakes its submit response.
    /// Queues a burst's submit responses and reports for the writer (recording the other
    /// events on the way) and returns their commands, in order, for [`settle_loop`].
    async fn queue_burst(&self, events: &mut Vec<LinkEvent>) -> Vec<Queued> {
        let now = now_millis();
        let mut queued = Vec::with_capacity(events.len());
        for event in events.drain(..) {
            match self.queue(event, now).await {
                Ok(Some(q)) => queued.push(q),
                Ok(None) => {}
                Err(other) => self.record(other).await,
            }
        }
        queued
    }
}

/// A report as the link gave it, for `orphan_reports.raw`.
#[derive(Serialize)]
struct RawReport<'a> {
    link: &'a str,
    msg_id: &'a str,
    recipient: &'a str,
    delivered: bool,
    stat: &'a str,
    err: Option<&'a str>,
    meaning: &'a str,
}

/// A store command queued for an event, with what its outcome is logged against.
#[derive(Debug)]
enum Queued {
    Submitted {
        seg: SegmentId,
        msg_id: String,
        outcome: Deferred<SubmitOutcome>,
    },
    Report {
        msg_id: String,
        outcome: Deferred<ReportOutcome>,
        /// Fired once the report is committed.
        ack: Ack,
    },
}

/// Most events taken from the link in one go.
const EVENT_BURST: usize = 1024;

/// Bursts queued for the writer and not yet settled. More than one, so that the next
/// burst's commands reach the writer while the previous burst waits for its commit: with
/// one, the writer sat idle for a reply's round trip after every commit of a busy link.
const BURSTS_IN_FLIGHT: usize = 2;

/// Takes the link's events in bursts and queues their store commands; the bursts'
/// outcomes are waited for (and reports answered) by [`settle_loop`], in order. Returns
/// once the link's event channel is closed (or, after `drain`, empty) and every queued
/// burst is settled.
pub(super) async fn events_loop(
    sh: Arc<RunnerState>,
    mut rx: mpsc::Receiver<LinkEvent>,
    drain: Shutdown,
) {
    let (to_settle, settling) = mpsc::channel(BURSTS_IN_FLIGHT);
    let settler = tokio::spawn(settle_loop(Arc::clone(&sh), settling));
    let mut burst = Vec::with_capacity(EVENT_BURST);
    'events: loop {
        tokio::select! {
            biased;
            n = rx.recv_many(&mut burst, EVENT_BURST) => {
                if n == 0 {
                    break 'events;
                }
                hand_over(&sh, &to_settle, &mut burst).await;
            }
            () = drain.triggered() => {
                loop {
                    while burst.len() < EVENT_BURST {
                        match rx.try_recv() {
                            Ok(e) => burst.push(e),
                            Err(_) => break,
                        }
                    }
                    if burst.is_empty() {
                        break 'events;
                    }
                    hand_over(&sh, &to_settle, &mut burst).await;
                }
            }
        }
    }
    drop(to_settle);
    if let Err(e) = settler.await {
        tracing::error!(link = %sh.config.name, error = %e, "the settling task failed");
    }
}

/// Queues one burst and passes its commands to the settling task (settling them here if
/// that task is gone).
async fn hand_over(
    sh: &RunnerState,
    to_settle: &mpsc::Sender<Vec<Queued>>,
    burst: &mut Vec<LinkEvent>,
) {
    let queued = sh.queue_burst(burst).await;
    if let Err(mpsc::error::SendError(queued)) = to_settle.send(queued).await {
        sh.settle_burst(queued).await;
    }
}

/// Waits for each queued burst's commands in the order they were queued, answers the
/// reports' DELIVERs once committed, and tells watchers the store changed.
async fn settle_loop(sh: Arc<RunnerState>, mut bursts: mpsc::Receiver<Vec<Queued>>) {
    while let Some(queued) = bursts.recv().await {
        sh.settle_burst(queued).await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    //! Ack after commit, against a real store: an event's DELIVER is answered once its
    //! store command has committed, and not at all when the store fails.

    use bytes::Bytes;
    use tokio::time::timeout;
    use wire::coding::Coding;
    use wire::reassembly::MoMessage;

    use super::*;
    use crate::config;
    use crate::dispatch::{Changes, LinkRunner};
    use crate::link::{CarrierMsgId, LinkDriver};
    use crate::route::Carrier;
    use crate::store::StoreHandle;
    use crate::store::testutil::TempDb;
    use std::sync::Arc;
    use tokio::sync::Notify;

    const LIMIT: Duration = Duration::from_secs(20);

    /// A runner for the default China Mobile link over `store`, fed the events the test
    /// sends instead of its link's (which never reaches a gateway).
    async fn runner(store: &StoreHandle) -> (LinkRunner, mpsc::Sender<LinkEvent>) {
        let (runner, tx, _unused) = runner_at(store, "127.0.0.1:1").await;
        (runner, tx)
    }

    /// [`runner`] with its link pointed at `address`; the link's own events come back for
    /// the test to pass on.
    async fn runner_at(
        store: &StoreHandle,
        address: &str,
    ) -> (
        LinkRunner,
        mpsc::Sender<LinkEvent>,
        mpsc::Receiver<LinkEvent>,
    ) {
        let c = config::Config::embedded_default().unwrap();
        let mut link = c
            .links
            .into_iter()
            .find(|l| l.carrier() == Carrier::Mobile)
            .unwrap();
        link.simulated = false;
        let (handle, link_events) = LinkDriver::start(
            super::super::link_config(&link, address.into()),
            Shutdown::new(),
        )
        .await
        .unwrap();
        let (tx, rx) = mpsc::channel(16);
        let runner = LinkRunner::start(
            link,
            handle,
            rx,
            store.clone(),
            Arc::new(Notify::new()),
            Changes::default(),
            Shutdown::new(),
        );
        (runner, tx, link_events)
    }

    fn report(msg_id: u64) -> DeliveryReport {
        DeliveryReport {
            msg_id: CarrierMsgId::Cmpp(msg_id),
            recipient: "13800138000".into(),
            delivered: true,
            stat: "DELIVRD".into(),
            err: None,
            meaning: "delivered",
            submitted: None,
        }
    }

    fn mo(text: &str) -> MoMessage {
        MoMessage {
            sender: "13800138000".into(),
            destination: "1069001".into(),
            coding: Coding::Ascii,
            text: Some(text.into()),
            payload: text.as_bytes().to_vec(),
            reference: None,
            total: 1,
            received: vec![1],
            missing: Vec::new(),
            elements: Vec::new(),
            note: None,
        }
    }

    async fn reply(rx: &mut mpsc::UnboundedReceiver<Option<Bytes>>) -> Option<Bytes> {
        timeout(LIMIT, rx.recv())
            .await
            .expect("no reply in time")
            .expect("the reply queue closed without a reply")
    }

    /// Sends an MO event carrying `ack` and waits for the answer its DELIVER gets.
    async fn mo_answer(
        events: &mpsc::Sender<LinkEvent>,
        text: &str,
        (ack, mut replies): (Ack, mpsc::UnboundedReceiver<Option<Bytes>>),
    ) -> Option<Bytes> {
        events
            .send(LinkEvent::Mo {
                message: mo(text),
                ack,
            })
            .await
            .unwrap();
        reply(&mut replies).await
    }

    /// A link pointed at a closed port has that as its problem, in words, for /v1/links
    /// and `hongyan links`; so has a refused login, with the code and its meaning.
    #[tokio::test]
    async fn a_link_that_cannot_connect_or_log_in_has_that_as_its_problem() {
        let db = TempDb::new("unreachable");
        let store = db.handle();
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let (runner, events, mut link_events) = runner_at(&store, &addr.to_string()).await;
        // The link's own first event: it cannot connect.
        let first = timeout(LIMIT, link_events.recv()).await.unwrap().unwrap();
        assert!(
            matches!(first, LinkEvent::Unreachable { conn: 0, .. }),
            "{first:?}"
        );
        events.send(first).await.unwrap();
        // Events are recorded in order: once the MO behind it is answered, it was seen.
        mo_answer(&events, "after", Ack::detached(b"mo answer")).await;
        let problem = runner.monitor().view().last_problem;
        assert_eq!(
            problem,
            Some(format!("connection 0: connection refused ({addr})"))
        );
        // The same, as a type: what the console says in the viewer's language.
        assert!(
            matches!(
                runner.monitor().problem(),
                Some(super::super::LinkProblem::Unreachable {
                    conn: 0,
                    reason: crate::link::Unreachable::Connect(
                        crate::link::ConnectError::Refused { .. }
                    ),
                })
            ),
            "{:?}",
            runner.monitor().problem()
        );

        let status = 3;
        let meaning = ::cmpp::status::connect_status_meaning(status);
        events
            .send(LinkEvent::LoginRefused {
                conn: 0,
                status,
                meaning,
            })
            .await
            .unwrap();
        mo_answer(&events, "after", Ack::detached(b"mo answer")).await;
        let problem = runner.monitor().view().last_problem;
        assert_eq!(problem, Some(format!("login refused: 3 {meaning}")));
        assert_eq!(
            runner.monitor().problem(),
            Some(super::super::LinkProblem::LoginRefused {
                conn: 0,
                status: 3,
                meaning
            })
        );
        assert!(!meaning.is_empty());
        drop(events);
        runner.shutdown().await;
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_report_and_an_mo_are_answered_once_committed() {
        let db = TempDb::new("ack-commit");
        let store = db.handle();
        let (runner, events) = runner(&store).await;

        // A report for no known message: kept as an orphan, then answered.
        let (ack, mut replies) = Ack::detached(b"report answer");
        events
            .send(LinkEvent::Report {
                report: report(4242),
                matched: None,
                ack,
            })
            .await
            .unwrap();
        assert_eq!(
            reply(&mut replies).await.as_deref(),
            Some(&b"report answer"[..])
        );
        // The answer came after the commit: the orphan is there already.
        let orphans = store.orphan_reports(10).await.unwrap();
        assert_eq!(orphans.len(), 1);
        assert_eq!(orphans[0].msg_id, "4242");

        assert_eq!(
            mo_answer(&events, "TD", Ack::detached(b"mo answer"))
                .await
                .as_deref(),
            Some(&b"mo answer"[..])
        );
        let inbox = store.inbox_list(false, 10).await.unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].message.text, "TD");

        drop(events);
        runner.shutdown().await;
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn an_mo_the_gateway_sends_again_after_a_restart_is_answered_not_stored_twice() {
        let db = TempDb::new("ack-mo-resend");
        let store = db.handle();
        let (runner, events) = runner(&store).await;
        let id = CarrierMsgId::Cmpp(0x0123_4567_89ab_cdef);
        // Each copy comes on a new book, as after a restart (the first copy was stored
        // and the process stopped before answering it).
        for round in 0..2 {
            let ack = Ack::detached_deliver(b"mo answer", id);
            assert_eq!(
                mo_answer(&events, "同意", ack).await.as_deref(),
                Some(&b"mo answer"[..]),
                "copy {round} answered"
            );
        }
        let inbox = store.inbox_list(false, 10).await.unwrap();
        assert_eq!(inbox.len(), 1, "{inbox:?}");
        assert_eq!(inbox[0].message.text, "同意");
        // Another message under another id is stored.
        let ack = Ack::detached_deliver(b"mo answer", CarrierMsgId::Cmpp(7));
        mo_answer(&events, "同意", ack).await;
        assert_eq!(store.inbox_list(false, 10).await.unwrap().len(), 2);

        drop(events);
        runner.shutdown().await;
        store.close().await.unwrap();
    }

    /// The link's report for a segment whose submit response was lost (unconfirmed, no
    /// message id) reaches the store with the link, the number and the gateway's submit
    /// minute, and settles the segment.
    #[tokio::test]
    async fn a_report_for_an_unconfirmed_segment_settles_it() {
        use crate::link::ReportTime;
        use crate::store::{ClaimRequest, DeliveryState, testutil::one};
        let db = TempDb::new("unconfirmed-report");
        let store = db.handle();
        let (runner, events) = runner(&store).await;
        let link = runner.monitor().view().name;
        let mut job = one("13800000001");
        job.recipients[0].carrier = Carrier::Mobile.name().to_owned();
        let now = now_millis();
        let job_id = store.enqueue(job, now).await.unwrap().job_id;
        let req = ClaimRequest {
            carrier: Carrier::Mobile.name().to_owned(),
            link: link.clone(),
            connection: 0,
            max_segments: 10,
        };
        let claimed = store.claim(req, now).await.unwrap();
        let seg = claimed[0].segments[0].segment_id;
        store
            .mark_unconfirmed(vec![seg], "hongyan stopped".into(), now)
            .await
            .unwrap();
        // The gateway's Submit_time: the minute of the claim, China time.
        let t = crate::clock::ChinaTime::from_unix(now / 1000);
        let submitted = ReportTime::from_yymmddhhmm(t.yymmddhhmm().as_bytes());
        assert!(submitted.is_some());
        let (ack, mut replies) = Ack::detached(b"report answer");
        let mut r = report(0x0123_4567);
        r.recipient = "13800000001".into();
        r.submitted = submitted;
        events
            .send(LinkEvent::Report {
                report: r,
                matched: None,
                ack,
            })
            .await
            .unwrap();
        assert!(reply(&mut replies).await.is_some(), "answered once stored");
        let st = store.job_status(job_id).await.unwrap().unwrap();
        assert_eq!(st.recipients[0].segments[0].state, DeliveryState::Delivered);
        assert!(store.orphan_reports(10).await.unwrap().is_empty());
        drop(events);
        runner.shutdown().await;
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn nothing_is_answered_when_the_store_fails() {
        let db = TempDb::new("ack-failure");
        let store = db.handle();
        let (runner, events) = runner(&store).await;
        // The store goes away: every command fails from now on.
        store.close().await.unwrap();

        let (ack, mut report_replies) = Ack::detached(b"report answer");
        events
            .send(LinkEvent::Report {
                report: report(4242),
                matched: None,
                ack,
            })
            .await
            .unwrap();
        let (ack, mut mo_replies) = Ack::detached(b"mo answer");
        events
            .send(LinkEvent::Mo {
                message: mo("TD"),
                ack,
            })
            .await
            .unwrap();
        // Given up (None), not answered: the gateway sends them again.
        assert_eq!(reply(&mut report_replies).await, None);
        assert_eq!(reply(&mut mo_replies).await, None);

        drop(events);
        runner.shutdown().await;
    }
}
