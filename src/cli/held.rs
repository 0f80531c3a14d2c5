//! `hongyan held list|release|reject`: jobs the sending rules held for review (a text
//! with a sensitive word under `policy.sensitive = "review"`), through a running
//! daemon's API. Releasing and rejecting need a token with the `all` scope.

use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{Value, json};

use crate::api::client::{ApiClient, ClientError};

/// The held-job commands.
#[derive(Debug, Subcommand)]
pub enum HeldCommand {
    /// Jobs waiting for review, oldest first.
    List {
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Let a held job go (at its send time; now if that has passed).
    Release {
        /// The job id.
        job: i64,
    },
    /// Refuse a held job: it is cancelled and never sent.
    Reject {
        /// The job id.
        job: i64,
    },
}

/// One line per held job: id, recipients, why, and the text as it would go out.
fn print_list(v: &Value) {
    let held = v["held"].as_array().cloned().unwrap_or_default();
    if held.is_empty() {
        outln!("no job is held for review");
    }
    for h in held {
        outln!(
            "job {:>7}  {} recipient(s)  {}  {}",
            h["job_id"].to_string(),
            h["recipients"],
            h["hold_reason"].as_str().unwrap_or(""),
            h["sent_text"].as_str().unwrap_or("")
        );
    }
}

/// Runs one command; `json` prints the API's JSON instead of lines for people.
pub(super) async fn run(
    c: &ApiClient,
    json_out: bool,
    cmd: HeldCommand,
) -> Result<ExitCode, ClientError> {
    let v = match cmd {
        HeldCommand::List { limit } => {
            let v = c
                .call("GET", &format!("/v1/held?limit={limit}"), None)
                .await?;
            if !json_out {
                print_list(&v);
            }
            v
        }
        HeldCommand::Release { job } => {
            let v = c
                .call(
                    "POST",
                    &format!("/v1/messages/{job}/release"),
                    Some(&json!({})),
                )
                .await?;
            if !json_out {
                outln!(
                    "job {job} released: {}",
                    v["result"]["state"].as_str().unwrap_or("queued")
                );
            }
            v
        }
        HeldCommand::Reject { job } => {
            let v = c
                .call(
                    "POST",
                    &format!("/v1/messages/{job}/reject"),
                    Some(&json!({})),
                )
                .await?;
            if !json_out {
                outln!(
                    "job {job} rejected: {} recipient(s) will not be sent",
                    v["result"]["recipients"]
                );
            }
            v
        }
    };
    if json_out {
        outln!("{v}");
    }
    Ok(ExitCode::SUCCESS)
}
