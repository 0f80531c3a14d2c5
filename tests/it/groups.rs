//! Group messaging end to end: a generated 10 000-row contact CSV (GBK, Chinese headers,
//! numbers of all three carriers in many spellings, bad rows of every kind, duplicates
//! written differently, quoted cells with line breaks) is imported into the daemon's
//! store; then one group send to two overlapping groups reaches each distinct number
//! exactly once, checked at the simulated carriers. Every wait is bounded and woken by
//! store changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use hongyan::contacts::{
    GroupSend, GroupSendError, SourceEncoding, group_send, group_send_progress, import_csv,
    send_draft,
};
use hongyan::dispatch::RecipientOutcome;
use hongyan::route::normalize;
use hongyan::store::{DeliveryState, NewDraft, now_millis};

use crate::support::{LIMIT, TempDir, demo_config, start_recording};

const ROWS: usize = 10_000;
/// Groups of the generated contacts.
const SALES: &str = "销售";
const OPS: &str = "运维";
const HR: &str = "人事";
const ON_CALL: &str = "值班";

/// Segments of every carrier that the demo config has a link for.
const PREFIXES: [&str; 12] = [
    "138", "139", "150", "188", // China Mobile
    "133", "153", "180", "189", // China Telecom
    "130", "131", "155", "186", // China Unicom
];

/// The generated file and what a correct import must make of it.
struct Generated {
    csv: String,
    /// `(line, code)` of every bad row.
    bad: Vec<(u64, &'static str)>,
    /// `(line, first_line)` of every duplicate.
    merged: Vec<(u64, u64)>,
    /// Every distinct good number with its groups (after merging).
    contacts: BTreeMap<String, BTreeSet<&'static str>>,
}

/// `n` (an 11-digit number) written one of several ways.
fn spell(n: &str, how: usize) -> String {
    let (a, b, c) = (&n[..3], &n[3..7], &n[7..]);
    match how % 6 {
        0 => n.to_owned(),
        1 => format!("+86 {a} {b} {c}"),
        2 => format!("0086-{a}-{b}-{c}"),
        3 => format!("86{n}"),
        4 => format!("({a}) {b}-{c}"),
        _ => format!("＋８６ {a}{b}{c}"),
    }
}

/// A CSV cell, quoted when it must be.
fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn generate() -> Generated {
    let mut csv = String::from("姓名,手机号,分组,标签\r\n");
    let mut line: u64 = 2;
    let mut bad = Vec::new();
    let mut merged = Vec::new();
    let mut contacts: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    // (number, line) of each first occurrence, for duplicates to point back at.
    let mut firsts: Vec<(String, u64)> = Vec::new();
    let mut distinct = 0usize;
    for i in 0..ROWS {
        let fields: Vec<String>;
        if i % 50 == 7 {
            // 2 % bad rows, every kind in turn.
            let kind = (i / 50) % 8;
            let ok_number = format!("1370000{i:04}");
            let (name, phone, code) = match kind {
                0 => (format!("坏{i}"), String::new(), "empty_phone"),
                1 => (format!("坏{i}"), "010-6552 9988".to_owned(), "landline"),
                2 => (format!("坏{i}"), "10086".to_owned(), "service_code"),
                3 => (format!("坏{i}"), format!("138{i:07}"), "wrong_length"),
                4 => (
                    format!("坏{i}"),
                    "138-abcd-0000".to_owned(),
                    "invalid_character",
                ),
                5 => (
                    format!("坏{i}"),
                    format!("1400000{i:04}"),
                    "unknown_segment",
                ),
                6 => ("名".repeat(65), ok_number, "name_too_long"),
                _ => (format!("坏{i}"), ok_number, "column_count"),
            };
            let mut f = vec![name, phone, SALES.to_owned(), String::new()];
            if kind == 7 {
                f.push("多余".to_owned());
            }
            bad.push((line, code));
            fields = f;
        } else if i % 20 == 13 && !firsts.is_empty() {
            // 5 % duplicates of an earlier contact, written differently, adding a group.
            let (number, first_line) = firsts[(i * 31) % firsts.len()].clone();
            merged.push((line, first_line));
            contacts.get_mut(&number).unwrap().insert(ON_CALL);
            fields = vec![
                String::new(),
                spell(&number, i + 1),
                ON_CALL.to_owned(),
                "重复".to_owned(),
            ];
        } else {
            let k = distinct;
            distinct += 1;
            let number = format!("{}{:08}", PREFIXES[k % PREFIXES.len()], 20_000_000 + k);
            let base = [SALES, OPS, HR][k % 3];
            let mut groups = BTreeSet::from([base]);
            let groups_cell = if k % 10 == 0 {
                groups.insert(ON_CALL);
                match k % 3 {
                    0 => format!("{base};{ON_CALL}"),
                    1 => format!("{base}、{ON_CALL}"),
                    _ => format!("{base},{ON_CALL}"),
                }
            } else {
                base.to_owned()
            };
            // Now and then a name with line breaks in it: the record spans lines.
            let name = if k % 997 == 1 {
                format!("多行\n姓名\n{k}")
            } else {
                format!("员工{k}")
            };
            let tags = if k % 7 == 0 { "VIP|重要" } else { "" };
            contacts.insert(number.clone(), groups);
            firsts.push((number.clone(), line));
            fields = vec![name, spell(&number, k), groups_cell, tags.to_owned()];
        }
        let record: Vec<String> = fields.iter().map(|f| cell(f)).collect();
        let record = record.join(",");
        line += 1 + record.matches('\n').count() as u64;
        csv.push_str(&record);
        csv.push_str("\r\n");
    }
    Generated {
        csv,
        bad,
        merged,
        contacts,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10000_contact_csv_imports_and_a_group_send_reaches_each_number_once() {
    let generated = generate();
    assert!(generated.bad.len() >= 190, "{}", generated.bad.len());
    assert!(generated.merged.len() >= 450, "{}", generated.merged.len());
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&generated.csv);
    assert!(!unmappable);

    let dir = TempDir::new("groups");
    let daemon = start_recording(demo_config(&dir)).await;
    let store = daemon.store();
    let submitter = daemon.submitter();

    // Import: the good rows in, every bad row reported with its line and reason.
    let report = import_csv(&store, &gbk, &submitter.router(), now_millis())
        .await
        .unwrap();
    assert_eq!(report.encoding, SourceEncoding::Gbk);
    assert_eq!(report.records, ROWS);
    assert_eq!(report.created, generated.contacts.len() as u64);
    assert_eq!(report.updated, 0);
    assert_eq!(report.groups_created, 4);
    let bad: Vec<(u64, &str)> = report
        .bad
        .iter()
        .map(|b| (b.line, b.code.as_str()))
        .collect();
    assert_eq!(bad, generated.bad);
    for b in &report.bad {
        assert!(!b.reason.is_empty(), "{b:?}");
    }
    assert_eq!(report.merged, generated.merged);
    let groups: HashMap<String, u64> = store
        .groups_list()
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.name, g.members))
        .collect();
    for name in [SALES, OPS, HR, ON_CALL] {
        let expected = generated
            .contacts
            .values()
            .filter(|g| g.contains(name))
            .count() as u64;
        assert_eq!(groups[name], expected, "{name}");
    }
    // The same file again creates nothing and merges into every contact.
    let again = import_csv(&store, &gbk, &submitter.router(), now_millis())
        .await
        .unwrap();
    assert_eq!((again.created, again.updated), (0, report.created));

    // A draft naming a group that does not exist is refused, naming it.
    let draft = store
        .draft_save(
            None,
            NewDraft {
                title: "错".into(),
                text: "x".into(),
                groups: vec![HR.into(), "不存在".into()],
                ..NewDraft::default()
            },
            now_millis(),
        )
        .await
        .unwrap();
    match send_draft(&submitter, draft, None).await {
        Err(GroupSendError::UnknownGroups(g)) => assert_eq!(g, ["不存在"]),
        other => panic!("{other:?}"),
    }

    // One send to two overlapping groups: one job, each distinct number once.
    let union: BTreeSet<&str> = generated
        .contacts
        .iter()
        .filter(|(_, g)| g.contains(SALES) || g.contains(ON_CALL))
        .map(|(n, _)| n.as_str())
        .collect();
    let overlap = generated
        .contacts
        .values()
        .filter(|g| g.contains(SALES) && g.contains(ON_CALL))
        .count();
    assert!(overlap > 100, "the groups really overlap: {overlap}");
    let out = group_send(
        &submitter,
        GroupSend {
            groups: vec![SALES.into(), ON_CALL.into()],
            text: "本周五下午三点全员例会，请准时参加。".into(),
            signature: Some("【行政部】".into()),
            send_at: None,
            idempotency_key: Some("it-groups-1".into()),
            category: Default::default(),
            replies: None,
        },
    )
    .await
    .unwrap();
    assert!(out.created);
    assert_eq!(out.recipients, union.len());
    assert_eq!(out.accepted, union.len());
    let accepted: BTreeSet<&str> = out
        .outcomes
        .iter()
        .filter_map(|o| match o {
            RecipientOutcome::Accepted { number, .. } => Some(number.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(accepted, union);
    let job = out.job_id.unwrap();

    let st = daemon.wait_until_settled(job, LIMIT).await.unwrap();
    assert_eq!(st.recipients.len(), union.len());
    assert!(
        st.recipients
            .iter()
            .all(|r| r.state == DeliveryState::Delivered),
        "{:?}",
        st.counts
    );
    let progress = group_send_progress(&store, job).await.unwrap().unwrap();
    assert_eq!(progress.total, union.len());
    assert_eq!(progress.done, union.len());
    assert_eq!(progress.counts.delivered, union.len() as u64);

    // At the carriers: every number of the union exactly once, nothing else.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for link in ["mobile-demo", "telecom-demo", "unicom-demo"] {
        let subs = daemon.simulator(link).unwrap().submits();
        assert!(!subs.is_empty(), "{link}");
        for s in subs {
            for r in &s.recipients {
                let n = normalize(r).unwrap().as_str().to_owned();
                *seen.entry(n).or_default() += 1;
            }
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, c)| **c != 1).collect();
    assert!(twice.is_empty(), "{twice:?}");
    let seen: BTreeSet<&str> = seen.keys().map(String::as_str).collect();
    assert_eq!(seen, union);

    // The same key again is the same job, and sends nothing more.
    let repeat = group_send(
        &submitter,
        GroupSend {
            groups: vec![SALES.into(), ON_CALL.into()],
            text: "本周五下午三点全员例会，请准时参加。".into(),
            signature: Some("【行政部】".into()),
            send_at: None,
            idempotency_key: Some("it-groups-1".into()),
            category: Default::default(),
            replies: None,
        },
    )
    .await
    .unwrap();
    assert_eq!((repeat.job_id, repeat.created), (Some(job), false));

    let report = daemon.shutdown(LIMIT).await;
    assert!(!report.timed_out);
}
