//! HTTP-level tests of the compose, outbox, drafts, scheduled and signature/template
//! pages, in-process over a real daemon (the shared [`Console`] harness).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::http::{StatusCode, header};

use super::roles::Role;
use super::tests::{Console, PASSWORD, Session, body, field_value};
use crate::store::{JobFilter, JobState, NewContact, Window};

async fn staff(c: &Console, name: &str) -> Session {
    c.account(name, Role::Staff).await;
    c.login(name, PASSWORD).await.unwrap()
}

fn location(res: &axum::response::Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

async fn group(c: &Console, name: &str, phones: &[&str]) {
    let rows = phones
        .iter()
        .map(|p| NewContact {
            phone: (*p).into(),
            name: String::new(),
            groups: vec![name.into()],
            tags: vec![],
        })
        .collect();
    c.state.store.contacts_import(rows, 1).await.unwrap();
}

async fn jobs(c: &Console, filter: JobFilter) -> Vec<crate::store::JobSummary> {
    c.state
        .store
        .jobs_list(
            filter,
            Window {
                before: None,
                limit: 100,
            },
        )
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn compose_to_a_group_and_a_pasted_list_confirms_the_cost_and_a_double_submit_sends_once() {
    let c = Console::start("compose-send").await;
    let s = staff(&c, "li").await;
    group(&c, "销售", &["13900139000", "13700137000"]).await;

    let page = body(c.get("/compose", Some(&s)).await).await;
    assert!(page.contains("id=\"numbers\""), "{page}");
    assert!(
        page.contains("data-members=\"2\""),
        "the group shows its count"
    );

    let form = [
        ("numbers", "+86 138-0013-8000\n12345\n13900139000"),
        ("groups", "销售"),
        ("text", "周五例会改到 15:00，请准时参加。"),
        ("action", "preview"),
    ];
    let res = c.post("/compose", Some(&s), &form, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let confirm = body(res).await;
    assert!(confirm.contains("id=\"confirm\""), "{confirm}");
    // Three distinct good numbers, the bad one named with its reason, the repeat once.
    assert!(
        confirm.contains("<dd id=\"confirm-recipients\">3</dd>"),
        "{confirm}"
    );
    assert!(confirm.contains("<strong>12345</strong>"), "{confirm}");
    assert!(
        confirm.contains("<dd id=\"confirm-total\">3</dd>"),
        "{confirm}"
    );
    assert!(
        jobs(&c, JobFilter::default()).await.is_empty(),
        "nothing is queued before the confirmation"
    );
    let key = field_value(&confirm, "key").unwrap();
    let mut send: Vec<(&str, &str)> = form.to_vec();
    send.retain(|(k, _)| *k != "action");
    send.push(("key", &key));
    let first = c.post("/compose/send", Some(&s), &send, None).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = c.post("/compose/send", Some(&s), &send, None).await;
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&first), location(&second), "the same job");
    let all = jobs(&c, JobFilter::default()).await;
    assert_eq!(all.len(), 1, "sent once");
    assert_eq!(all[0].recipients, 3);
    assert_eq!(all[0].sender.as_deref(), Some("web:li"));

    // The outbox shows it with a state cell; the job page lists its recipients.
    let id = all[0].job_id;
    let outbox = body(c.get("/outbox", Some(&s)).await).await;
    assert!(
        outbox.contains(&format!("id=\"job-{id}-state\"")),
        "{outbox}"
    );
    let job = body(c.get(&location(&first), Some(&s)).await).await;
    assert!(job.contains("13900139000"), "{job}");
    assert!(job.contains("id=\"job-state\""), "{job}");
    c.stop().await;
}

#[tokio::test]
async fn the_live_counter_is_the_intake_s_plan() {
    let c = Console::start("compose-preview").await;
    let s = staff(&c, "li").await;
    let text = "您的账单已出，".repeat(20);
    let url = format!(
        "/compose/preview?numbers={}&text={}",
        super::forms::encode("13800138000,13900139000,1"),
        super::forms::encode(&text)
    );
    let res = c.get(&url, Some(&s)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body(res).await).unwrap();
    let req = crate::dispatch::SendRequest::new(
        vec!["13800138000".into(), "13900139000".into(), "1".into()],
        text.clone(),
    );
    let p = c.state.submitter.preview(&req).unwrap();
    assert_eq!(v["accepted"], 2);
    assert_eq!(v["total_segments"], p.total_segments);
    assert!(
        p.total_segments >= 4,
        "a long text is several segments each"
    );
    assert_eq!(v["rejected"][0]["input"], "1");
    assert_eq!(v["carriers"][0]["coding"], "UCS-2");
    // The contact picker finds a contact by name.
    c.state
        .store
        .contacts_import(
            vec![NewContact {
                phone: "13800138000".into(),
                name: "张三".into(),
                groups: vec![],
                tags: vec![],
            }],
            1,
        )
        .await
        .unwrap();
    let res = c
        .get(
            &format!("/compose/contacts?q={}", super::forms::encode("张")),
            Some(&s),
        )
        .await;
    let v: serde_json::Value = serde_json::from_str(&body(res).await).unwrap();
    assert_eq!(v["contacts"][0]["phone"], "13800138000");
    // An unknown group is the counter's error, not a failure.
    let res = c
        .get(
            "/compose/preview?groups=%E4%B8%8D%E5%AD%98%E5%9C%A8&text=x",
            Some(&s),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    c.stop().await;
}

#[tokio::test]
async fn a_wrong_form_comes_back_with_errors_by_field_and_everything_typed() {
    let c = Console::start("compose-errors").await;
    let s = staff(&c, "li").await;
    let res = c
        .post(
            "/compose",
            Some(&s),
            &[
                ("numbers", "13800138000"),
                ("text", ""),
                ("send_at", "2001-01-01T08:00"),
                ("action", "preview"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body(res).await;
    assert!(html.contains("id=\"text-error\""), "{html}");
    assert!(html.contains("id=\"send_at-error\""), "{html}");
    assert!(html.contains(">13800138000</textarea>"), "kept: {html}");
    assert!(html.contains("value=\"2001-01-01T08:00\""), "kept: {html}");
    // Every number bad: the reasons, next to the numbers.
    let html = body(
        c.post(
            "/compose",
            Some(&s),
            &[
                ("numbers", "12345\n999"),
                ("text", "hi"),
                ("action", "preview"),
            ],
            None,
        )
        .await,
    )
    .await;
    assert!(html.contains("id=\"numbers-error\""), "{html}");
    assert!(html.contains("<strong>999</strong>"), "{html}");
    assert!(jobs(&c, JobFilter::default()).await.is_empty());
    c.stop().await;
}

#[tokio::test]
async fn drafts_are_saved_edited_and_kept_from_other_staff() {
    let c = Console::start("compose-drafts").await;
    let li = staff(&c, "li").await;
    let wang = staff(&c, "wang").await;
    let res = c
        .post(
            "/compose",
            Some(&li),
            &[
                ("numbers", "13800138000"),
                ("text", "下周一放假"),
                ("title", "放假通知"),
                ("action", "draft"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id: i64 = location(&res)
        .trim_start_matches("/compose?saved=")
        .parse()
        .unwrap();
    let list = body(c.get("/drafts", Some(&li)).await).await;
    assert!(list.contains(&format!("id=\"draft-{id}\"")), "{list}");
    assert!(list.contains("放假通知"));
    let open = body(c.get(&format!("/compose?draft={id}"), Some(&li)).await).await;
    assert!(open.contains(">13800138000</textarea>"), "{open}");
    assert!(open.contains(">下周一放假</textarea>"), "{open}");
    // Another staff member neither sees nor opens nor deletes it.
    let theirs = body(c.get("/drafts", Some(&wang)).await).await;
    assert!(!theirs.contains(&format!("id=\"draft-{id}\"")));
    let res = c.get(&format!("/compose?draft={id}"), Some(&wang)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c
        .post(&format!("/drafts/{id}/delete"), Some(&wang), &[], None)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c
        .post(&format!("/drafts/{id}/delete"), Some(&li), &[], None)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(c.state.store.draft_get(id).await.unwrap().is_none());
    c.stop().await;
}

#[tokio::test]
async fn a_scheduled_job_is_moved_then_cancelled() {
    let c = Console::start("compose-scheduled").await;
    let s = staff(&c, "li").await;
    let send_at = super::when::input_value(c.state.now() + 86_400_000);
    let form = [
        ("numbers", "13800138000"),
        ("text", "明早九点开会"),
        ("send_at", send_at.as_str()),
        ("action", "preview"),
    ];
    let confirm = body(c.post("/compose", Some(&s), &form, None).await).await;
    let key = field_value(&confirm, "key").unwrap();
    let mut send = form.to_vec();
    send.push(("key", &key));
    let res = c.post("/compose/send", Some(&s), &send, None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let job = jobs(&c, JobFilter::default()).await.remove(0);
    assert_eq!(job.state, JobState::Scheduled);
    let list = body(c.get("/scheduled", Some(&s)).await).await;
    assert!(
        list.contains(&format!("id=\"scheduled-{}\"", job.job_id)),
        "{list}"
    );

    let later = super::when::input_value(c.state.now() + 2 * 86_400_000);
    let res = c
        .post(
            &format!("/scheduled/{}", job.job_id),
            Some(&s),
            &[("send_at", later.as_str())],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let moved = c.state.store.job_status(job.job_id).await.unwrap().unwrap();
    assert_eq!(
        moved.send_at.map(super::when::input_value),
        Some(later.clone())
    );
    // A time past is refused next to the field.
    let html = body(
        c.post(
            &format!("/scheduled/{}", job.job_id),
            Some(&s),
            &[("send_at", "2001-01-01T00:00")],
            None,
        )
        .await,
    )
    .await;
    assert!(
        html.contains(&format!("id=\"send_at-{}-error\"", job.job_id)),
        "{html}"
    );
    let res = c
        .post(
            &format!("/outbox/{}/cancel", job.job_id),
            Some(&s),
            &[],
            None,
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/outbox/{}?done=cancelled", job.job_id)
    );
    let st = c.state.store.job_status(job.job_id).await.unwrap().unwrap();
    assert_eq!(st.state, JobState::Cancelled);
    c.stop().await;
}

#[tokio::test]
async fn the_outbox_filters_pages_and_exports() {
    let c = Console::start("outbox-filters").await;
    let s = staff(&c, "li").await;
    for i in 0..3 {
        let mut req = crate::dispatch::SendRequest::new(
            vec![format!("1380013800{i}")],
            format!("取件码 {i}"),
        );
        req.sender = Some(if i == 1 { "api:shop" } else { "web:li" }.into());
        c.state.submitter.send(req).await.unwrap();
    }
    let html = body(c.get("/outbox?sender=api%3Ashop", Some(&s)).await).await;
    assert_eq!(html.matches("class=\"state\"").count(), 1, "{html}");
    let html = body(
        c.get(
            &format!("/outbox?text={}", super::forms::encode("取件码 2")),
            Some(&s),
        )
        .await,
    )
    .await;
    assert_eq!(html.matches("class=\"state\"").count(), 1, "{html}");
    let html = body(c.get("/outbox?number=138-0013-8000", Some(&s)).await).await;
    assert_eq!(html.matches("class=\"state\"").count(), 1, "{html}");
    let html = body(c.get("/outbox?since=yesterday", Some(&s)).await).await;
    assert!(html.contains("id=\"since-error\""), "{html}");
    assert!(html.contains("value=\"yesterday\""), "kept: {html}");

    let res = c.get("/outbox/export.csv?sender=web%3Ali", Some(&s)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/csv; charset=utf-8"
    );
    let csv = body(res).await;
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(csv.lines().count(), 3, "header and two jobs: {csv}");
    assert!(csv.contains("取件码 2") && !csv.contains("取件码 1"));
    assert!(csv.contains("\r\n"), "CRLF lines for Excel");
    c.stop().await;
}

#[tokio::test]
async fn admins_keep_signatures_and_templates_that_compose_offers() {
    let c = Console::start("snippets").await;
    c.account("boss", Role::Admin).await;
    let admin = c.login("boss", PASSWORD).await.unwrap();
    let s = staff(&c, "li").await;
    let res = c.get("/settings/templates", Some(&s)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "staff: not settings");

    let res = c
        .post(
            "/settings/templates",
            Some(&admin),
            &[("name", "到件"), ("text", "您的快递{no已到")],
            None,
        )
        .await;
    let html = body(res).await;
    assert!(html.contains("id=\"snippet-text-error\""), "{html}");
    assert!(html.contains("您的快递{no已到</textarea>"), "kept: {html}");
    let res = c
        .post(
            "/settings/templates",
            Some(&admin),
            &[("name", "到件"), ("text", "您的快递已到驿站")],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = c
        .post(
            "/settings/signatures",
            Some(&admin),
            &[("name", "物流"), ("text", "【鸿雁物流】")],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let dup = body(
        c.post(
            "/settings/signatures",
            Some(&admin),
            &[("name", "物流"), ("text", "【别的】")],
            None,
        )
        .await,
    )
    .await;
    assert!(dup.contains("id=\"snippet-name-error\""), "{dup}");

    let tpl = c
        .state
        .store
        .snippets_list(crate::store::SnippetKind::Template)
        .await
        .unwrap()
        .remove(0);
    let page = body(
        c.get(&format!("/compose?template={}", tpl.id), Some(&s))
            .await,
    )
    .await;
    assert!(page.contains(">您的快递已到驿站</textarea>"), "{page}");
    assert!(page.contains("【鸿雁物流】</option>"), "{page}");
    c.stop().await;
}

#[tokio::test]
async fn a_refused_number_is_explained_in_the_viewer_s_language() {
    let c = Console::start("compose-refusal-words").await;
    let s = staff(&c, "li").await;
    let form = [
        ("numbers", "13800138000\n1380013800"),
        ("text", "周五例会改到 15:00。"),
        ("action", "preview"),
    ];
    // Chinese (the default): the confirm page and the live counter.
    let zh = body(c.post("/compose", Some(&s), &form, None).await).await;
    assert!(
        zh.contains("<strong>1380013800</strong>：号码有 10 位数字"),
        "{zh}"
    );
    assert!(!zh.contains("10 digits"), "{zh}");
    let url = format!(
        "/compose/preview?numbers={}&text=x",
        super::forms::encode("1380013800")
    );
    let v: serde_json::Value =
        serde_json::from_str(&body(c.get(&url, Some(&s)).await).await).unwrap();
    let reason = v["rejected"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("10 位"), "{reason}");
    // A text no link can carry: each carrier's line and the refusal say so in Chinese.
    let long = format!(
        "/compose/preview?numbers=13800138000&text={}",
        super::forms::encode(&"好".repeat(2_000))
    );
    let v: serde_json::Value =
        serde_json::from_str(&body(c.get(&long, Some(&s)).await).await).unwrap();
    let error = v["carriers"][0]["error"].as_str().unwrap();
    assert!(error.contains("过长"), "{error}");
    let reason = v["rejected"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("过长"), "{reason}");

    // Under the English switch, the same refusals in English.
    let en = Session {
        cookie: format!("{}; {}=en", s.cookie, super::lang::COOKIE),
        csrf: s.csrf.clone(),
    };
    let page = body(c.post("/compose", Some(&en), &form, None).await).await;
    assert!(
        page.contains("<strong>1380013800</strong>：the number has 10 digits"),
        "{page}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&body(c.get(&url, Some(&en)).await).await).unwrap();
    let reason = v["rejected"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("10 digits"), "{reason}");
    let v: serde_json::Value =
        serde_json::from_str(&body(c.get(&long, Some(&en)).await).await).unwrap();
    let error = v["carriers"][0]["error"].as_str().unwrap();
    assert!(error.contains("segments"), "{error}");
    c.stop().await;
}

#[tokio::test]
async fn the_counter_names_its_unit_once() {
    let c = Console::start("compose-counter-unit").await;
    let s = staff(&c, "li").await;
    let page = body(c.get("/compose", Some(&s)).await).await;
    let after = page.split("id=\"count-chars\">").nth(1).unwrap();
    let (figure, rest) = after.split_once("</span>").unwrap();
    assert!(figure.chars().all(|c| c.is_ascii_digit()), "{figure}");
    assert!(rest.trim_start().starts_with('字'), "{rest}");
    // The script rewrites only the figure; the page keeps the unit.
    let js = body(c.get(&super::assets::url("compose.js"), Some(&s)).await).await;
    let line = js.lines().find(|l| l.contains("\"count-chars\"")).unwrap();
    assert!(
        !line.contains('字') && !line.contains("characters"),
        "{line}"
    );
    c.stop().await;
}
