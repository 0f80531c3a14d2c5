//! Every route in one table, [`ROUTES`], which the router and the OpenAPI document are
//! both checked against (a test sends a request to each and reads the document).

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::error::ApiError;
use super::state::AppState;
use super::{
    alerts, approvals, contacts, inbox, links, messages, openapi, ops, reminders, simulate,
    snippets,
};
use crate::config::Scope;

/// One route of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    /// `GET`, `POST` or `DELETE`.
    pub method: &'static str,
    /// Path with `{param}`s, as axum and OpenAPI write it.
    pub path: &'static str,
    /// The token scope it needs; `None`: open (health, metrics, the document).
    pub scope: Option<Scope>,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
    /// The request body's JSON fields (name, type, required), for the document.
    pub body: &'static [(&'static str, &'static str, bool)],
    /// The query parameters it takes; any other is refused (400 `unknown_parameter`)
    /// before the handler runs, so a misspelt filter never silently lists everything.
    pub query: &'static [Param],
    /// The statuses it answers on success, first the usual one.
    pub ok: &'static [u16],
    /// Errors particular to it (besides 400, 401, 403, 404 and 422, which the document
    /// derives from the scope, the path and the inputs).
    pub errors: &'static [u16],
    /// The schema of its success body, a name under `components/schemas`.
    pub response: &'static str,
}

/// A query parameter of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// As written in the URL.
    pub name: &'static str,
    /// `integer`, `string`, `boolean`, or `date-time` (RFC 3339, any offset).
    pub ty: &'static str,
    /// What it does.
    pub about: &'static str,
}

const fn route(
    method: &'static str,
    path: &'static str,
    scope: Option<Scope>,
    summary: &'static str,
    body: &'static [(&'static str, &'static str, bool)],
) -> RouteSpec {
    RouteSpec {
        method,
        path,
        scope,
        summary,
        body,
        query: &[],
        ok: &[200],
        errors: &[],
        response: "Object",
    }
}

impl RouteSpec {
    const fn query(mut self, query: &'static [Param]) -> Self {
        self.query = query;
        self
    }

    const fn ok(mut self, ok: &'static [u16]) -> Self {
        self.ok = ok;
        self
    }

    const fn errors(mut self, errors: &'static [u16]) -> Self {
        self.errors = errors;
        self
    }

    const fn returns(mut self, schema: &'static str) -> Self {
        self.response = schema;
        self
    }
}

const fn param(name: &'static str, ty: &'static str, about: &'static str) -> Param {
    Param { name, ty, about }
}

const LIMIT: Param = param("limit", "integer", "At most this many items.");
const BEFORE: Param = param(
    "before",
    "integer",
    "Only items older than this id: the next_before of the previous page.",
);
const SINCE: Param = param(
    "since",
    "date-time",
    "Only items at or after this time (RFC 3339, any offset).",
);
const NUMBER: Param = param(
    "number",
    "string",
    "Only those sent to this number (any usual spelling).",
);
const JOB_STATE: Param = param(
    "state",
    "string",
    "Only jobs in this state (see JobState). A page may then hold fewer than limit: \
     follow next_before until it is null.",
);
const APPROVAL_STATE: Param = param("state", "string", "pending, approved, rejected or expired.");
const REMINDER_STATE: Param = param(
    "state",
    "string",
    "scheduled, sending, sent, cancelled, replied or failed.",
);
const UNREAD: Param = param(
    "unread",
    "boolean",
    "true: only messages nobody marked read.",
);
const SENDER: Param = param(
    "sender",
    "string",
    "Only messages from this number (any usual spelling).",
);
const JOB: Param = param(
    "job",
    "integer",
    "Only replies to this job: from one of its recipients, to its reply number, since it was accepted.",
);
const ITEM: Param = param(
    "item",
    "integer",
    "Only replies the router matched to this approval step or reminder.",
);
const RECIPIENT_LIMIT: Param = param("limit", "integer", "At most this many recipients.");
const AFTER: Param = param(
    "after",
    "integer",
    "Only recipients after this recipient id: the next_after of the previous page.",
);
const CONTACT_LIMIT: Param = param("limit", "integer", "At most this many contacts.");
const OFFSET: Param = param("offset", "integer", "Skip this many contacts.");
const GROUP: Param = param("group", "string", "Only members of this group.");
const SEARCH: Param = param("search", "string", "Name or number containing this.");
const UNTIL: Param = param(
    "until",
    "date-time",
    "Only items before this time (RFC 3339, any offset).",
);

const S: Option<Scope> = Some(Scope::Send);
const R: Option<Scope> = Some(Scope::Read);
const A: Option<Scope> = Some(Scope::Approvals);
const C: Option<Scope> = Some(Scope::Contacts);

/// Every route.
pub const ROUTES: &[RouteSpec] = &[
    route("GET", "/healthz", None, "The process is alive.", &[]).returns("Health"),
    route(
        "GET",
        "/readyz",
        None,
        "The store is open and at least one link is up.",
        &[],
    ).errors(&[503]).returns("Ready"),
    route(
        "GET",
        "/metrics",
        None,
        "Prometheus metrics: links, queue, webhooks.",
        &[],
    ).returns("Metrics"),
    route("GET", "/v1/openapi.json", None, "This document.", &[]).returns("OpenApi"),
    route(
        "POST",
        "/v1/messages",
        S,
        "Send one text (or template) to one or more numbers; per-recipient outcomes.",
        &[
            ("recipients", "array", true),
            ("text", "string", false),
            ("template", "string", false),
            ("template_id", "integer", false),
            ("variables", "object", false),
            ("signature", "string", false),
            ("signature_id", "integer", false),
            ("source_ext", "string", false),
            ("priority", "string", false),
            ("send_at", "string", false),
            ("expires_at", "string", false),
            ("validity", "string", false),
            ("idempotency_key", "string", false),
        ],
    ).ok(&[202, 200]).errors(&[409, 413, 415, 503]).returns("SendResult"),
    route(
        "GET",
        "/v1/messages",
        R,
        "Jobs, newest first, with their state; filters as below, paged by next_before.",
        &[],
    ).query(&[LIMIT, BEFORE, NUMBER, JOB_STATE, SINCE, UNTIL]).returns("JobList"),
    route(
        "GET",
        "/v1/messages/{id}",
        R,
        "A job's status per recipient and per segment, carrier codes explained; recipients paged by next_after.",
        &[],
    ).query(&[RECIPIENT_LIMIT, AFTER]).returns("JobStatus"),
    route(
        "POST",
        "/v1/messages/{id}/cancel",
        S,
        "Cancel a job while it is scheduled or queued.",
        &[],
    ).errors(&[409]).returns("CancelResult"),
    route(
        "POST",
        "/v1/approvals",
        A,
        "Create an approval request: stages of approvers asked by SMS.",
        &[
            ("title", "string", true),
            ("applicant", "object", true),
            ("details", "string", false),
            ("stages", "array", true),
            ("expires_at", "string", false),
            ("idempotency_key", "string", false),
        ],
    ).ok(&[201, 200]).errors(&[409, 413, 415, 503]).returns("ApprovalCreated"),
    route(
        "GET",
        "/v1/approvals",
        A,
        "Approval requests, newest first, each with its steps; filters as below.",
        &[],
    ).query(&[LIMIT, BEFORE, APPROVAL_STATE, SINCE, UNTIL]).returns("ApprovalList"),
    route(
        "GET",
        "/v1/approvals/{id}",
        A,
        "An approval request with each step.",
        &[],
    ).returns("Approval"),
    route(
        "POST",
        "/v1/approvals/{id}/decide",
        A,
        "Decide a step (as the approver would by SMS), under the same rules.",
        &[
            ("step_id", "integer", true),
            ("decision", "string", true),
            ("comment", "string", false),
        ],
    ).errors(&[409, 413, 415]).returns("DecideResult"),
    route(
        "POST",
        "/v1/approvals/{id}/resend",
        A,
        "Send the approval SMS again to every open approver; 409 approval_closed once the request is decided or expired.",
        &[],
    ).returns("ResendResult"),
    route(
        "POST",
        "/v1/reminders",
        A,
        "Reminders to one or more numbers at send_at, optionally repeated until a reply.",
        &[
            ("recipients", "array", true),
            ("text", "string", false),
            ("template", "string", false),
            ("variables", "object", false),
            ("send_at", "string", false),
            ("repeat_every", "string", false),
            ("max_sends", "integer", false),
            ("signature", "string", false),
            ("idempotency_key", "string", false),
        ],
    ).ok(&[201, 200]).errors(&[409, 413, 415, 503]).returns("RemindersCreated"),
    route(
        "GET",
        "/v1/reminders",
        A,
        "Reminders, newest first; filters as below.",
        &[],
    ).query(&[LIMIT, BEFORE, REMINDER_STATE, NUMBER, SINCE, UNTIL]).returns("ReminderList"),
    route("GET", "/v1/reminders/{id}", A, "A reminder's state.", &[]).returns("Reminder"),
    route(
        "POST",
        "/v1/reminders/{id}/cancel",
        A,
        "Cancel a reminder that has not gone yet.",
        &[],
    ).errors(&[409]).returns("CancelReminderResult"),
    route(
        "GET",
        "/v1/inbox",
        R,
        "Inbound messages, newest first; filters as below, paged by next_before.",
        &[],
    ).query(&[LIMIT, BEFORE, UNREAD, SENDER, JOB, ITEM, SINCE, UNTIL]).returns("InboxList"),
    route(
        "POST",
        "/v1/inbox/{id}/read",
        R,
        "Mark an inbound message read.",
        &[],
    ).returns("MarkedRead"),
    route(
        "GET",
        "/v1/links",
        R,
        "Each carrier link: state, window in use, counters.",
        &[],
    ).returns("Links"),
    route(
        "GET",
        "/v1/queue",
        R,
        "Queue depth per state, orphan reports, webhook backlog.",
        &[],
    ).returns("Queue"),
    route(
        "GET",
        "/v1/alerts",
        R,
        "Alerts firing now, and the recent notices (firing, repeat, resolved), newest first.",
        &[],
    ).returns("Alerts"),
    route(
        "GET",
        "/v1/contacts",
        C,
        "Contacts, by group or search, paged by offset.",
        &[],
    ).query(&[CONTACT_LIMIT, OFFSET, GROUP, SEARCH]).returns("ContactPage"),
    route(
        "POST",
        "/v1/contacts",
        C,
        "Create or replace a contact, keyed by phone number.",
        &[
            ("phone", "string", true),
            ("name", "string", false),
            ("groups", "array", false),
            ("tags", "array", false),
        ],
    ).ok(&[201, 200]).errors(&[413, 415]).returns("ContactSaved"),
    route("GET", "/v1/contacts/{id}", C, "One contact.", &[]).returns("Contact"),
    route("DELETE", "/v1/contacts/{id}", C, "Delete a contact.", &[]).returns("Deleted"),
    route(
        "POST",
        "/v1/contacts/import",
        C,
        "Import a CSV (body: the file, text/csv, UTF-8 or GBK); bad rows reported by line.",
        &[],
    ).errors(&[413, 415]).returns("ImportReport"),
    route("GET", "/v1/groups", C, "Groups with member counts.", &[]).returns("Groups"),
    route(
        "POST",
        "/v1/groups",
        C,
        "Create a group.",
        &[("name", "string", true)],
    ).ok(&[201, 200]).errors(&[413, 415]).returns("GroupCreated"),
    route(
        "DELETE",
        "/v1/groups/{name}",
        C,
        "Delete a group (its contacts stay).",
        &[],
    ).returns("GroupDeleted"),
    route(
        "POST",
        "/v1/groups/{name}/members",
        C,
        "Add and remove contacts (by id) of a group.",
        &[("add", "array", false), ("remove", "array", false)],
    ).errors(&[413, 415]).returns("GroupMembers"),
    route(
        "POST",
        "/v1/groups/send",
        C,
        "Send to one or more groups: each distinct number once, as one bulk job.",
        &[
            ("groups", "array", true),
            ("text", "string", true),
            ("signature", "string", false),
            ("send_at", "string", false),
            ("idempotency_key", "string", false),
        ],
    ).ok(&[202, 200]).errors(&[409, 413, 415, 503]).returns("GroupSendResult"),
    route(
        "GET",
        "/v1/groups/sends/{id}",
        C,
        "Progress of a group send: done of total, state per recipient (paged by next_after).",
        &[],
    ).query(&[RECIPIENT_LIMIT, AFTER]).returns("GroupSendProgress"),
    route("GET", "/v1/drafts", C, "Saved drafts.", &[]).returns("Drafts"),
    route(
        "POST",
        "/v1/drafts",
        C,
        "Save a draft of a group send.",
        &[
            ("title", "string", true),
            ("text", "string", true),
            ("signature", "string", false),
            ("groups", "array", true),
            ("send_at", "string", false),
            ("numbers", "array", false),
        ],
    ).ok(&[201]).errors(&[413, 415]).returns("DraftSaved"),
    route(
        "POST",
        "/v1/drafts/{id}/send",
        C,
        "Send a draft (once: sending again returns the same job).",
        &[],
    ).ok(&[202, 200]).errors(&[409, 503]).returns("GroupSendResult"),
    route("DELETE", "/v1/drafts/{id}", C, "Delete a draft.", &[]).returns("Deleted"),
    route("GET", "/v1/signatures", R, "Stored signatures, by name.", &[]).returns("Signatures"),
    route(
        "POST",
        "/v1/signatures",
        Some(Scope::All),
        "Save a signature (a new one, or over id); names are unique.",
        &[("id", "integer", false), ("name", "string", true), ("text", "string", true)],
    ).ok(&[201, 200]).errors(&[413, 415]).returns("SnippetSaved"),
    route("DELETE", "/v1/signatures/{id}", Some(Scope::All), "Delete a signature.", &[]).returns("Deleted"),
    route("GET", "/v1/templates", R, "Stored message templates, by name.", &[]).returns("Templates"),
    route(
        "POST",
        "/v1/templates",
        Some(Scope::All),
        "Save a message template with {name} variables (a new one, or over id); names are unique.",
        &[("id", "integer", false), ("name", "string", true), ("text", "string", true)],
    ).ok(&[201, 200]).errors(&[413, 415]).returns("SnippetSaved"),
    route("DELETE", "/v1/templates/{id}", Some(Scope::All), "Delete a template.", &[]).returns("Deleted"),
    route(
        "POST",
        "/v1/simulate/reply",
        A,
        "Demo mode: a simulated phone sends an SMS to an extended number.",
        &[
            ("from", "string", true),
            ("to", "string", true),
            ("text", "string", true),
        ],
    ).ok(&[202]).errors(&[413, 415, 503]).returns("SimulatedReply"),
];

/// Whether `path` is the API's (`/v1…`, or one of [`ROUTES`]' open paths such as
/// `/healthz`); every other path is the staff console's.
pub fn is_api_path(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/") || ROUTES.iter().any(|r| r.path == path)
}

/// The router over [`ROUTES`].
pub fn router(state: AppState, max_body: usize) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/v1/openapi.json", get(openapi::document))
        .route("/v1/messages", get(messages::list).post(messages::send))
        .route("/v1/messages/{id}", get(messages::status))
        .route("/v1/messages/{id}/cancel", post(messages::cancel))
        .route(
            "/v1/approvals",
            get(approvals::list).post(approvals::create),
        )
        .route("/v1/approvals/{id}", get(approvals::get_one))
        .route("/v1/approvals/{id}/decide", post(approvals::decide))
        .route("/v1/approvals/{id}/resend", post(approvals::resend))
        .route(
            "/v1/reminders",
            get(reminders::list).post(reminders::create),
        )
        .route("/v1/reminders/{id}", get(reminders::get_one))
        .route("/v1/reminders/{id}/cancel", post(reminders::cancel))
        .route("/v1/inbox", get(inbox::list))
        .route("/v1/inbox/{id}/read", post(inbox::mark_read))
        .route("/v1/links", get(links::links))
        .route("/v1/queue", get(links::queue))
        .route("/v1/alerts", get(alerts::alerts))
        .route("/v1/contacts", get(contacts::list).post(contacts::upsert))
        .route(
            "/v1/contacts/{id}",
            get(contacts::get_one).delete(contacts::delete),
        )
        .route("/v1/contacts/import", post(contacts::import))
        .route(
            "/v1/groups",
            get(contacts::groups).post(contacts::group_create),
        )
        .route(
            "/v1/groups/{name}",
            axum::routing::delete(contacts::group_delete),
        )
        .route("/v1/groups/{name}/members", post(contacts::group_members))
        .route("/v1/groups/send", post(contacts::group_send))
        .route("/v1/groups/sends/{id}", get(contacts::progress))
        .route(
            "/v1/drafts",
            get(contacts::drafts).post(contacts::draft_save),
        )
        .route("/v1/drafts/{id}/send", post(contacts::draft_send))
        .route(
            "/v1/drafts/{id}",
            axum::routing::delete(contacts::draft_delete),
        )
        .route("/v1/simulate/reply", post(simulate::reply))
        .route(
            "/v1/signatures",
            get(snippets::signatures).post(snippets::signature_save),
        )
        .route(
            "/v1/signatures/{id}",
            axum::routing::delete(snippets::signature_delete),
        )
        .route(
            "/v1/templates",
            get(snippets::templates).post(snippets::template_save),
        )
        .route(
            "/v1/templates/{id}",
            axum::routing::delete(snippets::template_delete),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authorize,
        ))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// The name of the API client (token) that made the request, set by [`authorize`].
#[derive(Debug, Clone)]
pub struct CallerName(pub String);

/// Checks the token against the scope [`ROUTES`] gives the matched route, before any
/// body is read; a routed path missing from the table is refused (deny by default).
async fn authorize(
    State(st): State<AppState>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let method = method.as_str();
    let spec = matched.as_ref().and_then(|p| {
        ROUTES
            .iter()
            .find(|r| r.path == p.as_str() && r.method == method)
    });
    let Some(spec) = spec else {
        tracing::error!(%method, path = ?matched.as_ref().map(MatchedPath::as_str), "route is not in ROUTES");
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "route without an access rule",
        )
        .into_response();
    };
    if let Some(scope) = spec.scope {
        match st.auth(req.headers(), scope) {
            Ok(client) => {
                tracing::debug!(%client, %method, path = spec.path, "API request");
                // Handlers that record who did something (a job's sender) read it here.
                req.extensions_mut().insert(CallerName(client));
            }
            Err(e) => return e.into_response(),
        }
    }
    if let Some(unknown) = req.uri().query().and_then(|q| unknown_param(q, spec.query)) {
        return unknown_param_error(unknown, spec.query).into_response();
    }
    next.run(req).await
}

/// The first parameter of `query` that is not one of `known`.
fn unknown_param<'q>(query: &'q str, known: &[Param]) -> Option<&'q str> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').map_or(pair, |(k, _)| k))
        .find(|name| !known.iter().any(|p| p.name == *name))
}

fn unknown_param_error(name: &str, known: &[Param]) -> ApiError {
    let names: Vec<&str> = known.iter().map(|p| p.name).collect();
    let takes = if names.is_empty() {
        "this route takes no query parameters".to_owned()
    } else {
        format!("this route takes: {}", names.join(", "))
    };
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "unknown_parameter",
        format!("unknown query parameter {name:?}; {takes}"),
    )
    .with_details(serde_json::json!({ "parameter": name, "known": names }))
}

async fn no_route() -> impl IntoResponse {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_route",
        "no such route; see /v1/openapi.json",
    )
}

async fn wrong_method() -> impl IntoResponse {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; see /v1/openapi.json",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_outside_the_route_s_list_is_named_with_the_known_ones() {
        let list = ROUTES
            .iter()
            .find(|r| r.method == "GET" && r.path == "/v1/messages")
            .unwrap();
        assert_eq!(unknown_param("limit=5&before=9", list.query), None);
        assert_eq!(unknown_param("limit=5&&state=failed", list.query), None);
        assert_eq!(unknown_param("limit=5&numbr=1", list.query), Some("numbr"));
        assert_eq!(unknown_param("flag", list.query), Some("flag"));
        let e = unknown_param_error("numbr", list.query);
        assert_eq!(
            (e.status, e.code),
            (StatusCode::BAD_REQUEST, "unknown_parameter")
        );
        assert!(e.message.contains("numbr") && e.message.contains("limit, before, number"));
        let e = unknown_param_error("x", &[]);
        assert!(
            e.message.contains("takes no query parameters"),
            "{}",
            e.message
        );
    }

    #[test]
    fn every_route_names_a_documented_response_and_success_status() {
        let schemas = super::super::openapi::build();
        for r in ROUTES {
            assert!(!r.ok.is_empty(), "{} {}", r.method, r.path);
            assert!(
                schemas["components"]["schemas"][r.response].is_object(),
                "{} {}: schema {} is not in the document",
                r.method,
                r.path,
                r.response
            );
        }
    }
}
