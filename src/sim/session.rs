//! One task per SP connection, the same for every protocol: read a batch of PDUs, let
//! the protocol's [`Gateway`] answer them into one write buffer, write the buffer once
//! per batch, and keep the connection's timers (delayed responses and reports,
//! keep-alive) and its Delivers awaiting an answer.
//!
//! Reading and writing are independent: the write buffer is drained with `try_write`
//! whenever the socket is writable, and reading only pauses when more than
//! [`HIGH_WATER`] bytes of answers are waiting (the peer is not reading them) — the
//! same back-pressure a real gateway's TCP stack applies.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use wire::{CodecError, EncodeError};

use super::ids::{Now, Outcome};
use super::shared::{
    ConnCmd, GatewayState, MoPart, Number, Outbound, ReceivedSubmit, ReportJob, SimMsgId,
};
use super::stats::Stats;
use crate::shutdown::Shutdown;

/// Stop reading while this many answer bytes wait for the peer.
pub(crate) const HIGH_WATER: usize = 1 << 20;

/// How long a response is held so that its report goes out first.
const EARLY_HOLD: Duration = Duration::from_millis(1);

/// Bytes that cannot start any of the three protocols' PDUs: a length field of 3 is
/// below every header size, so the peer's framing rejects it before reading more.
pub(crate) const MALFORMED: [u8; 12] = [0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];

/// Log at info when the simulator runs for a user, at debug otherwise.
macro_rules! sim_event {
    ($shared:expr, $($arg:tt)+) => {
        if $shared.config.log_each_message {
            tracing::info!($($arg)+);
        } else {
            tracing::debug!($($arg)+);
        }
    };
}
pub(crate) use sim_event;

/// What to do after a PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    /// Write out what is answered, then close.
    Close,
}

/// Why a login was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginError {
    /// The first PDU was not a login: closed without an answer.
    NotLogin,
    /// Answered with `status`, then closed.
    Refused { status: u32, reason: &'static str },
}

/// The submit gate's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    Accept,
    /// Answer with the flow-control code.
    Throttle,
    /// Mid-window fault: do not answer, close.
    Close,
}

/// When the SP asked for a status report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReportWant {
    Never,
    Always,
    /// SGIP ReportFlag 0.
    OnFailure,
}

/// An accepted submit as the protocol read it.
#[derive(Debug)]
pub(crate) struct Accepted {
    /// One id per recipient, or one for all.
    pub(crate) ids: Vec<SimMsgId>,
    pub(crate) recipients: Vec<Number>,
    pub(crate) src: Number,
    pub(crate) coding: u8,
    pub(crate) content: Bytes,
    pub(crate) udhi: bool,
    pub(crate) want: ReportWant,
}

/// A protocol's gateway side.
pub(crate) trait Gateway: Send + 'static {
    type Pdu: Send;
    /// Protocol name for logs.
    const NAME: &'static str;
    /// One PDU from the read buffer, if a whole one is there.
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Self::Pdu>, CodecError>;
    /// Answer the first PDU; on success the connection is registered with its account
    /// ([`Session::register`]).
    fn login(&mut self, pdu: Self::Pdu, s: &mut Session) -> Result<(), LoginError>;
    /// Answer any later PDU.
    fn handle(&mut self, pdu: Self::Pdu, s: &mut Session) -> Flow;
    /// Write a Deliver carrying `ob` with sequence number `seq`, under the Deliver id
    /// `ob` went out under before if it did ([`Outbound::deliver_id`]).
    fn encode_deliver(
        &mut self,
        ob: &mut Outbound,
        seq: u32,
        shared: &GatewayState,
        now: &Now,
        out: &mut BytesMut,
    ) -> Result<(), EncodeError>;
    /// Write the gateway's own keep-alive request.
    fn encode_probe(&mut self, seq: u32, out: &mut BytesMut);
}

#[derive(Debug)]
enum Timed {
    Response { bytes: Bytes, key: Option<u64> },
    Deliver(Outbound),
}

/// Per-connection state the protocols work on.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) shared: Arc<GatewayState>,
    pub(crate) conn_id: u64,
    pub(crate) peer: SocketAddr,
    pub(crate) account: Option<usize>,
    can_deliver: bool,
    wbuf: BytesMut,
    /// Bytes written to the socket so far.
    written: u64,
    /// (stream position at the end of a success answer, its duplicate key).
    ack_marks: VecDeque<(u64, u64)>,
    timers: BTreeMap<(Instant, u64), Timed>,
    timer_n: u64,
    next_seq: u32,
    unacked: HashMap<u32, Outbound>,
    to_send: Vec<Outbound>,
    tx: mpsc::UnboundedSender<ConnCmd>,
    last_inbound: Instant,
    /// Monotonic time of the current batch.
    instant: Instant,
    /// Wall-clock time of the current batch.
    pub(crate) now: Now,
}

impl Session {
    /// Read the clocks for the batch about to be handled.
    fn tick(&mut self) {
        self.instant = Instant::now();
        self.now = Now::read();
    }

    /// The answer buffer (written once per batch).
    pub(crate) fn out(&mut self) -> &mut BytesMut {
        &mut self.wbuf
    }

    /// Register the logged-in connection with `account`; false when the account already
    /// has its maximum of open connections.
    pub(crate) fn register(&mut self, account: usize, can_deliver: bool) -> bool {
        match self
            .shared
            .register(account, self.conn_id, can_deliver, self.tx.clone())
        {
            Ok(waiting) => {
                self.account = Some(account);
                self.can_deliver = can_deliver;
                self.to_send.extend(waiting);
                true
            }
            Err(_) => false,
        }
    }

    /// Count a submit and decide what happens to it.
    pub(crate) fn gate(&mut self) -> Gate {
        let sh = &self.shared;
        Stats::inc(&sh.stats.c.submits_received);
        if sh.faults.take_close() {
            Stats::inc(&sh.stats.c.fault_closes);
            tracing::info!(
                conn = self.conn_id,
                "fault: closing mid-window without answering"
            );
            return Gate::Close;
        }
        let over_rate = self.account.is_some_and(|a| !sh.rate_ok(a));
        if sh.faults.take_throttle() || over_rate {
            Stats::inc(&sh.stats.c.submits_throttled);
            return Gate::Throttle;
        }
        Gate::Accept
    }

    /// Write (or hold, or drop) a submit response; `key` marks a success answer for
    /// duplicate accounting. Returns how long the response is held.
    pub(crate) fn respond(
        &mut self,
        key: Option<u64>,
        encode: impl FnOnce(&mut BytesMut) -> Result<(), EncodeError>,
    ) -> Duration {
        self.respond_after(key, Duration::ZERO, encode)
    }

    fn respond_after(
        &mut self,
        key: Option<u64>,
        extra: Duration,
        encode: impl FnOnce(&mut BytesMut) -> Result<(), EncodeError>,
    ) -> Duration {
        let sh = &self.shared;
        if sh.faults.take_drop() {
            Stats::inc(&sh.stats.c.responses_dropped);
            return Duration::ZERO;
        }
        let delay = sh.faults.response_delay() + extra;
        let start = self.wbuf.len();
        if let Err(e) = encode(&mut self.wbuf) {
            tracing::warn!(conn = self.conn_id, error = %e, "cannot encode a response");
            self.wbuf.truncate(start);
            return Duration::ZERO;
        }
        if delay.is_zero() {
            Stats::inc(&sh.stats.c.responses_sent);
            if let Some(k) = key {
                self.ack_marks
                    .push_back((self.written + self.wbuf.len() as u64, k));
            }
        } else {
            let bytes = self.wbuf.split_off(start).freeze();
            self.add_timer(self.instant + delay, Timed::Response { bytes, key });
        }
        delay
    }

    /// Book an accepted submit: counters, duplicate key, record, the response and the
    /// status reports.
    pub(crate) fn accept(
        &mut self,
        a: Accepted,
        encode: impl FnOnce(&mut BytesMut) -> Result<(), EncodeError>,
    ) {
        let shared = Arc::clone(&self.shared);
        let cfg = &shared.config;
        let account = self.account.unwrap_or(0);
        Stats::inc(&shared.stats.c.submits_accepted);
        let key = cfg.track_duplicates.then(|| {
            let mut h = DefaultHasher::new();
            a.recipients.hash(&mut h);
            a.src.hash(&mut h);
            a.content.hash(&mut h);
            let k = h.finish();
            shared.accept_key(k);
            k
        });
        sim_event!(
            shared,
            account = shared.account_id(account),
            conn = self.conn_id,
            msg_id = %a.ids.first().map(ToString::to_string).unwrap_or_default(),
            recipients = a.recipients.len(),
            coding = a.coding,
            bytes = a.content.len(),
            "submit accepted"
        );
        let early = shared.faults.take_report_first();
        let held = self.respond_after(key, if early { EARLY_HOLD } else { Duration::ZERO }, encode);
        if a.want != ReportWant::Never {
            let now = self.now.china;
            let at = self.instant + held + cfg.report_delay;
            for (i, recipient) in a.recipients.iter().enumerate() {
                let outcome = shared.draw.draw();
                if a.want == ReportWant::OnFailure && outcome == Outcome::Delivered {
                    continue;
                }
                let Some(id) = a.ids.get(i).or(a.ids.first()) else {
                    continue;
                };
                let job = Outbound::Report(ReportJob {
                    account,
                    id: *id,
                    recipient: *recipient,
                    src: a.src,
                    outcome,
                    submit_time: now,
                    deliver_id: None,
                });
                if early || (held.is_zero() && cfg.report_delay.is_zero()) {
                    self.to_send.push(job);
                } else {
                    self.add_timer(at, Timed::Deliver(job));
                }
            }
        }
        if cfg.record_submits {
            let concat = if a.udhi {
                wire::udh::Udh::parse(&a.content)
                    .ok()
                    .and_then(|(u, _)| u.concat())
            } else {
                None
            };
            shared.record(ReceivedSubmit {
                account: shared.account_id(account).to_owned(),
                connection: self.conn_id,
                report_requested: a.want != ReportWant::Never,
                msg_ids: a.ids,
                recipients: a.recipients.iter().map(|n| n.to_text()).collect(),
                src: a.src.to_text(),
                coding: a.coding,
                content: a.content,
                concat,
                received_at: SystemTime::now(),
            });
        }
    }

    /// The SP answered the Deliver numbered `seq`.
    pub(crate) fn deliver_answered(&mut self, seq: u32, result: u32) {
        let c = &self.shared.stats.c;
        match self.unacked.remove(&seq) {
            Some(Outbound::Report(_)) => Stats::inc(&c.reports_acked),
            Some(Outbound::Mo(_)) => Stats::inc(&c.mo_acked),
            None => {
                tracing::debug!(conn = self.conn_id, seq, "answer to no pending Deliver");
                return;
            }
        }
        if result != 0 {
            Stats::inc(&c.delivers_rejected);
            tracing::info!(conn = self.conn_id, seq, result, "SP rejected a Deliver");
        }
    }

    pub(crate) fn active_test_answered(&self) {
        Stats::inc(&self.shared.stats.c.active_tests_answered);
    }

    pub(crate) fn terminated(&self) {
        Stats::inc(&self.shared.stats.c.terminates);
    }

    fn add_timer(&mut self, at: Instant, t: Timed) {
        self.timer_n += 1;
        self.timers.insert((at, self.timer_n), t);
    }

    fn next_seq(&mut self) -> u32 {
        // Skip 0 and any number still awaiting an answer.
        loop {
            self.next_seq = self.next_seq.wrapping_add(1);
            if self.next_seq != 0 && !self.unacked.contains_key(&self.next_seq) {
                return self.next_seq;
            }
        }
    }

    /// Encode queued Delivers (or pass them on when this connection cannot carry them).
    fn flush_deliveries<G: Gateway>(&mut self, g: &mut G) {
        if self.to_send.is_empty() {
            return;
        }
        let items = std::mem::take(&mut self.to_send);
        for mut ob in items {
            if !self.can_deliver {
                self.shared.route(ob, Some(self.conn_id));
                continue;
            }
            let seq = self.next_seq();
            if let Err(e) = g.encode_deliver(&mut ob, seq, &self.shared, &self.now, &mut self.wbuf)
            {
                tracing::warn!(conn = self.conn_id, error = %e, "cannot encode a Deliver");
                continue;
            }
            let c = &self.shared.stats.c;
            match &ob {
                Outbound::Report(r) => {
                    Stats::inc(&c.reports_sent);
                    sim_event!(
                        self.shared,
                        conn = self.conn_id,
                        msg_id = %r.id,
                        delivered = r.outcome == Outcome::Delivered,
                        "status report sent"
                    );
                }
                Outbound::Mo(MoPart { content, .. }) => {
                    Stats::inc(&c.mo_sent);
                    sim_event!(
                        self.shared,
                        conn = self.conn_id,
                        bytes = content.len(),
                        "MO sent"
                    );
                }
            }
            self.unacked.insert(seq, ob);
        }
    }

    fn fire_timers<G: Gateway>(&mut self, g: &mut G) {
        let now = self.instant;
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            match entry.remove() {
                Timed::Response { bytes, key } => {
                    self.wbuf.extend_from_slice(&bytes);
                    Stats::inc(&self.shared.stats.c.responses_sent);
                    if let Some(k) = key {
                        self.ack_marks
                            .push_back((self.written + self.wbuf.len() as u64, k));
                    }
                }
                Timed::Deliver(ob) => self.to_send.push(ob),
            }
        }
        self.flush_deliveries(g);
    }

    /// A network cut: nothing more is read or written on this connection (what it had
    /// to write is lost, what the SP wrote stays unread), and its Delivers not answered
    /// are sent again on the next connection.
    fn cut(&mut self) -> End {
        self.wbuf.clear();
        Stats::inc(&self.shared.stats.c.fault_cuts);
        tracing::info!(conn = self.conn_id, "fault: connection cut");
        End::Closed("fault: connection cut")
    }

    fn malformed(&mut self) {
        self.wbuf.extend_from_slice(&MALFORMED);
        Stats::inc(&self.shared.stats.c.malformed_sent);
        tracing::info!(conn = self.conn_id, "fault: malformed bytes sent");
    }

    /// Write what the socket takes now; Err when the socket failed.
    fn try_flush(&mut self, wr: &OwnedWriteHalf) -> std::io::Result<()> {
        while !self.wbuf.is_empty() {
            match wr.try_write(&self.wbuf) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    let _ = self.wbuf.split_to(n);
                    self.wrote(n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn wrote(&mut self, n: usize) {
        self.written += n as u64;
        if self.ack_marks.front().is_some_and(|m| m.0 <= self.written) {
            let mut keys = Vec::new();
            while let Some(&(end, k)) = self.ack_marks.front() {
                if end > self.written {
                    break;
                }
                keys.push(k);
                self.ack_marks.pop_front();
            }
            self.shared.keys_written(keys.into_iter());
        }
    }

    /// The connection is over: unregister and hand its unsent Delivers on.
    fn finish(&mut self) {
        let sh = Arc::clone(&self.shared);
        if let Some(a) = self.account {
            sh.unregister(a, self.conn_id);
        }
        let timers = std::mem::take(&mut self.timers);
        let mut leftovers: Vec<Outbound> = std::mem::take(&mut self.to_send);
        leftovers.extend(timers.into_values().filter_map(|t| match t {
            Timed::Deliver(ob) => Some(ob),
            Timed::Response { .. } => None,
        }));
        if sh.config.resend_unacked_delivers {
            let mut unacked: Vec<(u32, Outbound)> = self.unacked.drain().collect();
            unacked.sort_by_key(|(seq, _)| *seq);
            for (_, ob) in unacked {
                match ob {
                    Outbound::Report(_) => Stats::inc(&sh.stats.c.reports_resent),
                    Outbound::Mo(_) => Stats::inc(&sh.stats.c.mo_resent),
                }
                leftovers.push(ob);
            }
        }
        if self.account.is_some() {
            for ob in leftovers {
                sh.route(ob, Some(self.conn_id));
            }
        }
    }
}

/// Why a connection ended (for the log line).
#[derive(Debug)]
enum End {
    Eof,
    Io(std::io::Error),
    Frame(CodecError),
    Closed(&'static str),
    Shutdown,
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Eof => f.write_str("peer closed"),
            Self::Io(e) => write!(f, "socket error: {e}"),
            Self::Frame(e) => write!(f, "bad frame: {e}"),
            Self::Closed(why) => f.write_str(why),
            Self::Shutdown => f.write_str("simulator shut down"),
        }
    }
}

/// Serve one SP connection until it ends.
pub(crate) async fn serve<G: Gateway>(
    mut g: G,
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<GatewayState>,
    shutdown: Shutdown,
) {
    let _ = stream.set_nodelay(true);
    let c = &shared.stats.c;
    Stats::inc(&c.connections);
    Stats::inc(&c.open_connections);
    shared.stats.changed();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut s = Session {
        conn_id: shared.next_conn_id(),
        shared: Arc::clone(&shared),
        peer,
        account: None,
        can_deliver: false,
        wbuf: BytesMut::with_capacity(64 * 1024),
        written: 0,
        ack_marks: VecDeque::new(),
        timers: BTreeMap::new(),
        timer_n: 0,
        next_seq: 0,
        unacked: HashMap::new(),
        to_send: Vec::new(),
        tx,
        last_inbound: Instant::now(),
        instant: Instant::now(),
        now: Now::read(),
    };
    tracing::debug!(protocol = G::NAME, conn = s.conn_id, %peer, "connection accepted");
    let (mut rd, wr) = stream.into_split();
    let end = drive(&mut g, &mut s, &mut rd, &wr, &mut rx, &shutdown).await;
    // Write out what is answered (bounded: a peer that stopped reading gets cut off).
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while !s.wbuf.is_empty() {
            if wr.writable().await.is_err() || s.try_flush(&wr).is_err() {
                break;
            }
        }
    })
    .await;
    drop(wr);
    s.finish();
    match &end {
        End::Eof | End::Shutdown => {
            tracing::debug!(protocol = G::NAME, conn = s.conn_id, reason = %end, "connection closed")
        }
        _ => {
            tracing::info!(protocol = G::NAME, conn = s.conn_id, reason = %end, "connection closed")
        }
    }
    Stats::dec(&c.open_connections);
    shared.stats.changed();
}

async fn drive<G: Gateway>(
    g: &mut G,
    s: &mut Session,
    rd: &mut tokio::net::tcp::OwnedReadHalf,
    wr: &OwnedWriteHalf,
    rx: &mut mpsc::UnboundedReceiver<ConnCmd>,
    shutdown: &Shutdown,
) -> End {
    let mut rbuf = BytesMut::with_capacity(64 * 1024);
    let keepalive = s.shared.config.keepalive_interval;
    let idle_timeout = s.shared.config.idle_timeout;
    let far = Instant::now() + Duration::from_secs(86_400 * 365);
    let mut unread = false;
    let mut last_probe = Instant::now();
    loop {
        let next_timer = s.timers.first_key_value().map(|(k, _)| k.0);
        let probe_at = match (keepalive, s.account) {
            (Some(every), Some(_)) => Some(s.last_inbound.max(last_probe) + every),
            _ => None,
        };
        let idle_at = idle_timeout.map(|d| s.last_inbound + d);
        let can_read = s.wbuf.len() < HIGH_WATER && !s.shared.faults.reads_paused();
        tokio::select! {
            biased;
            _ = shutdown.triggered() => return End::Shutdown,
            r = wr.writable(), if !s.wbuf.is_empty() => {
                if let Err(e) = r {
                    return End::Io(e);
                }
            }
            r = rd.read_buf(&mut rbuf), if can_read => {
                match r {
                    Ok(0) => return End::Eof,
                    Ok(_) => {}
                    Err(e) => return End::Io(e),
                }
                s.tick();
                s.last_inbound = s.instant;
                unread = true;
            }
            cmd = rx.recv() => {
                s.tick();
                match cmd {
                    Some(ConnCmd::Deliver(ob)) => s.to_send.push(ob),
                    Some(ConnCmd::Malformed) => s.malformed(),
                    Some(ConnCmd::Cut) => return s.cut(),
                    Some(ConnCmd::Wake) => {}
                    None => return End::Closed("command channel closed"),
                }
                while let Ok(cmd) = rx.try_recv() {
                    match cmd {
                        ConnCmd::Deliver(ob) => s.to_send.push(ob),
                        ConnCmd::Malformed => s.malformed(),
                        ConnCmd::Cut => return s.cut(),
                        ConnCmd::Wake => {}
                    }
                }
                if s.account.is_some() {
                    s.flush_deliveries(g);
                }
                s.shared.stats.changed();
            }
            _ = sleep_until(next_timer.unwrap_or(far)), if next_timer.is_some() => {
                s.tick();
                s.fire_timers(g);
                s.shared.stats.changed();
            }
            _ = sleep_until(idle_at.unwrap_or(far)), if idle_at.is_some() => {
                tracing::info!(conn = s.conn_id, "idle connection closed by the gateway");
                return End::Closed("idle");
            }
            _ = sleep_until(probe_at.unwrap_or(far)), if probe_at.is_some() => {
                let seq = s.next_seq();
                g.encode_probe(seq, &mut s.wbuf);
                Stats::inc(&s.shared.stats.c.active_tests_sent);
                last_probe = Instant::now();
            }
        }
        // Bytes read while reading is paused wait in the buffer, undecoded.
        if unread && !s.shared.faults.reads_paused() {
            unread = false;
            let end = read_batch(g, s, &mut rbuf);
            s.flush_deliveries(g);
            s.shared.stats.changed();
            if let Some(end) = end {
                return end;
            }
        }
        if let Err(e) = s.try_flush(wr) {
            return End::Io(e);
        }
    }
}

/// Answer every whole PDU in `rbuf`; Some when the connection must end.
fn read_batch<G: Gateway>(g: &mut G, s: &mut Session, rbuf: &mut BytesMut) -> Option<End> {
    loop {
        let pdu = match g.decode(rbuf) {
            Ok(Some(pdu)) => pdu,
            Ok(None) => return None,
            Err(CodecError::Decode(e)) => {
                Stats::inc(&s.shared.stats.c.decode_errors);
                tracing::warn!(protocol = G::NAME, conn = s.conn_id, error = %e, "undecodable PDU");
                if s.account.is_none() {
                    Stats::inc(&s.shared.stats.c.not_logged_in);
                    return Some(End::Closed("undecodable login"));
                }
                continue;
            }
            Err(e) => {
                Stats::inc(&s.shared.stats.c.decode_errors);
                tracing::warn!(protocol = G::NAME, conn = s.conn_id, error = %e, "bad frame, closing");
                return Some(End::Frame(e));
            }
        };
        if s.account.is_none() {
            let sh = Arc::clone(&s.shared);
            match g.login(pdu, s) {
                Ok(()) => {
                    Stats::inc(&sh.stats.c.logins_ok);
                    tracing::info!(
                        protocol = G::NAME,
                        conn = s.conn_id,
                        peer = %s.peer,
                        account = sh.account_id(s.account.unwrap_or(0)),
                        "login accepted"
                    );
                    if sh.faults.take_malformed_next() {
                        s.malformed();
                    }
                }
                Err(LoginError::NotLogin) => {
                    Stats::inc(&sh.stats.c.not_logged_in);
                    tracing::info!(
                        protocol = G::NAME,
                        conn = s.conn_id,
                        "first PDU is not a login, closing"
                    );
                    return Some(End::Closed("not logged in"));
                }
                Err(LoginError::Refused { status, reason }) => {
                    Stats::inc(&sh.stats.c.logins_refused);
                    tracing::info!(protocol = G::NAME, conn = s.conn_id, peer = %s.peer, status, reason, "login refused");
                    return Some(End::Closed("login refused"));
                }
            }
            continue;
        }
        if g.handle(pdu, s) == Flow::Close {
            return Some(End::Closed("closed by PDU or fault"));
        }
    }
}
