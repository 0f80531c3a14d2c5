//! 审批: approval requests on the console — create one with stages and approvers picked
//! from the contacts (nobody types a number), the lists "waiting for me" (the viewer's
//! account number) and all the viewer may see, a request's timeline, the decision of an
//! approver logged in (their own pending step only), and the resend to approvers who
//! have not answered. Everything goes through the workflow's operations — the same
//! rules as a decision by SMS or through the API ([`Workflow::decide_on_web`],
//! [`Workflow::create_approval`], [`Workflow::resend`]).
//!
//! Who sees what: an admin every request; staff the requests they created and those
//! they are an approver in; an approver those they are an approver in. Only an admin or
//! the creator resends.
//!
//! The new-request form works without JavaScript: one form whose buttons (`action`)
//! search contacts, add a found contact to a stage or as the applicant, remove one, add
//! a stage, or create; what is chosen so far travels in hidden fields.
//!
//! [`Workflow::decide_on_web`]: crate::workflow::Workflow::decide_on_web
//! [`Workflow::create_approval`]: crate::workflow::Workflow::create_approval
//! [`Workflow::resend`]: crate::workflow::Workflow::resend

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::audit::Detail;
use super::error::WebError;
use super::lang::Lang;
use super::layout::Chrome;
use super::page_kit::{token, when};
use super::session::Viewer;
use super::state::WebState;
use super::{Role, render, render_status};
use crate::store::{
    ApprovalScope, ApprovalState, ApprovalView, ContactQuery, ContactView, DecideOutcome, Decision,
    StageRule, StepState, TimelineEntry, Window,
};
use crate::workflow::{ApprovalRequest, StageRequest, WorkflowError};

const PAGE: usize = 30;
/// Most stages a form builds.
const MAX_STAGES: usize = 10;

fn state_words(s: ApprovalState, l: Lang) -> &'static str {
    match s {
        ApprovalState::Pending => l.t("审批中", "pending"),
        ApprovalState::Approved => l.t("已通过", "approved"),
        ApprovalState::Rejected => l.t("已驳回", "rejected"),
        ApprovalState::Expired => l.t("已过期", "expired"),
    }
}

fn step_words(s: StepState, l: Lang) -> &'static str {
    match s {
        StepState::Waiting => l.t("未开始", "waiting"),
        StepState::Pending => l.t("待审批", "pending"),
        StepState::Approved => l.t("同意", "approved"),
        StepState::Rejected => l.t("驳回", "rejected"),
        StepState::Skipped => l.t("无需审批", "skipped"),
    }
}

/// One request in a list.
struct ListRow {
    id: i64,
    title: String,
    applicant: String,
    state: String,
    state_words: &'static str,
    stage: String,
    created: String,
}

fn list_row(v: &ApprovalView, l: Lang) -> ListRow {
    ListRow {
        id: v.id,
        title: v.title.clone(),
        applicant: v.applicant.name.clone(),
        state: v.state.to_string(),
        state_words: state_words(v.state, l),
        stage: format!("{}/{}", v.stage + 1, v.stages),
        created: when(v.created_at),
    }
}

#[derive(Template)]
#[template(path = "web/approvals.html")]
struct ListPage {
    l: Lang,
    chrome: Chrome,
    waiting: Vec<ListRow>,
    has_phone: bool,
    all: Vec<ListRow>,
    next_href: Option<String>,
    can_create: bool,
}

/// What "all" means for a viewer (see the module docs); `None`: nothing.
fn scope_of(viewer: &Viewer) -> Option<ApprovalScope> {
    match (viewer.role, &viewer.phone) {
        (Role::Admin, _) => Some(ApprovalScope::All),
        (Role::Staff, _) => Some(ApprovalScope::CreatedBy(viewer.account_id)),
        (Role::Approver, Some(p)) => Some(ApprovalScope::Approver(p.clone())),
        (Role::Approver, None) => None,
    }
}

/// `GET /approvals?before=`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    before: String,
}

/// `GET /approvals`.
pub async fn list(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let waiting = match &viewer.phone {
        Some(p) => {
            st.store
                .approvals_in(
                    ApprovalScope::WaitingFor(p.clone()),
                    Window {
                        before: None,
                        limit: 100,
                    },
                )
                .await?
                .items
        }
        None => Vec::new(),
    };
    let (all, next) = match scope_of(&viewer) {
        Some(scope) => {
            let page = st
                .store
                .approvals_in(
                    scope,
                    Window {
                        before: q.before.parse().ok(),
                        limit: PAGE,
                    },
                )
                .await?;
            (page.items, page.next_before)
        }
        None => (Vec::new(), None),
    };
    Ok(render(&ListPage {
        chrome: Chrome::for_viewer(&viewer, &uri),
        waiting: waiting.iter().map(|v| list_row(v, l)).collect(),
        has_phone: viewer.phone.is_some(),
        all: all.iter().map(|v| list_row(v, l)).collect(),
        next_href: next.map(|b| format!("/approvals?before={b}")),
        can_create: viewer.role >= Role::Staff,
        l,
    }))
}

/// The new-request form as posted: what is chosen so far, and the button pressed.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    title: String,
    details: String,
    /// The applicant: a contact id, or `me` (the viewer's own account number).
    applicant: String,
    /// Per stage: its rule and its approvers' contact ids.
    stages: Vec<(StageRule, Vec<i64>)>,
    find: String,
    key: String,
    action: String,
}

impl Draft {
    /// Reads the posted fields (`stage_N` = ids comma separated, `rule_N` = all|any).
    fn from_fields(fields: &[(String, String)]) -> Self {
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let n: usize = get("stages").parse().unwrap_or(1).clamp(1, MAX_STAGES);
        let stages = (1..=n)
            .map(|i| {
                let rule = if get(&format!("rule_{i}")) == "any" {
                    StageRule::Any
                } else {
                    StageRule::All
                };
                let ids = get(&format!("stage_{i}"))
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect();
                (rule, ids)
            })
            .collect();
        Self {
            title: get("title"),
            details: get("details"),
            applicant: get("applicant"),
            stages,
            find: get("find"),
            key: get("key"),
            action: get("action"),
        }
    }

    /// Applies a button that edits the form (not `search` / `create`).
    fn apply(&mut self) {
        let parts: Vec<&str> = self.action.split(':').collect();
        match parts.as_slice() {
            ["add", stage, id] => {
                if let (Ok(s), Ok(id)) = (stage.parse::<usize>(), id.parse::<i64>()) {
                    if let Some((_, ids)) = self.stages.get_mut(s.wrapping_sub(1)) {
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                }
            }
            ["remove", stage, id] => {
                if let (Ok(s), Ok(id)) = (stage.parse::<usize>(), id.parse::<i64>()) {
                    if let Some((_, ids)) = self.stages.get_mut(s.wrapping_sub(1)) {
                        ids.retain(|x| *x != id);
                    }
                }
            }
            ["applicant", id] => self.applicant = (*id).to_owned(),
            ["add_stage"] if self.stages.len() < MAX_STAGES => {
                self.stages.push((StageRule::All, Vec::new()));
            }
            ["remove_stage"] if self.stages.len() > 1 => {
                self.stages.pop();
            }
            _ => {}
        }
    }
}

/// A stage as the form shows it.
struct StageView {
    n: usize,
    any: bool,
    ids: String,
    approvers: Vec<ContactView>,
}

#[derive(Template)]
#[template(path = "web/approval_new.html")]
struct NewPage {
    l: Lang,
    chrome: Chrome,
    draft: Draft,
    stages: Vec<StageView>,
    applicant_name: Option<String>,
    viewer_phone: Option<String>,
    found: Vec<ContactView>,
    error: Option<(String, String)>,
}

impl NewPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, t)| t.as_str())
    }
}

async fn new_page(
    st: &WebState,
    viewer: &Viewer,
    uri: &Uri,
    mut draft: Draft,
    error: Option<(String, String)>,
) -> Result<Response, WebError> {
    let mut stages = Vec::with_capacity(draft.stages.len());
    for (i, (rule, ids)) in draft.stages.iter().enumerate() {
        let approvers = st.store.contacts_by_ids(ids.clone()).await?;
        stages.push(StageView {
            n: i + 1,
            any: *rule == StageRule::Any,
            ids: approvers
                .iter()
                .map(|c| c.id.to_string())
                .collect::<Vec<_>>()
                .join(","),
            approvers,
        });
    }
    let applicant_name = match draft.applicant.as_str() {
        "" => None,
        "me" => Some(viewer.username.clone()),
        id => match id.parse::<i64>() {
            Ok(id) => st
                .store
                .contacts_by_ids(vec![id])
                .await?
                .into_iter()
                .next()
                .map(|c| format!("{} {}", c.name, c.phone)),
            Err(_) => None,
        },
    };
    let found = match draft.find.trim() {
        "" => Vec::new(),
        f => {
            st.store
                .contacts_page(
                    ContactQuery {
                        search: Some(f.to_owned()),
                        group: None,
                    },
                    None,
                    20,
                )
                .await?
                .items
        }
    };
    if draft.key.is_empty() {
        draft.key = token();
    }
    let page = NewPage {
        l: viewer.lang,
        chrome: Chrome::for_viewer(viewer, uri),
        draft,
        stages,
        applicant_name,
        viewer_phone: viewer.phone.clone(),
        found,
        error,
    };
    Ok(if page.error.is_some() {
        render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        render(&page)
    })
}

/// `GET /approvals/new`.
pub async fn new_form(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
) -> Result<Response, WebError> {
    let draft = Draft {
        stages: vec![(StageRule::All, Vec::new())],
        applicant: if viewer.phone.is_some() {
            "me".into()
        } else {
            String::new()
        },
        ..Draft::default()
    };
    new_page(&st, &viewer, &uri, draft, None).await
}

/// The form field a workflow refusal is about (its field path, e.g.
/// `stages[1].approvers[0].phone` → `stage_2`).
fn field_of(path: &str) -> String {
    if let Some(rest) = path.strip_prefix("stages[") {
        if let Some(i) = rest.split(']').next().and_then(|i| i.parse::<usize>().ok()) {
            return format!("stage_{}", i + 1);
        }
    }
    if path.starts_with("applicant") {
        return "applicant".into();
    }
    path.split(['.', '[']).next().unwrap_or(path).to_owned()
}

/// `POST /approvals/new`: edits the form, or creates the request (`action=create`).
pub async fn create(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let mut draft = Draft::from_fields(&fields);
    if draft.action != "create" {
        draft.apply();
        return new_page(&st, &viewer, &uri, draft, None).await;
    }
    let refuse = |field: &str, zh: &str, en: &str| Some((field.to_owned(), l.t(zh, en).to_owned()));
    if draft.title.trim().is_empty() {
        let e = refuse("title", "请填写标题", "give a title");
        return new_page(&st, &viewer, &uri, draft, e).await;
    }
    let applicant = match draft.applicant.as_str() {
        "me" => viewer.phone.clone().map(|p| crate::store::Approver {
            name: viewer.username.clone(),
            phone: p,
        }),
        id => match id.parse::<i64>() {
            Ok(id) => st
                .store
                .contacts_by_ids(vec![id])
                .await?
                .into_iter()
                .next()
                .map(|c| crate::store::Approver {
                    name: c.name,
                    phone: c.phone,
                }),
            Err(_) => None,
        },
    };
    let Some(applicant) = applicant else {
        let e = refuse(
            "applicant",
            "请从通讯录中选择申请人（审批结果会短信通知他）",
            "pick the applicant from the contacts (they are told the outcome by SMS)",
        );
        return new_page(&st, &viewer, &uri, draft, e).await;
    };
    let mut stages = Vec::with_capacity(draft.stages.len());
    for (i, (rule, ids)) in draft.stages.iter().enumerate() {
        let approvers = st.store.contacts_by_ids(ids.clone()).await?;
        if approvers.is_empty() {
            let e = Some((
                format!("stage_{}", i + 1),
                format!(
                    "{} {}",
                    l.t("请为这一级选择审批人：第", "pick an approver for stage"),
                    i + 1
                ),
            ));
            return new_page(&st, &viewer, &uri, draft, e).await;
        }
        stages.push(StageRequest {
            rule: *rule,
            approvers: approvers
                .into_iter()
                .map(|c| crate::store::Approver {
                    name: c.name,
                    phone: c.phone,
                })
                .collect(),
        });
    }
    let req = ApprovalRequest {
        title: draft.title.trim().to_owned(),
        applicant,
        details: draft.details.trim().to_owned(),
        stages,
        expires_at: None,
        idempotency_key: Some(format!(
            "console:approval:{}:{}",
            viewer.account_id, draft.key
        )),
    };
    match st.workflow.create_approval(req).await {
        Ok(created) => {
            st.store
                .approval_set_owner(created.approval_id, viewer.account_id)
                .await?;
            let id = created.approval_id;
            let mut res = Redirect::to(&format!("/approvals/{id}")).into_response();
            res.extensions_mut().insert(Detail(format!(
                "created approval {id} with {} stages",
                draft.stages.len()
            )));
            Ok(res)
        }
        Err(
            WorkflowError::Invalid { field, reason } | WorkflowError::BadNumber { field, reason },
        ) => {
            let e = Some((
                field_of(&field),
                format!("{}{reason}", l.t("无法创建：", "cannot create: ")),
            ));
            new_page(&st, &viewer, &uri, draft, e).await
        }
        Err(WorkflowError::Store(e)) => Err(e.into()),
        Err(e) => Err(WebError::Internal(e.to_string())),
    }
}

/// May `viewer` see request `v`?
async fn may_see(st: &WebState, viewer: &Viewer, v: &ApprovalView) -> Result<bool, WebError> {
    if viewer.role == Role::Admin {
        return Ok(true);
    }
    let approver = viewer
        .phone
        .as_ref()
        .is_some_and(|p| v.steps.iter().any(|s| &s.approver.phone == p));
    if approver {
        return Ok(true);
    }
    Ok(viewer.role == Role::Staff
        && st.store.approval_owner(v.id).await? == Some(viewer.account_id))
}

/// One timeline entry as shown.
struct EntryView {
    kind: &'static str,
    at: String,
    text: String,
}

fn entry_view(e: &TimelineEntry, l: Lang) -> EntryView {
    let (kind, text) = match e {
        TimelineEntry::Created { .. } => ("created", l.t("创建申请", "request created").to_owned()),
        TimelineEntry::Asked {
            approver,
            phone,
            extension,
            job_id,
            state,
            nth,
            reminder,
            ..
        } => {
            let what = if *reminder {
                l.t("催办短信", "reminder SMS")
            } else if *nth == 0 {
                l.t("审批短信", "approval SMS")
            } else {
                l.t("重发审批短信", "approval SMS again")
            };
            let ext = extension
                .as_deref()
                .map(|x| format!("，{}{x}", l.t("扩展号 ", "extension ")))
                .unwrap_or_default();
            (
                "asked",
                format!(
                    "{what} → {approver}（{phone}）{ext}，{} #{job_id}：{}",
                    l.t("任务", "job"),
                    state.as_str()
                ),
            )
        }
        TimelineEntry::Reply {
            sender,
            text,
            decided,
            ..
        } => (
            "reply",
            format!(
                "{} {sender}：“{text}”{}",
                l.t("短信回复", "SMS reply from"),
                if *decided {
                    ""
                } else {
                    l.t(
                        "（无法识别，已请对方重新回复）",
                        " (not understood; asked again)",
                    )
                }
            ),
        ),
        TimelineEntry::Decided {
            approver,
            state,
            via,
            comment,
            ..
        } => {
            let via = match via.as_deref() {
                Some("sms") => l.t("短信", "by SMS"),
                Some("web") => l.t("网页", "on the web"),
                Some("api") => l.t("接口", "through the API"),
                _ => "",
            };
            let comment = comment
                .as_deref()
                .map(|c| format!("：{c}"))
                .unwrap_or_default();
            (
                "decided",
                format!("{approver} {}（{via}）{comment}", step_words(*state, l)),
            )
        }
        TimelineEntry::Outcome { state, .. } => (
            "outcome",
            format!("{}{}", l.t("结果：", "outcome: "), state_words(*state, l)),
        ),
        TimelineEntry::ApplicantTold { job_id, state, .. } => (
            "told",
            format!(
                "{} #{job_id}：{}",
                l.t("已短信通知申请人，任务", "applicant told by SMS, job"),
                state.as_str()
            ),
        ),
    };
    EntryView {
        kind,
        at: when(e.at()),
        text,
    }
}

/// A step as the detail page shows it.
struct StepRow {
    id: i64,
    stage: u32,
    rule: &'static str,
    name: String,
    phone: String,
    state: String,
    state_words: &'static str,
    extension: String,
    mine: bool,
}

#[derive(Template)]
#[template(path = "web/approval.html")]
struct DetailPage {
    l: Lang,
    chrome: Chrome,
    id: i64,
    title: String,
    applicant: String,
    details: String,
    state: String,
    state_words: &'static str,
    expires: String,
    steps: Vec<StepRow>,
    timeline: Vec<EntryView>,
    /// The viewer's own pending step, if any: they may decide it here.
    my_step: Option<i64>,
    can_resend: bool,
    notice: Option<String>,
}

/// `GET /approvals/{id}?done=`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    done: String,
}

/// `GET /approvals/{id}`.
pub async fn detail(
    viewer: Viewer,
    uri: Uri,
    State(st): State<WebState>,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, WebError> {
    let l = viewer.lang;
    let Some((view, timeline)) = st.store.approval_timeline(id).await? else {
        return Err(WebError::NotFound);
    };
    if !may_see(&st, &viewer, &view).await? {
        return Err(WebError::Forbidden);
    }
    let mine = |phone: &str| viewer.phone.as_deref() == Some(phone);
    let my_step = view
        .steps
        .iter()
        .find(|s| s.state == StepState::Pending && mine(&s.approver.phone))
        .filter(|_| view.state == ApprovalState::Pending)
        .map(|s| s.id);
    let can_resend = view.state == ApprovalState::Pending
        && (viewer.role == Role::Admin
            || (viewer.role == Role::Staff
                && st.store.approval_owner(id).await? == Some(viewer.account_id)));
    let notice = match q.done.as_str() {
        "decided" => Some(l.t("已记录您的决定。", "Your decision is recorded.")),
        "not_open" => Some(l.t(
            "这一步已不能再审批（已决定、已跳过或申请已结束）。",
            "This step takes no decision now (decided, skipped, or the request ended).",
        )),
        "resent" => Some(l.t(
            "已重新发送审批短信给尚未答复的审批人。",
            "The approval SMS goes again to those who have not answered.",
        )),
        _ => None,
    }
    .map(str::to_owned);
    Ok(render(&DetailPage {
        chrome: Chrome::for_viewer(&viewer, &uri),
        id,
        title: view.title.clone(),
        applicant: format!("{} {}", view.applicant.name, view.applicant.phone),
        details: view.details.clone(),
        state: view.state.to_string(),
        state_words: state_words(view.state, l),
        expires: when(view.expires_at),
        steps: view
            .steps
            .iter()
            .map(|s| StepRow {
                id: s.id,
                stage: s.stage + 1,
                rule: match s.rule {
                    StageRule::All => l.t("全部同意", "all must approve"),
                    StageRule::Any => l.t("任一同意", "any one approves"),
                },
                name: s.approver.name.clone(),
                phone: s.approver.phone.clone(),
                state: s.state.to_string(),
                state_words: step_words(s.state, l),
                extension: s.extension.clone().unwrap_or_default(),
                mine: mine(&s.approver.phone),
            })
            .collect(),
        timeline: timeline.iter().map(|e| entry_view(e, l)).collect(),
        my_step,
        can_resend,
        notice,
        l,
    }))
}

/// The decide form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecideForm {
    step: String,
    /// `approve` or `reject`.
    decision: String,
    comment: String,
}

/// `POST /approvals/{id}/decide`: the viewer's own pending step, through the workflow.
pub async fn decide(
    viewer: Viewer,
    State(st): State<WebState>,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Result<Response, WebError> {
    let Some(view) = st.workflow.approval(id).await.map_err(workflow_error)? else {
        return Err(WebError::NotFound);
    };
    let step_id: i64 = f.step.parse().map_err(|_| WebError::NotFound)?;
    let Some(step) = view.steps.iter().find(|s| s.id == step_id) else {
        return Err(WebError::NotFound);
    };
    // Only the approver of this step, by the account's number.
    if viewer.phone.as_deref() != Some(step.approver.phone.as_str()) {
        return Err(WebError::Forbidden);
    }
    let decision = match f.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        _ => {
            return Err(WebError::BadRequest {
                zh: "请选择同意或驳回".into(),
                en: "choose approve or reject".into(),
            });
        }
    };
    let comment = Some(f.comment.trim().to_owned()).filter(|c| !c.is_empty());
    let outcome = st
        .workflow
        .decide_on_web(step_id, decision, comment)
        .await
        .map_err(workflow_error)?;
    let done = if matches!(outcome, DecideOutcome::NotOpen { .. }) {
        "not_open"
    } else {
        "decided"
    };
    let mut res = Redirect::to(&format!("/approvals/{id}?done={done}")).into_response();
    res.extensions_mut().insert(Detail(format!(
        "decided step {step_id} of approval {id} on the web: {decision:?} → {outcome}"
    )));
    Ok(res)
}

fn workflow_error(e: WorkflowError) -> WebError {
    match e {
        WorkflowError::NotFound { .. } => WebError::NotFound,
        WorkflowError::Store(s) => WebError::Store(s),
        other => WebError::Internal(other.to_string()),
    }
}

/// `POST /approvals/{id}/resend`: the creator or an admin asks the silent approvers of
/// the open stage again.
pub async fn resend(
    viewer: Viewer,
    State(st): State<WebState>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let owner = st.store.approval_owner(id).await?;
    if viewer.role != Role::Admin && owner != Some(viewer.account_id) {
        return Err(WebError::Forbidden);
    }
    let n = match st.workflow.resend(id).await {
        Ok(n) => n,
        Err(WorkflowError::Store(crate::store::StoreError::ApprovalClosed { .. })) => {
            return Ok(Redirect::to(&format!("/approvals/{id}?done=not_open")).into_response());
        }
        Err(e) => return Err(workflow_error(e)),
    };
    let mut res = Redirect::to(&format!("/approvals/{id}?done=resent")).into_response();
    res.extensions_mut().insert(Detail(format!(
        "resent the approval SMS of approval {id} to {n} approvers"
    )));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_form_keeps_its_stages_and_applies_its_buttons() {
        let mut d = Draft::from_fields(&fields(&[
            ("title", "出差"),
            ("stages", "2"),
            ("stage_1", "3,4"),
            ("rule_1", "any"),
            ("stage_2", ""),
            ("action", "add:2:7"),
        ]));
        d.apply();
        assert_eq!(d.stages[0], (StageRule::Any, vec![3, 4]));
        assert_eq!(d.stages[1], (StageRule::All, vec![7]));
        d.action = "add:2:7".into();
        d.apply();
        assert_eq!(d.stages[1].1, [7], "added once");
        d.action = "remove:1:3".into();
        d.apply();
        assert_eq!(d.stages[0].1, [4]);
        d.action = "add:9:1".into();
        d.apply();
        assert_eq!(d.stages.len(), 2, "no such stage: nothing happens");
        d.action = "add_stage".into();
        d.apply();
        assert_eq!(d.stages.len(), 3);
        d.action = "applicant:5".into();
        d.apply();
        assert_eq!(d.applicant, "5");
        assert_eq!(field_of("stages[1].approvers[0].phone"), "stage_2");
        assert_eq!(field_of("applicant.phone"), "applicant");
        assert_eq!(field_of("title"), "title");
    }
}
