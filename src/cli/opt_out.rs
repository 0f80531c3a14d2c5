//! `hongyan opt-out list|add|remove|history`: the opt-out (退订) list of a running
//! daemon through its API (`/v1/opt-outs`). Changes need a token with the `all` scope and
//! are recorded with source `cli` and the token's name.

use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{Value, json};

use crate::api::client::{ApiClient, ClientError};

/// The opt-out list commands.
#[derive(Debug, Subcommand)]
pub enum OptOutCommand {
    /// Numbers on the list, newest first.
    List {
        /// Only numbers starting with these digits, e.g. 138 or 1380013.
        #[arg(long)]
        search: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// The next page: the id printed after the last line of the previous one.
        #[arg(long)]
        before: Option<i64>,
    },
    /// Put a number on the list (it then gets no marketing).
    Add {
        /// The number (any usual form: +86 138-0013-8000).
        number: String,
        /// The consent record: how and when the person refused (required).
        #[arg(long)]
        note: String,
    },
    /// Take a number off the list.
    Remove {
        /// The number.
        number: String,
        /// Why it may get marketing again, e.g. its new consent (required).
        #[arg(long)]
        reason: String,
    },
    /// A number's place on the list and every change to it.
    History {
        /// The number.
        number: String,
    },
}

/// Percent-encodes `s` for a URL path segment or query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// Runs one command; `json` prints the API's JSON instead of lines for people.
pub(super) async fn run(
    c: &ApiClient,
    json_out: bool,
    cmd: OptOutCommand,
) -> Result<ExitCode, ClientError> {
    let v = match cmd {
        OptOutCommand::List {
            search,
            limit,
            before,
        } => {
            let mut path = format!("/v1/opt-outs?limit={limit}");
            if let Some(s) = search {
                path.push_str(&format!("&search={}", encode(&s)));
            }
            if let Some(b) = before {
                path.push_str(&format!("&before={b}"));
            }
            let v = c.call("GET", &path, None).await?;
            if !json_out {
                print_list(&v);
            }
            v
        }
        OptOutCommand::Add { number, note } => {
            let body = json!({ "number": number, "note": note, "via": "cli" });
            let v = c.call("POST", "/v1/opt-outs", Some(&body)).await?;
            if !json_out {
                if v["added"].as_bool() == Some(true) {
                    outln!("{} is on the opt-out list", text(&v["number"]));
                } else {
                    outln!("{} was on the opt-out list already", text(&v["number"]));
                }
            }
            v
        }
        OptOutCommand::Remove { number, reason } => {
            let body = json!({ "reason": reason, "via": "cli" });
            let path = format!("/v1/opt-outs/{}", encode(&number));
            let v = c.call("DELETE", &path, Some(&body)).await?;
            if !json_out {
                outln!("{} is off the opt-out list", text(&v["number"]));
            }
            v
        }
        OptOutCommand::History { number } => {
            let path = format!("/v1/opt-outs/{}/history", encode(&number));
            let v = c.call("GET", &path, None).await?;
            if !json_out {
                print_history(&v);
            }
            v
        }
    };
    if json_out {
        outln!("{v}");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_list(v: &Value) {
    let items = v["opt_outs"].as_array().cloned().unwrap_or_default();
    outln!(
        "{} number(s) on the opt-out list{}",
        v["total"],
        if items.is_empty() { "" } else { ":" }
    );
    for e in &items {
        let why = match (e["text"].as_str(), e["note"].as_str()) {
            (Some(t), _) => format!("replied {t:?}"),
            (None, Some(n)) => n.to_owned(),
            (None, None) => String::new(),
        };
        outln!(
            "{:>6}  {}  {}  {} by {}  {}",
            e["id"].to_string(),
            text(&e["number"]),
            text(&e["opted_out_at"]),
            text(&e["source"]),
            text(&e["actor"]),
            why
        );
    }
    if let Some(next) = v["next_before"].as_i64() {
        outln!("more: --before {next}");
    }
}

fn print_history(v: &Value) {
    outln!(
        "{}: {}",
        text(&v["number"]),
        if v["opted_out"].as_bool() == Some(true) {
            "on the opt-out list"
        } else {
            "not on the opt-out list"
        }
    );
    for h in v["history"].as_array().into_iter().flatten() {
        let mut line = format!(
            "  {}  {:<7} {} by {}",
            text(&h["changed_at"]),
            text(&h["action"]),
            text(&h["source"]),
            text(&h["actor"])
        );
        if let Some(t) = h["text"].as_str() {
            line.push_str(&format!("  replied {t:?}"));
        }
        if let Some(l) = h["link"].as_str() {
            line.push_str(&format!(" on {l}"));
        }
        if let Some(n) = h["note"].as_str() {
            line.push_str(&format!("  — {n}"));
        }
        outln!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_searches_are_encoded_for_the_url() {
        assert_eq!(encode("13800138000"), "13800138000");
        assert_eq!(encode("+86 138-0013"), "%2B86%20138-0013");
    }
}
