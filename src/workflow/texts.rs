//! The wording of the SMS the workflows send. Short on purpose: an approval SMS should
//! fit one or two segments, and the reply instructions must survive any phone.
//!
//! None of them holds a 【 or 】: the link (or the job) adds the one registered
//! signature, and carriers reject a message with a second bracketed name in it.

use crate::store::{ApprovalState, OutcomeToSend, StepToAsk};

/// Longest part of the details quoted in an approval SMS, in characters.
const DETAILS_CHARS: usize = 60;

fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max).collect();
    s.push('…');
    s
}

/// The approval SMS to an approver (first ask, resend or reminder).
pub fn ask(step: &StepToAsk) -> String {
    let head = if step.reminder {
        "审批提醒："
    } else {
        "审批："
    };
    let details = shorten(&step.details, DETAILS_CHARS);
    let details = if details.is_empty() {
        String::new()
    } else {
        format!("：{details}")
    };
    format!(
        "{head}{}的申请“{}”{details}。回复“同意”批准，回复“不同意+意见”驳回。",
        step.applicant_name, step.title
    )
}

/// The confirmation of an opt-out reply: the configured text (which the config keeps
/// free of 【】), trimmed.
pub fn opt_out_confirmation(configured: &str) -> String {
    configured.trim().to_owned()
}

/// The answer to a reply that could not be read as a decision.
pub fn ask_again(title: &str) -> String {
    format!("未能识别您的回复。请回复“同意”批准，或回复“不同意+意见”驳回申请“{title}”。")
}

/// The SMS telling the applicant how the request ended.
pub fn outcome(o: &OutcomeToSend) -> String {
    match o.state {
        ApprovalState::Approved => format!("您的申请“{}”已审批通过。", o.title),
        ApprovalState::Rejected => match &o.rejected_by {
            Some((who, Some(comment))) => {
                format!("您的申请“{}”被{who}驳回：{comment}", o.title)
            }
            Some((who, None)) => format!("您的申请“{}”被{who}驳回。", o.title),
            None => format!("您的申请“{}”已被驳回。", o.title),
        },
        ApprovalState::Expired => format!("您的申请“{}”在期限内无人审批，已过期。", o.title),
        ApprovalState::Pending => format!("您的申请“{}”正在审批中。", o.title),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Approver;

    #[test]
    fn long_details_are_shortened_and_the_instructions_kept() {
        let step = StepToAsk {
            step_id: 1,
            approval_id: 1,
            approver: Approver {
                name: "张经理".into(),
                phone: "13800138000".into(),
            },
            title: "采购申请".into(),
            applicant_name: "李四".into(),
            details: "显示器".repeat(40),
            asks: 0,
            reminder: false,
        };
        let text = ask(&step);
        assert!(text.starts_with("审批：李四的申请“采购申请”："), "{text}");
        assert!(text.contains('…'));
        assert!(text.ends_with("回复“同意”批准，回复“不同意+意见”驳回。"));
        assert!(text.chars().count() < 140, "{}", text.chars().count());
    }

    #[test]
    fn a_rejection_quotes_the_comment() {
        let o = OutcomeToSend {
            approval_id: 1,
            title: "团建经费".into(),
            applicant: Approver {
                name: "李四".into(),
                phone: "13800138000".into(),
            },
            state: ApprovalState::Rejected,
            rejected_by: Some(("王总".into(), Some("预算超了".into()))),
        };
        assert_eq!(outcome(&o), "您的申请“团建经费”被王总驳回：预算超了");
    }

    /// Every system text under a link's signature carries exactly one 【…】: the
    /// signature. (They used to open with 【审批】 / 【待审批提醒】, a second one.)
    #[test]
    fn every_system_text_carries_exactly_one_signature() {
        let rules = crate::policy::SignatureRules::default();
        let step = |reminder| StepToAsk {
            step_id: 1,
            approval_id: 1,
            approver: Approver {
                name: "张经理".into(),
                phone: "13800138000".into(),
            },
            title: "采购申请".into(),
            applicant_name: "李四".into(),
            details: "显示器两台".into(),
            asks: 0,
            reminder,
        };
        let outcome_of = |state, rejected_by| OutcomeToSend {
            approval_id: 1,
            title: "团建经费".into(),
            applicant: Approver {
                name: "李四".into(),
                phone: "13800138000".into(),
            },
            state,
            rejected_by,
        };
        let texts = [
            ask(&step(false)),
            ask(&step(true)),
            ask_again("采购申请"),
            outcome(&outcome_of(ApprovalState::Approved, None)),
            outcome(&outcome_of(
                ApprovalState::Rejected,
                Some(("王总".into(), Some("预算超了".into()))),
            )),
            outcome(&outcome_of(ApprovalState::Expired, None)),
            outcome(&outcome_of(ApprovalState::Pending, None)),
            opt_out_confirmation(" 您已退订营销短信，回复“订阅”可恢复。 "),
        ];
        for text in texts {
            for signed in [format!("【鸿雁物流】{text}"), format!("{text}【鸿雁物流】")]
            {
                assert!(rules.is_signed_once(&signed), "{signed}");
            }
        }
    }
}
