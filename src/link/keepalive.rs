//! Keep-alive of an idle connection: probe after a quiet interval, give up after N probes
//! go unanswered.
//!
//! CMPP (ACTIVE_TEST) and SMGP (Active_Test) keep their long connections alive the same
//! way: when the link has been idle for **C**, send a probe; if no answer comes within
//! **T**, send another at once; after **N** consecutive unanswered probes the connection is
//! dead and the link reconnects (CMPP 3.0 §7.1 recommends C = 3 min, T = 60 s, N = 3;
//! practice probes far more often). SGIP has no probe PDU and uses
//! [`IdleTimer`](super::IdleTimer) to close idle connections instead.
//!
//! Only *inbound* traffic counts as proof of life — any PDU from the gateway, the answer
//! to a probe, the gateway's own probe, a submit response or a deliver. Outbound traffic
//! does not: a connection we keep writing into but never hear from is exactly the one that
//! must be detected. A busy healthy link therefore never sends a probe, because its
//! responses keep arriving.
//!
//! [`KeepAlive::poll`] assumes its answer is acted on: when it says
//! [`KeepAliveAction::SendProbe`] the probe counts as sent at that `now`.

use std::num::NonZeroU32;
use std::time::Duration;

use tokio::time::Instant;

use super::deadline;

/// Timers of a [`KeepAlive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAliveConfig {
    /// C: idle time before the first probe (default 30 s, the common practice; the CMPP
    /// spec's 3 minutes outlasts many carriers' idle cut-offs).
    pub interval: Duration,
    /// T: how long to wait for any inbound traffic after a probe before sending the next
    /// (default 30 s).
    pub response_timeout: Duration,
    /// N: consecutive unanswered probes after which the connection is dead (default 3).
    pub max_missed: NonZeroU32,
}

impl Default for KeepAliveConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            response_timeout: Duration::from_secs(30),
            max_missed: NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// What the driver should do for keep-alive now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAliveAction {
    /// Nothing is due.
    None,
    /// Send a probe (ACTIVE_TEST / Active_Test) now.
    SendProbe,
    /// N probes went unanswered: the connection is dead; drop it and reconnect.
    Reconnect,
}

/// Idle tracking and probe accounting for one connection.
#[derive(Debug, Clone)]
pub struct KeepAlive {
    config: KeepAliveConfig,
    last_inbound: Instant,
    /// Deadline for an answer to the probe in flight, if one is.
    probe_deadline: Option<Instant>,
    missed: u32,
    dead: bool,
}

impl KeepAlive {
    /// Keep-alive for a connection that became live (logged in) at `now`.
    pub fn new(config: KeepAliveConfig, now: Instant) -> Self {
        Self {
            config,
            last_inbound: now,
            probe_deadline: None,
            missed: 0,
            dead: false,
        }
    }

    /// The configuration the keep-alive was built with.
    pub fn config(&self) -> &KeepAliveConfig {
        &self.config
    }

    /// A PDU arrived from the gateway at `now`: the connection is alive, any probe counts
    /// as answered and idleness starts over.
    pub fn on_inbound(&mut self, now: Instant) {
        if self.dead {
            return;
        }
        self.last_inbound = now;
        self.probe_deadline = None;
        self.missed = 0;
    }

    /// What to do at `now`. Call it when [`KeepAlive::next_deadline`] passes (calling it
    /// earlier or more often is harmless). Once it has said
    /// [`KeepAliveAction::Reconnect`] it keeps saying so.
    pub fn poll(&mut self, now: Instant) -> KeepAliveAction {
        if self.dead {
            return KeepAliveAction::Reconnect;
        }
        match self.probe_deadline {
            Some(due) if now >= due => {
                self.missed = self.missed.saturating_add(1);
                if self.missed >= self.config.max_missed.get() {
                    self.dead = true;
                    self.probe_deadline = None;
                    KeepAliveAction::Reconnect
                } else {
                    self.probe(now)
                }
            }
            Some(_) => KeepAliveAction::None,
            None if now >= self.idle_deadline() => self.probe(now),
            None => KeepAliveAction::None,
        }
    }

    /// When [`KeepAlive::poll`] next has something to do; `None` once the connection is
    /// dead.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.dead {
            return None;
        }
        Some(self.probe_deadline.unwrap_or_else(|| self.idle_deadline()))
    }

    /// Consecutive probes that went unanswered so far.
    pub fn missed(&self) -> u32 {
        self.missed
    }

    /// Whether a probe is waiting for an answer.
    pub fn probe_outstanding(&self) -> bool {
        self.probe_deadline.is_some()
    }

    /// Whether N probes went unanswered.
    pub fn is_dead(&self) -> bool {
        self.dead
    }

    fn idle_deadline(&self) -> Instant {
        deadline::after(self.last_inbound, self.config.interval)
    }

    fn probe(&mut self, now: Instant) -> KeepAliveAction {
        self.probe_deadline = Some(deadline::after(now, self.config.response_timeout));
        KeepAliveAction::SendProbe
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn config(c: u64, t: u64, n: u32) -> KeepAliveConfig {
        KeepAliveConfig {
            interval: secs(c),
            response_timeout: secs(t),
            max_missed: NonZeroU32::new(n).unwrap(),
        }
    }

    #[test]
    fn default_config() {
        let c = KeepAliveConfig::default();
        assert_eq!(c.interval, secs(30));
        assert_eq!(c.response_timeout, secs(30));
        assert_eq!(c.max_missed.get(), 3);
    }

    #[test]
    fn quiet_until_the_interval_then_probes() {
        let t0 = Instant::now();
        let mut k = KeepAlive::new(config(60, 10, 3), t0);
        assert_eq!(k.next_deadline(), Some(t0 + secs(60)));
        assert_eq!(k.poll(t0 + secs(59)), KeepAliveAction::None);
        assert_eq!(k.poll(t0 + secs(60)), KeepAliveAction::SendProbe);
        assert!(k.probe_outstanding());
        assert_eq!(k.next_deadline(), Some(t0 + secs(70)));
        // Polling again before the answer is due sends nothing more.
        assert_eq!(k.poll(t0 + secs(65)), KeepAliveAction::None);
    }

    #[test]
    fn inbound_traffic_postpones_the_probe() {
        let t0 = Instant::now();
        let mut k = KeepAlive::new(config(60, 10, 3), t0);
        k.on_inbound(t0 + secs(50));
        assert_eq!(k.poll(t0 + secs(60)), KeepAliveAction::None);
        assert_eq!(k.next_deadline(), Some(t0 + secs(110)));
        assert_eq!(k.poll(t0 + secs(110)), KeepAliveAction::SendProbe);
    }

    #[test]
    fn an_answer_clears_the_probe_and_the_missed_count() {
        let t0 = Instant::now();
        let mut k = KeepAlive::new(config(60, 10, 3), t0);
        assert_eq!(k.poll(t0 + secs(60)), KeepAliveAction::SendProbe);
        assert_eq!(k.poll(t0 + secs(70)), KeepAliveAction::SendProbe);
        assert_eq!(k.missed(), 1);
        k.on_inbound(t0 + secs(72));
        assert_eq!(k.missed(), 0);
        assert!(!k.probe_outstanding());
        assert_eq!(k.next_deadline(), Some(t0 + secs(132)));
        assert_eq!(k.poll(t0 + secs(100)), KeepAliveAction::None);
    }

    #[test]
    fn n_unanswered_probes_mean_reconnect() {
        let t0 = Instant::now();
        let mut k = KeepAlive::new(config(60, 10, 3), t0);
        assert_eq!(k.poll(t0 + secs(60)), KeepAliveAction::SendProbe); // probe 1
        assert_eq!(k.poll(t0 + secs(70)), KeepAliveAction::SendProbe); // probe 2
        assert_eq!(k.poll(t0 + secs(80)), KeepAliveAction::SendProbe); // probe 3
        assert_eq!(k.missed(), 2);
        assert!(!k.is_dead());
        assert_eq!(k.poll(t0 + secs(90)), KeepAliveAction::Reconnect);
        assert!(k.is_dead());
        assert_eq!(k.missed(), 3);
        assert_eq!(k.next_deadline(), None);
        // Terminal: late traffic does not revive a connection already given up.
        k.on_inbound(t0 + secs(91));
        assert_eq!(k.poll(t0 + secs(92)), KeepAliveAction::Reconnect);
    }

    #[test]
    fn a_single_allowed_miss_reconnects_after_the_first_probe() {
        let t0 = Instant::now();
        let mut k = KeepAlive::new(config(5, 5, 1), t0);
        assert_eq!(k.poll(t0 + secs(5)), KeepAliveAction::SendProbe);
        assert_eq!(k.poll(t0 + secs(10)), KeepAliveAction::Reconnect);
    }

    #[test]
    fn a_late_poll_counts_one_miss_at_a_time() {
        // The driver was stalled well past several deadlines: only one miss is charged
        // and a fresh probe goes out, rather than declaring the link dead without probing.
        let t0 = Instant::now();
        let mut k = KeepAlive::new(config(60, 10, 3), t0);
        assert_eq!(k.poll(t0 + secs(60)), KeepAliveAction::SendProbe);
        assert_eq!(k.poll(t0 + secs(500)), KeepAliveAction::SendProbe);
        assert_eq!(k.missed(), 1);
        assert_eq!(k.next_deadline(), Some(t0 + secs(510)));
    }

    #[tokio::test(start_paused = true)]
    async fn driver_style_loop_on_paused_time() {
        let mut k = KeepAlive::new(config(30, 10, 3), Instant::now());
        let start = Instant::now();
        let mut probes = 0;
        loop {
            let due = k.next_deadline().unwrap();
            tokio::time::sleep_until(due).await;
            match k.poll(Instant::now()) {
                KeepAliveAction::None => {}
                KeepAliveAction::SendProbe => probes += 1,
                KeepAliveAction::Reconnect => break,
            }
        }
        assert_eq!(probes, 3);
        // C + N × T of silence.
        assert_eq!(Instant::now().duration_since(start), secs(30 + 3 * 10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_gateway_that_answers_keeps_the_link_alive() {
        let mut k = KeepAlive::new(config(30, 10, 3), Instant::now());
        for _ in 0..100 {
            let due = k.next_deadline().unwrap();
            tokio::time::sleep_until(due).await;
            assert_eq!(k.poll(Instant::now()), KeepAliveAction::SendProbe);
            // The answer comes two seconds later.
            tokio::time::advance(secs(2)).await;
            k.on_inbound(Instant::now());
        }
        assert!(!k.is_dead());
        assert_eq!(k.missed(), 0);
    }
}
