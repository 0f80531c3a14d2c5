//! Sequence-id allocation for one connection.
//!
//! Every request PDU carries a 32-bit sequence id that its response echoes back (CMPP
//! `Sequence_Id`, SMGP `SequenceID`, the counter part of SGIP's `SequenceNumber`). The
//! counter increments by one and wraps; some peers treat 0 as "no id", so whether 0 may be
//! handed out is a parameter. After a wrap the counter can come round to an id whose request
//! is still waiting for its response (a months-long session at full speed wraps a `u32`), so
//! allocation asks the caller which ids are in flight and steps over them: two requests in
//! flight never share an id, and a response is never matched to the wrong request.

use thiserror::Error;

/// Whether the id 0 may be handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZeroId {
    /// 0 is an ordinary id (the SGIP counter starts at 0).
    Allowed,
    /// 0 is never handed out; the counter goes from `u32::MAX` straight to 1.
    Skipped,
}

/// Allocation found no free id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SequenceError {
    /// Every candidate probed was still in flight. A window holds a few dozen requests, so
    /// this only happens when the in-flight predicate is wrong.
    #[error("no free sequence id: all {probed} candidates probed are still in flight")]
    Exhausted {
        /// How many consecutive candidates were tried.
        probed: u32,
    },
}

/// Upper bound on candidates tried by one allocation, so a predicate that claims every id is
/// in flight yields an error instead of spinning through four billion ids.
const MAX_PROBES: u32 = 1 << 20;

/// A wrapping `u32` sequence-id counter that never hands out an id still in flight.
///
/// ```
/// use hongyan::link::{SequenceIds, ZeroId};
///
/// let mut ids = SequenceIds::starting_at(u32::MAX, ZeroId::Skipped);
/// assert_eq!(ids.next_free(|_| false), Ok(u32::MAX));
/// assert_eq!(ids.next_free(|_| false), Ok(1)); // 0 is skipped
/// assert_eq!(ids.next_free(|id| id == 2), Ok(3)); // 2 is still in flight
/// ```
#[derive(Debug, Clone)]
pub struct SequenceIds {
    next: u32,
    zero: ZeroId,
}

impl SequenceIds {
    /// A counter whose first id is the lowest one allowed: 0 if [`ZeroId::Allowed`], else 1.
    pub fn new(zero: ZeroId) -> Self {
        Self::starting_at(0, zero)
    }

    /// A counter whose first id is `first` (moved to 1 if it is 0 and 0 is skipped).
    ///
    /// Starting a new connection somewhere other than 1 keeps a late response from a
    /// previous connection from looking like an answer on this one.
    pub fn starting_at(first: u32, zero: ZeroId) -> Self {
        let next = if first == 0 && zero == ZeroId::Skipped {
            1
        } else {
            first
        };
        Self { next, zero }
    }

    /// The id the next allocation tries first.
    pub fn peek(&self) -> u32 {
        self.next
    }

    /// Hands out the next id for which `in_flight` is false, stepping over ids still in
    /// flight (and over 0 when it is skipped), and advances the counter past it.
    ///
    /// # Errors
    /// [`SequenceError::Exhausted`] when `in_flight` holds for every one of about a million
    /// consecutive candidates; the counter is left where it was.
    pub fn next_free(&mut self, in_flight: impl Fn(u32) -> bool) -> Result<u32, SequenceError> {
        let mut candidate = self.next;
        for _ in 0..MAX_PROBES {
            let after = self.successor(candidate);
            if !in_flight(candidate) {
                self.next = after;
                return Ok(candidate);
            }
            candidate = after;
        }
        Err(SequenceError::Exhausted { probed: MAX_PROBES })
    }

    fn successor(&self, id: u32) -> u32 {
        match id.wrapping_add(1) {
            0 if self.zero == ZeroId::Skipped => 1,
            next => next,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn new_starts_at_lowest_allowed_id() {
        assert_eq!(SequenceIds::new(ZeroId::Allowed).peek(), 0);
        assert_eq!(SequenceIds::new(ZeroId::Skipped).peek(), 1);
    }

    #[test]
    fn starting_at_zero_moves_to_one_when_zero_is_skipped() {
        assert_eq!(SequenceIds::starting_at(0, ZeroId::Skipped).peek(), 1);
        assert_eq!(SequenceIds::starting_at(0, ZeroId::Allowed).peek(), 0);
        assert_eq!(SequenceIds::starting_at(77, ZeroId::Skipped).peek(), 77);
    }

    #[test]
    fn increments_by_one() {
        let mut ids = SequenceIds::new(ZeroId::Skipped);
        let got: Vec<u32> = (0..5).map(|_| ids.next_free(|_| false).unwrap()).collect();
        assert_eq!(got, vec![1, 2, 3, 4, 5]);
        assert_eq!(ids.peek(), 6);
    }

    #[test]
    fn wraps_through_zero_when_allowed() {
        let mut ids = SequenceIds::starting_at(u32::MAX - 1, ZeroId::Allowed);
        let got: Vec<u32> = (0..4).map(|_| ids.next_free(|_| false).unwrap()).collect();
        assert_eq!(got, vec![u32::MAX - 1, u32::MAX, 0, 1]);
    }

    #[test]
    fn wraps_past_zero_when_skipped() {
        let mut ids = SequenceIds::starting_at(u32::MAX - 1, ZeroId::Skipped);
        let got: Vec<u32> = (0..4).map(|_| ids.next_free(|_| false).unwrap()).collect();
        assert_eq!(got, vec![u32::MAX - 1, u32::MAX, 1, 2]);
    }

    #[test]
    fn steps_over_ids_in_flight() {
        let busy: HashSet<u32> = [5, 6, 8].into_iter().collect();
        let mut ids = SequenceIds::starting_at(5, ZeroId::Skipped);
        assert_eq!(ids.next_free(|id| busy.contains(&id)), Ok(7));
        assert_eq!(ids.peek(), 8);
        assert_eq!(ids.next_free(|id| busy.contains(&id)), Ok(9));
    }

    #[test]
    fn steps_over_in_flight_ids_across_the_wrap() {
        // The window still holds ids from just before the wrap; 0 is skipped as well.
        let busy: HashSet<u32> = [u32::MAX, 1, 2].into_iter().collect();
        let mut ids = SequenceIds::starting_at(u32::MAX, ZeroId::Skipped);
        assert_eq!(ids.next_free(|id| busy.contains(&id)), Ok(3));
        let mut ids = SequenceIds::starting_at(u32::MAX, ZeroId::Allowed);
        assert_eq!(ids.next_free(|id| busy.contains(&id)), Ok(0));
    }

    #[test]
    fn never_repeats_an_id_while_it_is_in_flight() {
        // Simulate a window of 16 where responses come back out of order.
        let mut ids = SequenceIds::starting_at(u32::MAX - 40, ZeroId::Skipped);
        let mut in_flight: Vec<u32> = Vec::new();
        for round in 0..200u32 {
            while in_flight.len() < 16 {
                let id = ids.next_free(|id| in_flight.contains(&id)).unwrap();
                assert!(!in_flight.contains(&id), "id {id} handed out twice");
                assert_ne!(id, 0);
                in_flight.push(id);
            }
            // Complete every other one, leaving some old ids in flight for long.
            let keep = (round % 3) as usize;
            in_flight.remove(keep);
            in_flight.remove(in_flight.len() - 1);
        }
    }

    #[test]
    fn predicate_claiming_everything_is_an_error_not_a_hang() {
        let mut ids = SequenceIds::starting_at(10, ZeroId::Allowed);
        assert_eq!(
            ids.next_free(|_| true),
            Err(SequenceError::Exhausted { probed: MAX_PROBES })
        );
        assert_eq!(
            ids.peek(),
            10,
            "a failed allocation leaves the counter alone"
        );
    }
}
