//! An approval from the console: two stages with approvers picked from the contacts (no
//! number typed), the first stage decided on the web by its approver logged in on their
//! own account, the second by the approver's SMS reply; the timeline tells it all.

use serde_json::{Value, json};

use super::console::Console;
use crate::support::ApiCalls;

/// The demo's China Mobile service number; an approval SMS comes from it plus the
/// step's extension, and the reply goes back there.
const SERVICE: &str = "10690123";

/// Searches the approval form's contact picker for `name` and presses `button` (a CSS
/// selector within the results) on the one contact found; waits for `then` to appear.
async fn pick(c: &Console, name: &str, button: &str, then: &str) {
    let b = c.b();
    b.fill("#approver-search", name).await;
    b.click("#approver-search-go").await;
    b.wait_text("#pick-results", name).await;
    b.click(&format!("#pick-results {button}")).await;
    b.wait_text(then, name).await;
}

#[tokio::test]
async fn a_two_stage_approval_from_contacts_decided_on_the_web_and_by_sms() {
    let mut c = Console::start("browser-approval").await;
    for (phone, name) in [
        ("13800138021", "赵主任"),
        ("13800138022", "钱经理"),
        ("13800138023", "孙丽"),
    ] {
        c.daemon
            .post_json("/v1/contacts", json!({ "phone": phone, "name": name }))
            .await;
    }
    // 赵主任 decides on the web: an approver account tied to his number.
    let zhao = c.add_user("zhao", "approver", Some("13800138021"));

    c.login_admin().await;
    c.open("/approvals/new").await;
    let b = c.b();
    b.fill("#title", "采购申请：会议室投影仪").await;
    b.fill("#details", "预算 4,800 元").await;
    b.click("#add-stage").await;
    b.find("#stage-box-2").await;
    pick(&c, "孙丽", "button.pick-applicant", "#applicant-chosen").await;
    pick(&c, "赵主任", "button.pick[data-stage=\"1\"]", "#stage-1").await;
    pick(&c, "钱经理", "button.pick[data-stage=\"2\"]", "#stage-2").await;
    // What was typed survived every round trip of the picker.
    let b = c.b();
    let title = b
        .execute("return document.getElementById('title').value;", json!([]))
        .await;
    assert_eq!(title, "采购申请：会议室投影仪");
    c.shots("new-approval").await;

    let b = c.b();
    b.click("#approval-create").await;
    let url = b
        .wait_url("the approval's page", |u| {
            u.contains("/approvals/") && !u.contains("/new")
        })
        .await;
    let id: i64 = url[url.rfind("/approvals/").expect("in the URL") + 11..]
        .split(['?', '#'])
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an approval id in {url}"));
    b.find("#timeline li.timeline-entry[data-kind=created]")
        .await;
    c.shots("created").await;
    c.logout().await;

    // Stage 1: 赵主任 logs in, finds it waiting for him, approves it on the web.
    c.login("zhao", &zhao).await;
    c.open("/approvals").await;
    let b = c.b();
    b.find(&format!(
        "#waiting-for-me tr.approval-row[data-id=\"{id}\"]"
    ))
    .await;
    c.shots("waiting-for-me").await;
    c.open(&format!("/approvals/{id}")).await;
    let b = c.b();
    b.fill("#comment", "同意，注意控制预算").await;
    b.click("#decide-approve").await;
    b.find("#steps tr.step-row[data-state=approved]").await;
    c.shots("decided-on-the-web").await;

    // Stage 2: 钱经理 answers the SMS he was sent, from his phone.
    let ext = c
        .b()
        .wait("the second stage's SMS to be sent", async || {
            let v: Value = c.daemon.get_json(&format!("/v1/approvals/{id}")).await;
            v["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["approver"]["phone"] == "13800138022")
                .and_then(|s| s["extension"].as_str().map(str::to_owned))
        })
        .await;
    c.daemon
        .post_json(
            "/v1/simulate/reply",
            json!({ "from": "13800138022", "to": format!("{SERVICE}{ext}"), "text": "同意" }),
        )
        .await;
    c.b()
        .wait("the approval to be approved", async || {
            c.open(&format!("/approvals/{id}")).await;
            c.b()
                .find_now("#approval-state[data-state=approved]")
                .await
                .is_some()
        })
        .await;
    // The timeline: who was asked, each decision (the web's and the SMS reply's text),
    // the outcome.
    let b = c.b();
    b.find("#timeline li.timeline-entry[data-kind=asked]").await;
    b.wait_text("#timeline li.timeline-entry[data-kind=reply]", "同意")
        .await;
    let timeline = b.text("#timeline").await;
    for who in ["赵主任", "钱经理"] {
        assert!(timeline.contains(who), "{who} in the timeline:\n{timeline}");
    }
    b.find("#timeline li.timeline-entry[data-kind=outcome]")
        .await;
    c.shots("timeline").await;
    c.stop().await;
}
