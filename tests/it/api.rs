//! The HTTP API over real HTTP on 127.0.0.1:0, against the real daemon on its embedded
//! demo config (three simulated carriers): every route of the table answers and is in
//! the OpenAPI document; auth failures; bad JSON, wrong types, oversize bodies; unknown
//! numbers and idempotent retries; approvals answered by a simulated phone; reminders;
//! the inbox; links, queue, metrics, health and readiness. Every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use hongyan::api::ROUTES;
use hongyan::api::client::ClientError;
use hongyan::config::Scope;
use hongyan::workflow::WorkflowEvent;
use serde_json::json;

use crate::support::{
    Api, ApiCalls, LIMIT, READER, external_mobile_at, free_addr, next_event, wait_until, within,
};

fn path_of(route: &str) -> String {
    route
        .split('/')
        .map(|s| if s.starts_with('{') { "1" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_route_answers_and_the_document_lists_exactly_them() {
    let api = Api::start("routes", |_| {}).await;
    let doc = api.call("GET", "/v1/openapi.json", None).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(|m| (m.to_uppercase(), p.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut table: Vec<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    documented.sort();
    table.sort();
    assert_eq!(documented, table);
    for r in ROUTES {
        let body = if r.method == "POST" {
            Bytes::from_static(b"{}")
        } else {
            Bytes::new()
        };
        let resp = api
            .client
            .raw(
                r.method,
                &path_of(r.path),
                Some("application/json"),
                body,
                &[],
            )
            .await
            .unwrap();
        let v = resp.json();
        assert_ne!(resp.status, 405, "{} {}: {v}", r.method, r.path);
        assert_ne!(
            v["error"]["code"], "no_route",
            "{} {} is in the table but not routed",
            r.method, r.path
        );
        assert!(
            resp.status == 200 || v["error"]["code"].is_string(),
            "{} {}: every error is JSON with a code: {} {}",
            r.method,
            r.path,
            resp.status,
            resp.text()
        );
        if let Some(scope) = r.scope {
            let anon = api
                .as_client(None)
                .raw(
                    r.method,
                    &path_of(r.path),
                    Some("application/json"),
                    Bytes::new(),
                    &[],
                )
                .await
                .unwrap();
            assert_eq!(anon.status, 401, "{} {} without a token", r.method, r.path);
            assert_eq!(anon.json()["error"]["code"], "unauthorized");
            let reader = api
                .as_client(Some(READER))
                .raw(
                    r.method,
                    &path_of(r.path),
                    Some("application/json"),
                    Bytes::from_static(b"{}"),
                    &[],
                )
                .await
                .unwrap();
            if scope == Scope::Read {
                assert_ne!(reader.status, 403, "{} {}", r.method, r.path);
            } else {
                assert_eq!(
                    reader.status, 403,
                    "{} {} with a read-only token",
                    r.method, r.path
                );
                assert_eq!(reader.json()["error"]["code"], "forbidden");
            }
        }
    }
    let missing = api
        .client
        .raw("GET", "/v1/nothing", None, Bytes::new(), &[])
        .await
        .unwrap();
    assert_eq!(
        (missing.status, missing.json()["error"]["code"].clone()),
        (404, json!("no_route"))
    );
    let wrong = api
        .client
        .raw("DELETE", "/v1/messages", None, Bytes::new(), &[])
        .await
        .unwrap();
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.json()["error"]["code"], "method_not_allowed");
    api.stop().await;
}

#[tokio::test]
async fn wrong_tokens_and_bad_bodies_get_json_errors() {
    let api = Api::start("bad-input", |c| c.api.max_body_bytes = 4096).await;
    let bad = api.as_client(Some("not-a-token-at-all-xx"));
    match bad.call("GET", "/v1/links", None).await {
        Err(ClientError::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (401, "unauthorized"))
        }
        other => panic!("{other:?}"),
    }
    // Syntax error: 400 with the position.
    let resp = api
        .client
        .raw(
            "POST",
            "/v1/messages",
            Some("application/json"),
            Bytes::from_static(b"{\"recipients\": ["),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["error"]["code"], "bad_json");
    assert!(
        resp.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 1")
    );
    // Wrong type, unknown field, bad time: 422 naming the field.
    let (s, code, body) = api
        .fail(
            "POST",
            "/v1/messages",
            Some(json!({"recipients": [13800138000u64], "text": "x"})),
        )
        .await;
    assert_eq!((s, code.as_str()), (422, "invalid"));
    assert_eq!(body["error"]["details"]["field"], "recipients[0]");
    let (s, _, body) = api
        .fail(
            "POST",
            "/v1/messages",
            Some(json!({"recipients": ["13800138000"], "txt": "x"})),
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("txt"),
        "{body}"
    );
    let (_, _, body) = api
        .fail(
            "POST",
            "/v1/messages",
            Some(json!({"recipients": ["13800138000"], "text": "x", "send_at": "tomorrow"})),
        )
        .await;
    assert_eq!(body["error"]["details"]["field"], "send_at");
    // Not JSON at all: 415.
    let resp = api
        .client
        .raw(
            "POST",
            "/v1/messages",
            Some("text/plain"),
            Bytes::from_static(b"hi"),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 415);
    assert_eq!(resp.json()["error"]["code"], "unsupported_media_type");
    // Over api.max_body_bytes: 413.
    let big = json!({"recipients": ["13800138000"], "text": "长".repeat(3000)});
    let resp = api
        .client
        .raw(
            "POST",
            "/v1/messages",
            Some("application/json"),
            Bytes::from(big.to_string()),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 413);
    assert_eq!(resp.json()["error"]["code"], "body_too_large");
    // A path id that is not a number.
    let (s, code, _) = api.fail("GET", "/v1/messages/abc", None).await;
    assert_eq!((s, code.as_str()), (422, "invalid"));
    api.stop().await;
}

#[tokio::test]
async fn send_reports_each_recipient_and_a_retry_returns_the_same_job() {
    let api = Api::start("send", |_| {}).await;
    let body = json!({
        "recipients": ["+86 138-0013-8000", "1330000000", "13800138000", "133 0000 0000", "010 6552 9988"],
        "template": "{name}，您的订单 {order} 已发货",
        "variables": {"name": "王先生", "order": "A-1001"},
        "idempotency_key": "order-A-1001-shipped",
    });
    let first = api.call("POST", "/v1/messages", Some(body.clone())).await;
    assert_eq!(first["created"], true);
    assert_eq!(first["accepted"], 2);
    assert_eq!(first["rejected"], 3);
    let r = first["recipients"].as_array().unwrap();
    assert_eq!(r[0]["outcome"], "accepted");
    assert_eq!(r[0]["number"], "13800138000");
    assert_eq!(r[0]["carrier"], "mobile");
    assert_eq!(r[1]["outcome"], "rejected", "a 10-digit number: {}", r[1]);
    assert_eq!(r[2]["outcome"], "duplicate");
    assert_eq!(r[3]["carrier"], "telecom");
    assert_eq!(r[4]["outcome"], "rejected");
    assert!(r[4]["reason"].as_str().unwrap().len() > 5, "{}", r[4]);
    // The retry (a client that timed out) gets the same job, not a second one.
    let resp = api
        .client
        .raw(
            "POST",
            "/v1/messages",
            Some("application/json"),
            Bytes::from(body.to_string()),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["job_id"], first["job_id"]);
    assert_eq!(resp.json()["created"], false);
    // The same key in the header works too.
    let h = json!({"recipients": ["13800138001"], "text": "header key"});
    let a = api
        .client
        .raw(
            "POST",
            "/v1/messages",
            Some("application/json"),
            Bytes::from(h.to_string()),
            &[("Idempotency-Key", "hdr-1")],
        )
        .await
        .unwrap();
    let b = api
        .client
        .raw(
            "POST",
            "/v1/messages",
            Some("application/json"),
            Bytes::from(h.to_string()),
            &[("Idempotency-Key", "hdr-1")],
        )
        .await
        .unwrap();
    assert_eq!((a.status, b.status), (202, 200));
    assert_eq!(a.json()["job_id"], b.json()["job_id"]);

    let id = first["job_id"].as_i64().unwrap();
    api.daemon().wait_until_settled(id, LIMIT).await.unwrap();
    let st = api.call("GET", &format!("/v1/messages/{id}"), None).await;
    assert_eq!(st["job_id"], id);
    assert!(
        st["created_at"].as_str().unwrap().ends_with("+08:00"),
        "{st}"
    );
    let recipients = st["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 2);
    for rec in recipients {
        assert_eq!(rec["state"], "delivered", "{rec}");
        let seg = &rec["segments"][0];
        assert_eq!(seg["result"], 0);
        assert!(!seg["result_meaning"].as_str().unwrap().is_empty());
        assert!(seg["report_stat"].as_str().is_some(), "{seg}");
        assert!(seg["report_meaning"].is_string(), "{seg}");
    }
    // The job list, newest first, paged.
    let list = api.call("GET", "/v1/messages?limit=1", None).await;
    let newest = list["messages"][0]["job_id"].as_i64().unwrap();
    assert!(newest > id, "the header-key job came after: {list}");
    let before = list["next_before"].as_i64().unwrap();
    let page = api
        .call("GET", &format!("/v1/messages?before={before}"), None)
        .await;
    let first = &page["messages"][0];
    assert_eq!(first["job_id"], id);
    assert_eq!(first["state"], "delivered");
    assert_eq!(first["recipients"], 2);
    assert!(first["created_at"].as_str().unwrap().ends_with("+08:00"));
    // Every recipient bad: 422 with each reason, no job.
    let (s, code, body) = api
        .fail(
            "POST",
            "/v1/messages",
            Some(json!({"recipients": ["12345", "abc"], "text": "x"})),
        )
        .await;
    assert_eq!((s, code.as_str()), (422, "no_valid_recipient"));
    assert_eq!(
        body["error"]["details"]["recipients"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A template variable missing: named.
    let (s, code, body) = api
        .fail("POST", "/v1/messages", Some(json!({"recipients": ["13800138000"], "template": "{name} {order}", "variables": {"name": "x"}})))
        .await;
    assert_eq!((s, code.as_str()), (422, "template"));
    assert!(body["error"]["message"].as_str().unwrap().contains("order"));
    let (s, code, _) = api.fail("GET", "/v1/messages/999999", None).await;
    assert_eq!((s, code.as_str()), (404, "not_found"));
    api.stop().await;
}

#[tokio::test]
async fn scheduled_jobs_cancel_and_sent_ones_are_too_late() {
    let api = Api::start("cancel", |_| {}).await;
    let later = hongyan::api::format_cst(hongyan::store::now_millis() + 3_600_000);
    let job = api
        .call(
            "POST",
            "/v1/messages",
            Some(json!({"recipients": ["13800138000"], "text": "明早提醒", "send_at": later})),
        )
        .await;
    assert_eq!(job["state"], "scheduled");
    let id = job["job_id"].as_i64().unwrap();
    let c = api
        .call("POST", &format!("/v1/messages/{id}/cancel"), None)
        .await;
    assert_eq!(c["result"]["outcome"], "cancelled");
    let again = api
        .call("POST", &format!("/v1/messages/{id}/cancel"), None)
        .await;
    assert_eq!(again["result"]["outcome"], "already_cancelled");
    let sent = api
        .call(
            "POST",
            "/v1/messages",
            Some(json!({"recipients": ["13800138000"], "text": "now"})),
        )
        .await;
    let sid = sent["job_id"].as_i64().unwrap();
    api.daemon().wait_until_settled(sid, LIMIT).await.unwrap();
    let (s, code, _) = api
        .fail("POST", &format!("/v1/messages/{sid}/cancel"), None)
        .await;
    assert_eq!((s, code.as_str()), (409, "too_late"));
    let (s, _, _) = api.fail("POST", "/v1/messages/424242/cancel", None).await;
    assert_eq!(s, 404);
    api.stop().await;
}

#[tokio::test]
async fn approvals_through_the_api_and_a_simulated_reply() {
    let api = Api::start("approvals", |_| {}).await;
    let mut events = api.daemon().workflow().subscribe();
    let req = json!({
        "title": "出差申请",
        "applicant": {"name": "李四", "phone": "13900139000"},
        "details": "上海 3 天",
        "stages": [{"rule": "all", "approvers": [{"name": "张经理", "phone": "13800138000"}]}],
        "idempotency_key": "trip-7",
    });
    let created = api.call("POST", "/v1/approvals", Some(req.clone())).await;
    assert_eq!(created["created"], true);
    let id = created["approval_id"].as_i64().unwrap();
    let again = api.call("POST", "/v1/approvals", Some(req)).await;
    assert_eq!(
        (again["created"].clone(), again["approval_id"].as_i64()),
        (json!(false), Some(id))
    );
    // Wait for the approval SMS to be queued, to learn its extension.
    let ext = next_event(&mut events, "the approval SMS queued", |e| match e {
        WorkflowEvent::ApprovalAsked {
            approval_id,
            extension,
            ..
        } if *approval_id == id => Some(extension.clone().expect("an extension")),
        _ => None,
    })
    .await;
    let to = format!("10690123{ext}");
    // A stranger's 同意 changes nothing; the approver's approves.
    api.call(
        "POST",
        "/v1/simulate/reply",
        Some(json!({"from": "13700137000", "to": to, "text": "同意"})),
    )
    .await;
    api.call(
        "POST",
        "/v1/simulate/reply",
        Some(json!({"from": "13800138000", "to": to, "text": "同意"})),
    )
    .await;
    // Re-read whenever the workflow did something.
    let view = within("the approval decided", LIMIT, async {
        loop {
            let v = api.get_json(&format!("/v1/approvals/{id}")).await;
            if v["state"] != "pending" {
                return v;
            }
            let _ = events.recv().await;
        }
    })
    .await;
    assert_eq!(view["state"], "approved", "{view}");
    assert_eq!(view["steps"][0]["decided_via"], "sms");
    // The stranger's reply is in the inbox as unmatched.
    let inbox = api.call("GET", "/v1/inbox", None).await;
    let msgs = inbox["messages"].as_array().unwrap();
    assert!(
        msgs.iter().any(|m| m["message"]["sender"]
            .as_str()
            .unwrap()
            .ends_with("13700137000")),
        "{inbox}"
    );

    // A second request decided on the web page instead.
    let created = api
        .call("POST", "/v1/approvals", Some(json!({
            "title": "采购",
            "applicant": {"name": "李四", "phone": "13900139000"},
            "stages": [{"rule": "any", "approvers": [{"name": "A", "phone": "13800138000"}, {"name": "B", "phone": "13300000000"}]}],
        })))
        .await;
    let id2 = created["approval_id"].as_i64().unwrap();
    let steps = created["approval"]["steps"].as_array().unwrap().clone();
    let (s, code, _) = api
        .fail(
            "POST",
            &format!("/v1/approvals/{id2}/decide"),
            Some(json!({"step_id": 999999, "decision": "approve"})),
        )
        .await;
    assert_eq!((s, code.as_str()), (404, "not_found"));
    let (s, _, body) = api
        .fail(
            "POST",
            &format!("/v1/approvals/{id2}/decide"),
            Some(json!({"step_id": steps[0]["id"], "decision": "maybe"})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(body["error"]["details"]["field"], "decision");
    let resent = api
        .call("POST", &format!("/v1/approvals/{id2}/resend"), None)
        .await;
    assert_eq!(resent["resent"], 2);
    let d = api
        .call(
            "POST",
            &format!("/v1/approvals/{id2}/decide"),
            Some(json!({"step_id": steps[1]["id"], "decision": "reject", "comment": "预算超了"})),
        )
        .await;
    assert_eq!(d["approval"]["steps"][1]["state"], "rejected");
    assert_eq!(d["approval"]["steps"][1]["comment"], "预算超了");
    assert_eq!(
        d["approval"]["state"], "pending",
        "any-one: one rejection is not all"
    );
    let d = api
        .call(
            "POST",
            &format!("/v1/approvals/{id2}/decide"),
            Some(json!({"step_id": steps[0]["id"], "decision": "approve"})),
        )
        .await;
    assert_eq!(d["approval"]["state"], "approved");
    let (s, code, _) = api
        .fail(
            "POST",
            &format!("/v1/approvals/{id2}/decide"),
            Some(json!({"step_id": steps[0]["id"], "decision": "reject"})),
        )
        .await;
    assert_eq!((s, code.as_str()), (409, "not_open"));
    let (s, code, body) = api
        .fail(
            "POST",
            "/v1/approvals",
            Some(json!({
            "title": "x", "applicant": {"name": "a", "phone": "13900139000"},
            "stages": [{"rule": "all", "approvers": [{"name": "b", "phone": "12345"}]}]})),
        )
        .await;
    assert_eq!((s, code.as_str()), (422, "bad_number"));
    assert_eq!(
        body["error"]["details"]["field"],
        "stages[0].approvers[0].phone"
    );
    api.stop().await;
}

#[tokio::test]
async fn reminders_inbox_links_queue_and_metrics() {
    let api = Api::start("ops", |_| {}).await;
    let later = hongyan::api::format_cst(hongyan::store::now_millis() + 3_600_000);
    let r = api
        .call(
            "POST",
            "/v1/reminders",
            Some(json!({
                "recipients": ["13800138000", "bad"],
                "template": "{name}，订单 {order} 待付款",
                "variables": {"name": "王", "order": "A-9"},
                "send_at": later,
            })),
        )
        .await;
    let out = r["recipients"].as_array().unwrap();
    assert_eq!(out[0]["outcome"], "created");
    assert_eq!(out[1]["outcome"], "rejected");
    let rid = out[0]["reminder_id"].as_i64().unwrap();
    let v = api.call("GET", &format!("/v1/reminders/{rid}"), None).await;
    assert_eq!(v["state"], "scheduled");
    let c = api
        .call("POST", &format!("/v1/reminders/{rid}/cancel"), None)
        .await;
    assert_eq!(c["result"], "cancelled");
    let (s, code, _) = api
        .fail("POST", &format!("/v1/reminders/{rid}/cancel"), None)
        .await;
    assert_eq!((s, code.as_str()), (409, "too_late"));

    // An unsolicited reply to the bare service code lands in the inbox, unread.
    api.call(
        "POST",
        "/v1/simulate/reply",
        Some(json!({"from": "13800138000", "to": "10690123", "text": "你好"})),
    )
    .await;
    api.daemon()
        .wait_for_inbox(LIMIT, |m| m.iter().any(|m| m.message.text == "你好"))
        .await
        .unwrap();
    let inbox = api.call("GET", "/v1/inbox?unread=true", None).await;
    let m = inbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["message"]["text"] == "你好")
        .unwrap()
        .clone();
    assert!(
        m["message"]["received_at"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );
    let mid = m["id"].as_i64().unwrap();
    api.call("POST", &format!("/v1/inbox/{mid}/read"), None)
        .await;
    let inbox = api.call("GET", "/v1/inbox?unread=true", None).await;
    assert!(
        !inbox["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == mid)
    );
    let (s, _, body) = api.fail("GET", "/v1/inbox?limit=0", None).await;
    assert_eq!(
        (s, body["error"]["details"]["field"].clone()),
        (422, json!("limit"))
    );
    let (s, code, _) = api
        .fail(
            "POST",
            "/v1/simulate/reply",
            Some(json!({"from": "13800138000", "to": "99999", "text": "x"})),
        )
        .await;
    assert_eq!((s, code.as_str()), (422, "invalid"));

    let sent = api
        .call(
            "POST",
            "/v1/messages",
            Some(json!({"recipients": ["13800138000"], "text": "metrics"})),
        )
        .await;
    api.daemon()
        .wait_until_settled(sent["job_id"].as_i64().unwrap(), LIMIT)
        .await
        .unwrap();
    let links = api.call("GET", "/v1/links", None).await;
    let links = links["links"].as_array().unwrap();
    assert_eq!(links.len(), 3);
    let mobile = links.iter().find(|l| l["name"] == "mobile-demo").unwrap();
    assert_eq!(mobile["state"], "up");
    assert!(mobile["acknowledged"].as_u64().unwrap() >= 1, "{mobile}");
    let q = api.call("GET", "/v1/queue", None).await;
    assert!(q["segments"]["delivered"].as_u64().unwrap() >= 1, "{q}");

    let metrics = api
        .client
        .raw("GET", "/metrics", None, Bytes::new(), &[])
        .await
        .unwrap();
    assert_eq!(metrics.status, 200);
    assert!(metrics.content_type.starts_with("text/plain"));
    let text = metrics.text();
    let line = text
        .lines()
        .find(|l| l.starts_with("hongyan_link_acknowledged_total{link=\"mobile-demo\""))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.rsplit(' ').next().unwrap().parse::<u64>().unwrap() >= 1);
    for family in [
        "hongyan_link_up",
        "hongyan_link_window_in_use",
        "hongyan_link_submitted_total",
        "hongyan_link_delivered_total",
        "hongyan_link_failed_total",
        "hongyan_link_throttled_total",
        "hongyan_link_reconnects_total",
        "hongyan_link_reports_stored_total",
        "hongyan_link_submit_latency_seconds_bucket",
        "hongyan_queue_segments",
        "hongyan_webhook_backlog",
        "hongyan_retention_runs_total",
        "hongyan_retention_deleted_total{kind=\"segments\"}",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family}")) || text.contains(family),
            "{family} missing"
        );
    }
    let count = text
        .lines()
        .find(|l| l.starts_with("hongyan_link_submit_latency_seconds_count{link=\"mobile-demo\""))
        .unwrap();
    assert!(count.rsplit(' ').next().unwrap().parse::<u64>().unwrap() >= 1);
    let health = api
        .client
        .raw("GET", "/healthz", None, Bytes::new(), &[])
        .await
        .unwrap();
    assert_eq!(health.status, 200);
    let ready = api
        .client
        .raw("GET", "/readyz", None, Bytes::new(), &[])
        .await
        .unwrap();
    assert_eq!(ready.status, 200, "{}", ready.text());
    assert_eq!(ready.json()["ready"], true);
    api.stop().await;
}

#[tokio::test]
async fn contacts_import_group_send_progress_and_drafts() {
    let api = Api::start("contacts", |_| {}).await;
    let csv = "姓名,手机号,分组,标签\n张三,+86 138 0013 8000,销售;值班,vip\n李四,133-0000-0000,销售,\n坏行,12345,销售,\n王五,13800138000,值班,\n赵六,15600000000,值班,\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let report = tokio::time::timeout(
        LIMIT,
        api.client.upload(
            "/v1/contacts/import",
            "text/csv",
            Bytes::from(gbk.into_owned()),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(report["created"], 3, "{report}");
    let bad = report["bad"].as_array().unwrap();
    assert_eq!(bad.len(), 1, "{report}");
    assert_eq!(bad[0]["line"], 4);
    assert_eq!(
        report["merged"].as_array().unwrap().len(),
        1,
        "王五 is 张三's number again"
    );
    let (s, code, _) = match api
        .client
        .upload(
            "/v1/contacts/import",
            "text/csv",
            Bytes::from_static(b"name,email\nx,y\n"),
        )
        .await
    {
        Err(ClientError::Api {
            status, code, body, ..
        }) => (status, code, body),
        other => panic!("{other:?}"),
    };
    assert_eq!((s, code.as_str()), (422, "bad_csv"));

    let groups = api.call("GET", "/v1/groups", None).await;
    assert_eq!(groups["groups"].as_array().unwrap().len(), 2, "{groups}");
    let page = api
        .call("GET", "/v1/contacts?group=%E5%80%BC%E7%8F%AD", None)
        .await;
    assert_eq!(page["total"], 2, "值班: 张三 and 赵六: {page}");
    let c = api
        .call(
            "POST",
            "/v1/contacts",
            Some(json!({"phone": "189 0000 0000", "name": "孙七", "groups": ["值班"]})),
        )
        .await;
    assert_eq!(c["created"], true);
    assert_eq!(c["contact"]["phone"], "18900000000");
    let (s, _, body) = api
        .fail(
            "POST",
            "/v1/contacts",
            Some(json!({"phone": "010-12345678"})),
        )
        .await;
    assert_eq!(
        (s, body["error"]["details"]["field"].clone()),
        (422, json!("phone"))
    );

    let sent = api
        .call("POST", "/v1/groups/send", Some(json!({"groups": ["销售", "值班"], "text": "明天放假一天", "signature": "【鸿雁物流】"})))
        .await;
    assert_eq!(
        sent["recipients"], 4,
        "张三 in both groups counts once: {sent}"
    );
    let job = sent["job_id"].as_i64().unwrap();
    api.daemon().wait_until_settled(job, LIMIT).await.unwrap();
    let p = api
        .call("GET", &format!("/v1/groups/sends/{job}"), None)
        .await;
    assert_eq!(
        (p["total"].clone(), p["done"].clone()),
        (json!(4), json!(4)),
        "{p}"
    );
    let (s, code, body) = api
        .fail(
            "POST",
            "/v1/groups/send",
            Some(json!({"groups": ["销售", "财务"], "text": "x"})),
        )
        .await;
    assert_eq!((s, code.as_str()), (422, "unknown_group"));
    assert_eq!(body["error"]["details"]["groups"], json!(["财务"]));

    let d = api
        .call(
            "POST",
            "/v1/drafts",
            Some(json!({"title": "放假", "text": "周五放假", "groups": ["值班"]})),
        )
        .await;
    let did = d["draft"]["id"].as_i64().unwrap();
    let list = api.call("GET", "/v1/drafts", None).await;
    assert_eq!(list["drafts"].as_array().unwrap().len(), 1);
    let first = api
        .call("POST", &format!("/v1/drafts/{did}/send"), None)
        .await;
    let again = api
        .call("POST", &format!("/v1/drafts/{did}/send"), None)
        .await;
    assert_eq!(first["job_id"], again["job_id"], "a draft goes once");
    assert_eq!(first["recipients"], 3);
    api.call("DELETE", &format!("/v1/drafts/{did}"), None).await;
    // Groups by hand: create, fill, empty, delete (names in the path percent-encoded).
    let g = api
        .call("POST", "/v1/groups", Some(json!({"name": "财务"})))
        .await;
    assert_eq!(g["created"], true);
    let m = api
        .call(
            "POST",
            "/v1/groups/%E8%B4%A2%E5%8A%A1/members",
            Some(json!({"add": [c["contact"]["id"]]})),
        )
        .await;
    assert_eq!(m["added"], 1);
    let page = api
        .call("GET", "/v1/contacts?group=%E8%B4%A2%E5%8A%A1", None)
        .await;
    assert_eq!(page["total"], 1);
    let (s, code, _) = api
        .fail(
            "POST",
            "/v1/groups/%E8%B4%A2%E5%8A%A1/members",
            Some(json!({"add": [987654]})),
        )
        .await;
    assert_eq!((s, code.as_str()), (404, "not_found"));
    let d = api
        .call("DELETE", "/v1/groups/%E8%B4%A2%E5%8A%A1", None)
        .await;
    assert_eq!(d["members"], 1);
    let (s, code, _) = api
        .fail("DELETE", "/v1/groups/%E8%B4%A2%E5%8A%A1", None)
        .await;
    assert_eq!((s, code.as_str()), (422, "unknown_group"));
    let cid = c["contact"]["id"].as_i64().unwrap();
    api.call("DELETE", &format!("/v1/contacts/{cid}"), None)
        .await;
    let (s, _, _) = api.fail("GET", &format!("/v1/contacts/{cid}"), None).await;
    assert_eq!(s, 404);
    api.stop().await;
}

/// A link whose gateway refuses the connection says so in words in `/v1/links`, not an
/// empty problem.
#[tokio::test]
async fn a_link_that_cannot_connect_shows_why_in_links() {
    let addr = free_addr();
    let api = Api::start("unreachable", |c| external_mobile_at(c, addr)).await;
    // Bounded: the first connect attempt is made at start.
    let mobile = wait_until(
        "the unreachable link to show a problem",
        LIMIT,
        async || {
            let links = api.get_json("/v1/links").await;
            let mobile = links["links"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["name"] == "mobile-demo")
                .unwrap()
                .clone();
            (!mobile["last_problem"].is_null()).then_some(mobile)
        },
    )
    .await;
    assert_eq!(mobile["state"], "down");
    let problem = mobile["last_problem"].as_str().unwrap();
    assert!(problem.contains(&addr.to_string()), "{problem}");
    assert!(problem.to_lowercase().contains("refused"), "{problem}");
    api.stop().await;
}
