//! Deadline arithmetic that cannot panic.
//!
//! `Instant + Duration` panics on overflow, and durations come from configuration. A
//! deadline too far away to represent is as good as "never" for a link, so it saturates.

use std::time::Duration;

use tokio::time::Instant;

/// About thirty years: far enough to mean "never" for any link, small enough to add to any
/// instant a running process can see.
const FAR: Duration = Duration::from_secs(60 * 60 * 24 * 365 * 30);

/// `now + d`, or a far-future instant when that is not representable.
pub(crate) fn after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(FAR))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_ordinary_durations() {
        let now = Instant::now();
        assert_eq!(
            after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
    }

    #[test]
    fn saturates_instead_of_panicking() {
        let now = Instant::now();
        let far = after(now, Duration::MAX);
        assert!(far >= now + Duration::from_secs(60 * 60 * 24 * 365));
    }
}
