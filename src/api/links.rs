//! `GET /v1/links` and `GET /v1/queue`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::body::reply;
use super::error::ApiError;
use super::state::AppState;
use crate::config::LinkProtocol;
use crate::dispatch::{LinkMonitor, LinkView};

/// `up`, `idle` (SGIP connects on demand and unbinds when idle: no connection and no
/// problem is normal) or `down`.
pub fn link_state(view: &LinkView, protocol: LinkProtocol) -> &'static str {
    if view.connections_up > 0 {
        "up"
    } else if protocol == LinkProtocol::Sgip && view.last_problem.is_none() {
        "idle"
    } else {
        "down"
    }
}

/// One link as `/v1/links` shows it.
pub fn link_json(m: &LinkMonitor) -> Value {
    let view = m.view();
    let c = m.config();
    let metrics = m.metrics();
    let state = link_state(&view, c.protocol);
    json!({
        "name": view.name,
        "carrier": view.carrier,
        "protocol": view.protocol,
        "simulated": view.simulated,
        "state": state,
        "connections_up": view.connections_up,
        "connections": c.connections,
        "window": c.window,
        "in_flight": view.outstanding,
        "rate": c.rate,
        "service_code": c.service_code,
        "extension_length": c.extension_length,
        "last_problem": view.last_problem,
        "throttled": m.throttled(),
        "submitted": metrics.submitted,
        "acknowledged": metrics.acknowledged,
        "failed": metrics.failed,
        "delivered": metrics.delivered,
        "undelivered": metrics.undelivered,
        "reconnects": metrics.reconnects,
        "reports_stored": metrics.reports_stored,
    })
}

pub async fn links(State(st): State<AppState>) -> Result<Response, ApiError> {
    let links: Vec<Value> = st.monitors.iter().map(link_json).collect();
    Ok(reply(StatusCode::OK, &json!({ "links": links })))
}

pub async fn queue(State(st): State<AppState>) -> Result<Response, ApiError> {
    let depth = st.store.queue_depth().await?;
    let webhooks = st.store.webhook_backlog().await?;
    Ok(reply(
        StatusCode::OK,
        &json!({
            "segments": depth.segments,
            "orphan_reports": depth.orphan_reports,
            "webhook_backlog": webhooks,
        }),
    ))
}
