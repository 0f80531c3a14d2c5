//! The results of a send that asked for replies (a poll, or collected replies):
//! `hongyan replies JOB` (who answered what, or who has not; `--csv` for Excel),
//! `hongyan tally JOB` (the count per option, per group, and what could not be
//! attributed) and `hongyan resend-unanswered JOB` (ask again those who have not
//! answered). Each is a call or a few to the daemon's API, printed as a table (Chinese
//! names and answers line up: see `table.rs`) or, with `--json`, as the API's JSON.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::remote::{Remote, encode, show};
use super::table::{Align, Table};
use crate::api::client::{ApiClient, ClientError};

/// The poll and reply commands.
#[derive(Debug, Subcommand)]
pub enum PollCommand {
    /// The replies to a job that asked for them, newest first: who answered what
    /// (`--option`), who has not (`--unanswered`), or everything as CSV for Excel.
    Replies(RepliesArgs),
    /// A poll's count per option, answered and not answered, replies that could not be
    /// attributed (by reason), and the same per contact group the job was sent to.
    Tally {
        /// The job id the send printed.
        job: i64,
    },
    /// Send the poll again to the recipients who have not answered yet: a new job from
    /// the same reply number, whose answers count in the original poll.
    ResendUnanswered {
        /// The original job.
        job: i64,
        /// A text instead of the original one.
        #[arg(long)]
        text: Option<String>,
        /// Retrying with the same key never sends twice.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
}

/// `hongyan replies`.
#[derive(Debug, Args)]
pub struct RepliesArgs {
    /// The job id the send printed.
    job: i64,
    /// Only those whose answer (as counted) is this option key.
    #[arg(long, conflicts_with = "unanswered")]
    option: Option<String>,
    /// One line per recipient who answered: the answer that counts.
    #[arg(long, conflicts_with = "unanswered")]
    answered: bool,
    /// The recipients who have not answered at all.
    #[arg(long)]
    unanswered: bool,
    /// Write CSV (UTF-8 with BOM, opens in Excel) instead of the table: redirect it to a
    /// file, e.g. `> replies.csv`.
    #[arg(long)]
    csv: bool,
    /// At most this many lines (default: all, fetched a page at a time).
    #[arg(long)]
    limit: Option<usize>,
}

/// Runs a poll command against the daemon.
pub fn run(remote: &Remote, cmd: PollCommand) -> anyhow::Result<ExitCode> {
    remote.with_client(async |c, r| dispatch(c, r, cmd).await)
}

async fn dispatch(c: &ApiClient, r: &Remote, cmd: PollCommand) -> Result<ExitCode, ClientError> {
    match cmd {
        PollCommand::Replies(a) => replies(c, r, a).await,
        PollCommand::Tally { job } => {
            let v = c
                .call("GET", &format!("/v1/messages/{job}/tally"), None)
                .await?;
            show(r, &v, print_tally);
            Ok(ExitCode::SUCCESS)
        }
        PollCommand::ResendUnanswered {
            job,
            text,
            idempotency_key,
        } => {
            let mut body = json!({});
            if let Some(t) = text {
                body["text"] = t.into();
            }
            if let Some(k) = idempotency_key {
                body["idempotency_key"] = k.into();
            }
            let v = c
                .call(
                    "POST",
                    &format!("/v1/messages/{job}/resend-unanswered"),
                    Some(&body),
                )
                .await?;
            show(r, &v, |v| {
                outln!(
                    "job {} sent to {} recipient(s) who have not answered job {job} yet; \
                     their answers count in job {job}'s poll",
                    v["job_id"],
                    v["recipients"]
                )
            });
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The query string of a replies request.
fn filters(a: &RepliesArgs) -> Vec<String> {
    let mut q = Vec::new();
    if let Some(o) = &a.option {
        q.push(format!("option={}", encode(o)));
    }
    if a.answered {
        q.push("answered=true".to_owned());
    }
    if a.unanswered {
        q.push("answered=false".to_owned());
    }
    q
}

async fn replies(c: &ApiClient, r: &Remote, a: RepliesArgs) -> Result<ExitCode, ClientError> {
    let q = filters(&a);
    if a.csv {
        let path = format!("/v1/messages/{}/replies.csv?{}", a.job, q.join("&"));
        let resp = c.raw("GET", &path, None, bytes::Bytes::new(), &[]).await?;
        if resp.status != 200 {
            // The error body is the API's JSON: the usual error path prints it.
            return Err(api_error(resp.status, resp.json()));
        }
        let mut out = std::io::stdout().lock();
        match out.write_all(&resp.body).and_then(|()| out.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                eprintln!("error: writing standard output: {e}");
                return Ok(ExitCode::FAILURE);
            }
            Ok(()) => {}
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut left = a.limit.unwrap_or(usize::MAX);
    let mut before: Option<i64> = None;
    let mut table = reply_table(a.unanswered);
    loop {
        let mut page_q = q.clone();
        page_q.push(format!("limit={}", left.min(500)));
        if let Some(b) = before {
            page_q.push(format!("before={b}"));
        }
        let v = c
            .call(
                "GET",
                &format!("/v1/messages/{}/replies?{}", a.job, page_q.join("&")),
                None,
            )
            .await?;
        let key = if a.unanswered {
            "recipients"
        } else {
            "replies"
        };
        let items = v[key].as_array().map_or(&[][..], Vec::as_slice);
        left = left.saturating_sub(items.len());
        if r.json() {
            // One object per page, as `status` does.
            outln!("{v}");
        } else {
            for item in items {
                table.row(reply_cells(item, a.unanswered));
            }
        }
        match v["next_before"].as_i64() {
            Some(b) if left > 0 => before = Some(b),
            _ => break,
        }
    }
    if !r.json() {
        for line in table.lines() {
            outln!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn api_error(status: u16, body: Value) -> ClientError {
    ClientError::Api {
        status,
        code: body["error"]["code"].as_str().unwrap_or("error").to_owned(),
        message: body["error"]["message"].as_str().unwrap_or("").to_owned(),
        body,
    }
}

fn reply_table(unanswered: bool) -> Table {
    if unanswered {
        Table::new(&[("number", Align::Left, 11), ("name", Align::Left, 16)])
    } else {
        Table::new(&[
            ("received", Align::Left, 30),
            ("number", Align::Left, 11),
            ("name", Align::Left, 16),
            ("option", Align::Left, 24),
            ("counted", Align::Left, 7),
            ("reply", Align::Left, 40),
        ])
    }
}

fn reply_cells(item: &Value, unanswered: bool) -> Vec<String> {
    let s = |k: &str| item[k].as_str().unwrap_or("").to_owned();
    if unanswered {
        return vec![s("number"), s("name")];
    }
    let option = match (item["option"].as_str(), item["option_text"].as_str()) {
        (Some(k), Some(t)) => format!("{k} {t}"),
        (Some(k), None) => k.to_owned(),
        _ => "(comment)".to_owned(),
    };
    vec![
        s("received_at"),
        s("number"),
        s("name"),
        option,
        if item["counted"].as_bool() == Some(true) {
            "yes".to_owned()
        } else {
            "-".to_owned()
        },
        s("text"),
    ]
}

/// `hongyan tally`: the options, then the totals, what was not attributed, the groups.
fn print_tally(v: &Value) {
    let answered = v["answered"].as_u64().unwrap_or(0);
    let mut t = Table::new(&[
        ("option", Align::Left, 4),
        ("text", Align::Left, 24),
        ("count", Align::Right, 7),
        ("share", Align::Right, 6),
    ]);
    for o in v["options"].as_array().into_iter().flatten() {
        let n = o["count"].as_u64().unwrap_or(0);
        t.row([
            o["key"].as_str().unwrap_or("").to_owned(),
            o["text"].as_str().unwrap_or("").to_owned(),
            n.to_string(),
            share(n, answered),
        ]);
    }
    t.row([
        String::new(),
        "(comment only)".to_owned(),
        v["comments"].as_u64().unwrap_or(0).to_string(),
        share(v["comments"].as_u64().unwrap_or(0), answered),
    ]);
    outln!(
        "job {}: {} of {} recipient(s) answered, {} not yet{}",
        v["job_id"],
        answered,
        v["recipients"],
        v["not_answered"],
        if v["closed"].as_bool() == Some(true) {
            " (closed)"
        } else {
            ""
        }
    );
    for line in t.lines() {
        outln!("  {line}");
    }
    let unmatched = &v["unmatched"];
    outln!(
        "not attributed (to the poll's number, but from someone it did not ask, or too late): {}",
        unmatched["total"]
    );
    for (reason, n) in unmatched["by_reason"].as_object().into_iter().flatten() {
        outln!("  {reason:<20} {n}");
    }
    let groups = v["groups"].as_array().map_or(&[][..], Vec::as_slice);
    if groups.is_empty() {
        return;
    }
    let keys: Vec<String> = v["options"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["key"].as_str().map(str::to_owned))
        .collect();
    let mut columns: Vec<(&str, Align, usize)> = vec![
        ("group", Align::Left, 20),
        ("recipients", Align::Right, 10),
        ("answered", Align::Right, 8),
    ];
    columns.extend(keys.iter().map(|k| (k.as_str(), Align::Right, 7)));
    let mut g = Table::new(&columns);
    for group in groups {
        let mut cells = vec![
            group["group"].as_str().unwrap_or("").to_owned(),
            group["recipients"].to_string(),
            group["answered"].to_string(),
        ];
        for k in &keys {
            let n = group["options"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|o| o["key"].as_str() == Some(k))
                .and_then(|o| o["count"].as_u64())
                .unwrap_or(0);
            cells.push(n.to_string());
        }
        g.row(cells);
    }
    outln!("per group:");
    for line in g.lines() {
        outln!("  {line}");
    }
}

/// `n` of `of` as a percentage, one decimal.
fn share(n: u64, of: u64) -> String {
    if of == 0 {
        return "-".to_owned();
    }
    #[allow(clippy::cast_precision_loss)]
    let pct = n as f64 * 100.0 / of as f64;
    format!("{pct:.1}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_of_those_who_answered() {
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(0, 0), "-");
        assert_eq!(share(12, 12), "100.0%");
    }

    #[test]
    fn a_comment_shows_as_such_and_the_counted_answer_is_marked() {
        let item = json!({ "received_at": "2026-12-07T14:00:00+08:00", "number": "13800138000",
            "name": "张伟", "option": "1", "option_text": "满意", "counted": true, "text": "选1" });
        assert_eq!(
            reply_cells(&item, false),
            [
                "2026-12-07T14:00:00+08:00",
                "13800138000",
                "张伟",
                "1 满意",
                "yes",
                "选1"
            ]
        );
        let comment =
            json!({ "number": "13800138000", "option": null, "counted": false, "text": "几点？" });
        assert_eq!(reply_cells(&comment, false)[3], "(comment)");
        assert_eq!(reply_cells(&comment, false)[4], "-");
    }
}
