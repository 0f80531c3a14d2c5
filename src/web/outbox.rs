//! 发件箱: `/outbox` — jobs newest first, keyset-paged (`before`), filtered by state,
//! China-time dates, a recipient's number, words of the text and the sender (console
//! account or API client); the same filters export as CSV (UTF-8 with BOM, so Excel
//! reads the Chinese). `/outbox/{job}` shows the job and its recipients, paged, each with
//! its state, carrier, cost and the carrier's codes in words; a scheduled or queued job
//! can be cancelled there.
//!
//! The lists are the API's (`StoreHandle::jobs_list`, `job_status_page`), the codes are
//! explained by `api::explain`, the cancel is the submitter's: no second copy.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::audit::Detail;
use super::error::WebError;
use super::forms::encode;
use super::lang::Lang;
use super::layout::Chrome;
use super::render;
use super::session::Viewer;
use super::state::WebState;
use super::when;
use crate::api::explain;
use crate::store::{CancelOutcome, DeliveryState, JobFilter, JobState, JobSummary, Page, Window};

/// Jobs on one page of the outbox.
const PAGE: usize = 50;
/// Recipients on one page of a job.
const RECIPIENTS_PAGE: usize = 100;
/// Most rows one CSV export holds (a bigger export is narrowed by date first).
pub const EXPORT_MAX: usize = 100_000;

/// The job states a filter can pick, in the order the select lists them.
const STATES: &[(&str, &str, &str)] = &[
    ("scheduled", "定时", "Scheduled"),
    ("queued", "排队中", "Queued"),
    ("sending", "发送中", "Sending"),
    ("submitted", "已提交", "Submitted"),
    ("delivered", "已送达", "Delivered"),
    ("partly_delivered", "部分送达", "Partly delivered"),
    ("failed", "失败", "Failed"),
    ("expired", "已过期", "Expired"),
    ("unconfirmed", "待确认", "Unconfirmed"),
    ("cancelled", "已取消", "Cancelled"),
    ("unreported", "无状态报告", "Unreported"),
];

/// A job state in the page's language.
pub fn state_label(state: &str, lang: Lang) -> String {
    STATES
        .iter()
        .find(|(s, _, _)| *s == state)
        .map_or_else(|| state.to_owned(), |(_, zh, en)| lang.t(zh, en).to_owned())
}

/// A delivery state in the page's language.
fn delivery_label(state: DeliveryState, lang: Lang) -> String {
    let (zh, en) = match state {
        DeliveryState::Scheduled => ("定时", "Scheduled"),
        DeliveryState::Queued => ("排队中", "Queued"),
        DeliveryState::InFlight => ("发送中", "Sending"),
        DeliveryState::Submitted => ("已提交", "Submitted"),
        DeliveryState::Delivered => ("已送达", "Delivered"),
        DeliveryState::Failed => ("失败", "Failed"),
        DeliveryState::Expired => ("已过期", "Expired"),
        DeliveryState::Unconfirmed => ("待确认", "Unconfirmed"),
        DeliveryState::Cancelled => ("已取消", "Cancelled"),
        DeliveryState::Unreported => ("无状态报告", "Unreported"),
    };
    lang.t(zh, en).to_owned()
}

/// The outbox's filters, as the form sends them (all optional; kept as typed).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Filters {
    /// A job state (see [`STATES`]).
    pub state: String,
    /// First day (`YYYY-MM-DD`, China time).
    pub since: String,
    /// Last day, inclusive.
    pub until: String,
    /// A recipient's number, any usual spelling.
    pub number: String,
    /// Words of the text.
    pub text: String,
    /// `web:<account>` or `api:<client>`.
    pub sender: String,
    /// The next page: jobs below this id.
    pub before: Option<i64>,
}

/// Errors next to the filter fields.
#[derive(Debug, Clone, Default)]
struct FilterErrors {
    state: Option<String>,
    since: Option<String>,
    until: Option<String>,
    number: Option<String>,
}

impl FilterErrors {
    fn any(&self) -> bool {
        self.state.is_some()
            || self.since.is_some()
            || self.until.is_some()
            || self.number.is_some()
    }
}

impl Filters {
    /// The store's filter, or what is wrong with each field.
    fn to_filter(&self, lang: Lang) -> Result<JobFilter, FilterErrors> {
        let mut e = FilterErrors::default();
        let mut f = JobFilter::default();
        if !self.state.is_empty() {
            match serde_json::from_value::<JobState>(serde_json::Value::String(self.state.clone()))
            {
                Ok(s) => f.state = Some(s),
                Err(_) => e.state = Some(lang.t("没有这个状态。", "No such state.").into()),
            }
        }
        let day = |s: &str, end: bool| {
            if end {
                when::day_end(s)
            } else {
                when::parse_day(s)
            }
        };
        let bad_day = lang.t("日期请写成 2026-12-07。", "Write the date as 2026-12-07.");
        if !self.since.trim().is_empty() {
            match day(&self.since, false) {
                Some(t) => f.time.since = Some(t),
                None => e.since = Some(bad_day.into()),
            }
        }
        if !self.until.trim().is_empty() {
            match day(&self.until, true) {
                Some(t) => f.time.until = Some(t),
                None => e.until = Some(bad_day.into()),
            }
        }
        if !self.number.trim().is_empty() {
            match crate::route::normalize(&self.number) {
                Ok(n) => f.number = Some(n.to_string()),
                Err(err) => e.number = Some(err.to_string()),
            }
        }
        if !self.text.trim().is_empty() {
            f.text = Some(self.text.trim().to_owned());
        }
        if !self.sender.trim().is_empty() {
            f.sender = Some(self.sender.trim().to_owned());
        }
        if e.any() { Err(e) } else { Ok(f) }
    }

    /// The filters as a query string (without `before`), for the pager and the export.
    fn query(&self) -> String {
        let mut q = Vec::new();
        for (k, v) in [
            ("state", &self.state),
            ("since", &self.since),
            ("until", &self.until),
            ("number", &self.number),
            ("text", &self.text),
            ("sender", &self.sender),
        ] {
            if !v.trim().is_empty() {
                q.push(format!("{k}={}", encode(v.trim())));
            }
        }
        q.join("&")
    }
}

/// One row of the list.
struct JobRow {
    id: i64,
    created: String,
    when: String,
    text: String,
    recipients: u64,
    segments: u64,
    state: String,
    state_label: String,
    sender: String,
}

fn row(j: &JobSummary, lang: Lang) -> JobRow {
    let mut text: String = j.text.chars().take(40).collect();
    if j.text.chars().count() > 40 {
        text.push('…');
    }
    JobRow {
        id: j.job_id,
        created: when::show(j.created_at),
        when: j.send_at.map(when::show).unwrap_or_default(),
        text,
        recipients: j.recipients,
        segments: j.segments,
        state: j.state.as_str().to_owned(),
        state_label: state_label(j.state.as_str(), lang),
        sender: j.sender.clone().unwrap_or_default(),
    }
}

struct StateOption {
    value: &'static str,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "web/outbox.html")]
struct OutboxPage {
    l: Lang,
    chrome: Chrome,
    f: Filters,
    e: FilterErrors,
    states: Vec<StateOption>,
    jobs: Vec<JobRow>,
    next: Option<String>,
    export: String,
    mine: String,
    first_page: bool,
}

/// `GET /outbox`.
pub async fn page(
    viewer: Viewer,
    uri: Uri,
    State(state): State<WebState>,
    Query(f): Query<Filters>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let (jobs, next, e) = match f.to_filter(lang) {
        Ok(filter) => {
            let page = state
                .store
                .jobs_list(
                    filter,
                    Window {
                        before: f.before,
                        limit: PAGE,
                    },
                )
                .await?;
            let q = f.query();
            let next = page.next_before.map(|b| {
                if q.is_empty() {
                    format!("/outbox?before={b}")
                } else {
                    format!("/outbox?{q}&before={b}")
                }
            });
            (
                page.items.iter().map(|j| row(j, lang)).collect(),
                next,
                FilterErrors::default(),
            )
        }
        Err(e) => (Vec::new(), None, e),
    };
    let states = STATES
        .iter()
        .map(|(v, zh, en)| StateOption {
            value: v,
            label: lang.t(zh, en).to_owned(),
            selected: f.state == *v,
        })
        .collect();
    let q = f.query();
    Ok(render(&OutboxPage {
        l: lang,
        chrome: Chrome::for_viewer(&viewer, &uri),
        export: if q.is_empty() {
            "/outbox/export.csv".into()
        } else {
            format!("/outbox/export.csv?{q}")
        },
        mine: format!(
            "/outbox?sender={}",
            encode(&format!("web:{}", viewer.username))
        ),
        first_page: f.before.is_none(),
        f,
        e,
        states,
        jobs,
        next,
    }))
}

/// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@` is defused so a
/// text cannot become a formula in Excel.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The CSV of `jobs` (UTF-8 with BOM, CRLF lines).
pub fn to_csv(jobs: &[JobSummary], lang: Lang) -> String {
    let mut out = String::from("\u{feff}");
    let head = [
        lang.t("编号", "job"),
        lang.t("提交时间", "accepted"),
        lang.t("定时", "send at"),
        lang.t("状态", "state"),
        lang.t("人数", "recipients"),
        lang.t("计费条数", "segments"),
        lang.t("发送人", "sender"),
        lang.t("签名", "signature"),
        lang.t("内容", "text"),
    ];
    out.push_str(&head.join(","));
    out.push_str("\r\n");
    for j in jobs {
        let cells = [
            j.job_id.to_string(),
            when::show(j.created_at),
            j.send_at.map(when::show).unwrap_or_default(),
            state_label(j.state.as_str(), lang),
            j.recipients.to_string(),
            j.segments.to_string(),
            j.sender.clone().unwrap_or_default(),
            j.signature.clone(),
            j.text.clone(),
        ];
        let cells: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// `GET /outbox/export.csv`: the filtered list, every page of it (at most
/// [`EXPORT_MAX`] rows).
pub async fn export(
    viewer: Viewer,
    State(state): State<WebState>,
    Query(f): Query<Filters>,
) -> Result<Response, WebError> {
    let filter = f.to_filter(viewer.lang).map_err(|_| {
        WebError::bad_request(
            "筛选条件有误，请在发件箱页面修正后再导出。",
            "A filter is wrong; correct it on the outbox page, then export.",
        )
    })?;
    let mut all: Vec<JobSummary> = Vec::new();
    let mut before = None;
    loop {
        let Page { items, next_before } = state
            .store
            .jobs_list(filter.clone(), Window { before, limit: 500 })
            .await?;
        all.extend(items);
        match next_before {
            Some(b) if all.len() < EXPORT_MAX => before = Some(b),
            _ => break,
        }
    }
    all.truncate(EXPORT_MAX);
    let mut res = to_csv(&all, viewer.lang).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"outbox.csv\""),
    );
    Ok(res)
}

/// One recipient of the job page.
struct RecipientRow {
    id: i64,
    number: String,
    carrier: String,
    state: String,
    state_label: String,
    parts: u8,
    error: String,
    codes: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/outbox_job.html")]
struct JobPage {
    l: Lang,
    chrome: Chrome,
    id: i64,
    state: String,
    state_label: String,
    text: String,
    signature: String,
    created: String,
    when: String,
    segments: u64,
    counts: Vec<(String, u64)>,
    cancellable: bool,
    notice: Option<String>,
    recipients: Vec<RecipientRow>,
    next: Option<String>,
}

/// `GET /outbox/{job}` parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct JobQuery {
    /// Recipients after this recipient id.
    pub after: Option<i64>,
    /// What the cancel did (`cancelled`, `too_late`).
    pub done: Option<String>,
}

/// `GET /outbox/{job}`.
pub async fn job(
    viewer: Viewer,
    uri: Uri,
    State(state): State<WebState>,
    Path(id): Path<i64>,
    Query(q): Query<JobQuery>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let Some((job, next_after)) = state
        .store
        .job_status_page(id, q.after, RECIPIENTS_PAGE)
        .await?
    else {
        return Err(WebError::NotFound);
    };
    let protocol = |link: &str| {
        state
            .config
            .links
            .iter()
            .find(|l| l.name == link)
            .map(|l| l.protocol)
    };
    let recipients = job
        .recipients
        .iter()
        .map(|r| {
            let mut codes = Vec::new();
            for s in &r.segments {
                let Some(p) = s.link.as_deref().and_then(protocol) else {
                    continue;
                };
                let part = if r.parts > 1 {
                    format!("{}/{} ", s.part, r.parts)
                } else {
                    String::new()
                };
                if let Some(code) = s.result.filter(|&c| c != 0) {
                    codes.push(format!("{part}{code}: {}", explain::submit_result(p, code)));
                }
                if let Some(stat) = s.report_stat.as_deref().filter(|s| !s.is_empty()) {
                    codes.push(format!(
                        "{part}{stat}: {}",
                        explain::report(p, stat, s.report_err.as_deref())
                    ));
                }
            }
            RecipientRow {
                id: r.recipient_id,
                number: r.number.clone(),
                carrier: r.carrier.clone(),
                state: r.state.to_string(),
                state_label: delivery_label(r.state, lang),
                parts: r.parts,
                error: r.last_error.clone().unwrap_or_default(),
                codes,
            }
        })
        .collect();
    let counts = DeliveryState::ALL
        .iter()
        .map(|s| (delivery_label(*s, lang), job.counts.get(*s)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let notice = match q.done.as_deref() {
        Some("cancelled") => Some(
            lang.t(
                "已取消，这些短信不会发出。",
                "Cancelled: none of it will be sent.",
            )
            .to_owned(),
        ),
        Some("too_late") => Some(
            lang.t(
                "来不及取消：已经开始发送。",
                "Too late to cancel: sending has started.",
            )
            .to_owned(),
        ),
        _ => None,
    };
    Ok(render(&JobPage {
        l: lang,
        chrome: Chrome::for_viewer(&viewer, &uri),
        id: job.job_id,
        state: job.state.as_str().to_owned(),
        state_label: state_label(job.state.as_str(), lang),
        text: job.text.clone(),
        signature: job.signature.clone(),
        created: when::show(job.created_at),
        when: job.send_at.map(when::show).unwrap_or_default(),
        segments: job.counts.total(),
        counts,
        cancellable: matches!(job.state, JobState::Scheduled | JobState::Queued),
        notice,
        recipients,
        next: next_after.map(|a| format!("/outbox/{}?after={a}", job.job_id)),
    }))
}

/// `POST /outbox/{job}/cancel`.
pub async fn cancel(
    _viewer: Viewer,
    State(state): State<WebState>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let out = match state.submitter.cancel(id).await {
        Ok(o) => o,
        Err(crate::dispatch::SendError::Store(crate::store::StoreError::NotFound { .. })) => {
            return Err(WebError::NotFound);
        }
        Err(e) => return Err(WebError::Internal(e.to_string())),
    };
    let (done, detail) = match out {
        CancelOutcome::Cancelled { recipients } => (
            "cancelled",
            format!("cancelled job {id} ({recipients} recipients)"),
        ),
        CancelOutcome::AlreadyCancelled => ("cancelled", format!("job {id} was already cancelled")),
        CancelOutcome::TooLate { state } => (
            "too_late",
            format!("job {id} not cancelled: already {state}"),
        ),
    };
    let mut res = Redirect::to(&format!("/outbox/{id}?done={done}")).into_response();
    res.extensions_mut().insert(Detail(detail));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_opens_in_excel_and_defuses_formulas() {
        let j = JobSummary {
            job_id: 7,
            state: JobState::Delivered,
            priority: crate::store::Priority::Bulk,
            text: "=HYPERLINK(\"x\"), 您好\n第二行".into(),
            signature: "【鸿雁】".into(),
            send_at: None,
            recipients: 2,
            segments: 2,
            created_at: 0,
            sender: Some("web:li".into()),
        };
        let csv = to_csv(&[j], Lang::Zh);
        assert!(csv.starts_with("\u{feff}编号,"));
        let line = csv.lines().nth(1).unwrap();
        assert!(line.starts_with(
            "7,1970-01-01 08:00,,已送达,2,2,web:li,【鸿雁】,\"'=HYPERLINK(\"\"x\"\"), 您好"
        ));
        assert!(csv.ends_with("第二行\"\r\n"));
    }
}
