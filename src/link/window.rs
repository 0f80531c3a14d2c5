//! The in-flight window of one connection: requests sent and not yet answered.
//!
//! Carriers pipeline requests up to a window (CMPP recommends 16 outstanding, SGIP allows
//! 32) and answer each with a response carrying the request's sequence id. The window holds
//! every unanswered request with its payload, so nothing in flight is ever lost:
//!
//! * a response takes the payload back out ([`Window::complete`]); a response for an id not
//!   in the window — unknown, or the second answer to a request that was resent — yields
//!   `None` and is counted, never an error;
//! * a request unanswered for the response timeout is resent with the same payload and the
//!   same sequence id (CMPP: "if no response within T, resend; give up after N attempts in
//!   total") until `max_attempts` sends have gone out, and then fails
//!   ([`Window::expired`]; the rule and the rest of that story: `resend.rs`);
//! * a connection that closes hands every unanswered payload back for requeueing
//!   ([`Window::drain`]).
//!
//! The window never reads the clock: every call that depends on time takes `now`, so the
//! driver decides what time it is and tests run on paused tokio time.

use std::collections::HashMap;
use std::num::{NonZeroU32, NonZeroUsize};
use std::time::Duration;

use thiserror::Error;
use tokio::time::Instant;

use super::deadline;
use super::resend::{self, AfterTimeout};

/// Size and timers of a [`Window`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowConfig {
    /// Most requests in flight at once (default 16, CMPP's recommended window).
    pub capacity: NonZeroUsize,
    /// How long to wait for a response before resending (default 60 s, CMPP's T).
    pub response_timeout: Duration,
    /// Sends in total, the first included, before a request fails (default 3, CMPP's N).
    pub max_attempts: NonZeroU32,
}

impl Default for WindowConfig {
    fn default() -> Self {
        Self {
            capacity: NonZeroUsize::new(16).unwrap_or(NonZeroUsize::MIN),
            response_timeout: Duration::from_secs(60),
            max_attempts: NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// A request the window refused; the payload comes back so it is not lost.
#[derive(Debug, Error)]
pub enum InsertError<T> {
    /// The window already holds `capacity` requests. The driver's intake is guarded by
    /// [`Window::is_full`], so this means a caller skipped the guard.
    #[error("in-flight window is full ({capacity} requests)")]
    Full {
        /// The window's capacity.
        capacity: usize,
        /// The request that did not fit.
        payload: T,
    },
    /// A request with this sequence id is already waiting for its response.
    #[error("sequence id {seq} is already in flight")]
    Duplicate {
        /// The sequence id in use.
        seq: u32,
        /// The request that was refused.
        payload: T,
    },
}

impl<T> InsertError<T> {
    /// The refused request, for requeueing.
    pub fn into_payload(self) -> T {
        match self {
            Self::Full { payload, .. } | Self::Duplicate { payload, .. } => payload,
        }
    }
}

/// What became of a request whose response timed out.
#[derive(Debug, PartialEq, Eq)]
pub enum Expired<'a, T> {
    /// Send `payload` again under the same `seq`; the request stays in the window with a
    /// fresh deadline. `attempt` is the number of this send (2 for the first resend).
    Resend {
        /// The request's sequence id, unchanged.
        seq: u32,
        /// The request to write again.
        payload: &'a T,
        /// Which send this is, counting the first as 1.
        attempt: u32,
    },
    /// The request went unanswered `attempts` times and has left the window; report it as
    /// failed.
    Failed {
        /// The request's sequence id.
        seq: u32,
        /// The request, handed back to the caller.
        payload: T,
        /// How many times it was sent.
        attempts: u32,
    },
}

#[derive(Debug)]
struct Entry<T> {
    payload: T,
    attempts: u32,
    deadline: Instant,
    /// Insertion counter: orders requests by first send, for fair expiry and requeueing.
    order: u64,
}

/// Requests in flight on one connection, keyed by sequence id.
///
/// `T` is whatever the driver needs to resend or requeue a request — typically the PDU or
/// the message it was built from.
#[derive(Debug)]
pub struct Window<T> {
    config: WindowConfig,
    entries: HashMap<u32, Entry<T>>,
    next_order: u64,
    unmatched: u64,
}

impl<T> Window<T> {
    /// An empty window.
    pub fn new(config: WindowConfig) -> Self {
        Self {
            config,
            entries: HashMap::with_capacity(config.capacity.get()),
            next_order: 0,
            unmatched: 0,
        }
    }

    /// The configuration the window was built with.
    pub fn config(&self) -> &WindowConfig {
        &self.config
    }

    /// Records that `payload` was just sent under `seq`; its response is due within the
    /// response timeout from `now`.
    ///
    /// # Errors
    /// The payload comes back inside the error when the window is full or `seq` is already
    /// in flight.
    pub fn insert(&mut self, seq: u32, payload: T, now: Instant) -> Result<(), InsertError<T>> {
        self.insert_sent(seq, payload, now, 1)
    }

    /// Like [`insert`](Self::insert) for a request that has now been sent `attempts` times
    /// in all (earlier connections included): it is resent on a timeout only while that
    /// count is below `max_attempts`, so every send counts toward the limit.
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    pub fn insert_sent(
        &mut self,
        seq: u32,
        payload: T,
        now: Instant,
        attempts: u32,
    ) -> Result<(), InsertError<T>> {
        if self.entries.contains_key(&seq) {
            return Err(InsertError::Duplicate { seq, payload });
        }
        if self.is_full() {
            return Err(InsertError::Full {
                capacity: self.config.capacity.get(),
                payload,
            });
        }
        let order = self.next_order;
        self.next_order = self.next_order.wrapping_add(1);
        self.entries.insert(
            seq,
            Entry {
                payload,
                attempts: attempts.max(1),
                deadline: deadline::after(now, self.config.response_timeout),
                order,
            },
        );
        Ok(())
    }

    /// A response for `seq` arrived: the request leaves the window and its payload comes
    /// back. An id not in flight (unknown, or a second response to a resent request) gives
    /// `None` and is counted in [`Window::unmatched_responses`].
    pub fn complete(&mut self, seq: u32) -> Option<T> {
        match self.entries.remove(&seq) {
            Some(entry) => Some(entry.payload),
            None => {
                self.unmatched = self.unmatched.saturating_add(1);
                None
            }
        }
    }

    /// The request in flight under `seq`, if any.
    pub fn get(&self, seq: u32) -> Option<&T> {
        self.entries.get(&seq).map(|e| &e.payload)
    }

    /// The payload sent under `seq`, to note something about it (it stays in flight).
    pub fn get_mut(&mut self, seq: u32) -> Option<&mut T> {
        self.entries.get_mut(&seq).map(|e| &mut e.payload)
    }

    /// Whether a request is in flight under `seq` (the predicate for
    /// [`SequenceIds::next_free`](super::SequenceIds::next_free)).
    pub fn contains(&self, seq: u32) -> bool {
        self.entries.contains_key(&seq)
    }

    /// How many times the request under `seq` has been sent so far.
    pub fn attempts(&self, seq: u32) -> Option<u32> {
        self.entries.get(&seq).map(|e| e.attempts)
    }

    /// The earliest response deadline, for the driver's timer; `None` when nothing is in
    /// flight.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.entries.values().map(|e| e.deadline).min()
    }

    /// Every request whose deadline is at or before `now`, oldest deadline first.
    ///
    /// A request with sends left is resent: it stays in the window, its attempt count goes
    /// up and its deadline becomes `now` plus the response timeout (counted from the
    /// resend, so a stalled loop does not bunch resends). A request that has used all its
    /// attempts leaves the window as [`Expired::Failed`].
    pub fn expired(&mut self, now: Instant) -> Vec<Expired<'_, T>> {
        let mut due: Vec<(Instant, u64, u32)> = self
            .entries
            .iter()
            .filter(|(_, e)| e.deadline <= now)
            .map(|(seq, e)| (e.deadline, e.order, *seq))
            .collect();
        if due.is_empty() {
            return Vec::new();
        }
        due.sort_unstable();

        let max_attempts = self.config.max_attempts.get();
        let renewed = deadline::after(now, self.config.response_timeout);
        // First settle every entry, then lend out the resent payloads.
        let mut settled: Vec<Settled<T>> = Vec::with_capacity(due.len());
        for (_, _, seq) in due {
            let retry = match self.entries.get_mut(&seq) {
                Some(entry)
                    if resend::after_timeout(entry.attempts, max_attempts)
                        == AfterTimeout::Resend =>
                {
                    entry.attempts += 1;
                    entry.deadline = renewed;
                    true
                }
                Some(_) => false,
                None => continue,
            };
            if retry {
                settled.push(Settled::Resend(seq));
            } else if let Some(entry) = self.entries.remove(&seq) {
                settled.push(Settled::Failed(seq, entry));
            }
        }

        let entries = &self.entries;
        settled
            .into_iter()
            .filter_map(|s| match s {
                Settled::Resend(seq) => entries.get(&seq).map(|e| Expired::Resend {
                    seq,
                    payload: &e.payload,
                    attempt: e.attempts,
                }),
                Settled::Failed(seq, entry) => Some(Expired::Failed {
                    seq,
                    payload: entry.payload,
                    attempts: entry.attempts,
                }),
            })
            .collect()
    }

    /// Empties the window of a connection that is closing, handing back every unanswered
    /// request in the order it was first sent, for requeueing on another connection.
    pub fn drain(&mut self) -> Vec<(u32, T)> {
        self.drain_counted()
            .into_iter()
            .map(|(seq, p, _)| (seq, p))
            .collect()
    }

    /// [`drain`](Self::drain), with how many times each request has been sent in all.
    pub fn drain_counted(&mut self) -> Vec<(u32, T, u32)> {
        let mut all: Vec<(u64, u32, T, u32)> = self
            .entries
            .drain()
            .map(|(seq, e)| (e.order, seq, e.payload, e.attempts))
            .collect();
        all.sort_unstable_by_key(|(order, seq, _, _)| (*order, *seq));
        all.into_iter().map(|(_, seq, p, n)| (seq, p, n)).collect()
    }

    /// Whether the window holds `capacity` requests; the driver stops taking new messages
    /// while it does.
    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.config.capacity.get()
    }

    /// Room left: how many more requests fit. The parts of one long message go out on one
    /// connection, so the driver can wait until all of them fit.
    pub fn free_slots(&self) -> usize {
        self.config
            .capacity
            .get()
            .saturating_sub(self.entries.len())
    }

    /// Requests in flight.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is in flight (a graceful close can proceed).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Responses that matched no request in flight, since the window was made.
    pub fn unmatched_responses(&self) -> u64 {
        self.unmatched
    }
}

enum Settled<T> {
    Resend(u32),
    Failed(u32, Entry<T>),
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn config(capacity: usize, timeout_secs: u64, max_attempts: u32) -> WindowConfig {
        WindowConfig {
            capacity: NonZeroUsize::new(capacity).unwrap(),
            response_timeout: Duration::from_secs(timeout_secs),
            max_attempts: NonZeroU32::new(max_attempts).unwrap(),
        }
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn default_matches_cmpp_recommendation() {
        let c = WindowConfig::default();
        assert_eq!(c.capacity.get(), 16);
        assert_eq!(c.response_timeout, secs(60));
        assert_eq!(c.max_attempts.get(), 3);
    }

    #[test]
    fn insert_and_complete_returns_the_payload() {
        let t0 = Instant::now();
        let mut w = Window::new(WindowConfig::default());
        w.insert(7, "seven", t0).unwrap();
        w.insert(8, "eight", t0).unwrap();
        assert_eq!(w.len(), 2);
        assert!(w.contains(7));
        assert_eq!(w.get(8), Some(&"eight"));
        assert_eq!(w.attempts(7), Some(1));
        assert_eq!(w.complete(8), Some("eight"));
        assert_eq!(w.complete(7), Some("seven"));
        assert!(w.is_empty());
        assert_eq!(w.unmatched_responses(), 0);
        assert_eq!(w.next_deadline(), None);
    }

    #[test]
    fn unknown_and_duplicate_responses_are_counted() {
        let t0 = Instant::now();
        let mut w = Window::new(WindowConfig::default());
        w.insert(1, 'a', t0).unwrap();
        assert_eq!(w.complete(99), None);
        assert_eq!(w.complete(1), Some('a'));
        assert_eq!(w.complete(1), None, "second response to the same request");
        assert_eq!(w.unmatched_responses(), 2);
    }

    #[test]
    fn full_window_refuses_and_returns_the_payload() {
        let t0 = Instant::now();
        let mut w = Window::new(config(2, 60, 3));
        assert_eq!(w.free_slots(), 2);
        w.insert(1, 10, t0).unwrap();
        assert!(!w.is_full());
        assert_eq!(w.free_slots(), 1);
        w.insert(2, 20, t0).unwrap();
        assert!(w.is_full());
        assert_eq!(w.free_slots(), 0);
        let err = w.insert(3, 30, t0).unwrap_err();
        assert!(matches!(err, InsertError::Full { capacity: 2, .. }));
        assert_eq!(err.to_string(), "in-flight window is full (2 requests)");
        assert_eq!(err.into_payload(), 30);
        assert_eq!(w.len(), 2);
        w.complete(1);
        assert!(!w.is_full());
        w.insert(3, 30, t0).unwrap();
    }

    #[test]
    fn duplicate_sequence_is_refused_without_touching_the_original() {
        let t0 = Instant::now();
        let mut w = Window::new(WindowConfig::default());
        w.insert(5, "first", t0).unwrap();
        let err = w.insert(5, "second", t0 + secs(1)).unwrap_err();
        assert_eq!(err.to_string(), "sequence id 5 is already in flight");
        assert_eq!(err.into_payload(), "second");
        assert_eq!(w.get(5), Some(&"first"));
        assert_eq!(w.next_deadline(), Some(t0 + secs(60)));
    }

    #[test]
    fn next_deadline_is_the_earliest() {
        let t0 = Instant::now();
        let mut w = Window::new(config(16, 30, 3));
        w.insert(1, (), t0 + secs(5)).unwrap();
        w.insert(2, (), t0).unwrap();
        w.insert(3, (), t0 + secs(9)).unwrap();
        assert_eq!(w.next_deadline(), Some(t0 + secs(30)));
        w.complete(2);
        assert_eq!(w.next_deadline(), Some(t0 + secs(35)));
    }

    #[test]
    fn nothing_expires_before_the_deadline() {
        let t0 = Instant::now();
        let mut w = Window::new(config(16, 30, 3));
        w.insert(1, "x", t0).unwrap();
        assert!(w.expired(t0 + secs(29)).is_empty());
        assert_eq!(w.attempts(1), Some(1));
    }

    #[test]
    fn timeout_resends_same_payload_until_attempts_run_out_then_fails() {
        let t0 = Instant::now();
        let mut w = Window::new(config(16, 60, 3));
        w.insert(42, "submit", t0).unwrap();

        // Late by 5 s: the renewed deadline counts from the resend, not the old deadline.
        let t1 = t0 + secs(65);
        assert_eq!(
            w.expired(t1),
            vec![Expired::Resend {
                seq: 42,
                payload: &"submit",
                attempt: 2
            }]
        );
        assert_eq!(w.next_deadline(), Some(t1 + secs(60)));
        assert!(w.expired(t1 + secs(59)).is_empty());

        let t2 = t1 + secs(60);
        assert_eq!(
            w.expired(t2),
            vec![Expired::Resend {
                seq: 42,
                payload: &"submit",
                attempt: 3
            }]
        );
        assert_eq!(w.len(), 1);

        let t3 = t2 + secs(60);
        assert_eq!(
            w.expired(t3),
            vec![Expired::Failed {
                seq: 42,
                payload: "submit",
                attempts: 3
            }]
        );
        assert!(w.is_empty());
        assert!(w.expired(t3 + secs(600)).is_empty());
    }

    #[test]
    fn single_attempt_fails_on_first_timeout() {
        let t0 = Instant::now();
        let mut w = Window::new(config(16, 10, 1));
        w.insert(1, 'q', t0).unwrap();
        assert_eq!(
            w.expired(t0 + secs(10)),
            vec![Expired::Failed {
                seq: 1,
                payload: 'q',
                attempts: 1
            }]
        );
    }

    #[test]
    fn a_response_after_a_resend_still_completes() {
        let t0 = Instant::now();
        let mut w = Window::new(config(16, 10, 3));
        w.insert(3, "m", t0).unwrap();
        assert_eq!(w.expired(t0 + secs(10)).len(), 1);
        assert_eq!(w.complete(3), Some("m"));
        assert_eq!(w.complete(3), None, "the answer to the other send");
        assert_eq!(w.unmatched_responses(), 1);
        assert!(w.expired(t0 + secs(100)).is_empty());
    }

    #[test]
    fn expiry_is_ordered_by_deadline_and_mixes_resends_and_failures() {
        let t0 = Instant::now();
        let mut w = Window::new(config(16, 10, 2));
        w.insert(100, "old", t0).unwrap();
        // First timeout of "old" at t0+10 → resend, renewed to t0+20.
        assert_eq!(w.expired(t0 + secs(10)).len(), 1);
        w.insert(5, "mid", t0 + secs(3)).unwrap(); // due t0+13
        w.insert(6, "new", t0 + secs(8)).unwrap(); // due t0+18
        let got = w.expired(t0 + secs(25));
        assert_eq!(
            got,
            vec![
                Expired::Resend {
                    seq: 5,
                    payload: &"mid",
                    attempt: 2
                },
                Expired::Resend {
                    seq: 6,
                    payload: &"new",
                    attempt: 2
                },
                Expired::Failed {
                    seq: 100,
                    payload: "old",
                    attempts: 2
                },
            ]
        );
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn drain_returns_every_payload_in_send_order() {
        let t0 = Instant::now();
        let mut w = Window::new(WindowConfig::default());
        // Sequence ids wrapped: send order differs from numeric order.
        for (seq, p) in [(u32::MAX, "a"), (1, "b"), (2, "c"), (3, "d")] {
            w.insert(seq, p, t0).unwrap();
        }
        w.complete(2);
        assert_eq!(w.drain(), vec![(u32::MAX, "a"), (1, "b"), (3, "d")]);
        assert!(w.is_empty());
        assert_eq!(w.next_deadline(), None);
        assert!(w.drain().is_empty());
    }

    #[test]
    fn sends_on_earlier_connections_count_toward_the_limit() {
        let t0 = Instant::now();
        let mut w = Window::new(config(4, 10, 3));
        // Sent twice before (on connections that closed), now the third time: its
        // timeout fails it instead of resending it.
        w.insert_sent(1, "third", t0, 3).unwrap();
        // Sent once before: one resend left.
        w.insert_sent(2, "second", t0, 2).unwrap();
        let got = w.expired(t0 + secs(10));
        assert_eq!(
            got,
            vec![
                Expired::Failed {
                    seq: 1,
                    payload: "third",
                    attempts: 3
                },
                Expired::Resend {
                    seq: 2,
                    payload: &"second",
                    attempt: 3
                },
            ]
        );
        assert_eq!(w.drain_counted(), vec![(2, "second", 3)]);
    }

    #[test]
    fn nothing_in_flight_is_lost() {
        // Every inserted payload comes out exactly once: by response, failure or drain.
        let t0 = Instant::now();
        let mut w = Window::new(config(4, 10, 2));
        let mut out: Vec<u32> = Vec::new();
        let mut now = t0;
        for seq in 1..=40u32 {
            while w.is_full() {
                now += secs(5);
                for e in w.expired(now) {
                    if let Expired::Failed { payload, .. } = e {
                        out.push(payload);
                    }
                }
            }
            w.insert(seq, seq, now).unwrap();
            if seq % 3 == 0 {
                out.extend(w.complete(seq));
            }
        }
        out.extend(w.drain().into_iter().map(|(_, p)| p));
        out.sort_unstable();
        assert_eq!(out, (1..=40).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn driver_style_sleep_until_next_deadline() {
        let mut w = Window::new(config(16, 30, 2));
        w.insert(9, "pdu", Instant::now()).unwrap();
        let due = w.next_deadline().unwrap();
        tokio::time::sleep_until(due).await;
        let now = Instant::now();
        assert_eq!(now, due);
        assert_eq!(
            w.expired(now),
            vec![Expired::Resend {
                seq: 9,
                payload: &"pdu",
                attempt: 2
            }]
        );
        tokio::time::advance(secs(29)).await;
        assert!(w.expired(Instant::now()).is_empty());
        tokio::time::advance(secs(1)).await;
        assert!(matches!(
            w.expired(Instant::now()).as_slice(),
            [Expired::Failed { seq: 9, .. }]
        ));
    }
}
