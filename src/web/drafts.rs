//! 草稿箱 `/drafts` and 定时 `/scheduled`: what is not sent yet. A draft opens in the
//! compose form (`/compose?draft=ID`) to be edited and sent, or is deleted; staff see
//! their own drafts, admins everyone's. A scheduled job can be moved to another time
//! (its expiry moves with it) or cancelled, up to the moment it is released.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::audit::Detail;
use super::error::WebError;
use super::lang::Lang;
use super::layout::Chrome;
use super::render;
use super::roles::Role;
use super::session::Viewer;
use super::state::WebState;
use super::when;
use crate::store::{JobFilter, JobState, RescheduleOutcome, Window};

struct DraftRow {
    id: i64,
    title: String,
    text: String,
    recipients: String,
    when: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "web/drafts.html")]
struct DraftsPage {
    l: Lang,
    chrome: Chrome,
    drafts: Vec<DraftRow>,
}

/// `GET /drafts`.
pub async fn drafts(
    viewer: Viewer,
    uri: Uri,
    State(state): State<WebState>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let all = state.store.drafts_list().await?;
    let drafts = all
        .into_iter()
        .filter(|d| viewer.role == Role::Admin || d.owner == Some(viewer.account_id))
        .map(|d| {
            let mut who: Vec<String> = d.groups.clone();
            if !d.numbers.is_empty() {
                who.push(match lang {
                    Lang::Zh => format!("{} 个号码", d.numbers.len()),
                    Lang::En => format!("{} numbers", d.numbers.len()),
                });
            }
            DraftRow {
                id: d.id,
                title: d.title,
                text: d.text.chars().take(60).collect(),
                recipients: who.join("、"),
                when: d.send_at.map(when::show).unwrap_or_default(),
                updated: when::show(d.updated_at),
            }
        })
        .collect();
    Ok(render(&DraftsPage {
        l: lang,
        chrome: Chrome::for_viewer(&viewer, &uri),
        drafts,
    }))
}

/// `POST /drafts/{id}/delete`.
pub async fn delete(
    viewer: Viewer,
    State(state): State<WebState>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let d = state.store.draft_get(id).await?.ok_or(WebError::NotFound)?;
    if viewer.role != Role::Admin && d.owner != Some(viewer.account_id) {
        return Err(WebError::Forbidden);
    }
    state.store.draft_delete(id).await?;
    let mut res = Redirect::to("/drafts").into_response();
    res.extensions_mut()
        .insert(Detail(format!("deleted draft {id} ({})", d.title)));
    Ok(res)
}

struct ScheduledRow {
    id: i64,
    text: String,
    recipients: u64,
    segments: u64,
    when: String,
    when_value: String,
    sender: String,
}

#[derive(Template)]
#[template(path = "web/scheduled.html")]
struct ScheduledPage {
    l: Lang,
    chrome: Chrome,
    jobs: Vec<ScheduledRow>,
    next: Option<String>,
    notice: Option<String>,
    error: Option<(i64, String)>,
}

/// `GET /scheduled` parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ScheduledQuery {
    /// The next page.
    pub before: Option<i64>,
    /// A job just moved.
    pub moved: Option<i64>,
    /// A job that could not be moved (no longer scheduled).
    pub gone: Option<i64>,
}

async fn scheduled_page(
    state: &WebState,
    viewer: &Viewer,
    uri: &Uri,
    q: ScheduledQuery,
    error: Option<(i64, String)>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let page = state
        .store
        .jobs_list(
            JobFilter {
                state: Some(JobState::Scheduled),
                ..JobFilter::default()
            },
            Window {
                before: q.before,
                limit: 50,
            },
        )
        .await?;
    let jobs = page
        .items
        .iter()
        .map(|j| ScheduledRow {
            id: j.job_id,
            text: j.text.chars().take(60).collect(),
            recipients: j.recipients,
            segments: j.segments,
            when: j.send_at.map(when::show).unwrap_or_default(),
            when_value: j.send_at.map(when::input_value).unwrap_or_default(),
            sender: j.sender.clone().unwrap_or_default(),
        })
        .collect();
    let notice = match (q.moved, q.gone) {
        (Some(id), _) => Some(match lang {
            Lang::Zh => format!("#{id} 的发送时间已修改。"),
            Lang::En => format!("#{id} now goes at its new time."),
        }),
        (_, Some(id)) => Some(match lang {
            Lang::Zh => format!("#{id} 已不是定时状态（已开始发送或已取消），无法修改。"),
            Lang::En => {
                format!("#{id} is no longer scheduled (sending began or it was cancelled).")
            }
        }),
        _ => None,
    };
    Ok(render(&ScheduledPage {
        l: lang,
        chrome: Chrome::for_viewer(viewer, uri),
        jobs,
        next: page.next_before.map(|b| format!("/scheduled?before={b}")),
        notice,
        error,
    }))
}

/// `GET /scheduled`.
pub async fn scheduled(
    viewer: Viewer,
    uri: Uri,
    State(state): State<WebState>,
    Query(q): Query<ScheduledQuery>,
) -> Result<Response, WebError> {
    scheduled_page(&state, &viewer, &uri, q, None).await
}

/// `POST /scheduled/{job}` form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Move {
    /// The new time (`datetime-local`, China time).
    pub send_at: String,
}

/// `POST /scheduled/{job}`: move a scheduled job.
pub async fn reschedule(
    viewer: Viewer,
    uri: Uri,
    State(state): State<WebState>,
    Path(id): Path<i64>,
    axum::Form(m): axum::Form<Move>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let now = state.now();
    let at = match when::parse_local(&m.send_at) {
        Some(at) if at > now => at,
        Some(_) => {
            let msg = lang.t(
                "这个时间已经过了，请选一个将来的时间。",
                "That time has passed; pick a later one.",
            );
            return scheduled_page(
                &state,
                &viewer,
                &uri,
                ScheduledQuery::default(),
                Some((id, msg.into())),
            )
            .await;
        }
        None => {
            let msg = lang.t("请选择日期和时间。", "Pick a date and a time.");
            return scheduled_page(
                &state,
                &viewer,
                &uri,
                ScheduledQuery::default(),
                Some((id, msg.into())),
            )
            .await;
        }
    };
    let out = match state.store.reschedule(id, at, now).await {
        Ok(o) => o,
        Err(crate::store::StoreError::NotFound { .. }) => return Err(WebError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let (target, detail) = match out {
        RescheduleOutcome::Rescheduled { send_at, .. } => (
            format!("/scheduled?moved={id}"),
            format!("moved job {id} to {}", when::show(send_at)),
        ),
        RescheduleOutcome::NotScheduled { state } => (
            format!("/scheduled?gone={id}"),
            format!("job {id} not moved: {state}"),
        ),
    };
    let mut res = Redirect::to(&target).into_response();
    res.extensions_mut().insert(Detail(detail));
    Ok(res)
}
