//! Approvals as the console shows them (审批): who created a request on the console
//! (staff see the ones they created), the requests an approver is asked in ("waiting
//! for me" and all of theirs), and a request's timeline — every approval SMS with when,
//! from which extension and what became of it, each reply with its text, the decisions,
//! and the outcome told to the applicant.
//!
//! The timeline is read from what the workflow already keeps: its SMS are ordinary jobs
//! whose idempotency keys name the step and the ask (`hongyan:approval-step:{step}:ask:{n}`,
//! `hongyan:approval:{id}:outcome`, see `workflow/approvals.rs`), found by a range seek
//! on the unique key index; replies are inbox rows matched to a step (`inbox_item`).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::approvals::{ApprovalView, StepState, approval_get};
use super::error::Result;
use super::handle::StoreHandle;
use super::lists::{ItemFilter, ItemTable, Page, Window, item_ids};
use super::model::Millis;
use super::read::job_state_of;
use super::state::JobState;

/// Whose approval requests a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalScope {
    /// Every request.
    All,
    /// Those this console account created.
    CreatedBy(i64),
    /// Those this number (normalised) is an approver in.
    Approver(String),
    /// Those waiting for this number's answer now (its step is pending).
    WaitingFor(String),
}

/// One entry of a request's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TimelineEntry {
    /// The request was created.
    Created {
        /// When.
        at: Millis,
    },
    /// An approval SMS was queued for an approver.
    Asked {
        /// When it was queued.
        at: Millis,
        /// The step.
        step_id: i64,
        /// The approver's name.
        approver: String,
        /// The approver's number.
        phone: String,
        /// The extension it was sent from (replies to it reach the step).
        extension: Option<String>,
        /// Its job.
        job_id: i64,
        /// What became of it.
        state: JobState,
        /// 0 for the first ask; later ones are resends or reminders.
        nth: u32,
        /// True when this one was the reminder to a silent approver.
        reminder: bool,
    },
    /// A reply from an approver (a decision, or text that could not be read as one).
    Reply {
        /// When it arrived.
        at: Millis,
        /// The step it was matched to.
        step_id: i64,
        /// The sender as the gateway gave it.
        sender: String,
        /// What they wrote.
        text: String,
        /// The inbox message.
        inbox_id: i64,
        /// False when it could not be read as approve / reject (they were asked again).
        decided: bool,
    },
    /// A step was decided.
    Decided {
        /// When.
        at: Millis,
        /// The step.
        step_id: i64,
        /// The approver's name.
        approver: String,
        /// Approved or rejected.
        state: StepState,
        /// `sms`, `api` or `web`.
        via: Option<String>,
        /// The comment given.
        comment: Option<String>,
    },
    /// The request ended (approved, rejected or expired).
    Outcome {
        /// When.
        at: Millis,
        /// How it ended.
        state: super::approvals::ApprovalState,
    },
    /// The applicant was sent the outcome.
    ApplicantTold {
        /// When it was queued.
        at: Millis,
        /// Its job.
        job_id: i64,
        /// What became of it.
        state: JobState,
    },
}

impl TimelineEntry {
    /// When it happened.
    pub const fn at(&self) -> Millis {
        match self {
            Self::Created { at }
            | Self::Asked { at, .. }
            | Self::Reply { at, .. }
            | Self::Decided { at, .. }
            | Self::Outcome { at, .. }
            | Self::ApplicantTold { at, .. } => *at,
        }
    }
}

/// Jobs whose idempotency key starts with `prefix`, by key: (id, created_at, source_ext).
fn jobs_keyed(c: &Connection, prefix: &str) -> Result<Vec<(i64, Millis, Option<String>, String)>> {
    // A range on the unique key index: every key that starts with the prefix sorts at or
    // after it and before the prefix with its last byte (':') raised by one.
    let mut upper = prefix.to_owned();
    upper.pop();
    upper.push(';');
    let rows = c
        .prepare_cached(
            "SELECT id, created_at, source_ext, idempotency_key FROM jobs
             WHERE idempotency_key >= ?1 AND idempotency_key < ?2",
        )?
        .query_map(params![prefix, upper], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// A request's timeline, oldest first; `None` for an unknown request.
pub(crate) fn approval_timeline(
    c: &Connection,
    id: i64,
) -> Result<Option<(ApprovalView, Vec<TimelineEntry>)>> {
    let Some(view) = approval_get(c, id)? else {
        return Ok(None);
    };
    let mut out = vec![TimelineEntry::Created {
        at: view.created_at,
    }];
    let mut reminded = c.prepare_cached("SELECT reminded_at FROM approval_steps WHERE id = ?1")?;
    for step in &view.steps {
        let reminded_at: Option<Millis> = reminded
            .query_row([step.id], |r| r.get(0))
            .optional()?
            .flatten();
        let mut asks = jobs_keyed(c, &format!("hongyan:approval-step:{}:ask:", step.id))?;
        asks.sort_by_key(|a| a.0);
        let mut reminder_seen = false;
        for (nth, (job_id, at, ext, _)) in asks.into_iter().enumerate() {
            let reminder = !reminder_seen && nth > 0 && reminded_at.is_some_and(|r| at >= r);
            reminder_seen |= reminder;
            out.push(TimelineEntry::Asked {
                at,
                step_id: step.id,
                approver: step.approver.name.clone(),
                phone: step.approver.phone.clone(),
                extension: ext.or_else(|| step.extension.clone()),
                job_id,
                state: job_state_of(c, job_id)?,
                nth: u32::try_from(nth).unwrap_or(u32::MAX),
                reminder,
            });
        }
        let mut replies = c.prepare_cached(
            "SELECT id, sender, text, received_at, route FROM inbox WHERE item_id = ?1
             ORDER BY id",
        )?;
        let rows = replies
            .query_map([step.id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Millis>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (inbox_id, sender, text, at, route) in rows {
            out.push(TimelineEntry::Reply {
                at,
                step_id: step.id,
                sender,
                text,
                inbox_id,
                decided: route.as_deref() == Some("approval_step"),
            });
        }
        if let (Some(at), StepState::Approved | StepState::Rejected) = (step.decided_at, step.state)
        {
            out.push(TimelineEntry::Decided {
                at,
                step_id: step.id,
                approver: step.approver.name.clone(),
                state: step.state,
                via: step.decided_via.clone(),
                comment: step.comment.clone(),
            });
        }
    }
    if let Some(at) = view.decided_at {
        out.push(TimelineEntry::Outcome {
            at,
            state: view.state,
        });
    }
    for (job_id, at, _, key) in jobs_keyed(c, &format!("hongyan:approval:{id}:"))? {
        if key.ends_with(":outcome") {
            out.push(TimelineEntry::ApplicantTold {
                at,
                job_id,
                state: job_state_of(c, job_id)?,
            });
        }
    }
    // Stable: at the same millisecond the order above (ask, reply, decision) stays.
    out.sort_by_key(TimelineEntry::at);
    Ok(Some((view, out)))
}

/// Ids of the requests in `scope`, newest first.
pub(crate) fn approval_ids(c: &Connection, scope: &ApprovalScope, w: Window) -> Result<Page<i64>> {
    let (sql, arg) = match scope {
        ApprovalScope::All => {
            return item_ids(c, ItemTable::Approvals, &ItemFilter::default(), w);
        }
        ApprovalScope::CreatedBy(account) => (
            "SELECT approval_id FROM approval_owners WHERE account_id = ?1 AND approval_id < ?2
             ORDER BY approval_id DESC LIMIT ?3",
            rusqlite::types::Value::Integer(*account),
        ),
        ApprovalScope::Approver(phone) => (
            "SELECT DISTINCT approval_id FROM approval_steps
             WHERE approver_phone = ?1 AND approval_id < ?2
             ORDER BY approval_id DESC LIMIT ?3",
            rusqlite::types::Value::Text(phone.clone()),
        ),
        ApprovalScope::WaitingFor(phone) => (
            "SELECT DISTINCT s.approval_id FROM approval_steps s
                 JOIN approvals a ON a.id = s.approval_id
             WHERE s.approver_phone = ?1 AND s.approval_id < ?2 AND s.state = 1
                 AND a.state = 0
             ORDER BY s.approval_id DESC LIMIT ?3",
            rusqlite::types::Value::Text(phone.clone()),
        ),
    };
    let items: Vec<i64> = c
        .prepare_cached(sql)?
        .query_map(
            params![
                arg,
                w.before.unwrap_or(i64::MAX),
                i64::try_from(w.limit).unwrap_or(i64::MAX)
            ],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    let next_before = (items.len() == w.limit)
        .then(|| items.last().copied())
        .flatten();
    Ok(Page { items, next_before })
}

impl StoreHandle {
    /// Records that console account `account_id` created approval `approval_id` (again
    /// is fine).
    pub async fn approval_set_owner(&self, approval_id: i64, account_id: i64) -> Result<()> {
        self.call(move |s| {
            s.write(|c, _| {
                c.prepare_cached(
                    "INSERT OR IGNORE INTO approval_owners (approval_id, account_id)
                     VALUES (?1, ?2)",
                )?
                .execute([approval_id, account_id])?;
                Ok(())
            })
        })
        .await
    }

    /// The console account that created approval `approval_id`, if one did, on the read
    /// connection.
    pub async fn approval_owner(&self, approval_id: i64) -> Result<Option<i64>> {
        self.read(move |c| {
            Ok(
                c.prepare_cached("SELECT account_id FROM approval_owners WHERE approval_id = ?1")?
                    .query_row([approval_id], |r| r.get(0))
                    .optional()?,
            )
        })
        .await
    }

    /// The requests in `scope`, newest first, each with its steps, on the read
    /// connection.
    pub async fn approvals_in(
        &self,
        scope: ApprovalScope,
        window: Window,
    ) -> Result<Page<ApprovalView>> {
        self.read(move |c| {
            let ids = approval_ids(c, &scope, window)?;
            let mut items = Vec::with_capacity(ids.items.len());
            for id in ids.items {
                items.extend(approval_get(c, id)?);
            }
            Ok(Page {
                items,
                next_before: ids.next_before,
            })
        })
        .await
    }

    /// A request with its timeline (see [`console_approvals`](self)), on the read
    /// connection.
    pub async fn approval_timeline(
        &self,
        id: i64,
    ) -> Result<Option<(ApprovalView, Vec<TimelineEntry>)>> {
        self.read(move |c| approval_timeline(c, id)).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::testutil::{TempDb, inbound, one};
    use crate::store::{Approver, Decision, InboxRoute, NewApproval, NewStage, StageRule};

    fn person(name: &str, phone: &str) -> Approver {
        Approver {
            name: name.into(),
            phone: phone.into(),
        }
    }

    fn two_stages() -> NewApproval {
        NewApproval {
            title: "出差".into(),
            applicant: person("小李", "13800000009"),
            details: String::new(),
            stages: vec![
                NewStage {
                    rule: StageRule::All,
                    approvers: vec![person("王经理", "13800000001")],
                },
                NewStage {
                    rule: StageRule::All,
                    approvers: vec![person("赵总", "13800000002")],
                },
            ],
            expires_at: 1_000_000,
            idempotency_key: None,
        }
    }

    #[test]
    fn scopes_list_the_right_requests() {
        let db = TempDb::new("console-approvals-scopes");
        let mut s = db.open();
        let (a, _) = s.approval_create(&two_stages(), 10).unwrap();
        let (b, _) = s.approval_create(&two_stages(), 20).unwrap();
        s.write(|c, _| {
            c.execute(
                "INSERT INTO approval_owners (approval_id, account_id) VALUES (?1, 7)",
                [a],
            )?;
            Ok(())
        })
        .unwrap();
        let w = Window {
            before: None,
            limit: 10,
        };
        let ids = |scope| approval_ids(s.conn(), &scope, w).unwrap().items;
        assert_eq!(ids(ApprovalScope::All), [b, a]);
        assert_eq!(ids(ApprovalScope::CreatedBy(7)), [a]);
        assert!(ids(ApprovalScope::CreatedBy(8)).is_empty());
        assert_eq!(ids(ApprovalScope::Approver("13800000002".into())), [b, a]);
        // Only the first stage is open: 王经理 is waited for, 赵总 not yet.
        assert_eq!(ids(ApprovalScope::WaitingFor("13800000001".into())), [b, a]);
        assert!(ids(ApprovalScope::WaitingFor("13800000002".into())).is_empty());
        let first_page = approval_ids(
            s.conn(),
            &ApprovalScope::All,
            Window {
                before: None,
                limit: 1,
            },
        )
        .unwrap();
        assert_eq!(first_page.next_before, Some(b));
    }

    #[test]
    fn the_timeline_has_the_asks_replies_decisions_and_outcome_in_order() {
        let db = TempDb::new("console-approvals-timeline");
        let mut s = db.open();
        let (id, _) = s.approval_create(&two_stages(), 10).unwrap();
        let view = approval_get(s.conn(), id).unwrap().unwrap();
        let (first, second) = (view.steps[0].id, view.steps[1].id);
        // The workflow's ask: a job under the step's key, then recorded as asked.
        let mut ask = one("13800000001");
        ask.idempotency_key = Some(format!("hongyan:approval-step:{first}:ask:0"));
        ask.source_ext = Some("0001".into());
        let job = s.enqueue(&ask, 20).unwrap().job_id;
        s.approval_asked(first, Some("0001"), job, 20).unwrap();
        // An unreadable reply, then the decision by SMS.
        let mut unclear = inbound("13800000001", "106900001", "嗯？", 30);
        unclear.item_id = Some(first);
        let u = s.inbox_insert(&unclear).unwrap();
        s.inbox_route(u, &InboxRoute::Unclear(first)).unwrap();
        let r = s
            .inbox_insert(&inbound("13800000001", "106900001", "同意", 40))
            .unwrap();
        s.approval_decide(
            first,
            Decision::Approve,
            crate::replies::approval::decide,
            None,
            "sms",
            40,
            Some(r),
        )
        .unwrap();
        s.approval_decide(
            second,
            Decision::Reject,
            crate::replies::approval::decide,
            Some("预算不够"),
            "web",
            50,
            None,
        )
        .unwrap();
        let mut told = one("13800000009");
        told.idempotency_key = Some(format!("hongyan:approval:{id}:outcome"));
        s.enqueue(&told, 60).unwrap();
        let (_, timeline) = approval_timeline(s.conn(), id).unwrap().unwrap();
        let kinds: Vec<String> = timeline
            .iter()
            .map(|e| {
                serde_json::to_value(e).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "created",
                "asked",
                "reply",
                "reply",
                "decided",
                "decided",
                "outcome",
                "applicant_told"
            ]
        );
        assert!(matches!(
            &timeline[1],
            TimelineEntry::Asked { extension: Some(e), job_id, nth: 0, reminder: false, .. }
                if e == "0001" && *job_id == job
        ));
        assert!(
            matches!(&timeline[2], TimelineEntry::Reply { decided: false, text, .. } if text == "嗯？")
        );
        assert!(
            matches!(&timeline[3], TimelineEntry::Reply { decided: true, text, .. } if text == "同意")
        );
        assert!(matches!(
            &timeline[5],
            TimelineEntry::Decided { state: StepState::Rejected, via: Some(v), comment: Some(c), .. }
                if v == "web" && c == "预算不够"
        ));
        assert_eq!(approval_timeline(s.conn(), 999).unwrap(), None);
    }

    #[test]
    fn the_key_range_reads_the_unique_index() {
        let db = TempDb::new("console-approvals-plan");
        let s = db.open();
        let plan: String = s
            .conn()
            .prepare(
                "EXPLAIN QUERY PLAN SELECT id FROM jobs
                 WHERE idempotency_key >= 'a:' AND idempotency_key < 'a;'",
            )
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
            .join(" | ");
        assert!(plan.contains("jobs_idempotency"), "{plan}");
    }
}
