//! `GET /v1/alerts`: what fires now (from the evaluator) and the recent notices (from
//! the store, so they survive a restart), newest first. Times are RFC 3339 (UTC+8).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::body::reply;
use super::error::ApiError;
use super::state::AppState;
use super::times::format_cst;

/// Notices listed under `recent`.
const RECENT: usize = 50;

pub async fn alerts(State(st): State<AppState>) -> Result<Response, ApiError> {
    let firing: Vec<Value> = st
        .alerts
        .firing()
        .into_iter()
        .map(|f| {
            json!({
                "alert": f.alert,
                "subject": f.subject,
                "since": format_cst(f.since),
                "text": f.text,
                "last_notified": format_cst(f.last_notified),
                "sms": f.sms,
            })
        })
        .collect();
    let recent: Vec<Value> = st
        .store
        .alerts_recent(RECENT)
        .await?
        .into_iter()
        .map(|e| {
            json!({
                "id": e.id,
                "alert": e.event.alert,
                "subject": e.event.subject,
                "state": e.event.state,
                "text": e.event.text,
                "since": format_cst(e.event.since),
                "at": format_cst(e.at),
                "notified": e.event.notified,
                "sms": e.event.sms,
            })
        })
        .collect();
    Ok(reply(
        StatusCode::OK,
        &json!({ "firing": firing, "recent": recent }),
    ))
}
