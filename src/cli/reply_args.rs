//! The flags a send (`hongyan send`, `hongyan group send`) takes to ask for replies —
//! `--collect`, or `--poll '1=满意,2=一般'` with `--accept first|last` and
//! `--closes-at` — and the `replies` object of the API request they make.

use clap::Args;
use serde_json::{Map, Value, json};

/// Replies a send asks for.
#[derive(Debug, Clone, Default, Args)]
pub struct ReplyArgs {
    /// Keep every reply with its recipient (replies come to an extension of this send's
    /// own).
    #[arg(long, conflicts_with = "poll")]
    collect: bool,
    /// A poll: its options as KEY=TEXT separated by commas, e.g. '1=满意,2=一般,3=不满意';
    /// a reply of the key or the text counts, however it is written.
    #[arg(long, value_name = "OPTIONS")]
    poll: Option<String>,
    /// Which answer counts when someone answers twice: first (default) or last.
    #[arg(long, value_parser = ["first", "last"], requires = "poll")]
    accept: Option<String>,
    /// Replies after this time (RFC 3339, e.g. 2026-12-03T18:00:00+08:00) are not
    /// counted.
    #[arg(long, value_name = "TIME")]
    closes_at: Option<String>,
}

/// A `--poll` value that is not KEY=TEXT,….
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("--poll: {0:?} is not KEY=TEXT (write e.g. '1=满意,2=一般')")]
pub struct BadOption(String);

/// `--closes-at` without `--collect` or `--poll`.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyArgError {
    /// An option not in KEY=TEXT form.
    #[error(transparent)]
    Option(#[from] BadOption),
    /// A closing time for a send that asks for no replies.
    #[error("--closes-at needs --collect or --poll")]
    ClosesWithoutReplies,
}

impl ReplyArgs {
    /// The request's `replies` object; `None` when the send asks for none.
    pub fn to_json(&self) -> Result<Option<Value>, ReplyArgError> {
        let mut spec = match (&self.poll, self.collect) {
            (Some(options), _) => json!({ "mode": "poll", "options": parse_options(options)? }),
            (None, true) => json!({ "mode": "collect" }),
            (None, false) if self.closes_at.is_some() => {
                return Err(ReplyArgError::ClosesWithoutReplies);
            }
            (None, false) => return Ok(None),
        };
        if let Some(obj) = spec.as_object_mut() {
            if let Some(accept) = &self.accept {
                obj.insert("accept".into(), accept.clone().into());
            }
            if let Some(at) = &self.closes_at {
                obj.insert("closes_at".into(), at.clone().into());
            }
        }
        Ok(Some(spec))
    }
}

/// `1=满意,2=一般` (full-width commas and equals signs too) as a map in that order; the
/// daemon checks the options themselves (duplicates, empty texts).
fn parse_options(s: &str) -> Result<Map<String, Value>, BadOption> {
    let mut out = Map::new();
    for item in s
        .split([',', '，'])
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        let (key, text) = item
            .split_once(['=', '＝'])
            .map(|(k, t)| (k.trim(), t.trim()))
            .filter(|(k, t)| !k.is_empty() && !t.is_empty())
            .ok_or_else(|| BadOption(item.to_owned()))?;
        if out.contains_key(key) {
            return Err(BadOption(format!("{key} given twice")));
        }
        out.insert(key.to_owned(), text.into());
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn poll(options: &str) -> ReplyArgs {
        ReplyArgs {
            poll: Some(options.into()),
            ..ReplyArgs::default()
        }
    }

    #[test]
    fn poll_options_keep_their_order_and_the_other_flags_ride_along() {
        let mut a = poll("2=一般, 1=满意，3＝不满意");
        a.accept = Some("last".into());
        a.closes_at = Some("2026-12-03T18:00:00+08:00".into());
        let v = a.to_json().unwrap().unwrap();
        assert_eq!(
            v.to_string(),
            r#"{"mode":"poll","options":{"2":"一般","1":"满意","3":"不满意"},"accept":"last","closes_at":"2026-12-03T18:00:00+08:00"}"#
        );
    }

    #[test]
    fn collect_asks_for_every_reply_and_no_flag_for_none() {
        let a = ReplyArgs {
            collect: true,
            ..ReplyArgs::default()
        };
        assert_eq!(a.to_json().unwrap(), Some(json!({"mode": "collect"})));
        assert_eq!(ReplyArgs::default().to_json().unwrap(), None);
        let late = ReplyArgs {
            closes_at: Some("2026-12-03T18:00:00+08:00".into()),
            ..ReplyArgs::default()
        };
        assert_eq!(
            late.to_json().unwrap_err(),
            ReplyArgError::ClosesWithoutReplies
        );
    }

    #[test]
    fn a_malformed_option_is_named() {
        for (bad, named) in [
            ("1=满意,2", "2"),
            ("=满意", "=满意"),
            ("1=", "1="),
            ("1=满意,1=一般", "1 given twice"),
        ] {
            let err = poll(bad).to_json().unwrap_err();
            assert_eq!(err, ReplyArgError::Option(BadOption(named.into())), "{bad}");
            assert!(err.to_string().starts_with("--poll:"), "{err}");
        }
    }
}
