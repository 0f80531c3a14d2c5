//! 收件箱: replies, unread first, with the sender's contact name and what each answered
//! (an approval, a reminder, or nothing and why); mark read, reply from here (one SMS
//! through the [`Submitter`](crate::dispatch::Submitter), sent once however often the
//! form is posted), filter by number, text, date and answer, export as CSV.
//!
//! Routes: `GET /inbox`, `GET /inbox.csv`, `POST /inbox/{id}/read`,
//! `POST /inbox/{id}/reply`. The list and the export read
//! [`StoreHandle::inbox_rows`](crate::store::StoreHandle::inbox_rows), the same store the
//! API's `/v1/inbox` reads.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::audit::Detail;
use super::error::WebError;
use super::lang::Lang;
use super::layout::Chrome;
use super::page_kit::{csv_download, day_start, token, when};
use super::render;
use super::session::Viewer;
use super::state::WebState;
use crate::dispatch::{SendError, SendRequest};
use crate::store::lists::spellings;
use crate::store::{
    AnswerKind, Answered, InboxCursor, InboxQuery, InboxRow, ReadFilter, TimeRange,
};

/// Rows per page.
const PAGE: usize = 50;
/// Most rows in one export.
const EXPORT_MAX: usize = 100_000;

/// The filter form (`GET /inbox?…`); every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// A number in any usual spelling.
    pub number: String,
    /// Text the reply contains.
    pub q: String,
    /// From this day (`YYYY-MM-DD`).
    pub since: String,
    /// Up to and including this day.
    pub until: String,
    /// `approval`, `reminder`, `unclear`, `unmatched`, `pending`; empty: any.
    pub answered: String,
    /// `unread`, `read`; empty: all, unread first.
    pub read: String,
    /// The page's cursor.
    pub before: String,
}

/// A filter field that cannot be used, for the message next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name.
    pub field: &'static str,
    /// 中文.
    pub zh: String,
    /// English.
    pub en: String,
}

/// The store query a filter form means, or the first field that cannot be used.
pub fn query_of(f: &Filter) -> Result<InboxQuery, FieldError> {
    let senders = match f.number.trim() {
        "" => Vec::new(),
        n => match crate::route::normalize(n) {
            Ok(m) => spellings(&m.to_string()).to_vec(),
            Err(e) => {
                return Err(FieldError {
                    field: "number",
                    zh: format!("号码无法识别：{e}"),
                    en: format!("not a number: {e}"),
                });
            }
        },
    };
    let day = |field: &'static str, v: &str| -> Result<Option<i64>, FieldError> {
        match v.trim() {
            "" => Ok(None),
            t => day_start(t).map(Some).ok_or_else(|| FieldError {
                field,
                zh: "日期格式应为 2026-12-07".into(),
                en: "a date looks like 2026-12-07".into(),
            }),
        }
    };
    let since = day("since", &f.since)?;
    let until = day("until", &f.until)?.map(|d| d + 86_400_000);
    let answered = match f.answered.as_str() {
        "" => None,
        a => Some(AnswerKind::parse(a).ok_or_else(|| FieldError {
            field: "answered",
            zh: "请从列表中选择".into(),
            en: "choose one of the list".into(),
        })?),
    };
    Ok(InboxQuery {
        senders,
        text: Some(f.q.trim().to_owned()).filter(|t| !t.is_empty()),
        time: TimeRange { since, until },
        read: match f.read.as_str() {
            "unread" => ReadFilter::Unread,
            "read" => ReadFilter::Read,
            _ => ReadFilter::All,
        },
        answered,
    })
}

/// One row as the page shows it.
pub struct Row {
    id: i64,
    at: String,
    sender: String,
    contact: String,
    text: String,
    read: bool,
    answered: String,
    answered_href: Option<String>,
    reply_key: String,
}

/// What a reply answered, in words, and where it leads.
pub fn answered_words(a: &Answered, l: Lang) -> (String, Option<String>) {
    match a {
        Answered::Approval {
            step_id,
            approval_id,
        } => match approval_id {
            Some(id) => (
                format!("{} #{id}", l.t("审批", "approval")),
                Some(format!("/approvals/{id}")),
            ),
            None => (
                format!("{} #{step_id}", l.t("审批步骤", "approval step")),
                None,
            ),
        },
        Answered::Reminder { reminder_id } => {
            (format!("{} #{reminder_id}", l.t("提醒", "reminder")), None)
        }
        Answered::Poll { poll_id } => (
            format!(
                "{} #{poll_id}",
                l.t("群发回复（投票/征集）", "reply to a poll")
            ),
            None,
        ),
        Answered::OptOut { resubscribe } => (
            if *resubscribe {
                l.t("恢复接收短信", "re-subscribed")
            } else {
                l.t("退订", "opted out")
            }
            .to_owned(),
            None,
        ),
        Answered::Unclear { item_id } => (
            format!(
                "{} #{item_id}",
                l.t(
                    "无法识别的答复，已请对方重发",
                    "unclear answer, asked again"
                )
            ),
            None,
        ),
        Answered::Unmatched { reason } => {
            let why = match reason.as_str() {
                "bare_service_code" => {
                    l.t("发到了不带扩展号的服务号", "sent to the bare service code")
                }
                "unknown_extension" => l.t("扩展号不属于任何事项", "an extension nobody holds"),
                "not_the_recipient" => l.t("发件人不是被询问的人", "not from the person asked"),
                "other_number" => l.t("发到了其他号码", "sent to another number"),
                other => other,
            };
            (format!("{}：{why}", l.t("未匹配", "unmatched")), None)
        }
        Answered::Pending => (l.t("待处理", "not routed yet").to_owned(), None),
        Answered::BeforeRouting => (l.t("—", "—").to_owned(), None),
        Answered::Other { label, item_id } => (
            match item_id {
                Some(id) => format!("{label} #{id}"),
                None => label.clone(),
            },
            None,
        ),
    }
}

fn row(r: InboxRow, l: Lang) -> Row {
    let (answered, answered_href) = answered_words(&r.answered, l);
    Row {
        id: r.message.id,
        at: when(r.message.message.received_at),
        sender: r.message.message.sender,
        contact: r.contact.unwrap_or_default(),
        text: r.message.message.text,
        read: r.message.read,
        answered,
        answered_href,
        reply_key: token(),
    }
}

#[derive(Template)]
#[template(path = "web/inbox.html")]
struct InboxPage {
    l: Lang,
    chrome: Chrome,
    filter: Filter,
    error: Option<FieldError>,
    rows: Vec<Row>,
    next_href: Option<String>,
    export_href: String,
    notice: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
    here: String,
}

impl InboxPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.field == field)
            .map(|e| self.l.t(&e.zh, &e.en))
    }
}

/// The query string of a filter, without the cursor.
fn filter_query(f: &Filter) -> String {
    let pairs = [
        ("number", &f.number),
        ("q", &f.q),
        ("since", &f.since),
        ("until", &f.until),
        ("answered", &f.answered),
        ("read", &f.read),
    ];
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", super::forms::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `?sent=…` after a reply, `?marked=…` after marking read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    sent: Option<String>,
    failed: Option<String>,
}

/// `GET /inbox`.
pub async fn page(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
    Query(f): Query<Filter>,
    Query(n): Query<Notice>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let (rows, next, error) = match query_of(&f) {
        Ok(q) => {
            let cursor = InboxCursor::parse(&f.before);
            let page = st.store.inbox_rows(q, cursor, PAGE).await?;
            (page.items, page.next, None)
        }
        Err(e) => (Vec::new(), None, Some(e)),
    };
    let base = filter_query(&f);
    let sep = if base.is_empty() { "" } else { "&" };
    let notice = match (n.sent, n.failed) {
        (Some(job), _) => Some(format!(
            "{} #{job}",
            l.t("回复已提交，任务", "Reply queued as job")
        )),
        (_, Some(why)) => Some(format!("{}：{why}", l.t("回复未发送", "Reply not sent"))),
        _ => None,
    };
    Ok(render(&InboxPage {
        chrome: Chrome::for_viewer(&viewer, &uri),
        l,
        rows: rows.into_iter().map(|r| row(r, l)).collect(),
        next_href: next.map(|c| format!("/inbox?{base}{sep}before={}", c.token())),
        export_href: format!("/inbox.csv?{base}"),
        error,
        notice,
        kinds: AnswerKind::ALL
            .iter()
            .map(|k| {
                (
                    k.name(),
                    match k {
                        AnswerKind::Approval => l.t("审批", "approval"),
                        AnswerKind::Reminder => l.t("提醒", "reminder"),
                        AnswerKind::Poll => l.t("群发回复", "poll reply"),
                        AnswerKind::OptOut => l.t("退订", "opt-out"),
                        AnswerKind::Unclear => l.t("无法识别", "unclear"),
                        AnswerKind::Unmatched => l.t("未匹配", "unmatched"),
                        AnswerKind::Pending => l.t("待处理", "not routed yet"),
                    },
                )
            })
            .collect(),
        here: match f.before.as_str() {
            "" => format!("/inbox?{base}"),
            b => format!("/inbox?{base}{sep}before={}", super::forms::encode(b)),
        },
        filter: f,
    }))
}

/// `GET /inbox.csv`: the filtered list (every page, unread first), UTF-8 with BOM.
pub async fn export(
    viewer: Viewer,
    State(st): State<WebState>,
    Query(f): Query<Filter>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let q = query_of(&f).map_err(|e| WebError::BadRequest { zh: e.zh, en: e.en })?;
    let rows = st.store.inbox_export(q, EXPORT_MAX).await?;
    let lines: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| {
            let (answered, _) = answered_words(&r.answered, l);
            vec![
                when(r.message.message.received_at),
                r.message.message.sender,
                r.contact.unwrap_or_default(),
                r.message.message.text,
                answered,
                if r.message.read { "1" } else { "0" }.to_owned(),
                r.message.message.destination,
                r.message.message.link,
            ]
        })
        .collect();
    Ok(csv_download(
        "inbox.csv",
        &[
            l.t("时间", "received"),
            l.t("号码", "number"),
            l.t("联系人", "contact"),
            l.t("内容", "text"),
            l.t("答复", "answered"),
            l.t("已读", "read"),
            l.t("接收号码", "to"),
            l.t("通道", "link"),
        ],
        lines,
    ))
}

/// The page to go back to after a form (only this site's inbox).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Back {
    next: String,
}

fn back_to(next: &str) -> String {
    let n = super::forms::safe_next(Some(next));
    if n.starts_with("/inbox") { n } else { "/inbox" }.to_owned()
}

/// `POST /inbox/{id}/read`.
pub async fn mark_read(
    State(st): State<WebState>,
    Path(id): Path<i64>,
    Form(b): Form<Back>,
) -> Result<Response, WebError> {
    match st.store.inbox_mark_read(id).await {
        Ok(()) => {}
        Err(crate::store::StoreError::NotFound { .. }) => return Err(WebError::NotFound),
        Err(e) => return Err(e.into()),
    }
    let mut res = Redirect::to(&back_to(&b.next)).into_response();
    res.extensions_mut()
        .insert(Detail(format!("marked inbox message {id} read")));
    Ok(res)
}

/// The reply form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReplyForm {
    text: String,
    /// The one-time key the page put in the form: a second post sends nothing new.
    key: String,
    next: String,
}

/// `POST /inbox/{id}/reply`: one SMS to the sender, from the bare service code (a reply
/// to it is a new message, not an answer to any item), through the intake.
pub async fn reply(
    viewer: Viewer,
    State(st): State<WebState>,
    Path(id): Path<i64>,
    Form(f): Form<ReplyForm>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let Some(msg) = st.store.inbox_row(id).await? else {
        return Err(WebError::NotFound);
    };
    let back = back_to(&f.next);
    let sep = if back.contains('?') { '&' } else { '?' };
    let text = f.text.trim();
    if text.is_empty() || f.key.is_empty() {
        let why = super::forms::encode(l.t("回复内容为空", "the reply is empty"));
        return Ok(Redirect::to(&format!("{back}{sep}failed={why}")).into_response());
    }
    let mut req = SendRequest::new(vec![msg.message.message.sender.clone()], text);
    req.idempotency_key = Some(format!("console:inbox-reply:{id}:{}", f.key));
    let outcome = match st.submitter.send(req).await {
        Ok(o) => o,
        Err(SendError::Store(e)) => return Err(e.into()),
        Err(e) => {
            let why = super::forms::encode(&e.to_string());
            return Ok(Redirect::to(&format!("{back}{sep}failed={why}")).into_response());
        }
    };
    let Some(job) = outcome.job.as_ref().map(|j| j.job_id) else {
        let why = outcome
            .recipients
            .iter()
            .find_map(|r| super::refusals::reason(r, l))
            .unwrap_or_default();
        return Ok(
            Redirect::to(&format!("{back}{sep}failed={}", super::forms::encode(&why)))
                .into_response(),
        );
    };
    // Answering a message reads it.
    st.store.inbox_mark_read(id).await?;
    let mut res = Redirect::to(&format!("{back}{sep}sent={job}")).into_response();
    res.extensions_mut().insert(Detail(format!(
        "replied to inbox message {id} from {} as job {job}",
        msg.message.message.sender
    )));
    Ok(res)
}
