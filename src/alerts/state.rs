//! One alert's life as a pure state machine: inactive → firing (notify once) → a repeat
//! notice at a bounded interval while it lasts → a resolved notice once it has stayed
//! clear for the hold (so a flapping condition neither resolves nor fires again on every
//! blink). No clock, no I/O: the evaluator passes the time and whether the condition
//! holds, and applies the [`Notice`] that comes back.

use std::time::Duration;

/// Unix milliseconds.
pub type Millis = i64;

const DAY_MS: Millis = 86_400_000;

/// How notices are paced (from `[alerts]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// A repeat notice while the alert lasts, at most this often.
    pub repeat_every: Duration,
    /// At most this many notices (firing and repeats) per alert in any 24 hours; the
    /// alert still changes state beyond it, only nobody is told again.
    pub max_notices_per_day: u32,
    /// The condition must be clear on this many evaluations in a row…
    pub resolve_after_evaluations: u32,
    /// …and for at least this long, before the alert resolves.
    pub resolve_after: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            repeat_every: Duration::from_secs(3600),
            max_notices_per_day: 6,
            resolve_after_evaluations: 2,
            resolve_after: Duration::from_secs(120),
        }
    }
}

fn ms(d: Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
}

/// What to tell people after one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The condition began.
    Firing,
    /// It still holds (the `n`th repeat of this episode).
    Repeat(u32),
    /// It has cleared and stayed clear for the hold.
    Resolved,
}

impl Notice {
    /// `firing`, `repeat` or `resolved`: the `state` field of logs, events and history.
    pub fn name(self) -> &'static str {
        match self {
            Self::Firing => "firing",
            Self::Repeat(_) => "repeat",
            Self::Resolved => "resolved",
        }
    }
}

/// One evaluation's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The transition, if any.
    pub notice: Notice,
    /// False when the daily bound (or, for a resolve, a firing nobody was told of)
    /// keeps it from people: it is still recorded in the history.
    pub notify: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Inactive,
    Firing {
        since: Millis,
        last_notified: Millis,
        repeats: u32,
        /// The firing notice went out (so its resolve does too).
        told: bool,
        /// When it was first seen clear in a row of clear evaluations, and how many.
        clear: Option<(Millis, u32)>,
    },
}

/// One alert (kind and subject)'s state; kept across episodes so the daily bound
/// holds for a condition that keeps coming back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertState {
    phase: Phase,
    /// Notices sent in the current 24-hour budget, and when that budget began.
    budget: (Millis, u32),
}

impl Default for AlertState {
    fn default() -> Self {
        Self::new()
    }
}

impl AlertState {
    /// Inactive, with a full daily budget.
    pub fn new() -> Self {
        Self {
            phase: Phase::Inactive,
            budget: (Millis::MIN, 0),
        }
    }

    /// Since when it fires (`None`: not firing).
    pub fn since(&self) -> Option<Millis> {
        match self.phase {
            Phase::Firing { since, .. } => Some(since),
            Phase::Inactive => None,
        }
    }

    /// When people were last told (`None`: not firing).
    pub fn last_notified(&self) -> Option<Millis> {
        match self.phase {
            Phase::Firing { last_notified, .. } => Some(last_notified),
            Phase::Inactive => None,
        }
    }

    /// True when inactive and nothing is left to remember but the budget.
    pub fn is_inactive(&self) -> bool {
        self.phase == Phase::Inactive
    }

    /// Takes one notice from the daily budget; false when it is spent.
    fn spend(&mut self, now: Millis, pacing: &Pacing) -> bool {
        let (start, used) = &mut self.budget;
        if now.saturating_sub(*start) >= DAY_MS {
            *start = now;
            *used = 0;
        }
        if *used >= pacing.max_notices_per_day {
            return false;
        }
        *used += 1;
        true
    }

    /// One evaluation at `now`: `active` says whether the condition holds.
    pub fn step(&mut self, active: bool, now: Millis, pacing: &Pacing) -> Option<Step> {
        match self.phase {
            Phase::Inactive if active => {
                let told = self.spend(now, pacing);
                self.phase = Phase::Firing {
                    since: now,
                    last_notified: now,
                    repeats: 0,
                    told,
                    clear: None,
                };
                Some(Step {
                    notice: Notice::Firing,
                    notify: told,
                })
            }
            Phase::Inactive => None,
            Phase::Firing {
                since,
                last_notified,
                repeats,
                told,
                clear,
            } => {
                if active {
                    // A re-fire within the hold is the same episode: no new "firing".
                    let due = now.saturating_sub(last_notified) >= ms(pacing.repeat_every);
                    if !due {
                        self.phase = Phase::Firing {
                            since,
                            last_notified,
                            repeats,
                            told,
                            clear: None,
                        };
                        return None;
                    }
                    let notify = self.spend(now, pacing);
                    let n = repeats + 1;
                    self.phase = Phase::Firing {
                        since,
                        last_notified: now,
                        repeats: n,
                        told: told || notify,
                        clear: None,
                    };
                    return Some(Step {
                        notice: Notice::Repeat(n),
                        notify,
                    });
                }
                let (clear_since, evaluations) = match clear {
                    Some((at, n)) => (at, n + 1),
                    None => (now, 1),
                };
                let held = evaluations >= pacing.resolve_after_evaluations
                    && now.saturating_sub(clear_since) >= ms(pacing.resolve_after);
                if held {
                    self.phase = Phase::Inactive;
                    return Some(Step {
                        notice: Notice::Resolved,
                        notify: told,
                    });
                }
                self.phase = Phase::Firing {
                    since,
                    last_notified,
                    repeats,
                    told,
                    clear: Some((clear_since, evaluations)),
                };
                None
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    const MIN: Duration = Duration::from_secs(60);

    /// Evaluations every 30 s on tokio's paused clock, as the evaluator runs them.
    struct Rig {
        clock: Clock,
        state: AlertState,
        pacing: Pacing,
    }

    impl Rig {
        fn new() -> Self {
            Self {
                clock: Clock::following_tokio(),
                state: AlertState::new(),
                pacing: Pacing::default(),
            }
        }

        async fn eval(&mut self, active: bool) -> Option<Step> {
            tokio::time::advance(Duration::from_secs(30)).await;
            self.state
                .step(active, self.clock.now_millis(), &self.pacing)
        }

        /// Every step over `d` with the condition as given.
        async fn run(&mut self, active: bool, d: Duration) -> Vec<Step> {
            let mut out = Vec::new();
            for _ in 0..d.as_secs() / 30 {
                out.extend(self.eval(active).await);
            }
            out
        }
    }

    fn told(notice: Notice) -> Option<Step> {
        Some(Step {
            notice,
            notify: true,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_happens_while_the_condition_is_clear() {
        let mut r = Rig::new();
        assert!(r.run(false, 60 * MIN).await.is_empty());
        assert!(r.state.is_inactive());
        assert_eq!(r.state.since(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_bad_evaluation_fires_once_and_not_again_before_the_repeat() {
        let mut r = Rig::new();
        assert_eq!(r.eval(true).await, told(Notice::Firing));
        let since = r.state.since().unwrap();
        assert_eq!(r.state.last_notified(), Some(since));
        assert!(r.run(true, 59 * MIN).await.is_empty());
        assert_eq!(r.state.since(), Some(since));
    }

    #[tokio::test(start_paused = true)]
    async fn a_lasting_condition_repeats_at_the_interval() {
        let mut r = Rig::new();
        r.eval(true).await;
        let steps = r.run(true, 180 * MIN).await;
        assert_eq!(
            steps,
            vec![
                told(Notice::Repeat(1)).unwrap(),
                told(Notice::Repeat(2)).unwrap(),
                told(Notice::Repeat(3)).unwrap()
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn repeats_stop_at_the_daily_bound_and_resume_the_next_day() {
        let mut r = Rig::new();
        r.pacing.max_notices_per_day = 3;
        r.eval(true).await;
        let steps = r.run(true, 24 * 60 * MIN - Duration::from_secs(30)).await;
        let notified = steps.iter().filter(|s| s.notify).count();
        assert_eq!(
            notified, 2,
            "firing + 2 repeats = the bound of 3: {steps:?}"
        );
        assert!(steps.len() > 2, "later repeats are still recorded");
        let next_day = r.run(true, 60 * MIN).await;
        assert!(next_day.iter().any(|s| s.notify), "{next_day:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn it_resolves_only_after_staying_clear_for_the_hold() {
        let mut r = Rig::new();
        r.eval(true).await;
        // 1st clear evaluation: 1 of 2 evaluations and 0 of 2 minutes.
        assert_eq!(r.eval(false).await, None);
        assert_eq!(r.eval(false).await, None, "2 evaluations but only 30 s");
        assert_eq!(r.eval(false).await, None, "60 s");
        assert_eq!(r.eval(false).await, None, "90 s");
        assert_eq!(r.eval(false).await, told(Notice::Resolved), "120 s");
        assert!(r.state.is_inactive());
    }

    #[tokio::test(start_paused = true)]
    async fn a_refire_within_the_hold_is_the_same_episode() {
        let mut r = Rig::new();
        r.eval(true).await;
        let since = r.state.since();
        for _ in 0..20 {
            assert_eq!(r.eval(false).await, None);
            assert_eq!(r.eval(true).await, None, "no new firing, no resolve");
        }
        assert_eq!(r.state.since(), since);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_flapping_condition_is_bounded_per_day() {
        let mut r = Rig::new();
        r.pacing.max_notices_per_day = 4;
        let mut firing_told = 0;
        let mut resolved_told = 0;
        // Bad for 1 minute, good for 5: resolves and fires again every 6 minutes.
        for _ in 0..40 {
            for s in r
                .run(true, MIN)
                .await
                .into_iter()
                .chain(r.run(false, 5 * MIN).await)
            {
                match (s.notice, s.notify) {
                    (Notice::Firing, true) => firing_told += 1,
                    (Notice::Resolved, true) => resolved_told += 1,
                    _ => {}
                }
            }
        }
        assert_eq!(firing_told, 4);
        assert_eq!(
            resolved_told, 4,
            "a resolve is told only for a firing that was"
        );
    }

    #[test]
    fn notice_names_are_the_documented_states() {
        assert_eq!(Notice::Firing.name(), "firing");
        assert_eq!(Notice::Repeat(3).name(), "repeat");
        assert_eq!(Notice::Resolved.name(), "resolved");
    }
}
