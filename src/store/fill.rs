//! A store full of history, for the console's page bench (`hongyan bench --console`):
//! jobs spread over the last weeks in the states a working gateway leaves them in
//! (delivered, failed, no report yet, a few still queued or scheduled), contacts in
//! groups, and replies in the inbox.
//!
//! Everything goes through the store's own operations — [`Store::enqueue`],
//! [`Store::claim`], [`Store::mark_submitted`], [`Store::record_report`],
//! [`Store::contacts_import`], [`Store::inbox_insert`] — so every index, counter and
//! derived row the daemon keeps is there as the daemon would have left it; only the
//! transactions are large (thousands of operations each) so that a million jobs take
//! a minute, not an hour.

use std::path::Path;

use super::{
    ClaimRequest, Millis, NewContact, NewInbound, NewJob, NewRecipient, NewReport, Priority,
    ReportStatus, Result, Store, StoreOptions,
};

/// How much history to write.
#[derive(Debug, Clone)]
pub struct HistorySpec {
    /// Jobs (sends): most to one number, one in a thousand to a group of 100.
    pub jobs: u64,
    /// Contacts, in groups of about 2,000.
    pub contacts: u64,
    /// Replies in the inbox, from contacts.
    pub replies: u64,
    /// The history reaches back this many days before `now`.
    pub days: u64,
    /// The end of the history (unix ms): jobs up to it, a few scheduled after it.
    pub now: Millis,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryFilled {
    /// Jobs written.
    pub jobs: u64,
    /// Recipients over all jobs.
    pub recipients: u64,
    /// Contacts written.
    pub contacts: u64,
    /// Inbox rows written.
    pub replies: u64,
    /// The newest job's id.
    pub last_job: i64,
}

/// Jobs per transaction.
const CHUNK: u64 = 20_000;
/// Recipients of a group send.
const GROUP_SEND: u64 = 100;
/// The carriers' names in the store, and a number prefix of each.
const CARRIERS: [(&str, &str); 3] = [("mobile", "138"), ("telecom", "189"), ("unicom", "186")];
/// Message texts, a short and a long (two-part) one.
const TEXTS: [(&str, u8); 2] = [
    ("您的验证码是 123456，5 分钟内有效。", 1),
    (
        "各位同事：本周五下午三点在三楼会议室召开季度总结会，请各部门负责人准时参加，并提前准备本部门的季度工作汇报材料，会后请将材料发送至办公室邮箱。如有特殊情况不能参加，请提前向办公室请假。",
        2,
    ),
];

/// The contact number `i` (distinct for every `i` below 10⁸).
fn contact_phone(i: u64) -> String {
    format!("139{:08}", i % 100_000_000)
}

/// A Chinese name for contact `i`.
fn contact_name(i: u64) -> String {
    const FAMILY: [&str; 12] = [
        "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙",
    ];
    const GIVEN: [&str; 10] = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军"];
    let f = FAMILY[(i % 12) as usize];
    let g1 = GIVEN[((i / 12) % 10) as usize];
    let g2 = GIVEN[((i / 120) % 10) as usize];
    format!("{f}{g1}{g2}{}", i / 1200)
}

/// The job number `i` of `spec` (0 oldest): its request and when it was accepted.
fn job(spec: &HistorySpec, i: u64) -> (NewJob, Millis) {
    let span = (spec.days * 86_400_000) as f64;
    let at = spec.now - (span * (1.0 - i as f64 / spec.jobs.max(1) as f64)) as i64;
    let (text, parts) = TEXTS[(i % 7 == 0) as usize];
    let count = if i % 1000 == 999 { GROUP_SEND } else { 1 };
    let recipients = (0..count)
        .map(|k| {
            let n = i * 7 + k;
            let (carrier, prefix) = CARRIERS[(n % 3) as usize];
            // One number in five is a contact's, so the outbox shows names.
            let number = if n % 5 == 0 {
                contact_phone(n % spec.contacts.max(1))
            } else {
                format!("{prefix}{:08}", n % 100_000_000)
            };
            NewRecipient {
                number,
                carrier: carrier.into(),
                segments: parts,
                reference: (parts > 1).then_some((n % 65_536) as u16),
            }
        })
        .collect();
    let job = NewJob {
        idempotency_key: None,
        priority: Priority::Bulk,
        text: text.into(),
        signature: "【鸿雁】".into(),
        source_ext: None,
        send_at: None,
        expires_at: None,
        recipients,
        // Most from the console, some from an application through the API.
        sender: Some(if i % 4 == 0 { "api:demo" } else { "web:admin" }.into()),
    };
    (job, at)
}

/// What became of a segment of job `i`: `None` no report yet, else the report's status.
fn outcome(i: u64, segment: i64) -> Option<ReportStatus> {
    match (i.wrapping_mul(31) + segment as u64) % 100 {
        0..=1 => None,
        2..=5 => Some(ReportStatus::Failed),
        6 => Some(ReportStatus::Expired),
        _ => Some(ReportStatus::Delivered),
    }
}

/// Writes `spec`'s history into the store at `path` (a new file, or one to add to);
/// `progress` hears of each step. The newest 0.1 % of the jobs stay queued and ten more
/// are scheduled for tomorrow, as on a gateway at work.
pub fn fill_history(
    path: &Path,
    spec: &HistorySpec,
    mut progress: impl FnMut(&str),
) -> Result<HistoryFilled> {
    let mut store = Store::open(path, &StoreOptions::default())?;
    let mut filled = HistoryFilled {
        contacts: fill_contacts(&mut store, spec)?,
        ..HistoryFilled::default()
    };
    progress(&format!("{} contacts", filled.contacts));
    let settled = spec.jobs - spec.jobs / 1000;
    let mut i = 0;
    while i < spec.jobs {
        let end = if i < settled {
            (i + CHUNK).min(settled)
        } else {
            spec.jobs
        };
        let mut last_at = 0;
        store.begin()?;
        for n in i..end {
            let (job, at) = job(spec, n);
            filled.recipients += job.recipients.len() as u64;
            filled.last_job = store.enqueue(&job, at)?.job_id;
            last_at = at;
        }
        store.commit()?;
        if end <= settled {
            settle(&mut store, last_at)?;
        }
        filled.jobs = end;
        i = end;
        progress(&format!("{end} jobs"));
    }
    for n in 0..10 {
        let (mut job, _) = job(spec, n);
        job.send_at = Some(spec.now + 86_400_000 + n as i64 * 3_600_000);
        filled.recipients += job.recipients.len() as u64;
        filled.last_job = store.enqueue(&job, spec.now)?.job_id;
        filled.jobs += 1;
    }
    filled.replies = fill_replies(&mut store, spec)?;
    progress(&format!("{} replies", filled.replies));
    Ok(filled)
}

/// Claims, submits and reports every queued segment, at `at`.
fn settle(store: &mut Store, at: Millis) -> Result<()> {
    store.begin()?;
    for (carrier, _) in CARRIERS {
        loop {
            let req = ClaimRequest {
                carrier: carrier.into(),
                link: format!("{carrier}-demo"),
                connection: 1,
                max_segments: 10_000,
            };
            let claimed = store.claim(&req, at)?;
            if claimed.is_empty() {
                break;
            }
            for m in claimed {
                for s in m.segments {
                    let msg_id = s.segment_id.to_string();
                    store.mark_submitted(s.segment_id, &msg_id, at + 800)?;
                    let Some(status) = outcome(m.job_id as u64, s.segment_id) else {
                        continue;
                    };
                    let (stat, err) = match status {
                        ReportStatus::Delivered => ("DELIVRD", "000"),
                        ReportStatus::Failed => ("UNDELIV", "006"),
                        ReportStatus::Expired => ("EXPIRED", "001"),
                    };
                    let report = NewReport {
                        carrier: carrier.into(),
                        msg_id,
                        status,
                        stat: stat.into(),
                        err: err.into(),
                        raw: None,
                        link: None,
                        recipient: None,
                        submitted_at: None,
                    };
                    store.record_report(&report, at + 4_000)?;
                }
            }
        }
    }
    store.commit()
}

/// Writes the contacts, each in one of the groups 部门1, 部门2, …; how many.
fn fill_contacts(store: &mut Store, spec: &HistorySpec) -> Result<u64> {
    let mut written = 0;
    let mut i = 0;
    while i < spec.contacts {
        let end = (i + CHUNK).min(spec.contacts);
        let rows: Vec<NewContact> = (i..end)
            .map(|n| NewContact {
                phone: contact_phone(n),
                name: contact_name(n),
                groups: vec![format!("部门{}", n / 2_000 + 1)],
                tags: Vec::new(),
            })
            .collect();
        store.contacts_import(&rows, spec.now - 86_400_000 * spec.days as i64)?;
        written += rows.len() as u64;
        i = end;
    }
    Ok(written)
}

/// Writes the replies, from contacts, spread over the history; how many.
fn fill_replies(store: &mut Store, spec: &HistorySpec) -> Result<u64> {
    const ANSWERS: [&str; 4] = ["收到", "好的，准时参加", "1", "请问会议地点在哪里？"];
    let span = (spec.days * 86_400_000) as f64;
    store.begin()?;
    for n in 0..spec.replies {
        let at = spec.now - (span * (1.0 - n as f64 / spec.replies.max(1) as f64)) as i64;
        let message = NewInbound {
            sender: contact_phone((n * 13) % spec.contacts.max(1)),
            destination: "10690000".into(),
            text: ANSWERS[(n % 4) as usize].into(),
            coding: 8,
            received_at: at,
            link: "mobile-demo".into(),
            item_id: None,
        };
        store.inbox_insert(&message)?;
    }
    store.commit()?;
    Ok(spec.replies)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::{StoreHandle, now_millis};

    #[tokio::test]
    async fn a_small_history_has_every_kind_of_job_contacts_and_replies() {
        let dir = crate::testutil::TempDir::new("fill");
        let path = dir.path().join("h.db");
        let spec = HistorySpec {
            jobs: 3_000,
            contacts: 500,
            replies: 40,
            days: 40,
            now: now_millis(),
        };
        let mut steps = Vec::new();
        let filled = fill_history(&path, &spec, |s| steps.push(s.to_owned())).unwrap();
        assert_eq!(filled.jobs, 3_010);
        // Three group sends of 100 among the first 3,000, ten scheduled singles.
        assert_eq!(filled.recipients, 3_000 - 3 + 300 + 10);
        assert_eq!((filled.contacts, filled.replies), (500, 40));
        assert!(steps.iter().any(|s| s == "3000 jobs"), "{steps:?}");

        let h = StoreHandle::open(&path, StoreOptions::default()).unwrap();
        let depth = h.queue_depth().await.unwrap();
        let s = depth.segments;
        assert!(s.delivered > 2_500, "{s:?}");
        assert!(s.failed > 0 && s.expired > 0 && s.submitted > 0, "{s:?}");
        // The newest three jobs (0.1 %) wait in the queue, ten more for their time.
        assert!(s.queued >= 3 && s.scheduled >= 10, "{s:?}");
        let contacts = h.contacts_list(None, None, 10, 0).await.unwrap();
        assert_eq!(contacts.total, 500);
        assert_eq!(h.inbox_list(false, 100).await.unwrap().len(), 40);
        h.close().await.unwrap();
    }
}
