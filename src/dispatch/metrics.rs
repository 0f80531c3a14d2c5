//! Per-link counters for `/metrics` and `/v1/links`: what the dispatcher handed to the
//! link and what came back, and the submit → response latency as a histogram.
//!
//! Plain relaxed atomics: each is bumped once per part or report on the hot path, and
//! a scrape may see one counter a moment ahead of another — fine for monitoring.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

/// Upper bounds (seconds) of the submit-latency histogram buckets; `+Inf` is implied.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Counters of one link since the daemon started.
#[derive(Debug, Default)]
pub struct LinkMetrics {
    submitted: AtomicU64,
    acknowledged: AtomicU64,
    failed: AtomicU64,
    delivered: AtomicU64,
    undelivered: AtomicU64,
    reconnects: AtomicU64,
    reports_stored: AtomicU64,
    mo_received: AtomicU64,
    mo_stored: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

/// A copy of [`LinkMetrics`] at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsSnapshot {
    /// Message parts handed to the link.
    pub submitted: u64,
    /// Parts the carrier accepted (a msg id came back).
    pub acknowledged: u64,
    /// Parts refused by the carrier, or unanswered after every resend.
    pub failed: u64,
    /// Status reports saying delivered.
    pub delivered: u64,
    /// Status reports saying not delivered (expired, rejected, …).
    pub undelivered: u64,
    /// Logins after a connection's first one.
    pub reconnects: u64,
    /// Status reports committed to the store: matched, repeated, or kept as an orphan
    /// (counted once, when first stored).
    pub reports_stored: u64,
    /// MO messages (reassembled) that came in on the link.
    pub mo_received: u64,
    /// MO messages committed to the inbox (a gateway's resend of one already stored is
    /// received again but not stored again).
    pub mo_stored: u64,
    /// Cumulative counts per bucket of [`LATENCY_BUCKETS`] (Prometheus `le`).
    pub latency_buckets: Vec<u64>,
    /// Latencies observed.
    pub latency_count: u64,
    /// Their sum in seconds.
    pub latency_sum_seconds: f64,
}

impl LinkMetrics {
    pub(crate) fn handed(&self, parts: usize) {
        self.submitted.fetch_add(parts as u64, Ordering::Relaxed);
    }

    pub(crate) fn acknowledged(&self, latency: Duration) {
        self.acknowledged.fetch_add(1, Ordering::Relaxed);
        let secs = latency.as_secs_f64();
        // Each bucket holds the count at or below its bound, as Prometheus wants, so an
        // observation bumps every bucket from its own upward.
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reported(&self, delivered: bool) {
        let c = if delivered {
            &self.delivered
        } else {
            &self.undelivered
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn report_stored(&self) {
        self.reports_stored.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn mo_received(&self) {
        self.mo_received.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn mo_stored(&self) {
        self.mo_stored.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reconnected(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        MetricsSnapshot {
            submitted: get(&self.submitted),
            acknowledged: get(&self.acknowledged),
            failed: get(&self.failed),
            delivered: get(&self.delivered),
            undelivered: get(&self.undelivered),
            reconnects: get(&self.reconnects),
            reports_stored: get(&self.reports_stored),
            mo_received: get(&self.mo_received),
            mo_stored: get(&self.mo_stored),
            latency_buckets: self.latency_buckets.iter().map(get).collect(),
            latency_count: get(&self.latency_count),
            latency_sum_seconds: get(&self.latency_sum_micros) as f64 / 1e6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative() {
        let m = LinkMetrics::default();
        m.acknowledged(Duration::from_micros(800));
        m.acknowledged(Duration::from_millis(30));
        m.acknowledged(Duration::from_secs(20));
        let s = m.snapshot();
        assert_eq!(s.acknowledged, 3);
        assert_eq!(s.latency_count, 3);
        assert_eq!(s.latency_buckets[0], 1, "≤ 1 ms");
        assert_eq!(s.latency_buckets[4], 1, "≤ 25 ms");
        assert_eq!(s.latency_buckets[5], 2, "≤ 50 ms");
        assert_eq!(
            *s.latency_buckets.last().unwrap_or(&0),
            2,
            "20 s only in +Inf"
        );
        assert!((s.latency_sum_seconds - 20.0308).abs() < 1e-6);
    }

    #[test]
    fn reports_split_by_outcome() {
        let m = LinkMetrics::default();
        m.reported(true);
        m.reported(false);
        m.reported(true);
        m.handed(3);
        m.failed();
        m.reconnected();
        m.report_stored();
        m.mo_received();
        m.mo_received();
        m.mo_stored();
        let s = m.snapshot();
        assert_eq!(s.reports_stored, 1);
        assert_eq!((s.mo_received, s.mo_stored), (2, 1));
        assert_eq!(
            (
                s.delivered,
                s.undelivered,
                s.submitted,
                s.failed,
                s.reconnects
            ),
            (2, 1, 3, 1, 1)
        );
    }
}
