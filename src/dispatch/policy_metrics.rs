//! Counters of what the messaging policy did at intake — recipients skipped, jobs
//! refused and jobs held, each by its reason — since the daemon started, for `/metrics`.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Skips, refusals and holds by reason code. Cheap to bump: one short lock per job.
#[derive(Debug, Default)]
pub struct PolicyCounters {
    inner: Mutex<Counts>,
}

/// A snapshot: reason code → count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Recipients skipped (`opted_out`, `frequency_cap`, …).
    pub skipped: BTreeMap<String, u64>,
    /// Jobs refused (`sensitive_word`, a signature rule's code).
    pub refused: BTreeMap<String, u64>,
    /// Jobs held for review (`sensitive_word`).
    pub held: BTreeMap<String, u64>,
}

impl PolicyCounters {
    fn with(&self, f: impl FnOnce(&mut Counts)) {
        let mut c = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut c);
    }

    /// `n` recipients skipped for `reason`.
    pub fn skipped(&self, reason: &str, n: u64) {
        if n > 0 {
            self.with(|c| *c.skipped.entry(reason.to_owned()).or_default() += n);
        }
    }

    /// A job refused for `reason`.
    pub fn refused(&self, reason: &str) {
        self.with(|c| *c.refused.entry(reason.to_owned()).or_default() += 1);
    }

    /// A job held for `reason`.
    pub fn held(&self, reason: &str) {
        self.with(|c| *c.held.entry(reason.to_owned()).or_default() += 1);
    }

    /// The counts now.
    pub fn snapshot(&self) -> Counts {
        let mut out = Counts::default();
        self.with(|c| out = c.clone());
        out
    }

    /// The Prometheus text of the counts: three counters labelled by reason; the skip
    /// reasons are listed at zero too, so a dashboard sees them before the first one.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let c = self.snapshot();
        let mut out = String::new();
        let mut family =
            |name: &str, help: &str, values: &BTreeMap<String, u64>, zeros: &[&str]| {
                let _ = writeln!(out, "# HELP {name} {help}");
                let _ = writeln!(out, "# TYPE {name} counter");
                let mut all: BTreeMap<&str, u64> = zeros.iter().map(|z| (*z, 0)).collect();
                for (k, v) in values {
                    all.insert(k.as_str(), *v);
                }
                for (k, v) in all {
                    let _ = writeln!(out, "{name}{{reason=\"{k}\"}} {v}");
                }
            };
        let skips: Vec<&str> = crate::policy::SkipReason::ALL
            .iter()
            .map(|r| r.as_str())
            .collect();
        family(
            "hongyan_policy_skipped_total",
            "Recipients the messaging policy skipped, by reason.",
            &c.skipped,
            &skips,
        );
        family(
            "hongyan_policy_refused_total",
            "Send requests the messaging policy refused, by reason.",
            &c.refused,
            &["sensitive_word"],
        );
        family(
            "hongyan_policy_held_total",
            "Jobs the messaging policy held for review, by reason.",
            &c.held,
            &["sensitive_word"],
        );
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_by_reason_with_zeros_for_the_known_ones() {
        let c = PolicyCounters::default();
        c.skipped("opted_out", 2);
        c.skipped("opted_out", 1);
        c.refused("second_signature");
        c.held("sensitive_word");
        let text = c.render();
        assert!(text.contains("hongyan_policy_skipped_total{reason=\"opted_out\"} 3"));
        assert!(text.contains("hongyan_policy_skipped_total{reason=\"frequency_cap\"} 0"));
        assert!(text.contains("hongyan_policy_refused_total{reason=\"second_signature\"} 1"));
        assert!(text.contains("hongyan_policy_refused_total{reason=\"sensitive_word\"} 0"));
        assert!(text.contains("hongyan_policy_held_total{reason=\"sensitive_word\"} 1"));
    }
}
