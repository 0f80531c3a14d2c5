//! HTTP-level tests of the dashboard, inbox, contacts, import, groups and approvals
//! pages, in-process over a real daemon on the embedded default (the harness of
//! `tests.rs`). State is set up through the same store and workflow operations the
//! pages call; nothing waits on a timer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use super::roles::Role;
use super::tests::{Console, PASSWORD, Session, body};
use crate::store::{NewContact, NewInbound};

/// An account with a phone number, logged in.
async fn login_as(c: &Console, name: &str, role: Role, phone: Option<&str>) -> Session {
    let a = super::accounts::new_account(name, role, phone, PASSWORD).unwrap();
    c.state
        .store
        .account_create(a, c.state.now())
        .await
        .unwrap();
    c.login(name, PASSWORD).await.unwrap()
}

async fn contact(c: &Console, phone: &str, name: &str, groups: &[&str]) -> i64 {
    c.state
        .store
        .contact_upsert(
            NewContact {
                phone: phone.into(),
                name: name.into(),
                groups: groups.iter().map(|g| (*g).to_owned()).collect(),
                tags: vec![],
            },
            1,
        )
        .await
        .unwrap()
        .id
}

fn location(res: &axum::response::Response) -> String {
    res.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

/// The part of `html` from the element with `marker` to the end of its row.
fn row_of<'a>(html: &'a str, marker: &str) -> &'a str {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in {html}"));
    let end = html[at..].find("</tr>").map_or(html.len(), |e| at + e);
    &html[at..end]
}

async fn reply(c: &Console, s: &Session, id: i64, key: &str) -> axum::response::Response {
    c.post(
        &format!("/inbox/{id}/reply"),
        Some(s),
        &[("text", "已为您退订"), ("key", key), ("next", "/inbox")],
        None,
    )
    .await
}

async fn post_form(
    c: &Console,
    s: &Session,
    fields: Vec<(String, String)>,
) -> axum::response::Response {
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post("/approvals/new", Some(s), &f, None).await
}

#[tokio::test]
async fn the_inbox_shows_the_contact_unread_first_and_replies_once() {
    let c = Console::start("pages-inbox").await;
    let s = login_as(&c, "staff", Role::Staff, None).await;
    contact(&c, "13800138001", "张三", &[]).await;
    let mo = |sender: &str, text: &str, at| NewInbound {
        sender: sender.into(),
        destination: "1069001".into(),
        text: text.into(),
        coding: 8,
        received_at: at,
        link: "mobile-demo".into(),
        item_id: None,
    };
    let first = c
        .state
        .store
        .inbox_insert(mo("8613800138001", "收到，谢谢", 1_000))
        .await
        .unwrap();
    let second = c
        .state
        .store
        .inbox_insert(mo("13900139002", "TD", 2_000))
        .await
        .unwrap();
    c.state.store.inbox_mark_read(second).await.unwrap();
    let html = body(c.get("/inbox", Some(&s)).await).await;
    let row = row_of(&html, &format!("data-id=\"{first}\""));
    assert!(row.contains("class=\"contact-name\">张三</td>"), "{row}");
    assert!(
        html.find(&format!("data-id=\"{first}\"")) < html.find(&format!("data-id=\"{second}\"")),
        "the unread one first although older"
    );
    // Mark read.
    let res = c
        .post(
            &format!("/inbox/{first}/read"),
            Some(&s),
            &[("next", "/inbox")],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = body(c.get("/inbox?read=unread", Some(&s)).await).await;
    assert!(html.contains("id=\"inbox-empty\""), "{html}");
    // A reply is one job, however often the form is posted.
    let a = reply(&c, &s, second, "k1").await;
    assert_eq!(a.status(), StatusCode::SEE_OTHER);
    let b = reply(&c, &s, second, "k1").await;
    let (la, lb) = (location(&a), location(&b));
    assert!(la.contains("sent="), "{la}");
    assert_eq!(la, lb, "the same job both times");
    let job: i64 = la.rsplit("sent=").next().unwrap().parse().unwrap();
    let status = c.state.store.job_status(job).await.unwrap().unwrap();
    assert_eq!(status.recipients.len(), 1);
    // An empty reply sends nothing and says so.
    let empty = c
        .post(
            &format!("/inbox/{second}/reply"),
            Some(&s),
            &[("text", " "), ("key", "k2")],
            None,
        )
        .await;
    assert!(location(&empty).contains("failed="));
    // The export: UTF-8 with a BOM, the contact's name in it.
    let csv = c.get("/inbox.csv", Some(&s)).await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = body(csv).await;
    assert!(text.starts_with('\u{FEFF}'), "{text}");
    assert!(text.contains("张三"), "{text}");
    // A filter field that cannot be read is said next to it, not a failure.
    let bad = body(c.get("/inbox?since=yesterday", Some(&s)).await).await;
    assert!(bad.contains("id=\"since-error\""), "{bad}");
    c.stop().await;
}

#[tokio::test]
async fn a_contact_is_added_with_errors_next_to_the_field_edited_and_deleted() {
    let c = Console::start("pages-contacts").await;
    let s = login_as(&c, "staff", Role::Staff, None).await;
    let bad = c
        .post(
            "/contacts/new",
            Some(&s),
            &[
                ("name", "李四"),
                ("phone", "010-12345678"),
                ("groups", "销售"),
            ],
            None,
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body(bad).await;
    assert!(html.contains("id=\"phone-error\""), "{html}");
    assert!(html.contains("value=\"李四\""), "what was typed is kept");
    assert!(html.contains("value=\"销售\""));
    let ok = c
        .post(
            "/contacts/new",
            Some(&s),
            &[
                ("name", "李四"),
                ("phone", "+86 138 0013 8002"),
                ("groups", "销售，运维"),
            ],
            None,
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let html = body(c.get("/contacts?q=%E6%9D%8E", Some(&s)).await).await;
    assert!(
        html.contains("<td data-label=\"号码\" class=\"contact-phone\">13800138002</td>"),
        "{html}"
    );
    let id = c
        .state
        .store
        .contacts_page(Default::default(), None, 10)
        .await
        .unwrap()
        .items[0]
        .id;
    let edit = c
        .post(
            &format!("/contacts/{id}"),
            Some(&s),
            &[("name", "李四（新）"), ("groups", "运维")],
            None,
        )
        .await;
    assert_eq!(edit.status(), StatusCode::SEE_OTHER);
    let after = c.state.store.contact_get(id).await.unwrap().unwrap();
    assert_eq!(
        (after.name.as_str(), after.groups.clone()),
        ("李四（新）", vec!["运维".to_owned()])
    );
    let csv = body(c.get("/contacts.csv", Some(&s)).await).await;
    assert!(csv.starts_with("\u{FEFF}姓名,手机号,分组,标签\n"), "{csv}");
    let del = c
        .post(&format!("/contacts/{id}/delete"), Some(&s), &[], None)
        .await;
    assert_eq!(del.status(), StatusCode::SEE_OTHER);
    assert!(c.state.store.contact_get(id).await.unwrap().is_none());
    // An approver reads the book but may not change it (the table's access).
    let a = login_as(&c, "appr", Role::Approver, None).await;
    assert_eq!(c.get("/contacts", Some(&a)).await.status(), StatusCode::OK);
    assert_eq!(
        c.post("/contacts/new", Some(&a), &[("phone", "13800138003")], None)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    c.stop().await;
}

fn multipart(csrf: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "XhongyanX";
    let mut b = Vec::new();
    b.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"通讯录.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

#[tokio::test]
async fn a_gbk_file_is_previewed_row_by_row_and_imported_once() {
    let c = Console::start("pages-import").await;
    let s = login_as(&c, "staff", Role::Staff, None).await;
    contact(&c, "13800138009", "老王", &[]).await;
    let text = "姓名,手机号,分组\n张三,13800138001,销售\n坏号,12345,销售\n老王,138-0013-8009,新组\n张三,+8613800138001,运维\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let (ct, data) = multipart(&s.csrf, &gbk);
    let req = Request::post("/contacts/import")
        .header(header::COOKIE, &s.cookie)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(data))
        .unwrap();
    let res = c.send(req).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body(res).await;
    let bad = row_of(&html, "class=\"bad-row\" data-line=\"3\"");
    assert!(bad.contains("class=\"bad-reason\""), "{bad}");
    assert!(html.contains("GBK"), "{html}");
    assert!(
        html.contains("class=\"dup-row\" data-line=\"5\""),
        "the duplicate and its line"
    );
    let wang = row_of(&html, "class=\"good-row\" data-line=\"4\"");
    assert!(wang.contains("合并到已有联系人"), "{wang}");
    assert!(html.contains("id=\"import-new-groups\""));
    // Nothing is stored before the confirm.
    let before = c
        .state
        .store
        .contacts_page(Default::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(before.total, 1);
    let upload = super::tests::field_value(&html, "upload").unwrap();
    let done = c
        .post(
            "/contacts/import/confirm",
            Some(&s),
            &[("upload", &upload)],
            None,
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    let page = body(done).await;
    assert!(
        page.contains("data-created=\"1\" data-updated=\"1\""),
        "{page}"
    );
    let zhang = c
        .state
        .store
        .contacts_page(
            crate::store::ContactQuery {
                search: Some("张三".into()),
                group: None,
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(zhang.items[0].groups, ["销售", "运维"]);
    // The same confirm again imports nothing.
    let again = c
        .post(
            "/contacts/import/confirm",
            Some(&s),
            &[("upload", &upload)],
            None,
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(body(again).await.contains("id=\"import-gone\""));
    // A file without a phone column is refused next to the file field.
    let (ct, data) = multipart(&s.csrf, "name\nx\n".as_bytes());
    let req = Request::post("/contacts/import")
        .header(header::COOKIE, &s.cookie)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(data))
        .unwrap();
    let res = c.send(req).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(res).await.contains("id=\"file-error\""));
    c.stop().await;
}

#[tokio::test]
async fn groups_are_created_filled_and_emptied() {
    let c = Console::start("pages-groups").await;
    let s = login_as(&c, "staff", Role::Staff, None).await;
    let a = contact(&c, "13800138001", "张三", &[]).await;
    let res = c
        .post("/groups", Some(&s), &[("name", "销售部")], None)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let at = location(&res);
    let add = c
        .post(
            &format!("{at}/members"),
            Some(&s),
            &[("add", &a.to_string())],
            None,
        )
        .await;
    assert_eq!(add.status(), StatusCode::SEE_OTHER);
    let html = body(c.get(&at, Some(&s)).await).await;
    assert!(
        html.contains(&format!("class=\"member-row\" data-id=\"{a}\"")),
        "{html}"
    );
    let long = "组".repeat(100);
    let refused = c.post("/groups", Some(&s), &[("name", &long)], None).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(refused).await.contains("id=\"name-error\""));
    c.post(
        &format!("{at}/members"),
        Some(&s),
        &[("remove", &a.to_string())],
        None,
    )
    .await;
    let groups = c.state.store.groups_list().await.unwrap();
    assert_eq!(groups[0].members, 0);
    c.stop().await;
}

#[tokio::test]
async fn an_approval_is_built_from_contacts_decided_on_the_web_by_its_approver_only() {
    let c = Console::start("pages-approvals").await;
    let staff = login_as(&c, "staff", Role::Staff, Some("13800138000")).await;
    let boss = contact(&c, "13800138001", "王经理", &[]).await;
    let ceo = contact(&c, "13800138002", "赵总", &[]).await;
    let approver = login_as(&c, "wang", Role::Approver, Some("13800138001")).await;
    let other = login_as(&c, "zhao", Role::Approver, Some("13800138002")).await;
    // The form's buttons: add a stage, pick approvers, create.
    let base = |action: &str, stages: &str, s1: &str, s2: &str| {
        vec![
            ("title".to_owned(), "出差申请".to_owned()),
            ("details".to_owned(), "上海 3 天".to_owned()),
            ("applicant".to_owned(), "me".to_owned()),
            ("key".to_owned(), "form-1".to_owned()),
            ("stages".to_owned(), stages.to_owned()),
            ("stage_1".to_owned(), s1.to_owned()),
            ("stage_2".to_owned(), s2.to_owned()),
            ("find".to_owned(), "王".to_owned()),
            ("action".to_owned(), action.to_owned()),
        ]
    };
    let picked =
        body(post_form(&c, &staff, base(&format!("add:1:{boss}"), "2", "", "")).await).await;
    assert!(
        picked.contains(&format!("class=\"stage-approver\" data-contact=\"{boss}\"")),
        "{picked}"
    );
    assert!(
        picked.contains("class=\"pick-row\""),
        "the search found 王经理"
    );
    // A stage without an approver is refused next to it, nothing created.
    let refused = post_form(&c, &staff, base("create", "2", &boss.to_string(), "")).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(refused).await.contains("id=\"stage_2-error\""));
    let created = post_form(
        &c,
        &staff,
        base("create", "2", &boss.to_string(), &ceo.to_string()),
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let at = location(&created);
    let again = post_form(
        &c,
        &staff,
        base("create", "2", &boss.to_string(), &ceo.to_string()),
    )
    .await;
    assert_eq!(location(&again), at, "a double submit creates once");
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    // 王经理 sees it waiting; 赵总's stage has not opened.
    let list = body(c.get("/approvals", Some(&approver)).await).await;
    assert!(list.contains("id=\"waiting-for-me\""), "{list}");
    let list = body(c.get("/approvals", Some(&other)).await).await;
    assert!(list.contains("id=\"waiting-empty\""), "{list}");
    // Only the step's own approver may decide it.
    let view = c.state.workflow.approval(id).await.unwrap().unwrap();
    let (first, second) = (view.steps[0].id, view.steps[1].id);
    let stranger = c
        .post(
            &format!("/approvals/{id}/decide"),
            Some(&other),
            &[("step", &first.to_string()), ("decision", "approve")],
            None,
        )
        .await;
    assert_eq!(stranger.status(), StatusCode::FORBIDDEN);
    let page = body(c.get(&at, Some(&approver)).await).await;
    assert!(page.contains("id=\"decide-approve\""), "{page}");
    let decided = c
        .post(
            &format!("/approvals/{id}/decide"),
            Some(&approver),
            &[
                ("step", &first.to_string()),
                ("decision", "approve"),
                ("comment", "同意"),
            ],
            None,
        )
        .await;
    assert_eq!(location(&decided), format!("/approvals/{id}?done=decided"));
    let view = c.state.workflow.approval(id).await.unwrap().unwrap();
    assert_eq!(view.steps[0].decided_via.as_deref(), Some("web"));
    assert_eq!(view.stage, 1, "the second stage opened");
    // The timeline says who decided how; the creator sees it, a stranger does not.
    let page = body(c.get(&at, Some(&staff)).await).await;
    assert!(page.contains("data-kind=\"decided\""), "{page}");
    assert!(page.contains("id=\"resend\""));
    let nobody = login_as(&c, "nobody", Role::Staff, None).await;
    assert_eq!(
        c.get(&at, Some(&nobody)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.post(&format!("/approvals/{id}/resend"), Some(&nobody), &[], None)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let resent = c
        .post(&format!("/approvals/{id}/resend"), Some(&staff), &[], None)
        .await;
    assert_eq!(location(&resent), format!("/approvals/{id}?done=resent"));
    let _ = second;
    c.stop().await;
}

#[tokio::test]
async fn the_dashboard_shows_every_link_the_queue_and_the_chart() {
    let c = Console::start("pages-dashboard").await;
    let s = login_as(&c, "staff", Role::Staff, None).await;
    let res = c.get("/", Some(&s)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body(res).await;
    for link in &c.state.config.links {
        assert!(
            html.contains(&format!("data-link=\"{}\"", link.name)),
            "{html}"
        );
    }
    assert!(html.contains("id=\"queued\""));
    assert!(html.contains("<svg class=\"chart\""), "{html}");
    assert!(!html.contains("style="), "nothing inline the CSP refuses");
    let en = Request::get("/")
        .header(header::COOKIE, format!("{}; lang=en", s.cookie))
        .body(Body::empty())
        .unwrap();
    let html = body(c.send(en).await).await;
    assert!(html.contains("Sent today"), "{html}");
    c.stop().await;
}
