//! 写短信: `/compose`. Staff type or paste numbers and pick groups, pick a template and a
//! signature, write the text — a live counter (`GET /compose/preview`, called by
//! `compose.js`) shows characters, coding and segments per carrier — and either save a
//! draft or go on to the confirmation page, which shows every recipient's fate, the
//! segments per carrier and the send time before anything is queued. The confirmation
//! carries a one-time key used as the job's idempotency key, so a double submit (two
//! clicks, a reload, a retried POST) sends once.
//!
//! Every figure comes from [`contacts::compose`](crate::contacts::compose), i.e. from the
//! intake's own plan: what the page shows is what is queued.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::audit::Detail;
use super::error::WebError;
use super::lang::Lang;
use super::layout::Chrome;
use super::render;
use super::roles::Role;
use super::session::Viewer;
use super::state::WebState;
use super::when;
use crate::contacts::compose::{self, Compose, ComposeError};
use crate::dispatch::{Preview, RecipientOutcome, SendError};
use crate::store::{DraftView, GroupView, NewDraft, Snippet, SnippetKind};

/// What the form holds, as typed (re-rendered as is after an error).
#[derive(Debug, Clone, Default)]
pub struct Fields {
    /// The recipients textarea (`numbers`).
    pub numbers: String,
    /// Checked groups (`groups`, repeated).
    pub groups: Vec<String>,
    /// The text (`text`).
    pub text: String,
    /// The picked signature's id (`signature_id`; empty: the link's).
    pub signature_id: String,
    /// `datetime-local` (`send_at`; empty: now).
    pub send_at: String,
    /// The draft being edited (`draft_id`).
    pub draft_id: String,
    /// The draft's title (`title`).
    pub title: String,
    /// The confirmation's one-time key (`key`).
    pub key: String,
    /// What the button asked for (`action`: `preview`, `draft`).
    pub action: String,
}

impl Fields {
    /// From a urlencoded form, which may repeat `groups`.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "numbers" => f.numbers = v,
                "groups" => {
                    // The live counter sends them comma-joined.
                    f.groups.extend(
                        v.split(',')
                            .map(str::trim)
                            .filter(|g| !g.is_empty())
                            .map(str::to_owned),
                    );
                }
                "text" => f.text = v,
                "signature_id" => f.signature_id = v,
                "send_at" => f.send_at = v,
                "draft_id" => f.draft_id = v,
                "title" => f.title = v,
                "key" => f.key = v,
                "action" => f.action = v,
                _ => {}
            }
        }
        f
    }

    fn from_draft(d: &DraftView) -> Self {
        Self {
            numbers: d.numbers.join("\n"),
            groups: d.groups.clone(),
            text: d.text.clone(),
            signature_id: String::new(),
            send_at: d.send_at.map(when::input_value).unwrap_or_default(),
            draft_id: d.id.to_string(),
            title: d.title.clone(),
            key: String::new(),
            action: String::new(),
        }
    }
}

/// Errors next to their fields.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors {
    numbers: Option<String>,
    groups: Option<String>,
    text: Option<String>,
    signature_id: Option<String>,
    send_at: Option<String>,
    form: Option<String>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.numbers.is_some()
            || self.groups.is_some()
            || self.text.is_some()
            || self.signature_id.is_some()
            || self.send_at.is_some()
            || self.form.is_some()
    }
}

/// A group in the picker.
struct GroupChoice {
    name: String,
    members: u64,
    checked: bool,
}

/// A signature in the picker.
struct SignatureChoice {
    id: i64,
    name: String,
    text: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "web/compose.html")]
struct ComposePage {
    l: Lang,
    chrome: Chrome,
    f: Fields,
    e: FieldErrors,
    groups: Vec<GroupChoice>,
    signatures: Vec<SignatureChoice>,
    templates: Vec<Snippet>,
    preview: Option<PreviewView>,
    saved: bool,
}

#[derive(Template)]
#[template(path = "web/compose_confirm.html")]
struct ConfirmPage {
    l: Lang,
    chrome: Chrome,
    f: Fields,
    p: PreviewView,
    when: String,
    signature: String,
}

/// A preview as the pages and the counter show it.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewView {
    /// Recipients accepted.
    pub accepted: usize,
    /// Refused numbers, each with its reason.
    pub rejected: Vec<Refused>,
    /// Repeats (sent once).
    pub duplicates: usize,
    /// Segments the whole job takes.
    pub total_segments: u64,
    /// Characters of the text (signature included, as the first carrier counts).
    pub chars: usize,
    /// Per carrier.
    pub carriers: Vec<CarrierView>,
}

/// A refused recipient.
#[derive(Debug, Clone, Serialize)]
pub struct Refused {
    /// As typed.
    pub input: String,
    /// Why, in words.
    pub reason: String,
}

/// One carrier's line of the counter.
#[derive(Debug, Clone, Serialize)]
pub struct CarrierView {
    /// The carrier's name in the page's language.
    pub carrier: String,
    /// `GSM 7-bit`-style coding name: ASCII, UCS-2, GBK.
    pub coding: String,
    /// Characters billed.
    pub chars: usize,
    /// Segments per message.
    pub segments: usize,
    /// Recipients through it.
    pub recipients: usize,
    /// Segments for them all.
    pub total_segments: u64,
    /// Why the text cannot go there.
    pub error: Option<String>,
}

fn carrier_name(c: crate::route::Carrier, lang: Lang) -> String {
    use crate::route::Carrier;
    let (zh, en) = match c {
        Carrier::Mobile => ("中国移动", "China Mobile"),
        Carrier::Telecom => ("中国电信", "China Telecom"),
        Carrier::Unicom => ("中国联通", "China Unicom"),
        Carrier::Broadnet => ("中国广电", "China Broadnet"),
    };
    lang.t(zh, en).to_owned()
}

fn coding_name(c: Option<&str>) -> String {
    match c {
        Some("ascii") => "ASCII".into(),
        Some("ucs2") => "UCS-2".into(),
        Some("gbk") => "GBK".into(),
        Some(other) => other.to_owned(),
        None => "—".into(),
    }
}

fn view(p: &Preview, lang: Lang) -> PreviewView {
    let rejected = p
        .recipients
        .iter()
        .filter_map(|r| {
            let reason = super::refusals::reason(r, lang)?;
            let input = match r {
                RecipientOutcome::Rejected { input, .. }
                | RecipientOutcome::Skipped { input, .. } => input.clone(),
                _ => return None,
            };
            Some(Refused { input, reason })
        })
        .collect();
    PreviewView {
        accepted: p.accepted,
        rejected,
        duplicates: p.duplicates,
        total_segments: p.total_segments,
        chars: p.carriers.first().map_or(0, |c| c.chars),
        carriers: p
            .carriers
            .iter()
            .map(|c| CarrierView {
                carrier: carrier_name(c.carrier, lang),
                coding: coding_name(c.coding.as_deref()),
                chars: c.chars,
                segments: c.segments,
                recipients: c.recipients,
                total_segments: c.total_segments,
                // The preview's reason is the API's English sentence: in Chinese, say
                // what it means for the writer (the details are on the English page).
                error: c.error.as_ref().map(|e| match lang {
                    Lang::En => e.clone(),
                    Lang::Zh => "短信内容无法经此运营商的通道发送（过长或含有无法编码的字符），请缩短或修改内容。"
                        .to_owned(),
                }),
            })
            .collect(),
    }
}

/// The page's pickers and the form around `f`.
async fn form_page(
    state: &WebState,
    viewer: &Viewer,
    uri: &Uri,
    f: Fields,
    e: FieldErrors,
    preview: Option<PreviewView>,
    saved: bool,
) -> Result<Response, WebError> {
    let groups: Vec<GroupView> = state.store.groups_list().await?;
    let signatures = state.store.snippets_list(SnippetKind::Signature).await?;
    let templates = state.store.snippets_list(SnippetKind::Template).await?;
    let groups = groups
        .into_iter()
        .map(|g| GroupChoice {
            checked: f.groups.contains(&g.name),
            name: g.name,
            members: g.members,
        })
        .collect();
    let signatures = signatures
        .into_iter()
        .map(|s| SignatureChoice {
            selected: f.signature_id == s.id.to_string(),
            id: s.id,
            name: s.name,
            text: s.text,
        })
        .collect();
    Ok(render(&ComposePage {
        l: viewer.lang,
        chrome: Chrome::for_viewer(viewer, uri),
        f,
        e,
        groups,
        signatures,
        templates,
        preview,
        saved,
    }))
}

/// `GET /compose` parameters: start from a draft or a template.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Start {
    /// A draft to edit and send.
    pub draft: Option<i64>,
    /// A template whose text to start from.
    pub template: Option<i64>,
    /// Set after a draft was saved.
    pub saved: Option<i64>,
}

/// Whether `viewer` may open draft `d`: its owner, or an admin.
fn owns(viewer: &Viewer, d: &DraftView) -> bool {
    viewer.role == Role::Admin || d.owner == Some(viewer.account_id)
}

/// `GET /compose`.
pub async fn page(
    viewer: Viewer,
    uri: Uri,
    State(state): State<WebState>,
    Query(q): Query<Start>,
) -> Result<Response, WebError> {
    let mut f = Fields::default();
    if let Some(id) = q.draft.or(q.saved) {
        let d = state.store.draft_get(id).await?.ok_or(WebError::NotFound)?;
        if !owns(&viewer, &d) {
            return Err(WebError::Forbidden);
        }
        f = Fields::from_draft(&d);
        if let Some(sig) = &d.signature {
            let sigs = state.store.snippets_list(SnippetKind::Signature).await?;
            if let Some(s) = sigs.iter().find(|s| &s.text == sig) {
                f.signature_id = s.id.to_string();
            }
        }
    }
    if let Some(id) = q.template {
        if let Some(t) = state.store.snippet_get(SnippetKind::Template, id).await? {
            f.text = t.text;
        }
    }
    form_page(
        &state,
        &viewer,
        &uri,
        f,
        FieldErrors::default(),
        None,
        q.saved.is_some(),
    )
    .await
}

/// The [`Compose`] of `f`, or the errors next to its fields.
async fn read(
    state: &WebState,
    viewer: &Viewer,
    f: &Fields,
    need_recipients: bool,
) -> Result<Result<Compose, FieldErrors>, WebError> {
    let l = viewer.lang;
    let mut e = FieldErrors::default();
    if f.text.trim().is_empty() {
        e.text = Some(
            l.t("请填写短信内容。", "Write the text of the message.")
                .into(),
        );
    }
    if need_recipients && compose::recipients(&f.numbers).is_empty() && f.groups.is_empty() {
        e.numbers = Some(
            l.t(
                "请填写至少一个号码，或选择一个分组。",
                "Type at least one number or pick a group.",
            )
            .into(),
        );
    }
    let mut signature = None;
    if !f.signature_id.trim().is_empty() {
        let found = match f.signature_id.trim().parse::<i64>() {
            Ok(id) => state.store.snippet_get(SnippetKind::Signature, id).await?,
            Err(_) => None,
        };
        match found {
            Some(s) => signature = Some(s.text),
            None => {
                e.signature_id = Some(
                    l.t(
                        "这个签名已不存在，请重新选择。",
                        "That signature no longer exists; pick another.",
                    )
                    .into(),
                )
            }
        }
    }
    let mut send_at = None;
    if !f.send_at.trim().is_empty() {
        match when::parse_local(&f.send_at) {
            Some(at) if at > state.now() => send_at = Some(at),
            Some(_) => {
                e.send_at = Some(
                    l.t(
                        "定时时间已过，请选一个将来的时间，或留空立即发送。",
                        "That time has passed; pick a later one, or leave it empty to send now.",
                    )
                    .into(),
                )
            }
            None => {
                e.send_at = Some(
                    l.t(
                        "时间格式不对，请写成 2026-12-07T15:00。",
                        "Write the time as 2026-12-07T15:00.",
                    )
                    .into(),
                )
            }
        }
    }
    if e.any() {
        return Ok(Err(e));
    }
    Ok(Ok(Compose {
        numbers: f.numbers.clone(),
        groups: f.groups.clone(),
        text: f.text.clone(),
        signature,
        send_at,
        idempotency_key: None,
        sender: Some(format!("web:{}", viewer.username)),
    }))
}

/// A planning error as the field error it is.
fn compose_error(e: ComposeError, lang: Lang) -> Result<FieldErrors, WebError> {
    let mut fe = FieldErrors::default();
    match e {
        ComposeError::UnknownGroups(g) => {
            fe.groups = Some(format!(
                "{}{}",
                lang.t("这些分组已不存在：", "These groups no longer exist: "),
                g.join("、")
            ));
        }
        ComposeError::Send(SendError::TooManyRecipients { given, max }) => {
            fe.numbers = Some(match lang {
                Lang::Zh => format!("共 {given} 个号码，一次最多 {max} 个，请分批发送。"),
                Lang::En => {
                    format!("{given} numbers; at most {max} in one message. Split the list.")
                }
            });
        }
        ComposeError::Send(SendError::EmptyText) => {
            fe.text = Some(
                lang.t("请填写短信内容。", "Write the text of the message.")
                    .into(),
            );
        }
        ComposeError::Send(SendError::NoRecipients) => {
            fe.numbers = Some(
                lang.t(
                    "请填写至少一个号码，或选择一个分组。",
                    "Type at least one number or pick a group.",
                )
                .into(),
            );
        }
        ComposeError::Send(SendError::ShuttingDown) => {
            fe.form = Some(
                lang.t(
                    "服务正在停止，没有发送。请稍后再试。",
                    "hongyan is shutting down; nothing was sent. Try again shortly.",
                )
                .into(),
            );
        }
        ComposeError::Send(other) => fe.form = Some(other.to_string()),
        ComposeError::Store(s) => return Err(WebError::Store(s)),
    }
    Ok(fe)
}

fn none_accepted(p: &PreviewView, lang: Lang) -> FieldErrors {
    FieldErrors {
        numbers: Some(
            lang.t(
                "没有一个号码可以发送，原因见下方列表。",
                "None of these numbers can be sent to; see the reasons below.",
            )
            .into(),
        ),
        text: p.carriers.iter().find_map(|c| c.error.clone()),
        ..FieldErrors::default()
    }
}

/// `POST /compose`: save a draft, or go on to the confirmation.
pub async fn submit(
    viewer: Viewer,
    uri: Uri,
    State(state): State<WebState>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let f = Fields::from_pairs(pairs);
    if f.action == "draft" {
        return save_draft(&state, &viewer, &uri, f).await;
    }
    if f.action == "edit" {
        // Back from the confirmation: the form as it was.
        let mut f = f;
        f.key.clear();
        return form_page(
            &state,
            &viewer,
            &uri,
            f,
            FieldErrors::default(),
            None,
            false,
        )
        .await;
    }
    let c = match read(&state, &viewer, &f, true).await? {
        Ok(c) => c,
        Err(e) => return form_page(&state, &viewer, &uri, f, e, None, false).await,
    };
    let preview = match compose::preview(&state.submitter, &c).await {
        Ok(p) => view(&p, viewer.lang),
        Err(e) => {
            let fe = compose_error(e, viewer.lang)?;
            return form_page(&state, &viewer, &uri, f, fe, None, false).await;
        }
    };
    if preview.accepted == 0 {
        let e = none_accepted(&preview, viewer.lang);
        return form_page(&state, &viewer, &uri, f, e, Some(preview), false).await;
    }
    let key = super::session::token::<16>()
        .map_err(|e| WebError::Internal(format!("random key: {e}")))?;
    let when = c
        .send_at
        .map_or_else(|| viewer.lang.t("立即发送", "Now").to_owned(), when::show);
    let mut f = f;
    f.key = key;
    Ok(render(&ConfirmPage {
        l: viewer.lang,
        chrome: Chrome::for_viewer(&viewer, &uri),
        signature: c.signature.clone().unwrap_or_else(|| {
            viewer
                .lang
                .t("（线路默认签名）", "(the link's own)")
                .to_owned()
        }),
        f,
        p: preview,
        when,
    }))
}

/// `POST /compose/send`: the confirmation's button. The one-time key makes a repeat
/// the same job.
pub async fn send(
    viewer: Viewer,
    uri: Uri,
    State(state): State<WebState>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let f = Fields::from_pairs(pairs);
    let key = f.key.trim();
    if key.len() < 16 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(WebError::bad_request(
            "确认页已失效，请重新预览后再发送。",
            "The confirmation is missing; preview the message again, then send.",
        ));
    }
    let mut c = match read(&state, &viewer, &f, true).await? {
        Ok(c) => c,
        Err(e) => return form_page(&state, &viewer, &uri, f, e, None, false).await,
    };
    // Per account: one account's key cannot name another's job.
    c.idempotency_key = Some(format!("web:{}:{key}", viewer.account_id));
    let out = match compose::send(&state.submitter, &c).await {
        Ok(o) => o,
        Err(e) => {
            let fe = compose_error(e, viewer.lang)?;
            return form_page(&state, &viewer, &uri, f, fe, None, false).await;
        }
    };
    let Some(job) = out.job else {
        let p = compose::preview(&state.submitter, &c)
            .await
            .map(|p| view(&p, viewer.lang))
            .ok();
        let e = p
            .as_ref()
            .map_or_else(FieldErrors::default, |p| none_accepted(p, viewer.lang));
        return form_page(&state, &viewer, &uri, f, e, p, false).await;
    };
    // A draft that was sent has done its job.
    if let Ok(id) = f.draft_id.trim().parse::<i64>() {
        if let Some(d) = state.store.draft_get(id).await? {
            if owns(&viewer, &d) && job.created {
                state.store.draft_delete(id).await?;
            }
        }
    }
    let mut res = Redirect::to(&format!("/outbox/{}", job.job_id)).into_response();
    let detail = if job.created {
        format!(
            "sent job {} to {} recipients ({} refused)",
            job.job_id,
            out.accepted(),
            out.recipients.len() - out.accepted()
        )
    } else {
        format!(
            "repeated confirmation of job {} (not sent again)",
            job.job_id
        )
    };
    res.extensions_mut().insert(Detail(detail));
    Ok(res)
}

async fn save_draft(
    state: &WebState,
    viewer: &Viewer,
    uri: &Uri,
    f: Fields,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let existing = match f.draft_id.trim() {
        "" => None,
        id => {
            let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
            let d = state.store.draft_get(id).await?.ok_or(WebError::NotFound)?;
            if !owns(viewer, &d) {
                return Err(WebError::Forbidden);
            }
            Some(id)
        }
    };
    // A draft may be unfinished: only what cannot be stored is refused.
    let c = match read(state, viewer, &f, false).await? {
        Ok(c) => c,
        Err(mut e) => {
            e.text = None;
            if e.any() {
                return form_page(state, viewer, uri, f, e, None, false).await;
            }
            Compose::default()
        }
    };
    let title = if f.title.trim().is_empty() {
        f.text.chars().take(20).collect::<String>()
    } else {
        f.title.clone()
    };
    let draft = NewDraft {
        title,
        text: f.text.clone(),
        signature: c.signature,
        groups: f.groups.clone(),
        send_at: c.send_at,
        numbers: compose::recipients(&f.numbers),
        owner: Some(viewer.account_id),
    };
    let id = match state.store.draft_save(existing, draft, state.now()).await {
        Ok(id) => id,
        Err(crate::store::StoreError::Invalid { what, reason }) => {
            let e = FieldErrors {
                form: Some(format!(
                    "{}{what}: {reason}",
                    l.t("草稿没有保存：", "The draft was not saved: ")
                )),
                ..FieldErrors::default()
            };
            return form_page(state, viewer, uri, f, e, None, false).await;
        }
        Err(e) => return Err(e.into()),
    };
    let mut res = Redirect::to(&format!("/compose?saved={id}")).into_response();
    res.extensions_mut()
        .insert(Detail(format!("saved draft {id}")));
    Ok(res)
}

/// `GET /compose/preview`: the live counter's figures as JSON (`compose.js`).
pub async fn preview(
    viewer: Viewer,
    State(state): State<WebState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let f = Fields::from_pairs(pairs);
    let signature = match f.signature_id.trim().parse::<i64>() {
        Ok(id) => state
            .store
            .snippet_get(SnippetKind::Signature, id)
            .await?
            .map(|s| s.text),
        Err(_) => None,
    };
    let c = Compose {
        numbers: f.numbers,
        groups: f.groups,
        text: f.text,
        signature,
        ..Compose::default()
    };
    match compose::preview(&state.submitter, &c).await {
        Ok(p) => Ok(Json(view(&p, viewer.lang)).into_response()),
        Err(e) => {
            let fe = compose_error(e, viewer.lang)?;
            let message = fe
                .groups
                .or(fe.numbers)
                .or(fe.text)
                .or(fe.form)
                .unwrap_or_default();
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                Json(serde_json::json!({ "error": message })),
            )
                .into_response())
        }
    }
}

/// `GET /compose/contacts` parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContactSearch {
    /// Name or number containing this.
    pub q: String,
}

/// Contacts offered by the picker at most.
const CONTACT_MATCHES: usize = 10;

/// `GET /compose/contacts?q=…`: contacts whose name or number contains `q`, for the
/// compose page's contact picker (`compose.js` adds the picked number to the list).
pub async fn contacts(
    _viewer: Viewer,
    State(state): State<WebState>,
    Query(q): Query<ContactSearch>,
) -> Result<Response, WebError> {
    let q = q.q.trim().to_owned();
    if q.is_empty() {
        return Ok(Json(serde_json::json!({ "contacts": [] })).into_response());
    }
    let page = state
        .store
        .contacts_list(None, Some(q), CONTACT_MATCHES, 0)
        .await?;
    let found: Vec<serde_json::Value> = page
        .contacts
        .iter()
        .map(|c| serde_json::json!({ "name": c.name, "phone": c.phone }))
        .collect();
    Ok(Json(serde_json::json!({ "contacts": found })).into_response())
}
