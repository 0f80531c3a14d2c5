//! How loudly a connection logs the frames it could not decode.
//!
//! An undecodable frame no longer ends a connection (the codec cuts it on its length and
//! the stream stays in sync), so a gateway that sends many of them would flood the log if
//! each were a warning. The rule, per connection:
//!
//! * a **response** (the answer to something we sent): its hex at warn the first time,
//!   at debug after that — one broken answer looks like every other, and its request is
//!   sent again or given up on by the window anyway;
//! * a **request** (a DELIVER we answer with an error result): each distinct one at warn
//!   with its hex — it may have carried a report or a message that is now lost — and the
//!   gateway's resends of the same bytes at debug.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use super::dedupe::RecentIds;
use super::protocol::BadFrame;

/// Distinct undecodable requests remembered per connection, to tell a resend.
const REMEMBERED: usize = 256;

/// How to log one undecodable frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loudness {
    /// At warn, with its hex.
    Warn,
    /// At debug, with its hex.
    Debug,
}

/// One connection's undecodable frames so far.
#[derive(Debug)]
pub(crate) struct BadFrames {
    responses: u64,
    requests: u64,
    seen: RecentIds<u64>,
}

impl BadFrames {
    pub(crate) fn new() -> Self {
        Self {
            responses: 0,
            requests: 0,
            seen: RecentIds::new(REMEMBERED),
        }
    }

    /// Records one undecodable frame; says how to log it.
    pub(crate) fn note(&mut self, response: bool, frame: &[u8]) -> Loudness {
        if response {
            self.responses += 1;
            return if self.responses == 1 {
                Loudness::Warn
            } else {
                Loudness::Debug
            };
        }
        self.requests += 1;
        let mut h = DefaultHasher::new();
        frame.hash(&mut h);
        if self.seen.insert(h.finish()) {
            Loudness::Warn
        } else {
            Loudness::Debug
        }
    }

    /// Records `bad` and logs it, with its hex, as loudly as [`note`](Self::note) says.
    pub(crate) fn log<P>(&mut self, link: &str, conn: &str, bad: &BadFrame<P>) {
        let error = &bad.error;
        let hex = wire::hex::encode(&bad.frame);
        let answered = bad.answer.is_some();
        match (self.note(bad.response, &bad.frame), bad.response) {
            (Loudness::Warn, true) => {
                tracing::warn!(link, conn, %error, %hex, "undecodable response from the gateway (later ones on this connection are logged at debug)");
            }
            (Loudness::Warn, false) => {
                tracing::warn!(link, conn, %error, %hex, answered, "undecodable request from the gateway; answered with an error result");
            }
            (Loudness::Debug, _) => {
                tracing::debug!(link, conn, %error, %hex, answered, response = bad.response, "undecodable frame from the gateway");
            }
        }
    }

    /// Undecodable frames on this connection: (responses, requests).
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.responses, self.requests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_warn_once_per_connection_requests_once_per_distinct_frame() {
        let mut b = BadFrames::new();
        assert_eq!(b.note(true, b"resp 1"), Loudness::Warn);
        assert_eq!(b.note(true, b"resp 2"), Loudness::Debug);
        assert_eq!(b.note(true, b"resp 1"), Loudness::Debug);
        assert_eq!(b.note(false, b"deliver a"), Loudness::Warn);
        assert_eq!(b.note(false, b"deliver a"), Loudness::Debug, "a resend");
        assert_eq!(b.note(false, b"deliver b"), Loudness::Warn);
        assert_eq!(b.counts(), (3, 3));
        // A new connection starts over.
        assert_eq!(BadFrames::new().note(true, b"resp 2"), Loudness::Warn);
    }
}
