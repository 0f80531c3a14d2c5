//! The tracing subscriber for `hongyan run` and `hongyan demo`: human-readable lines by
//! default, one JSON object per line with `--log-format json` (or `log.format`), the
//! filter from `log.level`. Logs go to standard error, so the demo's report on standard
//! output stays clean. Passwords are never logged anywhere in hongyan; message text only
//! at debug.
//!
//! Timestamps carry their offset and are written in `log.utc_offset` (China time by
//! default, as the API shows times), not UTC with a bare `Z` that reads like local time.
//! Colour codes only when standard error is a terminal: journald and files get plain
//! text.

use std::io::IsTerminal;

use time::UtcOffset;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

use crate::config::LogFormat;

/// China Standard Time, the default offset of log timestamps.
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// RFC 3339 with milliseconds and the offset, e.g. `2026-12-07T09:08:24.574+08:00`.
const STAMP: &[BorrowedFormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
);

/// Log timestamps at a fixed offset from UTC.
#[derive(Debug, Clone, Copy)]
pub struct OffsetTimer(pub UtcOffset);

impl OffsetTimer {
    fn stamp(&self, at: time::OffsetDateTime) -> String {
        at.to_offset(self.0)
            .format(STAMP)
            .unwrap_or_else(|_| at.unix_timestamp().to_string())
    }
}

impl FormatTime for OffsetTimer {
    fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
        w.write_str(&self.stamp(time::OffsetDateTime::now_utc()))
    }
}

/// Why the logger could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// `log.level` (or `--log-level`) is not a tracing filter.
    #[error("log.level {level:?}: {reason}")]
    Level {
        /// The filter as given.
        level: String,
        /// What the filter parser said.
        reason: tracing_subscriber::filter::ParseError,
    },
    /// A global subscriber is already installed.
    #[error("cannot install the logger: {0}")]
    Install(Box<dyn std::error::Error + Send + Sync>),
}

/// Installs the global subscriber with timestamps in China time. Fails when `level` is
/// not a filter or a subscriber is already installed.
pub fn init(level: &str, format: LogFormat) -> Result<(), LoggingError> {
    init_at(level, format, CHINA)
}

/// Like [`init`], with timestamps at `offset` (`log.utc_offset`).
pub fn init_at(level: &str, format: LogFormat, offset: UtcOffset) -> Result<(), LoggingError> {
    let filter = EnvFilter::try_new(level).map_err(|reason| LoggingError::Level {
        level: level.to_owned(),
        reason,
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_timer(OffsetTimer(offset))
        .with_ansi(colour(std::io::stderr().is_terminal(), format))
        .with_writer(std::io::stderr);
    let done = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    done.map_err(LoggingError::Install)
}

/// Colour codes are for a person at a terminal; in journald, files and JSON they are
/// noise that breaks searching.
fn colour(terminal: bool, format: LogFormat) -> bool {
    terminal && format == LogFormat::Text
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_in_the_offset_asked_for_and_say_so() {
        let at = time::macros::datetime!(2026-12-06 17:08:24.574 UTC);
        assert_eq!(
            OffsetTimer(CHINA).stamp(at),
            "2026-12-07T01:08:24.574+08:00"
        );
        assert_eq!(
            OffsetTimer(UtcOffset::UTC).stamp(at),
            "2026-12-06T17:08:24.574+00:00"
        );
        let minus5 = UtcOffset::from_hms(-5, 0, 0).unwrap();
        assert_eq!(
            OffsetTimer(minus5).stamp(at),
            "2026-12-06T12:08:24.574-05:00"
        );
    }

    #[test]
    fn colour_only_for_text_on_a_terminal() {
        assert!(colour(true, LogFormat::Text));
        assert!(!colour(false, LogFormat::Text));
        assert!(!colour(true, LogFormat::Json));
    }
}
