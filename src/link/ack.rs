//! Answers held back until what a DELIVER carried is durable: *ack after commit*.
//!
//! A gateway that has its DELIVER_RESP (Deliver_Resp, Report_Resp) never sends that
//! DELIVER again, so answering a status report or an MO part before it is stored loses it
//! to a crash in between. The link therefore answers those DELIVERs only when its
//! consumer says what they carried is durable: the event ([`LinkEvent::Report`],
//! [`LinkEvent::Mo`]) carries an [`Ack`], and [`Ack::answer`] queues the answer on the
//! connection the DELIVER came in on, which writes it with its next burst. Every other
//! request (ACTIVE_TEST, TERMINATE, an unreadable DELIVER) is still answered at once.
//!
//! * An `Ack` dropped without [`Ack::answer`] (the store failed, the consumer went away)
//!   leaves its DELIVERs unanswered: the gateway sends them again.
//! * A connection gone by the time its answer comes drops the answer: the gateway sends
//!   the unanswered DELIVER again on its next connection.
//!
//! # Repeats
//!
//! A gateway repeats a DELIVER whose answer it did not see: the same MO DELIVER under the
//! same DELIVER id, a report also under a new id. The [`Book`] knows each by its *repeat
//! key* — a report by (msg id, recipient, status), an MO part by its DELIVER id — and a
//! repeat is never handed on twice:
//!
//! * first copy handed on, not yet durable: the repeat's answer waits with the first
//!   one's and goes when the first is durable, or is dropped with it — answering the
//!   repeat earlier would let a crash lose the content the gateway then thinks delivered;
//! * first copy durable (among the most recent [`RECENT_REPORTS`] reports /
//!   [`RECENT_DELIVERS`] DELIVER ids): the repeat is answered at once;
//! * otherwise — never seen, long forgotten, or its first copy was dropped unstored — it
//!   is handed on as new (the store keeps the first report it has for a segment).
//!
//! [`LinkEvent::Report`]: super::LinkEvent::Report
//! [`LinkEvent::Mo`]: super::LinkEvent::Mo

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::dedupe::RecentIds;
use super::message::CarrierMsgId;
use super::shared::lock;

/// How many durable MO DELIVER ids are remembered for answering repeats at once.
pub(crate) const RECENT_DELIVERS: usize = 16_384;
/// How many durable reports are remembered for answering repeats at once.
pub(crate) const RECENT_REPORTS: usize = 65_536;

/// What a connection receives for each DELIVER it handed on: the answer to write, or
/// `None` when no answer will come (the consumer dropped the [`Ack`]). Exactly one per
/// [`Answer`], so a connection can count the DELIVERs it still owes an answer.
pub(crate) type Reply = Option<Bytes>;

/// The end of a connection's reply queue that [`Answer`]s are made with.
pub(crate) type Replies = mpsc::UnboundedSender<Reply>;

/// The encoded answer to one DELIVER, bound to the connection it came in on.
pub(crate) struct Answer {
    to: Replies,
    /// `None` once sent (or given up).
    bytes: Option<Bytes>,
}

impl Answer {
    pub(crate) fn new(to: &Replies, bytes: Bytes) -> Self {
        Self {
            to: to.clone(),
            bytes: Some(bytes),
        }
    }

    /// Hands the answer to its connection; nothing happens when the connection is gone.
    fn write(mut self) {
        if let Some(b) = self.bytes.take() {
            let _ = self.to.send(Some(b));
        }
    }
}

impl Drop for Answer {
    /// Never written: tell the connection not to wait for it.
    fn drop(&mut self) {
        if self.bytes.take().is_some() {
            let _ = self.to.send(None);
        }
    }
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("bytes", &self.bytes.as_ref().map(Bytes::len))
            .finish()
    }
}

/// What makes two DELIVERs the same to the [`Book`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RepeatKey {
    /// A status report, by a hash of (msg id, recipient, status, error).
    Report(u64),
    /// An MO part, by the id of the DELIVER that carried it and a hash of what it
    /// carried (sender, destination, coding, content: `shared.rs`).
    Deliver(CarrierMsgId, u64),
}

/// What [`Book::arrive`] made of a DELIVER.
#[derive(Debug)]
pub(crate) enum Arrival {
    /// First seen (or first since its last copy was dropped unstored): hand it on with
    /// this ack.
    New(Ack),
    /// A repeat of one handed on and not yet durable: its answer waits for that one's.
    Waiting,
    /// A repeat of one already durable: answered.
    Answered,
}

/// DELIVERs handed on and not yet durable, and the keys of those that are (see the
/// module docs). One per account, shared by its connections and the SGIP listener.
#[derive(Debug)]
pub(crate) struct Book {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Handed on, not durable yet: the answers of the first copy and of every repeat.
    waiting: HashMap<RepeatKey, Vec<Answer>, foldhash::fast::RandomState>,
    durable_reports: RecentIds<u64>,
    durable_delivers: RecentIds<(CarrierMsgId, u64)>,
}

impl Inner {
    fn is_durable(&self, key: &RepeatKey) -> bool {
        match key {
            RepeatKey::Report(k) => self.durable_reports.contains(k),
            RepeatKey::Deliver(id, content) => self.durable_delivers.contains(&(*id, *content)),
        }
    }

    fn mark_durable(&mut self, key: RepeatKey) {
        match key {
            RepeatKey::Report(k) => self.durable_reports.insert(k),
            RepeatKey::Deliver(id, content) => self.durable_delivers.insert((id, content)),
        };
    }
}

impl Book {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(Inner {
                waiting: HashMap::default(),
                durable_reports: RecentIds::new(RECENT_REPORTS),
                durable_delivers: RecentIds::new(RECENT_DELIVERS),
            }),
        })
    }

    /// A DELIVER arrived with this repeat key (`None`: it cannot be recognised, e.g. an
    /// all-zero id) and this answer (`None`: it has none, or it could not be encoded).
    pub(crate) fn arrive(
        self: &Arc<Self>,
        key: Option<RepeatKey>,
        answer: Option<Answer>,
    ) -> Arrival {
        let Some(key) = key else {
            return Arrival::New(Ack {
                book: None,
                entries: answer.map(Entry::Direct).into_iter().collect(),
            });
        };
        let mut inner = lock(&self.inner);
        if let Some(waiting) = inner.waiting.get_mut(&key) {
            waiting.extend(answer);
            return Arrival::Waiting;
        }
        if inner.is_durable(&key) {
            drop(inner);
            if let Some(a) = answer {
                a.write();
            }
            return Arrival::Answered;
        }
        inner
            .waiting
            .insert(key.clone(), answer.into_iter().collect());
        Arrival::New(Ack {
            book: Some(Arc::clone(self)),
            entries: vec![Entry::Keyed(key)],
        })
    }

    /// DELIVERs handed on whose content is not durable yet (for tests and status).
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        lock(&self.inner).waiting.len()
    }
}

#[derive(Debug)]
enum Entry {
    /// Answers (first copy and repeats) kept in the book under this key.
    Keyed(RepeatKey),
    /// An answer with no repeat key.
    Direct(Answer),
}

/// The answers owed for what a [`LinkEvent::Report`](super::LinkEvent::Report) or
/// [`LinkEvent::Mo`](super::LinkEvent::Mo) carried: call [`Ack::answer`] once it is
/// durable (stored and committed). Dropping it instead leaves the DELIVERs unanswered, so
/// the gateway sends them again — the right thing when they could not be stored.
///
/// An MO message joined from several parts holds the answers of all of them; a report
/// held by the link until its submit response came keeps its answer meanwhile.
#[must_use = "dropping an Ack leaves its DELIVERs unanswered; call answer() once stored"]
pub struct Ack {
    book: Option<Arc<Book>>,
    entries: Vec<Entry>,
}

impl Ack {
    /// One ack for several (the parts of one MO message).
    pub(crate) fn join(acks: impl IntoIterator<Item = Ack>) -> Ack {
        let mut out = Ack {
            book: None,
            entries: Vec::new(),
        };
        for mut a in acks {
            if out.book.is_none() {
                out.book = a.book.take();
            }
            out.entries.append(&mut a.entries);
        }
        out
    }

    /// What the event carried is durable: answer its DELIVERs — and the repeats of them
    /// that came meanwhile — on the connections they came in on.
    pub fn answer(mut self) {
        for a in self.take_answers(true) {
            a.write();
        }
    }

    /// Takes the answers of its DELIVERs and of their waiting repeats out of the book;
    /// `durable` also records the DELIVERs as stored, so later repeats are answered at
    /// once. The book's lock is released before the caller writes or drops them.
    fn take_answers(&mut self, durable: bool) -> Vec<Answer> {
        let entries = std::mem::take(&mut self.entries);
        let mut answers = Vec::with_capacity(entries.len());
        let mut inner = self.book.as_ref().map(|b| lock(&b.inner));
        for e in entries {
            match e {
                Entry::Direct(a) => answers.push(a),
                Entry::Keyed(key) => {
                    if let Some(inner) = inner.as_mut() {
                        answers.extend(inner.waiting.remove(&key).into_iter().flatten());
                        if durable {
                            inner.mark_durable(key);
                        }
                    }
                }
            }
        }
        answers
    }

    /// For tests of a consumer: an ack for one DELIVER whose answer is `answer`, and the
    /// receiving end of its connection's reply queue.
    #[cfg(test)]
    pub(crate) fn detached(answer: &'static [u8]) -> (Ack, mpsc::UnboundedReceiver<Reply>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let ack = Ack {
            book: None,
            entries: vec![Entry::Direct(Answer::new(&tx, Bytes::from_static(answer)))],
        };
        (ack, rx)
    }

    /// The gateway's ids of the DELIVERs it answers that carry one (an MO message's
    /// parts), in the order they were joined. A gateway resends an unanswered DELIVER
    /// under its first id, so these tell a resend from a new message even after a
    /// restart, once they are stored with what the DELIVERs carried.
    pub fn deliver_ids(&self) -> Vec<CarrierMsgId> {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Keyed(RepeatKey::Deliver(id, _)) => Some(*id),
                _ => None,
            })
            .collect()
    }

    /// For tests of a consumer: [`detached`](Self::detached), keyed by the id of the
    /// DELIVER it answers, as an MO part's ack is.
    #[cfg(test)]
    pub(crate) fn detached_deliver(
        answer: &'static [u8],
        id: CarrierMsgId,
    ) -> (Ack, mpsc::UnboundedReceiver<Reply>) {
        let book = Book::new();
        let (tx, rx) = mpsc::unbounded_channel();
        let arrival = book.arrive(
            Some(RepeatKey::Deliver(id, 0)),
            Some(Answer::new(&tx, Bytes::from_static(answer))),
        );
        let Arrival::New(ack) = arrival else {
            unreachable!("a fresh book has seen nothing");
        };
        (ack, rx)
    }

    /// How many DELIVERs (first copies) it answers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it answers nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Drop for Ack {
    /// Not durable: forget the DELIVERs, so that the gateway's resend is taken as new,
    /// and drop their answers.
    fn drop(&mut self) {
        if self.entries.is_empty() {
            return;
        }
        // The answers go (each telling its connection not to wait) outside the lock.
        drop(self.take_answers(false));
    }
}

impl std::fmt::Debug for Ack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ack")
            .field("delivers", &self.entries.len())
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn conn() -> (Replies, mpsc::UnboundedReceiver<Reply>) {
        mpsc::unbounded_channel()
    }

    fn replies(rx: &mut mpsc::UnboundedReceiver<Reply>) -> Vec<Reply> {
        let mut out = Vec::new();
        while let Ok(r) = rx.try_recv() {
            out.push(r);
        }
        out
    }

    fn answer(to: &Replies, b: &'static [u8]) -> Option<Answer> {
        Some(Answer::new(to, Bytes::from_static(b)))
    }

    fn new(a: Arrival) -> Ack {
        match a {
            Arrival::New(ack) => ack,
            other => panic!("expected a new arrival, got {other:?}"),
        }
    }

    #[test]
    fn nothing_is_answered_before_the_ack_and_everything_after() {
        let book = Book::new();
        let (tx, mut rx) = conn();
        let key = RepeatKey::Report(1);
        let ack = new(book.arrive(Some(key.clone()), answer(&tx, b"first")));
        assert!(replies(&mut rx).is_empty());
        // A repeat while the first is not durable: not handed on, not answered yet.
        assert!(matches!(
            book.arrive(Some(key.clone()), answer(&tx, b"repeat")),
            Arrival::Waiting
        ));
        assert!(replies(&mut rx).is_empty());
        ack.answer();
        assert_eq!(
            replies(&mut rx),
            vec![
                Some(Bytes::from_static(b"first")),
                Some(Bytes::from_static(b"repeat"))
            ]
        );
        // Durable now: a later repeat is answered at once.
        assert!(matches!(
            book.arrive(Some(key), answer(&tx, b"late")),
            Arrival::Answered
        ));
        assert_eq!(replies(&mut rx), vec![Some(Bytes::from_static(b"late"))]);
        assert_eq!(book.waiting(), 0);
    }

    #[test]
    fn a_dropped_ack_answers_nothing_and_forgets_the_deliver() {
        let book = Book::new();
        let (tx, mut rx) = conn();
        let key = RepeatKey::Deliver(CarrierMsgId::Cmpp(7), 1);
        let ack = new(book.arrive(Some(key.clone()), answer(&tx, b"first")));
        assert!(matches!(
            book.arrive(Some(key.clone()), answer(&tx, b"repeat")),
            Arrival::Waiting
        ));
        drop(ack);
        // Each DELIVER is given up (so the connection stops waiting), none answered.
        assert_eq!(replies(&mut rx), vec![None, None]);
        // The gateway's next resend is new again.
        let again = new(book.arrive(Some(key), answer(&tx, b"resend")));
        again.answer();
        assert_eq!(replies(&mut rx), vec![Some(Bytes::from_static(b"resend"))]);
    }

    #[test]
    fn answers_go_to_the_connection_each_deliver_came_on() {
        let book = Book::new();
        let (a, ra) = conn();
        let (b, mut rb) = conn();
        let key = RepeatKey::Report(9);
        let ack = new(book.arrive(Some(key.clone()), answer(&a, b"on a")));
        // The first connection is gone; the gateway resends on the second.
        drop(ra);
        assert!(matches!(
            book.arrive(Some(key), answer(&b, b"on b")),
            Arrival::Waiting
        ));
        ack.answer();
        // The answer for the dead connection went nowhere; the live one got its own.
        assert_eq!(replies(&mut rb), vec![Some(Bytes::from_static(b"on b"))]);
    }

    #[test]
    fn joined_acks_answer_every_part_and_unkeyed_delivers_pass_through() {
        let book = Book::new();
        let (tx, mut rx) = conn();
        let parts: Vec<Ack> = (1..=3)
            .map(|i| {
                new(book.arrive(
                    Some(RepeatKey::Deliver(CarrierMsgId::Cmpp(i), 1)),
                    answer(&tx, b"part"),
                ))
            })
            .collect();
        let unkeyed = new(book.arrive(None, answer(&tx, b"zero id")));
        let report = new(book.arrive(Some(RepeatKey::Report(9)), answer(&tx, b"report")));
        let ack = Ack::join(parts.into_iter().chain([unkeyed]));
        assert_eq!(ack.len(), 4);
        // The DELIVER ids are what the store keys a message by: the keyed parts only.
        assert_eq!(
            ack.deliver_ids(),
            (1..=3).map(CarrierMsgId::Cmpp).collect::<Vec<_>>()
        );
        assert!(report.deliver_ids().is_empty());
        report.answer();
        assert_eq!(replies(&mut rx).len(), 1);
        ack.answer();
        assert_eq!(replies(&mut rx).len(), 4);
        assert_eq!(book.waiting(), 0);
    }
}
