//! 概览: the dashboard at `/` — each link up or down with its problem in the viewer's
//! language (from the typed problem, see `link_words.rs`), the queue's depth, today's
//! and this month's parts sent / delivered / failed / unreported per carrier, a 30-day
//! chart drawn here as SVG, and the oldest message still waiting.
//!
//! The counts come from [`StoreHandle::daily_sends`](crate::store::StoreHandle::daily_sends):
//! one row per day and carrier, kept once a day is settled, so the page costs the same
//! with a million jobs as with ten.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;

use super::chart::{DayBar, svg};
use super::error::WebError;
use super::lang::Lang;
use super::layout::Chrome;
use super::link_words::problem_words;
use super::page_kit::{day_of, month_day, when};
use super::render;
use super::session::Viewer;
use super::state::WebState;
use crate::store::{DaySends, Millis};

const DAY: Millis = 86_400_000;
/// Days in the chart.
const CHART_DAYS: i64 = 30;

/// One link as the dashboard shows it.
struct LinkRow {
    name: String,
    carrier: String,
    protocol: &'static str,
    /// `up`, `idle` or `down` (the CSS state class).
    state: &'static str,
    state_words: &'static str,
    connections: String,
    problem: Option<String>,
}

/// One carrier's counts.
#[derive(Default)]
struct Tally {
    segments: u64,
    sent: u64,
    delivered: u64,
    failed: u64,
    unreported: u64,
}

impl Tally {
    fn add(&mut self, d: &DaySends) {
        self.segments += d.segments;
        self.sent += d.sent;
        self.delivered += d.delivered;
        self.failed += d.failed;
        self.unreported += d.unreported;
    }
}

struct CarrierRow {
    carrier: String,
    today: Tally,
    month: Tally,
}

#[derive(Template)]
#[template(path = "web/dashboard.html")]
struct Dashboard {
    l: Lang,
    chrome: Chrome,
    links: Vec<LinkRow>,
    queued: u64,
    scheduled: u64,
    in_flight: u64,
    carriers: Vec<CarrierRow>,
    total_today: Tally,
    total_month: Tally,
    chart: String,
    oldest: Option<(String, String, i64)>,
}

/// The carrier's name in the viewer's language (store key in, words out).
pub fn carrier_name(key: &str, l: Lang) -> String {
    match key {
        "mobile" => l.t("中国移动", "China Mobile"),
        "telecom" => l.t("中国电信", "China Telecom"),
        "unicom" => l.t("中国联通", "China Unicom"),
        "broadnet" => l.t("中国广电", "China Broadnet"),
        other => other,
    }
    .to_owned()
}

/// The `[start, end)` of each China-time day from `first` to the one holding `now`.
fn days_from(first: Millis, now: Millis) -> Vec<(Millis, Millis)> {
    let today = day_of(now);
    let mut days = Vec::new();
    let mut d = day_of(first);
    while d <= today {
        days.push((d, d + DAY));
        d += DAY;
    }
    days
}

/// The start of the China-time month holding `now`.
fn month_start(now: Millis) -> Millis {
    let today = day_of(now);
    // The day of the month, from the date as shown ("YYYY-MM-DD …").
    let dom: i64 = when(today)
        .get(8..10)
        .and_then(|d| d.parse().ok())
        .unwrap_or(1);
    today - (dom - 1) * DAY
}

/// `GET /`.
pub async fn page(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let now = st.now();
    let links = st
        .monitors
        .iter()
        .map(|m| {
            let view = m.view();
            let c = m.config();
            let state = crate::api::links::link_state(&view, c.protocol);
            LinkRow {
                name: view.name.clone(),
                carrier: carrier_name(view.carrier.name(), l),
                protocol: view.protocol,
                state,
                state_words: match state {
                    "up" => l.t("正常", "up"),
                    "idle" => l.t("空闲", "idle"),
                    _ => l.t("断开", "down"),
                },
                connections: format!("{}/{}", view.connections_up, c.connections),
                problem: m.problem().map(|p| {
                    let w = problem_words(&p, c.protocol);
                    l.t(&w.zh, &w.en).to_owned()
                }),
            }
        })
        .collect();
    let depth = st.store.queue_depth().await?;
    let first = (day_of(now) - (CHART_DAYS - 1) * DAY).min(month_start(now));
    let settle = i64::try_from(st.config.queue.report_timeout.as_millis())
        .unwrap_or(i64::MAX / 4)
        .saturating_add(60 * 60 * 1000);
    let days = st
        .store
        .daily_sends(days_from(first, now), settle, now)
        .await?;
    let today = day_of(now);
    let month = month_start(now);
    let mut carriers: BTreeMap<String, CarrierRow> = BTreeMap::new();
    let (mut total_today, mut total_month) = (Tally::default(), Tally::default());
    let mut per_day: BTreeMap<Millis, Tally> = BTreeMap::new();
    for d in &days {
        per_day.entry(d.day).or_default().add(d);
        let row = carriers
            .entry(d.carrier.clone())
            .or_insert_with(|| CarrierRow {
                carrier: carrier_name(&d.carrier, l),
                today: Tally::default(),
                month: Tally::default(),
            });
        if d.day == today {
            row.today.add(d);
            total_today.add(d);
        }
        if d.day >= month {
            row.month.add(d);
            total_month.add(d);
        }
    }
    let bars: Vec<DayBar> = (0..CHART_DAYS)
        .map(|i| {
            let day = today - (CHART_DAYS - 1 - i) * DAY;
            let t = per_day.get(&day);
            DayBar {
                label: month_day(day),
                total: t.map_or(0, |t| t.segments),
                delivered: t.map_or(0, |t| t.delivered),
                failed: t.map_or(0, |t| t.failed),
            }
        })
        .collect();
    let chart = svg(
        &bars,
        l.t("近 30 天每日发送量", "Parts sent per day, last 30 days"),
        (
            l.t("发送", "sent"),
            l.t("成功", "delivered"),
            l.t("失败", "failed"),
        ),
    );
    let carrier_keys: Vec<String> = st
        .monitors
        .iter()
        .map(|m| m.config().carrier().name().to_owned())
        .collect();
    let oldest = st
        .store
        .oldest_waiting(carrier_keys)
        .await?
        .map(|o| (when(o.since), o.number, o.job_id));
    let s = &depth.segments;
    Ok(render(&Dashboard {
        chrome: Chrome::for_viewer(&viewer, &uri),
        l,
        links,
        queued: s.get(crate::store::DeliveryState::Queued),
        scheduled: s.get(crate::store::DeliveryState::Scheduled),
        in_flight: s.get(crate::store::DeliveryState::InFlight),
        carriers: carriers.into_values().collect(),
        total_today,
        total_month,
        chart,
        oldest,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_months_are_china_days() {
        let d = super::super::page_kit::day_start("2026-12-07").unwrap_or(0);
        assert_eq!(month_start(d + 5), d - 6 * DAY);
        assert_eq!(days_from(d - DAY, d + 1), [(d - DAY, d), (d, d + DAY)]);
        assert_eq!(carrier_name("telecom", Lang::Zh), "中国电信");
    }
}
