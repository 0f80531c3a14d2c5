//! Reconnect back-off: exponential growth with full jitter, so a link never hammers a
//! gateway and many links never reconnect in lockstep.
//!
//! After the `n`-th consecutive failure (counting from 0) the delay before the next attempt
//! is `floor + uniform(0, min(max, initial × multiplier^n))`:
//!
//! * the random part is "full jitter" — spread over the whole exponential range, so links
//!   that failed together (a gateway restart) come back spread out;
//! * the floor keeps even the first retry from being immediate, and a login the gateway
//!   refused (bad credentials, CMPP "logins too frequent", SGIP "too many connections")
//!   uses a much longer floor: retrying a refusal quickly never helps and can get an
//!   account locked;
//! * a successful login resets the growth ([`Backoff::reset`]).
//!
//! Randomness comes from a seedable xorshift generator in this file: [`Backoff::with_seed`]
//! makes tests deterministic, [`Backoff::new`] seeds from the standard library's per-process
//! random hash keys.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

/// Growth and floors of a [`Backoff`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    /// Upper end of the random part after the first failure (default 1 s).
    pub initial: Duration,
    /// The random part never exceeds this (default 5 minutes).
    pub max: Duration,
    /// Growth of the random part per consecutive failure (default 2). Values below 1, and
    /// NaN, are treated as 1.
    pub multiplier: f64,
    /// Least delay before any reconnect (default 500 ms).
    pub min_delay: Duration,
    /// Least delay after the gateway refused the login (default 30 s).
    pub refused_min_delay: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(300),
            multiplier: 2.0,
            min_delay: Duration::from_millis(500),
            refused_min_delay: Duration::from_secs(30),
        }
    }
}

/// Why the last attempt failed; decides the floor of the next delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The connection could not be made, broke, or the login went unanswered.
    Connection,
    /// The gateway answered the login with a refusal.
    LoginRefused,
}

/// Consecutive-failure counter that turns failures into reconnect delays.
#[derive(Debug, Clone)]
pub struct Backoff {
    config: BackoffConfig,
    failures: u32,
    rng: XorShift64,
}

impl Backoff {
    /// A back-off seeded from the process's random hash keys, so links differ.
    pub fn new(config: BackoffConfig) -> Self {
        Self::with_seed(
            config,
            RandomState::new().hash_one(0x686f_6e67_7961_6e00_u64),
        )
    }

    /// A back-off with a fixed seed: the same seed gives the same delays.
    pub fn with_seed(config: BackoffConfig, seed: u64) -> Self {
        Self {
            config,
            failures: 0,
            rng: XorShift64::new(seed),
        }
    }

    /// The configuration the back-off was built with.
    pub fn config(&self) -> &BackoffConfig {
        &self.config
    }

    /// Consecutive failures since the last [`Backoff::reset`].
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a failed attempt and returns how long to wait before the next one.
    pub fn next_delay(&mut self, failure: Failure) -> Duration {
        let cap = self.cap(self.failures);
        self.failures = self.failures.saturating_add(1);
        let floor = match failure {
            Failure::Connection => self.config.min_delay,
            Failure::LoginRefused => self.config.refused_min_delay.max(self.config.min_delay),
        };
        floor.saturating_add(self.rng.up_to(cap))
    }

    /// A login succeeded: the next failure starts again from `initial`.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Upper end of the random part after `n` earlier consecutive failures.
    fn cap(&self, n: u32) -> Duration {
        let multiplier = if self.config.multiplier >= 1.0 {
            self.config.multiplier
        } else {
            1.0
        };
        // Past 2^63 the product is beyond any sane max anyway; keep powi's argument small.
        let exponent = i32::try_from(n.min(64)).unwrap_or(64);
        let secs = self.config.initial.as_secs_f64() * multiplier.powi(exponent);
        Duration::try_from_secs_f64(secs)
            .unwrap_or(self.config.max)
            .min(self.config.max)
    }
}

/// Marsaglia's xorshift64: tiny, seedable, and plenty for spreading reconnects.
#[derive(Debug, Clone)]
struct XorShift64 {
    state: u64,
}

impl XorShift64 {
    fn new(seed: u64) -> Self {
        // The all-zero state is a fixed point; any other constant will do.
        let state = if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        };
        Self { state }
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    /// Uniform in `[0, span]` at nanosecond resolution (spans beyond ~584 years are cut to
    /// that).
    fn up_to(&mut self, span: Duration) -> Duration {
        let span_ns = u64::try_from(span.as_nanos()).unwrap_or(u64::MAX);
        // Multiply-shift maps a 64-bit draw onto [0, span_ns] without modulo bias worth
        // mentioning.
        let scaled = (u128::from(self.next_u64()) * (u128::from(span_ns) + 1)) >> 64;
        Duration::from_nanos(u64::try_from(scaled).unwrap_or(span_ns))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn config() -> BackoffConfig {
        BackoffConfig {
            initial: secs(1),
            max: secs(60),
            multiplier: 2.0,
            min_delay: Duration::from_millis(500),
            refused_min_delay: secs(30),
        }
    }

    #[test]
    fn default_config() {
        let c = BackoffConfig::default();
        assert_eq!(c.initial, secs(1));
        assert_eq!(c.max, secs(300));
        assert_eq!(c.multiplier, 2.0);
        assert_eq!(c.min_delay, Duration::from_millis(500));
        assert_eq!(c.refused_min_delay, secs(30));
    }

    #[test]
    fn same_seed_same_delays_different_seed_different_delays() {
        let run = |seed| {
            let mut b = Backoff::with_seed(config(), seed);
            (0..10)
                .map(|_| b.next_delay(Failure::Connection))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn cap_grows_exponentially_up_to_max() {
        let b = Backoff::with_seed(config(), 1);
        let caps: Vec<u64> = (0..9).map(|n| b.cap(n).as_secs()).collect();
        assert_eq!(caps, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(b.cap(u32::MAX), secs(60));
    }

    #[test]
    fn every_delay_lies_between_floor_and_floor_plus_cap() {
        for seed in 1..50 {
            let mut b = Backoff::with_seed(config(), seed);
            for n in 0..12 {
                let cap = b.cap(n);
                let d = b.next_delay(Failure::Connection);
                let floor = Duration::from_millis(500);
                assert!(d >= floor && d <= floor + cap, "seed {seed} n {n}: {d:?}");
            }
            assert_eq!(b.failures(), 12);
        }
    }

    #[test]
    fn jitter_spreads_over_the_whole_range() {
        // Many links failing at once must not come back together.
        let mut b = Backoff::with_seed(config(), 12345);
        let mut delays: Vec<Duration> = (0..1000)
            .map(|_| {
                b.failures = 6; // cap 60 s
                b.next_delay(Failure::Connection)
            })
            .collect();
        delays.sort_unstable();
        let floor = Duration::from_millis(500);
        assert!(delays[0] < floor + secs(3), "lowest {:?}", delays[0]);
        assert!(delays[999] > floor + secs(57), "highest {:?}", delays[999]);
        let median = delays[500];
        assert!(median > floor + secs(24) && median < floor + secs(36));
        delays.dedup();
        assert!(delays.len() > 990);
    }

    #[test]
    fn refused_login_uses_the_longer_floor_and_still_grows() {
        let mut b = Backoff::with_seed(config(), 99);
        for n in 0..8u32 {
            let cap = b.cap(n);
            let d = b.next_delay(Failure::LoginRefused);
            assert!(d >= secs(30) && d <= secs(30) + cap, "n {n}: {d:?}");
        }
    }

    #[test]
    fn refused_floor_below_connection_floor_is_raised_to_it() {
        let mut c = config();
        c.refused_min_delay = Duration::from_millis(10);
        let mut b = Backoff::with_seed(c, 3);
        assert!(b.next_delay(Failure::LoginRefused) >= Duration::from_millis(500));
    }

    #[test]
    fn reset_starts_growth_again() {
        let mut b = Backoff::with_seed(config(), 5);
        for _ in 0..10 {
            b.next_delay(Failure::Connection);
        }
        b.reset();
        assert_eq!(b.failures(), 0);
        let d = b.next_delay(Failure::Connection);
        assert!(d <= Duration::from_millis(1500), "{d:?}");
        assert_eq!(b.failures(), 1);
    }

    #[test]
    fn odd_configurations_do_not_panic() {
        for multiplier in [f64::NAN, 0.0, -3.0, 0.5, f64::INFINITY, 1e300] {
            let c = BackoffConfig {
                multiplier,
                max: Duration::MAX,
                refused_min_delay: Duration::MAX,
                ..config()
            };
            let mut b = Backoff::with_seed(c, 11);
            for _ in 0..100 {
                b.next_delay(Failure::Connection);
                b.next_delay(Failure::LoginRefused);
            }
        }
        // Multiplier below 1 behaves as 1: the cap stays at `initial`.
        let c = BackoffConfig {
            multiplier: 0.5,
            ..config()
        };
        let b = Backoff::with_seed(c, 1);
        assert_eq!(b.cap(10), secs(1));
    }

    #[test]
    fn zero_seed_is_not_stuck() {
        let mut r = XorShift64::new(0);
        let a = r.next_u64();
        let b = r.next_u64();
        assert_ne!(a, 0);
        assert_ne!(a, b);
    }

    #[test]
    fn up_to_covers_both_ends_and_zero_span() {
        let mut r = XorShift64::new(42);
        assert_eq!(r.up_to(Duration::ZERO), Duration::ZERO);
        let span = Duration::from_nanos(3);
        let mut seen = [false; 4];
        for _ in 0..1000 {
            let d = r.up_to(span);
            let i = usize::try_from(d.as_nanos()).unwrap();
            seen[i] = true;
        }
        assert_eq!(seen, [true; 4]);
        assert!(r.up_to(Duration::MAX) > Duration::ZERO);
    }

    #[test]
    fn unseeded_backoffs_differ() {
        let mut a = Backoff::new(config());
        let mut b = Backoff::new(config());
        let da: Vec<_> = (0..8).map(|_| a.next_delay(Failure::Connection)).collect();
        let db: Vec<_> = (0..8).map(|_| b.next_delay(Failure::Connection)).collect();
        assert_ne!(da, db);
    }
}
