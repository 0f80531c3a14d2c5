//! The messaging policy on the send side, end to end against the simulated carriers on
//! 127.0.0.1: a number that replied `TD` is skipped by the next marketing send (status,
//! metrics, webhook) while a notice still reaches it; a marketing job running into quiet
//! hours stops at 21:00 and resumes at 08:00 China time (a night in paused time); a
//! banned word refuses a text, or holds it for an admin who releases one job and rejects
//! another. Every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use hongyan::clock::Clock;
use hongyan::config::{Config, Secret, Webhook};
use hongyan::daemon::{Daemon, record_submits};
use hongyan::dispatch::SendRequest;
use hongyan::policy::{Category, SensitiveMode};
use hongyan::store::WebhookEvent;
use serde_json::{Value, json};

use crate::support::{
    Api, ApiCalls, LIMIT, READER, TOKEN, TempDir, WebhookReceiver, demo_config, run, stdout_of,
    texts_to, wait_until, wait_until_every,
};

/// China Mobile numbers of the demo's mobile link.
const VIPS: [&str; 3] = ["13800138001", "13800138002", "13800138003"];

/// Waits until every recipient of job `id` is delivered; its status.
async fn delivered(api: &Api, id: i64) -> Value {
    wait_until(&format!("job {id} delivered"), LIMIT, async || {
        let st = api.get_json(&format!("/v1/messages/{id}")).await;
        (st["state"] == "delivered").then_some(st)
    })
    .await
}

fn job_id(v: &Value) -> i64 {
    v["job_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no job: {v}"))
}

fn no_quiet_hours(c: &mut Config) {
    c.policy.quiet_hours = String::new();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_that_replied_td_is_skipped_by_the_next_marketing_send_and_still_gets_notices() {
    let mut hook = WebhookReceiver::start(0).await;
    let url = hook.url.clone();
    let api = Api::start("policy-opt-out", move |c| {
        no_quiet_hours(c);
        c.webhooks.push(Webhook {
            name: "crm".into(),
            url,
            secret: Some(Secret("s3cret-for-the-crm".into())),
            secret_env: None,
            events: vec![WebhookEvent::Skipped],
            timeout: Duration::from_secs(5),
            max_backoff: Duration::from_secs(1),
        });
    })
    .await;
    for n in VIPS {
        api.post_json("/v1/contacts", json!({ "phone": n, "groups": ["vip"] }))
            .await;
    }
    let first = api
        .post_json(
            "/v1/groups/send",
            json!({ "groups": ["vip"], "text": "双十二会员日全场五折", "category": "marketing" }),
        )
        .await;
    assert_eq!(first["accepted"], 3, "{first}");
    let st = delivered(&api, job_id(&first)).await;
    assert_eq!(st["category"], "marketing");
    let sent = st["sent_text"].as_str().unwrap();
    assert!(
        sent.ends_with("双十二会员日全场五折回T退订"),
        "the opt-out suffix once, at the end: {sent}"
    );

    // The first VIP answers TD to the service code: onto the opt-out list.
    api.post_json(
        "/v1/simulate/reply",
        json!({ "from": VIPS[0], "to": "10690123", "text": "TD" }),
    )
    .await;
    let store = api.daemon().store();
    wait_until(
        "the TD reply lands on the opt-out list",
        LIMIT,
        async || {
            store
                .opted_out_among(vec![VIPS[0].into()])
                .await
                .unwrap()
                .contains(VIPS[0])
        },
    )
    .await;

    let promo = json!({
        "groups": ["vip"], "text": "新品预售今晚开抢", "category": "marketing",
        "idempotency_key": "promo-2",
    });
    let second = api.post_json("/v1/groups/send", promo.clone()).await;
    assert_eq!(second["accepted"], 2, "{second}");
    // A retry is the same job, its skips the same: not a conflict because the first
    // send's own counts would now cap every number.
    let again = api.post_json("/v1/groups/send", promo).await;
    assert_eq!(
        (again["job_id"].clone(), again["created"].clone()),
        (second["job_id"].clone(), json!(false)),
        "{again}"
    );
    assert_eq!(again["outcomes"], second["outcomes"]);
    let outcomes: BTreeMap<String, Value> = second["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["input"].as_str().unwrap().to_owned(), o.clone()))
        .collect();
    assert_eq!(outcomes[VIPS[0]]["outcome"], "skipped");
    assert_eq!(outcomes[VIPS[0]]["reason"], "opted_out");
    assert_eq!(outcomes[VIPS[1]]["outcome"], "accepted");
    let job2 = job_id(&second);
    let st = delivered(&api, job2).await;
    assert_eq!(st["counts"]["skipped"], 1, "{st}");
    let skipped: Vec<&Value> = st["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["state"] == "skipped")
        .collect();
    assert_eq!(skipped.len(), 1, "{st}");
    assert_eq!(skipped[0]["number"], VIPS[0]);
    assert_eq!(skipped[0]["reason"], "opted_out");

    let metrics = api.get_raw("/metrics").await;
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(
        text.contains("hongyan_policy_skipped_total{reason=\"opted_out\"} 1"),
        "{text}"
    );
    let (_, got) = hook.next().await;
    let body = got.json();
    assert_eq!(body["event"], "skipped");
    assert_eq!(body["data"]["job_id"], job2);
    assert_eq!(
        body["data"]["skipped"],
        json!([{ "number": VIPS[0], "reason": "opted_out" }])
    );

    // A notice is not marketing: it reaches the opted-out number.
    let notice = api
        .post_json(
            "/v1/messages",
            json!({ "recipients": [VIPS[0]], "text": "您的订单已发货" }),
        )
        .await;
    assert_eq!(notice["accepted"], 1, "{notice}");
    let st = delivered(&api, job_id(&notice)).await;
    assert_eq!(st["category"], "notice");
    assert!(
        !st["sent_text"].as_str().unwrap().contains("回T退订"),
        "{st}"
    );
    api.stop().await;
}

/// 20:59:50 China time on the first day after the present one (unix ms): a moment
/// always ahead of the system clock, so expiries computed from it are in the future.
fn next_evening() -> i64 {
    const DAY: i64 = 86_400_000;
    const CST: i64 = 8 * 3_600_000;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let china_midnight = (now + CST).div_euclid(DAY) * DAY - CST;
    china_midnight + DAY + (20 * 3600 + 59 * 60 + 50) * 1000
}

/// A night in paused time. The daemon starts at 20:58:00 China time (by a clock that
/// follows tokio's), its links log in, and at 20:59:50 a marketing job of 20 messages
/// is queued through a link sending one a second. The links stop claiming marketing
/// just before 21:00 — early enough that what they claimed ahead goes out at their rate
/// before the boundary — and the scheduler parks the rest until 08:00.
///
/// What the policy decides is the claim, and that is what is asserted to the
/// millisecond: no message is claimed between 21:00 and 08:00. At the gateway, what was
/// claimed before 21:00 is what arrived before 08:00, and everything else arrived at or
/// after 08:00, each once. (Paused time runs ahead whenever every task waits — for the
/// store's thread or a socket — so the moment a claimed message is written is not a
/// real-time figure here; the claim's is.)
#[tokio::test(start_paused = true)]
async fn a_marketing_job_queued_at_20_59_50_stops_at_21_00_and_resumes_at_08_00() {
    let dir = TempDir::new("policy-quiet");
    let mut config = demo_config(&dir);
    // One message a second through one connection: the job spans the boundary.
    for link in &mut config.links {
        link.rate = 1;
        link.window = 1;
        link.connections = 1;
    }
    let queued_at = next_evening();
    let nine_pm = queued_at + 10_000;
    let eight_am = nine_pm + 11 * 3_600_000;
    let clock = Clock::Tokio {
        base_ms: queued_at - 110_000,
        base: tokio::time::Instant::now(),
    };
    let d = Daemon::start_at(config, Some(record_submits()), clock)
        .await
        .expect("the daemon starts");
    let fine = Duration::from_millis(100);
    let night = Duration::from_secs(12 * 3600);
    wait_until_every(
        "20:59:50 with the mobile link up",
        night,
        fine,
        async || {
            clock.now_millis() >= queued_at
                && d.links()
                    .iter()
                    .any(|l| l.name == "mobile-demo" && l.connections_up > 0)
        },
    )
    .await;
    assert!(
        clock.now_millis() < nine_pm - 5_000,
        "the link came up in time"
    );
    let numbers: Vec<String> = (0..20).map(|i| format!("139{i:08}")).collect();
    let mut req = SendRequest::new(numbers.clone(), "冬季新品上市，会员八折");
    req.category = Category::Marketing;
    let out = d.submitter().send(req).await.unwrap();
    assert_eq!(out.accepted(), 20);
    let job = out.job.unwrap().job_id;
    let sim = d.simulator("mobile-demo").unwrap();

    // When (China time, by this clock) each number's message was first seen at the
    // gateway: looked at every 100 ms, so paused time never runs further ahead than that
    // between looks; every 10 s through the night.
    let mut seen: BTreeMap<String, i64> = BTreeMap::new();
    let look = |seen: &mut BTreeMap<String, i64>| {
        let now = clock.now_millis();
        for n in &numbers {
            if !seen.contains_key(n) && !texts_to(&sim, n).is_empty() {
                seen.insert(n.clone(), now);
            }
        }
        now
    };
    // Parked by the scheduler's tick; waited for, not timed: paused time runs on while
    // the store's thread works, so on a busy machine the tick's write lands later.
    let store = d.store();
    wait_until_every("past 21:00 and the rest parked", night, fine, async || {
        let now = look(&mut seen);
        let st = store.job_policy(job).await.unwrap().unwrap();
        now >= nine_pm && st.wait_reason.as_deref() == Some("quiet_hours")
    })
    .await;
    wait_until_every("07:59:00", night, Duration::from_secs(10), async || {
        look(&mut seen) >= eight_am - 60_000
    })
    .await;
    let before_eight: Vec<String> = seen.keys().cloned().collect();
    wait_until_every("every number reached", night, fine, async || {
        look(&mut seen);
        seen.len() == numbers.len()
    })
    .await;

    let status = d.store().job_status(job).await.unwrap().unwrap();
    let claimed: BTreeMap<String, i64> = status
        .recipients
        .iter()
        .map(|r| (r.number.clone(), r.segments[0].claimed_at.unwrap()))
        .collect();
    let early: Vec<String> = numbers
        .iter()
        .filter(|n| claimed[*n] < nine_pm)
        .cloned()
        .collect();
    for (n, at) in &claimed {
        assert!(
            *at < nine_pm || *at >= eight_am,
            "{n} claimed {} ms after 21:00, inside quiet hours",
            at - nine_pm
        );
    }
    assert!(!early.is_empty(), "some went before 21:00");
    assert!(early.len() < numbers.len(), "the job spans the boundary");
    assert_eq!(
        early,
        numbers[..early.len()],
        "the first recipients went first"
    );
    assert_eq!(
        before_eight, early,
        "what was claimed before 21:00 is all that reached the gateway before 08:00"
    );
    for n in &numbers[early.len()..] {
        assert!(seen[n] >= eight_am, "{n} arrived before 08:00");
    }
    for n in &numbers {
        assert_eq!(texts_to(&sim, n).len(), 1, "{n} got it once");
    }
    d.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_banned_word_is_refused_or_held_and_an_admin_releases_one_and_rejects_another() {
    let dir = TempDir::new("policy-words-file");
    let words = dir.join("words.txt");
    std::fs::write(&words, "# banned\n赌博\tgambling\n").unwrap();
    let api = Api::start("policy-words", move |c| {
        no_quiet_hours(c);
        c.policy.sensitive_words = Some(words);
        c.policy.sensitive = SensitiveMode::Review;
        // China Mobile is stricter: its link refuses what the others hold.
        let mobile = c
            .links
            .iter_mut()
            .find(|l| l.name == "mobile-demo")
            .unwrap();
        mobile.sensitive = Some(SensitiveMode::Refuse);
    })
    .await;

    let (status, code, body) = api
        .fail(
            "POST",
            "/v1/messages",
            Some(json!({ "recipients": ["13800138000"], "text": "周末来赌 博吧" })),
        )
        .await;
    assert_eq!((status, code.as_str()), (422, "sensitive_word"), "{body}");
    let details = &body["error"]["details"];
    assert_eq!(details["word"], "赌博", "{body}");
    assert_eq!(
        (details["start"].clone(), details["end"].clone()),
        (json!(3), json!(6))
    );
    assert_eq!(details["link"], "mobile-demo");

    let (status, code, body) = api
        .fail(
            "POST",
            "/v1/messages",
            Some(json!({ "recipients": ["13300133000"], "text": "您好", "signature": "鸿雁物流" })),
        )
        .await;
    assert_eq!(
        (status, code.as_str()),
        (422, "signature_not_bracketed"),
        "{body}"
    );

    // Through the telecom link the same text is held for review.
    let send = |to: &'static str| {
        let api = &api;
        async move {
            api.post_json(
                "/v1/messages",
                json!({ "recipients": [to], "text": "周末来赌博吧" }),
            )
            .await
        }
    };
    let kept = job_id(&send("13300133000").await);
    let dropped = job_id(&send("13300133001").await);
    for id in [kept, dropped] {
        let st = api.get_json(&format!("/v1/messages/{id}")).await;
        assert_eq!(
            (st["state"].clone(), st["hold"].clone()),
            (json!("scheduled"), json!("held")),
            "{st}"
        );
        assert!(st["hold_reason"].as_str().unwrap().contains("赌博"), "{st}");
    }
    let held = api.get_json("/v1/held").await;
    let ids: Vec<i64> = held["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["job_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [kept, dropped]);
    let reader = api.as_client(Some(READER));
    let refused = reader
        .call("POST", &format!("/v1/messages/{kept}/release"), None)
        .await;
    assert!(refused.is_err(), "a read token cannot release");

    let out = api
        .post_json(&format!("/v1/messages/{kept}/release"), json!({}))
        .await;
    assert_eq!(out["result"]["outcome"], "released", "{out}");
    // The other through the CLI: `hongyan held list`, then `hongyan held reject`.
    let base = api.api_url().to_owned();
    let cli = move |args: Vec<String>| {
        let base = base.clone();
        tokio::task::spawn_blocking(move || {
            let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
            all.extend(["--api", &base, "--token", TOKEN]);
            stdout_of(&run(&all, None))
        })
    };
    let listed = cli(vec!["held".into(), "list".into()]).await.unwrap();
    assert!(
        listed.contains(&format!("job {dropped:>7}")) && listed.contains("赌博"),
        "{listed}"
    );
    assert!(
        !listed.contains(&format!("job {kept:>7}")),
        "released: {listed}"
    );
    let rejected = cli(vec!["held".into(), "reject".into(), dropped.to_string()])
        .await
        .unwrap();
    assert!(
        rejected.contains(&format!("job {dropped} rejected")),
        "{rejected}"
    );
    let (status, code, _) = api
        .fail(
            "POST",
            &format!("/v1/messages/{dropped}/release"),
            Some(json!({})),
        )
        .await;
    assert_eq!((status, code.as_str()), (409, "not_held"));

    let st = delivered(&api, kept).await;
    assert_eq!(st["hold"], "released");
    let st = api.get_json(&format!("/v1/messages/{dropped}")).await;
    assert_eq!(
        (st["state"].clone(), st["hold"].clone()),
        (json!("cancelled"), json!("rejected")),
        "{st}"
    );
    for r in st["recipients"].as_array().unwrap() {
        for s in r["segments"].as_array().unwrap() {
            assert_eq!(s["state"], "cancelled", "never sent: {s}");
            assert!(s["msg_id"].is_null(), "never sent: {s}");
        }
    }
    assert!(
        api.get_json("/v1/held").await["held"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let metrics = api.get_raw("/metrics").await;
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(
        text.contains("hongyan_policy_refused_total{reason=\"sensitive_word\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("hongyan_policy_held_total{reason=\"sensitive_word\"} 2"),
        "{text}"
    );
    api.stop().await;
}
