//! What a send that asks for replies adds to intake: the request's checks, the
//! recipients a link cannot take replies for, and the poll the job is enqueued with.
//! The job's extension per carrier is allocated by the store in the job's own
//! transaction ([`StoreHandle::enqueue_with_replies`](crate::store::StoreHandle::enqueue_with_replies)),
//! from the same allocator and quarantine as approvals and reminders.

use std::collections::BTreeMap;

use super::intake::{SendError, SendRequest};
use crate::config;
use crate::policy::opt_out::Keywords;
use crate::replies::poll::{SpecError, validate_spec};
use crate::store::{Millis, NewPoll, NewRecipient, PollTarget};

/// Checks the replies part of a request as a whole (nothing sent when it fails);
/// `keywords` are the opt-out keywords of the policy in effect, which no option may be.
pub(super) fn check(req: &SendRequest, now: Millis, keywords: &Keywords) -> Result<(), SendError> {
    if req.replies.is_none() && req.poll.is_none() {
        return Ok(());
    }
    if req.replies.is_some() && req.poll.is_some() {
        return Err(SendError::RepliesAndPoll);
    }
    if req.source_ext.is_some() {
        return Err(SendError::RepliesWithExtension);
    }
    if let Some(spec) = &req.replies {
        validate_spec(spec, now)?;
        // Opt-out is tested before a reply is read as an answer, so such an option
        // could never be chosen.
        let keyword = spec
            .options
            .iter()
            .flat_map(|o| [&o.key, &o.text])
            .find(|word| keywords.is_keyword(word));
        if let Some(word) = keyword {
            return Err(SpecError::OptOutKeyword {
                option: word.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// Why `link` cannot carry a message whose replies must come back, if it cannot.
pub(super) fn link_refuses_replies(req: &SendRequest, link: &config::Link) -> Option<String> {
    let asks = req.replies.is_some() || req.poll.is_some();
    (asks && link.extension_length == 0).then(|| {
        format!(
            "link {} has no extensions (extension_length = 0): replies through it could not \
             be told apart",
            link.name
        )
    })
}

/// The poll the job is enqueued with, if it asks for replies.
pub(super) fn target(req: &SendRequest) -> Option<PollTarget> {
    if let Some(id) = req.poll {
        return Some(PollTarget::Existing(id));
    }
    req.replies.as_ref().map(|spec| {
        PollTarget::New(NewPoll {
            spec: spec.clone(),
            groups: req.groups.clone(),
        })
    })
}

/// The extension length for each carrier the job goes through: that of the link that
/// carries it (`length_of` the carrier name).
pub(super) fn lengths(
    recipients: &[NewRecipient],
    length_of: impl Fn(&str) -> Option<u8>,
) -> Vec<(String, u8)> {
    let mut out = BTreeMap::new();
    for r in recipients {
        if !out.contains_key(&r.carrier) {
            if let Some(len) = length_of(&r.carrier) {
                out.insert(r.carrier.clone(), len);
            }
        }
    }
    out.into_iter().collect()
}
