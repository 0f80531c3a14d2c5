//! The sans-IO pieces composed the way the driver composes them, against a scripted
//! in-memory gateway on paused tokio time: flow control, lost responses, a request that is
//! never answered and reports that overtake their submit response — and still every
//! message ends up acknowledged or failed exactly once, with every report matched.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::num::{NonZeroU32, NonZeroUsize};
use std::time::Duration;

use tokio::time::Instant;

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A gateway's answer, due at some instant.
#[derive(Debug, Clone)]
enum Answer {
    /// SUBMIT_RESP with Result 0 and a message id.
    Ok { seq: u32, msg_id: u64 },
    /// SUBMIT_RESP with the flow-control result.
    FlowControl { seq: u32 },
    /// A status report (DELIVER with Registered_Delivery = 1).
    Report { msg_id: u64 },
}

/// Scripted gateway: message `m` gets msg id `1000 + m`.
/// * `m % 10 == 3`: the first submit is answered with flow control;
/// * `m % 10 == 7`: the first send's response is lost, the resend is answered;
/// * `m == 49`: never answered at all;
/// * `m % 5 == 0`: the report overtakes the submit response.
#[derive(Default)]
struct Gateway {
    due: BTreeMap<(Instant, u64), Answer>,
    tie: u64,
    flow_controlled: HashSet<u32>,
    submits: Vec<Instant>,
}

impl Gateway {
    fn push(&mut self, at: Instant, answer: Answer) {
        self.tie += 1;
        self.due.insert((at, self.tie), answer);
    }

    fn receive(&mut self, seq: u32, msg: u32, attempt: u32, now: Instant) {
        self.submits.push(now);
        let msg_id = 1000 + u64::from(msg);
        if msg == 49 || (msg % 10 == 7 && attempt == 1) {
            return;
        }
        if msg % 10 == 3 && self.flow_controlled.insert(msg) {
            self.push(now + ms(20), Answer::FlowControl { seq });
            return;
        }
        self.push(now + ms(100), Answer::Ok { seq, msg_id });
        let report_at = if msg % 5 == 0 { ms(90) } else { ms(150) };
        self.push(now + report_at, Answer::Report { msg_id });
    }

    fn next_due(&self) -> Option<Instant> {
        self.due.keys().next().map(|(at, _)| *at)
    }

    fn take_due(&mut self, now: Instant) -> Vec<Answer> {
        let later = self.due.split_off(&(now + Duration::from_nanos(1), 0));
        std::mem::replace(&mut self.due, later)
            .into_values()
            .collect()
    }
}

#[tokio::test(start_paused = true)]
async fn pieces_compose_into_a_link_that_loses_nothing() {
    let start = Instant::now();
    let mut seqs = SequenceIds::new(ZeroId::Skipped);
    let mut window: Window<u32> = Window::new(WindowConfig {
        capacity: NonZeroUsize::new(4).unwrap(),
        response_timeout: ms(5_000),
        max_attempts: NonZeroU32::new(2).unwrap(),
    });
    let mut rate = RateLimiter::new(RateConfig {
        per_second: NonZeroU32::new(20).unwrap(),
        burst: NonZeroU32::new(2).unwrap(),
        floor_per_second: NonZeroU32::new(2).unwrap(),
        recovery_per_second: NonZeroU32::new(5).unwrap(),
        throttle_hold: ms(500),
    });
    let mut reports: ReportMatcher<u64, u32, &str> = ReportMatcher::new(ReportConfig::default());
    let mut gateway = Gateway::default();

    let mut queue: VecDeque<u32> = (0..50).collect();
    let mut acked: Vec<u32> = Vec::new();
    let mut failed: Vec<(u32, u32)> = Vec::new();
    let mut matched: Vec<u32> = Vec::new();
    let mut throttles = 0;
    let mut held_early = 0;

    loop {
        let now = Instant::now();

        // Reading: responses and reports that have arrived.
        for answer in gateway.take_due(now) {
            match answer {
                Answer::Ok { seq, msg_id } => {
                    let msg = window.complete(seq).unwrap();
                    acked.push(msg);
                    matched.extend(reports.submitted(msg_id, msg, now).iter().map(|m| m.key));
                }
                Answer::FlowControl { seq } => {
                    // Not a failure: slow down and send the same message again first.
                    let msg = window.complete(seq).unwrap();
                    throttles += usize::from(rate.throttled(now));
                    queue.push_front(msg);
                }
                Answer::Report { msg_id } => match reports.report(msg_id, "DELIVRD", now) {
                    MatchOutcome::Matched(m) => matched.push(m.key),
                    MatchOutcome::Held { evicted } => {
                        assert!(evicted.is_none());
                        held_early += 1;
                    }
                },
            }
        }

        // Timers: response timeouts resend or fail.
        for expired in window.expired(now) {
            match expired {
                Expired::Resend {
                    seq,
                    payload,
                    attempt,
                } => gateway.receive(seq, *payload, attempt, now),
                Expired::Failed {
                    payload, attempts, ..
                } => failed.push((payload, attempts)),
            }
        }
        assert!(reports.expire(now).is_empty(), "no report goes unmatched");

        // Intake, guarded by the window and the rate limiter.
        while !window.is_full() && !queue.is_empty() && rate.check(now).is_ok() {
            let msg = queue.pop_front().unwrap();
            rate.try_take(now).unwrap();
            let seq = seqs.next_free(|s| window.contains(s)).unwrap();
            window.insert(seq, msg, now).unwrap();
            gateway.receive(seq, msg, 1, now);
        }

        // Sleep until the earliest thing that can change the picture.
        let rate_wait = if !window.is_full() && !queue.is_empty() {
            rate.check(now).err()
        } else {
            None
        };
        let wake = [
            gateway.next_due(),
            window.next_deadline(),
            reports.next_deadline(),
            rate_wait,
        ]
        .into_iter()
        .flatten()
        .min();
        match wake {
            Some(at) => tokio::time::sleep_until(at).await,
            None => break,
        }
    }

    assert!(queue.is_empty() && window.is_empty());
    assert_eq!(
        failed,
        vec![(49, 2)],
        "only the never-answered message fails"
    );
    acked.sort_unstable();
    let expected: Vec<u32> = (0..49).collect();
    assert_eq!(
        acked, expected,
        "every other message acknowledged exactly once"
    );
    matched.sort_unstable();
    assert_eq!(matched, expected, "every report matched to its submit");
    assert_eq!(reports.held_len(), 0);
    assert_eq!(
        held_early, 10,
        "reports for 0, 5, ..., 45 overtook their responses"
    );
    assert!(throttles >= 1, "flow control slowed the link down");

    // Fresh submits never beat the configured rate: at most 20/s plus the burst of 2 in any
    // one-second span.
    let sends = &gateway.submits;
    for (i, t) in sends.iter().enumerate() {
        let in_span = sends[i..]
            .iter()
            .take_while(|u| **u < *t + ms(1_000))
            .count();
        assert!(in_span <= 22, "{in_span} submits in the second from {t:?}");
    }
    // 50 messages; 5 flow-controlled (3, 13, ...), 5 with a lost response (7, 17, ...) and
    // the never-answered 49 each went out twice.
    assert_eq!(sends.len(), 50 + 5 + 5 + 1);
    // The never-answered message is given up after two response timeouts of its own.
    assert!(Instant::now() >= start + ms(10_000));
}

#[tokio::test(start_paused = true)]
async fn closing_connection_requeues_what_is_in_flight() {
    // Graceful close: intake stops, answers arrive for some, the deadline passes for the
    // rest; drain gives those back in send order for the next connection.
    let mut seqs = SequenceIds::new(ZeroId::Skipped);
    let mut window: Window<&str> = Window::new(WindowConfig::default());
    let now = Instant::now();
    for msg in ["a", "b", "c", "d"] {
        let seq = seqs.next_free(|s| window.contains(s)).unwrap();
        window.insert(seq, msg, now).unwrap();
    }
    let close_deadline = now + ms(2_000);
    tokio::time::advance(ms(300)).await;
    assert_eq!(window.complete(2), Some("b"));
    tokio::time::sleep_until(close_deadline).await;
    assert!(window.expired(Instant::now()).is_empty());
    assert_eq!(window.drain(), vec![(1, "a"), (3, "c"), (4, "d")]);

    // The next connection carries on with fresh ids and an empty window.
    let seq = seqs.next_free(|s| window.contains(s)).unwrap();
    assert_eq!(seq, 5);
}

#[tokio::test(start_paused = true)]
async fn dead_connection_reconnects_with_backoff_and_resets_on_login() {
    let mut keepalive = KeepAlive::new(KeepAliveConfig::default(), Instant::now());
    let mut backoff = Backoff::with_seed(BackoffConfig::default(), 1);
    while let Some(due) = keepalive.next_deadline() {
        tokio::time::sleep_until(due).await;
        keepalive.poll(Instant::now());
    }
    assert!(keepalive.is_dead());

    // Two failed connects, one refused login, then success.
    let d1 = backoff.next_delay(Failure::Connection);
    let d2 = backoff.next_delay(Failure::Connection);
    let d3 = backoff.next_delay(Failure::LoginRefused);
    assert!(d1 >= ms(500) && d1 <= ms(1_500));
    assert!(d2 >= ms(500) && d2 <= ms(2_500));
    assert!(d3 >= ms(30_000) && d3 <= ms(34_000));
    backoff.reset();
    let keepalive = KeepAlive::new(KeepAliveConfig::default(), Instant::now());
    assert_eq!(
        keepalive.next_deadline(),
        Some(Instant::now() + Duration::from_secs(30))
    );
}
