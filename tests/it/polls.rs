//! Replies to bulk sends end to end: the real daemon on its embedded demo (CMPP 3.0,
//! SMGP and SGIP simulators on 127.0.0.1:0) behind its HTTP API; a poll sent to two
//! contact groups through all three carriers, read back off the simulators (each from
//! its link's service code + the poll's extension), and answered by the simulated phones
//! as MO messages — in every spelling, twice, by strangers, and after the poll closed.
//! Every wait is on the store, bounded by `LIMIT`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use hongyan::api::ApiServer;
use hongyan::api::client::{ApiClient, ClientError};
use hongyan::config::LinkProtocol;
use hongyan::daemon::DaemonHandle;
use hongyan::sim::MoSpec;
use hongyan::store::{NewContact, PollReplyRow, now_millis};
use serde_json::{Value, json};

use crate::support::{
    ApiCalls, LIMIT, TOKEN, TempDir, demo_config, start_recording, wait_until, within,
};

/// The daemon in this process, its simulators recording every submit, behind its API.
struct Rig {
    daemon: DaemonHandle,
    server: ApiServer,
    client: ApiClient,
    base: String,
    _dir: TempDir,
}

impl ApiCalls for Rig {
    fn api_client(&self) -> &ApiClient {
        &self.client
    }

    fn base_url(&self) -> &str {
        &self.base
    }
}

impl Rig {
    async fn start(name: &str) -> Self {
        let dir = TempDir::new(name);
        let daemon = start_recording(demo_config(&dir)).await;
        let server = hongyan::api::start(&daemon, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let base = format!("http://{}", server.local_addr());
        Self {
            client: ApiClient::new(&base, Some(TOKEN.into())),
            base,
            daemon,
            server,
            _dir: dir,
        }
    }

    async fn stop(self) {
        self.server.shutdown().await;
        self.daemon.shutdown(Duration::from_secs(5)).await;
    }

    /// The link that carries (and hears from) `number`: 138… mobile (CMPP), 133…
    /// telecom (SMGP), 130… unicom (SGIP).
    fn link_of(&self, number: &str) -> &hongyan::config::Link {
        let name = match &number[..3] {
            "138" | "137" => "mobile-demo",
            "133" | "153" => "telecom-demo",
            _ => "unicom-demo",
        };
        self.daemon
            .config()
            .links
            .iter()
            .find(|l| l.name == name)
            .unwrap()
    }

    /// `number`'s phone sends `text` to the number its link's recipients reply to.
    async fn reply(&self, reply_to: &Value, number: &str, text: &str) {
        let link = self.link_of(number);
        let to = reply_to[&link.name].as_str().unwrap().to_string();
        let from = if link.protocol == LinkProtocol::Sgip {
            format!("86{number}")
        } else {
            number.to_string()
        };
        let sim = self.daemon.simulator(&link.name).unwrap();
        within(
            "an MO delivered",
            LIMIT,
            sim.deliver_mo(MoSpec::new(from, to, text)),
        )
        .await
        .unwrap();
    }

    /// Waits until the poll has `replies` attributed and `unmatched` not.
    async fn wait_for(&self, poll_id: i64, replies: usize, unmatched: usize) -> Vec<PollReplyRow> {
        let store = self.daemon.store();
        wait_until(
            &format!("{replies} replies attributed and {unmatched} unmatched"),
            LIMIT,
            async || {
                let r = store.poll_replies(poll_id).await.unwrap();
                let u = store.poll_unmatched(poll_id).await.unwrap();
                (r.len() == replies && u.len() == unmatched).then_some(r)
            },
        )
        .await
    }
}

/// Recipient `i` of 300: the carriers in turn, so each group spans all three.
fn recipient(i: usize) -> String {
    let prefix = ["138", "133", "130"][i % 3];
    format!("{prefix}{:08}", 10_000 + i)
}

/// Each spelling a phone may send, with the option it names (1 满意, 2 一般, 3 不满意).
const SPELLINGS: &[(&str, &str)] = &[
    ("1", "1"),
    ("１", "1"),
    (" 1 ", "1"),
    ("1.", "1"),
    ("1、", "1"),
    ("选1", "1"),
    ("（1）", "1"),
    ("(1)", "1"),
    ("①", "1"),
    ("满意", "1"),
    ("满 意", "1"),
    ("1 满意", "1"),
    ("1.满意", "1"),
    ("2", "2"),
    ("２", "2"),
    ("选２", "2"),
    ("2。", "2"),
    ("一般", "2"),
    ("【2】", "2"),
    ("3", "3"),
    ("3、", "3"),
    ("不满意", "3"),
    ("（３）", "3"),
    ("3 不满意", "3"),
    ("选项3", "3"),
];

const ANSWERING: usize = 200;
const TWICE: usize = 10;
const COMMENTING: std::ops::Range<usize> = 200..205;
const LATE: std::ops::Range<usize> = 250..255;
const STRANGERS: [&str; 5] = [
    "13799990001",
    "13399990002",
    "13099990003",
    "13799990004",
    "15399990005",
];

/// The option recipient `i`'s first answer names, and its second (for the first
/// `TWICE`): always another one.
fn first_answer(i: usize) -> (&'static str, &'static str) {
    SPELLINGS[i % SPELLINGS.len()]
}

fn second_answer(i: usize) -> (String, String) {
    let first: u8 = first_answer(i).1.parse().unwrap();
    let other = first % 3 + 1;
    (format!("选{other}"), other.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_to_two_groups_on_three_carriers_is_attributed_exactly() {
    let rig = Rig::start("it-polls").await;
    let contacts: Vec<NewContact> = (0..300)
        .map(|i| NewContact {
            phone: recipient(i),
            name: format!("员工{i}"),
            groups: vec![if i < 150 { "一组" } else { "二组" }.into()],
            tags: Vec::new(),
        })
        .collect();
    rig.daemon
        .store()
        .contacts_import(contacts, now_millis())
        .await
        .unwrap();

    // A spec that cannot work is refused before anything is sent, naming the field.
    for (replies, field) in [
        (json!({"mode": "poll"}), "replies.options"),
        (
            json!({"mode": "poll", "options": {"1": "满意", "１": "还行"}}),
            "replies.options",
        ),
        (
            json!({"mode": "poll", "options": {"1": "满意"}, "closes_at": "2020-01-01T00:00:00+08:00"}),
            "replies.closes_at",
        ),
    ] {
        let (status, _, body) = rig
            .fail(
                "POST",
                "/v1/groups/send",
                Some(json!({"groups": ["一组"], "text": "满意度调查", "replies": replies})),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["details"]["field"], field, "{body}");
    }

    for accept in ["first", "last"] {
        poll_round(&rig, accept).await;
    }
    rig.stop().await;
}

/// One poll to both groups with `accept`, answered in every way, checked exactly.
async fn poll_round(rig: &Rig, accept: &str) {
    let sent = rig
        .post_json(
            "/v1/groups/send",
            json!({
                "groups": ["一组", "二组"],
                "text": "本季度服务满意度调查：满意回1，一般回2，不满意回3",
                "replies": {
                    "mode": "poll",
                    "options": {"1": "满意", "2": "一般", "3": "不满意"},
                    "accept": accept,
                },
            }),
        )
        .await;
    assert_eq!(sent["accepted"], 300, "{sent}");
    let job = sent["job_id"].as_i64().unwrap();
    rig.daemon.wait_until_settled(job, LIMIT).await.unwrap();

    let status = rig.get_json(&format!("/v1/messages/{job}?limit=1")).await;
    let reply_to = status["reply_to"].clone();
    assert_eq!(status["replies"]["mode"], "poll", "{status}");
    assert_eq!(status["replies"]["accept"], accept, "{status}");
    assert_eq!(status["replies"]["groups"], json!(["一组", "二组"]));
    assert_eq!(
        status["replies"]["options"],
        json!([{"key": "1", "text": "满意"}, {"key": "2", "text": "一般"}, {"key": "3", "text": "不满意"}])
    );
    let poll_id = status["replies"]["poll_id"].as_i64().unwrap();
    // Each carrier's messages went out from its link's service code + the poll's
    // extension, and every recipient got one.
    for link in &rig.daemon.config().links {
        let from = reply_to[&link.name].as_str().unwrap_or_else(|| {
            panic!("reply_to names {}: {status}", link.name);
        });
        let ext_len = usize::from(link.extension_length);
        assert_eq!(from.len(), link.service_code.len() + ext_len, "{from}");
        assert!(from.starts_with(&link.service_code), "{from}");
        let sim = rig.daemon.simulator(&link.name).unwrap();
        let ours: Vec<_> = sim
            .submits()
            .into_iter()
            .filter(|s| s.src == from)
            .collect();
        assert_eq!(ours.len(), 100, "{}: submits from {from}", link.name);
    }
    let exts: Vec<&str> = reply_to
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(exts.len(), 3, "{reply_to}");

    // 200 answer in every spelling, 5 comment, 5 strangers answer.
    for i in 0..ANSWERING {
        rig.reply(&reply_to, &recipient(i), first_answer(i).0).await;
    }
    for i in COMMENTING {
        rig.reply(&reply_to, &recipient(i), "收到，下周再说").await;
    }
    for n in STRANGERS {
        rig.reply(&reply_to, n, "1").await;
    }
    rig.wait_for(poll_id, ANSWERING + COMMENTING.len(), STRANGERS.len())
        .await;
    // 10 answer again, with another option.
    for i in 0..TWICE {
        rig.reply(&reply_to, &recipient(i), &second_answer(i).0)
            .await;
    }
    rig.wait_for(
        poll_id,
        ANSWERING + COMMENTING.len() + TWICE,
        STRANGERS.len(),
    )
    .await;
    // Closed by hand; 5 answer after.
    let closed = rig
        .post_json(&format!("/v1/messages/{job}/close-poll"), json!({}))
        .await;
    assert!(closed["replies"]["closed_at"].is_string(), "{closed}");
    for i in LATE {
        rig.reply(&reply_to, &recipient(i), "1").await;
    }
    let rows = rig
        .wait_for(
            poll_id,
            ANSWERING + COMMENTING.len() + TWICE,
            STRANGERS.len() + LATE.len(),
        )
        .await;

    // Attribution, exact: who, which option, which counts.
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for i in 0..ANSWERING {
        let first = first_answer(i).1.to_string();
        let counted = if i < TWICE && accept == "last" {
            second_answer(i).1
        } else {
            first
        };
        expected.insert(recipient(i), counted);
    }
    let counted: BTreeMap<String, String> = rows
        .iter()
        .filter(|r| !r.superseded)
        .filter_map(|r| Some((r.number.clone(), r.option_key.clone()?)))
        .collect();
    assert_eq!(counted, expected, "accept = {accept}");
    let counting_rows = rows
        .iter()
        .filter(|r| !r.superseded && r.option_key.is_some())
        .count();
    assert_eq!(counting_rows, ANSWERING, "one counted answer per number");
    let superseded: Vec<&PollReplyRow> = rows.iter().filter(|r| r.superseded).collect();
    assert_eq!(superseded.len(), TWICE);
    let mut per_option = BTreeMap::new();
    for option in expected.values() {
        *per_option.entry(option.as_str()).or_insert(0) += 1;
    }
    let mut from_rows = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.superseded) {
        if let Some(o) = &r.option_key {
            *from_rows.entry(o.as_str()).or_insert(0) += 1;
        }
    }
    assert_eq!(from_rows, per_option);
    let comments: Vec<&PollReplyRow> = rows.iter().filter(|r| r.comment).collect();
    assert_eq!(comments.len(), COMMENTING.len());
    for c in &comments {
        assert_eq!(c.option_key, None);
        assert_eq!(c.text, "收到，下周再说");
    }
    // Every attributed reply carries its contact's name and the text as sent.
    for r in &rows {
        let i = (0..300).find(|i| recipient(*i) == r.number).unwrap();
        assert_eq!(r.contact_name.as_deref(), Some(format!("员工{i}").as_str()));
    }
    assert!(
        rows.iter().any(|r| r.text == "（３）"),
        "texts kept as sent"
    );

    // Unmatched, with their reasons.
    let unmatched = rig.daemon.store().poll_unmatched(poll_id).await.unwrap();
    let mut reasons: Vec<(String, String)> = unmatched
        .into_iter()
        .map(|(_, number, reason)| (number, reason))
        .collect();
    reasons.sort();
    let mut want: Vec<(String, String)> = STRANGERS
        .iter()
        .map(|n| ((*n).to_string(), "not_a_recipient".to_string()))
        .chain(LATE.map(|i| (recipient(i), "poll_closed".to_string())))
        .collect();
    want.sort();
    assert_eq!(reasons, want);

    // The inbox's job filter lists every reply to the poll, attributed or not.
    let inbox = rig
        .get_json(&format!("/v1/inbox?job={job}&limit=1000"))
        .await;
    let listed = inbox["messages"].as_array().unwrap();
    assert_eq!(
        listed.len(),
        ANSWERING + COMMENTING.len() + TWICE + STRANGERS.len() + LATE.len(),
        "{inbox}"
    );
    let routes: BTreeMap<String, usize> = listed.iter().fold(BTreeMap::new(), |mut acc, m| {
        *acc.entry(m["route"].as_str().unwrap_or("").to_string())
            .or_insert(0) += 1;
        acc
    });
    assert_eq!(
        routes,
        BTreeMap::from([
            ("poll".to_string(), ANSWERING + COMMENTING.len() + TWICE),
            ("unmatched:not_a_recipient".to_string(), STRANGERS.len()),
            ("unmatched:poll_closed".to_string(), LATE.len()),
        ])
    );

    // Closing again is harmless; a job without replies has no poll to close.
    let again = rig
        .post_json(&format!("/v1/messages/{job}/close-poll"), json!({}))
        .await;
    assert_eq!(
        again["replies"]["closed_at"],
        closed["replies"]["closed_at"]
    );
    let plain = rig
        .post_json(
            "/v1/messages",
            json!({"recipients": [recipient(0)], "text": "无需回复"}),
        )
        .await;
    let plain_job = plain["job_id"].as_i64().unwrap();
    match rig
        .api_client()
        .call(
            "POST",
            &format!("/v1/messages/{plain_job}/close-poll"),
            None,
        )
        .await
    {
        Err(ClientError::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (409, "no_replies"));
        }
        other => panic!("expected 409 no_replies, got {other:?}"),
    }
    let plain_status = rig.get_json(&format!("/v1/messages/{plain_job}")).await;
    assert!(plain_status.get("reply_to").is_none(), "{plain_status}");
}

/// The CLI as a script uses it against `hongyan run` (a child process): a poll sent with
/// `--poll … --accept last`, answered with `hongyan reply` at the number `status` shows,
/// closed with `close-poll`; a group send with `--collect`; flags that cannot work are
/// refused naming the flag.
#[test]
fn the_cli_sends_a_poll_answers_it_and_closes_it() {
    use crate::support::{Daemon, wait_until_blocking};

    let dir = TempDir::new("it-polls-cli");
    let d = Daemon::start(&dir);
    let sent = d.cli_ok(&[
        "send",
        "--to",
        "13800138000",
        "--to",
        "13300133000",
        "--poll",
        "1=满意,2=一般",
        "--accept",
        "last",
        "您对本次服务满意吗？满意回1，一般回2",
    ]);
    assert_eq!(sent["accepted"], 2, "{sent}");
    let job = sent["job_id"].to_string();
    let st = d.cli_ok(&["status", &job]);
    assert_eq!(st["replies"]["accept"], "last", "{st}");
    let mobile = st["reply_to"]["mobile-demo"].as_str().unwrap().to_string();
    let telecom = st["reply_to"]["telecom-demo"].as_str().unwrap().to_string();

    d.cli_ok(&["reply", "--from", "13800138000", "--to", &mobile, "１"]);
    d.cli_ok(&["reply", "--from", "13300133000", "--to", &telecom, "一般"]);
    d.cli_ok(&["reply", "--from", "13800138000", "--to", &mobile, "选2"]);
    d.cli_ok(&["reply", "--from", "13900139000", "--to", &mobile, "1"]);
    let routes = |want: usize| {
        wait_until_blocking(&format!("{want} replies routed"), LIMIT, || {
            let inbox = d.cli_ok(&["inbox", "--limit", "50"]);
            let routed: Vec<String> = inbox["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|m| m["route"].as_str().map(str::to_owned))
                .collect();
            (routed.len() == want).then_some(routed)
        })
    };
    let mut got = routes(4);
    got.sort();
    assert_eq!(
        got,
        ["poll", "poll", "poll", "unmatched:not_a_recipient"],
        "the stranger is unmatched"
    );

    let closed = d.cli_ok(&["close-poll", &job]);
    assert!(closed["replies"]["closed_at"].is_string(), "{closed}");
    d.cli_ok(&["reply", "--from", "13300133000", "--to", &telecom, "1"]);
    let got = routes(5);
    assert_eq!(got[0], "unmatched:poll_closed", "newest first: {got:?}");

    // A group send that collects every reply.
    let csv = dir.write("contacts.csv", "姓名,手机号,分组\n张三,13800138000,销售\n");
    d.cli_ok(&["contacts", "import", csv.to_str().unwrap()]);
    let group = d.cli_ok(&[
        "group",
        "send",
        "--group",
        "销售",
        "--collect",
        "--no-wait",
        "周五聚餐能来请回复",
    ]);
    let gst = d.cli_ok(&["status", &group["job_id"].to_string()]);
    assert_eq!(gst["replies"]["mode"], "collect", "{gst}");
    assert_eq!(gst["replies"]["groups"], serde_json::json!(["销售"]));

    // Flags that cannot work, refused before anything is sent, naming the flag.
    for (args, says) in [
        (
            vec!["send", "--to", "13800138000", "--poll", "1=满意,2", "好吗"],
            "--poll",
        ),
        (
            vec![
                "send",
                "--to",
                "13800138000",
                "--closes-at",
                "2099-01-01T00:00:00+08:00",
                "好吗",
            ],
            "--closes-at",
        ),
    ] {
        let out = d.cli_human(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let (ok, refused) = d.cli(&[
        "send",
        "--to",
        "13800138000",
        "--poll",
        "1=满意",
        "--closes-at",
        "2020-01-01T00:00:00+08:00",
        "好吗",
    ]);
    assert!(!ok);
    assert_eq!(
        refused["error"]["details"]["field"], "replies.closes_at",
        "{refused}"
    );
}
