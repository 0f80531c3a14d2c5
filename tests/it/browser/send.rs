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

    // Two numbers typed in any usual spelling, one too short, and the group of two.
    b.fill("#numbers", "139 0013 9000\n1380013800\n+86 189-0000-0003")
        .await;
    b.click("input[name=groups][value=\"办公室\"]").await;
    b.fill("#text", "明天上午九点在三楼会议室开会，请准时参加。")
        .await;
    // While typing: the bad number flagged with its reason, the cost for all four.
    b.wait_text("#count-refused", "1380013800").await;
    b.wait_text("#count-recipients", "4").await;
    b.wait_text("#count-total", "4").await;
    c.shots("compose").await;

    // The confirmation: recipients, cost and the refused number; nothing queued yet.
    let b = c.b();
    b.click("#preview").await;
    b.wait_text("#confirm-recipients", "4").await;
    b.wait_text("#confirm-total", "4").await;
    b.wait_text("#confirm-refused", "1380013800").await;
    c.shots("confirm").await;

    let b = c.b();
    b.click("#confirm").await;
    let job_url = b
        .wait_url("the job's page after confirming", |u| {
            u.contains("/outbox/")
        })
        .await;
    let job_path = job_url[job_url.find("/outbox/").expect("in the URL")..].to_owned();
    let job = job_path
        .trim_start_matches("/outbox/")
        .split(['?', '#'])
        .next()
        .expect("a job id")
        .to_owned();
    // Delivered: the simulated carriers answer every part with a DELIVRD report.
    b.wait("the job to show delivered", async || {
        c.open(&job_path).await;
        c.b()
            .find_now("#job-state[data-state=delivered]")
            .await
            .is_some()
    })
    .await;
    assert_eq!(b.find_all("#recipients tbody tr").await.len(), 4);
    c.shots("job-delivered").await;

    // The outbox lists it, delivered.
    c.open("/outbox").await;
    let b = c.b();
    b.find(&format!("#job-{job}-state[data-state=delivered]"))
        .await;
    b.wait_text(&format!("#job-{job}"), "明天上午九点").await;
    c.shots("outbox").await;

    // 王芳 answers from her phone; the inbox names her.
    c.daemon
        .post_json(
            "/v1/simulate/reply",
            json!({ "from": "13800138001", "to": SERVICE, "text": "收到，准时到" }),
        )
        .await;
    let b = c.b();
    let row = "#inbox-table tr.inbox-row";
    b.wait("the reply in the inbox", async || {
        c.open("/inbox").await;
        c.b().body_text().await.contains("收到，准时到")
    })
    .await;
    b.wait_text(&format!("{row} td.contact-name"), "王芳").await;
    b.wait_text(&format!("{row} td.inbox-text"), "收到，准时到")
        .await;
    c.shots("inbox").await;
    c.stop().await;
}
