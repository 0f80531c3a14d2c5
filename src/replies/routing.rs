//! Which item an inbound message answers: the link it came in on gives the carrier,
//! the service code and the extension length ([`route_destination`]); the destination
//! gives the extension; the store says who holds it; and only the number the item's
//! message went to may answer ([`answer`], which also reads the text).

use crate::config::Config;
use crate::replies::extension::{Destination, split_destination};
use crate::replies::{Reply, parse_reply};
use crate::route::{Carrier, normalize};
use crate::store::{Decision, ExtensionHolder, ItemKind};

/// What an MO destination addresses, before the store is asked (named apart from
/// [`crate::route::Routed`], a number with its route).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressed {
    /// An extension under this link's service code, of this carrier.
    Extension {
        /// The carrier (extensions are unique per carrier).
        carrier: Carrier,
        /// The extension digits.
        extension: String,
    },
    /// No item can be meant; the stable reason code.
    Unmatched(&'static str),
}

/// Splits an inbound message's destination by the settings of the link it came in on.
pub fn route_destination(config: &Config, link: &str, destination: &str) -> Addressed {
    let Some(l) = config.links.iter().find(|l| l.name == link) else {
        return Addressed::Unmatched("unknown_link");
    };
    if l.extension_length == 0 {
        return Addressed::Unmatched("no_extensions");
    }
    match split_destination(destination, &l.service_code, l.extension_length) {
        Destination::Extension(ext) => Addressed::Extension {
            carrier: l.carrier(),
            extension: ext.to_string(),
        },
        Destination::Bare => Addressed::Unmatched("bare_service_code"),
        Destination::Other => Addressed::Unmatched("other_number"),
    }
}

/// What a reply to an extension's holder does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// It came from a number the item's message did not go to (a forwarded SMS, a wrong
    /// number): kept in the inbox as unmatched with this reason code.
    NotTheRecipient,
    /// The recipient of a reminder replied (any text stops it).
    Reminder {
        /// The reminder.
        reminder_id: i64,
    },
    /// An approver answered yes or no.
    Decision {
        /// The step.
        step_id: i64,
        /// The answer.
        decision: Decision,
        /// The text after the keyword.
        comment: Option<String>,
    },
    /// A reply to a poll's (or collection's) extension: attributed if the sender is one
    /// of its recipients and it is still open (see `workflow::polls`).
    Poll {
        /// The poll.
        poll_id: i64,
    },
    /// An approver's reply is neither a clear yes nor a clear no: ask again.
    Unclear {
        /// The step.
        step_id: i64,
    },
}

impl Answer {
    /// The stable reason code of [`Answer::NotTheRecipient`] in the inbox.
    pub const NOT_THE_RECIPIENT: &'static str = "not_the_recipient";
}

/// The sender of an MO message as items store their recipients (normalised 11 digits),
/// or as given when it is no mobile number (it then matches no item).
pub fn sender_number(raw: &str) -> String {
    normalize(raw)
        .map(|n| n.as_str().to_string())
        .unwrap_or_else(|_| raw.to_string())
}

/// What a reply from `sender` (see [`sender_number`]) with `text` does to the item that
/// holds the extension it was sent to.
pub fn answer(holder: &ExtensionHolder, sender: &str, text: &str) -> Answer {
    match holder.item_kind {
        // One extension serves all the poll's recipients: who may answer is a question
        // for the store (the numbers of the poll's jobs), asked by the poll workflow.
        ItemKind::Poll => Answer::Poll {
            poll_id: holder.item_id,
        },
        _ if holder.recipient != sender => Answer::NotTheRecipient,
        ItemKind::Reminder => Answer::Reminder {
            reminder_id: holder.item_id,
        },
        ItemKind::ApprovalStep => {
            let step_id = holder.item_id;
            let (decision, comment) = match parse_reply(text) {
                Reply::Approve { comment } => (Decision::Approve, comment),
                Reply::Reject { comment } => (Decision::Reject, comment),
                Reply::Unclear => return Answer::Unclear { step_id },
            };
            Answer::Decision {
                step_id,
                decision,
                comment,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn held_by(item_kind: ItemKind, item_id: i64) -> ExtensionHolder {
        ExtensionHolder {
            item_kind,
            item_id,
            recipient: "13800138000".into(),
        }
    }

    #[test]
    fn an_approvers_yes_or_no_is_a_decision_with_its_comment() {
        let step = held_by(ItemKind::ApprovalStep, 7);
        assert_eq!(
            answer(&step, "13800138000", "同意"),
            Answer::Decision {
                step_id: 7,
                decision: Decision::Approve,
                comment: None
            }
        );
        assert_eq!(
            answer(&step, "13800138000", "不同意 预算不够"),
            Answer::Decision {
                step_id: 7,
                decision: Decision::Reject,
                comment: Some("预算不够".into())
            }
        );
    }

    #[test]
    fn a_doubtful_reply_to_a_step_asks_again() {
        let step = held_by(ItemKind::ApprovalStep, 7);
        for text in ["好像可以吧？", "明天再说", ""] {
            assert_eq!(
                answer(&step, "13800138000", text),
                Answer::Unclear { step_id: 7 },
                "{text:?}"
            );
        }
    }

    #[test]
    fn only_the_number_the_item_went_to_may_answer() {
        for kind in [ItemKind::ApprovalStep, ItemKind::Reminder] {
            assert_eq!(
                answer(&held_by(kind, 7), "13900139000", "同意"),
                Answer::NotTheRecipient
            );
        }
    }

    #[test]
    fn a_reply_to_a_polls_extension_goes_to_the_poll_whoever_sent_it() {
        // The poll's holder names no recipient: the sender is checked against the poll's
        // jobs by the workflow, so the pure answer only says which poll.
        let poll = ExtensionHolder {
            item_kind: ItemKind::Poll,
            item_id: 4,
            recipient: String::new(),
        };
        for sender in ["13800138000", "13900139000"] {
            assert_eq!(answer(&poll, sender, "1"), Answer::Poll { poll_id: 4 });
        }
    }

    #[test]
    fn any_reply_from_its_recipient_answers_a_reminder() {
        assert_eq!(
            answer(&held_by(ItemKind::Reminder, 9), "13800138000", "收到，谢谢"),
            Answer::Reminder { reminder_id: 9 }
        );
    }

    #[test]
    fn senders_are_compared_in_the_stored_form() {
        assert_eq!(sender_number("+8613800138000"), "13800138000");
        assert_eq!(sender_number("10086"), "10086");
    }

    #[test]
    fn destinations_split_by_the_links_own_service_code() {
        let c = Config::embedded_default().unwrap();
        let mobile = &c
            .links
            .iter()
            .find(|l| l.carrier() == Carrier::Mobile)
            .unwrap();
        let code = mobile.service_code.clone();
        let ext = "7".repeat(usize::from(mobile.extension_length));
        assert_eq!(
            route_destination(&c, &mobile.name, &format!("{code}{ext}")),
            Addressed::Extension {
                carrier: Carrier::Mobile,
                extension: ext.clone()
            }
        );
        assert_eq!(
            route_destination(&c, &mobile.name, &code),
            Addressed::Unmatched("bare_service_code")
        );
        assert_eq!(
            route_destination(&c, &mobile.name, "12345"),
            Addressed::Unmatched("other_number")
        );
        assert_eq!(
            route_destination(&c, "nope", &code),
            Addressed::Unmatched("unknown_link")
        );
    }
}
