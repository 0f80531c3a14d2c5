//! The API's lists and limits over real HTTP against the real daemon (demo config):
//! list routes take only their documented parameters and each filter filters; a job's
//! recipients are paged and one request's recipients are capped by
//! `api.max_recipients`; simulated replies need the `approvals` scope and a simulated
//! link; `/metrics` counts MOs per link and shows the reply router's backlog; the
//! statuses the handlers answer are the ones the document lists. Every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use hongyan::api::ROUTES;
use hongyan::api::client::ClientError;
use hongyan::config::{ApiToken, Scope, Secret};
use hongyan::store::{InboxRoute, NewInbound};
use hongyan::workflow::WorkflowEvent;
use serde_json::{Value, json};

use crate::support::{Api, ApiCalls, LIMIT, next_event, only_mobile_at};

const SENDER: &str = "sender-token-0123456789";
const APPROVER: &str = "approver-token-0123456789";

fn token(name: &str, value: &str, scope: Scope) -> ApiToken {
    ApiToken {
        name: name.into(),
        token: Some(Secret(value.into())),
        token_env: None,
        scopes: vec![scope],
    }
}

/// `count` distinct China Mobile numbers.
fn numbers(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("1380013{i:04}")).collect()
}

/// The statuses the document lists for a route.
fn documented(doc: &Value, method: &str, path: &str) -> Vec<u16> {
    doc["paths"][path][method.to_ascii_lowercase()]["responses"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|k| k.parse().ok())
        .collect()
}

/// Calls a route and checks the status it answers is one the document lists for it.
async fn checked(
    api: &Api,
    doc: &Value,
    method: &str,
    route: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let bytes = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
    let resp = tokio::time::timeout(
        LIMIT,
        api.client
            .raw(method, path, Some("application/json"), bytes, &[]),
    )
    .await
    .unwrap()
    .unwrap();
    let v = if resp.status == 200 && route == "/metrics" {
        Value::Null
    } else {
        resp.json()
    };
    assert!(
        documented(doc, method, route).contains(&resp.status),
        "{method} {path} answered {} ({v}), which the document does not list",
        resp.status
    );
    (resp.status, v)
}

#[tokio::test]
async fn every_list_route_refuses_an_unknown_parameter_naming_the_known_ones() {
    let api = Api::start("list-params", |_| {}).await;
    let doc = api.call("GET", "/v1/openapi.json", None).await;
    for r in ROUTES.iter().filter(|r| r.method == "GET") {
        let path = r
            .path
            .replace("{id}", "1")
            .replace("{name}", "x")
            .replace("{number}", "13800138000");
        let (status, code, body) = api.fail("GET", &format!("{path}?numbr=1"), None).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "unknown_parameter"),
            "{path}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("numbr"), "{path}: {message}");
        let known = doc["paths"][r.path]["get"]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for p in known.iter().filter(|p| p["in"] == "query") {
            let name = p["name"].as_str().unwrap();
            assert!(message.contains(name), "{path}: {message} omits {name}");
        }
    }
    // The documented ones are taken.
    api.call("GET", "/v1/messages?limit=5&state=failed", None)
        .await;
    api.call("GET", "/v1/inbox?unread=true&sender=13800138000", None)
        .await;
    // A bad value is named.
    let (status, _, body) = api.fail("GET", "/v1/messages?state=done", None).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["details"]["field"], "state");
    let (_, _, body) = api.fail("GET", "/v1/inbox?since=yesterday", None).await;
    assert_eq!(body["error"]["details"]["field"], "since");
    api.stop().await;
}

fn ids(list: &Value, key: &str, id: &str) -> Vec<i64> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m[id].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn jobs_filter_by_number_state_and_time_and_page_through_all() {
    let api = Api::start("list-jobs", |_| {}).await;
    let send = |recipients: Vec<&str>, send_at: Option<&str>| {
        let mut body = json!({ "recipients": recipients, "text": "取件码 1234" });
        if let Some(at) = send_at {
            body["send_at"] = json!(at);
        }
        body
    };
    let first = api
        .call(
            "POST",
            "/v1/messages",
            Some(send(vec!["13800138000"], None)),
        )
        .await["job_id"]
        .as_i64()
        .unwrap();
    let later = api
        .call(
            "POST",
            "/v1/messages",
            Some(send(
                vec!["13900139000", "13800138001"],
                Some("2099-01-01T15:00:00+08:00"),
            )),
        )
        .await["job_id"]
        .as_i64()
        .unwrap();
    let cancelled = api
        .call(
            "POST",
            "/v1/messages",
            Some(send(vec!["13700137000"], Some("2099-01-01T15:00:00+08:00"))),
        )
        .await["job_id"]
        .as_i64()
        .unwrap();
    api.call("POST", &format!("/v1/messages/{cancelled}/cancel"), None)
        .await;

    let all = api.call("GET", "/v1/messages", None).await;
    assert_eq!(
        ids(&all, "messages", "job_id"),
        [cancelled, later, first],
        "{all}"
    );
    // A number in another spelling finds only its jobs.
    let by_number = api
        .call("GET", "/v1/messages?number=%2B86%20138-0013-8001", None)
        .await;
    assert_eq!(
        ids(&by_number, "messages", "job_id"),
        [later],
        "{by_number}"
    );
    let none = api
        .call("GET", "/v1/messages?number=13300000000", None)
        .await;
    assert!(ids(&none, "messages", "job_id").is_empty(), "{none}");
    // States.
    let c = api.call("GET", "/v1/messages?state=cancelled", None).await;
    assert_eq!(ids(&c, "messages", "job_id"), [cancelled], "{c}");
    assert_eq!(c["next_before"], Value::Null);
    let s = api.call("GET", "/v1/messages?state=scheduled", None).await;
    assert_eq!(ids(&s, "messages", "job_id"), [later], "{s}");
    // Time: every job was accepted after 2020 and before 2090.
    let t = api
        .call(
            "GET",
            "/v1/messages?since=2020-01-01T00:00:00Z&until=2090-01-01T00:00:00%2B08:00",
            None,
        )
        .await;
    assert_eq!(ids(&t, "messages", "job_id").len(), 3, "{t}");
    let t = api
        .call("GET", "/v1/messages?since=2090-01-01T00:00:00Z", None)
        .await;
    assert!(ids(&t, "messages", "job_id").is_empty(), "{t}");
    let t = api
        .call("GET", "/v1/messages?until=2020-01-01T00:00:00Z", None)
        .await;
    assert!(ids(&t, "messages", "job_id").is_empty(), "{t}");
    // Paging one at a time visits each job once.
    let mut seen = Vec::new();
    let mut path = "/v1/messages?limit=1".to_owned();
    loop {
        let page = api.call("GET", &path, None).await;
        seen.extend(ids(&page, "messages", "job_id"));
        match page["next_before"].as_i64() {
            Some(b) => path = format!("/v1/messages?limit=1&before={b}"),
            None => break,
        }
        assert!(seen.len() <= 3, "{seen:?}");
    }
    assert_eq!(seen, [cancelled, later, first]);
    api.stop().await;
}

#[tokio::test]
async fn the_inbox_filters_by_sender_job_item_and_time_and_pages() {
    let api = Api::start("list-inbox", |_| {}).await;
    let job = api
        .call(
            "POST",
            "/v1/messages",
            Some(json!({ "recipients": ["13800138000"], "text": "投票请回复 1 或 2", "source_ext": "77" })),
        )
        .await["job_id"]
        .as_i64()
        .unwrap();
    let store = api.daemon().store();
    let now = hongyan::store::now_millis();
    let mo = |sender: &str, to: &str, item: Option<i64>| NewInbound {
        sender: sender.into(),
        destination: to.into(),
        text: "1".into(),
        coding: 8,
        received_at: now,
        link: "mobile-demo".into(),
        item_id: item,
    };
    // The job's reply, spelt with the country code as some gateways do.
    let reply = store
        .inbox_insert(mo("8613800138000", "1069012377", None))
        .await
        .unwrap();
    // The same phone to the bare service code, another phone to the job's number.
    let bare = store
        .inbox_insert(mo("13800138000", "10690123", None))
        .await
        .unwrap();
    let other = store
        .inbox_insert(mo("13900139000", "1069012377", None))
        .await
        .unwrap();
    // Each row is given its route at once, as the reply router would (an answer to
    // approval step 42 for `bare`), so a router pass running meanwhile finds nothing
    // left to route: a row inserted with its item but no route could be routed again,
    // and lose that item, before the filters below are read.
    for (id, route) in [
        (reply, InboxRoute::Unmatched("other_number")),
        (bare, InboxRoute::ApprovalStep(42)),
        (other, InboxRoute::Unmatched("other_number")),
    ] {
        store.inbox_route(id, route).await.unwrap();
    }

    let all = api.call("GET", "/v1/inbox", None).await;
    assert_eq!(ids(&all, "messages", "id"), [other, bare, reply], "{all}");
    let by_sender = api
        .call("GET", "/v1/inbox?sender=%2B86%20138%200013%208000", None)
        .await;
    assert_eq!(
        ids(&by_sender, "messages", "id"),
        [bare, reply],
        "{by_sender}"
    );
    let by_job = api.call("GET", &format!("/v1/inbox?job={job}"), None).await;
    assert_eq!(ids(&by_job, "messages", "id"), [reply], "{by_job}");
    let by_item = api.call("GET", "/v1/inbox?item=42", None).await;
    assert_eq!(ids(&by_item, "messages", "id"), [bare], "{by_item}");
    let later = api
        .call("GET", "/v1/inbox?since=2090-01-01T00:00:00Z", None)
        .await;
    assert!(ids(&later, "messages", "id").is_empty(), "{later}");
    let earlier = api
        .call("GET", "/v1/inbox?until=2020-01-01T00:00:00Z", None)
        .await;
    assert!(ids(&earlier, "messages", "id").is_empty(), "{earlier}");
    let mut seen = Vec::new();
    let mut path = "/v1/inbox?limit=2".to_owned();
    loop {
        let page = api.call("GET", &path, None).await;
        seen.extend(ids(&page, "messages", "id"));
        match page["next_before"].as_i64() {
            Some(b) => path = format!("/v1/inbox?limit=2&before={b}"),
            None => break,
        }
        assert!(seen.len() <= 3, "{seen:?}");
    }
    assert_eq!(seen, [other, bare, reply]);
    api.stop().await;
}

#[tokio::test]
async fn approvals_and_reminders_are_listed_filtered_and_paged() {
    let api = Api::start("list-items", |_| {}).await;
    let approval = |title: &str| {
        json!({
            "title": title,
            "applicant": {"name": "李四", "phone": "13900139000"},
            "stages": [{"rule": "all", "approvers": [{"name": "张经理", "phone": "13800138000"}]}],
        })
    };
    let a = api
        .call("POST", "/v1/approvals", Some(approval("出差")))
        .await["approval_id"]
        .as_i64()
        .unwrap();
    let b = api
        .call("POST", "/v1/approvals", Some(approval("采购")))
        .await["approval_id"]
        .as_i64()
        .unwrap();
    let steps = api.call("GET", &format!("/v1/approvals/{b}"), None).await["steps"].clone();
    api.call(
        "POST",
        &format!("/v1/approvals/{b}/decide"),
        Some(json!({"step_id": steps[0]["id"], "decision": "approve"})),
    )
    .await;
    let all = api.call("GET", "/v1/approvals", None).await;
    assert_eq!(ids(&all, "approvals", "id"), [b, a], "{all}");
    let approved = api.call("GET", "/v1/approvals?state=approved", None).await;
    assert_eq!(ids(&approved, "approvals", "id"), [b], "{approved}");
    let page = api.call("GET", "/v1/approvals?limit=1", None).await;
    assert_eq!(ids(&page, "approvals", "id"), [b]);
    let next = page["next_before"].as_i64().unwrap();
    let page = api
        .call("GET", &format!("/v1/approvals?limit=1&before={next}"), None)
        .await;
    assert_eq!(ids(&page, "approvals", "id"), [a]);
    let none = api
        .call("GET", "/v1/approvals?since=2090-01-01T00:00:00Z", None)
        .await;
    assert!(ids(&none, "approvals", "id").is_empty());

    let created = api
        .call(
            "POST",
            "/v1/reminders",
            Some(json!({"recipients": ["13800138000", "13300000000"], "text": "明早 9 点开会", "send_at": "2099-01-01T09:00:00+08:00"})),
        )
        .await;
    let reminders = created["recipients"].as_array().unwrap();
    let first = reminders[0]["reminder_id"].as_i64().unwrap();
    let second = reminders[1]["reminder_id"].as_i64().unwrap();
    api.call("POST", &format!("/v1/reminders/{first}/cancel"), None)
        .await;
    let all = api.call("GET", "/v1/reminders", None).await;
    assert_eq!(ids(&all, "reminders", "id"), [second, first], "{all}");
    let to = api
        .call("GET", "/v1/reminders?number=133-0000-0000", None)
        .await;
    assert_eq!(ids(&to, "reminders", "id"), [second], "{to}");
    let cancelled = api.call("GET", "/v1/reminders?state=cancelled", None).await;
    assert_eq!(ids(&cancelled, "reminders", "id"), [first], "{cancelled}");
    api.stop().await;
}

#[tokio::test]
async fn a_job_s_recipients_are_paged_and_a_request_over_max_recipients_is_refused() {
    let api = Api::start("paged-status", |c| c.api.max_recipients = 300).await;
    let doc = api.call("GET", "/v1/openapi.json", None).await;
    let all = numbers(250);
    let (status, sent) = checked(
        &api,
        &doc,
        "POST",
        "/v1/messages",
        "/v1/messages",
        Some(json!({ "recipients": all, "text": "停水通知", "send_at": "2099-01-01T09:00:00+08:00" })),
    )
    .await;
    assert_eq!(status, 202, "{sent}");
    let job = sent["job_id"].as_i64().unwrap();
    let mut seen = Vec::new();
    let mut path = format!("/v1/messages/{job}");
    let mut pages = 0;
    loop {
        let page = api.call("GET", &path, None).await;
        pages += 1;
        assert_eq!(page["recipients_total"], 250, "{}", page["counts"]);
        assert_eq!(page["counts"]["scheduled"], 250);
        let recipients = page["recipients"].as_array().unwrap();
        assert!(recipients.len() <= 100, "a default page is at most 100");
        seen.extend(
            recipients
                .iter()
                .map(|r| r["number"].as_str().unwrap().to_owned()),
        );
        match page["next_after"].as_i64() {
            Some(after) => path = format!("/v1/messages/{job}?after={after}"),
            None => break,
        }
        assert!(pages <= 3, "{pages} pages");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, all, "every recipient once, in order");
    let small = api
        .call("GET", &format!("/v1/messages/{job}?limit=7"), None)
        .await;
    assert_eq!(small["recipients"].as_array().unwrap().len(), 7);
    let (s, code, _) = api
        .fail("GET", &format!("/v1/messages/{job}?limit=5000"), None)
        .await;
    assert_eq!((s, code.as_str()), (422, "invalid"));

    // One over the cap: refused whole, with the numbers in the message.
    let (s, code, body) = api
        .fail(
            "POST",
            "/v1/messages",
            Some(json!({ "recipients": numbers(301), "text": "x" })),
        )
        .await;
    assert_eq!((s, code.as_str()), (422, "too_many_recipients"), "{body}");
    assert_eq!(body["error"]["details"]["max"], 300);
    assert_eq!(body["error"]["details"]["given"], 301);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("301") && message.contains("api.max_recipients"),
        "{message}"
    );
    let (s, code, _) = api
        .fail(
            "POST",
            "/v1/reminders",
            Some(json!({ "recipients": numbers(301), "text": "x", "send_at": "2099-01-01T09:00:00+08:00" })),
        )
        .await;
    assert_eq!((s, code.as_str()), (422, "too_many_recipients"));
    // A group send over the cap, as a group of 301 contacts.
    let mut csv = String::from("name,phone,groups\n");
    for (i, n) in numbers(301).iter().enumerate() {
        let groups = if i < 150 { "all;half" } else { "all" };
        csv.push_str(&format!("c{i},{n},{groups}\n"));
    }
    tokio::time::timeout(
        LIMIT,
        api.client
            .upload("/v1/contacts/import", "text/csv", Bytes::from(csv)),
    )
    .await
    .unwrap()
    .unwrap();
    let (s, code, _) = api
        .fail(
            "POST",
            "/v1/groups/send",
            Some(json!({ "groups": ["all"], "text": "x" })),
        )
        .await;
    assert_eq!((s, code.as_str()), (422, "too_many_recipients"));
    // A group send within it: its progress is paged like a job's status.
    let sent = api
        .call(
            "POST",
            "/v1/groups/send",
            Some(
                json!({ "groups": ["half"], "text": "x", "send_at": "2099-01-01T09:00:00+08:00" }),
            ),
        )
        .await;
    let job = sent["job_id"].as_i64().unwrap();
    let page = api
        .call("GET", &format!("/v1/groups/sends/{job}"), None)
        .await;
    assert_eq!(page["total"], 150, "{}", page["counts"]);
    assert_eq!(page["recipients"].as_array().unwrap().len(), 100);
    let after = page["next_after"].as_i64().unwrap();
    let page = api
        .call(
            "GET",
            &format!("/v1/groups/sends/{job}?after={after}"),
            None,
        )
        .await;
    assert_eq!(page["recipients"].as_array().unwrap().len(), 50);
    assert_eq!(page["next_after"], Value::Null);
    api.stop().await;
}

#[tokio::test]
async fn simulated_replies_need_the_approvals_scope_and_a_simulated_link() {
    let api = Api::start("sim-scope", |c| {
        c.api.tokens.push(token("shop", SENDER, Scope::Send));
        c.api
            .tokens
            .push(token("office", APPROVER, Scope::Approvals));
    })
    .await;
    let reply = json!({"from": "13800138000", "to": "106901230001", "text": "同意"});
    match api
        .as_client(Some(SENDER))
        .call("POST", "/v1/simulate/reply", Some(&reply))
        .await
    {
        Err(ClientError::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (403, "forbidden"));
        }
        other => panic!("a send-only token simulated a reply: {other:?}"),
    }
    let ok = tokio::time::timeout(
        LIMIT,
        api.as_client(Some(APPROVER))
            .call("POST", "/v1/simulate/reply", Some(&reply)),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(ok["link"], "mobile-demo");
    api.stop().await;

    // A link to a real carrier: there is nothing to simulate.
    let api = Api::start("sim-real", |c| {
        only_mobile_at(c, "127.0.0.1:9");
        c.api
            .tokens
            .push(token("office", APPROVER, Scope::Approvals));
    })
    .await;
    match tokio::time::timeout(
        LIMIT,
        api.as_client(Some(APPROVER))
            .call("POST", "/v1/simulate/reply", Some(&reply)),
    )
    .await
    .unwrap()
    {
        Err(ClientError::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (404, "not_simulated"));
        }
        other => panic!("a reply was simulated on a real link: {other:?}"),
    }
    api.stop().await;
}

#[tokio::test]
async fn metrics_count_mos_per_link_and_show_the_router_backlog() {
    let api = Api::start("mo-metrics", |_| {}).await;
    let mut events = api.daemon().workflow().subscribe();
    let created = api
        .call(
            "POST",
            "/v1/approvals",
            Some(json!({
                "title": "用章",
                "applicant": {"name": "李四", "phone": "13900139000"},
                "stages": [{"rule": "all", "approvers": [{"name": "张经理", "phone": "13800138000"}]}],
            })),
        )
        .await;
    let ext = next_event(&mut events, "the approval SMS queued", |e| match e {
        WorkflowEvent::ApprovalAsked { extension, .. } => {
            Some(extension.clone().expect("an extension"))
        }
        _ => None,
    })
    .await;
    assert!(created["approval_id"].is_i64());
    api.call(
        "POST",
        "/v1/simulate/reply",
        Some(json!({"from": "13800138000", "to": format!("10690123{ext}"), "text": "同意"})),
    )
    .await;
    next_event(&mut events, "the reply decided", |e| {
        matches!(e, WorkflowEvent::Decided { .. }).then_some(())
    })
    .await;
    let text = tokio::time::timeout(
        LIMIT,
        api.client.raw("GET", "/metrics", None, Bytes::new(), &[]),
    )
    .await
    .unwrap()
    .unwrap()
    .text();
    let value = |prefix: &str| -> Option<u64> {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    assert_eq!(
        value("hongyan_link_mo_received_total{link=\"mobile-demo\""),
        Some(1),
        "{text}"
    );
    assert_eq!(
        value("hongyan_link_mo_stored_total{link=\"mobile-demo\""),
        Some(1),
        "{text}"
    );
    assert_eq!(
        value("hongyan_link_mo_received_total{link=\"telecom-demo\""),
        Some(0)
    );
    assert_eq!(value("hongyan_reply_router_backlog"), Some(0), "{text}");
    api.stop().await;
}

#[tokio::test]
async fn the_statuses_handlers_answer_are_the_documented_ones() {
    let api = Api::start("doc-statuses", |_| {}).await;
    let doc = api.call("GET", "/v1/openapi.json", None).await;
    let (s, _) = checked(&api, &doc, "GET", "/healthz", "/healthz", None).await;
    assert_eq!(s, 200);
    checked(&api, &doc, "GET", "/metrics", "/metrics", None).await;
    let (s, sent) = checked(
        &api,
        &doc,
        "POST",
        "/v1/messages",
        "/v1/messages",
        Some(json!({ "recipients": ["13800138000"], "text": "x", "idempotency_key": "k1" })),
    )
    .await;
    assert_eq!(s, 202);
    let job = sent["job_id"].as_i64().unwrap();
    let (s, _) = checked(
        &api,
        &doc,
        "POST",
        "/v1/messages",
        "/v1/messages",
        Some(json!({ "recipients": ["13800138000"], "text": "x", "idempotency_key": "k1" })),
    )
    .await;
    assert_eq!(s, 200, "a retry returns the job");
    checked(
        &api,
        &doc,
        "GET",
        "/v1/messages/{id}",
        &format!("/v1/messages/{job}"),
        None,
    )
    .await;
    checked(
        &api,
        &doc,
        "GET",
        "/v1/messages/{id}",
        "/v1/messages/999999",
        None,
    )
    .await;
    let (s, _) = checked(
        &api,
        &doc,
        "POST",
        "/v1/approvals",
        "/v1/approvals",
        Some(json!({
            "title": "t", "applicant": {"name": "a", "phone": "13900139000"},
            "stages": [{"rule": "all", "approvers": [{"name": "b", "phone": "13800138000"}]}]})),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = checked(
        &api,
        &doc,
        "POST",
        "/v1/reminders",
        "/v1/reminders",
        Some(json!({ "recipients": ["13800138000"], "text": "x", "send_at": "2099-01-01T09:00:00+08:00" })),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = checked(
        &api,
        &doc,
        "POST",
        "/v1/contacts",
        "/v1/contacts",
        Some(json!({ "phone": "13800138000", "groups": ["g"] })),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = checked(
        &api,
        &doc,
        "POST",
        "/v1/groups",
        "/v1/groups",
        Some(json!({ "name": "h" })),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = checked(
        &api,
        &doc,
        "POST",
        "/v1/groups/send",
        "/v1/groups/send",
        Some(json!({ "groups": ["g"], "text": "x" })),
    )
    .await;
    assert_eq!(s, 202);
    let (s, _) = checked(
        &api,
        &doc,
        "POST",
        "/v1/drafts",
        "/v1/drafts",
        Some(json!({ "title": "d", "text": "x", "groups": ["g"] })),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = checked(
        &api,
        &doc,
        "POST",
        "/v1/simulate/reply",
        "/v1/simulate/reply",
        Some(json!({"from": "13800138000", "to": "106901230001", "text": "1"})),
    )
    .await;
    assert_eq!(s, 202);
    for (method, route) in [
        ("GET", "/v1/messages"),
        ("GET", "/v1/approvals"),
        ("GET", "/v1/reminders"),
        ("GET", "/v1/inbox"),
        ("GET", "/v1/links"),
        ("GET", "/v1/queue"),
        ("GET", "/v1/contacts"),
        ("GET", "/v1/groups"),
        ("GET", "/v1/drafts"),
    ] {
        let (s, _) = checked(&api, &doc, method, route, route, None).await;
        assert_eq!(s, 200, "{method} {route}");
    }
    api.stop().await;
}

/// Every route, asked with an empty body and made-up ids, answers a status its entry in
/// the document lists (mostly the errors the document derives: 404, 415, 422).
#[tokio::test]
async fn every_route_s_answer_to_an_empty_request_is_documented() {
    let api = Api::start("doc-errors", |_| {}).await;
    let doc = api.call("GET", "/v1/openapi.json", None).await;
    for r in ROUTES {
        let path = r
            .path
            .replace("{id}", "424242")
            .replace("{name}", "nobody")
            .replace("{number}", "13800138000");
        let body = (r.method == "POST").then(|| json!({}));
        checked(&api, &doc, r.method, r.path, &path, body).await;
    }
    api.stop().await;
}
