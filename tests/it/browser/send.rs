//! Sending from the console and reading the answer: compose to a group and a pasted list
//! with a bad number in it, see the cost, confirm, see the job delivered in the outbox;
//! a reply from one of the recipients appears in the inbox under the contact's name.

use serde_json::json;

use super::console::Console;
use crate::support::ApiCalls;

/// The demo's China Mobile service number (replies to it reach the daemon).
const SERVICE: &str = "10690123";

#[tokio::test]
async fn compose_to_a_group_and_a_pasted_list_see_it_delivered_and_the_reply_in_the_inbox() {
    let mut c = Console::start("browser-send").await;
    // The office's contacts, as the API (or an import) left them.
    for (phone, name) in [("13800138001", "王芳"), ("13300000002", "李强")] {
        c.daemon
            .post_json(
                "/v1/contacts",
                json!({ "phone": phone, "name": name, "groups": ["办公室"] }),
            )
            .await;
    }
    c.login_admin().await;
    c.open("/compose").await;
    let b = c.b();

    // Two numbers typed in (one of them too short) and the group of two.
    b.fill(
        "textarea[name=numbers]",
        "139 0013 9000\n1380013800\n+86 189-0000-0003",
    )
    .await;
    b.click("input[name=groups][value=\"办公室\"]").await;
    b.fill("textarea[name=text]", "明天上午九点在三楼会议室开会，请准时参加。")
        .await;
    // The bad number is flagged with its reason, and the cost is counted live.
    b.wait_text("#numbers-errors", "1380013800").await;
    b.wait_text("#counter", "4").await;
    c.shots("compose").await;

    let b = c.b();
    b.click("#preview").await;
    // The confirmation: the recipients and the cost, nothing queued yet.
    let summary = b.wait_text("#confirm-summary", "4").await;
    assert!(summary.contains('4'), "{summary}");
    c.shots("confirm").await;

    let b = c.b();
    b.click("#confirm").await;
    let job_url = b
        .wait_url("the job's page after confirming", |u| u.contains("/outbox/"))
        .await;
    let job_path = job_url[job_url.find("/outbox/").expect("in the URL")..].to_owned();
    // Delivered: the simulated carriers answer every part with a DELIVRD report.
    b.wait(
        "the job to show delivered",
        async || {
            c.open(&job_path).await;
            let state = c.b().text("#job-state").await;
            state.contains("已送达") || state.contains("delivered")
        },
    )
    .await;
    c.shots("job-delivered").await;
    c.open("/outbox").await;
    let b = c.b();
    b.wait_text("#outbox", "明天上午九点").await;
    c.shots("outbox").await;

    // 王芳 answers from her phone; the inbox names her.
    c.daemon
        .post_json(
            "/v1/simulate/reply",
            json!({ "from": "13800138001", "to": SERVICE, "text": "收到，准时到" }),
        )
        .await;
    c.open("/inbox").await;
    let b = c.b();
    b.wait(
        "the reply in the inbox",
        async || {
            c.open("/inbox").await;
            c.b().body_text().await.contains("收到，准时到")
        },
    )
    .await;
    b.wait_text("#inbox", "王芳").await;
    c.shots("inbox").await;
    c.stop().await;
}
