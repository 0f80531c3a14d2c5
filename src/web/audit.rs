//! The console's audit trail, recorded centrally: after every state-changing request
//! (not GET/HEAD) that succeeded — or whose handler says what happened — the guard
//! writes who (account), what (method, path, status, [`Detail`]), when and from which
//! address (`store/audit.rs`). Handlers only add words:
//!
//! ```text
//! let mut res = Redirect::to(&format!("/outbox/{id}")).into_response();
//! res.extensions_mut().insert(Detail(format!("sent job {id} to {n} recipients")));
//! ```
//!
//! A failed write of the audit log is logged as an error; the action it describes has
//! already happened and is not undone.

use axum::http::Method;
use axum::response::Response;

use super::session::Visitor;
use super::state::WebState;
use crate::store::NewAuditEntry;

/// What a handler did, in words, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail(pub String);

/// Who acted, when the request's own session does not say (a login: the account that
/// logged in, or the name that was tried).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account, if one matched.
    pub account_id: Option<i64>,
    /// The name.
    pub username: String,
}

/// Whether a response is recorded: success (2xx, or a 3xx after a form), or anything a
/// handler described.
pub fn recorded(res: &Response) -> bool {
    let s = res.status();
    s.is_success() || s.is_redirection() || res.extensions().get::<Detail>().is_some()
}

/// The entry for `res`, if it is [`recorded`].
pub fn entry(
    visitor: &Visitor,
    method: &Method,
    path: &str,
    res: &Response,
) -> Option<NewAuditEntry> {
    if !recorded(res) {
        return None;
    }
    let (account_id, username) = match (res.extensions().get::<Actor>(), &visitor.viewer) {
        (Some(a), _) => (a.account_id, a.username.clone()),
        (None, Some(v)) => (Some(v.account_id), v.username.clone()),
        (None, None) => (None, String::new()),
    };
    Some(NewAuditEntry {
        account_id,
        username,
        address: visitor.address.clone(),
        method: method.as_str().to_owned(),
        path: path.to_owned(),
        status: res.status().as_u16(),
        detail: res.extensions().get::<Detail>().map(|d| d.0.clone()),
    })
}

/// Writes an entry; a failure is logged (the action has happened).
pub async fn record(state: &WebState, entry: NewAuditEntry) {
    let path = entry.path.clone();
    if let Err(e) = state.store.audit_record(entry, state.now()).await {
        tracing::error!(error = %e, %path, "console audit entry not recorded");
    }
}
