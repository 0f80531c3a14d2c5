//! A bounded set of recent ids: the ack book (`ack.rs`) remembers which reports and MO
//! DELIVER ids are durable, so a DELIVER the gateway sends again (because our answer was
//! lost or late) is answered again but handed on only once.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;

/// A bounded set of the most recent ids: the oldest is forgotten first.
#[derive(Debug)]
pub(crate) struct RecentIds<T> {
    /// foldhash, randomly seeded: ids come from the peer, but the set is bounded by count.
    set: HashSet<T, foldhash::fast::RandomState>,
    order: VecDeque<T>,
    capacity: usize,
}

impl<T: Eq + Hash + Clone> RecentIds<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            set: HashSet::with_capacity_and_hasher(capacity.min(1 << 16), Default::default()),
            order: VecDeque::with_capacity(capacity.min(1 << 16)),
            capacity: capacity.max(1),
        }
    }

    /// Whether `id` is among the recent ones.
    pub(crate) fn contains(&self, id: &T) -> bool {
        self.set.contains(id)
    }

    /// Records `id`; false when it was already among the recent ones.
    pub(crate) fn insert(&mut self, id: T) -> bool {
        if self.set.contains(&id) {
            return false;
        }
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.set.insert(id.clone());
        self.order.push_back(id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_reported_and_old_ids_forgotten() {
        let mut r = RecentIds::new(2);
        assert!(r.insert(1));
        assert!(!r.insert(1));
        assert!(r.insert(2));
        assert!(r.insert(3)); // forgets 1
        assert!(r.insert(1));
        assert!(!r.insert(3));
        assert!(r.contains(&3) && !r.contains(&2));
    }
}
