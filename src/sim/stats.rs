//! Counters of what the simulator saw and did: atomics bumped on the hot path, a plain
//! [`SimStats`] snapshot for callers, and a [`Notify`] that wakes
//! [`super::SimHandle::wait_until`] when something changed (once per batch of PDUs, not
//! per PDU).

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Notify;

macro_rules! counters {
    ($( $(#[$doc:meta])* $name:ident ),* $(,)?) => {
        /// A snapshot of the simulator's counters.
        ///
        /// Duplicate accounting (with [`super::SimConfig::track_duplicates`]): every
        /// accepted submit is keyed by (recipients, source number, content).
        /// `resent_after_ack` counts submits whose key had already been answered with
        /// success — including answers that fault injection dropped, so the client never
        /// saw them (a resend is then correct behaviour). `duplicates_after_ack` counts
        /// only those whose earlier success answer was actually written to the socket:
        /// the client received it and should not have sent the message again.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct SimStats {
            $( $(#[$doc])* pub $name: u64, )*
        }

        #[derive(Debug, Default)]
        pub(crate) struct Counters {
            $( pub(crate) $name: AtomicU64, )*
        }

        impl Counters {
            pub(crate) fn snapshot(&self) -> SimStats {
                SimStats { $( $name: self.$name.load(Ordering::Relaxed), )* }
            }
        }

        impl SimStats {
            /// Every counter with its name, in declaration order.
            pub fn named(&self) -> Vec<(&'static str, u64)> {
                vec![ $( (stringify!($name), self.$name), )* ]
            }
        }
    };
}

counters! {
    /// TCP connections accepted (SP → gateway).
    connections,
    /// Connections open right now.
    open_connections,
    /// Logins accepted.
    logins_ok,
    /// Logins refused (bad account, digest, version, limit or injected refusal).
    logins_refused,
    /// Connections closed because their first PDU was not a login.
    not_logged_in,
    /// Submits read (all, including throttled and unanswered ones).
    submits_received,
    /// Submits accepted with a message id.
    submits_accepted,
    /// Submits answered with the flow-control code (injected or over the rate limit).
    submits_throttled,
    /// Distinct (recipients, source, content) keys among accepted submits.
    submits_unique,
    /// Accepted submits whose key had been answered with success before (answer maybe
    /// dropped by fault injection).
    resent_after_ack,
    /// Accepted submits whose key had been answered with success before and that
    /// answer had been written to the socket.
    duplicates_after_ack,
    /// Submit responses written (success or not).
    responses_sent,
    /// Submit responses dropped by fault injection.
    responses_dropped,
    /// Status reports written.
    reports_sent,
    /// Status reports answered by the SP.
    reports_acked,
    /// Status reports queued again because their connection ended before the answer.
    reports_resent,
    /// MO parts queued again because their connection ended before the answer.
    mo_resent,
    /// MO messages (parts) written.
    mo_sent,
    /// MO parts answered by the SP.
    mo_acked,
    /// Deliver answers with a non-zero result.
    delivers_rejected,
    /// Keep-alive requests answered.
    active_tests_answered,
    /// Keep-alive requests the simulator sent.
    active_tests_sent,
    /// TERMINATE / Exit / Unbind requests answered.
    terminates,
    /// Frames that did not decode.
    decode_errors,
    /// Connections closed by the mid-window fault.
    fault_closes,
    /// Connections dropped by [`super::Faults::cut_connections`].
    fault_cuts,
    /// Connections that got malformed bytes.
    malformed_sent,
    /// SGIP: Binds (login type 2) the simulator completed on the SP's listener.
    reverse_binds,
    /// SGIP: Binds on the SP's listener that were refused or failed.
    reverse_bind_failures,
    /// SGIP: Unbinds the simulator sent on the reverse connection.
    reverse_unbinds,
}

/// Counters plus the change notification.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) c: Counters,
    notify: Notify,
}

impl Stats {
    pub(crate) fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn dec(counter: &AtomicU64) {
        counter.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> SimStats {
        self.c.snapshot()
    }

    /// Wake everyone waiting for a change.
    pub(crate) fn changed(&self) {
        self.notify.notify_waiters();
    }

    pub(crate) fn notify(&self) -> &Notify {
        &self.notify
    }
}

/// In words, for people: the counters that are not zero, e.g. `3 logins ok, 10 submits
/// accepted, 10 reports sent` (`open connections` is a level, shown even when zero).
impl std::fmt::Display for SimStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for (name, n) in self.named() {
            if n == 0 && name != "open_connections" {
                continue;
            }
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{n} {}", name.replace('_', " "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod display_tests {
    use super::SimStats;

    #[test]
    fn stats_read_as_words_not_rust_debug_text() {
        let s = SimStats {
            logins_ok: 1,
            submits_accepted: 10,
            reports_sent: 10,
            ..SimStats::default()
        };
        assert_eq!(
            s.to_string(),
            "0 open connections, 1 logins ok, 10 submits accepted, 10 reports sent"
        );
        assert_eq!(SimStats::default().to_string(), "0 open connections");
    }
}
