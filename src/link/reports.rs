//! Matching status reports to the submits they report on, by carrier message id.
//!
//! A submit response gives the carrier's message id for a submit (CMPP `Msg_Id`, SMGP
//! `MsgID`, SGIP's submit sequence number); a status report later names that id. Usually the
//! response comes first, but not always: a gateway may push the report (over another
//! connection, or simply first) before the response to the submit has been read. So:
//!
//! * [`ReportMatcher::submitted`] records `id → key` for a while (bounded by count and age)
//!   and hands back any reports that were waiting for that id;
//! * [`ReportMatcher::report`] matches a report to a recorded submit, or holds it;
//! * a held report that waits longer than its age limit, or is pushed out because the hold
//!   is full, comes back as an [`Orphan`] — for the caller to store and match against older
//!   submits by message id (the store's durable record outlives this cache). A report is
//!   never dropped silently.
//!
//! When nothing of the account is waiting for a submit response any more, no held report
//! can still be matched here: [`ReportMatcher::release_held`] hands them all over at once
//! instead of waiting for the age limit. Share one matcher between the connections of an
//! account when reports can arrive on a different connection than their submit.
//!
//! The matcher is generic over the message-id type `Id`, the caller's submit key `Key` (a
//! segment row id, say) and the report type `R`; it never reads the clock.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use std::num::NonZeroUsize;
use std::time::Duration;

/// Hasher for the id maps. foldhash is several times cheaper than std's SipHash on these
/// small keys. Message ids are chosen by the carrier (or by a peer we do not trust), so a
/// flooding peer could aim for collisions; foldhash's `RandomState` is seeded per map from
/// per-process randomness, which makes that hard without SipHash's cost, and both maps are
/// bounded in count (`remember`, `hold`) and evicted by age, so the worst case is bounded.
type IdState = foldhash::fast::RandomState;

use tokio::time::Instant;

use super::deadline;

/// Bounds of a [`ReportMatcher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportConfig {
    /// Most `id → key` records kept (default 16 384); the oldest goes first.
    pub remember: NonZeroUsize,
    /// How long an `id → key` record is used for matching (default 10 minutes).
    pub remember_for: Duration,
    /// Most early reports held at once (default 1 024); when full, the oldest becomes an
    /// orphan.
    pub hold: NonZeroUsize,
    /// How long an early report waits for its submit response (default 180 s: the default
    /// window's 60 s response timeout times its 3 attempts).
    ///
    /// Zero holds nothing: a report for an unknown id is handed back at once, as if
    /// pushed out of a full hold. A link answers a report's DELIVER only once the report
    /// has come out and been stored, so a held report is also answered that much later.
    pub hold_for: Duration,
}

impl Default for ReportConfig {
    fn default() -> Self {
        Self {
            remember: NonZeroUsize::new(16_384).unwrap_or(NonZeroUsize::MIN),
            remember_for: Duration::from_secs(600),
            hold: NonZeroUsize::new(1_024).unwrap_or(NonZeroUsize::MIN),
            hold_for: Duration::from_secs(180),
        }
    }
}

/// A report matched to its submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched<Id, Key, R> {
    /// The carrier message id.
    pub id: Id,
    /// The caller's key of the submit.
    pub key: Key,
    /// The report.
    pub report: R,
}

/// A report this matcher could not match; the caller stores it for matching elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan<Id, R> {
    /// The carrier message id the report names.
    pub id: Id,
    /// The report.
    pub report: R,
    /// When it arrived.
    pub received_at: Instant,
}

/// What [`ReportMatcher::report`] did with a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchOutcome<Id, Key, R> {
    /// The submit is known: here is its key.
    Matched(Matched<Id, Key, R>),
    /// The submit is not known (yet): the report is held. If the hold was full, the oldest
    /// held report was pushed out to make room and is handed back.
    Held {
        /// The report pushed out of a full hold, if any.
        evicted: Option<Orphan<Id, R>>,
    },
}

#[derive(Debug)]
struct Known<Key> {
    key: Key,
    at: Instant,
    generation: u64,
}

#[derive(Debug)]
struct HeldReport<R> {
    report: R,
    received_at: Instant,
    generation: u64,
}

/// Joins status reports to submits by carrier message id, holding early reports.
#[derive(Debug)]
pub struct ReportMatcher<Id, Key, R> {
    config: ReportConfig,
    known: HashMap<Id, Known<Key>, IdState>,
    /// Insertion order of `known`; entries whose generation no longer matches are stale.
    known_order: VecDeque<(Id, u64)>,
    held: HashMap<Id, VecDeque<HeldReport<R>>, IdState>,
    /// Arrival order of held reports; entries no longer in `held` are stale.
    held_order: VecDeque<(Id, u64)>,
    held_len: usize,
    next_generation: u64,
}

impl<Id, Key, R> ReportMatcher<Id, Key, R>
where
    Id: Eq + Hash + Clone,
    Key: Clone,
{
    /// An empty matcher.
    pub fn new(config: ReportConfig) -> Self {
        Self {
            config,
            // Pre-sized to the bound (up to 64 Ki entries) so a busy link never rehashes.
            known: HashMap::with_capacity_and_hasher(
                config.remember.get().min(1 << 16),
                IdState::default(),
            ),
            known_order: VecDeque::with_capacity(config.remember.get().min(1 << 16)),
            held: HashMap::with_hasher(IdState::default()),
            held_order: VecDeque::new(),
            held_len: 0,
            next_generation: 0,
        }
    }

    /// The configuration the matcher was built with.
    pub fn config(&self) -> &ReportConfig {
        &self.config
    }

    /// A submit response at `now` gave message id `id` to the submit `key`. Returns the
    /// reports that arrived early for `id`, in arrival order, now matched; later reports for
    /// `id` match at once. A second response naming the same id replaces the earlier key.
    pub fn submitted(&mut self, id: Id, key: Key, now: Instant) -> Vec<Matched<Id, Key, R>> {
        let waiting = self.held.remove(&id).unwrap_or_default();
        self.held_len = self.held_len.saturating_sub(waiting.len());
        self.trim_held_order();
        let matched = waiting
            .into_iter()
            .map(|h| Matched {
                id: id.clone(),
                key: key.clone(),
                report: h.report,
            })
            .collect();

        if !self.known.contains_key(&id) && self.known.len() >= self.config.remember.get() {
            self.forget_oldest_known();
        }
        let generation = self.generation();
        self.known.insert(
            id.clone(),
            Known {
                key,
                at: now,
                generation,
            },
        );
        self.known_order.push_back((id, generation));
        self.compact_known_order();
        matched
    }

    /// A status report for `id` arrived at `now`: matched if the submit is known and its
    /// record younger than `remember_for`, otherwise held.
    pub fn report(&mut self, id: Id, report: R, now: Instant) -> MatchOutcome<Id, Key, R> {
        if let Some(known) = self.known.get(&id) {
            if now < deadline::after(known.at, self.config.remember_for) {
                let key = known.key.clone();
                return MatchOutcome::Matched(Matched { id, key, report });
            }
        }
        if self.config.hold_for.is_zero() {
            // Nothing is held: the owner keeps unmatched reports itself (the daemon's
            // store does, durably), so holding one here would only risk losing it.
            return MatchOutcome::Held {
                evicted: Some(Orphan {
                    id,
                    report,
                    received_at: now,
                }),
            };
        }
        let evicted = if self.held_len >= self.config.hold.get() {
            self.pop_oldest_held()
        } else {
            None
        };
        let generation = self.generation();
        self.held
            .entry(id.clone())
            .or_default()
            .push_back(HeldReport {
                report,
                received_at: now,
                generation,
            });
        self.held_order.push_back((id, generation));
        self.held_len += 1;
        self.compact_held_order();
        MatchOutcome::Held { evicted }
    }

    /// Hands back every held report older than `hold_for` at `now`, oldest first, and
    /// forgets `id → key` records older than `remember_for`.
    pub fn expire(&mut self, now: Instant) -> Vec<Orphan<Id, R>> {
        let mut orphans = Vec::new();
        while let Some(due) = self.oldest_held_deadline() {
            if due > now {
                break;
            }
            match self.pop_oldest_held() {
                Some(orphan) => orphans.push(orphan),
                None => break,
            }
        }
        while let Some((id, generation)) = self.known_order.front() {
            let drop_it = match self.known.get(id) {
                Some(k) if k.generation == *generation => {
                    now >= deadline::after(k.at, self.config.remember_for)
                }
                _ => true,
            };
            if !drop_it {
                break;
            }
            if let Some((id, generation)) = self.known_order.pop_front() {
                if self
                    .known
                    .get(&id)
                    .is_some_and(|k| k.generation == generation)
                {
                    self.known.remove(&id);
                }
            }
        }
        orphans
    }

    /// Hands back every held report, oldest first — when the connection closes, or when no
    /// submit is waiting for its response so none of them can match here.
    pub fn release_held(&mut self) -> Vec<Orphan<Id, R>> {
        let mut orphans = Vec::with_capacity(self.held_len);
        while let Some(orphan) = self.pop_oldest_held() {
            orphans.push(orphan);
        }
        orphans
    }

    /// When the oldest held report reaches its age limit, for the driver's timer.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.oldest_held_deadline()
    }

    /// Reports held waiting for their submit response.
    pub fn held_len(&self) -> usize {
        self.held_len
    }

    /// `id → key` records kept (some may be past `remember_for` until the next
    /// [`ReportMatcher::expire`]).
    pub fn known_len(&self) -> usize {
        self.known.len()
    }

    fn generation(&mut self) -> u64 {
        let g = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);
        g
    }

    /// Age limit of the oldest live held report. `trim_held_order` keeps the front of
    /// `held_order` live, so this is exact.
    fn oldest_held_deadline(&self) -> Option<Instant> {
        let (id, _) = self.held_order.front()?;
        let held = self.held.get(id)?.front()?;
        Some(deadline::after(held.received_at, self.config.hold_for))
    }

    fn pop_oldest_held(&mut self) -> Option<Orphan<Id, R>> {
        self.trim_held_order();
        let (id, _) = self.held_order.pop_front()?;
        let queue = self.held.get_mut(&id)?;
        let held = queue.pop_front()?;
        if queue.is_empty() {
            self.held.remove(&id);
        }
        self.held_len = self.held_len.saturating_sub(1);
        self.trim_held_order();
        Some(Orphan {
            id,
            report: held.report,
            received_at: held.received_at,
        })
    }

    /// Drops stale entries (reports already matched) from the front of `held_order`.
    /// Reports for one id are queued in arrival order, as is `held_order`, so the live
    /// entry for an id at the front is always the front of that id's queue.
    fn trim_held_order(&mut self) {
        while let Some((id, generation)) = self.held_order.front() {
            let live = self
                .held
                .get(id)
                .and_then(VecDeque::front)
                .is_some_and(|h| h.generation == *generation);
            if live {
                break;
            }
            self.held_order.pop_front();
        }
    }

    /// Keeps stale entries in the middle of `held_order` from piling up when many held
    /// reports are matched quickly.
    fn compact_held_order(&mut self) {
        if self.held_order.len() > 2 * self.held_len + 64 {
            let held = &self.held;
            self.held_order.retain(|(id, generation)| {
                held.get(id)
                    .is_some_and(|q| q.iter().any(|h| h.generation == *generation))
            });
        }
    }

    fn forget_oldest_known(&mut self) {
        while let Some((id, generation)) = self.known_order.pop_front() {
            if self
                .known
                .get(&id)
                .is_some_and(|k| k.generation == generation)
            {
                self.known.remove(&id);
                return;
            }
        }
    }

    fn compact_known_order(&mut self) {
        if self.known_order.len() > 2 * self.known.len() + 64 {
            let known = &self.known;
            self.known_order.retain(|(id, generation)| {
                known.get(id).is_some_and(|k| k.generation == *generation)
            });
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    type Matcher = ReportMatcher<u64, &'static str, &'static str>;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn config(remember: usize, hold: usize) -> ReportConfig {
        ReportConfig {
            remember: NonZeroUsize::new(remember).unwrap(),
            remember_for: secs(600),
            hold: NonZeroUsize::new(hold).unwrap(),
            hold_for: secs(60),
        }
    }

    fn matched(
        id: u64,
        key: &'static str,
        report: &'static str,
    ) -> Matched<u64, &'static str, &'static str> {
        Matched { id, key, report }
    }

    #[test]
    fn default_config() {
        let c = ReportConfig::default();
        assert_eq!(c.remember.get(), 16_384);
        assert_eq!(c.remember_for, secs(600));
        assert_eq!(c.hold.get(), 1_024);
        assert_eq!(c.hold_for, secs(180));
    }

    #[test]
    fn a_zero_hold_hands_an_unknown_report_back_at_once_and_still_matches_known_ones() {
        let t0 = Instant::now();
        let mut c = config(16, 16);
        c.hold_for = Duration::ZERO;
        let mut m = Matcher::new(c);
        assert_eq!(
            m.report(0xCD, "DELIVRD", t0),
            MatchOutcome::Held {
                evicted: Some(Orphan {
                    id: 0xCD,
                    report: "DELIVRD",
                    received_at: t0,
                })
            }
        );
        assert_eq!(m.held_len(), 0);
        // Its submit response later finds nothing held.
        assert!(m.submitted(0xCD, "seg-9", t0 + secs(1)).is_empty());
        assert_eq!(
            m.report(0xCD, "DELIVRD", t0 + secs(2)),
            MatchOutcome::Matched(matched(0xCD, "seg-9", "DELIVRD"))
        );
    }

    #[test]
    fn report_after_response_matches_at_once() {
        let t0 = Instant::now();
        let mut m = Matcher::new(config(16, 16));
        assert!(m.submitted(0xAB, "seg-1", t0).is_empty());
        assert_eq!(
            m.report(0xAB, "DELIVRD", t0 + secs(5)),
            MatchOutcome::Matched(matched(0xAB, "seg-1", "DELIVRD"))
        );
        // A second report for the same id (intermediate then final) matches too.
        assert_eq!(
            m.report(0xAB, "EXPIRED", t0 + secs(6)),
            MatchOutcome::Matched(matched(0xAB, "seg-1", "EXPIRED"))
        );
        assert_eq!(m.held_len(), 0);
    }

    #[test]
    fn early_report_is_held_and_matched_when_the_response_comes() {
        let t0 = Instant::now();
        let mut m = Matcher::new(config(16, 16));
        assert_eq!(
            m.report(7, "DELIVRD", t0),
            MatchOutcome::Held { evicted: None }
        );
        assert_eq!(m.held_len(), 1);
        assert_eq!(m.next_deadline(), Some(t0 + secs(60)));
        assert_eq!(
            m.submitted(7, "seg-7", t0 + secs(1)),
            vec![matched(7, "seg-7", "DELIVRD")]
        );
        assert_eq!(m.held_len(), 0);
        assert_eq!(m.next_deadline(), None);
        assert!(m.expire(t0 + secs(3600)).is_empty());
    }

    #[test]
    fn several_early_reports_for_one_id_come_back_in_arrival_order() {
        let t0 = Instant::now();
        let mut m = Matcher::new(config(16, 16));
        m.report(1, "ACCEPTD", t0);
        m.report(2, "other", t0);
        m.report(1, "DELIVRD", t0 + secs(1));
        assert_eq!(
            m.submitted(1, "k", t0 + secs(2)),
            vec![matched(1, "k", "ACCEPTD"), matched(1, "k", "DELIVRD")]
        );
        assert_eq!(m.held_len(), 1);
        assert_eq!(m.next_deadline(), Some(t0 + secs(60)));
    }

    #[test]
    fn held_reports_past_the_age_limit_become_orphans() {
        let t0 = Instant::now();
        let mut m = Matcher::new(config(16, 16));
        m.report(1, "a", t0);
        m.report(2, "b", t0 + secs(10));
        m.report(3, "c", t0 + secs(20));
        m.submitted(2, "k2", t0 + secs(30));
        assert!(m.expire(t0 + secs(59)).is_empty());
        assert_eq!(
            m.expire(t0 + secs(60)),
            vec![Orphan {
                id: 1,
                report: "a",
                received_at: t0
            }]
        );
        // The matched report 2 is skipped; 3 is next.
        assert_eq!(m.next_deadline(), Some(t0 + secs(80)));
        assert_eq!(
            m.expire(t0 + secs(500)),
            vec![Orphan {
                id: 3,
                report: "c",
                received_at: t0 + secs(20)
            }]
        );
        assert_eq!(m.held_len(), 0);
        // Its submit response arriving after all that matches nothing held.
        assert!(m.submitted(3, "k3", t0 + secs(501)).is_empty());
    }

    #[test]
    fn a_full_hold_pushes_out_the_oldest_as_an_orphan() {
        let t0 = Instant::now();
        let mut m = Matcher::new(config(16, 2));
        assert_eq!(m.report(1, "a", t0), MatchOutcome::Held { evicted: None });
        assert_eq!(m.report(2, "b", t0), MatchOutcome::Held { evicted: None });
        assert_eq!(
            m.report(3, "c", t0 + secs(1)),
            MatchOutcome::Held {
                evicted: Some(Orphan {
                    id: 1,
                    report: "a",
                    received_at: t0
                })
            }
        );
        assert_eq!(m.held_len(), 2);
        assert!(m.submitted(1, "k1", t0 + secs(2)).is_empty());
        assert_eq!(
            m.submitted(3, "k3", t0 + secs(2)),
            vec![matched(3, "k3", "c")]
        );
    }

    #[test]
    fn release_held_hands_everything_back_oldest_first() {
        let t0 = Instant::now();
        let mut m = Matcher::new(config(16, 16));
        m.report(5, "x", t0);
        m.report(6, "y", t0 + secs(1));
        m.report(5, "z", t0 + secs(2));
        let ids: Vec<(u64, &str)> = m
            .release_held()
            .into_iter()
            .map(|o| (o.id, o.report))
            .collect();
        assert_eq!(ids, vec![(5, "x"), (6, "y"), (5, "z")]);
        assert_eq!(m.held_len(), 0);
        assert_eq!(m.next_deadline(), None);
    }

    #[test]
    fn known_records_are_bounded_by_count() {
        let t0 = Instant::now();
        let mut m = Matcher::new(config(2, 16));
        m.submitted(1, "k1", t0);
        m.submitted(2, "k2", t0);
        m.submitted(3, "k3", t0);
        assert_eq!(m.known_len(), 2);
        assert_eq!(
            m.report(1, "r", t0),
            MatchOutcome::Held { evicted: None },
            "the oldest record was forgotten"
        );
        assert!(matches!(m.report(3, "r", t0), MatchOutcome::Matched(_)));
        // Re-recording an id that is known does not push anything else out.
        m.submitted(3, "k3b", t0);
        assert_eq!(m.known_len(), 2);
        assert_eq!(
            m.report(3, "r", t0),
            MatchOutcome::Matched(matched(3, "k3b", "r"))
        );
        assert!(matches!(m.report(2, "r", t0), MatchOutcome::Matched(_)));
    }

    #[test]
    fn known_records_age_out() {
        let t0 = Instant::now();
        let mut m = Matcher::new(config(16, 16));
        m.submitted(1, "k1", t0);
        m.submitted(2, "k2", t0 + secs(300));
        assert!(matches!(
            m.report(1, "r", t0 + secs(599)),
            MatchOutcome::Matched(_)
        ));
        // Past remember_for the record no longer matches, whether or not expire ran.
        assert_eq!(
            m.report(1, "late", t0 + secs(600)),
            MatchOutcome::Held { evicted: None }
        );
        let orphans = m.expire(t0 + secs(660));
        assert_eq!(orphans.len(), 1);
        assert_eq!(orphans[0].report, "late");
        assert_eq!(m.known_len(), 1, "record 1 forgotten, record 2 kept");
        m.expire(t0 + secs(900));
        assert_eq!(m.known_len(), 0);
    }

    #[test]
    fn every_report_comes_out_exactly_once() {
        // Reports for 300 submits, a third arriving before their response, with a small
        // hold: each report ends up matched or orphaned, never lost or duplicated.
        let t0 = Instant::now();
        let mut m: ReportMatcher<u32, u32, u32> = ReportMatcher::new(config(64, 8));
        let mut seen: Vec<u32> = Vec::new();
        let mut now = t0;
        for id in 0..300u32 {
            now += Duration::from_millis(700);
            let early = id % 3 == 0;
            if early {
                if let MatchOutcome::Held { evicted } = m.report(id, id, now) {
                    seen.extend(evicted.map(|o| o.report));
                }
            }
            for hit in m.submitted(id, id, now) {
                assert_eq!(hit.key, hit.report);
                seen.push(hit.report);
            }
            if !early {
                match m.report(id, id, now) {
                    MatchOutcome::Matched(hit) => seen.push(hit.report),
                    MatchOutcome::Held { .. } => panic!("response came first"),
                }
            }
            // Some early reports whose responses never come (failed submits).
            if id % 7 == 0 {
                if let MatchOutcome::Held { evicted } = m.report(10_000 + id, 10_000 + id, now) {
                    seen.extend(evicted.map(|o| o.report));
                }
            }
            seen.extend(m.expire(now).into_iter().map(|o| o.report));
        }
        seen.extend(m.release_held().into_iter().map(|o| o.report));
        seen.sort_unstable();
        let mut expected: Vec<u32> = (0..300).collect();
        expected.extend((0..300).filter(|i| i % 7 == 0).map(|i| 10_000 + i));
        expected.sort_unstable();
        assert_eq!(seen, expected);
    }

    #[test]
    fn bookkeeping_stays_bounded_under_churn() {
        let t0 = Instant::now();
        let mut m: ReportMatcher<u32, u32, u32> = ReportMatcher::new(config(32, 16));
        for id in 0..10_000u32 {
            m.report(id, id, t0);
            m.submitted(id, id, t0);
        }
        assert_eq!(m.held_len(), 0);
        assert!(m.held_order.len() <= 64);
        assert_eq!(m.known_len(), 32);
        assert!(m.known_order.len() <= 2 * 32 + 64 + 1);
    }

    #[tokio::test(start_paused = true)]
    async fn driver_style_timer_on_paused_time() {
        let mut m = Matcher::new(config(16, 16));
        m.report(9, "early", Instant::now());
        tokio::time::advance(secs(10)).await;
        m.report(10, "early too", Instant::now());
        let mut orphans = Vec::new();
        while let Some(due) = m.next_deadline() {
            tokio::time::sleep_until(due).await;
            orphans.extend(m.expire(Instant::now()));
        }
        let got: Vec<u64> = orphans.iter().map(|o| o.id).collect();
        assert_eq!(got, vec![9, 10]);
    }
}
