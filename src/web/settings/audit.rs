//! `/settings/audit`: the audit log, newest first, 100 a page (keyset paging by id),
//! optionally within a date range; `/settings/audit.csv` exports the same range as CSV
//! (streamed, so a year of entries is no burden).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::store::{AuditEntry, AuditQuery};
use crate::web::download;
use crate::web::error::WebError;
use crate::web::forms::{day_start, encode, show_time};
use crate::web::lang::Lang;
use crate::web::layout::Chrome;
use crate::web::render_status;
use crate::web::session::Viewer;
use crate::web::state::WebState;

/// Entries on one page.
pub const PAGE: usize = 100;
/// Entries read from the store per step of an export.
const EXPORT_STEP: usize = 1000;
const DAY_MS: i64 = 86_400_000;

/// The page's query: `before` (an id), `from` and `to` (days, `YYYY-MM-DD`, China time,
/// both included).
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    /// Entries older than this id.
    #[serde(default)]
    pub before: Option<i64>,
    /// First day.
    #[serde(default)]
    pub from: String,
    /// Last day.
    #[serde(default)]
    pub to: String,
}

struct Row {
    at: String,
    username: String,
    address: String,
    action: String,
    status: u16,
    detail: String,
}

#[derive(Template)]
#[template(path = "web/settings/audit.html")]
struct AuditPage {
    l: Lang,
    chrome: Chrome,
    from: String,
    to: String,
    from_error: Option<&'static str>,
    to_error: Option<&'static str>,
    rows: Vec<Row>,
    older: Option<String>,
    export: String,
}

/// The filter as a store query; a date that is not one is named.
fn query(f: &Filter, l: Lang) -> (AuditQuery, Option<&'static str>, Option<&'static str>) {
    let bad = || {
        l.t(
            "请按 年-月-日 填写，如 2026-12-07",
            "Write it as year-month-day, e.g. 2026-12-07",
        )
    };
    let mut from_error = None;
    let mut to_error = None;
    let from = match f.from.trim() {
        "" => None,
        s => day_start(s).or_else(|| {
            from_error = Some(bad());
            None
        }),
    };
    let to = match f.to.trim() {
        "" => None,
        s => day_start(s).map(|d| d + DAY_MS).or_else(|| {
            to_error = Some(bad());
            None
        }),
    };
    (
        AuditQuery {
            before: f.before,
            from,
            to,
        },
        from_error,
        to_error,
    )
}

fn row(e: AuditEntry) -> Row {
    Row {
        at: show_time(e.at),
        username: e.entry.username,
        address: e.entry.address.unwrap_or_default(),
        action: format!("{} {}", e.entry.method, e.entry.path),
        status: e.entry.status,
        detail: e.entry.detail.unwrap_or_default(),
    }
}

/// `GET /settings/audit`.
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    uri: Uri,
    Query(f): Query<Filter>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let (q, from_error, to_error) = query(&f, l);
    let entries = state.store.audit_page(q, PAGE).await?;
    let range = format!("from={}&to={}", encode(f.from.trim()), encode(f.to.trim()));
    let older = (entries.len() == PAGE)
        .then(|| {
            entries
                .last()
                .map(|e| format!("/settings/audit?before={}&{range}", e.id))
        })
        .flatten();
    let status = if from_error.is_some() || to_error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    Ok(render_status(
        status,
        &AuditPage {
            l,
            chrome: Chrome::for_viewer(&viewer, &uri),
            from: f.from.trim().to_owned(),
            to: f.to.trim().to_owned(),
            from_error,
            to_error,
            rows: entries.into_iter().map(row).collect(),
            older,
            export: format!("/settings/audit.csv?{range}"),
        },
    ))
}

/// `GET /settings/audit.csv`: the entries of the range (all without one), newest first.
pub async fn csv(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(f): Query<Filter>,
) -> Result<Response, WebError> {
    let (mut q, from_error, to_error) = query(&f, viewer.lang);
    if let Some(e) = from_error.or(to_error) {
        return Err(WebError::bad_request(e, e));
    }
    let (mut w, res) = download::csv(&format!(
        "hongyan-audit-{}.csv",
        show_time(state.now()).get(..10).unwrap_or("now")
    ));
    let l = viewer.lang;
    tokio::spawn(async move {
        let header = [
            l.t("时间", "time"),
            l.t("账号", "account"),
            l.t("地址", "address"),
            l.t("操作", "request"),
            l.t("结果", "status"),
            l.t("说明", "detail"),
        ];
        if w.row(header).await.is_err() {
            return;
        }
        loop {
            let entries = match state.store.audit_page(q, EXPORT_STEP).await {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!(error = %e, "audit export failed");
                    w.abort();
                    return;
                }
            };
            let last = entries.last().map(|e| e.id);
            let full = entries.len() == EXPORT_STEP;
            for e in entries {
                let r = row(e);
                let cells = [
                    r.at,
                    r.username,
                    r.address,
                    r.action,
                    r.status.to_string(),
                    r.detail,
                ];
                if w.row(cells).await.is_err() {
                    return;
                }
            }
            match last {
                Some(id) if full => q.before = Some(id),
                _ => break,
            }
        }
        let _ = w.finish().await;
    });
    Ok(res.into_response())
}
