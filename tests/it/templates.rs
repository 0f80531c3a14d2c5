//! Stored signatures and templates over the API: saved, listed, used by a send
//! (`template_id`, `signature_id`), refused by field when wrong, written only with the
//! `all` scope; and every job records the API client that sent it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use crate::support::{Api, ApiCalls, READER};

#[tokio::test]
async fn stored_templates_and_signatures_are_used_by_a_send_and_the_sender_is_recorded() {
    let api = Api::start("snippets", |_| {}).await;
    let sig = api
        .post_json(
            "/v1/signatures",
            json!({ "name": "物流", "text": "【鸿雁物流】" }),
        )
        .await;
    let sig_id = sig["saved"]["id"].as_i64().unwrap();
    let tpl = api
        .post_json(
            "/v1/templates",
            json!({ "name": "到件", "text": "您的快递{no}已到驿站" }),
        )
        .await;
    let tpl_id = tpl["saved"]["id"].as_i64().unwrap();
    let list = api.get_json("/v1/templates").await;
    assert_eq!(list["templates"][0]["name"], "到件");
    assert_eq!(
        api.get_json("/v1/signatures").await["signatures"][0]["text"],
        "【鸿雁物流】"
    );

    let sent = api
        .post_json(
            "/v1/messages",
            json!({
                "recipients": ["13800138000"],
                "template_id": tpl_id,
                "variables": { "no": "SF123" },
                "signature_id": sig_id,
            }),
        )
        .await;
    let job = sent["job_id"].as_i64().unwrap();
    let status = api.get_json(&format!("/v1/messages/{job}")).await;
    assert_eq!(status["text"], "您的快递SF123已到驿站");
    assert_eq!(status["signature"], "【鸿雁物流】");
    // The job list names the API client (the demo token is called "demo").
    let listed = api.get_json("/v1/messages").await;
    assert_eq!(listed["messages"][0]["sender"], "api:demo");

    // Wrong by field: an unknown id, both forms at once, a broken template.
    let (status, _, body) = api
        .fail(
            "POST",
            "/v1/messages",
            Some(json!({ "recipients": ["13800138000"], "template_id": 999 })),
        )
        .await;
    assert_eq!(
        (status, body["error"]["details"]["field"].as_str()),
        (422, Some("template_id"))
    );
    let (status, _, body) = api
        .fail(
            "POST",
            "/v1/messages",
            Some(json!({
                "recipients": ["13800138000"], "text": "x",
                "signature": "【a】", "signature_id": sig_id,
            })),
        )
        .await;
    assert_eq!(
        (status, body["error"]["details"]["field"].as_str()),
        (422, Some("signature_id"))
    );
    let (status, _, body) = api
        .fail(
            "POST",
            "/v1/templates",
            Some(json!({ "name": "坏", "text": "您好{name" })),
        )
        .await;
    assert_eq!(
        (status, body["error"]["details"]["field"].as_str()),
        (422, Some("text"))
    );
    let (status, _, _) = api
        .fail(
            "POST",
            "/v1/signatures",
            Some(json!({ "name": "物流", "text": "【重名】" })),
        )
        .await;
    assert_eq!(status, 422, "a name is unique");

    // Reading needs `read`; writing needs `all`.
    let reader = api.as_client(Some(READER));
    assert!(reader.call("GET", "/v1/templates", None).await.is_ok());
    let refused = reader
        .call(
            "POST",
            "/v1/templates",
            Some(&json!({ "name": "x", "text": "y" })),
        )
        .await;
    assert!(matches!(
        refused,
        Err(hongyan::api::client::ClientError::Api { status: 403, .. })
    ));
    let deleted = api
        .call("DELETE", &format!("/v1/templates/{tpl_id}"), None)
        .await;
    assert_eq!(deleted["deleted"], true);
    assert!(
        api.get_json("/v1/templates").await["templates"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    api.stop().await;
}
