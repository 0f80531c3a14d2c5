//! `/healthz`, `/readyz` and `/metrics` — open, for load balancers, systemd watchers
//! and Prometheus (bind the API to a private address).

use std::fmt::Write;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::body::reply;
use super::links::link_state;
use super::state::AppState;
use crate::dispatch::LinkMonitor;
use crate::dispatch::metrics::{LATENCY_BUCKETS, MetricsSnapshot};

pub async fn healthz() -> Response {
    reply(StatusCode::OK, &json!({ "status": "alive" }))
}

/// Up, or — for SGIP, which connects on demand — idle without a problem.
fn usable(m: &LinkMonitor) -> bool {
    link_state(&m.view(), m.config().protocol) != "down"
}

pub async fn readyz(State(st): State<AppState>) -> Response {
    // A schema read proves the store answers without the segments scan that queue
    // depth costs (load balancers poll this often).
    let store = st.store.ping().await;
    let links_up: Vec<String> = st
        .monitors
        .iter()
        .filter(|m| usable(m))
        .map(|m| m.view().name)
        .collect();
    let ready = store.is_ok() && !links_up.is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    reply(
        status,
        &json!({
            "ready": ready,
            "store": store.as_ref().map_or_else(|e| e.to_string(), |_| "open".to_owned()),
            "links_up": links_up,
        }),
    )
}

pub async fn metrics(State(st): State<AppState>) -> Response {
    let mut out = String::with_capacity(4096);
    write_links(&mut out, &st.monitors);
    match st.store.queue_depth().await {
        Ok(depth) => {
            family(
                &mut out,
                "hongyan_queue_segments",
                "gauge",
                "Message segments per state.",
            );
            if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(depth.segments) {
                for (state, n) in map {
                    let _ = writeln!(out, "hongyan_queue_segments{{state=\"{state}\"}} {n}");
                }
            }
            family(
                &mut out,
                "hongyan_orphan_reports",
                "gauge",
                "Status reports matched to no message yet.",
            );
            let _ = writeln!(out, "hongyan_orphan_reports {}", depth.orphan_reports);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: queue depth unavailable"),
    }
    match st.store.inbox_backlog().await {
        Ok(n) => {
            family(
                &mut out,
                "hongyan_reply_router_backlog",
                "gauge",
                "Stored MO messages the reply router has not routed yet.",
            );
            let _ = writeln!(out, "hongyan_reply_router_backlog {n}");
        }
        Err(e) => tracing::warn!(error = %e, "metrics: reply router backlog unavailable"),
    }
    write_retention(&mut out, &st.retention);
    write_alerts(&mut out, &st.alerts);
    write_opt_outs(&mut out, st.workflow.opt_out_counters());
    match st.store.opt_out_count().await {
        Ok(n) => {
            family(
                &mut out,
                "hongyan_opt_outs",
                "gauge",
                "Numbers on the opt-out (退订) list.",
            );
            let _ = writeln!(out, "hongyan_opt_outs {n}");
        }
        Err(e) => tracing::warn!(error = %e, "metrics: opt-out list size unavailable"),
    }
    out.push_str(&st.submitter.policy_counters().render());
    match st.store.webhook_backlog().await {
        Ok(backlog) => {
            family(
                &mut out,
                "hongyan_webhook_backlog",
                "gauge",
                "Webhook events not yet delivered.",
            );
            for hook in &st.config.webhooks {
                let n = backlog.get(&hook.name).copied().unwrap_or(0);
                let _ = writeln!(
                    out,
                    "hongyan_webhook_backlog{{webhook=\"{}\"}} {n}",
                    escape(&hook.name)
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: webhook backlog unavailable"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// Changes to the opt-out list since start, every action and source, zeros included.
fn write_opt_outs(out: &mut String, c: &crate::workflow::opt_out::OptOutCounters) {
    use crate::store::{OptOutAction, OptOutSource};
    family(
        out,
        "hongyan_opt_out_changes_total",
        "counter",
        "Numbers put on (added) or taken off (removed) the opt-out list since start, by source: reply, api, cli, console.",
    );
    for action in [OptOutAction::Added, OptOutAction::Removed] {
        for source in OptOutSource::ALL {
            let _ = writeln!(
                out,
                "hongyan_opt_out_changes_total{{action=\"{}\",source=\"{}\"}} {}",
                action.as_str(),
                source.as_str(),
                c.get(action, source)
            );
        }
    }
}

/// Every known alert, 0 or 1, always: a dashboard graphs a series that exists.
fn write_alerts(out: &mut String, alerts: &crate::alerts::AlertsHandle) {
    family(
        out,
        "hongyan_alert_firing",
        "gauge",
        "1 while an alert of this kind fires (see GET /v1/alerts).",
    );
    for kind in crate::alerts::AlertKind::ALL {
        let firing = u8::from(alerts.is_firing(kind));
        let _ = writeln!(
            out,
            "hongyan_alert_firing{{alert=\"{}\"}} {firing}",
            kind.name()
        );
    }
}

fn write_retention(out: &mut String, r: &crate::daemon::retention::RetentionCounters) {
    use std::sync::atomic::Ordering::Relaxed;
    family(
        out,
        "hongyan_retention_runs_total",
        "counter",
        "Retention purges completed since start (storage.retention).",
    );
    let _ = writeln!(out, "hongyan_retention_runs_total {}", r.runs.load(Relaxed));
    family(
        out,
        "hongyan_retention_deleted_total",
        "counter",
        "Rows deleted by retention since start.",
    );
    for (kind, n) in [
        ("jobs", &r.jobs),
        ("segments", &r.segments),
        ("inbox", &r.inbox),
        ("orphan_reports", &r.orphan_reports),
        ("opt_out_history", &r.opt_out_history),
        ("polls", &r.polls),
    ] {
        let _ = writeln!(
            out,
            "hongyan_retention_deleted_total{{kind=\"{kind}\"}} {}",
            n.load(Relaxed)
        );
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Label values escaped as the text format wants.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Reads one counter of a snapshot.
type Getter = fn(&MetricsSnapshot) -> u64;

fn write_links(out: &mut String, monitors: &[LinkMonitor]) {
    let rows: Vec<_> = monitors
        .iter()
        .map(|m| {
            let v = m.view();
            let labels = format!(
                "link=\"{}\",protocol=\"{}\",carrier=\"{}\"",
                escape(&v.name),
                v.protocol,
                v.carrier.name()
            );
            (m, v, labels, m.metrics())
        })
        .collect();
    family(
        out,
        "hongyan_link_up",
        "gauge",
        "1 when the link can send (SGIP: idle counts), else 0.",
    );
    for (m, _, l, _) in &rows {
        let _ = writeln!(out, "hongyan_link_up{{{l}}} {}", u8::from(usable(m)));
    }
    family(
        out,
        "hongyan_link_connections",
        "gauge",
        "Connections logged in now.",
    );
    for (_, v, l, _) in &rows {
        let _ = writeln!(out, "hongyan_link_connections{{{l}}} {}", v.connections_up);
    }
    family(
        out,
        "hongyan_link_window_in_use",
        "gauge",
        "Message parts handed to the link and not yet answered.",
    );
    for (_, v, l, _) in &rows {
        let _ = writeln!(out, "hongyan_link_window_in_use{{{l}}} {}", v.outstanding);
    }
    let counters: [(&str, &str, Getter); 9] = [
        ("submitted", "Message parts handed to the link.", |s| {
            s.submitted
        }),
        ("acknowledged", "Parts the carrier accepted.", |s| {
            s.acknowledged
        }),
        ("failed", "Parts refused or unanswered.", |s| s.failed),
        ("delivered", "Status reports: delivered.", |s| s.delivered),
        ("undelivered", "Status reports: not delivered.", |s| {
            s.undelivered
        }),
        ("reconnects", "Logins after a connection's first.", |s| {
            s.reconnects
        }),
        (
            "reports_stored",
            "Status reports committed to the store.",
            |s| s.reports_stored,
        ),
        ("mo_received", "MO messages received (reassembled).", |s| {
            s.mo_received
        }),
        (
            "mo_stored",
            "MO messages committed to the inbox (not resends).",
            |s| s.mo_stored,
        ),
    ];
    for (name, help, get) in counters {
        let metric = format!("hongyan_link_{name}_total");
        family(out, &metric, "counter", help);
        for (_, _, l, s) in &rows {
            let _ = writeln!(out, "{metric}{{{l}}} {}", get(s));
        }
    }
    family(
        out,
        "hongyan_link_throttled_total",
        "counter",
        "Flow-control answers (the part went again, more slowly).",
    );
    for (m, _, l, _) in &rows {
        let _ = writeln!(out, "hongyan_link_throttled_total{{{l}}} {}", m.throttled());
    }
    let h = "hongyan_link_submit_latency_seconds";
    family(out, h, "histogram", "Submit to submit response.");
    for (_, _, l, s) in &rows {
        for (bound, n) in LATENCY_BUCKETS.iter().zip(&s.latency_buckets) {
            let _ = writeln!(out, "{h}_bucket{{{l},le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(out, "{h}_bucket{{{l},le=\"+Inf\"}} {}", s.latency_count);
        let _ = writeln!(out, "{h}_sum{{{l}}} {}", s.latency_sum_seconds);
        let _ = writeln!(out, "{h}_count{{{l}}} {}", s.latency_count);
    }
}
