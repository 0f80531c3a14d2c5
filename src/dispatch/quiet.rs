//! Quiet hours while sending: which categories a link may claim now, and parking the
//! queued marketing when quiet hours start. A marketing job already running stops at
//! the boundary — its links stop claiming marketing early enough that what they claimed
//! ahead still goes before it — and the scheduler moves what is left back to
//! `scheduled` (reason `quiet_hours`) until they end, when it is released like any
//! scheduled job and flows at the link's rate. Notices are never held back.

use crate::clock::Clock;
use crate::config;
use crate::policy::{Category, PolicyHandle};
use crate::store::{ClaimFilter, JobId, Millis, StoreError, StoreHandle};

use super::policy_gate::marketing_claimable;

/// The policy and the clock the links and the scheduler judge quiet hours by.
#[derive(Debug, Clone, Default)]
pub struct QuietGate {
    /// The policy in force.
    pub policy: PolicyHandle,
    /// Now.
    pub clock: Clock,
}

impl QuietGate {
    /// What `link` may claim now, when what it claims goes out within `ahead_ms`.
    pub fn claim_filter(&self, link: &config::Link, ahead_ms: i64) -> ClaimFilter {
        let marketing = link.takes(Category::Marketing)
            && marketing_claimable(&self.policy.current(), self.clock.now_millis(), ahead_ms);
        ClaimFilter {
            notice: link.takes(Category::Notice),
            marketing,
        }
    }

    /// Inside quiet hours at `now`: parks the queued marketing until they end and
    /// returns the jobs parked; outside them, nothing.
    pub async fn park(&self, store: &StoreHandle, now: Millis) -> Result<Vec<JobId>, StoreError> {
        let quiet = self.policy.current().quiet_hours;
        if !quiet.contains(now) {
            return Ok(Vec::new());
        }
        store.park_marketing(quiet.next_end(now), now).await
    }
}

/// How long what a link claims at once takes to go out at its rate: its claimed-ahead
/// parts (`max_outstanding`) over `rate` per second, rounded up, plus one second for
/// the window and the rate limiter's own granularity.
pub fn ahead_ms(max_outstanding: usize, rate: u32) -> i64 {
    let parts = i64::try_from(max_outstanding).unwrap_or(i64::MAX);
    let rate = i64::from(rate.max(1));
    parts.saturating_mul(1000).saturating_add(rate - 1) / rate + 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_claimed_ahead_at_the_rate_sets_how_early_marketing_stops() {
        assert_eq!(ahead_ms(2, 1), 3_000);
        assert_eq!(ahead_ms(32, 100), 1_320);
        assert_eq!(ahead_ms(3, 2), 2_500);
        assert_eq!(ahead_ms(0, 0), 1_000);
    }
}
