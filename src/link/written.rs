//! Which parts the owner's [`WriteHook`](super::WriteHook) holds as written around one
//! write to the socket: the rule behind the session's flush, with no socket in it.
//!
//! Before the bytes go, every part in them is recorded ([`to_record`]): a crash after
//! the write must find each part that may have left. After the write ([`after_write`]),
//! a part counts as written only once its **last** byte is in the kernel's hands. A part
//! cut by a full socket buffer — some bytes handed over, the rest waiting in the process
//! — cannot reach the carrier if the process dies now: the gateway gets a truncated
//! frame and then the end of the connection, and drops it. So, like a part none of whose
//! bytes went, it takes its record back when it was never written before, and is recorded
//! again before the rest of its bytes go. (Counting it written from its first byte left
//! such a part `unconfirmed` after a kill — stranded — though the carrier never had it.)
//! A part written whole before (an earlier connection, a resend) keeps its record: that
//! earlier copy may have reached the carrier.

use std::collections::VecDeque;

/// A part whose SUBMIT bytes are in the session's outgoing buffer, not all handed to the
/// socket yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    /// The owner's tag for it.
    pub tag: u64,
    /// Where its bytes end in the connection's byte stream (one past its last byte).
    pub end: u64,
    /// Never written before (by this or an earlier connection or run).
    pub first: bool,
    /// The hook was told it is being written.
    pub recorded: bool,
}

/// Marks every part the hook has not been told of as told, and puts their tags in
/// `tags` (cleared first): the hook's `writing`, before the bytes go.
pub(crate) fn to_record(pending: &mut VecDeque<Pending>, tags: &mut Vec<u64>) {
    tags.clear();
    for p in pending.iter_mut().filter(|p| !p.recorded) {
        p.recorded = true;
        tags.push(p.tag);
    }
}

/// After the socket took the connection's bytes up to `written`: forgets the parts
/// handed over whole (written; their record stays), and puts in `tags` (cleared first)
/// those recorded, never written before, and not whole in the kernel — the hook's
/// `unwritten`: a crash now cannot have sent them.
pub(crate) fn after_write(pending: &mut VecDeque<Pending>, written: u64, tags: &mut Vec<u64>) {
    while pending.front().is_some_and(|p| p.end <= written) {
        pending.pop_front();
    }
    tags.clear();
    for p in pending.iter_mut().filter(|p| p.first && p.recorded) {
        p.recorded = false;
        tags.push(p.tag);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Parts of 100 bytes each from offset 0, tagged 1, 2, 3…; `first` says which were
    /// never written before.
    fn parts(first: &[bool]) -> VecDeque<Pending> {
        first
            .iter()
            .enumerate()
            .map(|(i, &first)| Pending {
                tag: i as u64 + 1,
                end: (i as u64 + 1) * 100,
                first,
                recorded: false,
            })
            .collect()
    }

    #[test]
    fn every_part_is_recorded_once_before_its_bytes_go() {
        let mut p = parts(&[true, true]);
        let mut tags = Vec::new();
        to_record(&mut p, &mut tags);
        assert_eq!(tags, [1, 2]);
        to_record(&mut p, &mut tags);
        assert!(tags.is_empty(), "told already");
    }

    #[test]
    fn whole_parts_stay_recorded_and_the_rest_take_their_record_back() {
        let mut p = parts(&[true, true, true]);
        let mut tags = Vec::new();
        to_record(&mut p, &mut tags);
        // The kernel took the first part whole, nothing of the others.
        after_write(&mut p, 100, &mut tags);
        assert_eq!(tags, [2, 3]);
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|x| !x.recorded));
    }

    /// The defect this module fixes: a part whose first bytes went but not its last
    /// stayed recorded, and a kill left it `unconfirmed` though the gateway only ever had
    /// a truncated frame.
    #[test]
    fn a_part_cut_mid_write_is_not_held_as_written() {
        let mut p = parts(&[true, true]);
        let mut tags = Vec::new();
        to_record(&mut p, &mut tags);
        after_write(&mut p, 50, &mut tags);
        assert_eq!(
            tags,
            [1, 2],
            "part 1 is cut: half of its bytes wait in the process"
        );
        assert_eq!(p.front().map(|x| x.tag), Some(1));
        // Recorded again before the rest of it goes, then written whole.
        to_record(&mut p, &mut tags);
        assert_eq!(tags, [1, 2]);
        after_write(&mut p, 200, &mut tags);
        assert!(tags.is_empty());
        assert!(p.is_empty());
    }

    #[test]
    fn a_part_written_before_keeps_its_record_while_it_waits() {
        // Part 2 was written whole on an earlier connection: that copy may have reached
        // the carrier, whatever happens to this one.
        let mut p = parts(&[true, false, true]);
        let mut tags = Vec::new();
        to_record(&mut p, &mut tags);
        after_write(&mut p, 50, &mut tags);
        assert_eq!(tags, [1, 3]);
        assert!(p[1].recorded);
        to_record(&mut p, &mut tags);
        assert_eq!(tags, [1, 3], "only those that took their record back");
    }
}
