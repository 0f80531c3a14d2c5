//! The rules serde cannot express. Each failure names the key; the first one found
//! stops start-up before anything opens a socket or a file.

use std::collections::HashSet;
use std::time::Duration;

use super::load::ConfigError;
use super::schema::{Config, Link, LinkProtocol, Secret};
use crate::route::PrefixTable;

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Check `config`, and fill `secret` / `gateway_password` from their `_env` variables.
pub(super) fn validate(config: &mut Config, env: Env<'_>) -> Result<(), ConfigError> {
    if config.storage.database.is_empty() || config.storage.database.contains(['/', '\\']) {
        return Err(ConfigError::invalid(
            "storage.database",
            "must be a file name inside data_dir, without slashes",
        ));
    }
    if config.api.max_body_bytes < 1024 {
        return Err(ConfigError::invalid(
            "api.max_body_bytes",
            "must be at least 1024",
        ));
    }
    if config.api.max_recipients == 0 {
        return Err(ConfigError::invalid(
            "api.max_recipients",
            "must be at least 1",
        ));
    }
    let mut token_names = HashSet::new();
    let mut token_values = HashSet::new();
    for (i, t) in config.api.tokens.iter_mut().enumerate() {
        let key = |field: &str| format!("api.token[{i}].{field}");
        unique_name(&t.name, &mut token_names, &key("name"), "token")?;
        t.token = resolve_secret(
            t.token.take(),
            t.token_env.as_deref(),
            &key("token"),
            &key("token_env"),
            env,
        )?;
        let Some(value) = t.token.as_ref().map(|s| s.expose().to_owned()) else {
            return Err(ConfigError::invalid(
                key("token"),
                "missing: set token, or token_env to the variable holding it",
            ));
        };
        if value.len() < 16 || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::invalid(
                key("token"),
                "must be at least 16 printable ASCII characters without spaces",
            ));
        }
        if !token_values.insert(value) {
            return Err(ConfigError::invalid(
                key("token"),
                "the same as an earlier token's; give each client its own",
            ));
        }
        if t.scopes.is_empty() {
            return Err(ConfigError::invalid(key("scopes"), "lists no scope"));
        }
    }
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&config.log.level) {
        return Err(ConfigError::invalid(
            "log.level",
            format!("not a log filter ({e}); use e.g. \"info\" or \"hongyan=debug,info\""),
        ));
    }
    config.alerts.validate()?;
    config.console.validate()?;
    if let Err(reason) = config.log.offset() {
        return Err(ConfigError::invalid("log.utc_offset", reason.to_string()));
    }
    in_range(
        "queue.default_validity",
        config.queue.default_validity,
        secs(60),
        secs(30 * 86_400),
    )?;
    if !config.queue.report_timeout.is_zero() {
        in_range(
            "queue.report_timeout",
            config.queue.report_timeout,
            secs(60),
            secs(30 * 86_400),
        )?;
    }
    if !config.storage.retention.is_zero() {
        in_range(
            "storage.retention",
            config.storage.retention,
            secs(86_400),
            secs(100 * 365 * 86_400),
        )?;
        if config.storage.retention < config.queue.report_timeout {
            return Err(ConfigError::invalid(
                "storage.retention",
                format!(
                    "{} is shorter than queue.report_timeout ({}): a job could be deleted \
                     while a report for it may still come",
                    humantime::format_duration(config.storage.retention),
                    humantime::format_duration(config.queue.report_timeout)
                ),
            ));
        }
    }

    if !config.workflow.remind_after.is_zero() {
        in_range(
            "workflow.remind_after",
            config.workflow.remind_after,
            secs(60),
            secs(30 * 86_400),
        )?;
    }
    in_range(
        "workflow.approval_validity",
        config.workflow.approval_validity,
        secs(60),
        secs(365 * 86_400),
    )?;
    in_range(
        "workflow.quarantine",
        config.workflow.quarantine,
        secs(0),
        secs(365 * 86_400),
    )?;
    if config
        .workflow
        .unmatched_answer
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        return Err(ConfigError::invalid(
            "workflow.unmatched_answer",
            "is empty; leave it out for no answer",
        ));
    }

    let mut hooks = HashSet::new();
    for (i, hook) in config.webhooks.iter_mut().enumerate() {
        let key = |field: &str| format!("webhook[{i}].{field}");
        unique_name(&hook.name, &mut hooks, &key("name"), "webhook")?;
        if let Err(reason) = crate::webhooks::parse_url(&hook.url) {
            return Err(ConfigError::invalid(key("url"), reason.to_string()));
        }
        hook.secret = resolve_secret(
            hook.secret.take(),
            hook.secret_env.as_deref(),
            &key("secret"),
            &key("secret_env"),
            env,
        )?;
        if hook.secret.as_ref().is_none_or(|s| s.expose().len() < 16) {
            return Err(ConfigError::invalid(
                key("secret"),
                "missing or shorter than 16 characters: set secret, or secret_env to the variable holding it",
            ));
        }
        if hook.events.is_empty() {
            return Err(ConfigError::invalid(key("events"), "lists no event"));
        }
        in_range(&key("timeout"), hook.timeout, secs(1), secs(300))?;
        in_range(&key("max_backoff"), hook.max_backoff, secs(1), secs(86_400))?;
    }

    let mut table = PrefixTable::builtin();
    let prefixes_key = config.routing.prefixes_key.as_str();
    for (prefix, carrier) in &config.routing.prefixes {
        table
            .extend(prefix, *carrier)
            .map_err(|e| ConfigError::invalid(format!("{prefixes_key}.{prefix}"), e.to_string()))?;
    }

    if config.links.is_empty() {
        return Err(ConfigError::invalid(
            "link",
            "no [[link]] configured: hongyan needs at least one carrier link",
        ));
    }
    let mut names = HashSet::new();
    for (i, link) in config.links.iter_mut().enumerate() {
        let key = |field: &str| format!("link[{i}].{field}");
        if !names.insert(link.name.clone()) {
            return Err(ConfigError::invalid(
                key("name"),
                format!(
                    "{:?} is used by an earlier link; names must be unique",
                    link.name
                ),
            ));
        }
        validate_link(link, &key, env)?;
    }

    let served: HashSet<_> = config.links.iter().map(Link::carrier).collect();
    for (from, to) in &config.routing.fallback {
        if from == to {
            return Err(ConfigError::invalid(
                format!("routing.fallback.{from}"),
                "a carrier cannot fall back to itself",
            ));
        }
        if !served.contains(to) {
            return Err(ConfigError::invalid(
                format!("routing.fallback.{from}"),
                format!(
                    "no link serves {} numbers, so {} numbers could not fall back to it",
                    to.full_name(),
                    from.full_name()
                ),
            ));
        }
    }
    Ok(())
}

fn validate_link(
    link: &mut Link,
    key: &dyn Fn(&str) -> String,
    env: Env<'_>,
) -> Result<(), ConfigError> {
    let bad = |field: &str, reason: String| Err(ConfigError::invalid(key(field), reason));
    if link.name.is_empty()
        || !link
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return bad(
            "name",
            format!("{:?}: use letters, digits, '-' and '_'", link.name),
        );
    }
    if !link.simulated {
        match &link.address {
            None => {
                return bad(
                    "address",
                    "missing: give the gateway's host:port, or set simulated = true".into(),
                );
            }
            Some(a) if !has_port(a) => return bad("address", format!("{a:?} is not host:port")),
            Some(_) => {}
        }
    }
    let sgip = link.protocol == LinkProtocol::Sgip;
    let (account_max, field_name) = match link.protocol {
        LinkProtocol::Cmpp2 | LinkProtocol::Cmpp3 => (6, "CMPP Source_Addr (SP_Id)"),
        LinkProtocol::Smgp => (8, "SMGP ClientID"),
        LinkProtocol::Sgip => (16, "SGIP Login Name"),
    };
    if link.account.is_empty() || link.account.len() > account_max {
        return bad(
            "account",
            format!("must be 1 to {account_max} bytes ({field_name})"),
        );
    }
    link.secret = resolve_secret(
        link.secret.take(),
        link.secret_env.as_deref(),
        &key("secret"),
        &key("secret_env"),
        env,
    )?;
    if link.secret.is_none() {
        return bad(
            "secret",
            "missing: set secret, or secret_env to the environment variable holding it".into(),
        );
    }
    if link.service_code.is_empty()
        || link.service_code.len() > 20
        || !link.service_code.bytes().all(|b| b.is_ascii_digit())
    {
        return bad(
            "service_code",
            format!("{:?} must be 1 to 20 digits", link.service_code),
        );
    }
    let room = 20usize.saturating_sub(link.service_code.len()).min(12);
    if usize::from(link.extension_length) > room {
        return bad(
            "extension_length",
            format!(
                "{} digits do not fit: service code {} leaves room for {room}",
                link.extension_length, link.service_code
            ),
        );
    }
    if link.service_id.len() > 10 {
        return bad("service_id", "must be at most 10 bytes".into());
    }
    if let Some(sp) = &link.sp_id {
        let max = if sgip { 5 } else { 6 };
        if sp.is_empty() || sp.len() > max {
            return bad("sp_id", format!("must be 1 to {max} bytes"));
        }
    }
    in_range_int(&key("window"), link.window.into(), 1, 1024)?;
    in_range_int(&key("rate"), link.rate.into(), 1, 100_000)?;
    in_range_int(&key("connections"), link.connections.into(), 1, 32)?;
    in_range_int(&key("max_attempts"), link.max_attempts.into(), 1, 10)?;
    in_range_int(
        &key("keepalive_missed"),
        link.keepalive_missed.into(),
        1,
        10,
    )?;
    in_range_int(&key("max_segments"), link.max_segments.into(), 1, 255)?;
    in_range(
        &key("response_timeout"),
        link.response_timeout,
        secs(1),
        secs(600),
    )?;
    in_range(
        &key("keepalive_interval"),
        link.keepalive_interval,
        secs(1),
        secs(3600),
    )?;
    in_range(
        &key("reconnect_initial"),
        link.reconnect_initial,
        Duration::from_millis(100),
        secs(600),
    )?;
    in_range(
        &key("reconnect_max"),
        link.reconnect_max,
        link.reconnect_initial,
        secs(3600),
    )?;
    in_range(
        &key("close_grace"),
        link.close_grace,
        Duration::ZERO,
        secs(600),
    )?;
    in_range(&key("idle_unbind"), link.idle_unbind, secs(1), secs(3600))?;
    if let Some(sig) = &link.signature {
        let n = sig.chars().count();
        if !(1..=20).contains(&n) {
            return bad(
                "signature",
                format!("{n} characters; a signature has 1 to 20"),
            );
        }
    }
    in_range_int(
        &key("coding.ascii_max_len"),
        link.coding.ascii_max_len as u64,
        8,
        160,
    )?;
    if !matches!(link.udh, 8 | 16) {
        return bad("udh", format!("{} is not 8 or 16", link.udh));
    }

    if sgip {
        if link.node_id.is_none() {
            return bad(
                "node_id",
                "missing: SGIP links need the node id Unicom assigned".into(),
            );
        }
        if !link.simulated {
            if link.listen.is_none() {
                return bad(
                    "listen",
                    "missing: SGIP needs an address where the gateway connects back".into(),
                );
            }
            if link.gateway_login.as_deref().is_none_or(str::is_empty) {
                return bad(
                    "gateway_login",
                    "missing: the login name the gateway binds with".into(),
                );
            }
        }
        link.gateway_password = resolve_secret(
            link.gateway_password.take(),
            link.gateway_password_env.as_deref(),
            &key("gateway_password"),
            &key("gateway_password_env"),
            env,
        )?;
        if !link.simulated && link.gateway_password.is_none() {
            return bad(
                "gateway_password",
                "missing: set gateway_password or gateway_password_env".into(),
            );
        }
    } else {
        let sgip_only = [
            ("node_id", link.node_id.is_some()),
            ("listen", link.listen.is_some()),
            ("gateway_login", link.gateway_login.is_some()),
            ("gateway_password", link.gateway_password.is_some()),
            ("gateway_password_env", link.gateway_password_env.is_some()),
            ("allow_from", !link.allow_from.is_empty()),
        ];
        if let Some((field, _)) = sgip_only.iter().find(|(_, set)| *set) {
            return bad(
                field,
                format!(
                    "only SGIP links take {field}; this link speaks {}",
                    link.protocol.name()
                ),
            );
        }
    }
    Ok(())
}

/// A name of letters, digits, `-` and `_`, not used by an earlier `what`.
fn unique_name(
    name: &str,
    seen: &mut HashSet<String>,
    key: &str,
    what: &str,
) -> Result<(), ConfigError> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ConfigError::invalid(key, "letters, digits, - and _ only"));
    }
    if !seen.insert(name.to_owned()) {
        return Err(ConfigError::invalid(
            key,
            format!("used by an earlier {what}"),
        ));
    }
    Ok(())
}

fn resolve_secret(
    inline: Option<Secret>,
    env_name: Option<&str>,
    inline_key: &str,
    env_key: &str,
    env: Env<'_>,
) -> Result<Option<Secret>, ConfigError> {
    match (inline, env_name) {
        (Some(_), Some(_)) => Err(ConfigError::invalid(
            env_key,
            format!("give either {inline_key} or {env_key}, not both"),
        )),
        (Some(s), None) => Ok(Some(s)),
        (None, Some(name)) => match env(name) {
            Some(value) if !value.is_empty() => Ok(Some(Secret(value))),
            _ => Err(ConfigError::invalid(
                env_key,
                format!("environment variable {name} is not set"),
            )),
        },
        (None, None) => Ok(None),
    }
}

fn has_port(addr: &str) -> bool {
    addr.rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0))
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn in_range(key: &str, value: Duration, min: Duration, max: Duration) -> Result<(), ConfigError> {
    if value < min || value > max {
        return Err(ConfigError::invalid(
            key,
            format!(
                "{} is outside {} to {}",
                humantime::format_duration(value),
                humantime::format_duration(min),
                humantime::format_duration(max)
            ),
        ));
    }
    Ok(())
}

fn in_range_int(key: &str, value: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if value < min || value > max {
        return Err(ConfigError::invalid(
            key,
            format!("{value} is outside {min} to {max}"),
        ));
    }
    Ok(())
}
