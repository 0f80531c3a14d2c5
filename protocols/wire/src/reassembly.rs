//! Reassembly of inbound long MO messages (sms-encoding.md §3.3).
//!
//! Parts are keyed by (sender, destination number incl. extension, reference,
//! total); the UDH form (8- or 16-bit reference) is not part of the key, so a message
//! whose parts come through different gateways in different forms still joins up.
//! Parts may come in any order, twice, over different connections; extra
//! information elements (ports, …) are walked past and kept.
//!
//! What comes out is always a [`MoMessage`] — nothing is dropped and nothing panics:
//!
//! * all parts in → the joined text;
//! * the timeout passes ([`Reassembler::expire`]) or the pending-set cap pushes the
//!   oldest set out → the parts so far, with `[missing part 2/3]` where the gap is
//!   and a note;
//! * a UDH that does not parse → the whole content as it came, with a note.
//!
//! The payloads of a set are joined before decoding, so a surrogate pair or GBK
//! character that another gateway split across two parts comes out whole.
//!
//! Sans-IO: the caller passes `now` (e.g. `tokio::time::Instant::now().into_std()`,
//! which follows tokio's paused clock) and calls `expire` when
//! [`Reassembler::next_deadline`] is reached. Memory is bounded: at most
//! `max_pending` incomplete sets (each at most 255 parts) plus as many small
//! fingerprints of recently completed sets, used to drop late duplicates.
//!
//! Each part may carry a caller's tag ([`Reassembler::push_tagged`]): the tags of every
//! part that went into a message — repeats included — come out with it, and the tag of a
//! part dropped as a late copy comes back at once. A link uses this to answer each part's
//! DELIVER only once the message it belongs to is stored.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use crate::coding::{Coding, decode_text};
use crate::describe::udhi_set;
use crate::udh::{InformationElement, Udh};

/// Reassembler settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// How long a set may wait for its next part before it is delivered incomplete.
    /// Counted from the last new part. Default 120 s.
    pub timeout: Duration,
    /// Most incomplete sets held at once; a new set beyond it pushes the oldest out
    /// (delivered incomplete). Default 1024.
    pub max_pending: usize,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            max_pending: 1024,
        }
    }
}

/// One inbound DELIVER (MO) as the protocol crate decoded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoPart {
    /// Who sent it (CMPP `Src_terminal_Id`, SMGP `SrcTermID`, SGIP `UserNumber`).
    pub sender: String,
    /// The number it was sent to, extension included (CMPP `Dest_Id`, …).
    pub destination: String,
    /// The coding byte (`Msg_Fmt` / `MsgFormat` / `MessageCoding`).
    pub coding: u8,
    /// TP_udhi as received; 0x01 and 0x40 both mean "UDH present".
    pub tp_udhi: u8,
    /// The content, UDH included.
    pub content: Vec<u8>,
}

/// A message ready for the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoMessage {
    /// Who sent it.
    pub sender: String,
    /// The number it was sent to, extension included.
    pub destination: String,
    /// Coding of the (first received) part.
    pub coding: Coding,
    /// The text, with `[missing part N/T]` in place of parts that never came;
    /// `None` for binary codings.
    pub text: Option<String>,
    /// The user data of the received parts in order, UDHs removed; for a malformed
    /// UDH the whole content as received.
    pub payload: Vec<u8>,
    /// Concatenation reference, for a long message.
    pub reference: Option<u16>,
    /// Number of parts the message has (1 for a single message).
    pub total: u8,
    /// Part numbers received, ascending.
    pub received: Vec<u8>,
    /// Part numbers that never came, ascending.
    pub missing: Vec<u8>,
    /// Information elements other than concatenation (e.g. ports), from the first
    /// received part.
    pub elements: Vec<InformationElement>,
    /// What went wrong, if anything: missing parts, a malformed UDH, conflicting
    /// duplicates.
    pub note: Option<String>,
}

impl MoMessage {
    /// True when every part came and nothing needed a note.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.note.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    sender: String,
    destination: String,
    reference: u16,
    total: u8,
}

#[derive(Debug)]
struct Part {
    coding: u8,
    payload: Vec<u8>,
    elements: Vec<InformationElement>,
}

#[derive(Debug)]
struct Pending<T> {
    parts: BTreeMap<u8, Part>,
    /// Arrival order of the set, for eviction and output order.
    seq: u64,
    last_new: Instant,
    conflicts: Vec<u8>,
    /// The tags of every part pushed into the set, repeats included, in arrival order.
    tags: Vec<T>,
}

/// Fingerprint of a set delivered recently, to recognise late duplicates.
#[derive(Debug)]
struct Done {
    at: Instant,
    parts: BTreeMap<u8, u64>,
}

/// Joins long MO messages; see the module docs.
///
/// `T` is the caller's tag of a part (see [`Reassembler::push_tagged`]); the untagged
/// [`Reassembler::new`] / [`push`](Reassembler::push) / [`expire`](Reassembler::expire)
/// use `()`.
#[derive(Debug)]
pub struct Reassembler<T = ()> {
    config: ReassemblyConfig,
    pending: HashMap<Key, Pending<T>>,
    done: HashMap<Key, Done>,
    seq: u64,
}

/// A message ready for the inbox, with the tags of the parts it was joined from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged<T> {
    /// The message.
    pub message: MoMessage,
    /// The tag of every part that went into it (repeated parts too), in arrival order.
    pub tags: Vec<T>,
}

/// What [`Reassembler::push_tagged`] did with a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed<T> {
    /// The messages now ready, as for [`Reassembler::push`].
    pub ready: Vec<Tagged<T>>,
    /// The part's tag when the part was a late copy of a part already delivered and
    /// was dropped; it belongs to no message.
    pub dropped: Option<T>,
}

/// Why a set left the reassembler incomplete.
#[derive(Debug, Clone, Copy)]
enum Cause {
    Complete,
    TimedOut(Duration),
    Evicted(usize),
}

impl Reassembler {
    /// An empty reassembler whose parts carry no tag.
    pub fn new(config: ReassemblyConfig) -> Self {
        Self::tagged(config)
    }

    /// Take one inbound part. Returns the messages now ready: usually none (a part
    /// of a set still incomplete or a duplicate) or one (a single message, a set just
    /// completed); at most two when a new set pushes the oldest out of a full table.
    ///
    /// A repeated part of a long message is dropped — also after its set was
    /// delivered, for `timeout`, when the copy is byte-identical. A repeated single
    /// message has no key to recognise it by and comes out again: the link dedupes
    /// DELIVERs by message id. Sender and destination are compared as given, so the
    /// caller normalises them (`+86` prefixes) first.
    pub fn push(&mut self, part: MoPart, now: Instant) -> Vec<MoMessage> {
        untag(self.push_tagged(part, (), now).ready)
    }

    /// Deliver every set that has waited `timeout` since its last new part, with
    /// what arrived so far. Oldest set first.
    pub fn expire(&mut self, now: Instant) -> Vec<MoMessage> {
        untag(self.expire_tagged(now))
    }
}

fn untag(ready: Vec<Tagged<()>>) -> Vec<MoMessage> {
    ready.into_iter().map(|t| t.message).collect()
}

impl<T> Reassembler<T> {
    /// An empty reassembler whose parts carry a tag of type `T`.
    pub fn tagged(config: ReassemblyConfig) -> Self {
        Self {
            config,
            pending: HashMap::new(),
            done: HashMap::new(),
            seq: 0,
        }
    }

    /// [`push`](Reassembler::push) with a tag for the part: it comes out with the
    /// message the part goes into (at once for a single message, with its set
    /// otherwise — also a repeated part's tag, which joins the set's), or, for a late
    /// copy of a part already delivered, back in [`Pushed::dropped`].
    pub fn push_tagged(&mut self, part: MoPart, tag: T, now: Instant) -> Pushed<T> {
        let ready = |message: MoMessage, tag: T| Pushed {
            ready: vec![Tagged {
                message,
                tags: vec![tag],
            }],
            dropped: None,
        };
        let MoPart {
            sender,
            destination,
            coding,
            tp_udhi,
            content,
        } = part;
        if !udhi_set(tp_udhi) {
            return ready(
                single(sender, destination, coding, content, None, Vec::new(), None),
                tag,
            );
        }
        let (udh, payload) = match Udh::parse(&content) {
            Ok(parsed) => parsed,
            Err(e) => {
                let note = format!("malformed UDH ({e}); content delivered as received");
                let text = decode_text(Coding::from_u8(coding), &content);
                let mut m = single(
                    sender,
                    destination,
                    coding,
                    content,
                    None,
                    Vec::new(),
                    Some(note),
                );
                m.text = text;
                return ready(m, tag);
            }
        };
        let concat = udh.concat();
        let elements: Vec<InformationElement> = udh
            .elements
            .iter()
            .filter(|ie| !matches!(ie.iei, 0x00 | 0x08))
            .cloned()
            .collect();
        let payload = payload.to_vec();
        let Some(c) = concat else {
            return ready(
                single(sender, destination, coding, payload, None, elements, None),
                tag,
            );
        };
        if c.total == 0 || c.number == 0 || c.number > c.total {
            let note = format!(
                "invalid concatenation element (part {} of {}); delivered as a single message",
                c.number, c.total
            );
            return ready(
                single(
                    sender,
                    destination,
                    coding,
                    payload,
                    Some(c.reference),
                    elements,
                    Some(note),
                ),
                tag,
            );
        }
        if c.total == 1 {
            return ready(
                single(
                    sender,
                    destination,
                    coding,
                    payload,
                    Some(c.reference),
                    elements,
                    None,
                ),
                tag,
            );
        }
        let key = Key {
            sender,
            destination,
            reference: c.reference,
            total: c.total,
        };
        self.push_part(
            key,
            c.number,
            Part {
                coding,
                payload,
                elements,
            },
            tag,
            now,
        )
    }

    /// [`expire`](Reassembler::expire), each message with its parts' tags.
    pub fn expire_tagged(&mut self, now: Instant) -> Vec<Tagged<T>> {
        let timeout = self.config.timeout;
        self.done
            .retain(|_, d| now.saturating_duration_since(d.at) < timeout);
        let due: Vec<Key> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_duration_since(p.last_new) >= timeout)
            .map(|(k, _)| k.clone())
            .collect();
        let mut sets: Vec<(Key, Pending<T>)> = due
            .into_iter()
            .filter_map(|k| self.pending.remove(&k).map(|p| (k, p)))
            .collect();
        sets.sort_by_key(|(_, p)| p.seq);
        sets.into_iter()
            .map(|(k, p)| assemble(k, p, Cause::TimedOut(timeout)))
            .collect()
    }

    /// When the next set times out, if any set is pending.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending
            .values()
            .filter_map(|p| p.last_new.checked_add(self.config.timeout))
            .min()
    }

    /// Incomplete sets held.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn push_part(&mut self, key: Key, number: u8, part: Part, tag: T, now: Instant) -> Pushed<T> {
        if let Some(done) = self.done.get(&key) {
            if done.parts.get(&number) == Some(&fingerprint(&part)) {
                // A late copy of a part already delivered.
                return Pushed {
                    ready: Vec::new(),
                    dropped: Some(tag),
                };
            }
            // Same key, different content: a new message reusing the reference.
            self.done.remove(&key);
        }
        let mut ready = Vec::new();
        if let Some(set) = self.pending.get_mut(&key) {
            set.tags.push(tag);
            match set.parts.get(&number) {
                Some(existing)
                    if existing.payload == part.payload && existing.coding == part.coding => {}
                Some(_) => set.conflicts.push(number),
                None => {
                    set.parts.insert(number, part);
                    set.last_new = now;
                }
            }
            if set.parts.len() >= usize::from(key.total) {
                if let Some(set) = self.pending.remove(&key) {
                    self.remember(&key, &set, now);
                    ready.push(assemble(key, set, Cause::Complete));
                }
            }
            return Pushed {
                ready,
                dropped: None,
            };
        }
        if self.pending.len() >= self.config.max_pending.max(1) {
            let oldest = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.seq)
                .map(|(k, _)| k.clone());
            if let Some(set) = oldest.and_then(|k| self.pending.remove_entry(&k)) {
                ready.push(assemble(
                    set.0,
                    set.1,
                    Cause::Evicted(self.config.max_pending),
                ));
            }
        }
        self.seq += 1;
        let mut parts = BTreeMap::new();
        parts.insert(number, part);
        self.pending.insert(
            key,
            Pending {
                parts,
                seq: self.seq,
                last_new: now,
                conflicts: Vec::new(),
                tags: vec![tag],
            },
        );
        Pushed {
            ready,
            dropped: None,
        }
    }

    fn remember(&mut self, key: &Key, set: &Pending<T>, now: Instant) {
        if self.done.len() >= self.config.max_pending.max(1) {
            let oldest = self
                .done
                .iter()
                .min_by_key(|(_, d)| d.at)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.done.remove(&k);
            }
        }
        let parts = set
            .parts
            .iter()
            .map(|(&n, p)| (n, fingerprint(p)))
            .collect();
        self.done.insert(key.clone(), Done { at: now, parts });
    }
}

fn fingerprint(part: &Part) -> u64 {
    let mut h = DefaultHasher::new();
    part.coding.hash(&mut h);
    part.payload.hash(&mut h);
    h.finish()
}

/// A message that needs no joining.
fn single(
    sender: String,
    destination: String,
    coding: u8,
    payload: Vec<u8>,
    reference: Option<u16>,
    elements: Vec<InformationElement>,
    note: Option<String>,
) -> MoMessage {
    let coding = Coding::from_u8(coding);
    MoMessage {
        sender,
        destination,
        coding,
        text: decode_text(coding, &payload),
        payload,
        reference,
        total: 1,
        received: vec![1],
        missing: Vec::new(),
        elements,
        note,
    }
}

/// Join a set's parts, marking the gaps.
fn assemble<T>(key: Key, mut set: Pending<T>, cause: Cause) -> Tagged<T> {
    let total = key.total;
    let received: Vec<u8> = set.parts.keys().copied().collect();
    let missing: Vec<u8> = (1..=total).filter(|n| !set.parts.contains_key(n)).collect();
    let first_coding = set.parts.values().next().map_or(0, |p| p.coding);
    let elements = set
        .parts
        .values_mut()
        .next()
        .map(|p| std::mem::take(&mut p.elements))
        .unwrap_or_default();

    let mut text = Some(String::new());
    let mut payload = Vec::new();
    // Consecutive parts in the same coding are decoded together so a character split
    // across parts survives.
    let mut run: Vec<u8> = Vec::new();
    let mut run_coding: Option<u8> = None;
    let mut gap_start: Option<u8> = None;
    for n in 1..=total {
        match set.parts.get(&n) {
            Some(p) => {
                if let Some(g) = gap_start.take() {
                    push_marker(&mut text, g, n - 1, total);
                }
                if run_coding.is_some_and(|c| c != p.coding) {
                    flush(&mut text, &mut run, run_coding);
                }
                run_coding = Some(p.coding);
                run.extend_from_slice(&p.payload);
                payload.extend_from_slice(&p.payload);
            }
            None => {
                flush(&mut text, &mut run, run_coding);
                gap_start.get_or_insert(n);
            }
        }
    }
    flush(&mut text, &mut run, run_coding);
    if let Some(g) = gap_start {
        push_marker(&mut text, g, total, total);
    }

    let mut notes = Vec::new();
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let plural = if missing.len() > 1 { "s" } else { "" };
        let why = match cause {
            Cause::TimedOut(t) => format!("timed out after {}s", t.as_secs()),
            Cause::Evicted(cap) => format!("pushed out by the pending-set cap ({cap})"),
            Cause::Complete => "incomplete".to_owned(),
        };
        notes.push(format!("{why}: missing part{plural} {list} of {total}"));
    }
    if !set.conflicts.is_empty() {
        set.conflicts.sort_unstable();
        set.conflicts.dedup();
        let list = set
            .conflicts
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        notes.push(format!(
            "part(s) {list} arrived again with different content; the first copy was kept"
        ));
    }
    let message = MoMessage {
        sender: key.sender,
        destination: key.destination,
        coding: Coding::from_u8(first_coding),
        text,
        payload,
        reference: Some(key.reference),
        total,
        received,
        missing,
        elements,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    };
    Tagged {
        message,
        tags: set.tags,
    }
}

/// Decode the pending run into `text`; a binary run makes the whole text `None`.
fn flush(text: &mut Option<String>, run: &mut Vec<u8>, coding: Option<u8>) {
    let Some(coding) = coding else { return };
    if run.is_empty() {
        return;
    }
    match decode_text(Coding::from_u8(coding), run) {
        Some(s) => {
            if let Some(t) = text.as_mut() {
                t.push_str(&s);
            }
        }
        None => *text = None,
    }
    run.clear();
}

fn push_marker(text: &mut Option<String>, from: u8, to: u8, total: u8) {
    if let Some(t) = text.as_mut() {
        let _ = if from == to {
            write!(t, "[missing part {from}/{total}]")
        } else {
            write!(t, "[missing parts {from}-{to}/{total}]")
        };
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn part(udh: &[u8], text: &str) -> MoPart {
        let mut content = udh.to_vec();
        content.extend(crate::encode::encode_ucs2(text));
        MoPart {
            sender: "13800138000".into(),
            destination: "106901238866".into(),
            coding: 8,
            tp_udhi: 1,
            content,
        }
    }

    fn r() -> Reassembler {
        Reassembler::new(ReassemblyConfig {
            timeout: Duration::from_secs(60),
            max_pending: 2,
        })
    }

    #[test]
    fn single_message_passes_straight_through() {
        let t = Instant::now();
        let mut m = r().push(
            MoPart {
                tp_udhi: 0,
                ..part(&[], "TD")
            },
            t,
        );
        assert_eq!(m.len(), 1);
        let m = m.remove(0);
        assert_eq!(m.text.as_deref(), Some("TD"));
        assert!(m.is_complete());
        assert_eq!((m.total, m.reference), (1, None));
    }

    #[test]
    fn out_of_order_with_duplicate() {
        let t = Instant::now();
        let mut re = r();
        assert!(re.push(part(&[5, 0, 3, 9, 3, 3], "丙"), t).is_empty());
        assert!(re.push(part(&[5, 0, 3, 9, 3, 1], "甲"), t).is_empty());
        assert!(re.push(part(&[5, 0, 3, 9, 3, 3], "丙"), t).is_empty());
        let m = re.push(part(&[5, 0, 3, 9, 3, 2], "乙"), t);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].text.as_deref(), Some("甲乙丙"));
        assert_eq!(m[0].received, vec![1, 2, 3]);
        assert!(m[0].is_complete());
        assert_eq!(re.pending(), 0);
        // A late copy after completion is dropped, not delivered again.
        assert!(re.push(part(&[5, 0, 3, 9, 3, 2], "乙"), t).is_empty());
        assert_eq!(re.pending(), 0);
    }

    #[test]
    fn mixed_udh_forms_join() {
        let t = Instant::now();
        let mut re = r();
        assert!(re.push(part(&[6, 8, 4, 0, 9, 2, 2], "乙"), t).is_empty());
        let m = re.push(part(&[5, 0, 3, 9, 2, 1], "甲"), t);
        assert_eq!(m[0].text.as_deref(), Some("甲乙"));
    }

    #[test]
    fn timeout_marks_the_gap() {
        let t = Instant::now();
        let mut re = r();
        re.push(part(&[5, 0, 3, 1, 3, 1], "甲"), t);
        re.push(part(&[5, 0, 3, 1, 3, 3], "丙"), t + Duration::from_secs(10));
        assert_eq!(re.next_deadline(), Some(t + Duration::from_secs(70)));
        assert!(re.expire(t + Duration::from_secs(69)).is_empty());
        let m = re.expire(t + Duration::from_secs(70));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].text.as_deref(), Some("甲[missing part 2/3]丙"));
        assert_eq!(m[0].missing, vec![2]);
        assert_eq!(
            m[0].note.as_deref(),
            Some("timed out after 60s: missing part 2 of 3")
        );
        assert!(!m[0].is_complete());
    }

    #[test]
    fn cap_pushes_the_oldest_out() {
        let t = Instant::now();
        let mut re = r();
        re.push(part(&[5, 0, 3, 1, 2, 1], "一"), t);
        re.push(part(&[5, 0, 3, 2, 2, 1], "二"), t);
        let m = re.push(part(&[5, 0, 3, 3, 2, 1], "三"), t);
        assert_eq!(re.pending(), 2);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].reference, Some(1));
        assert_eq!(m[0].text.as_deref(), Some("一[missing part 2/2]"));
        assert!(
            m[0].note
                .as_deref()
                .unwrap_or_default()
                .contains("pending-set cap")
        );
    }

    #[test]
    fn malformed_udh_is_delivered_raw() {
        let t = Instant::now();
        let p = MoPart {
            coding: 0,
            tp_udhi: 0x40,
            content: b"\x09hi".to_vec(),
            ..part(&[], "")
        };
        let m = r().push(p, t);
        assert_eq!(m[0].text.as_deref(), Some("\thi"));
        assert_eq!(m[0].payload, b"\x09hi");
        assert!(
            m[0].note
                .as_deref()
                .unwrap_or_default()
                .starts_with("malformed UDH")
        );
    }

    #[test]
    fn invalid_concat_numbers_are_noted() {
        let t = Instant::now();
        for udh in [[5, 0, 3, 1, 2, 0], [5, 0, 3, 1, 2, 3], [5, 0, 3, 1, 0, 0]] {
            let m = r().push(part(&udh, "x"), t);
            assert_eq!(m[0].text.as_deref(), Some("x"));
            assert!(
                m[0].note
                    .as_deref()
                    .unwrap_or_default()
                    .contains("invalid concatenation")
            );
        }
    }

    #[test]
    fn conflicting_duplicate_is_noted_first_kept() {
        let t = Instant::now();
        let mut re = r();
        re.push(part(&[5, 0, 3, 1, 2, 1], "甲"), t);
        re.push(part(&[5, 0, 3, 1, 2, 1], "X"), t);
        let m = re.push(part(&[5, 0, 3, 1, 2, 2], "乙"), t);
        assert_eq!(m[0].text.as_deref(), Some("甲乙"));
        assert!(
            m[0].note
                .as_deref()
                .unwrap_or_default()
                .contains("different content")
        );
    }

    #[test]
    fn surrogate_pair_split_by_the_sender_survives() {
        let t = Instant::now();
        let mut re = r();
        let mut a = part(&[5, 0, 3, 4, 2, 1], "");
        a.content.extend([0xd8, 0x3d]);
        let mut b = part(&[5, 0, 3, 4, 2, 2], "");
        b.content.extend([0xde, 0x00]);
        re.push(b, t);
        let m = re.push(a, t);
        assert_eq!(m[0].text.as_deref(), Some("😀"));
    }

    #[test]
    fn other_elements_are_kept() {
        let t = Instant::now();
        let udh = [
            0x0b, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x03, 0x01, 0x01, 0x01,
        ];
        let m = r().push(part(&udh, "x"), t);
        assert_eq!(
            m[0].elements,
            vec![InformationElement {
                iei: 5,
                data: vec![0x0b, 0x84, 0x23, 0xf0]
            }]
        );
        assert_eq!(m[0].reference, Some(1));
    }

    fn tagged() -> Reassembler<u32> {
        Reassembler::tagged(ReassemblyConfig {
            timeout: Duration::from_secs(60),
            max_pending: 2,
        })
    }

    #[test]
    fn tags_come_out_with_the_message_their_parts_went_into() {
        let t = Instant::now();
        let mut re = tagged();
        let single = re.push_tagged(
            MoPart {
                tp_udhi: 0,
                ..part(&[], "TD")
            },
            1,
            t,
        );
        assert_eq!(single.ready.len(), 1);
        assert_eq!(single.ready[0].tags, vec![1]);
        // A set: out of order, part 3 twice (both copies' tags stay with the set).
        assert!(
            re.push_tagged(part(&[5, 0, 3, 9, 3, 3], "丙"), 10, t)
                .ready
                .is_empty()
        );
        assert!(
            re.push_tagged(part(&[5, 0, 3, 9, 3, 1], "甲"), 11, t)
                .ready
                .is_empty()
        );
        let again = re.push_tagged(part(&[5, 0, 3, 9, 3, 3], "丙"), 12, t);
        assert!(again.ready.is_empty() && again.dropped.is_none());
        let done = re.push_tagged(part(&[5, 0, 3, 9, 3, 2], "乙"), 13, t);
        assert_eq!(done.ready.len(), 1);
        assert_eq!(done.ready[0].message.text.as_deref(), Some("甲乙丙"));
        assert_eq!(done.ready[0].tags, vec![10, 11, 12, 13]);
        // A late copy of a delivered part belongs to no message: its tag comes back.
        let late = re.push_tagged(part(&[5, 0, 3, 9, 3, 2], "乙"), 14, t);
        assert!(late.ready.is_empty());
        assert_eq!(late.dropped, Some(14));
    }

    #[test]
    fn timed_out_and_evicted_sets_keep_their_tags() {
        let t = Instant::now();
        let mut re = tagged();
        assert!(
            re.push_tagged(part(&[5, 0, 3, 1, 2, 1], "a"), 1, t)
                .ready
                .is_empty()
        );
        assert!(
            re.push_tagged(part(&[5, 0, 3, 2, 2, 1], "b"), 2, t)
                .ready
                .is_empty()
        );
        // A third set pushes the oldest out of the table (max_pending 2).
        let pushed = re.push_tagged(part(&[5, 0, 3, 3, 2, 1], "c"), 3, t);
        assert_eq!(pushed.ready.len(), 1);
        assert_eq!(pushed.ready[0].tags, vec![1]);
        assert!(!pushed.ready[0].message.is_complete());
        let expired = re.expire_tagged(t + Duration::from_secs(61));
        let tags: Vec<Vec<u32>> = expired.into_iter().map(|m| m.tags).collect();
        assert_eq!(tags, vec![vec![2], vec![3]]);
    }
}
