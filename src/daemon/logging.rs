//! The tracing subscriber for `hongyan run` and `hongyan demo`: human-readable lines by
//! default, one JSON object per line with `--log-format json` (or `log.format`), the
//! filter from `log.level`. Logs go to standard error, so the demo's report on standard
//! output stays clean. Passwords are never logged anywhere in hongyan; message text only
//! at debug.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Fails when `level` is not a filter or a subscriber is
/// already installed.
pub fn init(level: &str, format: LogFormat) -> Result<(), String> {
    let filter = EnvFilter::try_new(level).map_err(|e| format!("log.level {level:?}: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let done = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    done.map_err(|e| format!("cannot install the logger: {e}"))
}
