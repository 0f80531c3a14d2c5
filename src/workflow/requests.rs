//! What a user asks of the workflow — approval requests and reminders, as the API and
//! the CLI send them — and the checks that turn them into what the store keeps. The
//! checks are pure (numbers through the [`Router`], time as an argument), so they are
//! tested here without a queue or a database.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::{WorkflowError, invalid};
use super::template::{TextSourceError, text_or_template};
use crate::route::Router;
use crate::store::{Approver, Millis, NewApproval, NewStage, StageRule};

/// A person in a request.
pub type Person = Approver;

/// One stage of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRequest {
    /// `all` or `any`.
    pub rule: StageRule,
    /// One or more.
    pub approvers: Vec<Person>,
}

/// A new approval request, as a user writes it (numbers in any usual form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// Title.
    pub title: String,
    /// Who asks; told the outcome.
    pub applicant: Person,
    /// Details (shortened in the SMS).
    #[serde(default)]
    pub details: String,
    /// Stages in order.
    pub stages: Vec<StageRequest>,
    /// Expiry (unix ms); default `workflow.approval_validity` from now.
    #[serde(default)]
    pub expires_at: Option<Millis>,
    /// A retried request with the same key returns the first.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// What [`Workflow::create_approval`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ApprovalCreated {
    /// The request.
    pub approval_id: i64,
    /// False when the idempotency key named an earlier request.
    pub created: bool,
}

/// Reminders to one or more recipients.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReminderRequest {
    /// Numbers in any usual form.
    pub recipients: Vec<String>,
    /// The text, or…
    #[serde(default)]
    pub text: Option<String>,
    /// …a template with `{name}` variables, filled from `variables`.
    #[serde(default)]
    pub template: Option<String>,
    /// Template variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// When (unix ms); default now.
    #[serde(default)]
    pub send_at: Option<Millis>,
    /// Repeat this often until the recipient replies.
    #[serde(default, with = "opt_duration")]
    pub repeat_every: Option<Duration>,
    /// Most sends with repeats (default 3 with `repeat_every`, else 1).
    #[serde(default)]
    pub max_sends: Option<u32>,
    /// A signature instead of the link's.
    #[serde(default)]
    pub signature: Option<String>,
    /// A retried request with the same key returns the first reminders.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

mod opt_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| humantime::parse_duration(&t).map_err(serde::de::Error::custom))
            .transpose()
    }

    pub fn serialize<S: Serializer>(v: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }
}

/// What became of one recipient of a [`ReminderRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ReminderOutcome {
    /// A reminder for this recipient.
    Created {
        /// Position in the request.
        index: usize,
        /// Normalised number.
        number: String,
        /// The reminder.
        reminder_id: i64,
        /// False when the idempotency key named an earlier one.
        created: bool,
    },
    /// Refused, with the reason; the others still go.
    Rejected {
        /// Position in the request.
        index: usize,
        /// The number as given.
        input: String,
        /// Why.
        reason: String,
    },
}

/// The normalised number `input` routes to; refused naming `field`.
pub(super) fn number(router: &Router, field: String, input: &str) -> Result<String, WorkflowError> {
    router
        .route(input)
        .map(|r| r.msisdn.as_str().to_string())
        .map_err(|e| WorkflowError::BadNumber {
            field,
            reason: e.to_string(),
        })
}

/// Checks a request and turns it into what the store keeps: numbers normalised, an
/// approver twice in a stage refused, the expiry defaulted to `validity` from `now`.
pub(super) fn new_approval(
    router: &Router,
    req: ApprovalRequest,
    now: Millis,
    validity: Duration,
) -> Result<NewApproval, WorkflowError> {
    if req.title.trim().is_empty() {
        return Err(invalid("title", "is empty"));
    }
    if req.stages.is_empty() {
        return Err(invalid("stages", "needs at least one stage"));
    }
    let applicant = Approver {
        name: req.applicant.name.clone(),
        phone: number(router, "applicant.phone".into(), &req.applicant.phone)?,
    };
    let mut stages = Vec::with_capacity(req.stages.len());
    for (i, s) in req.stages.iter().enumerate() {
        if s.approvers.is_empty() {
            return Err(invalid(
                format!("stages[{i}].approvers"),
                "needs at least one approver",
            ));
        }
        let mut approvers = Vec::with_capacity(s.approvers.len());
        for (j, a) in s.approvers.iter().enumerate() {
            let phone = number(
                router,
                format!("stages[{i}].approvers[{j}].phone"),
                &a.phone,
            )?;
            if approvers.iter().any(|x: &Approver| x.phone == phone) {
                return Err(invalid(
                    format!("stages[{i}].approvers[{j}].phone"),
                    "appears twice in the stage",
                ));
            }
            approvers.push(Approver {
                name: a.name.clone(),
                phone,
            });
        }
        stages.push(NewStage {
            rule: s.rule,
            approvers,
        });
    }
    let validity = i64::try_from(validity.as_millis()).unwrap_or(i64::MAX);
    let expires_at = req.expires_at.unwrap_or(now.saturating_add(validity));
    if expires_at <= now {
        return Err(invalid("expires_at", "is not in the future"));
    }
    Ok(NewApproval {
        title: req.title,
        applicant,
        details: req.details,
        stages,
        expires_at,
        idempotency_key: req.idempotency_key,
    })
}

/// The text of a reminder request (given, or its template rendered); refused when
/// there is nothing to send or nobody to send it to.
pub(super) fn reminder_text(req: &ReminderRequest) -> Result<String, WorkflowError> {
    let text = text_or_template(req.text.as_deref(), req.template.as_deref(), &req.variables)
        .map_err(|e| match e {
            TextSourceError::Both => invalid("template", e.to_string()),
            TextSourceError::Neither => invalid("text", e.to_string()),
            TextSourceError::Template(t) => WorkflowError::Template(t),
        })?;
    if text.trim().is_empty() {
        return Err(invalid("text", "is empty"));
    }
    if req.recipients.is_empty() {
        return Err(invalid("recipients", "is empty"));
    }
    Ok(text)
}

/// How a reminder repeats: the interval (ms, `None`: once) and the most sends.
pub(super) fn reminder_repeats(
    req: &ReminderRequest,
) -> Result<(Option<Millis>, u32), WorkflowError> {
    let repeat_every = match req.repeat_every {
        Some(d) if d < Duration::from_secs(60) => {
            return Err(invalid("repeat_every", "must be at least 1 minute"));
        }
        Some(d) => Some(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        None => None,
    };
    let max_sends = match (req.max_sends, repeat_every) {
        (Some(0), _) => return Err(invalid("max_sends", "must be at least 1")),
        (Some(n), Some(_)) if n > 20 => return Err(invalid("max_sends", "at most 20")),
        (Some(n), None) if n > 1 => return Err(invalid("max_sends", "needs repeat_every")),
        (Some(n), _) => n,
        (None, Some(_)) => 3,
        (None, None) => 1,
    };
    Ok((repeat_every, max_sends))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::route::Carrier;

    const HOUR: Duration = Duration::from_secs(3600);

    fn router() -> Router {
        let mut r = Router::default();
        r.add_link(Carrier::Mobile);
        r
    }

    fn person(phone: &str) -> Person {
        Person {
            name: "王经理".into(),
            phone: phone.into(),
        }
    }

    fn request(stages: Vec<Vec<&str>>) -> ApprovalRequest {
        ApprovalRequest {
            title: "出差申请".into(),
            applicant: person("13800138000"),
            details: String::new(),
            stages: stages
                .into_iter()
                .map(|a| StageRequest {
                    rule: StageRule::All,
                    approvers: a.into_iter().map(person).collect(),
                })
                .collect(),
            expires_at: None,
            idempotency_key: None,
        }
    }

    fn refusal(e: WorkflowError) -> String {
        e.to_string()
    }

    #[test]
    fn a_good_request_is_normalised_and_expires_after_the_validity() {
        let new = new_approval(
            &router(),
            request(vec![vec!["+86 139-0013-9000"], vec!["13700137000"]]),
            1_000,
            HOUR,
        )
        .unwrap();
        assert_eq!(new.stages[0].approvers[0].phone, "13900139000");
        assert_eq!(new.stages.len(), 2);
        assert_eq!(new.expires_at, 1_000 + 3_600_000);
    }

    #[test]
    fn a_bad_request_is_refused_naming_the_field() {
        let r = router();
        let mut untitled = request(vec![vec!["13900139000"]]);
        untitled.title = "  ".into();
        assert_eq!(
            refusal(new_approval(&r, untitled, 0, HOUR).unwrap_err()),
            "title: is empty"
        );
        assert_eq!(
            refusal(new_approval(&r, request(vec![]), 0, HOUR).unwrap_err()),
            "stages: needs at least one stage"
        );
        assert_eq!(
            refusal(
                new_approval(&r, request(vec![vec!["13900139000"], vec![]]), 0, HOUR).unwrap_err()
            ),
            "stages[1].approvers: needs at least one approver"
        );
        assert_eq!(
            refusal(
                new_approval(
                    &r,
                    request(vec![vec!["13900139000", "+8613900139000"]]),
                    0,
                    HOUR
                )
                .unwrap_err()
            ),
            "stages[0].approvers[1].phone: appears twice in the stage"
        );
        let e = new_approval(&r, request(vec![vec!["13900139000", "12345"]]), 0, HOUR).unwrap_err();
        assert!(
            matches!(&e, WorkflowError::BadNumber { field, .. } if field == "stages[0].approvers[1].phone"),
            "{e:?}"
        );
        // A Telecom number with only a Mobile link.
        let mut applicant = request(vec![vec!["13900139000"]]);
        applicant.applicant.phone = "13300133000".into();
        let e = new_approval(&r, applicant, 0, HOUR).unwrap_err();
        assert!(
            matches!(&e, WorkflowError::BadNumber { field, .. } if field == "applicant.phone"),
            "{e:?}"
        );
        let mut past = request(vec![vec!["13900139000"]]);
        past.expires_at = Some(5_000);
        assert_eq!(
            refusal(new_approval(&r, past, 5_000, HOUR).unwrap_err()),
            "expires_at: is not in the future"
        );
    }

    fn reminder(text: Option<&str>) -> ReminderRequest {
        ReminderRequest {
            recipients: vec!["13900139000".into()],
            text: text.map(Into::into),
            ..ReminderRequest::default()
        }
    }

    #[test]
    fn a_reminder_needs_a_text_from_one_source_and_a_recipient() {
        assert_eq!(reminder_text(&reminder(Some("开会"))).unwrap(), "开会");
        assert_eq!(
            refusal(reminder_text(&reminder(Some(" "))).unwrap_err()),
            "text: is empty"
        );
        assert!(matches!(
            reminder_text(&reminder(None)).unwrap_err(),
            WorkflowError::Invalid { field, .. } if field == "text"
        ));
        let mut both = reminder(Some("开会"));
        both.template = Some("{x}".into());
        assert!(matches!(
            reminder_text(&both).unwrap_err(),
            WorkflowError::Invalid { field, .. } if field == "template"
        ));
        let mut missing = reminder(None);
        missing.template = Some("{who}开会".into());
        assert!(matches!(
            reminder_text(&missing).unwrap_err(),
            WorkflowError::Template(_)
        ));
        missing.variables.insert("who".into(), "你".into());
        assert_eq!(reminder_text(&missing).unwrap(), "你开会");
        let mut nobody = reminder(Some("开会"));
        nobody.recipients.clear();
        assert_eq!(
            refusal(reminder_text(&nobody).unwrap_err()),
            "recipients: is empty"
        );
    }

    #[test]
    fn repeats_default_to_three_and_are_bounded() {
        let mut r = reminder(Some("x"));
        assert_eq!(reminder_repeats(&r).unwrap(), (None, 1));
        r.repeat_every = Some(HOUR);
        assert_eq!(reminder_repeats(&r).unwrap(), (Some(3_600_000), 3));
        r.max_sends = Some(20);
        assert_eq!(reminder_repeats(&r).unwrap(), (Some(3_600_000), 20));
        r.max_sends = Some(21);
        assert_eq!(
            refusal(reminder_repeats(&r).unwrap_err()),
            "max_sends: at most 20"
        );
        r.max_sends = Some(0);
        assert_eq!(
            refusal(reminder_repeats(&r).unwrap_err()),
            "max_sends: must be at least 1"
        );
        r.repeat_every = Some(Duration::from_secs(59));
        assert_eq!(
            refusal(reminder_repeats(&r).unwrap_err()),
            "repeat_every: must be at least 1 minute"
        );
        let mut once = reminder(Some("x"));
        once.max_sends = Some(2);
        assert_eq!(
            refusal(reminder_repeats(&once).unwrap_err()),
            "max_sends: needs repeat_every"
        );
    }

    #[test]
    fn repeat_every_reads_and_writes_human_durations() {
        let r: ReminderRequest = serde_json::from_str(
            r#"{"recipients":["13900139000"],"text":"x","repeat_every":"2h"}"#,
        )
        .unwrap();
        assert_eq!(r.repeat_every, Some(2 * HOUR));
        let back = serde_json::to_value(&r).unwrap();
        assert_eq!(back["repeat_every"], "2h");
    }
}
