//! The opt-out list as the engine applies it: a keyword reply (`TD`, `退订`; see
//! [`crate::policy::opt_out`]) that reached no open approval or reminder puts its sender
//! on the list — recorded with the link and the text, the inbox message marked
//! `opt_out`, in one transaction — and, when `policy.opt_out_confirmation` is set, gets
//! one confirmation SMS (a notice, under the link's one signature). A re-subscribe
//! keyword takes the sender off. The API, CLI and console change the list through
//! [`Workflow::opt_out_add`] and [`Workflow::opt_out_remove`], which require a note (the
//! consent record) or a reason. Every change is counted for `/metrics` by action and
//! source.

use std::sync::atomic::{AtomicU64, Ordering};

use super::Workflow;
use super::error::{WorkflowError, invalid};
use super::events::WorkflowEvent;
use super::texts;
use crate::dispatch::SendRequest;
use crate::policy::OptOutWord;
use crate::store::{InboxMessage, OptOutAction, OptOutChange, OptOutSource, Priority};

/// Longest note or reason kept, in characters.
pub const NOTE_MAX_CHARS: usize = 500;

/// Changes to the opt-out list since start, by action and source.
#[derive(Debug, Default)]
pub struct OptOutCounters {
    counts: [[AtomicU64; OptOutSource::ALL.len()]; 2],
}

impl OptOutCounters {
    fn slot(action: OptOutAction, source: OptOutSource) -> (usize, usize) {
        let a = match action {
            OptOutAction::Added => 0,
            OptOutAction::Removed => 1,
        };
        let s = OptOutSource::ALL
            .iter()
            .position(|x| *x == source)
            .unwrap_or(0);
        (a, s)
    }

    fn count(&self, action: OptOutAction, source: OptOutSource) {
        let (a, s) = Self::slot(action, source);
        self.counts[a][s].fetch_add(1, Ordering::Relaxed);
    }

    /// Changes of `action` made through `source` since start.
    pub fn get(&self, action: OptOutAction, source: OptOutSource) -> u64 {
        let (a, s) = Self::slot(action, source);
        self.counts[a][s].load(Ordering::Relaxed)
    }
}

/// The number as the list keeps it (11 digits), or the field's error.
fn list_number(field: &str, raw: &str) -> Result<String, WorkflowError> {
    crate::route::normalize(raw)
        .map(|n| n.as_str().to_owned())
        .map_err(|e| WorkflowError::BadNumber {
            field: field.to_owned(),
            reason: e.to_string(),
        })
}

/// A required note or reason, trimmed, or the field's error.
fn required_note(field: &str, what: &str, note: &str) -> Result<String, WorkflowError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(invalid(field, format!("required: {what}")));
    }
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(invalid(
            field,
            format!("longer than {NOTE_MAX_CHARS} characters"),
        ));
    }
    Ok(note.to_owned())
}

impl Workflow {
    /// Changes to the list since start, for `/metrics`.
    pub fn opt_out_counters(&self) -> &OptOutCounters {
        &self.inner.opt_out_counters
    }

    /// Puts `number` on the opt-out list by hand. `note` (required) is the consent
    /// record: how and when the person refused. False: it was on the list already.
    pub async fn opt_out_add(
        &self,
        number: &str,
        note: &str,
        source: OptOutSource,
        actor: &str,
    ) -> Result<bool, WorkflowError> {
        let number = list_number("number", number)?;
        let note = required_note("note", "how the person refused (the consent record)", note)?;
        let change = OptOutChange {
            number,
            source: Some(source),
            actor: actor.to_owned(),
            note: Some(note),
            ..OptOutChange::default()
        };
        let added = self.inner.store.add_opt_out(change, self.now()).await?;
        if added {
            self.inner
                .opt_out_counters
                .count(OptOutAction::Added, source);
        }
        Ok(added)
    }

    /// Takes `number` off the opt-out list by hand; `reason` is required. False: it was
    /// not on the list.
    pub async fn opt_out_remove(
        &self,
        number: &str,
        reason: &str,
        source: OptOutSource,
        actor: &str,
    ) -> Result<bool, WorkflowError> {
        let number = list_number("number", number)?;
        let reason = required_note(
            "reason",
            "why the number may get marketing again (e.g. its new consent)",
            reason,
        )?;
        let change = OptOutChange {
            number,
            source: Some(source),
            actor: actor.to_owned(),
            note: Some(reason),
            ..OptOutChange::default()
        };
        let removed = self.inner.store.remove_opt_out(change, self.now()).await?;
        if removed {
            self.inner
                .opt_out_counters
                .count(OptOutAction::Removed, source);
        }
        Ok(removed)
    }

    /// Applies a keyword reply `m` from `sender` (normalised) that reached no open item.
    pub(super) async fn opt_out_reply(
        &self,
        m: &InboxMessage,
        sender: &str,
        word: OptOutWord,
    ) -> Result<(), WorkflowError> {
        let store = &self.inner.store;
        let msg = &m.message;
        let change = OptOutChange {
            number: sender.to_owned(),
            source: Some(OptOutSource::Reply),
            actor: sender.to_owned(),
            note: None,
            link: Some(msg.link.clone()),
            text: Some(msg.text.clone()),
            inbox_id: Some(m.id),
        };
        match word {
            OptOutWord::OptOut => {
                // The confirmation is queued before the change commits, under a key of
                // this reply: a crash in between sends it once when the reply is routed
                // again, and a number already on the list is not answered again.
                let confirmation_job = match &self.inner.policy.current().opt_out_confirmation {
                    Some(text) if store.opt_out_get(sender.to_owned()).await?.is_none() => {
                        self.confirm(m.id, sender, text).await
                    }
                    _ => None,
                };
                let added = store
                    .opt_out_reply(change, true, m.id, msg.received_at)
                    .await?;
                if added {
                    self.inner
                        .opt_out_counters
                        .count(OptOutAction::Added, OptOutSource::Reply);
                }
                tracing::info!(inbox = m.id, link = %msg.link, added, "opt-out reply: number on the opt-out list");
                self.emit(WorkflowEvent::OptedOut {
                    inbox_id: m.id,
                    number: sender.to_owned(),
                    added,
                    confirmation_job,
                });
            }
            OptOutWord::Resubscribe => {
                let removed = store
                    .opt_out_reply(change, false, m.id, msg.received_at)
                    .await?;
                if removed {
                    self.inner
                        .opt_out_counters
                        .count(OptOutAction::Removed, OptOutSource::Reply);
                }
                tracing::info!(inbox = m.id, link = %msg.link, removed, "re-subscribe reply: number off the opt-out list");
                self.emit(WorkflowEvent::Resubscribed {
                    inbox_id: m.id,
                    number: sender.to_owned(),
                    removed,
                });
            }
        }
        Ok(())
    }

    /// Queues the one confirmation of the opt-out reply `inbox_id`; its job, or `None`
    /// (logged) when it cannot go.
    async fn confirm(&self, inbox_id: i64, sender: &str, text: &str) -> Option<i64> {
        let mut req = SendRequest::new(vec![sender.to_owned()], texts::opt_out_confirmation(text));
        req.priority = Priority::Notification;
        req.idempotency_key = Some(format!("hongyan:inbox:{inbox_id}:opt_out"));
        match self.send_one(req).await {
            Ok(job) => Some(job),
            Err(reason) => {
                tracing::warn!(inbox = inbox_id, %reason, "cannot send the opt-out confirmation");
                None
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::testutil::{MOBILE_A, MOBILE_B, Rig, drain};
    use super::*;
    use crate::route::Carrier;
    use crate::store::{NewInbound, OptOutAction};

    /// A reply from `sender` to the mobile link's service code plus `ext`; its inbox id.
    async fn reply(rig: &Rig, wf: &Workflow, sender: &str, ext: &str, text: &str) -> i64 {
        let link = rig
            .config
            .links
            .iter()
            .find(|l| l.carrier() == Carrier::Mobile)
            .unwrap();
        rig.store
            .inbox_insert(NewInbound {
                sender: sender.into(),
                destination: format!("{}{ext}", link.service_code),
                text: text.into(),
                coding: 8,
                received_at: wf.now(),
                link: link.name.clone(),
                item_id: None,
            })
            .await
            .unwrap()
    }

    async fn route_of(rig: &Rig, inbox_id: i64) -> Option<String> {
        rig.store
            .inbox_list(false, 100)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.id == inbox_id)
            .and_then(|m| m.route)
    }

    #[tokio::test]
    async fn a_td_reply_puts_the_sender_on_the_list_once_with_one_confirmation() {
        let mut rig = Rig::new("wf-optout-td");
        rig.config.policy.opt_out_confirmation = "您已退订营销短信，回复“订阅”可恢复。".into();
        let wf = rig.workflow();
        let mut rx = wf.subscribe();
        let first = reply(&rig, &wf, &format!("+86{MOBILE_A}"), "", " ＴＤ ").await;
        let again = reply(&rig, &wf, MOBILE_A, "", "退订").await;
        wf.run_once().await;
        let events = drain(&mut rx);
        let [
            WorkflowEvent::OptedOut {
                inbox_id: i1,
                number: n1,
                added: true,
                confirmation_job: Some(job),
            },
            WorkflowEvent::OptedOut {
                inbox_id: i2,
                added: false,
                confirmation_job: None,
                ..
            },
        ] = events.as_slice()
        else {
            panic!("{events:?}");
        };
        assert_eq!((*i1, *i2, n1.as_str()), (first, again, MOBILE_A));
        let status = rig.store.job_status(*job).await.unwrap().unwrap();
        assert_eq!(status.text, "您已退订营销短信，回复“订阅”可恢复。");
        assert_eq!(route_of(&rig, first).await.as_deref(), Some("opt_out"));
        assert_eq!(route_of(&rig, again).await.as_deref(), Some("opt_out"));
        let entry = rig
            .store
            .opt_out_get(MOBILE_A.into())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(entry.source, OptOutSource::Reply);
        assert_eq!(entry.text.as_deref(), Some(" ＴＤ "));
        assert_eq!(
            entry.link.as_deref(),
            Some(rig.config.links[0].name.as_str())
        );
        let history = rig.store.opt_out_history(MOBILE_A.into()).await.unwrap();
        assert_eq!(history.len(), 1, "{history:?}");
        assert_eq!(history[0].inbox_id, Some(first));
        assert_eq!(
            wf.opt_out_counters()
                .get(OptOutAction::Added, OptOutSource::Reply),
            1
        );
    }

    #[tokio::test]
    async fn without_a_confirmation_text_nothing_is_sent() {
        let rig = Rig::new("wf-optout-quiet");
        let wf = rig.workflow();
        let mut rx = wf.subscribe();
        let id = reply(&rig, &wf, MOBILE_A, "", "td").await;
        wf.run_once().await;
        assert_eq!(
            drain(&mut rx),
            [WorkflowEvent::OptedOut {
                inbox_id: id,
                number: MOBILE_A.into(),
                added: true,
                confirmation_job: None
            }]
        );
    }

    #[tokio::test]
    async fn a_resubscribe_reply_takes_the_sender_off_and_the_history_keeps_both() {
        let rig = Rig::new("wf-optout-resub");
        let wf = rig.workflow();
        let mut rx = wf.subscribe();
        reply(&rig, &wf, MOBILE_A, "", "T").await;
        wf.run_once().await;
        let back = reply(&rig, &wf, MOBILE_A, "", "订阅").await;
        let never = reply(&rig, &wf, MOBILE_B, "", "订阅").await;
        wf.run_once().await;
        let events = drain(&mut rx);
        assert!(events.contains(&WorkflowEvent::Resubscribed {
            inbox_id: back,
            number: MOBILE_A.into(),
            removed: true
        }));
        assert!(events.contains(&WorkflowEvent::Resubscribed {
            inbox_id: never,
            number: MOBILE_B.into(),
            removed: false
        }));
        assert_eq!(route_of(&rig, back).await.as_deref(), Some("resubscribe"));
        assert!(
            rig.store
                .opt_out_get(MOBILE_A.into())
                .await
                .unwrap()
                .is_none()
        );
        let h = rig.store.opt_out_history(MOBILE_A.into()).await.unwrap();
        assert_eq!(
            h.iter().map(|r| r.action).collect::<Vec<_>>(),
            [OptOutAction::Added, OptOutAction::Removed]
        );
        assert_eq!(h[1].text.as_deref(), Some("订阅"));
    }

    #[tokio::test]
    async fn words_a_customer_uses_for_something_else_stay_unmatched() {
        let rig = Rig::new("wf-optout-other");
        let wf = rig.workflow();
        let mut rx = wf.subscribe();
        let id = reply(&rig, &wf, MOBILE_A, "", "取消").await;
        let shirt = reply(&rig, &wf, MOBILE_A, "", "T恤").await;
        wf.run_once().await;
        let events = drain(&mut rx);
        assert!(
            events
                .iter()
                .all(|e| matches!(e, WorkflowEvent::Unmatched { .. })),
            "{events:?}"
        );
        assert_eq!(events.len(), 2);
        assert!(route_of(&rig, id).await.unwrap().starts_with("unmatched:"));
        assert!(
            route_of(&rig, shirt)
                .await
                .unwrap()
                .starts_with("unmatched:")
        );
        assert!(
            rig.store
                .opt_out_get(MOBILE_A.into())
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_td_to_an_open_approval_is_the_approver_s_answer_not_an_opt_out() {
        use super::super::requests::{ApprovalRequest, Person, StageRequest};
        let rig = Rig::new("wf-optout-approval");
        let wf = rig.workflow();
        let req = ApprovalRequest {
            title: "报销".into(),
            applicant: Person {
                name: "小李".into(),
                phone: "13800138000".into(),
            },
            details: String::new(),
            stages: vec![StageRequest {
                rule: crate::store::StageRule::Any,
                approvers: vec![Person {
                    name: "王经理".into(),
                    phone: MOBILE_A.into(),
                }],
            }],
            expires_at: None,
            idempotency_key: None,
        };
        let id = wf.create_approval(req).await.unwrap().approval_id;
        wf.run_once().await;
        let step = wf.approval(id).await.unwrap().unwrap().steps[0].clone();
        let ext = step.extension.expect("asked from an extension");
        let mut rx = wf.subscribe();
        let inbox = reply(&rig, &wf, MOBILE_A, &ext, "TD").await;
        wf.run_once().await;
        assert_eq!(
            drain(&mut rx),
            [WorkflowEvent::Unclear {
                inbox_id: inbox,
                step_id: step.id
            }]
        );
        assert!(
            rig.store
                .opt_out_get(MOBILE_A.into())
                .await
                .unwrap()
                .is_none()
        );
        // From someone the approval was not sent to, the same reply is theirs to refuse.
        let other = reply(&rig, &wf, MOBILE_B, &ext, "TD").await;
        wf.run_once().await;
        assert!(matches!(
            drain(&mut rx).as_slice(),
            [WorkflowEvent::OptedOut { inbox_id, added: true, .. }] if *inbox_id == other
        ));
    }

    #[tokio::test]
    async fn changes_by_hand_need_a_note_or_reason_and_a_mobile_number() {
        let rig = Rig::new("wf-optout-hand");
        let wf = rig.workflow();
        let e = wf
            .opt_out_add(MOBILE_A, "  ", OptOutSource::Api, "crm")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, WorkflowError::Invalid { field, .. } if field == "note"),
            "{e}"
        );
        let e = wf
            .opt_out_add("12345", "电话要求", OptOutSource::Api, "crm")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, WorkflowError::BadNumber { field, .. } if field == "number"),
            "{e}"
        );
        let long = "x".repeat(NOTE_MAX_CHARS + 1);
        assert!(
            wf.opt_out_add(MOBILE_A, &long, OptOutSource::Api, "crm")
                .await
                .is_err()
        );
        assert!(
            wf.opt_out_add(
                &format!("+86 {MOBILE_A}"),
                "2026-12-07 电话要求退订",
                OptOutSource::Cli,
                "ops"
            )
            .await
            .unwrap()
        );
        assert!(
            !wf.opt_out_add(MOBILE_A, "again", OptOutSource::Api, "crm")
                .await
                .unwrap()
        );
        let e = wf
            .opt_out_remove(MOBILE_A, "", OptOutSource::Api, "crm")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, WorkflowError::Invalid { field, .. } if field == "reason"),
            "{e}"
        );
        assert!(
            wf.opt_out_remove(MOBILE_A, "客户重新同意", OptOutSource::Api, "crm")
                .await
                .unwrap()
        );
        assert!(
            !wf.opt_out_remove(MOBILE_A, "again", OptOutSource::Api, "crm")
                .await
                .unwrap()
        );
        let h = rig.store.opt_out_history(MOBILE_A.into()).await.unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(
            (h[0].source, h[0].actor.as_str()),
            (OptOutSource::Cli, "ops")
        );
        assert_eq!(h[0].note.as_deref(), Some("2026-12-07 电话要求退订"));
        assert_eq!(h[1].note.as_deref(), Some("客户重新同意"));
        let c = wf.opt_out_counters();
        assert_eq!(c.get(OptOutAction::Added, OptOutSource::Cli), 1);
        assert_eq!(c.get(OptOutAction::Removed, OptOutSource::Api), 1);
        assert_eq!(c.get(OptOutAction::Added, OptOutSource::Api), 0);
    }
}
