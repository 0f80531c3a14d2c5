//! Durations in the config file as humans write them: `"30s"`, `"5m"`, `"48h"`,
//! `"1h 30m"`, `"500ms"` (the `humantime` syntax).

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// Deserialize a humantime duration string.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text)
        .map_err(|e| serde::de::Error::custom(format!("{e} (write e.g. \"30s\", \"5m\", \"48h\")")))
}

/// Serialize as a humantime string.
pub fn serialize<S: Serializer>(value: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&humantime::format_duration(*value).to_string())
}
