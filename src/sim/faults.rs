//! Fault injection: switches a test flips on a running simulator, effective for the next
//! PDUs on every connection. Each is a counter or a value in an atomic, so checking them
//! costs the hot path a few relaxed loads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Default)]
pub(crate) struct FaultState {
    refuse_logins: AtomicU32,
    refuse_status: AtomicU32,
    throttle: AtomicU32,
    delay_micros: AtomicU64,
    drop_responses: AtomicU32,
    close_after: AtomicU32,
    malformed_next: AtomicBool,
    reads_paused: AtomicBool,
    reports_first: AtomicU32,
}

/// Take one from a counter if it is above zero.
fn take(counter: &AtomicU32) -> bool {
    counter.load(Ordering::Relaxed) > 0
        && counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
}

impl FaultState {
    /// A login to refuse, with the status to refuse it with.
    pub(crate) fn take_refusal(&self) -> Option<u32> {
        take(&self.refuse_logins).then(|| self.refuse_status.load(Ordering::Relaxed))
    }

    pub(crate) fn take_throttle(&self) -> bool {
        take(&self.throttle)
    }

    pub(crate) fn take_drop(&self) -> bool {
        take(&self.drop_responses)
    }

    pub(crate) fn response_delay(&self) -> Duration {
        Duration::from_micros(self.delay_micros.load(Ordering::Relaxed))
    }

    /// Count one submit toward the mid-window close; true when this one closes.
    pub(crate) fn take_close(&self) -> bool {
        self.close_after.load(Ordering::Relaxed) > 0
            && matches!(
                self.close_after
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)),
                Ok(1)
            )
    }

    pub(crate) fn reads_paused(&self) -> bool {
        self.reads_paused.load(Ordering::Relaxed)
    }

    pub(crate) fn take_report_first(&self) -> bool {
        take(&self.reports_first)
    }

    pub(crate) fn take_malformed_next(&self) -> bool {
        self.malformed_next.swap(false, Ordering::AcqRel)
    }

    pub(crate) fn arm_malformed_next(&self) {
        self.malformed_next.store(true, Ordering::Release);
    }
}

/// The fault-injection controls of a running simulator (cheap to clone).
#[derive(Debug, Clone)]
pub struct Faults {
    pub(crate) state: Arc<FaultState>,
    pub(crate) shared: Arc<super::shared::GatewayState>,
}

impl Faults {
    /// Refuse the next `n` logins with `status` (CMPP Status, SMGP Status or SGIP
    /// Result), then close those connections, whatever their credentials.
    pub fn refuse_logins(&self, n: u32, status: u32) {
        self.state.refuse_status.store(status, Ordering::Relaxed);
        self.state.refuse_logins.store(n, Ordering::Release);
    }

    /// Answer the next `n` submits with the flow-control code (CMPP 8, SMGP 1, SGIP 11)
    /// instead of accepting them.
    pub fn throttle_next(&self, n: u32) {
        self.state.throttle.store(n, Ordering::Release);
    }

    /// Hold every submit response this long before writing it (zero: off). The status
    /// report follows its response after [`super::SimConfig::report_delay`].
    pub fn delay_responses(&self, delay: Duration) {
        let micros = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.state.delay_micros.store(micros, Ordering::Release);
    }

    /// Accept the next `n` submits (message id, report) but never write their
    /// responses, as if they were lost on the way.
    pub fn drop_next_responses(&self, n: u32) {
        self.state.drop_responses.store(n, Ordering::Release);
    }

    /// Close a connection in the middle of its window: the `n`-th submit read from now
    /// on (on any connection) is not answered; its connection writes out what it has
    /// already answered and closes, so the submits after it in the pipe are lost too.
    pub fn close_after_submits(&self, n: u32) {
        self.state.close_after.store(n, Ordering::Release);
    }

    /// Write bytes that cannot be a PDU (a length field of 3) on every open
    /// connection — or, when none is open, on the next one right after its login
    /// response. The simulator keeps reading until the client closes.
    pub fn send_malformed(&self) {
        if !self.shared.send_malformed_to_all() {
            self.state.arm_malformed_next();
        }
    }

    /// Cut every open connection now, as a network failure would: the simulator reads
    /// nothing more from it — the SP's answers still in the socket are lost — and sends
    /// its Delivers not answered again on the account's next connection (with
    /// [`super::SimConfig::resend_unacked_delivers`]), under the same Deliver ids. With
    /// [`Faults::pause_reading`] first, what the SP answered meanwhile is lost too.
    /// False when no connection was open.
    pub fn cut_connections(&self) -> bool {
        self.shared.cut_all()
    }

    /// Stop (true) or resume (false) reading on every connection (the SGIP reverse one
    /// too): the simulator keeps writing — responses already due, reports, MO — while the
    /// SP's submits and answers pile up in the socket buffers, as with a gateway that has
    /// stalled. For proving
    /// that a client keeps reading when its own writes cannot go out.
    pub fn pause_reading(&self, paused: bool) {
        self.state.reads_paused.store(paused, Ordering::Release);
        self.shared.wake_all();
    }

    /// For the next `n` accepted submits, write the status report before the submit
    /// response (the response follows about a millisecond later), as gateways that
    /// report over another path sometimes do.
    pub fn reports_before_responses(&self, n: u32) {
        self.state.reports_first.store(n, Ordering::Release);
    }

    /// Switch every fault off.
    pub fn clear(&self) {
        let s = &self.state;
        s.refuse_logins.store(0, Ordering::Release);
        s.throttle.store(0, Ordering::Release);
        s.delay_micros.store(0, Ordering::Release);
        s.drop_responses.store(0, Ordering::Release);
        s.close_after.store(0, Ordering::Release);
        s.malformed_next.store(false, Ordering::Release);
        s.reports_first.store(0, Ordering::Release);
        if s.reads_paused.swap(false, Ordering::AcqRel) {
            self.shared.wake_all();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn counters_run_out_and_the_close_hits_the_nth_submit() {
        let f = FaultState::default();
        assert_eq!(f.take_refusal(), None);
        f.refuse_logins.store(2, Ordering::Relaxed);
        f.refuse_status.store(21, Ordering::Relaxed);
        assert_eq!(
            (f.take_refusal(), f.take_refusal(), f.take_refusal()),
            (Some(21), Some(21), None)
        );
        f.close_after.store(3, Ordering::Relaxed);
        let closes: Vec<bool> = (0..5).map(|_| f.take_close()).collect();
        assert_eq!(closes, vec![false, false, true, false, false]);
        f.throttle.store(1, Ordering::Relaxed);
        assert!(f.take_throttle() && !f.take_throttle());
        assert!(!f.take_malformed_next());
        f.arm_malformed_next();
        assert!(f.take_malformed_next() && !f.take_malformed_next());
    }
}
