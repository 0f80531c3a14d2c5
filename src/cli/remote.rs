//! The client commands (`send`, `status`, `cancel`, `links`, `queue`, `inbox`,
//! `approvals`, `contacts`, `group`, `reply`, `alerts`): each is one or a few calls to a running
//! daemon's HTTP API through [`crate::api::client::ApiClient`], printed for people or,
//! with `--json`, as the API's JSON for scripts.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::api::client::{ApiClient, ClientError};

/// Where the daemon is and who we are.
#[derive(Debug, Args)]
pub struct Remote {
    /// The daemon's API.
    #[arg(
        long,
        env = "HONGYAN_API",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    api: String,
    /// API token (default: the demo token of `hongyan run` without --config).
    #[arg(long, env = "HONGYAN_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    /// Print the API's JSON instead of the summary.
    #[arg(long, global = true)]
    json: bool,
}

/// The client commands.
#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// Send a text (or template) to one or more numbers.
    Send(SendArgs),
    /// Recent jobs, newest first.
    Jobs {
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// A job's status per recipient and segment.
    Status {
        /// The job id `send` printed.
        job: i64,
    },
    /// Cancel a scheduled or queued job.
    Cancel {
        /// The job id.
        job: i64,
    },
    /// Each carrier link: state, window in use, counters.
    Links,
    /// Queue depth per state, orphan reports, webhook backlog.
    Queue,
    /// Alerts firing now and the recent notices.
    Alerts,
    /// Inbound messages, newest first.
    Inbox {
        /// Only unread ones.
        #[arg(long)]
        unread: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Mark this message read instead of listing.
        #[arg(long)]
        mark_read: Option<i64>,
    },
    /// Approval requests.
    #[command(subcommand)]
    Approvals(ApprovalCommand),
    /// Contacts and CSV import.
    #[command(subcommand)]
    Contacts(ContactCommand),
    /// Group sends.
    #[command(subcommand)]
    Group(GroupCommand),
    /// The opt-out (退订) list: list, add, remove, history.
    #[command(subcommand)]
    OptOut(super::opt_out::OptOutCommand),
    /// Jobs held for review by the sending rules: list, release, reject.
    #[command(subcommand)]
    Held(super::held::HeldCommand),
    /// Close the poll (replies) a job asked for, now: later replies are not counted.
    ClosePoll {
        /// The job id `send` printed.
        job: i64,
    },
    /// Demo mode: make the simulated carrier deliver an SMS as if NUMBER had replied.
    Reply {
        /// The phone that replies.
        #[arg(long)]
        from: String,
        /// The number it writes to: service code + extension, as the approval SMS showed.
        #[arg(long)]
        to: String,
        /// What it writes, e.g. 同意 or "不同意 预算超了".
        text: String,
    },
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Recipient; repeat for several (any usual form: +86 138-0013-8000).
    #[arg(long = "to", required = true)]
    to: Vec<String>,
    /// A template with {name} variables instead of TEXT.
    #[arg(long, conflicts_with = "text")]
    template: Option<String>,
    /// Template variable NAME=VALUE; repeat.
    #[arg(long = "var", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// Not before this time (RFC 3339, e.g. 2026-12-03T15:00:00+08:00).
    #[arg(long)]
    send_at: Option<String>,
    /// Signature instead of the link's, e.g. 【鸿雁物流】.
    #[arg(long)]
    signature: Option<String>,
    /// approval, reminder, notification (default) or bulk.
    #[arg(long)]
    priority: Option<String>,
    /// Retrying with the same key never sends twice.
    #[arg(long)]
    idempotency_key: Option<String>,
    /// notice (default) or marketing: marketing gets the opt-out suffix, skips opted-out
    /// numbers and those over the daily caps, and waits out quiet hours.
    #[arg(long)]
    category: Option<String>,
    /// Replies asked for.
    #[command(flatten)]
    replies: super::reply_args::ReplyArgs,
    /// The message text.
    text: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ApprovalCommand {
    /// Create a request from a JSON file (see the README), or `-` for standard input.
    Create {
        /// The request as JSON.
        file: std::path::PathBuf,
    },
    /// A request with each step.
    Show {
        /// The approval id.
        id: i64,
    },
    /// Decide a step as its approver.
    Decide {
        /// The approval id.
        id: i64,
        /// The step id (`show` lists them).
        #[arg(long)]
        step: i64,
        /// approve or reject.
        #[arg(value_parser = ["approve", "reject"])]
        decision: String,
        /// Why (shown to the applicant).
        #[arg(long)]
        comment: Option<String>,
    },
    /// Send the approval SMS again to every open approver.
    Resend {
        /// The approval id.
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Import a CSV (UTF-8 or GBK; columns name/姓名, phone/手机号, groups/分组, tags/标签).
    Import {
        /// The file.
        file: std::path::PathBuf,
    },
    /// List contacts.
    List {
        /// Only this group's members.
        #[arg(long)]
        group: Option<String>,
        /// Name or number containing this.
        #[arg(long)]
        search: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
// Parsed once per run: the size of the biggest variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum GroupCommand {
    /// Send to one or more groups (each number once) and follow the progress.
    Send {
        /// Group; repeat for several.
        #[arg(long = "group", required = true)]
        groups: Vec<String>,
        /// Signature, e.g. 【鸿雁】.
        #[arg(long)]
        signature: Option<String>,
        /// Not before this time (RFC 3339).
        #[arg(long)]
        send_at: Option<String>,
        /// Return once the job is accepted instead of following it.
        #[arg(long)]
        no_wait: bool,
        /// notice (default) or marketing (see `send --category`).
        #[arg(long)]
        category: Option<String>,
        /// Replies asked for.
        #[command(flatten)]
        replies: super::reply_args::ReplyArgs,
        /// The message text.
        text: String,
    },
    /// List groups with their member counts.
    List,
}

/// Prints where the replies to job `job` go, per link (a send that asked for replies).
async fn print_reply_to(c: &ApiClient, job: Option<i64>) -> Result<(), ClientError> {
    let Some(job) = job else {
        return Ok(());
    };
    let st = c
        .call("GET", &format!("/v1/messages/{job}?limit=1"), None)
        .await?;
    for (link, to) in st["reply_to"].as_object().into_iter().flatten() {
        outln!("  replies to {} via {link}", to.as_str().unwrap_or("?"));
    }
    Ok(())
}

/// A `--var` that is not `NAME=VALUE`.
#[derive(Debug, thiserror::Error)]
#[error("{0:?}: write NAME=VALUE")]
struct NotAVar(String);

fn parse_var(s: &str) -> Result<(String, String), NotAVar> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| NotAVar(s.to_owned()))
}

/// Runs one client command; API errors print their code and message.
pub fn run(remote: Remote, cmd: RemoteCommand) -> anyhow::Result<ExitCode> {
    remote.with_client(async |c, r| dispatch(c, r, cmd).await)
}

impl Remote {
    /// True with `--json`: print the API's JSON, not the summary.
    pub(super) fn json(&self) -> bool {
        self.json
    }

    /// Runs a client command `f` against the daemon; API errors print their code and
    /// message (or, with `--json`, the error body) and end in a failure status.
    pub(super) fn with_client<F>(&self, f: F) -> anyhow::Result<ExitCode>
    where
        F: AsyncFnOnce(&ApiClient, &Remote) -> Result<ExitCode, ClientError>,
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let token = self
            .token
            .clone()
            .unwrap_or_else(|| crate::config::DEMO_API_TOKEN.to_owned());
        let client = ApiClient::new(&self.api, Some(token));
        let remote = self;
        rt.block_on(async move {
            match f(&client, remote).await {
                Ok(code) => Ok(code),
                Err(ClientError::Api {
                    body,
                    status,
                    code,
                    message,
                }) => {
                    if remote.json {
                        outln!("{body}");
                    } else {
                        eprintln!("error: {status} {code}: {message}");
                        if let Some(d) = body["error"].get("details") {
                            print_details(d);
                        }
                    }
                    Ok(ExitCode::FAILURE)
                }
                Err(e) => Err(e.into()),
            }
        })
    }
}

async fn dispatch(c: &ApiClient, r: &Remote, cmd: RemoteCommand) -> Result<ExitCode, ClientError> {
    match cmd {
        RemoteCommand::Send(a) => {
            let mut body = json!({ "recipients": a.to });
            let obj = body
                .as_object_mut()
                .ok_or_else(|| ClientError::Url("body".into()))?;
            match (a.text, a.template) {
                (_, Some(t)) => {
                    obj.insert("template".into(), t.into());
                    let vars: BTreeMap<String, String> = a.vars.into_iter().collect();
                    obj.insert("variables".into(), json!(vars));
                }
                (Some(t), None) => {
                    obj.insert("text".into(), t.into());
                }
                (None, None) => {
                    eprintln!("error: give the TEXT or --template");
                    return Ok(ExitCode::FAILURE);
                }
            }
            for (k, v) in [
                ("send_at", a.send_at),
                ("signature", a.signature),
                ("priority", a.priority),
                ("idempotency_key", a.idempotency_key),
                ("category", a.category),
            ] {
                if let Some(v) = v {
                    obj.insert(k.into(), v.into());
                }
            }
            let asks_replies = match a.replies.to_json() {
                Ok(Some(spec)) => {
                    obj.insert("replies".into(), spec);
                    true
                }
                Ok(None) => false,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let v = c.call("POST", "/v1/messages", Some(&body)).await?;
            show(r, &v, |v| {
                outln!(
                    "job {} {} — {} accepted, {} rejected; {} segment(s) in all (what it costs)",
                    v["job_id"],
                    v["state"].as_str().unwrap_or("?"),
                    v["accepted"],
                    v["rejected"],
                    accepted_segments(&v["recipients"])
                );
                print_recipients(&v["recipients"]);
            });
            if asks_replies && !r.json {
                print_reply_to(c, v["job_id"].as_i64()).await?;
            }
        }
        RemoteCommand::ClosePoll { job } => {
            let v = c
                .call("POST", &format!("/v1/messages/{job}/close-poll"), None)
                .await?;
            show(r, &v, |v| {
                outln!(
                    "job {job}: replies closed at {}; later ones are not counted",
                    v["replies"]["closed_at"].as_str().unwrap_or("?")
                )
            });
        }
        RemoteCommand::Jobs { limit } => {
            let v = c
                .call("GET", &format!("/v1/messages?limit={limit}"), None)
                .await?;
            show(r, &v, |v| {
                for j in v["messages"].as_array().into_iter().flatten() {
                    let text: String = j["text"].as_str().unwrap_or("").chars().take(30).collect();
                    outln!(
                        "{:>7}  {}  {:<10} {:>6} recipient(s) {:>7} segment(s)  {}",
                        j["job_id"].to_string(),
                        j["created_at"].as_str().unwrap_or("?"),
                        j["state"].as_str().unwrap_or("?"),
                        j["recipients"].to_string(),
                        j["segments"].to_string(),
                        text
                    );
                }
            });
        }
        RemoteCommand::Status { job } => {
            // A large job's recipients come a page at a time (`next_after`); each page is
            // printed as it comes (with --json, one object per page).
            let mut path = format!("/v1/messages/{job}");
            let mut first = true;
            loop {
                let v = c.call("GET", &path, None).await?;
                show(r, &v, |v| {
                    if first {
                        outln!(
                            "job {} {}  created {}",
                            v["job_id"],
                            v["state"].as_str().unwrap_or("?"),
                            v["created_at"].as_str().unwrap_or("?")
                        );
                    }
                    for rec in v["recipients"].as_array().into_iter().flatten() {
                        outln!(
                            "  {}  {:<11} {}",
                            rec["number"].as_str().unwrap_or("?"),
                            rec["state"].as_str().unwrap_or("?"),
                            rec["last_error"].as_str().unwrap_or("")
                        );
                        for s in rec["segments"].as_array().into_iter().flatten() {
                            outln!(
                                "      part {} {:<11} msg id {}  {}{}",
                                s["part"],
                                s["state"].as_str().unwrap_or("?"),
                                s["msg_id"].as_str().unwrap_or("-"),
                                s["report_stat"]
                                    .as_str()
                                    .map(|x| format!("{x} "))
                                    .unwrap_or_default(),
                                s["report_meaning"]
                                    .as_str()
                                    .or(s["result_meaning"].as_str())
                                    .unwrap_or("")
                            );
                        }
                    }
                });
                first = false;
                match v["next_after"].as_i64() {
                    Some(after) => path = format!("/v1/messages/{job}?after={after}"),
                    None => break,
                }
            }
        }
        RemoteCommand::Cancel { job } => {
            let v = c
                .call("POST", &format!("/v1/messages/{job}/cancel"), None)
                .await?;
            show(r, &v, |v| {
                outln!(
                    "job {job}: {}",
                    v["result"]["outcome"].as_str().unwrap_or("?")
                )
            });
        }
        RemoteCommand::Links => {
            let v = c.call("GET", "/v1/links", None).await?;
            show(r, &v, |v| {
                outln!(
                    "{:<16} {:<7} {:<6} {:>5} {:>9} {:>10} {:>10} {:>8}  problem",
                    "link",
                    "proto",
                    "state",
                    "conns",
                    "in flight",
                    "acked",
                    "delivered",
                    "failed"
                );
                for l in v["links"].as_array().into_iter().flatten() {
                    outln!(
                        "{:<16} {:<7} {:<6} {:>5} {:>9} {:>10} {:>10} {:>8}  {}",
                        l["name"].as_str().unwrap_or("?"),
                        l["protocol"].as_str().unwrap_or("?"),
                        l["state"].as_str().unwrap_or("?"),
                        l["connections_up"].to_string(),
                        l["in_flight"].to_string(),
                        l["acknowledged"].to_string(),
                        l["delivered"].to_string(),
                        l["failed"].to_string(),
                        l["last_problem"].as_str().unwrap_or("")
                    );
                }
            });
        }
        RemoteCommand::Queue => {
            let v = c.call("GET", "/v1/queue", None).await?;
            show(r, &v, |v| {
                for (state, n) in v["segments"].as_object().into_iter().flatten() {
                    outln!("{state:<12} {n}");
                }
                outln!("{:<12} {}", "orphans", v["orphan_reports"]);
                for (hook, n) in v["webhook_backlog"].as_object().into_iter().flatten() {
                    outln!("webhook {hook}: {n} waiting");
                }
            });
        }
        RemoteCommand::Alerts => {
            let v = c.call("GET", "/v1/alerts", None).await?;
            show(r, &v, print_alerts);
        }
        RemoteCommand::Inbox {
            unread,
            limit,
            mark_read,
        } => {
            if let Some(id) = mark_read {
                let v = c
                    .call("POST", &format!("/v1/inbox/{id}/read"), None)
                    .await?;
                show(r, &v, |_| outln!("message {id} marked read"));
                return Ok(ExitCode::SUCCESS);
            }
            let v = c
                .call(
                    "GET",
                    &format!("/v1/inbox?unread={unread}&limit={limit}"),
                    None,
                )
                .await?;
            show(r, &v, |v| {
                for m in v["messages"].as_array().into_iter().flatten() {
                    let msg = &m["message"];
                    outln!(
                        "{:>5} {} {} {} → {}  [{}] {}",
                        m["id"].to_string(),
                        if m["read"].as_bool() == Some(true) {
                            " "
                        } else {
                            "*"
                        },
                        msg["received_at"].as_str().unwrap_or("?"),
                        msg["sender"].as_str().unwrap_or("?"),
                        msg["destination"].as_str().unwrap_or("?"),
                        m["route"].as_str().unwrap_or("-"),
                        msg["text"].as_str().unwrap_or("")
                    );
                }
            });
        }
        RemoteCommand::Approvals(a) => return approvals(c, r, a).await,
        RemoteCommand::Contacts(a) => return contacts(c, r, a).await,
        RemoteCommand::Group(a) => return group(c, r, a).await,
        RemoteCommand::OptOut(a) => return super::opt_out::run(c, r.json, a).await,
        RemoteCommand::Held(a) => return super::held::run(c, r.json, a).await,
        RemoteCommand::Reply { from, to, text } => {
            let v = c
                .call(
                    "POST",
                    "/v1/simulate/reply",
                    Some(&json!({ "from": from, "to": to, "text": text })),
                )
                .await?;
            show(r, &v, |v| {
                outln!(
                    "simulated carrier delivered {from} → {to} through {}",
                    v["link"].as_str().unwrap_or("?")
                )
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn approvals(
    c: &ApiClient,
    r: &Remote,
    cmd: ApprovalCommand,
) -> Result<ExitCode, ClientError> {
    let v = match cmd {
        ApprovalCommand::Create { file } => {
            let text = if file.as_os_str() == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                    .map_err(|e| ClientError::Url(e.to_string()))?;
                s
            } else {
                std::fs::read_to_string(&file)
                    .map_err(|e| ClientError::Url(format!("{}: {e}", file.display())))?
            };
            let body: Value = serde_json::from_str(&text)
                .map_err(|e| ClientError::Url(format!("{}: not JSON: {e}", file.display())))?;
            c.call("POST", "/v1/approvals", Some(&body)).await?
        }
        ApprovalCommand::Show { id } => c.call("GET", &format!("/v1/approvals/{id}"), None).await?,
        ApprovalCommand::Decide {
            id,
            step,
            decision,
            comment,
        } => {
            c.call(
                "POST",
                &format!("/v1/approvals/{id}/decide"),
                Some(&json!({ "step_id": step, "decision": decision, "comment": comment })),
            )
            .await?
        }
        ApprovalCommand::Resend { id } => {
            let v = c
                .call("POST", &format!("/v1/approvals/{id}/resend"), None)
                .await?;
            show(r, &v, |v| {
                outln!("approval {id}: asked {} approver(s) again", v["resent"])
            });
            return Ok(ExitCode::SUCCESS);
        }
    };
    show(r, &v, |v| {
        let a = if v.get("approval").is_some() {
            &v["approval"]
        } else {
            v
        };
        outln!(
            "approval {} {:?}: {}  (stage {} of {})",
            a["id"],
            a["title"].as_str().unwrap_or(""),
            a["state"].as_str().unwrap_or("?"),
            a["stage"].as_u64().map_or(0, |s| s + 1),
            a["stages"]
        );
        for s in a["steps"].as_array().into_iter().flatten() {
            outln!(
                "  step {:>4}  stage {}  {} {}  {:<9} ext {}  {}",
                s["id"].to_string(),
                s["stage"].as_u64().map_or(0, |s| s + 1),
                s["approver"]["name"].as_str().unwrap_or(""),
                s["approver"]["phone"].as_str().unwrap_or(""),
                s["state"].as_str().unwrap_or("?"),
                s["extension"].as_str().unwrap_or("-"),
                s["comment"].as_str().unwrap_or("")
            );
        }
    });
    Ok(ExitCode::SUCCESS)
}

async fn contacts(c: &ApiClient, r: &Remote, cmd: ContactCommand) -> Result<ExitCode, ClientError> {
    match cmd {
        ContactCommand::Import { file } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| ClientError::Url(format!("{}: {e}", file.display())))?;
            let total = bytes.len() as u64;
            let bar = if r.json {
                ProgressBar::hidden()
            } else {
                ProgressBar::new(total)
            };
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message(format!("uploading {}", file.display()));
            let shown = bar.clone();
            let progress: crate::api::client::Progress = std::sync::Arc::new(move |sent| {
                shown.set_position(sent);
                if sent >= total {
                    // The rows are checked and stored in one transaction on the server.
                    shown.set_message("importing…");
                    shown.enable_steady_tick(Duration::from_millis(120));
                }
            });
            let v = c
                .upload_with_progress(
                    "/v1/contacts/import",
                    "text/csv",
                    Bytes::from(bytes),
                    Some(progress),
                )
                .await;
            bar.finish_and_clear();
            let v = v?;
            show(r, &v, |v| {
                outln!(
                    "{} records ({}): {} created, {} updated, {} merged duplicates, {} bad rows",
                    v["records"],
                    v["encoding"].as_str().unwrap_or("?"),
                    v["created"],
                    v["updated"],
                    v["merged"].as_array().map_or(0, Vec::len),
                    v["bad"].as_array().map_or(0, Vec::len)
                );
                for b in v["bad"].as_array().into_iter().flatten() {
                    outln!(
                        "  line {:>6}  {:<8} {}",
                        b["line"].to_string(),
                        b["field"].as_str().unwrap_or(""),
                        b["reason"].as_str().unwrap_or("")
                    );
                }
            });
        }
        ContactCommand::List {
            group,
            search,
            limit,
        } => {
            let mut q = format!("/v1/contacts?limit={limit}");
            if let Some(g) = group {
                q.push_str(&format!("&group={}", encode(&g)));
            }
            if let Some(s) = search {
                q.push_str(&format!("&search={}", encode(&s)));
            }
            let v = c.call("GET", &q, None).await?;
            show(r, &v, |v| {
                for ct in v["contacts"].as_array().into_iter().flatten() {
                    outln!(
                        "{:>6} {} {:<10} {}",
                        ct["id"].to_string(),
                        ct["phone"].as_str().unwrap_or(""),
                        ct["name"].as_str().unwrap_or(""),
                        ct["groups"]
                            .as_array()
                            .map(|g| g
                                .iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(","))
                            .unwrap_or_default()
                    );
                }
                outln!(
                    "{} of {}",
                    v["contacts"].as_array().map_or(0, Vec::len),
                    v["total"]
                );
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn group(c: &ApiClient, r: &Remote, cmd: GroupCommand) -> Result<ExitCode, ClientError> {
    match cmd {
        GroupCommand::List => {
            let v = c.call("GET", "/v1/groups", None).await?;
            show(r, &v, |v| {
                for g in v["groups"].as_array().into_iter().flatten() {
                    outln!(
                        "{:<20} {} members",
                        g["name"].as_str().unwrap_or(""),
                        g["members"]
                    );
                }
            });
        }
        GroupCommand::Send {
            groups,
            signature,
            send_at,
            no_wait,
            category,
            replies,
            text,
        } => {
            let replies = match replies.to_json() {
                Ok(spec) => spec,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let asks_replies = replies.is_some();
            let mut body = json!({ "groups": groups, "text": text, "signature": signature, "send_at": send_at, "replies": replies });
            if let (Some(cat), Some(obj)) = (category, body.as_object_mut()) {
                obj.insert("category".into(), cat.into());
            }
            let v = c.call("POST", "/v1/groups/send", Some(&body)).await?;
            let Some(job) = v["job_id"].as_i64() else {
                show(r, &v, |_| outln!("nothing sent"));
                return Ok(ExitCode::FAILURE);
            };
            if asks_replies && !r.json {
                print_reply_to(c, Some(job)).await?;
            }
            if no_wait || send_at.is_some() {
                show(r, &v, |v| {
                    outln!("job {job}: {} recipients accepted", v["accepted"])
                });
                return Ok(ExitCode::SUCCESS);
            }
            let total = v["accepted"].as_u64().unwrap_or(0);
            let bar = if r.json {
                ProgressBar::hidden()
            } else {
                ProgressBar::new(total)
            };
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} settled  {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let progress = loop {
                let p = c
                    .call("GET", &format!("/v1/groups/sends/{job}"), None)
                    .await?;
                let done = p["done"].as_u64().unwrap_or(0);
                bar.set_position(done);
                bar.set_message(format!("delivered {}", p["counts"]["delivered"]));
                if done >= p["total"].as_u64().unwrap_or(total) {
                    break p;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            };
            bar.finish_and_clear();
            show(r, &progress, |p| {
                outln!("job {job}: {} of {} settled", p["done"], p["total"]);
                for (state, n) in p["counts"].as_object().into_iter().flatten() {
                    if n.as_u64().unwrap_or(0) > 0 {
                        outln!("  {state:<12} {n}");
                    }
                }
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn show(r: &Remote, v: &Value, human: impl FnOnce(&Value)) {
    if r.json {
        outln!("{v}");
    } else {
        human(v);
    }
    let _ = std::io::stdout().flush();
}

fn print_recipients(list: &Value) {
    for rec in list.as_array().into_iter().flatten() {
        match rec["outcome"].as_str() {
            Some("accepted") => outln!(
                "  {:<3} {}  {} via {}, {} segment(s)",
                rec["index"].to_string(),
                rec["number"].as_str().unwrap_or(""),
                rec["carrier"].as_str().unwrap_or(""),
                rec["via"].as_str().unwrap_or(""),
                rec["segments"]
            ),
            Some("rejected") => outln!(
                "  {:<3} {}  rejected: {}",
                rec["index"].to_string(),
                rec["input"].as_str().unwrap_or(""),
                rec["reason"].as_str().unwrap_or("")
            ),
            Some("skipped") => outln!(
                "  {:<3} {}  skipped by the sending rules: {}",
                rec["index"].to_string(),
                rec["input"].as_str().unwrap_or(""),
                rec["reason"].as_str().unwrap_or("")
            ),
            Some("duplicate") => outln!(
                "  {:<3} {}  duplicate of #{}",
                rec["index"].to_string(),
                rec["input"].as_str().unwrap_or(""),
                rec["first"]
            ),
            _ => outln!("  {rec}"),
        }
    }
}

/// Segments of the accepted recipients of a send's answer: what the job costs.
fn accepted_segments(list: &Value) -> u64 {
    list.as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["outcome"] == "accepted")
        .filter_map(|r| r["segments"].as_u64())
        .sum()
}

fn print_details(d: &Value) {
    if let Some(list) = d.get("recipients") {
        print_recipients(list);
    } else {
        eprintln!("  {d}");
    }
}

/// Percent-encodes a query value.
pub(super) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `hongyan alerts`: what fires, then the recent notices.
fn print_alerts(v: &Value) {
    let firing = v["firing"].as_array().map_or(&[][..], Vec::as_slice);
    if firing.is_empty() {
        outln!("no alert firing");
    } else {
        outln!("{:<16} {:<16} {:<25}  text", "alert", "subject", "since");
    }
    for a in firing {
        outln!(
            "{:<16} {:<16} {:<25}  {}",
            a["alert"].as_str().unwrap_or("?"),
            a["subject"].as_str().unwrap_or("?"),
            a["since"].as_str().unwrap_or("?"),
            a["text"].as_str().unwrap_or("")
        );
    }
    let recent = v["recent"].as_array().map_or(&[][..], Vec::as_slice);
    if !recent.is_empty() {
        outln!("");
        outln!(
            "{:<25} {:<16} {:<16} {:<8}  text",
            "at",
            "alert",
            "subject",
            "state"
        );
    }
    for e in recent {
        outln!(
            "{:<25} {:<16} {:<16} {:<8}  {}",
            e["at"].as_str().unwrap_or("?"),
            e["alert"].as_str().unwrap_or("?"),
            e["subject"].as_str().unwrap_or("?"),
            e["state"].as_str().unwrap_or("?"),
            e["text"].as_str().unwrap_or("")
        );
    }
}
