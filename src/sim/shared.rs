//! State every connection of one simulator shares: the accounts with their open
//! connections and queued Delivers, the duplicate keys, the recorded submits, the id
//! clock and the failure draw.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

use super::config::{Account, SimConfig, SimProtocol};
use super::faults::FaultState;
use super::ids::{FailureDraw, IdClock, Outcome};
use super::stats::Stats;
use crate::clock::ChinaTime;

/// Lock a mutex, carrying on with the data if another thread panicked holding it (the
/// simulator's bookkeeping stays usable; nothing here has invariants a panic breaks).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A message id as the simulator assigned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimMsgId {
    /// CMPP `Msg_Id` (one per recipient: the response's id plus the recipient's index).
    Cmpp(cmpp::MsgId),
    /// SMGP `MsgID` (one per Submit; every recipient's report carries it).
    Smgp(smgp::MsgId),
    /// SGIP: the Submit's sequence number, which its Reports name.
    Sgip(sgip::SequenceNumber),
}

impl fmt::Display for SimMsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cmpp(id) => write!(f, "{id}"),
            Self::Smgp(id) => write!(f, "{id}"),
            Self::Sgip(seq) => write!(f, "{seq}"),
        }
    }
}

/// One accepted submit, as recorded with [`SimConfig::record_submits`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSubmit {
    /// The account whose connection sent it.
    pub account: String,
    /// Which connection (numbered from 1 in accept order).
    pub connection: u64,
    /// The ids assigned: one per recipient (CMPP), or one for the submit.
    pub msg_ids: Vec<SimMsgId>,
    /// Recipients in order.
    pub recipients: Vec<String>,
    /// Source number (CMPP Src_Id, SMGP SrcTermID, SGIP SPNumber).
    pub src: String,
    /// Coding byte (Msg_Fmt / MsgFormat / MessageCoding).
    pub coding: u8,
    /// Content as received (UDH included).
    pub content: Bytes,
    /// The concatenation UDH at the start of the content, if TP_udhi says there is one.
    pub concat: Option<wire::udh::Concat>,
    /// Whether a status report was asked for (CMPP Registered_Delivery 1, SMGP
    /// NeedReport 1, SGIP ReportFlag 0, 1 or 3).
    pub report_requested: bool,
    /// Wall-clock time it was read.
    pub received_at: SystemTime,
}

/// A number field (recipient, source number) as the PDU carried it, up to its first NUL,
/// kept inline: a submit's bookkeeping then costs no allocation per number.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Number {
    len: u8,
    bytes: [u8; 32],
}

impl Number {
    /// The first 32 bytes of `value` (every number field of the three protocols fits).
    pub(crate) fn new(value: &[u8]) -> Self {
        let mut bytes = [0; 32];
        let len = value.len().min(bytes.len());
        if let (Some(dst), Some(src)) = (bytes.get_mut(..len), value.get(..len)) {
            dst.copy_from_slice(src);
        }
        Self {
            len: u8::try_from(len).unwrap_or(32),
            bytes,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    pub(crate) fn to_text(self) -> String {
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }
}

#[cfg(test)]
mod number_tests {
    use super::Number;

    #[test]
    fn keeps_up_to_32_bytes_inline() {
        let n = Number::new(b"13800138000");
        assert_eq!(n.as_bytes(), b"13800138000");
        assert_eq!(n.to_text(), "13800138000");
        assert_eq!(format!("{n:?}"), "\"13800138000\"");
        let long = [b'9'; 40];
        assert_eq!(Number::new(&long).as_bytes(), &long[..32]);
        assert_eq!(Number::new(b"").as_bytes(), b"");
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// A status report waiting to be sent.
#[derive(Debug, Clone)]
pub(crate) struct ReportJob {
    pub(crate) account: usize,
    pub(crate) id: SimMsgId,
    pub(crate) recipient: Number,
    /// The MT's source number (the report's Dest_Id / DestTermID).
    pub(crate) src: Number,
    pub(crate) outcome: Outcome,
    pub(crate) submit_time: ChinaTime,
    /// The id of the Deliver that first carried it, for sending it again under the same.
    pub(crate) deliver_id: Option<DeliverId>,
}

/// The id a Deliver (SGIP: Report) first went out under. A resend — after the
/// connection it went on ended unanswered — carries the same id, as a carrier's does:
/// the id names the message, not the attempt, and is how the SP recognises a repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeliverId {
    Cmpp(cmpp::MsgId),
    Smgp(smgp::MsgId),
    Sgip(sgip::SequenceNumber),
}

/// One MO part waiting to be sent.
#[derive(Debug, Clone)]
pub(crate) struct MoPart {
    pub(crate) account: usize,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) coding: u8,
    pub(crate) udhi: bool,
    pub(crate) content: Bytes,
    /// The id of the Deliver that first carried it, for sending it again under the same.
    pub(crate) deliver_id: Option<DeliverId>,
}

/// A Deliver (or SGIP Report) the gateway has to send to the SP.
#[derive(Debug, Clone)]
pub(crate) enum Outbound {
    Report(ReportJob),
    Mo(MoPart),
}

impl Outbound {
    pub(crate) fn account(&self) -> usize {
        match self {
            Self::Report(r) => r.account,
            Self::Mo(m) => m.account,
        }
    }

    /// The id it went out under before, or `fresh()` — remembered for a resend.
    pub(crate) fn deliver_id(&mut self, fresh: impl FnOnce() -> DeliverId) -> DeliverId {
        let slot = match self {
            Self::Report(r) => &mut r.deliver_id,
            Self::Mo(m) => &mut m.deliver_id,
        };
        *slot.get_or_insert_with(fresh)
    }
}

/// Orders to a connection task from outside.
#[derive(Debug)]
pub(crate) enum ConnCmd {
    Deliver(Outbound),
    Malformed,
    /// Drop the connection at once, unread bytes and all (a network cut).
    Cut,
    /// Look at the fault switches again (reading resumed).
    Wake,
}

#[derive(Debug)]
struct ConnEntry {
    id: u64,
    can_deliver: bool,
    tx: mpsc::UnboundedSender<ConnCmd>,
}

#[derive(Debug)]
pub(crate) struct AccountState {
    pub(crate) account: Account,
    conns: Mutex<Vec<ConnEntry>>,
    orphans: Mutex<VecDeque<Outbound>>,
    /// (second, submits in it) for the rate limit.
    rate: Mutex<(u64, u32)>,
    rr: AtomicUsize,
}

#[derive(Debug, Default, Clone, Copy)]
struct KeyState {
    ack_sent: bool,
    ack_written: bool,
}

/// The simulated gateway's state, shared by the tasks of one simulator (named for what it
/// holds: `link` and `dispatch` have their own shared state).
#[derive(Debug)]
pub(crate) struct GatewayState {
    pub(crate) config: SimConfig,
    pub(crate) stats: Stats,
    pub(crate) faults: Arc<FaultState>,
    pub(crate) accounts: Vec<AccountState>,
    pub(crate) ids: IdClock,
    pub(crate) draw: FailureDraw,
    dedup: Mutex<HashMap<u64, KeyState>>,
    submits: Mutex<Vec<ReceivedSubmit>>,
    next_conn: AtomicU64,
    /// Reference point for the whole seconds of the rate limit.
    started: tokio::time::Instant,
    /// SGIP: the queue of the reverse (SMG → SP) connection.
    pub(crate) reverse: Option<mpsc::UnboundedSender<Outbound>>,
    /// SGIP: the reverse connection is bound right now.
    pub(crate) reverse_open: AtomicBool,
    /// SGIP: write malformed bytes on the reverse connection.
    pub(crate) reverse_malformed: AtomicBool,
    /// SGIP: drop the reverse connection at once (a network cut).
    pub(crate) reverse_cut: AtomicBool,
    /// SGIP: wakes the reverse connection to look at `reverse_malformed`, `reverse_cut`.
    pub(crate) reverse_wake: Notify,
}

/// Why a connection could not be registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooMany;

impl GatewayState {
    pub(crate) fn new(config: SimConfig, reverse: Option<mpsc::UnboundedSender<Outbound>>) -> Self {
        let ids = match config.protocol {
            SimProtocol::Smgp => IdClock::new(60, 1_000_000),
            _ => IdClock::new(1, 65_536),
        };
        let accounts = config
            .accounts
            .iter()
            .map(|a| AccountState {
                account: a.clone(),
                conns: Mutex::new(Vec::new()),
                orphans: Mutex::new(VecDeque::new()),
                rate: Mutex::new((0, 0)),
                rr: AtomicUsize::new(0),
            })
            .collect();
        Self {
            draw: FailureDraw::new(config.seed, config.report_failure_ratio),
            config,
            stats: Stats::default(),
            faults: Arc::new(FaultState::default()),
            accounts,
            ids,
            dedup: Mutex::new(HashMap::new()),
            submits: Mutex::new(Vec::new()),
            next_conn: AtomicU64::new(1),
            started: tokio::time::Instant::now(),
            reverse,
            reverse_open: AtomicBool::new(false),
            reverse_malformed: AtomicBool::new(false),
            reverse_cut: AtomicBool::new(false),
            reverse_wake: Notify::new(),
        }
    }

    pub(crate) fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// The account with this id (compared as the login PDU carries it, up to its NUL).
    pub(crate) fn find_account(&self, id: &[u8]) -> Option<usize> {
        self.accounts
            .iter()
            .position(|a| a.account.id.as_bytes() == id)
    }

    pub(crate) fn account_by_name(&self, id: Option<&str>) -> Option<usize> {
        match id {
            Some(id) => self.find_account(id.as_bytes()),
            None => (!self.accounts.is_empty()).then_some(0),
        }
    }

    pub(crate) fn secret(&self, account: usize) -> &[u8] {
        self.accounts
            .get(account)
            .map_or(&[][..], |a| a.account.secret.as_bytes())
    }

    pub(crate) fn account_id(&self, account: usize) -> &str {
        self.accounts
            .get(account)
            .map_or("", |a| a.account.id.as_str())
    }

    /// Add an open connection to its account, unless the account is at its limit.
    /// Returns the Delivers that waited for a connection (when this one takes them).
    pub(crate) fn register(
        &self,
        account: usize,
        id: u64,
        can_deliver: bool,
        tx: mpsc::UnboundedSender<ConnCmd>,
    ) -> Result<Vec<Outbound>, TooMany> {
        let Some(acc) = self.accounts.get(account) else {
            return Err(TooMany);
        };
        // Lock order conns → orphans, here and in `route`, so a Deliver routed while this
        // connection registers either finds it or waits in `orphans` for this drain.
        let mut conns = lock(&acc.conns);
        if conns.len() >= self.config.max_connections_per_account {
            return Err(TooMany);
        }
        conns.push(ConnEntry {
            id,
            can_deliver,
            tx,
        });
        if can_deliver {
            Ok(lock(&acc.orphans).drain(..).collect())
        } else {
            Ok(Vec::new())
        }
    }

    pub(crate) fn unregister(&self, account: usize, id: u64) {
        if let Some(acc) = self.accounts.get(account) {
            lock(&acc.conns).retain(|c| c.id != id);
        }
    }

    /// Hand a Deliver to a connection of its account that can take it (another one
    /// than `except`), or to the SGIP reverse connection, or keep it for the account's
    /// next connection.
    pub(crate) fn route(&self, ob: Outbound, except: Option<u64>) {
        if let Some(reverse) = &self.reverse {
            // The reverse task lives as long as the simulator; after shutdown it is gone.
            let _ = reverse.send(ob);
            return;
        }
        let account = ob.account();
        let Some(acc) = self.accounts.get(account) else {
            return;
        };
        let mut ob = ob;
        let conns = lock(&acc.conns);
        {
            let candidates: Vec<&ConnEntry> = conns
                .iter()
                .filter(|c| c.can_deliver && Some(c.id) != except)
                .collect();
            if !candidates.is_empty() {
                let start = acc.rr.fetch_add(1, Ordering::Relaxed);
                for k in 0..candidates.len() {
                    let Some(c) = candidates.get((start + k) % candidates.len()) else {
                        continue;
                    };
                    match c.tx.send(ConnCmd::Deliver(ob)) {
                        Ok(()) => return,
                        Err(mpsc::error::SendError(ConnCmd::Deliver(back))) => ob = back,
                        Err(_) => return,
                    }
                }
            }
        }
        lock(&acc.orphans).push_back(ob);
        drop(conns);
    }

    /// Send all `parts` on one connection of `account` that can take Delivers (the
    /// parts of one long MO travel together), or on the SGIP reverse connection.
    pub(crate) fn send_mo(&self, account: usize, parts: Vec<Outbound>) -> bool {
        if let Some(reverse) = &self.reverse {
            return parts.into_iter().all(|p| reverse.send(p).is_ok());
        }
        let Some(acc) = self.accounts.get(account) else {
            return false;
        };
        let conns = lock(&acc.conns);
        let candidates: Vec<&ConnEntry> = conns.iter().filter(|c| c.can_deliver).collect();
        if candidates.is_empty() {
            return false;
        }
        let start = acc.rr.fetch_add(1, Ordering::Relaxed);
        for k in 0..candidates.len() {
            if let Some(c) = candidates.get((start + k) % candidates.len())
                && !c.tx.is_closed()
            {
                return parts
                    .into_iter()
                    .all(|p| c.tx.send(ConnCmd::Deliver(p)).is_ok());
            }
        }
        false
    }

    /// Order malformed bytes on every open connection (the SGIP reverse one included);
    /// false when none is open.
    pub(crate) fn send_malformed_to_all(&self) -> bool {
        let mut any = false;
        if self.reverse_open.load(Ordering::Acquire) {
            self.reverse_malformed.store(true, Ordering::Release);
            self.reverse_wake.notify_one();
            any = true;
        }
        for acc in &self.accounts {
            for c in lock(&acc.conns).iter() {
                any |= c.tx.send(ConnCmd::Malformed).is_ok();
            }
        }
        any
    }

    /// Cut every open connection (the SGIP reverse one too); false when none was open.
    pub(crate) fn cut_all(&self) -> bool {
        let mut any = false;
        if self.reverse_open.load(Ordering::Acquire) {
            self.reverse_cut.store(true, Ordering::Release);
            self.reverse_wake.notify_one();
            any = true;
        }
        for acc in &self.accounts {
            for c in lock(&acc.conns).iter() {
                any |= c.tx.send(ConnCmd::Cut).is_ok();
            }
        }
        any
    }

    /// Wake every connection task (a fault switch changed).
    pub(crate) fn wake_all(&self) {
        self.reverse_wake.notify_one();
        for acc in &self.accounts {
            for c in lock(&acc.conns).iter() {
                let _ = c.tx.send(ConnCmd::Wake);
            }
        }
    }

    /// Count a submit against the account's per-second limit; false when over it.
    pub(crate) fn rate_ok(&self, account: usize) -> bool {
        let Some(limit) = self.config.rate_limit_per_second else {
            return true;
        };
        let Some(acc) = self.accounts.get(account) else {
            return true;
        };
        let second = self.started.elapsed().as_secs();
        let mut r = lock(&acc.rate);
        if r.0 != second {
            *r = (second, 0);
        }
        if r.1 >= limit {
            return false;
        }
        r.1 += 1;
        true
    }

    /// Record an accepted submit's key; counts distinct keys and resends.
    pub(crate) fn accept_key(&self, key: u64) {
        let st = {
            let mut map = lock(&self.dedup);
            let e = map.entry(key).or_default();
            let before = *e;
            e.ack_sent = true;
            before
        };
        let c = &self.stats.c;
        if !st.ack_sent {
            Stats::inc(&c.submits_unique);
        } else {
            Stats::inc(&c.resent_after_ack);
            if st.ack_written {
                Stats::inc(&c.duplicates_after_ack);
            }
        }
    }

    /// These keys' success answers reached the socket.
    pub(crate) fn keys_written(&self, keys: impl Iterator<Item = u64>) {
        let mut map = lock(&self.dedup);
        for k in keys {
            map.entry(k).or_default().ack_written = true;
        }
    }

    pub(crate) fn record(&self, submit: ReceivedSubmit) {
        lock(&self.submits).push(submit);
    }

    pub(crate) fn submits(&self) -> Vec<ReceivedSubmit> {
        lock(&self.submits).clone()
    }
}
