//! One logged-in connection: the `select!` loop that reads, writes, takes messages and
//! keeps time.
//!
//! The socket is never split into a blocking reader and writer. Outbound PDUs are encoded
//! into `out` and written with non-blocking `try_write` once per loop turn; what the
//! kernel does not take stays in `out` and a `writable()` branch waits for room. The
//! `readable()` branch is always armed, so a gateway that stops reading (both socket
//! buffers full) still has its DELIVERs read and answered — the answers queue in `out`.
//! New messages stop being taken while `out` holds more than [`HIGH_WATER`] bytes; past
//! [`MAX_BACKLOG`] the gateway is taken to be dead and the connection is dropped.
//!
//! A DELIVER carrying a report or an MO part is answered only once the consumer has
//! stored it (`ack.rs`): its encoded answer travels with the event, and comes back on this
//! connection's reply queue when the consumer calls [`Ack::answer`](super::Ack::answer).
//! Replies are appended to `out` like any other PDU, so they go out in the next burst;
//! waiting for them never holds up reading, sending or the keep-alive.
//!
//! Per turn: take messages (retry queue first, then the intake queue) while the window
//! has room; write the parts the window and the rate allow; take the replies that came;
//! flush; hand events to the consumer; then wait for the first of: readable, writable
//! (only with a backlog), a reply, a new message (only with room), the next deadline,
//! shutdown.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};
use wire::DecodeError;

use super::ack::{Answer, Replies, Reply};
use super::event::LinkEvent;
use super::failure::{ConnectionLoss, FailReason, IoFailure, LoginError, SessionEnd};
use super::idle::IdleTimer;
use super::keepalive::{KeepAlive, KeepAliveAction};
use super::message::OutboundMessage;
use super::protocol::{
    BadFrame, Classified, Frame, Inbound, LoginOutcome, ProtocolAdapter, SubmitAnswer,
};
use super::resend;
use super::sequence::SequenceIds;
use super::shared::{AccountState, lock};
use super::undecodable::BadFrames;
use super::window::{Expired, Window};
use super::written::{self, Pending};
use crate::shutdown::Shutdown;

/// Unsent bytes above which no new message is taken.
pub(crate) const HIGH_WATER: usize = 1 << 20;
/// Unsent bytes above which the gateway is taken to have stopped reading for good.
pub(crate) const MAX_BACKLOG: usize = 64 << 20;
/// Most bytes read per turn before the other branches get a look in.
const READ_PER_TURN: usize = 256 << 10;
/// How long to wait for the answer to our close request once it is sent.
const CLOSE_ANSWER_WAIT: Duration = Duration::from_secs(2);
/// Most replies taken off the reply queue in one go.
const REPLIES_PER_TURN: usize = 4096;

/// A part on the wire, kept until its response for resending or requeueing.
#[derive(Debug)]
struct InFlight {
    msg: Arc<OutboundMessage>,
    /// Index into `msg.parts`.
    index: usize,
    /// The encoded PDU, resent byte for byte (same sequence id) on a timeout.
    wire: Bytes,
    first_sent: Instant,
    /// Why the last answer to it could not be decoded, if one could not: it is resent on
    /// its timeout as if unanswered, and when its writes are used up it fails with this
    /// reason instead of staying unconfirmed (the gateway answered; nothing readable).
    unreadable: Option<DecodeError>,
}

/// Whether the close in progress is a shutdown or an idle Unbind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CloseKind {
    Shutdown,
    Idle,
}

#[derive(Debug)]
struct Closing {
    kind: CloseKind,
    /// Until when in-flight responses are awaited.
    deadline: Instant,
    /// When the close request went out, and until when its answer is awaited.
    sent: Option<Instant>,
}

pub(crate) struct Session<P: ProtocolAdapter> {
    proto: Arc<P>,
    shared: Arc<AccountState>,
    conn: usize,
    stream: TcpStream,
    codec: P::Codec,
    inbuf: BytesMut,
    out: BytesMut,
    scratch: BytesMut,
    seqs: SequenceIds,
    window: Window<InFlight>,
    /// Parts taken from the queue and not yet written (waiting for window or rate).
    sending: VecDeque<(Arc<OutboundMessage>, usize)>,
    keepalive: Option<KeepAlive>,
    idle: Option<IdleTimer>,
    /// No part goes out before this (flow control without a rate limiter).
    paused_until: Option<Instant>,
    closing: Option<Closing>,
    events: Vec<LinkEvent>,
    shutdown: Shutdown,
    retry_signal: watch::Receiver<u64>,
    /// Given to each held-back answer; the consumer's [`Ack`](super::Ack) sends on it.
    replies_tx: Replies,
    replies: mpsc::UnboundedReceiver<Reply>,
    reply_buf: Vec<Reply>,
    /// DELIVERs handed on whose reply has not come back yet.
    unanswered: usize,
    /// The parts encoded into `out` whose last byte has not reached the socket yet, in
    /// the order of their bytes, for the owner's [`WriteHook`](super::WriteHook).
    writing: VecDeque<Pending>,
    /// Scratch for the tags handed to the hook.
    tags: Vec<u64>,
    /// Bytes of `out` handed to the socket since the connection opened: where `out[0]`
    /// stands in the connection's byte stream.
    out_written: u64,
    /// Frames that did not decode on this connection (how loudly each is logged).
    bad_frames: BadFrames,
}

/// A part number with how many times the part has been written.
type Written = (u8, u32);

fn lost(loss: ConnectionLoss) -> SessionEnd {
    SessionEnd::Lost(loss)
}

impl<P: ProtocolAdapter> Session<P> {
    pub(crate) fn new(
        proto: Arc<P>,
        shared: Arc<AccountState>,
        conn: usize,
        stream: TcpStream,
        first_seq: u32,
    ) -> Self {
        let zero = proto.zero_id();
        let window = Window::new(shared.config.window);
        let shutdown = shared.shutdown.clone();
        let retry_signal = shared.retry_signal.subscribe();
        let (replies_tx, replies) = mpsc::unbounded_channel();
        Self {
            codec: proto.codec(),
            proto,
            conn,
            stream,
            inbuf: BytesMut::with_capacity(64 << 10),
            out: BytesMut::with_capacity(64 << 10),
            scratch: BytesMut::with_capacity(64 << 10),
            seqs: SequenceIds::starting_at(first_seq, zero),
            window,
            sending: VecDeque::new(),
            keepalive: None,
            idle: None,
            paused_until: None,
            closing: None,
            events: Vec::new(),
            shutdown,
            retry_signal,
            replies_tx,
            replies,
            reply_buf: Vec::new(),
            unanswered: 0,
            writing: VecDeque::new(),
            tags: Vec::new(),
            out_written: 0,
            bad_frames: BadFrames::new(),
            shared,
        }
    }

    fn next_seq(&mut self) -> u32 {
        let window = &self.window;
        self.seqs
            .next_free(|s| window.contains(s))
            .unwrap_or_else(|_| self.seqs.peek())
    }

    /// Sends the login request and waits for its answer.
    pub(crate) async fn login(&mut self) -> Result<(), LoginError> {
        let seq = self.next_seq();
        let config = &self.shared.config;
        let login = self
            .proto
            .login(seq, &config.account, &config.secret)
            .map_err(LoginError::Build)?;
        self.proto
            .encode(&login, &mut self.out)
            .map_err(LoginError::Encode)?;
        let timeout = config.login_timeout;
        let deadline = Instant::now() + timeout;
        let out = self.out.split();
        tokio::time::timeout_at(deadline, self.stream.write_all(&out))
            .await
            .map_err(|_| LoginError::WriteTimedOut)?
            .map_err(|e| LoginError::Write(IoFailure::from(&e)))?;
        loop {
            while let Some(frame) = self
                .proto
                .next_frame(&mut self.codec, &mut self.inbuf)
                .map_err(|e| LoginError::Lost(ConnectionLoss::Malformed(e)))?
            {
                let pdu = match frame {
                    Frame::Pdu(pdu) => pdu,
                    Frame::Undecodable(bad) if bad.response => {
                        // The only answer expected now is the login's.
                        self.log_bad_frame(&bad);
                        return Err(LoginError::MalformedAnswer(bad.error));
                    }
                    Frame::Undecodable(bad) => {
                        self.on_bad_frame(bad);
                        continue;
                    }
                };
                if let Some(outcome) = self.proto.login_response(&pdu) {
                    return match outcome {
                        LoginOutcome::Accepted => {
                            let config = &self.shared.config;
                            if self.proto.gateway_proven(&login, &pdu, &config.secret)
                                == Some(false)
                            {
                                // Most gateways' proofs match one of the known forms; one
                                // that matches none is misconfigured or not the carrier's.
                                // Not a reason to refuse service: the login was accepted.
                                tracing::warn!(
                                    link = %config.name,
                                    conn = self.conn,
                                    "login accepted, but the gateway's authenticator does not \
                                     match the shared secret in any known form"
                                );
                            }
                            let now = Instant::now();
                            if self.proto.probe(0).is_some() {
                                self.keepalive =
                                    Some(KeepAlive::new(self.shared.config.keepalive, now));
                            } else {
                                self.idle =
                                    Some(IdleTimer::new(self.shared.config.idle_unbind, now));
                            }
                            Ok(())
                        }
                        LoginOutcome::Refused { status, meaning } => {
                            Err(LoginError::Refused { status, meaning })
                        }
                    };
                }
                // Anything else before the login answer: a report or MO is handed on (and
                // answered once stored) like any other; the rest answered if it wants it.
                let Classified { inbound, answer } = self.proto.classify(pdu);
                if let Some((_, Some(a))) = self.hand_on(inbound, answer, Instant::now()) {
                    let _ = self.proto.encode(&a, &mut self.out);
                }
            }
            let read = tokio::time::timeout_at(deadline, self.read_some()).await;
            match read {
                Err(_) => return Err(LoginError::NoAnswer),
                Ok(Err(loss)) => return Err(LoginError::Lost(loss)),
                Ok(Ok(())) => {}
            }
        }
    }

    async fn read_some(&mut self) -> Result<(), ConnectionLoss> {
        use tokio::io::AsyncReadExt;
        self.inbuf.reserve(4096);
        match self.stream.read_buf(&mut self.inbuf).await {
            Ok(0) => Err(ConnectionLoss::Closed),
            Ok(_) => Ok(()),
            Err(e) => Err(ConnectionLoss::Read(IoFailure::from(&e))),
        }
    }

    /// Runs the session until it ends; unacknowledged parts go back to the retry queue.
    pub(crate) async fn run(mut self) -> SessionEnd {
        let end = self.drive().await;
        let (responses, requests) = self.bad_frames.counts();
        if responses + requests > 0 {
            tracing::info!(link = %self.shared.config.name, conn = self.conn, responses, requests, "undecodable frames on this connection");
        }
        if let SessionEnd::Lost(why) = &end {
            // Before the parts go back: the next connection may give one up at once.
            *lock(&self.shared.last_loss) = Some(why.clone());
        }
        // Best effort: answers still buffered (e.g. TERMINATE_RESP) go out.
        let _ = self.flush();
        let back = self.leftovers();
        let parts: usize = back.iter().map(|m| m.parts.len()).sum();
        if parts > 0 {
            tracing::info!(link = %self.shared.config.name, conn = self.conn, parts, "requeueing unacknowledged parts");
        }
        self.shared.requeue(back);
        let mut events = std::mem::take(&mut self.events);
        self.shared.emit(&mut events).await;
        end
    }

    async fn drive(&mut self) -> SessionEnd {
        let far = Instant::now() + Duration::from_secs(86_400 * 365);
        let timer = sleep_until(far);
        tokio::pin!(timer);
        let shared = Arc::clone(&self.shared);
        // What came in the same read as the login answer: no readable() wakes for it.
        if let Err(end) = self.decode_buffered(Instant::now()) {
            return end;
        }
        loop {
            let now = Instant::now();
            self.fill(now);
            self.take_replies();
            if let Some(end) = self.check_close(now) {
                return end;
            }
            if let Err(end) = self.flush() {
                return end;
            }
            if !self.events.is_empty() {
                let mut events = std::mem::take(&mut self.events);
                shared.emit(&mut events).await;
                self.events = events;
            }
            let wake = self.next_wake(now).unwrap_or(far);
            if timer.deadline() != wake {
                timer.as_mut().reset(wake);
            }
            let can_take = self.can_take();
            let closing = self.closing.is_some();
            tokio::select! {
                biased;
                r = self.stream.readable() => {
                    if let Err(e) = r {
                        return lost(ConnectionLoss::Read(IoFailure::from(&e)));
                    }
                    if let Err(end) = self.read(Instant::now()) {
                        return end;
                    }
                }
                r = self.stream.writable(), if !self.out.is_empty() => {
                    if let Err(e) = r {
                        return lost(ConnectionLoss::Write(IoFailure::from(&e)));
                    }
                }
                // Never closed: the session holds a sender itself.
                _ = self.replies.recv_many(&mut self.reply_buf, REPLIES_PER_TURN) => {
                    self.on_replies();
                }
                m = async { shared.intake.lock().await.recv().await }, if can_take => {
                    match m {
                        Some(m) => self.accept(m),
                        None => self.start_close(CloseKind::Shutdown, Instant::now()),
                    }
                }
                _ = self.retry_signal.changed(), if can_take => {}
                () = self.shutdown.triggered(), if !closing => {
                    self.start_close(CloseKind::Shutdown, Instant::now());
                }
                () = &mut timer => {
                    if let Err(end) = self.on_timer(Instant::now()) {
                        return end;
                    }
                }
            }
        }
    }

    /// Takes the replies already queued without waiting.
    fn take_replies(&mut self) {
        while self.reply_buf.len() < REPLIES_PER_TURN {
            match self.replies.try_recv() {
                Ok(r) => self.reply_buf.push(r),
                Err(_) => break,
            }
        }
        self.on_replies();
    }

    /// Appends the answers that came back to `out`; the next flush writes them with
    /// whatever else this turn has to send.
    fn on_replies(&mut self) {
        for r in self.reply_buf.drain(..) {
            self.unanswered = self.unanswered.saturating_sub(1);
            if let Some(bytes) = r {
                self.out.extend_from_slice(&bytes);
            }
        }
    }

    /// The answer to a DELIVER, encoded now and held until the consumer has stored what
    /// the DELIVER carried.
    fn hold(&mut self, answer: Option<P::Pdu>) -> Option<Answer> {
        let pdu = answer?;
        if let Err(e) = self.proto.encode(&pdu, &mut self.scratch) {
            self.scratch.clear();
            tracing::warn!(link = %self.shared.config.name, conn = self.conn, error = %e, "cannot encode an answer");
            return None;
        }
        self.unanswered += 1;
        Some(Answer::new(&self.replies_tx, self.scratch.split().freeze()))
    }

    /// Hands a report or MO part on, its answer held back (see the module docs); anything
    /// else comes back with its answer, to be handled and answered at once.
    fn hand_on(
        &mut self,
        inbound: Inbound,
        answer: Option<P::Pdu>,
        now: Instant,
    ) -> Option<(Inbound, Option<P::Pdu>)> {
        match inbound {
            Inbound::Report { report, .. } => {
                let answer = self.hold(answer);
                self.shared.on_report(report, answer, now, &mut self.events);
                None
            }
            Inbound::Mo { deliver_id, part } => {
                let answer = self.hold(answer);
                self.shared
                    .on_mo(deliver_id, part, answer, now, &mut self.events);
                None
            }
            other => Some((other, answer)),
        }
    }

    /// Whether a new message may be taken now.
    fn can_take(&self) -> bool {
        self.closing.is_none()
            && self.sending.is_empty()
            && !self.window.is_full()
            && self.out.len() < HIGH_WATER
    }

    fn accept(&mut self, msg: OutboundMessage) {
        if let Some(idle) = &mut self.idle {
            idle.touch(Instant::now());
        }
        let msg = Arc::new(msg);
        for index in 0..msg.parts.len() {
            self.sending.push_back((Arc::clone(&msg), index));
        }
    }

    /// Takes messages and writes parts while the window, the rate and the backlog allow.
    fn fill(&mut self, now: Instant) {
        loop {
            self.pump(now);
            if !self.can_take() || self.shutdown.is_triggered() {
                return;
            }
            let next = self.shared.pop_retry().or_else(|| {
                self.shared
                    .intake
                    .try_lock()
                    .ok()
                    .and_then(|mut rx| rx.try_recv().ok())
            });
            match next {
                Some(m) => self.accept(m),
                None => return,
            }
        }
    }

    /// Writes queued parts while the window and the rate allow.
    fn pump(&mut self, now: Instant) {
        if self.closing.is_some() || self.sending.is_empty() {
            return;
        }
        if self.paused_until.is_some_and(|t| t > now) {
            return;
        }
        self.paused_until = None;
        let shared = Arc::clone(&self.shared);
        let mut rate = shared.rate.as_ref().map(lock);
        let max_attempts = shared.config.window.max_attempts.get();
        while !self.window.is_full() && self.out.len() < HIGH_WATER {
            let Some((msg, index)) = self.sending.front() else {
                break;
            };
            if let Some(part) = msg
                .parts
                .get(*index)
                .filter(|p| !resend::may_write(p.sent, max_attempts))
            {
                // Written as often as allowed, and every connection it went on closed
                // before its answer could be read: not once more.
                let reason = resend::used_up(part.sent, lock(&shared.last_loss).clone());
                tracing::warn!(link = %shared.config.name, id = msg.id, part = part.number, %reason, "giving up on a part");
                self.events.push(LinkEvent::Failed {
                    id: msg.id,
                    part: part.number,
                    reason,
                });
                self.sending.pop_front();
                continue;
            }
            if let Some(r) = rate.as_mut() {
                if r.try_take(now).is_err() {
                    break;
                }
            }
            let (msg, index) = (Arc::clone(msg), *index);
            self.sending.pop_front();
            let seq = self.next_seq();
            let Some(part) = msg.parts.get(index) else {
                continue;
            };
            let service = if msg.service_id.is_empty() {
                &shared.config.service_id
            } else {
                &msg.service_id
            };
            let encoded = self
                .proto
                .submit(seq, &msg, part, service)
                .and_then(|pdu| self.proto.encode(&pdu, &mut self.scratch));
            if let Err(e) = encoded {
                self.scratch.clear();
                tracing::warn!(link = %shared.config.name, id = msg.id, part = part.number, error = %e, "cannot encode submit");
                self.events.push(LinkEvent::Failed {
                    id: msg.id,
                    part: part.number,
                    reason: FailReason::Encode(e),
                });
                continue;
            }
            let wire = self.scratch.split().freeze();
            self.out.extend_from_slice(&wire);
            self.writing.push_back(Pending {
                tag: part.tag,
                end: self.out_written + self.out.len() as u64,
                first: part.sent == 0,
                recorded: false,
            });
            let sent = part.sent.saturating_add(1);
            let entry = InFlight {
                msg,
                index,
                wire,
                first_sent: now,
                unreadable: None,
            };
            if let Err(e) = self.window.insert_sent(seq, entry, now, sent) {
                // Cannot happen: the loop checks room and ids are allocated free.
                let entry = e.into_payload();
                self.sending.push_front((entry.msg, entry.index));
                break;
            }
        }
        if let Some(idle) = &mut self.idle {
            idle.touch(now);
        }
    }

    /// Writes what the kernel takes without waiting — after telling the owner's write
    /// hook which parts the new bytes carry, so a part it was not told of never left
    /// (`written.rs` has the rule).
    fn flush(&mut self) -> Result<(), SessionEnd> {
        let hook = self.shared.config.on_write.clone();
        if let Some(hook) = &hook {
            written::to_record(&mut self.writing, &mut self.tags);
            if !self.tags.is_empty() {
                hook.writing(&self.tags);
            }
        }
        while !self.out.is_empty() {
            match self.stream.try_write(&self.out) {
                Ok(0) => return Err(lost(ConnectionLoss::ClosedWhileWriting)),
                Ok(n) => {
                    self.out.advance(n);
                    self.out_written += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(lost(ConnectionLoss::Write(IoFailure::from(&e)))),
            }
        }
        // A part whose last byte went is written. The rest (some cut mid-write) wait in
        // `out` for the socket: the hook heard of them, but a crash now cannot have sent
        // them, and the owner would take them as sent. Those never written before take
        // their record back; they are recorded again before they go.
        written::after_write(&mut self.writing, self.out_written, &mut self.tags);
        if let Some(hook) = &hook {
            if !self.tags.is_empty() {
                hook.unwritten(&self.tags);
            }
        }
        self.shared
            .counters
            .unsent
            .store(self.out.len(), std::sync::atomic::Ordering::Relaxed);
        if self.out.len() > MAX_BACKLOG {
            return Err(lost(ConnectionLoss::StoppedReading {
                unsent: self.out.len(),
            }));
        }
        Ok(())
    }

    /// Reads what is there and handles every complete PDU.
    fn read(&mut self, now: Instant) -> Result<(), SessionEnd> {
        let mut total = 0;
        let mut eof = false;
        while total < READ_PER_TURN {
            if self.inbuf.capacity() - self.inbuf.len() < 4096 {
                self.inbuf.reserve(64 << 10);
            }
            match self.stream.try_read_buf(&mut self.inbuf) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => total += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(lost(ConnectionLoss::Read(IoFailure::from(&e)))),
            }
        }
        self.decode_buffered(now)?;
        if eof {
            if let Some(c) = &self.closing {
                if c.sent.is_some() {
                    return Err(self.close_end());
                }
            }
            return Err(lost(ConnectionLoss::Closed));
        }
        Ok(())
    }

    /// Handles every complete PDU in the read buffer. A frame whose body does not decode
    /// is answered (a DELIVER with the protocol's error result) and the session goes on;
    /// only a length prefix that cannot be trusted ends it.
    fn decode_buffered(&mut self, now: Instant) -> Result<(), SessionEnd> {
        loop {
            match self.proto.next_frame(&mut self.codec, &mut self.inbuf) {
                Ok(Some(Frame::Pdu(pdu))) => self.on_pdu(pdu, now)?,
                Ok(Some(Frame::Undecodable(bad))) => {
                    self.on_inbound_traffic(now);
                    self.on_bad_frame(bad);
                }
                Ok(None) => return Ok(()),
                Err(e) => {
                    tracing::warn!(link = %self.shared.config.name, conn = self.conn, error = %e, "malformed bytes from the gateway; closing the connection");
                    return Err(lost(ConnectionLoss::Malformed(e)));
                }
            }
        }
    }

    /// A frame that did not decode: answered when it is a request that gets an answer
    /// (the gateway then stops sending it), logged with its hex (`undecodable.rs`). A
    /// response's submit stays in the window: sent again or given up on as if unanswered.
    fn on_bad_frame(&mut self, bad: BadFrame<P::Pdu>) {
        self.log_bad_frame(&bad);
        if bad.response {
            let entry = self
                .proto
                .frame_seq(&bad.frame)
                .and_then(|seq| self.window.get_mut(seq));
            if let Some(entry) = entry {
                entry.unreadable = Some(bad.error.clone());
            }
        }
        if let Some(a) = &bad.answer {
            if let Err(e) = self.proto.encode(a, &mut self.out) {
                tracing::warn!(link = %self.shared.config.name, conn = self.conn, error = %e, "cannot encode an answer");
            }
        }
    }

    fn log_bad_frame(&mut self, bad: &BadFrame<P::Pdu>) {
        self.bad_frames
            .log(&self.shared.config.name, &self.conn.to_string(), bad);
    }

    /// Anything read from the gateway shows it is alive and the link is in use.
    fn on_inbound_traffic(&mut self, now: Instant) {
        if let Some(k) = &mut self.keepalive {
            k.on_inbound(now);
        }
        if let Some(idle) = &mut self.idle {
            idle.touch(now);
        }
    }

    fn on_pdu(&mut self, pdu: P::Pdu, now: Instant) -> Result<(), SessionEnd> {
        self.on_inbound_traffic(now);
        let Classified { inbound, answer } = self.proto.classify(pdu);
        let Some((inbound, answer)) = self.hand_on(inbound, answer, now) else {
            return Ok(());
        };
        if let Some(a) = answer {
            if let Err(e) = self.proto.encode(&a, &mut self.out) {
                tracing::warn!(link = %self.shared.config.name, error = %e, "cannot encode an answer");
            }
        }
        match inbound {
            Inbound::SubmitResp { seq, outcome } => self.on_submit_resp(seq, outcome, now),
            // Handed on above.
            Inbound::Report { .. } | Inbound::Mo { .. } => {}
            Inbound::KeepAlive | Inbound::KeepAliveResp => {}
            Inbound::Close => {
                tracing::info!(link = %self.shared.config.name, conn = self.conn, "the gateway closed the session");
                return Err(match &self.closing {
                    Some(c) if c.sent.is_some() => self.close_end(),
                    _ => lost(ConnectionLoss::EndedByGateway),
                });
            }
            Inbound::CloseResp => {
                if self.closing.as_ref().is_some_and(|c| c.sent.is_some()) {
                    return Err(self.close_end());
                }
            }
            Inbound::LoginResp(_) => {
                tracing::debug!(link = %self.shared.config.name, "login answer after login ignored");
            }
            Inbound::Unparsed { pdu, reason } => {
                tracing::warn!(link = %self.shared.config.name, pdu, %reason, "unreadable content from the gateway (answered)");
                self.events.push(LinkEvent::Unparsed { pdu, reason });
            }
            Inbound::Other { command } => {
                tracing::debug!(link = %self.shared.config.name, command, "unexpected PDU ignored");
            }
        }
        Ok(())
    }

    fn on_submit_resp(&mut self, seq: u32, outcome: SubmitAnswer, now: Instant) {
        let Some(entry) = self.window.complete(seq) else {
            tracing::debug!(link = %self.shared.config.name, seq, "response to no submit in flight (late or repeated)");
            return;
        };
        let Some(part) = entry.msg.parts.get(entry.index) else {
            return;
        };
        let number = part.number;
        match outcome {
            SubmitAnswer::Accepted(msg_id) => {
                self.events.push(LinkEvent::Submitted {
                    id: entry.msg.id,
                    part: number,
                    msg_id,
                    latency: now.saturating_duration_since(entry.first_sent),
                });
                self.shared
                    .on_submitted(&entry.msg, number, msg_id, now, &mut self.events);
            }
            SubmitAnswer::FlowControl { code, meaning } => {
                self.shared
                    .counters
                    .throttled
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!(link = %self.shared.config.name, id = entry.msg.id, part = number, code, meaning, "flow control: sending again, more slowly");
                match &self.shared.rate {
                    Some(r) => {
                        lock(r).throttled(now);
                    }
                    None => {
                        self.paused_until = Some(now + self.shared.config.flow_control_pause);
                    }
                }
                self.sending.push_front((entry.msg, entry.index));
            }
            SubmitAnswer::Rejected { code, meaning } => {
                tracing::info!(link = %self.shared.config.name, id = entry.msg.id, part = number, code, meaning, "submit rejected");
                self.events.push(LinkEvent::Failed {
                    id: entry.msg.id,
                    part: number,
                    reason: FailReason::Rejected { code, meaning },
                });
            }
        }
    }

    fn on_timer(&mut self, now: Instant) -> Result<(), SessionEnd> {
        for e in self.window.expired(now) {
            match e {
                Expired::Resend {
                    payload,
                    attempt,
                    seq,
                } => {
                    tracing::debug!(link = %self.shared.config.name, seq, attempt, "no response in time; resending");
                    self.out.extend_from_slice(&payload.wire);
                }
                Expired::Failed {
                    payload, attempts, ..
                } => {
                    let number = payload.msg.parts.get(payload.index).map_or(0, |p| p.number);
                    let reason = resend::gave_up(attempts, payload.unreadable);
                    tracing::warn!(link = %self.shared.config.name, id = payload.msg.id, part = number, attempts, %reason, "giving up on a part");
                    self.events.push(LinkEvent::Failed {
                        id: payload.msg.id,
                        part: number,
                        reason,
                    });
                }
            }
        }
        if let Some(k) = &mut self.keepalive {
            match k.poll(now) {
                KeepAliveAction::None => {}
                KeepAliveAction::SendProbe => {
                    let seq = self.next_seq();
                    if let Some(probe) = self.proto.probe(seq) {
                        let _ = self.proto.encode(&probe, &mut self.out);
                    }
                }
                KeepAliveAction::Reconnect => {
                    return Err(lost(ConnectionLoss::KeepAliveUnanswered));
                }
            }
        }
        if self.unanswered > 0 {
            if let Some(idle) = &mut self.idle {
                // Answers still to come and be written: not idle (and no timer firing
                // over and over while they come).
                idle.touch(now);
            }
        }
        if let Some(idle) = &self.idle {
            if self.closing.is_none()
                && idle.is_idle(now)
                && self.window.is_empty()
                && self.sending.is_empty()
                && self.unanswered == 0
                && self.shared.nothing_queued()
            {
                self.start_close(CloseKind::Idle, now);
            }
        }
        Ok(())
    }

    fn start_close(&mut self, kind: CloseKind, now: Instant) {
        if self.closing.is_none() {
            let grace = match kind {
                CloseKind::Shutdown => self.shared.config.close_grace,
                CloseKind::Idle => Duration::ZERO,
            };
            self.closing = Some(Closing {
                kind,
                deadline: now + grace,
                sent: None,
            });
        }
    }

    fn close_end(&self) -> SessionEnd {
        match self.closing.as_ref().map(|c| c.kind) {
            Some(CloseKind::Idle) => SessionEnd::Idle,
            _ => SessionEnd::Shutdown,
        }
    }

    /// Sends the close request once nothing is in flight and every DELIVER handed on has
    /// its reply (or the grace is over), and ends the session when its answer is overdue.
    fn check_close(&mut self, now: Instant) -> Option<SessionEnd> {
        let c = self.closing.as_ref()?;
        let settled = self.window.is_empty() && self.unanswered == 0;
        match c.sent {
            None if settled || now >= c.deadline => {
                let seq = self.next_seq();
                let pdu = self.proto.close(seq);
                let _ = self.proto.encode(&pdu, &mut self.out);
                if let Some(c) = &mut self.closing {
                    c.sent = Some(now + CLOSE_ANSWER_WAIT);
                }
                None
            }
            Some(until) if now >= until => Some(self.close_end()),
            _ => None,
        }
    }

    fn next_wake(&mut self, now: Instant) -> Option<Instant> {
        let mut wake: Option<Instant> = None;
        let mut at = |t: Option<Instant>| {
            if let Some(t) = t {
                wake = Some(wake.map_or(t, |w| w.min(t)));
            }
        };
        at(self.window.next_deadline());
        at(self.keepalive.as_ref().and_then(KeepAlive::next_deadline));
        if self.closing.is_none() {
            at(self.idle.as_ref().map(IdleTimer::deadline));
        }
        if !self.sending.is_empty() && !self.window.is_full() {
            at(self.paused_until);
            if let Some(r) = &self.shared.rate {
                at(lock(r).check(now).err());
            }
        }
        if let Some(c) = &self.closing {
            at(Some(c.sent.unwrap_or(c.deadline)));
        }
        wake
    }

    /// Every part not acknowledged, grouped back into messages in the order first sent,
    /// each part with how many times it has been written so far (this connection's
    /// writes included: every write counts, whatever became of it).
    fn leftovers(&mut self) -> Vec<OutboundMessage> {
        let mut parts: Vec<(Arc<OutboundMessage>, usize, Option<u32>)> = self
            .window
            .drain_counted()
            .into_iter()
            .map(|(_, f, sent)| (f.msg, f.index, Some(sent)))
            .collect();
        parts.extend(self.sending.drain(..).map(|(m, i)| (m, i, None)));
        // Per message: (part number, times written) of the parts going back.
        let mut out: Vec<(Arc<OutboundMessage>, Vec<Written>)> = Vec::new();
        for (msg, index, written) in parts {
            let Some(part) = msg.parts.get(index) else {
                continue;
            };
            let counted = (part.number, written.unwrap_or(part.sent));
            match out.iter_mut().find(|(m, _)| Arc::ptr_eq(m, &msg)) {
                Some((_, numbers)) => numbers.push(counted),
                None => out.push((msg, vec![counted])),
            }
        }
        out.into_iter()
            .map(|(msg, sent)| msg.with_parts_sent(&sent))
            .collect()
    }
}
