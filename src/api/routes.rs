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
use super::{approvals, contacts, inbox, links, messages, openapi, ops, reminders, simulate};
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
    }
}

const S: Option<Scope> = Some(Scope::Send);
const R: Option<Scope> = Some(Scope::Read);
const A: Option<Scope> = Some(Scope::Approvals);
const C: Option<Scope> = Some(Scope::Contacts);

/// Every route.
pub const ROUTES: &[RouteSpec] = &[
    route("GET", "/healthz", None, "The process is alive.", &[]),
    route(
        "GET",
        "/readyz",
        None,
        "The store is open and at least one link is up.",
        &[],
    ),
    route(
        "GET",
        "/metrics",
        None,
        "Prometheus metrics: links, queue, webhooks.",
        &[],
    ),
    route("GET", "/v1/openapi.json", None, "This document.", &[]),
    route(
        "POST",
        "/v1/messages",
        S,
        "Send one text (or template) to one or more numbers; per-recipient outcomes.",
        &[
            ("recipients", "array", true),
            ("text", "string", false),
            ("template", "string", false),
            ("variables", "object", false),
            ("signature", "string", false),
            ("source_ext", "string", false),
            ("priority", "string", false),
            ("send_at", "string", false),
            ("expires_at", "string", false),
            ("validity", "string", false),
            ("idempotency_key", "string", false),
        ],
    ),
    route(
        "GET",
        "/v1/messages",
        R,
        "Recent jobs, newest first (?limit=N, ?before=ID for the next page).",
        &[],
    ),
    route(
        "GET",
        "/v1/messages/{id}",
        R,
        "A job's status per recipient and per segment, carrier codes explained.",
        &[],
    ),
    route(
        "POST",
        "/v1/messages/{id}/cancel",
        S,
        "Cancel a job while it is scheduled or queued.",
        &[],
    ),
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
    ),
    route(
        "GET",
        "/v1/approvals/{id}",
        A,
        "An approval request with each step.",
        &[],
    ),
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
    ),
    route(
        "POST",
        "/v1/approvals/{id}/resend",
        A,
        "Send the approval SMS again to every open approver; 409 approval_closed once the request is decided or expired.",
        &[],
    ),
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
    ),
    route("GET", "/v1/reminders/{id}", A, "A reminder's state.", &[]),
    route(
        "POST",
        "/v1/reminders/{id}/cancel",
        A,
        "Cancel a reminder that has not gone yet.",
        &[],
    ),
    route(
        "GET",
        "/v1/inbox",
        R,
        "Inbound messages, newest first (?unread=true, ?limit=N).",
        &[],
    ),
    route(
        "POST",
        "/v1/inbox/{id}/read",
        R,
        "Mark an inbound message read.",
        &[],
    ),
    route(
        "GET",
        "/v1/links",
        R,
        "Each carrier link: state, window in use, counters.",
        &[],
    ),
    route(
        "GET",
        "/v1/queue",
        R,
        "Queue depth per state, orphan reports, webhook backlog.",
        &[],
    ),
    route(
        "GET",
        "/v1/contacts",
        C,
        "Contacts, by group or search (?group=, ?search=, ?limit=, ?offset=).",
        &[],
    ),
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
    ),
    route("GET", "/v1/contacts/{id}", C, "One contact.", &[]),
    route("DELETE", "/v1/contacts/{id}", C, "Delete a contact.", &[]),
    route(
        "POST",
        "/v1/contacts/import",
        C,
        "Import a CSV (body: the file, text/csv, UTF-8 or GBK); bad rows reported by line.",
        &[],
    ),
    route("GET", "/v1/groups", C, "Groups with member counts.", &[]),
    route(
        "POST",
        "/v1/groups",
        C,
        "Create a group.",
        &[("name", "string", true)],
    ),
    route(
        "DELETE",
        "/v1/groups/{name}",
        C,
        "Delete a group (its contacts stay).",
        &[],
    ),
    route(
        "POST",
        "/v1/groups/{name}/members",
        C,
        "Add and remove contacts (by id) of a group.",
        &[("add", "array", false), ("remove", "array", false)],
    ),
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
    ),
    route(
        "GET",
        "/v1/groups/sends/{id}",
        C,
        "Progress of a group send: done of total, state per recipient.",
        &[],
    ),
    route("GET", "/v1/drafts", C, "Saved drafts.", &[]),
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
        ],
    ),
    route(
        "POST",
        "/v1/drafts/{id}/send",
        C,
        "Send a draft (once: sending again returns the same job).",
        &[],
    ),
    route("DELETE", "/v1/drafts/{id}", C, "Delete a draft.", &[]),
    route(
        "POST",
        "/v1/simulate/reply",
        S,
        "Demo mode: a simulated phone sends an SMS to an extended number.",
        &[
            ("from", "string", true),
            ("to", "string", true),
            ("text", "string", true),
        ],
    ),
];

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
        .route("/v1/approvals", post(approvals::create))
        .route("/v1/approvals/{id}", get(approvals::get_one))
        .route("/v1/approvals/{id}/decide", post(approvals::decide))
        .route("/v1/approvals/{id}/resend", post(approvals::resend))
        .route("/v1/reminders", post(reminders::create))
        .route("/v1/reminders/{id}", get(reminders::get_one))
        .route("/v1/reminders/{id}/cancel", post(reminders::cancel))
        .route("/v1/inbox", get(inbox::list))
        .route("/v1/inbox/{id}/read", post(inbox::mark_read))
        .route("/v1/links", get(links::links))
        .route("/v1/queue", get(links::queue))
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
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authorize,
        ))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// Checks the token against the scope [`ROUTES`] gives the matched route, before any
/// body is read; a routed path missing from the table is refused (deny by default).
async fn authorize(
    State(st): State<AppState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().as_str();
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
    let Some(scope) = spec.scope else {
        return next.run(req).await;
    };
    match st.auth(req.headers(), scope) {
        Ok(client) => {
            tracing::debug!(%client, %method, path = spec.path, "API request");
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
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
