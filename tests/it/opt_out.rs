//! The opt-out (退订) list end to end: a phone's `TD` through the simulated carrier lands
//! its number on the list with its history, one confirmation goes, a re-subscribe takes
//! it off; staff list, add and remove through the API and the CLI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use hongyan::config::{Scope, Secret, Webhook, WebhookEvent};
use hongyan::route::Carrier;
use serde_json::{Value, json};

use crate::support::{
    Api, ApiCalls, LIMIT, READER, TOKEN, WebhookReceiver, run, stdout_of, wait_until,
};

const PHONE: &str = "13800138000";
const CONFIRMATION: &str = "您已退订营销短信，回复“订阅”可恢复。";

/// The mobile link's bare service code: a reply to it reaches no item.
fn service_code(api: &Api) -> String {
    api.daemon()
        .config()
        .links
        .iter()
        .find(|l| l.carrier() == Carrier::Mobile)
        .expect("a mobile link")
        .service_code
        .clone()
}

async fn phone_replies(api: &Api, text: &str) {
    let to = service_code(api);
    api.post_json(
        "/v1/simulate/reply",
        json!({ "from": PHONE, "to": to, "text": text }),
    )
    .await;
}

/// The phone's inbox messages once `n` of them are routed, newest first.
async fn routed(api: &Api, n: usize) -> Vec<Value> {
    wait_until(
        &format!("{n} replies from {PHONE} routed"),
        LIMIT,
        async || {
            let v = api.get_json(&format!("/v1/inbox?sender={PHONE}")).await;
            let list = v["messages"].as_array().cloned().unwrap_or_default();
            (list.len() == n && list.iter().all(|m| m["route"].is_string())).then_some(list)
        },
    )
    .await
}

async fn jobs_to_phone(api: &Api) -> Vec<Value> {
    api.get_json(&format!("/v1/messages?number={PHONE}")).await["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_td_reply_lands_the_number_on_the_list_once_with_one_confirmation() {
    let mut hooks = WebhookReceiver::start(0).await;
    let url = hooks.url.clone();
    let api = Api::start("optout-reply", |c| {
        c.policy.opt_out_confirmation = CONFIRMATION.into();
        c.webhooks.push(Webhook {
            name: "crm".into(),
            url,
            secret: Some(Secret("webhook-secret-0123456789".into())),
            secret_env: None,
            events: vec![WebhookEvent::OptOut],
            timeout: Duration::from_secs(5),
            max_backoff: Duration::from_secs(1),
        });
    })
    .await;

    phone_replies(&api, "TD").await;
    let inbox = routed(&api, 1).await;
    assert_eq!(inbox[0]["route"], "opt_out", "{inbox:?}");
    assert_eq!(inbox[0]["message"]["text"], "TD");

    let h = api.get_json(&format!("/v1/opt-outs/{PHONE}/history")).await;
    assert_eq!(h["opted_out"], true, "{h}");
    assert_eq!(h["entry"]["source"], "reply");
    assert_eq!(h["entry"]["text"], "TD");
    assert_eq!(h["entry"]["link"], inbox[0]["message"]["link"]);
    assert!(h["entry"]["opted_out_at"].is_string(), "{h}");
    let history = h["history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "{h}");
    assert_eq!(history[0]["action"], "added");
    assert_eq!(history[0]["inbox_id"], inbox[0]["id"]);

    // One confirmation, with the configured text, sent like any notice.
    let jobs = wait_until("the confirmation queued", LIMIT, async || {
        let jobs = jobs_to_phone(&api).await;
        (!jobs.is_empty()).then_some(jobs)
    })
    .await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = api
        .get_json(&format!("/v1/messages/{}", jobs[0]["job_id"]))
        .await;
    assert_eq!(job["text"], CONFIRMATION, "{job}");

    // The webhook hears of the change.
    let (_, got) = hooks.next().await;
    let body = got.json();
    assert_eq!(body["event"], "opt_out");
    assert_eq!(body["data"]["number"], PHONE);
    assert_eq!(body["data"]["action"], "added");
    assert_eq!(body["data"]["source"], "reply");

    // The same reply again (a person who was not sure): stored, routed, no second
    // confirmation, no second history record.
    phone_replies(&api, "退订").await;
    let inbox = routed(&api, 2).await;
    assert_eq!(inbox[0]["route"], "opt_out");
    assert_eq!(jobs_to_phone(&api).await.len(), 1);
    let h = api.get_json(&format!("/v1/opt-outs/{PHONE}/history")).await;
    assert_eq!(h["history"].as_array().unwrap().len(), 1, "{h}");

    // Re-subscribing takes the number off; the history keeps both changes.
    phone_replies(&api, "订阅").await;
    let inbox = routed(&api, 3).await;
    assert_eq!(inbox[0]["route"], "resubscribe");
    let h = api.get_json(&format!("/v1/opt-outs/{PHONE}/history")).await;
    assert_eq!(h["opted_out"], false, "{h}");
    let actions: Vec<&str> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["added", "removed"]);
    let (_, got) = hooks.next().await;
    assert_eq!(got.json()["data"]["action"], "removed");

    let metrics = api
        .client
        .raw("GET", "/metrics", None, Default::default(), &[])
        .await
        .unwrap()
        .text();
    for line in [
        "hongyan_opt_out_changes_total{action=\"added\",source=\"reply\"} 1",
        "hongyan_opt_out_changes_total{action=\"removed\",source=\"reply\"} 1",
        "hongyan_opt_outs 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} not in metrics");
    }
    api.stop().await;
}

#[tokio::test]
async fn staff_list_add_and_remove_through_the_api_and_the_cli() {
    let api = Api::start("optout-api", |_| {}).await;

    // Changes need the all scope and a note; the reader may list.
    let reader = hongyan::api::client::ApiClient::new(api.api_url(), Some(READER.into()));
    let denied = reader
        .call(
            "POST",
            "/v1/opt-outs",
            Some(&json!({"number": PHONE, "note": "x"})),
        )
        .await
        .unwrap_err();
    assert!(denied.to_string().contains("403"), "{denied}");
    reader.call("GET", "/v1/opt-outs", None).await.unwrap();
    let (status, code, body) = api
        .fail(
            "POST",
            "/v1/opt-outs",
            Some(json!({"number": PHONE, "note": "  "})),
        )
        .await;
    assert_eq!((status, code.as_str()), (422, "invalid"), "{body}");
    assert_eq!(body["error"]["details"]["field"], "note");
    let (status, _, body) = api
        .fail(
            "POST",
            "/v1/opt-outs",
            Some(json!({"number": "12345", "note": "电话要求"})),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // Added (201), then again (200, nothing changes).
    let added = api
        .client
        .raw(
            "POST",
            "/v1/opt-outs",
            Some("application/json"),
            json!({"number": "+86 139-0013-9000", "note": "2026-12-07 来电要求不再发送促销"})
                .to_string()
                .into(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(added.status, 201);
    assert_eq!(
        added.json(),
        json!({"number": "13900139000", "added": true})
    );
    let again = api
        .post_json(
            "/v1/opt-outs",
            json!({"number": "13900139000", "note": "dup"}),
        )
        .await;
    assert_eq!(again["added"], false);
    api.post_json(
        "/v1/opt-outs",
        json!({"number": "13700137000", "note": "工单 #88"}),
    )
    .await;

    // The CLI, through the same API: recorded as such.
    let base = api.api_url().to_owned();
    let cli = async |args: &[&str]| {
        let mut all: Vec<String> = ["--api", base.as_str(), "--token", TOKEN]
            .iter()
            .chain(args)
            .map(|a| (*a).to_owned())
            .collect();
        // Off the runtime's threads: the command waits for this process's API.
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = all.iter_mut().map(|a| a.as_str()).collect();
            run(&args, None)
        })
        .await
        .unwrap()
    };
    let out = stdout_of(&cli(&["opt-out", "add", PHONE, "--note", "门店登记表第12行"]).await);
    assert!(out.contains("is on the opt-out list"), "{out}");
    let out = stdout_of(&cli(&["opt-out", "list", "--search", "139"]).await);
    assert!(out.contains("13900139000") && !out.contains(PHONE), "{out}");
    let out = stdout_of(&cli(&["opt-out", "list", "--limit", "2"]).await);
    assert!(
        out.contains("3 number(s)") && out.contains("more: --before"),
        "{out}"
    );
    let listed: Value =
        serde_json::from_str(&stdout_of(&cli(&["--json", "opt-out", "list"]).await)).unwrap();
    let numbers: Vec<&str> = listed["opt_outs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["number"].as_str().unwrap())
        .collect();
    assert_eq!(
        numbers,
        [PHONE, "13700137000", "13900139000"],
        "newest first"
    );
    assert_eq!(listed["opt_outs"][0]["source"], "cli");
    assert_eq!(listed["opt_outs"][0]["actor"], "demo");

    // Removal needs a reason; an unlisted number is 404.
    let (status, code, _) = api
        .fail(
            "DELETE",
            "/v1/opt-outs/13700137000",
            Some(json!({"reason": ""})),
        )
        .await;
    assert_eq!((status, code.as_str()), (422, "invalid"));
    let (status, code, _) = api
        .fail(
            "DELETE",
            "/v1/opt-outs/13600136000",
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let gone = api
        .call(
            "DELETE",
            "/v1/opt-outs/13700137000",
            Some(json!({"reason": "客户重新签署同意书"})),
        )
        .await;
    assert_eq!(gone["removed"], true);
    let out = stdout_of(&cli(&["opt-out", "remove", PHONE, "--reason", "登记有误"]).await);
    assert!(out.contains("is off the opt-out list"), "{out}");
    let failed = cli(&["opt-out", "remove", PHONE, "--reason", "again"]).await;
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("not on the opt-out list"));

    let out = stdout_of(&cli(&["opt-out", "history", PHONE]).await);
    assert!(out.contains("not on the opt-out list"), "{out}");
    assert!(
        out.contains("门店登记表第12行") && out.contains("登记有误"),
        "{out}"
    );
    let h = api.get_json("/v1/opt-outs/13700137000/history").await;
    let history = h["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["source"], "api");
    assert_eq!(history[1]["note"], "客户重新签署同意书");
    let listed = api.get_json("/v1/opt-outs").await;
    assert_eq!(listed["total"], 1);
    assert_eq!(
        api.daemon().config().api.tokens[0].scopes,
        [Scope::All],
        "the demo token is an admin's"
    );
    api.stop().await;
}
