//! Per-link submit rate: a token bucket that slows down when the carrier says "too fast".
//!
//! Carriers enforce a per-account submit rate and answer an over-eager client with a
//! flow-control result (CMPP SUBMIT_RESP Result 8, SGIP error 11/33, SMGP's vendor codes).
//! Those answers are not failures: the message is resent, and the link sends more slowly
//! (the write is not counted as an attempt; the resend rules are in `resend.rs`).
//! The limiter is a token bucket (kept as the equivalent "theoretical arrival time", so
//! every instant is exact integer arithmetic) with additive-increase /
//! multiplicative-decrease on top:
//!
//! * [`RateLimiter::try_take`] spends one token or says when the next one is due — the
//!   driver sleeps until then with its intake branch disabled;
//! * [`RateLimiter::throttled`] halves the effective rate (never below the floor) and empties
//!   the bucket, at most once per hold period so one window's worth of flow-control answers
//!   counts as one signal;
//! * [`RateLimiter::recover`] (also run by `try_take`) climbs back linearly once the hold is
//!   over, up to the configured rate.
//!
//! The limiter never reads the clock; callers pass `now`.

use std::num::NonZeroU32;
use std::time::Duration;

use tokio::time::Instant;

use super::deadline;

/// Rate, burst and flow-control behaviour of a [`RateLimiter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateConfig {
    /// The agreed submit rate, messages per second: the limiter never goes above it.
    pub per_second: NonZeroU32,
    /// Messages that may go out back to back after a quiet spell.
    pub burst: NonZeroU32,
    /// Lowest rate flow control can push the link down to, messages per second (clamped to
    /// `per_second`).
    pub floor_per_second: NonZeroU32,
    /// How fast the rate climbs back after flow control, in messages per second gained per
    /// second.
    pub recovery_per_second: NonZeroU32,
    /// After a halving, further flow-control answers are ignored for this long (they were
    /// most likely provoked by messages already in flight), and recovery waits as long.
    pub throttle_hold: Duration,
}

impl RateConfig {
    /// A configuration for `per_second` messages per second with the derived defaults: a
    /// burst of a tenth of a second's worth (1 to 10), a floor of 1/s, recovery of a tenth
    /// of the rate per second (at least 1/s per second), a one-second hold.
    pub fn per_second(per_second: NonZeroU32) -> Self {
        let burst = (per_second.get() / 10).clamp(1, 10);
        let recovery = (per_second.get() / 10).max(1);
        Self {
            per_second,
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
            floor_per_second: NonZeroU32::MIN,
            recovery_per_second: NonZeroU32::new(recovery).unwrap_or(NonZeroU32::MIN),
            throttle_hold: Duration::from_secs(1),
        }
    }
}

/// Token-bucket limiter for one link, with flow-control back-off (AIMD).
#[derive(Debug, Clone)]
pub struct RateLimiter {
    config: RateConfig,
    /// Effective rate now, messages per second; between the floor and `per_second`.
    rate: f64,
    /// When the bucket would be exactly empty if every token taken had been spaced one
    /// interval apart; `None` before the first take (full bucket).
    tat: Option<Instant>,
    /// Last halving, for the hold period.
    last_cut: Option<Instant>,
    /// Point up to which recovery has been credited.
    recovered_to: Option<Instant>,
}

impl RateLimiter {
    /// A limiter at full rate with a full bucket.
    pub fn new(config: RateConfig) -> Self {
        Self {
            config,
            rate: f64::from(config.per_second.get()),
            tat: None,
            last_cut: None,
            recovered_to: None,
        }
    }

    /// The configuration the limiter was built with.
    pub fn config(&self) -> &RateConfig {
        &self.config
    }

    /// The rate the link may send at now, messages per second (after recovery up to the
    /// last call that took `now`).
    pub fn effective_rate(&self) -> f64 {
        self.rate
    }

    /// Whether flow control has the link below its configured rate.
    pub fn is_throttled(&self) -> bool {
        self.rate < self.ceiling()
    }

    /// Takes one token for a message sent at `now`.
    ///
    /// # Errors
    /// No token is available; the error is the instant the next one will be (always later
    /// than `now`).
    pub fn try_take(&mut self, now: Instant) -> Result<(), Instant> {
        self.recover(now);
        let tat = self.conforming(now)?;
        self.tat = Some(deadline::after(tat, self.interval()));
        Ok(())
    }

    /// Whether a token is available at `now`, without taking it — the guard for the
    /// driver's intake branch, so a message is only received when it can be sent.
    ///
    /// # Errors
    /// The instant the next token will be available (always later than `now`).
    pub fn check(&mut self, now: Instant) -> Result<(), Instant> {
        self.recover(now);
        self.conforming(now).map(|_| ())
    }

    /// The bucket's arrival time to build on if a message may go at `now`, else when one
    /// may.
    fn conforming(&self, now: Instant) -> Result<Instant, Instant> {
        let tolerance = self.tolerance(self.interval());
        let tat = match self.tat {
            Some(tat) if tat > now => tat,
            _ => now,
        };
        // Conforming while `now >= tat - tolerance`, written without subtracting instants.
        if deadline::after(now, tolerance) < tat {
            return Err(tat.checked_sub(tolerance).unwrap_or(tat));
        }
        Ok(tat)
    }

    /// The carrier answered with flow control at `now`: halve the effective rate (not below
    /// the floor) and empty the bucket so the next message waits a full new interval.
    /// Returns whether the rate was cut; answers within the hold period of the last cut
    /// return `false` and change nothing.
    pub fn throttled(&mut self, now: Instant) -> bool {
        if let Some(cut) = self.last_cut {
            if now < deadline::after(cut, self.config.throttle_hold) {
                return false;
            }
        }
        self.recover(now);
        self.rate = (self.rate / 2.0).max(self.floor());
        self.last_cut = Some(now);
        self.recovered_to = Some(now);
        let interval = self.interval();
        let empty = deadline::after(now, interval + self.tolerance(interval));
        self.tat = Some(match self.tat {
            Some(tat) if tat > empty => tat,
            _ => empty,
        });
        true
    }

    /// Credits the additive climb back towards the configured rate for the time since the
    /// last credit (and after the hold that follows a cut). [`RateLimiter::try_take`] calls
    /// this itself; calling it directly only refreshes [`RateLimiter::effective_rate`].
    pub fn recover(&mut self, now: Instant) {
        let ceiling = self.ceiling();
        if self.rate >= ceiling {
            return;
        }
        let hold_over = match self.last_cut {
            Some(cut) => deadline::after(cut, self.config.throttle_hold),
            None => now,
        };
        let from = match self.recovered_to {
            Some(t) if t > hold_over => t,
            _ => hold_over,
        };
        if now <= from {
            return;
        }
        let gained = f64::from(self.config.recovery_per_second.get())
            * now.duration_since(from).as_secs_f64();
        self.rate = (self.rate + gained).min(ceiling);
        self.recovered_to = Some(now);
    }

    fn ceiling(&self) -> f64 {
        f64::from(self.config.per_second.get())
    }

    fn floor(&self) -> f64 {
        f64::from(self.config.floor_per_second.get()).min(self.ceiling())
    }

    /// Time between two tokens at the effective rate. The rate is at least 1/s, so this is
    /// at most a second.
    fn interval(&self) -> Duration {
        Duration::try_from_secs_f64(1.0 / self.rate).unwrap_or(Duration::from_secs(1))
    }

    /// How far ahead of schedule the bucket lets a sender run: `burst - 1` intervals.
    fn tolerance(&self, interval: Duration) -> Duration {
        interval.saturating_mul(self.config.burst.get().saturating_sub(1))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn config(per_second: u32, burst: u32) -> RateConfig {
        RateConfig {
            per_second: nz(per_second),
            burst: nz(burst),
            floor_per_second: nz(1),
            recovery_per_second: nz(10),
            throttle_hold: Duration::from_secs(1),
        }
    }

    #[test]
    fn derived_defaults() {
        let c = RateConfig::per_second(nz(200));
        assert_eq!(c.burst.get(), 10);
        assert_eq!(c.recovery_per_second.get(), 20);
        assert_eq!(c.floor_per_second.get(), 1);
        assert_eq!(c.throttle_hold, Duration::from_secs(1));
        let c = RateConfig::per_second(nz(5));
        assert_eq!(c.burst.get(), 1);
        assert_eq!(c.recovery_per_second.get(), 1);
        assert_eq!(RateConfig::per_second(nz(50)).burst.get(), 5);
    }

    #[test]
    fn burst_then_one_per_interval() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(config(10, 3));
        assert_eq!(r.try_take(t0), Ok(()));
        assert_eq!(r.try_take(t0), Ok(()));
        assert_eq!(r.try_take(t0), Ok(()));
        assert_eq!(r.try_take(t0), Err(t0 + ms(100)));
        assert_eq!(r.try_take(t0 + ms(99)), Err(t0 + ms(100)));
        assert_eq!(r.try_take(t0 + ms(100)), Ok(()));
        assert_eq!(r.try_take(t0 + ms(100)), Err(t0 + ms(200)));
    }

    #[test]
    fn check_peeks_without_taking() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(config(10, 2));
        for _ in 0..5 {
            assert_eq!(r.check(t0), Ok(()));
        }
        r.try_take(t0).unwrap();
        assert_eq!(r.check(t0), Ok(()));
        r.try_take(t0).unwrap();
        assert_eq!(r.check(t0), Err(t0 + ms(100)));
        assert_eq!(r.try_take(t0), Err(t0 + ms(100)));
        assert_eq!(r.check(t0 + ms(100)), Ok(()));
        assert_eq!(r.try_take(t0 + ms(100)), Ok(()));
    }

    #[test]
    fn burst_of_one_spaces_every_message() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(config(4, 1));
        assert_eq!(r.try_take(t0), Ok(()));
        assert_eq!(r.try_take(t0), Err(t0 + ms(250)));
        assert_eq!(r.try_take(t0 + ms(250)), Ok(()));
        assert_eq!(r.try_take(t0 + ms(300)), Err(t0 + ms(500)));
    }

    #[test]
    fn a_quiet_spell_refills_only_up_to_the_burst() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(config(10, 3));
        assert_eq!(r.try_take(t0), Ok(()));
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(r.try_take(later), Ok(()));
        }
        assert_eq!(r.try_take(later), Err(later + ms(100)));
    }

    #[test]
    fn long_run_rate_matches_configuration() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(config(50, 5));
        let mut now = t0;
        let mut sent = 0u32;
        while now < t0 + Duration::from_secs(10) {
            match r.try_take(now) {
                Ok(()) => sent += 1,
                Err(next) => {
                    assert!(next > now, "the next token is in the future");
                    now = next;
                }
            }
        }
        // The burst of 5 at once, then one every 20 ms for the rest of the 10 s.
        assert_eq!(sent, 5 + 499);
    }

    #[test]
    fn flow_control_halves_the_rate_and_empties_the_bucket() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(config(100, 5));
        assert!(!r.is_throttled());
        assert!(r.throttled(t0));
        assert_eq!(r.effective_rate(), 50.0);
        assert!(r.is_throttled());
        // Full bucket before, but the next message now waits one new interval (20 ms).
        assert_eq!(r.try_take(t0), Err(t0 + ms(20)));
        assert_eq!(r.try_take(t0 + ms(20)), Ok(()));
        assert_eq!(r.try_take(t0 + ms(20)), Err(t0 + ms(40)));
    }

    #[test]
    fn answers_within_the_hold_count_as_one_signal() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(config(100, 1));
        assert!(r.throttled(t0));
        for i in 1..16 {
            assert!(!r.throttled(t0 + ms(i * 10)));
        }
        assert_eq!(r.effective_rate(), 50.0);
        assert!(r.throttled(t0 + ms(1000)));
        assert_eq!(r.effective_rate(), 25.0);
    }

    #[test]
    fn repeated_flow_control_stops_at_the_floor() {
        let t0 = Instant::now();
        let mut c = config(100, 1);
        c.floor_per_second = nz(3);
        c.recovery_per_second = nz(1);
        c.throttle_hold = ms(10);
        let mut r = RateLimiter::new(c);
        for i in 0..20 {
            r.throttled(t0 + ms(i * 10));
        }
        assert!((r.effective_rate() - 3.0).abs() < 1e-9);
        // Slowed, never stopped: right after the last cut, one message per third of a second.
        let last_cut = t0 + ms(190);
        let next = r.try_take(last_cut).unwrap_err();
        let gap = next.duration_since(last_cut);
        assert!(gap >= ms(333) && gap <= ms(334), "gap {gap:?}");
        r.try_take(next).unwrap();
    }

    #[test]
    fn floor_above_the_rate_is_clamped_to_the_rate() {
        let t0 = Instant::now();
        let mut c = config(5, 1);
        c.floor_per_second = nz(50);
        let mut r = RateLimiter::new(c);
        r.throttled(t0);
        assert_eq!(r.effective_rate(), 5.0);
        assert!(!r.is_throttled());
    }

    #[test]
    fn recovery_waits_for_the_hold_then_climbs_linearly_to_the_ceiling() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(config(100, 1)); // recovery 10/s per second, hold 1 s
        r.throttled(t0);
        r.recover(t0 + ms(1000));
        assert_eq!(r.effective_rate(), 50.0);
        r.recover(t0 + ms(2000));
        assert!((r.effective_rate() - 60.0).abs() < 1e-9);
        r.recover(t0 + ms(3500));
        assert!((r.effective_rate() - 75.0).abs() < 1e-9);
        r.recover(t0 + Duration::from_secs(60));
        assert_eq!(r.effective_rate(), 100.0);
        assert!(!r.is_throttled());
    }

    #[test]
    fn try_take_applies_recovery() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(config(100, 1));
        r.throttled(t0);
        let later = t0 + Duration::from_secs(30);
        r.try_take(later).unwrap();
        assert_eq!(r.effective_rate(), 100.0);
        assert_eq!(r.try_take(later), Err(later + ms(10)));
    }

    #[test]
    fn recovery_is_not_double_counted() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(config(100, 1));
        r.throttled(t0);
        let t = t0 + ms(2000);
        r.recover(t);
        r.recover(t);
        let _ = r.try_take(t);
        assert!((r.effective_rate() - 60.0).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn paced_sender_on_paused_time() {
        let mut r = RateLimiter::new(config(20, 1));
        let start = Instant::now();
        for _ in 0..41 {
            while let Err(next) = r.try_take(Instant::now()) {
                tokio::time::sleep_until(next).await;
            }
        }
        // 41 messages at 20/s: the first at once, the last two seconds later.
        assert_eq!(Instant::now().duration_since(start), Duration::from_secs(2));
    }
}
