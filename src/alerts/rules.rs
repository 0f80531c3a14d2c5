//! The conditions, as pure decisions: what the evaluator observed → which alerts hold
//! now, each with its subject and the words a person reads. No I/O; the thresholds come
//! from `[alerts]`.

use std::time::Duration;

use serde::Serialize;

use crate::route::Carrier;

/// Every alert hongyan knows, in the order `/metrics` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A link not logged in for `alerts.link_down_after`.
    LinkDown,
    /// The carrier refused a link's login: a configuration problem, fired at once.
    LoginRefused,
    /// The oldest queued message has waited longer than `alerts.queue_age`.
    QueueStuck,
    /// Too many segments submitted long ago still have no report.
    ReportsMissing,
    /// The webhook outbox keeps growing.
    WebhookBacklog,
    /// The data directory's filesystem is nearly full.
    DiskLow,
    /// The store's writer has not finished a command for a while with commands waiting.
    StoreStalled,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: [Self; 7] = [
        Self::LinkDown,
        Self::LoginRefused,
        Self::QueueStuck,
        Self::ReportsMissing,
        Self::WebhookBacklog,
        Self::DiskLow,
        Self::StoreStalled,
    ];

    /// The name in logs, events, `/metrics` and the API.
    pub const fn name(self) -> &'static str {
        match self {
            Self::LinkDown => "link_down",
            Self::LoginRefused => "login_refused",
            Self::QueueStuck => "queue_stuck",
            Self::ReportsMissing => "reports_missing",
            Self::WebhookBacklog => "webhook_backlog",
            Self::DiskLow => "disk_low",
            Self::StoreStalled => "store_stalled",
        }
    }
}

/// The thresholds (from `[alerts]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// `link_down_after`.
    pub link_down_after: Duration,
    /// `queue_age`.
    pub queue_age: Duration,
    /// `reports_after`: a segment submitted this long ago should have its report.
    pub reports_after: Duration,
    /// `reports_window`: the submits looked at are those of this window before it.
    pub reports_window: Duration,
    /// `reports_missing_share`, 0–1.
    pub reports_missing_share: f64,
    /// `reports_min_segments`: fewer submits in the window decide nothing.
    pub reports_min_segments: u64,
    /// `webhook_growing_for`.
    pub webhook_growing_for: Duration,
    /// `disk_free_share`, 0–1.
    pub disk_free_share: f64,
    /// `disk_free_bytes`.
    pub disk_free_bytes: u64,
    /// `store_stalled_after`.
    pub store_stalled_after: Duration,
}

/// A link as the evaluator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSeen {
    /// Its name.
    pub name: String,
    /// Its carrier.
    pub carrier: Carrier,
    /// How long it has been without a logged-in connection after a failure or since
    /// start (`None`: up, or idle by design like SGIP with no work).
    pub down_for: Option<Duration>,
    /// The last login refusal since it was last up: the carrier's code and its meaning.
    pub refused: Option<(u32, &'static str)>,
}

/// What the evaluator observed at one evaluation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observations {
    /// Every link.
    pub links: Vec<LinkSeen>,
    /// How long the oldest queued (due, unclaimed) message has waited.
    pub oldest_queued: Option<Duration>,
    /// Segments submitted in the reports window, and how many of them have no report.
    pub reports: Option<(u64, u64)>,
    /// How long the webhook outbox has kept growing (see [`BacklogTrend`]).
    pub webhook_growing: Option<(Duration, u64)>,
    /// The data directory's filesystem: free and total bytes.
    pub disk: Option<(u64, u64)>,
    /// How long a command has waited for the store's writer without it finishing one.
    pub store_waiting: Option<Duration>,
}

/// A condition that holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Which alert.
    pub kind: AlertKind,
    /// What it is about: a link's name, or the kind's name for daemon-wide ones.
    pub subject: String,
    /// The carrier of the failing link, so the on-call SMS avoids it.
    pub carrier: Option<Carrier>,
    /// For people: Chinese first, short enough for one SMS segment with the signature.
    pub text: String,
}

fn minutes(d: Duration) -> u64 {
    d.as_secs().div_ceil(60)
}

fn whole(kind: AlertKind, text: String) -> Condition {
    Condition {
        kind,
        subject: kind.name().to_owned(),
        carrier: None,
        text,
    }
}

/// Which conditions hold, given what was observed.
pub fn evaluate(seen: &Observations, t: &Thresholds) -> Vec<Condition> {
    let mut out = Vec::new();
    for l in &seen.links {
        if let Some((code, meaning)) = l.refused {
            // A refusal does not cure itself: it is a configuration problem, said at once.
            out.push(Condition {
                kind: AlertKind::LoginRefused,
                subject: l.name.clone(),
                carrier: Some(l.carrier),
                text: format!("链路{}登录被拒：{code} {meaning}，请核对账号配置", l.name),
            });
        }
        if let Some(d) = l.down_for.filter(|d| *d >= t.link_down_after) {
            out.push(Condition {
                kind: AlertKind::LinkDown,
                subject: l.name.clone(),
                carrier: Some(l.carrier),
                text: format!("链路{}已断开{}分钟", l.name, minutes(d)),
            });
        }
    }
    if let Some(age) = seen.oldest_queued.filter(|a| *a >= t.queue_age) {
        out.push(whole(
            AlertKind::QueueStuck,
            format!("队列积压：最早的短信已等待{}分钟", minutes(age)),
        ));
    }
    if let Some((submitted, missing)) = seen.reports {
        #[allow(clippy::cast_precision_loss)]
        let share = missing as f64 / submitted.max(1) as f64;
        if submitted >= t.reports_min_segments && submitted > 0 && share > t.reports_missing_share {
            out.push(whole(
                AlertKind::ReportsMissing,
                format!(
                    "状态报告缺失：{missing}/{submitted}条超过{}分钟无报告",
                    minutes(t.reports_after)
                ),
            ));
        }
    }
    if let Some((d, n)) = seen
        .webhook_growing
        .filter(|(d, _)| *d >= t.webhook_growing_for)
    {
        out.push(whole(
            AlertKind::WebhookBacklog,
            format!("Webhook积压{n}条，已持续增长{}分钟", minutes(d)),
        ));
    }
    if let Some((free, total)) = seen.disk {
        #[allow(clippy::cast_precision_loss)]
        let share = free as f64 / total.max(1) as f64;
        if share < t.disk_free_share || free < t.disk_free_bytes {
            out.push(whole(
                AlertKind::DiskLow,
                format!(
                    "数据盘空间不足：剩余{} MiB（{:.1}%）",
                    free / (1 << 20),
                    share * 100.0
                ),
            ));
        }
    }
    if let Some(d) = seen.store_waiting.filter(|d| *d >= t.store_stalled_after) {
        out.push(whole(
            AlertKind::StoreStalled,
            format!("数据库写入停滞{}秒", d.as_secs()),
        ));
    }
    out
}

/// Whether the webhook outbox keeps growing: since when it has risen without falling
/// back. One per daemon, fed the backlog at each evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BacklogTrend {
    /// The backlog last seen, and since when (tokio time as elapsed ms) it has not
    /// fallen, with the backlog then.
    last: u64,
    since: Option<(u64, u64)>,
}

impl BacklogTrend {
    /// Feeds the backlog seen at `now_ms` (any monotonic milliseconds); how long it has
    /// grown, and to what, when it is above where the growth began.
    pub fn observe(&mut self, backlog: u64, now_ms: u64) -> Option<(Duration, u64)> {
        if backlog == 0 || backlog < self.last {
            self.since = None;
        } else if self.since.is_none() && backlog > self.last {
            self.since = Some((now_ms, self.last));
        }
        self.last = backlog;
        let (at, start) = self.since?;
        (backlog > start).then(|| (Duration::from_millis(now_ms.saturating_sub(at)), backlog))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn t() -> Thresholds {
        crate::alerts::task::thresholds(&crate::config::Alerts::default())
    }

    fn link(name: &str, down: Option<u32>, refused: Option<(u32, &'static str)>) -> LinkSeen {
        LinkSeen {
            name: name.into(),
            carrier: Carrier::Mobile,
            down_for: down.map(|m: u32| m * MIN),
            refused,
        }
    }

    fn kinds(c: &[Condition]) -> Vec<AlertKind> {
        c.iter().map(|c| c.kind).collect()
    }

    #[test]
    fn a_link_down_fires_after_the_threshold_and_names_the_link() {
        let mut seen = Observations {
            links: vec![link("cmcc-1", Some(4), None)],
            ..Observations::default()
        };
        assert!(evaluate(&seen, &t()).is_empty());
        seen.links[0].down_for = Some(5 * MIN);
        let c = evaluate(&seen, &t());
        assert_eq!(kinds(&c), [AlertKind::LinkDown]);
        assert_eq!(c[0].subject, "cmcc-1");
        assert_eq!(c[0].carrier, Some(Carrier::Mobile));
        assert!(
            c[0].text.contains("cmcc-1") && c[0].text.contains("5分钟"),
            "{}",
            c[0].text
        );
    }

    #[test]
    fn a_login_refusal_fires_at_once_with_its_code_and_meaning() {
        let seen = Observations {
            links: vec![link("cmcc-1", Some(0), Some((3, "authentication failed")))],
            ..Observations::default()
        };
        let c = evaluate(&seen, &t());
        assert_eq!(kinds(&c), [AlertKind::LoginRefused]);
        assert!(
            c[0].text.contains("3 authentication failed"),
            "{}",
            c[0].text
        );
    }

    #[test]
    fn queue_age_fires_at_the_threshold() {
        let mut seen = Observations {
            oldest_queued: Some(9 * MIN),
            ..Observations::default()
        };
        assert!(evaluate(&seen, &t()).is_empty());
        seen.oldest_queued = Some(10 * MIN);
        assert_eq!(kinds(&evaluate(&seen, &t())), [AlertKind::QueueStuck]);
    }

    #[test]
    fn missing_reports_need_the_share_and_the_minimum_count() {
        let at = |submitted, missing| Observations {
            reports: Some((submitted, missing)),
            ..Observations::default()
        };
        assert!(
            evaluate(&at(2, 1), &t()).is_empty(),
            "1 of 2 is too few to judge"
        );
        assert!(
            evaluate(&at(100, 20), &t()).is_empty(),
            "20% is the bound, not above"
        );
        assert_eq!(
            kinds(&evaluate(&at(100, 21), &t())),
            [AlertKind::ReportsMissing]
        );
        assert!(evaluate(&at(0, 0), &t()).is_empty());
    }

    #[test]
    fn disk_fires_below_either_bound() {
        let gib = 1u64 << 30;
        let at = |free, total| Observations {
            disk: Some((free, total)),
            ..Observations::default()
        };
        assert!(evaluate(&at(50 * gib, 100 * gib), &t()).is_empty());
        assert_eq!(
            kinds(&evaluate(&at(4 * gib, 100 * gib), &t())),
            [AlertKind::DiskLow]
        );
        assert_eq!(
            kinds(&evaluate(&at(gib / 2, 2 * gib), &t())),
            [AlertKind::DiskLow]
        );
    }

    #[test]
    fn a_stalled_writer_fires_after_its_threshold() {
        let mut seen = Observations {
            store_waiting: Some(Duration::from_secs(59)),
            ..Observations::default()
        };
        assert!(evaluate(&seen, &t()).is_empty());
        seen.store_waiting = Some(MIN);
        assert_eq!(kinds(&evaluate(&seen, &t())), [AlertKind::StoreStalled]);
    }

    #[test]
    fn the_backlog_trend_counts_growth_and_forgets_it_when_it_falls() {
        let mut b = BacklogTrend::default();
        assert_eq!(b.observe(0, 0), None);
        assert_eq!(b.observe(5, 1_000), Some((Duration::ZERO, 5)));
        assert_eq!(b.observe(5, 61_000), Some((MIN, 5)), "flat is not falling");
        assert_eq!(b.observe(9, 121_000), Some((2 * MIN, 9)));
        assert_eq!(b.observe(3, 181_000), None, "it fell: delivery works");
        assert_eq!(b.observe(0, 241_000), None);
        let seen = Observations {
            webhook_growing: b.observe(4, 300_000).map(|_| (10 * MIN, 4)),
            ..Observations::default()
        };
        assert_eq!(kinds(&evaluate(&seen, &t())), [AlertKind::WebhookBacklog]);
    }

    #[test]
    fn every_kind_has_a_distinct_name() {
        let names: std::collections::HashSet<_> = AlertKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), AlertKind::ALL.len());
    }
}
