//! Where an unanswered submit is resent, and when it gives up: every decision of that
//! story is a function here; the window, the session and the dispatcher call them.
//!
//! 1. A SUBMIT written on a connection waits in that connection's [`Window`] for its
//!    response, for `response_timeout` (CMPP's T, default 60 s; `[[link]] response_timeout`).
//! 2. No response in time: [`after_timeout`] — the same bytes go again under the same
//!    sequence id while fewer than `max_attempts` writes (CMPP's N, default 3) have gone
//!    out in all; the deadline restarts from the resend. Every write counts, including
//!    those on earlier connections of this run and before a restart (the store's attempt
//!    count comes with a claimed part as [`OutboundPart::sent`]).
//! 3. Out of writes: [`gave_up`] — [`FailReason::Unanswered`] when nothing came back
//!    (the carrier may have it), [`FailReason::Unreadable`] when the gateway answered but
//!    the answer never decoded.
//! 4. A connection that closes hands its unanswered parts back (the retry queue, with
//!    their write counts); before a part is written again, [`may_write`] says whether it
//!    has writes left, and [`used_up`] is its failure when it has none
//!    ([`FailReason::AttemptsUsed`], naming why the last connection was lost).
//! 5. A flow-control answer (`rate.rs`) is not a failed attempt: the part goes again at
//!    once, more slowly, and its write is not counted.
//! 6. The dispatcher (`dispatch/events.rs`) records a failed part as [`verdict`] says:
//!    unanswered → `unconfirmed` (reported, never resent: a resend could put a second
//!    copy on the handset), everything else → `failed`; and it adds the part's writes
//!    ([`FailReason::writes`]) to the segment's attempts.
//!
//! Nothing here reads the clock or holds state: each function is the rule alone.
//!
//! [`Window`]: super::Window
//! [`OutboundPart::sent`]: super::OutboundPart

use wire::DecodeError;

use super::failure::{ConnectionLoss, FailReason};

/// What to do with a request whose response did not come within the response timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterTimeout {
    /// Write the same bytes again, under the same sequence id.
    Resend,
    /// No writes left: the request fails (see [`gave_up`]).
    GiveUp,
}

/// A request written `writes` times in all has timed out: resend while fewer than
/// `max_attempts` writes have gone out.
pub fn after_timeout(writes: u32, max_attempts: u32) -> AfterTimeout {
    if writes < max_attempts {
        AfterTimeout::Resend
    } else {
        AfterTimeout::GiveUp
    }
}

/// Whether a part already written `writes` times (its earlier connections closed before
/// an answer could be read) may be written once more.
pub fn may_write(writes: u32, max_attempts: u32) -> bool {
    writes < max_attempts
}

/// Why a part that timed out with no writes left fails: unanswered, or — when the
/// gateway's last answer to it did not decode — unreadable.
pub fn gave_up(attempts: u32, unreadable: Option<DecodeError>) -> FailReason {
    match unreadable {
        Some(error) => FailReason::Unreadable { attempts, error },
        None => FailReason::Unanswered { attempts },
    }
}

/// Why a part handed back by closed connections, with no writes left, fails.
pub fn used_up(attempts: u32, last: Option<ConnectionLoss>) -> FailReason {
    FailReason::AttemptsUsed { attempts, last }
}

/// What the store records for a failed part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Sent and never answered: the carrier may have it. Reported, not resent.
    Unconfirmed,
    /// Failed, with the reason's words (and the carrier's code, if any).
    Failed,
}

/// The store's record of a failed part.
pub fn verdict(reason: &FailReason) -> Verdict {
    match reason {
        FailReason::Unanswered { .. } => Verdict::Unconfirmed,
        FailReason::Rejected { .. }
        | FailReason::Encode(_)
        | FailReason::Unreadable { .. }
        | FailReason::AttemptsUsed { .. } => Verdict::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_out_request_is_resent_until_its_writes_are_used() {
        assert_eq!(after_timeout(1, 3), AfterTimeout::Resend);
        assert_eq!(after_timeout(2, 3), AfterTimeout::Resend);
        assert_eq!(after_timeout(3, 3), AfterTimeout::GiveUp);
        // Written more often than allowed (max_attempts lowered between runs): no more.
        assert_eq!(after_timeout(5, 3), AfterTimeout::GiveUp);
        // max_attempts = 1: never resent.
        assert_eq!(after_timeout(1, 1), AfterTimeout::GiveUp);
    }

    #[test]
    fn a_handed_back_part_is_written_again_only_with_writes_left() {
        assert!(may_write(0, 3));
        assert!(may_write(2, 3));
        assert!(!may_write(3, 3));
        assert_eq!(
            used_up(3, Some(ConnectionLoss::Closed)),
            FailReason::AttemptsUsed {
                attempts: 3,
                last: Some(ConnectionLoss::Closed)
            }
        );
    }

    #[test]
    fn giving_up_is_unanswered_unless_the_gateway_answered_unreadably() {
        assert_eq!(gave_up(3, None), FailReason::Unanswered { attempts: 3 });
        let error = DecodeError::trailing("CMPP_SUBMIT_RESP", 2);
        assert_eq!(
            gave_up(3, Some(error.clone())),
            FailReason::Unreadable { attempts: 3, error }
        );
    }

    #[test]
    fn only_an_unanswered_part_is_unconfirmed() {
        assert_eq!(
            verdict(&FailReason::Unanswered { attempts: 3 }),
            Verdict::Unconfirmed
        );
        for failed in [
            FailReason::Rejected {
                code: 9,
                meaning: "x",
            },
            FailReason::Encode(wire::EncodeError::new("CMPP_SUBMIT", "Dest", "too long")),
            gave_up(3, Some(DecodeError::trailing("CMPP_SUBMIT_RESP", 1))),
            used_up(3, None),
        ] {
            assert_eq!(verdict(&failed), Verdict::Failed, "{failed:?}");
        }
    }
}
