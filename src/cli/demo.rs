//! `hongyan demo`: the whole path on a fresh machine with one command.
//!
//! It starts the daemon on the embedded default (three in-process simulated carriers:
//! CMPP 3.0, SMGP 3.0, SGIP 1.2), sends a shipping notification, a long payment reminder
//! and a group message with one bad number through it, waits (bounded) until every
//! recipient is delivered or failed, prints what happened to each message, then has the
//! simulated China Mobile gateway deliver a reply to the extended number and shows it
//! arriving in the inbox. Last, an approval goes from request to SMS (from its own
//! extended number) to a stranger's reply (ignored) to the approver's "同意" to the
//! applicant's SMS. Nothing leaves the machine.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::clock::ChinaTime;
use crate::config::Config;
use crate::daemon::{Daemon, DaemonError, DaemonHandle};
use crate::dispatch::{RecipientOutcome, SendRequest};
use crate::replies::approval::StageRule;
use crate::route::Carrier;
use crate::sim::MoSpec;
use crate::store::{Approver, JobId, JobStatus};
use crate::workflow::{ApprovalRequest, StageRequest, WorkflowEvent};

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The daemon could not start.
    #[error(transparent)]
    Daemon(#[from] DaemonError),
    /// Something the demo needed did not happen.
    #[error("demo: {0}")]
    Step(String),
    /// Writing the demo's output failed.
    #[error("output: {0}")]
    Output(#[from] std::io::Error),
}

/// How long the demo waits for every message to settle.
const SETTLE: Duration = Duration::from_secs(20);
/// The extension the group message goes out with, so a reply finds its way back. Two
/// digits: the link's four-digit extensions are reserved for approvals and reminders.
const EXTENSION: &str = "88";

/// One sample message.
struct Sample {
    title: &'static str,
    request: SendRequest,
}

fn samples() -> Vec<Sample> {
    let shipping = SendRequest::new(
        vec!["13800138000".into()],
        "您的包裹已发货：顺丰 SF1234567890，预计明天 18:00 前送达。",
    );
    let reminder = SendRequest::new(
        vec!["13300133000".into()],
        "尊敬的客户，您本月的账单已生成，应还金额 1,286.50 元，最后还款日为 12 月 5 日。\
         为避免产生逾期费用并影响您的个人信用记录，请在还款日前通过手机银行、网上银行或\
         营业网点完成还款；如已还款，请忽略本短信。如有疑问，请拨打客服热线 95555 或直接\
         回复本短信，我们将竭诚为您服务。感谢您一直以来的支持与信任！",
    );
    let mut group = SendRequest::new(
        vec![
            "13900139000".into(),
            "+86 189-1234-5678".into(),
            "13012345678".into(),
            "0571-88886666".into(),
        ],
        "周五 15:00 三楼会议室开季度例会，请准时参加。能来请回复 Y。",
    );
    group.source_ext = Some(EXTENSION.into());
    vec![
        Sample {
            title: "Shipping notification",
            request: shipping,
        },
        Sample {
            title: "Payment reminder (long message)",
            request: reminder,
        },
        Sample {
            title: "Group message (with one landline number)",
            request: group,
        },
    ]
}

/// Runs the demo, writing the report to `out`. `data_dir` overrides where the store
/// goes (default `$HONGYAN_DATA`, else a fresh temporary directory removed afterwards).
pub async fn run(out: &mut dyn Write, data_dir: Option<PathBuf>) -> Result<(), DemoError> {
    let mut config = Config::embedded_default().map_err(|e| DaemonError::Config {
        key: e.key().unwrap_or("(embedded)").to_owned(),
        reason: e.to_string(),
    })?;
    let (dir, temporary) =
        match data_dir.or_else(|| std::env::var_os("HONGYAN_DATA").map(PathBuf::from)) {
            Some(d) => (d, false),
            None => (
                std::env::temp_dir().join(format!(
                    "hongyan-demo-{}-{}",
                    std::process::id(),
                    crate::store::now_millis()
                )),
                true,
            ),
        };
    config.storage.data_dir = dir.clone();
    writeln!(out, "hongyan demo: the whole path, on this machine")?;
    writeln!(
        out,
        "DEMO MODE: all three carriers are simulated inside this process; no real SMS is sent."
    )?;
    let daemon = Daemon::start(config).await?;
    writeln!(out, "data: {}", daemon.store().path().display())?;
    console_admin(out, &daemon, temporary).await?;
    let result = drive(out, &daemon).await;
    let stop = daemon.shutdown(Duration::from_secs(10)).await;
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result?;
    writeln!(
        out,
        "\nDaemon stopped cleanly{}. Next: `hongyan run` keeps it running; `hongyan run --config FILE` talks to real gateways.",
        if stop.requeued > 0 {
            format!(" ({} parts back in the queue)", stop.requeued)
        } else {
            String::new()
        }
    )?;
    Ok(())
}

/// The staff console's first account: on a kept data directory the demo creates it as
/// `hongyan run` would and prints its password once; on a temporary one it says where
/// the password will come from.
async fn console_admin(
    out: &mut dyn Write,
    daemon: &DaemonHandle,
    temporary: bool,
) -> Result<(), DemoError> {
    if temporary {
        writeln!(
            out,
            "console: `hongyan run` serves it at http://127.0.0.1:8080/ and, at its first start, logs the admin password once (console: log in as admin with …)"
        )?;
        return Ok(());
    }
    match crate::web::accounts::ensure_first_admin(&daemon.store(), crate::store::now_millis())
        .await
    {
        Ok(Some(password)) => writeln!(
            out,
            "console: log in as admin with {password} (http://127.0.0.1:8080/ under `hongyan run` on this data directory; shown once)"
        )?,
        Ok(None) => writeln!(
            out,
            "console: accounts exist already on this data directory"
        )?,
        Err(e) => return Err(DemoError::Step(format!("console admin: {e}"))),
    }
    Ok(())
}

async fn drive(out: &mut dyn Write, daemon: &DaemonHandle) -> Result<(), DemoError> {
    writeln!(out, "\nLinks:")?;
    for l in daemon.links() {
        writeln!(
            out,
            "  {:<14} {:<6} {} numbers, simulated gateway",
            l.name,
            l.protocol,
            l.carrier.full_name()
        )?;
    }
    let submitter = daemon.submitter();
    let mut sent: Vec<(&'static str, JobId, Vec<RecipientOutcome>)> = Vec::new();
    writeln!(out, "\nSending:")?;
    for (i, s) in samples().into_iter().enumerate() {
        let outcome = submitter
            .send(s.request)
            .await
            .map_err(|e| DemoError::Step(format!("{}: {e}", s.title)))?;
        let Some(job) = outcome.job else {
            return Err(DemoError::Step(format!("{}: nothing accepted", s.title)));
        };
        writeln!(
            out,
            "  [{}] {}: job {}, {} of {} recipients accepted",
            i + 1,
            s.title,
            job.job_id,
            outcome.accepted(),
            outcome.recipients.len()
        )?;
        for r in &outcome.recipients {
            match r {
                RecipientOutcome::Rejected { input, reason, .. } => {
                    writeln!(out, "        {input}: rejected, {reason}")?;
                }
                RecipientOutcome::Duplicate { input, first, .. } => {
                    writeln!(
                        out,
                        "        {input}: same number as recipient {first}, sent once"
                    )?;
                }
                RecipientOutcome::Skipped { input, reason, .. } => {
                    writeln!(out, "        {input}: skipped, {reason}")?;
                }
                RecipientOutcome::Accepted { .. } => {}
            }
        }
        sent.push((s.title, job.job_id, outcome.recipients));
    }

    let jobs: Vec<JobId> = sent.iter().map(|(_, id, _)| *id).collect();
    let statuses = settle(daemon, &jobs).await?;
    let signature = daemon
        .config()
        .links
        .first()
        .and_then(|l| l.signature.clone())
        .unwrap_or_default();
    for (i, ((title, _, outcomes), status)) in sent.iter().zip(&statuses).enumerate() {
        writeln!(out)?;
        print_job(out, i + 1, title, outcomes, status, &signature)?;
    }

    reply(out, daemon).await?;
    approval(out, daemon).await
}

/// An approval from request to SMS to reply to decision: 王经理 (China Mobile) is asked
/// from an extension of his own, a stranger's "同意" to that number changes nothing, his
/// own "同意" approves, and the applicant is told.
async fn approval(out: &mut dyn Write, daemon: &DaemonHandle) -> Result<(), DemoError> {
    let demo = |what: &str, e: &dyn std::fmt::Display| DemoError::Step(format!("{what}: {e}"));
    let wf = daemon.workflow();
    let mut events = wf.subscribe();
    let approver = "13800138000";
    let request = ApprovalRequest {
        title: "出差申请：上海 3 天".into(),
        applicant: Approver {
            name: "李四".into(),
            phone: "13900139000".into(),
        },
        details: "客户现场部署，预算 4500 元".into(),
        stages: vec![StageRequest {
            rule: StageRule::All,
            approvers: vec![Approver {
                name: "王经理".into(),
                phone: approver.into(),
            }],
        }],
        expires_at: None,
        idempotency_key: None,
    };
    let created = wf
        .create_approval(request)
        .await
        .map_err(|e| demo("approval", &e))?;
    writeln!(
        out,
        "\nApproval {}: 李四 asks 王经理 ({approver}) to approve 出差申请：上海 3 天",
        created.approval_id
    )?;
    let (extension, job) = next_event(&mut events, |e| match e {
        WorkflowEvent::ApprovalAsked {
            extension, job_id, ..
        } => Some((extension.clone(), *job_id)),
        _ => None,
    })
    .await?;
    let status = daemon
        .wait_until_settled(job, SETTLE)
        .await
        .map_err(|e| demo("approval SMS", &e))?;
    let link = daemon
        .config()
        .links
        .iter()
        .find(|l| l.carrier() == Carrier::Mobile)
        .ok_or_else(|| DemoError::Step("no China Mobile link".into()))?;
    let sim = daemon
        .simulator(&link.name)
        .ok_or_else(|| DemoError::Step(format!("link {} has no simulator", link.name)))?;
    let from = format!("{}{}", link.service_code, extension.unwrap_or_default());
    writeln!(
        out,
        "  approval SMS from {from} (service code + extension): {}",
        status.recipients.first().map_or("?", |r| r.state.as_str())
    )?;
    for (who, text) in [("13700137000 (a stranger)", "同意"), ("王经理", "同意")] {
        let number = if who == "王经理" {
            approver
        } else {
            "13700137000"
        };
        writeln!(out, "  {who} replies \"{text}\" to {from}")?;
        sim.deliver_mo(MoSpec::new(number, from.clone(), text))
            .await
            .map_err(|e| demo("MO", &e))?;
        let what = next_event(&mut events, |e| match e {
            WorkflowEvent::Unmatched { reason, .. } => {
                Some(format!("not applied: {}", reason.replace('_', " ")))
            }
            WorkflowEvent::Decided { outcome, .. } => Some(format!("applied: {outcome}")),
            _ => None,
        })
        .await?;
        writeln!(out, "    → {what}")?;
    }
    let job = next_event(&mut events, |e| match e {
        WorkflowEvent::ApplicantNotified { job_id, .. } => Some(*job_id),
        _ => None,
    })
    .await?;
    let status = daemon
        .wait_until_settled(job, SETTLE)
        .await
        .map_err(|e| demo("outcome SMS", &e))?;
    let view = wf
        .approval(created.approval_id)
        .await
        .map_err(|e| demo("approval", &e))?
        .ok_or_else(|| DemoError::Step("the approval vanished".into()))?;
    writeln!(
        out,
        "  approval {}: {}; 李四 told by SMS: {}",
        view.id,
        view.state,
        status.recipients.first().map_or("?", |r| r.state.as_str())
    )?;
    Ok(())
}

/// The next workflow event `f` picks, within `SETTLE`.
async fn next_event<T>(
    events: &mut tokio::sync::broadcast::Receiver<WorkflowEvent>,
    mut f: impl FnMut(&WorkflowEvent) -> Option<T>,
) -> Result<T, DemoError> {
    tokio::time::timeout(SETTLE, async {
        loop {
            match events.recv().await {
                Ok(e) => {
                    if let Some(t) = f(&e) {
                        return Ok(t);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => return Err(DemoError::Step(format!("workflow: {e}"))),
            }
        }
    })
    .await
    .map_err(|_| DemoError::Step("the approval did not move in time".into()))?
}

/// Waits (bounded, woken by store changes) until every recipient of `jobs` is final.
async fn settle(daemon: &DaemonHandle, jobs: &[JobId]) -> Result<Vec<JobStatus>, DemoError> {
    let deadline = Instant::now() + SETTLE;
    let mut all = Vec::with_capacity(jobs.len());
    for &id in jobs {
        let left = deadline.saturating_duration_since(Instant::now());
        let st = daemon
            .wait_until_settled(id, left)
            .await
            .map_err(|e| DemoError::Step(e.to_string()))?;
        all.push(st);
    }
    Ok(all)
}

/// A report's stat for people: SGIP reports a number (`0`), the others a word (`DELIVRD`).
fn readable_stat(stat: &str) -> String {
    match stat.parse::<u8>() {
        Ok(n) => format!("{stat} ({})", sgip::status::state_meaning(n)),
        Err(_) => stat.to_owned(),
    }
}

fn carrier_name(name: &str) -> &'static str {
    name.parse::<Carrier>().map_or("?", Carrier::full_name)
}

fn print_job(
    out: &mut dyn Write,
    n: usize,
    title: &str,
    outcomes: &[RecipientOutcome],
    st: &JobStatus,
    link_signature: &str,
) -> std::io::Result<()> {
    writeln!(out, "[{n}] {title}: job {} {}", st.job_id, st.state)?;
    let signature = if st.signature.is_empty() {
        link_signature
    } else {
        &st.signature
    };
    writeln!(out, "    text: {signature}{}", st.text)?;
    let head = [
        "recipient",
        "carrier",
        "link",
        "parts",
        "state",
        "report",
        "carrier msg id(s)",
    ];
    let mut rows: Vec<[String; 7]> = Vec::new();
    for r in &st.recipients {
        let link = r
            .segments
            .iter()
            .find_map(|s| s.link.clone())
            .unwrap_or_else(|| "-".into());
        let ids: Vec<String> = r.segments.iter().filter_map(|s| s.msg_id.clone()).collect();
        let mut stats: Vec<String> = r
            .segments
            .iter()
            .filter_map(|s| s.report_stat.as_deref().map(readable_stat))
            .collect();
        stats.dedup();
        rows.push([
            r.number.clone(),
            carrier_name(&r.carrier).to_owned(),
            link,
            r.parts.to_string(),
            r.state.to_string(),
            if stats.is_empty() {
                "-".into()
            } else {
                stats.join(",")
            },
            if ids.is_empty() {
                "-".into()
            } else {
                ids.join(" ")
            },
        ]);
    }
    let mut width = head.map(str::len);
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 7]| {
        let mut s = String::from("    ");
        for (i, (cell, w)) in cells.iter().zip(width).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s
    };
    writeln!(out, "{}", line(head))?;
    for row in &rows {
        writeln!(out, "{}", line(row.each_ref().map(String::as_str)))?;
    }
    for r in outcomes {
        if let RecipientOutcome::Rejected { input, reason, .. } = r {
            writeln!(out, "    {input}: not sent, {reason}")?;
        }
    }
    for r in &st.recipients {
        if let Some(e) = &r.last_error {
            writeln!(out, "    {}: {e}", r.number)?;
        }
    }
    Ok(())
}

/// A reply from the group message's China Mobile recipient to its extended number.
async fn reply(out: &mut dyn Write, daemon: &DaemonHandle) -> Result<(), DemoError> {
    let link = daemon
        .config()
        .links
        .iter()
        .find(|l| l.carrier() == Carrier::Mobile)
        .cloned()
        .ok_or_else(|| DemoError::Step("no China Mobile link".into()))?;
    let sim = daemon
        .simulator(&link.name)
        .ok_or_else(|| DemoError::Step(format!("link {} has no simulator", link.name)))?;
    let to = format!("{}{EXTENSION}", link.service_code);
    writeln!(
        out,
        "\nReply: 13900139000 answers the group message; the simulated China Mobile gateway delivers it to {to}"
    )?;
    let before = daemon
        .store()
        .inbox_list(false, 1000)
        .await
        .map_err(|e| DemoError::Step(format!("inbox: {e}")))?
        .len();
    // Subscribed before the reply arrives: the workflow's word on it is awaited below,
    // so it cannot reach the approval step's subscription and be read as its answer.
    let mut events = daemon.workflow().subscribe();
    sim.deliver_mo(MoSpec::new(
        "13900139000",
        to.clone(),
        "Y 收到，周五准时参加",
    ))
    .await
    .map_err(|e| DemoError::Step(format!("MO: {e}")))?;
    let inbox = daemon
        .wait_for_inbox(SETTLE, |list| list.len() > before)
        .await
        .map_err(|e| DemoError::Step(format!("the reply did not reach the inbox: {e}")))?;
    // The reply router has handled it (the demo's group send asked for no replies, so it
    // is kept unmatched) before the next step listens for its own replies.
    next_event(&mut events, |e| match e {
        WorkflowEvent::Unmatched { .. } | WorkflowEvent::OptedOut { .. } => Some(()),
        _ => None,
    })
    .await?;
    writeln!(out, "Inbox:")?;
    for m in inbox.iter().filter(|m| m.message.destination == to) {
        let t = ChinaTime::from_unix(m.message.received_at / 1000);
        writeln!(
            out,
            "    from {} to {} via {} at {:04}-{:02}-{:02} {:02}:{:02}:{:02} CST: {}",
            m.message.sender,
            m.message.destination,
            m.message.link,
            t.year,
            t.month,
            t.day,
            t.hour,
            t.minute,
            t.second,
            m.message.text
        )?;
    }
    Ok(())
}

/// Runs `hongyan demo`: the daemon's log on standard error, the story on standard output.
pub(super) fn run_command(
    log_format: crate::config::LogFormat,
    log_level: &str,
) -> anyhow::Result<std::process::ExitCode> {
    crate::daemon::logging::init(log_level, log_format)?;
    super::runtime()?.block_on(async {
        let mut stdout = std::io::stdout();
        run(&mut stdout, None).await
    })?;
    Ok(std::process::ExitCode::SUCCESS)
}
