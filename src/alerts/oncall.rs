//! The on-call SMS, as pure decisions: which link may carry it (a healthy one, another
//! carrier's first, never the failing link), whether the hourly budget allows it, and
//! its words.

use std::collections::VecDeque;

use super::rules::Condition;
use super::state::{Millis, Notice};
use crate::route::Carrier;

/// A link the SMS could go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its name.
    pub name: String,
    /// Its carrier: the SMS is queued for that carrier's links.
    pub carrier: Carrier,
    /// Logged in now.
    pub healthy: bool,
    /// Takes its carrier's queue even with no connection up (SGIP connects on demand):
    /// such a failing link would take an SMS queued for its carrier.
    pub claims_while_down: bool,
}

/// Where the SMS goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Queued for `carrier`'s links, through which `link` is healthy.
    Via {
        /// The healthy link chosen.
        link: String,
        /// Its carrier.
        carrier: Carrier,
    },
    /// No healthy link that the failing one could not take it from: not sent.
    NoHealthyLink,
}

/// Chooses the link for an alert about `failing` (a link name and carrier, when the
/// alert is about one): a healthy link of another carrier first, else a healthy link of
/// the same carrier that is not the failing one (and only when the failing one cannot
/// take it from their shared queue), else none.
pub fn choose(candidates: &[Candidate], failing: Option<(&str, Carrier)>) -> Route {
    let via = |c: &Candidate| Route::Via {
        link: c.name.clone(),
        carrier: c.carrier,
    };
    let healthy = || candidates.iter().filter(|c| c.healthy);
    let Some((name, carrier)) = failing else {
        return healthy().next().map_or(Route::NoHealthyLink, via);
    };
    if let Some(c) = healthy().find(|c| c.carrier != carrier) {
        return via(c);
    }
    let failing_takes_queue = candidates
        .iter()
        .any(|c| c.name == name && c.claims_while_down);
    if failing_takes_queue {
        return Route::NoHealthyLink;
    }
    healthy()
        .find(|c| c.name != name)
        .map_or(Route::NoHealthyLink, via)
}

/// At most `max` on-call SMS in any hour, all alerts together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsBudget {
    max: usize,
    sent: VecDeque<Millis>,
}

const HOUR_MS: Millis = 3_600_000;

impl SmsBudget {
    /// A budget of `max_per_hour`.
    pub fn new(max_per_hour: u32) -> Self {
        Self {
            max: usize::try_from(max_per_hour).unwrap_or(usize::MAX),
            sent: VecDeque::new(),
        }
    }

    /// A new bound of `max_per_hour` (a reloaded config); what was sent in the last hour
    /// still counts.
    pub fn set_max(&mut self, max_per_hour: u32) {
        self.max = usize::try_from(max_per_hour).unwrap_or(usize::MAX);
    }

    /// Takes `n` messages at `now` if the last hour leaves room for all of them.
    pub fn take(&mut self, n: usize, now: Millis) -> bool {
        while self
            .sent
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= HOUR_MS)
        {
            self.sent.pop_front();
        }
        if self.sent.len().saturating_add(n) > self.max {
            return false;
        }
        self.sent.extend(std::iter::repeat_n(now, n));
        true
    }
}

/// The SMS text (without the signature, which the job carries): the notice in front,
/// then the condition's words.
pub fn text(notice: Notice, condition_text: &str) -> String {
    let head = match notice {
        Notice::Firing => "告警",
        Notice::Repeat(_) => "告警仍在",
        Notice::Resolved => "已恢复",
    };
    format!("{head}：{condition_text}")
}

/// The text of a resolved notice, when only the condition's key is left.
pub fn resolved_text(c: &Condition) -> String {
    text(Notice::Resolved, &c.text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn cand(name: &str, carrier: Carrier, healthy: bool) -> Candidate {
        Candidate {
            name: name.into(),
            carrier,
            healthy,
            claims_while_down: false,
        }
    }

    #[test]
    fn another_carrier_is_preferred_over_a_sibling_link() {
        let links = [
            cand("cmcc-1", Carrier::Mobile, false),
            cand("cmcc-2", Carrier::Mobile, true),
            cand("ctcc", Carrier::Telecom, true),
        ];
        assert_eq!(
            choose(&links, Some(("cmcc-1", Carrier::Mobile))),
            Route::Via {
                link: "ctcc".into(),
                carrier: Carrier::Telecom
            }
        );
    }

    #[test]
    fn a_sibling_of_the_same_carrier_serves_when_it_is_the_only_healthy_one() {
        let links = [
            cand("cmcc-1", Carrier::Mobile, false),
            cand("cmcc-2", Carrier::Mobile, true),
            cand("ctcc", Carrier::Telecom, false),
        ];
        assert_eq!(
            choose(&links, Some(("cmcc-1", Carrier::Mobile))),
            Route::Via {
                link: "cmcc-2".into(),
                carrier: Carrier::Mobile
            }
        );
    }

    #[test]
    fn never_the_failing_link_nor_a_queue_it_would_take() {
        let mut links = vec![cand("cmcc-1", Carrier::Mobile, true)];
        assert_eq!(
            choose(&links, Some(("cmcc-1", Carrier::Mobile))),
            Route::NoHealthyLink,
            "healthy by its connections, but the alert is about it"
        );
        links.push(cand("cmcc-2", Carrier::Mobile, true));
        links[0].claims_while_down = true;
        assert_eq!(
            choose(&links, Some(("cmcc-1", Carrier::Mobile))),
            Route::NoHealthyLink,
            "an on-demand failing link would claim from the shared queue"
        );
    }

    #[test]
    fn no_healthy_link_means_no_route() {
        let links = [
            cand("a", Carrier::Mobile, false),
            cand("b", Carrier::Unicom, false),
        ];
        assert_eq!(choose(&links, None), Route::NoHealthyLink);
        assert_eq!(choose(&[], None), Route::NoHealthyLink);
    }

    #[test]
    fn an_alert_about_no_link_takes_any_healthy_one() {
        let links = [
            cand("a", Carrier::Mobile, false),
            cand("b", Carrier::Unicom, true),
        ];
        assert_eq!(
            choose(&links, None),
            Route::Via {
                link: "b".into(),
                carrier: Carrier::Unicom
            }
        );
    }

    #[test]
    fn the_budget_counts_every_message_over_a_sliding_hour() {
        let mut b = SmsBudget::new(10);
        assert!(b.take(4, 0));
        assert!(b.take(6, 1_000));
        assert!(!b.take(1, 2_000), "10 in the hour already");
        assert!(!b.take(1, HOUR_MS - 1));
        assert!(b.take(3, HOUR_MS), "the first 4 have left the hour");
        assert!(!b.take(2, HOUR_MS), "only 1 left");
    }

    #[test]
    fn a_new_bound_counts_what_the_hour_already_sent() {
        let mut b = SmsBudget::new(10);
        assert!(b.take(4, 0));
        b.set_max(5);
        assert!(b.take(1, 1_000));
        assert!(!b.take(1, 2_000), "4 + 1 sent: the new bound of 5 is spent");
        b.set_max(20);
        assert!(b.take(10, 3_000));
    }

    #[test]
    fn the_text_fits_one_segment_with_the_default_signature() {
        let t = text(
            Notice::Firing,
            "链路cmcc-1登录被拒：3 认证错，请核对账号配置",
        );
        assert!(t.starts_with("告警："));
        // 70 UCS-2 characters per single SMS, less 【鸿雁告警】.
        assert!(
            t.chars().count() + "【鸿雁告警】".chars().count() <= 70,
            "{t}"
        );
        assert!(text(Notice::Resolved, "x").starts_with("已恢复"));
    }
}
