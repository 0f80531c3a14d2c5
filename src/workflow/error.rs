//! The workflow's errors: [`WorkflowError`] for a refused request (naming the field),
//! [`Unsendable`] for an SMS of the engine that cannot be queued.

use crate::dispatch::SendError;
use crate::route::{Carrier, RouteError};
use crate::store::StoreError;

use super::template::TemplateError;

/// Why a workflow request was refused.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// A phone number cannot be used: the field and the reason.
    #[error("{field}: {reason}")]
    BadNumber {
        /// e.g. `stages[1].approvers[0].phone`.
        field: String,
        /// Why.
        reason: String,
    },
    /// A field is missing or wrong.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: String,
        /// Why.
        reason: String,
    },
    /// The template cannot be rendered.
    #[error("template: {0}")]
    Template(#[from] TemplateError),
    /// No such item.
    #[error("{what} {id} not found")]
    NotFound {
        /// `approval`, `approval step`, `reminder`.
        what: &'static str,
        /// The id.
        id: i64,
    },
    /// The queue refused the SMS.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for WorkflowError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => Self::NotFound { what, id },
            other => Self::Store(other),
        }
    }
}

/// A [`WorkflowError::Invalid`] for `field`.
pub(super) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> WorkflowError {
    WorkflowError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Why one SMS of the engine (an ask, a reminder, an outcome, an answer to a reply) could
/// not be queued. Its text is what the log shows and what a failed reminder keeps as its
/// reason.
#[derive(Debug, thiserror::Error)]
pub enum Unsendable {
    /// The queue refused the recipient, for this reason.
    #[error("{reason}")]
    Recipient {
        /// The recipient's stable reason code (`not_mobile`, `no_link`, …).
        code: String,
        /// The reason, for people.
        reason: String,
    },
    /// The queue made no job and gave no reason for the recipient.
    #[error("refused")]
    Refused,
    /// The queue failed.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The recipient's number has no route.
    #[error(transparent)]
    Number(#[from] RouteError),
    /// No configured link carries the recipient's carrier.
    #[error("no link for {}", .carrier.full_name())]
    NoLink {
        /// The carrier the number routes to.
        carrier: Carrier,
    },
    /// No extension could be allocated for the reply.
    #[error(transparent)]
    Extension(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_before_and_name_the_field() {
        assert_eq!(
            invalid("stages[0].approvers", "needs at least one approver").to_string(),
            "stages[0].approvers: needs at least one approver"
        );
        assert_eq!(
            Unsendable::Recipient {
                code: "not_mobile".into(),
                reason: "not a mobile number".into()
            }
            .to_string(),
            "not a mobile number"
        );
        assert_eq!(Unsendable::Refused.to_string(), "refused");
        assert_eq!(
            Unsendable::NoLink {
                carrier: Carrier::Telecom
            }
            .to_string(),
            format!("no link for {}", Carrier::Telecom.full_name())
        );
    }

    #[test]
    fn a_missing_item_from_the_store_is_not_found() {
        let e = WorkflowError::from(StoreError::NotFound {
            what: "reminder",
            id: 4,
        });
        assert!(matches!(
            e,
            WorkflowError::NotFound {
                what: "reminder",
                id: 4
            }
        ));
        assert_eq!(e.to_string(), "reminder 4 not found");
    }
}
