//! Concatenation reference numbers, unique per recipient over a rolling window.
//!
//! A handset joins segments by (sender, reference, total); two long messages to the
//! same handset with the same reference inside its reassembly timeout get mixed up.
//! Each recipient therefore has its own counter: references are handed out in
//! sequence (mod 256 for the 8-bit UDH, mod 65 536 for the 16-bit one), and the
//! allocator remembers when each was handed out. Because they come in sequence, the
//! ones still inside the window are exactly the last *k* handed out, so the next one
//! is unique as long as fewer than 256 (65 536) were handed out within the window.
//!
//! Sans-IO: the caller passes `now`; nothing here reads a clock, so it runs the same
//! under tokio's paused time. Memory is bounded by `max_recipients` (each recipient
//! holds at most one timestamp per reference handed out within the window).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Allocator settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceConfig {
    /// How long a reference stays reserved for a recipient. Default one hour, well
    /// beyond the time handsets keep an incomplete long message.
    pub window: Duration,
    /// 16-bit references (UDH IEI 0x08) instead of 8-bit ones (IEI 0x00).
    pub wide: bool,
    /// Most recipients remembered at once. Default 100 000. When full, recipients
    /// whose window has passed are dropped first, then the one served longest ago.
    pub max_recipients: usize,
}

impl Default for ReferenceConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(3600),
            wide: false,
            max_recipients: 100_000,
        }
    }
}

/// Why no reference could be handed out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// Every reference is in use for this recipient within the window.
    #[error(
        "all {space} references for {recipient} are in use; the next one frees up in {retry_after:?}"
    )]
    Exhausted {
        /// The recipient.
        recipient: String,
        /// Size of the reference space (256 or 65 536).
        space: usize,
        /// When the oldest reference leaves the window.
        retry_after: Duration,
    },
}

/// Hands out concatenation references per recipient.
#[derive(Debug)]
pub struct ReferenceAllocator {
    config: ReferenceConfig,
    recipients: HashMap<String, Recipient>,
    /// Start value for a recipient seen for the first time; moves on each time so a
    /// recipient forgotten and seen again does not restart where it was.
    seed: u16,
    evicted_in_window: u64,
}

#[derive(Debug)]
struct Recipient {
    next: u16,
    /// When each reference still in the window was handed out, oldest first.
    issued: VecDeque<Instant>,
    last: Instant,
}

impl ReferenceAllocator {
    /// An empty allocator.
    pub fn new(config: ReferenceConfig) -> Self {
        Self {
            config,
            recipients: HashMap::new(),
            seed: 0,
            evicted_in_window: 0,
        }
    }

    /// Number of distinct references: 256 or 65 536.
    pub fn space(&self) -> usize {
        if self.config.wide { 1 << 16 } else { 1 << 8 }
    }

    /// The next reference for `recipient`, unique among those handed out to it
    /// within the window before `now`.
    pub fn allocate(&mut self, recipient: &str, now: Instant) -> Result<u16, ReferenceError> {
        let (space, window, wide) = (self.space(), self.config.window, self.config.wide);
        if let Some(r) = self.recipients.get_mut(recipient) {
            return r.take(recipient, now, space, window, wide);
        }
        self.make_room(now);
        let mut r = Recipient {
            next: self.mask(self.seed),
            issued: VecDeque::new(),
            last: now,
        };
        // A step coprime with both spaces spreads first references apart.
        self.seed = self.seed.wrapping_add(97);
        let result = r.take(recipient, now, space, window, wide);
        self.recipients.insert(recipient.to_owned(), r);
        result
    }

    /// Forget recipients whose window has passed.
    pub fn sweep(&mut self, now: Instant) {
        let window = self.config.window;
        self.recipients
            .retain(|_, r| now.saturating_duration_since(r.last) < window);
    }

    /// Recipients currently remembered.
    pub fn len(&self) -> usize {
        self.recipients.len()
    }

    /// True when no recipient is remembered.
    pub fn is_empty(&self) -> bool {
        self.recipients.is_empty()
    }

    /// Recipients dropped while still inside their window because `max_recipients`
    /// was reached (their next reference is no longer guaranteed unique). Worth a
    /// metric: a non-zero value means the cap is too small for the traffic.
    pub fn evicted_in_window(&self) -> u64 {
        self.evicted_in_window
    }

    fn mask(&self, v: u16) -> u16 {
        if self.config.wide { v } else { v & 0xff }
    }

    /// Make room for one more recipient.
    fn make_room(&mut self, now: Instant) {
        if self.recipients.len() < self.config.max_recipients.max(1) {
            return;
        }
        self.sweep(now);
        if self.recipients.len() < self.config.max_recipients.max(1) {
            return;
        }
        let oldest = self
            .recipients
            .iter()
            .min_by_key(|(_, r)| r.last)
            .map(|(k, _)| k.clone());
        if let Some(key) = oldest {
            self.recipients.remove(&key);
            self.evicted_in_window += 1;
        }
    }
}

impl Recipient {
    fn take(
        &mut self,
        recipient: &str,
        now: Instant,
        space: usize,
        window: Duration,
        wide: bool,
    ) -> Result<u16, ReferenceError> {
        while self
            .issued
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= window)
        {
            self.issued.pop_front();
        }
        if self.issued.len() >= space {
            let oldest = self.issued.front().copied().unwrap_or(now);
            let retry_after = window.saturating_sub(now.saturating_duration_since(oldest));
            return Err(ReferenceError::Exhausted {
                recipient: recipient.to_owned(),
                space,
                retry_after,
            });
        }
        let reference = self.next;
        self.next = reference.wrapping_add(1) & if wide { 0xffff } else { 0xff };
        self.issued.push_back(now);
        self.last = now;
        Ok(reference)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn alloc(wide: bool, max_recipients: usize) -> ReferenceAllocator {
        ReferenceAllocator::new(ReferenceConfig {
            window: Duration::from_secs(60),
            wide,
            max_recipients,
        })
    }

    #[test]
    fn unique_per_recipient_until_exhausted_then_frees_after_the_window() {
        let t0 = Instant::now();
        let mut a = alloc(false, 10);
        let mut seen = std::collections::HashSet::new();
        for i in 0..256u64 {
            let r = a
                .allocate("13800138000", t0 + Duration::from_millis(i))
                .unwrap();
            assert!(r <= 0xff);
            assert!(seen.insert(r), "reference {r} handed out twice");
        }
        let err = a
            .allocate("13800138000", t0 + Duration::from_secs(1))
            .unwrap_err();
        assert!(
            matches!(err, ReferenceError::Exhausted { space: 256, retry_after, .. } if retry_after == Duration::from_secs(59))
        );
        // Another recipient is unaffected.
        assert!(a.allocate("13900139000", t0).is_ok());
        // Once the first one leaves the window, exactly one frees up.
        let later = t0 + Duration::from_secs(60);
        assert!(a.allocate("13800138000", later).is_ok());
        assert!(a.allocate("13800138000", later).is_err());
    }

    #[test]
    fn references_advance_and_wrap() {
        let t0 = Instant::now();
        let mut a = alloc(false, 10);
        let first = a.allocate("a", t0).unwrap();
        assert_eq!(a.allocate("a", t0).unwrap(), (first + 1) & 0xff);
        // A different recipient starts elsewhere.
        assert_ne!(a.allocate("b", t0).unwrap(), first);
    }

    #[test]
    fn wide_space_is_16_bit() {
        let mut a = alloc(true, 10);
        assert_eq!(a.space(), 65_536);
        let t0 = Instant::now();
        let refs: Vec<u16> = (0..300).map(|_| a.allocate("x", t0).unwrap()).collect();
        let distinct: std::collections::HashSet<_> = refs.iter().collect();
        assert_eq!(distinct.len(), 300);
    }

    #[test]
    fn recipient_cap_bounds_memory() {
        let t0 = Instant::now();
        let mut a = alloc(false, 3);
        for (i, r) in ["a", "b", "c"].iter().enumerate() {
            a.allocate(r, t0 + Duration::from_secs(i as u64)).unwrap();
        }
        // Full, nobody's window has passed: the least recently served ("a") goes.
        a.allocate("d", t0 + Duration::from_secs(10)).unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a.evicted_in_window(), 1);
        // After the window everything can be swept without counting as an eviction.
        a.allocate("e", t0 + Duration::from_secs(200)).unwrap();
        assert_eq!(a.evicted_in_window(), 1);
        assert_eq!(a.len(), 1);
        a.sweep(t0 + Duration::from_secs(400));
        assert!(a.is_empty());
    }

    #[test]
    fn time_going_backwards_does_not_panic_or_free_references() {
        let t0 = Instant::now() + Duration::from_secs(100);
        let mut a = alloc(false, 3);
        let r1 = a.allocate("a", t0).unwrap();
        let r2 = a.allocate("a", t0 - Duration::from_secs(50)).unwrap();
        assert_ne!(r1, r2);
    }
}
