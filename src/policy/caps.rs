//! Frequency caps per number per China calendar day (see [`super::day`]): at most
//! `marketing_per_day` marketing messages, and at most `identical_per_day` messages with
//! the same text. Carriers count complaints per number, and a customer who got the same
//! offer twice in a day complains. Notices are never capped: a payment reminder or an
//! approval ask must arrive however many came before. A limit of 0 turns that cap off.

use super::{Category, SkipReason};

/// The configured daily limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Marketing messages per number per day (0: no limit).
    pub marketing_per_day: u32,
    /// Messages with the same text per number per day (0: no limit).
    pub identical_per_day: u32,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            marketing_per_day: 3,
            identical_per_day: 1,
        }
    }
}

/// What the caps say about one more message to one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapVerdict {
    /// It may go.
    Allow,
    /// It must not; the recipient is skipped with this reason.
    Skip(SkipReason),
}

/// What has already gone to one number today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SentToday {
    /// Marketing messages accepted for it today (not counting the one being decided).
    pub marketing: u32,
    /// Messages with the same text accepted for it today (same; any category).
    pub identical: u32,
}

impl Caps {
    /// May one more message of `category` go to a number that already had `today`?
    /// The frequency cap is checked first: it is the one a person can read off the
    /// count of messages.
    pub fn decide(&self, category: Category, today: SentToday) -> CapVerdict {
        if category != Category::Marketing {
            return CapVerdict::Allow;
        }
        if self.marketing_per_day > 0 && today.marketing >= self.marketing_per_day {
            return CapVerdict::Skip(SkipReason::FrequencyCap);
        }
        if self.identical_per_day > 0 && today.identical >= self.identical_per_day {
            return CapVerdict::Skip(SkipReason::IdenticalCap);
        }
        CapVerdict::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today(marketing: u32, identical: u32) -> SentToday {
        SentToday {
            marketing,
            identical,
        }
    }

    #[test]
    fn caps_table() {
        let c = Caps::default();
        let m = Category::Marketing;
        for (sent, want) in [
            (today(0, 0), CapVerdict::Allow),
            (today(2, 0), CapVerdict::Allow),
            (today(3, 0), CapVerdict::Skip(SkipReason::FrequencyCap)),
            (today(9, 9), CapVerdict::Skip(SkipReason::FrequencyCap)),
            (today(1, 1), CapVerdict::Skip(SkipReason::IdenticalCap)),
            (today(2, 1), CapVerdict::Skip(SkipReason::IdenticalCap)),
        ] {
            assert_eq!(c.decide(m, sent), want, "{sent:?}");
        }
    }

    #[test]
    fn zero_turns_a_cap_off() {
        let c = Caps {
            marketing_per_day: 0,
            identical_per_day: 2,
        };
        assert_eq!(
            c.decide(Category::Marketing, today(100, 1)),
            CapVerdict::Allow
        );
        assert_eq!(
            c.decide(Category::Marketing, today(100, 2)),
            CapVerdict::Skip(SkipReason::IdenticalCap)
        );
        let off = Caps {
            marketing_per_day: 0,
            identical_per_day: 0,
        };
        assert_eq!(
            off.decide(Category::Marketing, today(u32::MAX, u32::MAX)),
            CapVerdict::Allow
        );
    }

    proptest! {
        #[test]
        fn notices_are_never_capped(m in 0u32..1000, i in 0u32..1000, lm in 0u32..10, li in 0u32..10) {
            let c = Caps { marketing_per_day: lm, identical_per_day: li };
            prop_assert_eq!(c.decide(Category::Notice, today(m, i)), CapVerdict::Allow);
        }

        #[test]
        fn marketing_goes_exactly_while_under_both_limits(m in 0u32..10, i in 0u32..10, lm in 1u32..6, li in 1u32..6) {
            let c = Caps { marketing_per_day: lm, identical_per_day: li };
            let allowed = c.decide(Category::Marketing, today(m, i)) == CapVerdict::Allow;
            prop_assert_eq!(allowed, m < lm && i < li);
        }
    }
}
