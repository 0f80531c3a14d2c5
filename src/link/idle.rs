//! Idle close for connect-on-demand links (SGIP).
//!
//! SGIP has no keep-alive PDU and its gateways close connections idle for about 60 s, so an
//! SGIP link connects when it has messages, and Unbinds on its own once it has been quiet
//! for a while — before the gateway cuts it off mid-submit. The timer tracks the last
//! traffic in *either* direction; the driver closes only when the timer has run out *and*
//! nothing is queued or in flight, so a message is never stranded by an idle close.

use std::time::Duration;

use tokio::time::Instant;

use super::deadline;

/// Time since the last traffic on a connection.
#[derive(Debug, Clone)]
pub struct IdleTimer {
    idle_after: Duration,
    last_activity: Instant,
}

impl IdleTimer {
    /// A timer for a connection that became live at `now`; it is idle once `idle_after`
    /// passes without traffic (pick it below the gateway's own cut-off, e.g. 30 s for
    /// SGIP's 60 s).
    pub fn new(idle_after: Duration, now: Instant) -> Self {
        Self {
            idle_after,
            last_activity: now,
        }
    }

    /// A PDU was sent or received at `now`.
    pub fn touch(&mut self, now: Instant) {
        if now > self.last_activity {
            self.last_activity = now;
        }
    }

    /// When the connection becomes idle if nothing happens before.
    pub fn deadline(&self) -> Instant {
        deadline::after(self.last_activity, self.idle_after)
    }

    /// Whether the connection has been quiet for `idle_after` at `now`.
    pub fn is_idle(&self, now: Instant) -> bool {
        now >= self.deadline()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn idle_only_after_the_quiet_period() {
        let t0 = Instant::now();
        let t = IdleTimer::new(secs(30), t0);
        assert_eq!(t.deadline(), t0 + secs(30));
        assert!(!t.is_idle(t0 + secs(29)));
        assert!(t.is_idle(t0 + secs(30)));
    }

    #[test]
    fn traffic_restarts_the_period() {
        let t0 = Instant::now();
        let mut t = IdleTimer::new(secs(30), t0);
        t.touch(t0 + secs(20));
        assert!(!t.is_idle(t0 + secs(45)));
        assert!(t.is_idle(t0 + secs(50)));
    }

    #[test]
    fn an_out_of_order_touch_never_moves_the_deadline_back() {
        let t0 = Instant::now();
        let mut t = IdleTimer::new(secs(30), t0 + secs(10));
        t.touch(t0);
        assert_eq!(t.deadline(), t0 + secs(40));
    }

    #[tokio::test(start_paused = true)]
    async fn sleeping_until_the_deadline_finds_the_link_idle() {
        let mut t = IdleTimer::new(secs(30), Instant::now());
        tokio::time::advance(secs(10)).await;
        t.touch(Instant::now());
        tokio::time::sleep_until(t.deadline()).await;
        assert!(t.is_idle(Instant::now()));
    }
}
