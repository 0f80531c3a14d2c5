//! The response schemas of the OpenAPI document, by the names [`ROUTES`](super::ROUTES)
//! gives (`RouteSpec::response`). They describe the fields clients rely on; objects stay
//! open (`additionalProperties` is not restricted), so adding a field is not a break.

use serde_json::{Map, Value, json};

use super::listing::{APPROVAL_STATES, JOB_STATES, REMINDER_STATES};

fn obj(props: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": props, "required": required })
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn array_of(item: Value) -> Value {
    json!({ "type": "array", "items": item })
}

fn time() -> Value {
    json!({ "type": "string", "format": "date-time", "description": "RFC 3339, UTC+8" })
}

fn opt_time() -> Value {
    json!({ "type": ["string", "null"], "format": "date-time" })
}

fn cursor(about: &str) -> Value {
    json!({ "type": ["integer", "null"], "description": about })
}

const DELIVERY_STATES: &[&str] = &[
    "scheduled",
    "queued",
    "in_flight",
    "submitted",
    "delivered",
    "failed",
    "expired",
    "unconfirmed",
    "cancelled",
    "unreported",
];

/// Every named schema.
pub fn schemas() -> Map<String, Value> {
    let next_before = cursor("Pass as before for the next page; null: the list ends here.");
    let next_after = cursor("Pass as after for the next page of recipients; null: the last.");
    let counts: Map<String, Value> = DELIVERY_STATES
        .iter()
        .map(|s| ((*s).to_owned(), json!({ "type": "integer" })))
        .collect();
    let outcome = json!({ "type": "object", "description": "accepted (index, input, number, carrier, segments) or rejected (index, input, reason)",
        "properties": { "outcome": { "type": "string", "enum": ["accepted", "rejected"] } } });
    let list: Vec<(&str, Value)> = vec![
        ("Object", json!({ "type": "object" })),
        (
            "Health",
            obj(json!({ "status": { "type": "string" } }), &["status"]),
        ),
        (
            "Ready",
            obj(
                json!({
                    "ready": { "type": "boolean" },
                    "store": { "type": "string" },
                    "links_up": array_of(json!({ "type": "string" })),
                }),
                &["ready", "store", "links_up"],
            ),
        ),
        (
            "Metrics",
            json!({ "type": "string", "description": "Prometheus text format 0.0.4" }),
        ),
        (
            "OpenApi",
            json!({ "type": "object", "description": "This document." }),
        ),
        (
            "JobState",
            json!({ "type": "string", "enum": JOB_STATES, "description":
            "scheduled, queued, sending (some recipients still queued or in flight), submitted (reports awaited), delivered (all), partly_delivered (some delivered, the others failed or expired), failed, expired, unconfirmed, cancelled, unreported" }),
        ),
        (
            "DeliveryState",
            json!({ "type": "string", "enum": DELIVERY_STATES }),
        ),
        (
            "StateCounts",
            json!({ "type": "object", "properties": counts }),
        ),
        ("RecipientOutcome", outcome),
        (
            "SendResult",
            obj(
                json!({
                    "job_id": { "type": "integer" },
                    "created": { "type": "boolean", "description": "false: the idempotency key named an earlier job, which this is" },
                    "state": r("JobState"),
                    "accepted": { "type": "integer" },
                    "rejected": { "type": "integer" },
                    "recipients": array_of(r("RecipientOutcome")),
                }),
                &[
                    "job_id",
                    "created",
                    "state",
                    "accepted",
                    "rejected",
                    "recipients",
                ],
            ),
        ),
        (
            "JobSummary",
            obj(
                json!({
                    "job_id": { "type": "integer" },
                    "state": r("JobState"),
                    "priority": { "type": "string" },
                    "text": { "type": "string" },
                    "signature": { "type": "string" },
                    "send_at": opt_time(),
                    "recipients": { "type": "integer" },
                    "segments": { "type": "integer" },
                    "created_at": time(),
                }),
                &["job_id", "state", "recipients", "segments", "created_at"],
            ),
        ),
        (
            "JobList",
            obj(
                json!({ "messages": array_of(r("JobSummary")), "next_before": next_before }),
                &["messages", "next_before"],
            ),
        ),
        (
            "Segment",
            obj(
                json!({
                    "segment_id": { "type": "integer" },
                    "part": { "type": "integer" },
                    "state": r("DeliveryState"),
                    "attempts": { "type": "integer" },
                    "link": { "type": ["string", "null"] },
                    "msg_id": { "type": ["string", "null"] },
                    "result": { "type": ["integer", "null"] },
                    "result_meaning": { "type": "string" },
                    "report_stat": { "type": ["string", "null"] },
                    "report_err": { "type": ["string", "null"] },
                    "report_meaning": { "type": "string" },
                    "last_error": { "type": ["string", "null"] },
                    "updated_at": time(),
                }),
                &["segment_id", "part", "state"],
            ),
        ),
        (
            "Recipient",
            obj(
                json!({
                    "recipient_id": { "type": "integer" },
                    "number": { "type": "string" },
                    "carrier": { "type": "string" },
                    "state": r("DeliveryState"),
                    "parts": { "type": "integer" },
                    "last_error": { "type": ["string", "null"] },
                    "segments": array_of(r("Segment")),
                }),
                &["recipient_id", "number", "state", "segments"],
            ),
        ),
        (
            "JobStatus",
            obj(
                json!({
                    "job_id": { "type": "integer" },
                    "state": r("JobState"),
                    "priority": { "type": "string" },
                    "text": { "type": "string" },
                    "send_at": opt_time(),
                    "expires_at": opt_time(),
                    "created_at": time(),
                    "counts": r("StateCounts"),
                    "recipients_total": { "type": "integer" },
                    "recipients": array_of(r("Recipient")),
                    "next_after": next_after.clone(),
                }),
                &[
                    "job_id",
                    "state",
                    "counts",
                    "recipients_total",
                    "recipients",
                    "next_after",
                ],
            ),
        ),
        (
            "CancelResult",
            obj(
                json!({ "job_id": { "type": "integer" }, "result": {} }),
                &["job_id", "result"],
            ),
        ),
        (
            "Approval",
            obj(
                json!({
                    "id": { "type": "integer" },
                    "title": { "type": "string" },
                    "state": { "type": "string", "enum": APPROVAL_STATES },
                    "created_at": time(),
                    "expires_at": time(),
                    "steps": array_of(json!({ "type": "object" })),
                }),
                &["id", "title", "state", "steps"],
            ),
        ),
        (
            "ApprovalCreated",
            obj(
                json!({ "approval_id": { "type": "integer" }, "created": { "type": "boolean" }, "approval": r("Approval") }),
                &["approval_id", "created", "approval"],
            ),
        ),
        (
            "ApprovalList",
            obj(
                json!({ "approvals": array_of(r("Approval")), "next_before": next_before }),
                &["approvals", "next_before"],
            ),
        ),
        (
            "DecideResult",
            obj(
                json!({ "outcome": { "type": "object" }, "approval": r("Approval") }),
                &["outcome", "approval"],
            ),
        ),
        (
            "ResendResult",
            obj(
                json!({ "approval_id": { "type": "integer" }, "resent": { "type": "integer" } }),
                &["approval_id", "resent"],
            ),
        ),
        (
            "Reminder",
            obj(
                json!({
                    "id": { "type": "integer" },
                    "recipient": { "type": "string" },
                    "text": { "type": "string" },
                    "state": { "type": "string", "enum": REMINDER_STATES },
                    "send_at": time(),
                    "sends": { "type": "integer" },
                    "reply": { "type": ["string", "null"] },
                }),
                &["id", "recipient", "state"],
            ),
        ),
        (
            "RemindersCreated",
            obj(
                json!({ "recipients": array_of(json!({ "type": "object", "description": "created (reminder_id, created) or rejected (index, input, reason)" })) }),
                &["recipients"],
            ),
        ),
        (
            "ReminderList",
            obj(
                json!({ "reminders": array_of(r("Reminder")), "next_before": next_before }),
                &["reminders", "next_before"],
            ),
        ),
        (
            "CancelReminderResult",
            obj(
                json!({ "reminder_id": { "type": "integer" }, "result": { "type": "string" } }),
                &["reminder_id", "result"],
            ),
        ),
        (
            "InboxMessage",
            obj(
                json!({
                    "id": { "type": "integer" },
                    "message": obj(json!({
                        "sender": { "type": "string" },
                        "destination": { "type": "string" },
                        "text": { "type": "string" },
                        "received_at": time(),
                        "link": { "type": "string" },
                        "item_id": { "type": ["integer", "null"] },
                    }), &["sender", "destination", "text"]),
                    "read": { "type": "boolean" },
                    "route": { "type": ["string", "null"] },
                }),
                &["id", "message", "read"],
            ),
        ),
        (
            "InboxList",
            obj(
                json!({ "messages": array_of(r("InboxMessage")), "next_before": next_before }),
                &["messages", "next_before"],
            ),
        ),
        (
            "MarkedRead",
            obj(
                json!({ "id": { "type": "integer" }, "read": { "type": "boolean" } }),
                &["id", "read"],
            ),
        ),
        (
            "Links",
            obj(
                json!({ "links": array_of(json!({ "type": "object", "properties": {
            "name": { "type": "string" }, "carrier": { "type": "string" }, "protocol": { "type": "string" },
            "simulated": { "type": "boolean" }, "state": { "type": "string" } } })) }),
                &["links"],
            ),
        ),
        (
            "Alerts",
            obj(
                json!({
                    "firing": array_of(json!({ "type": "object", "properties": {
                        "alert": { "type": "string" }, "subject": { "type": "string" },
                        "since": { "type": "string", "format": "date-time" }, "text": { "type": "string" },
                        "last_notified": { "type": "string", "format": "date-time" },
                        "sms": { "type": ["string", "null"] } } })),
                    "recent": array_of(json!({ "type": "object", "properties": {
                        "id": { "type": "integer" }, "alert": { "type": "string" }, "subject": { "type": "string" },
                        "state": { "type": "string", "enum": ["firing", "repeat", "resolved"] },
                        "text": { "type": "string" }, "since": { "type": "string", "format": "date-time" },
                        "at": { "type": "string", "format": "date-time" }, "notified": { "type": "boolean" },
                        "sms": { "type": ["string", "null"] } } })),
                }),
                &["firing", "recent"],
            ),
        ),
        (
            "Queue",
            obj(
                json!({ "segments": r("StateCounts"), "orphan_reports": { "type": "integer" }, "webhook_backlog": { "type": "object" } }),
                &["segments", "orphan_reports"],
            ),
        ),
        (
            "Contact",
            obj(
                json!({ "id": { "type": "integer" }, "phone": { "type": "string" }, "name": { "type": "string" },
            "groups": array_of(json!({ "type": "string" })), "tags": array_of(json!({ "type": "string" })) }),
                &["id", "phone"],
            ),
        ),
        (
            "ContactPage",
            obj(
                json!({ "contacts": array_of(r("Contact")), "total": { "type": "integer" } }),
                &["contacts"],
            ),
        ),
        (
            "ContactSaved",
            obj(
                json!({ "created": { "type": "boolean" }, "contact": r("Contact") }),
                &["created", "contact"],
            ),
        ),
        (
            "Deleted",
            obj(
                json!({ "id": { "type": "integer" }, "deleted": { "type": "boolean" } }),
                &["id", "deleted"],
            ),
        ),
        (
            "ImportReport",
            json!({ "type": "object", "description": "Rows created, updated and refused (each bad row with its line and reason)." }),
        ),
        (
            "Groups",
            obj(
                json!({ "groups": array_of(json!({ "type": "object", "properties": { "name": { "type": "string" }, "members": { "type": "integer" } } })) }),
                &["groups"],
            ),
        ),
        (
            "GroupCreated",
            obj(
                json!({ "id": { "type": "integer" }, "name": { "type": "string" }, "created": { "type": "boolean" } }),
                &["id", "name", "created"],
            ),
        ),
        (
            "GroupDeleted",
            obj(
                json!({ "name": { "type": "string" }, "deleted": { "type": "boolean" }, "members": { "type": "integer" } }),
                &["name", "deleted"],
            ),
        ),
        (
            "GroupMembers",
            obj(
                json!({ "name": { "type": "string" }, "added": { "type": "integer" }, "removed": { "type": "integer" } }),
                &["name", "added", "removed"],
            ),
        ),
        (
            "GroupSendResult",
            obj(
                json!({
                    "job_id": { "type": ["integer", "null"] },
                    "created": { "type": "boolean" },
                    "recipients": { "type": "integer" },
                    "accepted": { "type": "integer" },
                    "outcomes": array_of(r("RecipientOutcome")),
                }),
                &["job_id", "created", "recipients", "accepted", "outcomes"],
            ),
        ),
        (
            "GroupSendProgress",
            obj(
                json!({
                    "job_id": { "type": "integer" },
                    "state": r("JobState"),
                    "total": { "type": "integer" },
                    "done": { "type": "integer" },
                    "counts": r("StateCounts"),
                    "recipients": array_of(json!({ "type": "object", "properties": { "number": { "type": "string" }, "state": r("DeliveryState") } })),
                    "next_after": next_after,
                }),
                &[
                    "job_id",
                    "state",
                    "total",
                    "done",
                    "counts",
                    "recipients",
                    "next_after",
                ],
            ),
        ),
        (
            "Drafts",
            obj(
                json!({ "drafts": array_of(json!({ "type": "object" })) }),
                &["drafts"],
            ),
        ),
        (
            "DraftSaved",
            obj(json!({ "draft": { "type": "object" } }), &["draft"]),
        ),
        (
            "Snippet",
            obj(
                json!({
                    "id": { "type": "integer" },
                    "name": { "type": "string" },
                    "text": { "type": "string" },
                    "created_at": { "type": "integer" },
                    "updated_at": { "type": "integer" },
                }),
                &["id", "name", "text", "created_at", "updated_at"],
            ),
        ),
        (
            "Signatures",
            obj(
                json!({ "signatures": array_of(r("Snippet")) }),
                &["signatures"],
            ),
        ),
        (
            "Templates",
            obj(
                json!({ "templates": array_of(r("Snippet")) }),
                &["templates"],
            ),
        ),
        (
            "SnippetSaved",
            obj(json!({ "saved": r("Snippet") }), &["saved"]),
        ),
        (
            "SimulatedReply",
            obj(
                json!({ "link": { "type": "string" }, "from": { "type": "string" }, "to": { "type": "string" } }),
                &["link", "from", "to"],
            ),
        ),
    ];
    list.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
