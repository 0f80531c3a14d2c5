//! Every kind of bad config gives an error naming the key; good configs parse with
//! their defaults.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use super::*;
use crate::route::Carrier;

const GOOD: &str = r#"
[storage]
data_dir = "/var/lib/hongyan"

[api]
listen = "0.0.0.0:8080"

[[api.token]]
name = "erp"
token = "erp-token-0123456789"
scopes = ["send", "read"]

[log]
format = "json"
level = "hongyan=debug,info"

[queue]
resend_unconfirmed = true
default_validity = "24h"
report_timeout = "96h"

[workflow]
remind_after = "4h"
approval_validity = "72h"

[routing]
portability_file = "/etc/hongyan/ported.csv"
[routing.prefixes]
"1929" = "broadnet"
[routing.fallback]
broadnet = "mobile"

[[link]]
name = "cmcc"
protocol = "cmpp3"
address = "10.1.1.1:7890"
account = "901234"
secret = "s3cret"
service_code = "10690123"
window = 64
rate = 500
connections = 2
response_timeout = "30s"
signature = "【鸿雁物流】"
coding = { gbk = "single", gbk_fallback_ucs2 = true }

[[link]]
name = "unicom"
protocol = "sgip"
address = "10.2.2.2:8801"
account = "hongyan"
secret_env = "UNICOM_SECRET"
service_code = "10655012"
node_id = 3012345678
listen = "0.0.0.0:8801"
gateway_login = "unicom"
gateway_password = "gw"
allow_from = ["10.2.2.2"]

[[webhook]]
name = "shop"
url = "http://10.3.3.3:9000/hooks"
secret = "0123456789abcdef"
events = ["delivery_report", "inbound"]
"#;

fn with_env(text: &str) -> Result<Config, ConfigError> {
    let de = toml::de::Deserializer::parse(text)
        .map_err(|e| ConfigError::invalid("(file)", e.to_string()))?;
    let mut config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
        ConfigError::invalid(
            super::load::key_path(e.path()),
            e.into_inner().message().to_string(),
        )
    })?;
    super::validate::validate(&mut config, &|name| {
        (name == "UNICOM_SECRET").then(|| "from-env".to_string())
    })?;
    Ok(config)
}

/// Replace `from` with `to` in the good config (exactly once) and return the error key.
fn key_of_error(from: &str, to: &str) -> (String, String) {
    assert_eq!(
        GOOD.matches(from).count(),
        1,
        "{from:?} must occur once in GOOD"
    );
    match with_env(&GOOD.replacen(from, to, 1)) {
        Ok(_) => panic!("{to:?} should be rejected"),
        Err(ConfigError::Invalid { key, reason }) => (key, reason),
        Err(e) => panic!("unexpected error {e}"),
    }
}

#[test]
fn number_prefixes_are_read_under_their_old_name_too_and_errors_name_the_key_as_written() {
    let new = with_env(GOOD).unwrap();
    assert_eq!(new.routing.prefixes.get("1929"), Some(&Carrier::Broadnet));
    assert_eq!(new.routing.prefixes_key, PrefixesKey::Prefixes);
    let old_text = GOOD.replacen("[routing.prefixes]", "[routing.segments]", 1);
    let old = with_env(&old_text).unwrap();
    assert_eq!(old.routing.prefixes, new.routing.prefixes);
    assert_eq!(old.routing.prefixes_key, PrefixesKey::Segments);
    match with_env(&old_text.replacen("\"1929\" = \"broadnet\"", "\"0755\" = \"broadnet\"", 1)) {
        Err(ConfigError::Invalid { key, .. }) => assert_eq!(key, "routing.segments.0755"),
        other => panic!("expected an invalid old-named prefix, got {other:?}"),
    }
}

#[test]
fn number_prefixes_under_both_names_are_an_error_naming_both() {
    let (key, reason) = key_of_error(
        "[routing.fallback]",
        "[routing.segments]\n\"1930\" = \"broadnet\"\n[routing.fallback]",
    );
    assert_eq!(key, "routing");
    assert!(
        reason.contains("[routing.prefixes]") && reason.contains("[routing.segments]"),
        "{reason}"
    );
}

#[test]
fn good_config_parses_with_values_and_defaults() {
    let c = with_env(GOOD).unwrap();
    assert_eq!(
        c.storage.data_dir,
        std::path::PathBuf::from("/var/lib/hongyan")
    );
    assert_eq!(c.log.format, LogFormat::Json);
    assert!(c.queue.resend_unconfirmed);
    assert_eq!(c.queue.default_validity, Duration::from_secs(86_400));
    assert_eq!(c.queue.report_timeout, Duration::from_secs(96 * 3600));
    assert_eq!(c.storage.retention, Duration::from_secs(180 * 86_400));
    let forever = with_env(&GOOD.replace(
        "data_dir = \"/var/lib/hongyan\"",
        "data_dir = \"/var/lib/hongyan\"\nretention = \"0s\"",
    ))
    .unwrap();
    assert!(forever.storage.retention.is_zero());
    assert_eq!(
        c.routing.fallback.get(&Carrier::Broadnet),
        Some(&Carrier::Mobile)
    );
    let cmcc = &c.links[0];
    assert_eq!((cmcc.window, cmcc.rate, cmcc.connections), (64, 500, 2));
    assert_eq!(cmcc.carrier(), Carrier::Mobile);
    assert_eq!(cmcc.max_attempts, 3, "default");
    assert_eq!(cmcc.keepalive_interval, Duration::from_secs(30), "default");
    assert_eq!(cmcc.coding.gbk, CodingUse::Single);
    assert_eq!(cmcc.coding.ascii, CodingUse::Single, "default");
    let unicom = &c.links[1];
    assert_eq!(unicom.secret.as_ref().map(Secret::expose), Some("from-env"));
    assert_eq!(unicom.carrier(), Carrier::Unicom);
}

#[test]
fn every_webhook_event_is_named_in_the_config_as_it_is_sent() {
    use super::schema::WebhookEvent;
    let all = [
        WebhookEvent::DeliveryReport,
        WebhookEvent::Inbound,
        WebhookEvent::ApprovalDecision,
        WebhookEvent::Unreported,
        WebhookEvent::Alert,
    ];
    let names: Vec<String> = all.iter().map(|e| format!("{:?}", e.name())).collect();
    let c = with_env(&GOOD.replacen(
        "events = [\"delivery_report\", \"inbound\"]",
        &format!("events = [{}]", names.join(", ")),
        1,
    ))
    .unwrap();
    assert_eq!(c.webhooks[0].events, all);
}

#[test]
fn secrets_never_show_in_debug_output() {
    let c = with_env(GOOD).unwrap();
    let debug = format!("{c:?}");
    assert!(
        !debug.contains("s3cret") && !debug.contains("from-env") && !debug.contains("\"gw\""),
        "{debug}"
    );
}

#[test]
fn type_and_unknown_key_errors_name_the_key() {
    assert_eq!(
        key_of_error("window = 64", "window = \"big\"").0,
        "link[0].window"
    );
    let (key, reason) = key_of_error("window = 64", "windw = 64");
    assert_eq!(key, "link[0].windw");
    assert!(
        reason.contains("unknown field") && reason.contains("window"),
        "{reason}"
    );
    assert_eq!(
        key_of_error("protocol = \"cmpp3\"", "protocol = \"cmpp4\"").0,
        "link[0].protocol"
    );
    assert_eq!(
        key_of_error("format = \"json\"", "format = \"xml\"").0,
        "log.format"
    );
    assert_eq!(
        key_of_error("listen = \"0.0.0.0:8080\"", "listen = \"nowhere\"").0,
        "api.listen"
    );
    assert_eq!(
        key_of_error("default_validity = \"24h\"", "default_validity = \"soon\"").0,
        "queue.default_validity"
    );
    assert_eq!(
        key_of_error("broadnet = \"mobile\"", "broadnet = \"orange\"").0,
        "routing.fallback.broadnet"
    );
    assert_eq!(key_of_error("name = \"cmcc\"\n", "").0, "link[0]");
}

/// Found by the `config_load` fuzz target: an unknown key spelled `""` (the empty key,
/// valid TOML) gave an error naming no key at all.
#[test]
fn an_empty_key_is_named_as_toml_writes_it() {
    let (key, reason) = key_of_error("window = 64", "\"\" = 64");
    assert_eq!(key, "link[0].\"\"");
    assert!(reason.contains("unknown field"), "{reason}");
    match parse("\"\" = 8\n") {
        Err(ConfigError::Invalid { key, .. }) => assert_eq!(key, "\"\""),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn value_errors_name_the_key() {
    let cases = [
        ("window = 64", "window = 0", "link[0].window"),
        ("rate = 500", "rate = 0", "link[0].rate"),
        ("connections = 2", "connections = 99", "link[0].connections"),
        (
            "response_timeout = \"30s\"",
            "response_timeout = \"0s\"",
            "link[0].response_timeout",
        ),
        (
            "address = \"10.1.1.1:7890\"",
            "address = \"10.1.1.1\"",
            "link[0].address",
        ),
        ("address = \"10.1.1.1:7890\"\n", "", "link[0].address"),
        (
            "account = \"901234\"",
            "account = \"9012345\"",
            "link[0].account",
        ),
        ("secret = \"s3cret\"\n", "", "link[0].secret"),
        (
            "service_code = \"10690123\"",
            "service_code = \"1069O123\"",
            "link[0].service_code",
        ),
        (
            "signature = \"【鸿雁物流】\"",
            "signature = \"\"",
            "link[0].signature",
        ),
        ("coding = { gbk", "udh = 12\ncoding = { gbk", "link[0].udh"),
        (
            "coding = { gbk",
            "extension_length = 13\ncoding = { gbk",
            "link[0].extension_length",
        ),
        ("name = \"unicom\"", "name = \"cmcc\"", "link[1].name"),
        ("name = \"unicom\"", "name = \"uni com\"", "link[1].name"),
        ("node_id = 3012345678\n", "", "link[1].node_id"),
        ("gateway_login = \"unicom\"\n", "", "link[1].gateway_login"),
        ("listen = \"0.0.0.0:8801\"\n", "", "link[1].listen"),
        (
            "secret_env = \"UNICOM_SECRET\"",
            "secret_env = \"MISSING_VAR\"",
            "link[1].secret_env",
        ),
        (
            "secret_env = \"UNICOM_SECRET\"",
            "secret_env = \"UNICOM_SECRET\"\nsecret = \"x\"",
            "link[1].secret_env",
        ),
        (
            "coding = { gbk",
            "node_id = 1\ncoding = { gbk",
            "link[0].node_id",
        ),
        (
            "\"1929\" = \"broadnet\"",
            "\"0755\" = \"broadnet\"",
            "routing.prefixes.0755",
        ),
        (
            "broadnet = \"mobile\"",
            "broadnet = \"telecom\"",
            "routing.fallback.broadnet",
        ),
        (
            "broadnet = \"mobile\"",
            "mobile = \"mobile\"",
            "routing.fallback.mobile",
        ),
        (
            "level = \"hongyan=debug,info\"",
            "level = \"hongyan=loud\"",
            "log.level",
        ),
        (
            "data_dir = \"/var/lib/hongyan\"",
            "data_dir = \"/var/lib/hongyan\"\ndatabase = \"a/b.db\"",
            "storage.database",
        ),
        (
            "remind_after = \"4h\"",
            "remind_after = \"5s\"",
            "workflow.remind_after",
        ),
        (
            "report_timeout = \"96h\"",
            "report_timeout = \"90d\"",
            "queue.report_timeout",
        ),
        (
            "data_dir = \"/var/lib/hongyan\"",
            "data_dir = \"/var/lib/hongyan\"\nretention = \"1h\"",
            "storage.retention",
        ),
        (
            "data_dir = \"/var/lib/hongyan\"",
            "data_dir = \"/var/lib/hongyan\"\nretention = \"forever\"",
            "storage.retention",
        ),
        (
            "data_dir = \"/var/lib/hongyan\"",
            "data_dir = \"/var/lib/hongyan\"\nretention = \"2d\"",
            "storage.retention",
        ),
        (
            "report_timeout = \"96h\"",
            "report_timeout = \"later\"",
            "queue.report_timeout",
        ),
        (
            "approval_validity = \"72h\"",
            "approval_validity = \"1s\"",
            "workflow.approval_validity",
        ),
        (
            "remind_after = \"4h\"",
            "remind_after = \"4h\"\nunmatched_answer = \" \"",
            "workflow.unmatched_answer",
        ),
        ("name = \"erp\"", "name = \"e rp\"", "api.token[0].name"),
        (
            "token = \"erp-token-0123456789\"",
            "token = \"short\"",
            "api.token[0].token",
        ),
        (
            "token = \"erp-token-0123456789\"",
            "token = \"erp token 0123456789\"",
            "api.token[0].token",
        ),
        (
            "token = \"erp-token-0123456789\"",
            "token_env = \"NOT_SET_ANYWHERE\"",
            "api.token[0].token_env",
        ),
        (
            "token = \"erp-token-0123456789\"",
            "token = \"erp-token-0123456789\"\ntoken_env = \"X\"",
            "api.token[0].token_env",
        ),
        (
            "scopes = [\"send\", \"read\"]",
            "scopes = []",
            "api.token[0].scopes",
        ),
        (
            "scopes = [\"send\", \"read\"]",
            "scopes = [\"root\"]",
            "api.token[0].scopes[0]",
        ),
        (
            "scopes = [\"send\", \"read\"]",
            "scopes = [\"all\"]\n\n[[api.token]]\nname = \"erp\"\ntoken = \"other-token-0123456789\"\nscopes = [\"read\"]",
            "api.token[1].name",
        ),
        (
            "scopes = [\"send\", \"read\"]",
            "scopes = [\"all\"]\n\n[[api.token]]\nname = \"bi\"\ntoken = \"erp-token-0123456789\"\nscopes = [\"read\"]",
            "api.token[1].token",
        ),
        ("name = \"shop\"", "name = \"sh op\"", "webhook[0].name"),
        (
            "url = \"http://10.3.3.3:9000/hooks\"",
            "url = \"https://10.3.3.3/hooks\"",
            "webhook[0].url",
        ),
        (
            "secret = \"0123456789abcdef\"",
            "secret = \"short\"",
            "webhook[0].secret",
        ),
        (
            "events = [\"delivery_report\", \"inbound\"]",
            "events = []",
            "webhook[0].events",
        ),
        (
            "events = [\"delivery_report\", \"inbound\"]",
            "events = [\"inbound\"]\ntimeout = \"0s\"",
            "webhook[0].timeout",
        ),
    ];
    for (from, to, key) in cases {
        let (got, reason) = key_of_error(from, to);
        assert_eq!(got, key, "{from:?} → {to:?}: {reason}");
        assert!(!reason.is_empty());
    }
}

#[test]
fn no_links_is_an_error() {
    let err = parse("[api]\nlisten = \"127.0.0.1:0\"\n").unwrap_err();
    assert_eq!(err.key(), Some("link"));
}

#[test]
fn syntax_errors_give_line_and_column() {
    let err = parse("[api]\nlisten = \n").unwrap_err();
    assert_eq!(err.key(), Some("(file)"));
    assert!(err.to_string().contains("line 2"), "{err}");
}

#[test]
fn embedded_default_is_valid_demo_mode() {
    let c = Config::embedded_default().unwrap();
    assert!(c.is_demo());
    let protocols: Vec<_> = c.links.iter().map(|l| l.protocol).collect();
    assert_eq!(
        protocols,
        vec![LinkProtocol::Cmpp3, LinkProtocol::Smgp, LinkProtocol::Sgip]
    );
    let carriers: Vec<_> = c.links.iter().map(Link::carrier).collect();
    assert_eq!(
        carriers,
        vec![Carrier::Mobile, Carrier::Telecom, Carrier::Unicom]
    );
}

#[test]
fn read_errors_name_the_file() {
    let err = load_file(std::path::Path::new("/nonexistent/hongyan.toml")).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/hongyan.toml"),
        "{err}"
    );
}

#[test]
fn example_config_documents_a_valid_file() {
    let text = include_str!("../../config/hongyan.example.toml");
    let de = toml::de::Deserializer::parse(text).unwrap();
    let mut config: Config = serde_path_to_error::deserialize(de).unwrap();
    super::validate::validate(&mut config, &|name| Some(format!("value-of-{name}"))).unwrap();
    assert_eq!(config.links.len(), 3);
    assert_eq!(
        config.links[2].secret.as_ref().map(Secret::expose),
        Some("value-of-HONGYAN_UNICOM_SECRET")
    );
    assert_eq!(config.api.tokens.len(), 2);
    assert_eq!(
        config.api.tokens[0].token.as_ref().map(Secret::expose),
        Some("value-of-HONGYAN_SHOP_TOKEN")
    );
    // Every key of Link appears in the example, so operators can see them all.
    let link_keys = [
        "name",
        "protocol",
        "carrier",
        "simulated",
        "address",
        "account",
        "secret",
        "secret_env",
        "service_code",
        "extension_length",
        "service_id",
        "sp_id",
        "window",
        "rate",
        "connections",
        "response_timeout",
        "max_attempts",
        "keepalive_interval",
        "keepalive_missed",
        "reconnect_initial",
        "reconnect_max",
        "close_grace",
        "status_reports",
        "signature",
        "signature_position",
        "carrier_adds_signature",
        "udh",
        "max_segments",
        "node_id",
        "listen",
        "gateway_login",
        "gateway_password",
        "allow_from",
        "idle_unbind",
        "ascii",
        "ascii_max_len",
        "gbk",
        "gbk_fallback_ucs2",
        "data_dir",
        "database",
        "synchronous",
        "max_body_bytes",
        "max_recipients",
        "format",
        "level",
        "resend_unconfirmed",
        "default_validity",
        "report_timeout",
        "portability_file",
    ];
    for key in link_keys {
        assert!(
            text.contains(&format!("{key} =")) || text.contains(&format!("# {key} =")),
            "{key} undocumented"
        );
    }
}

#[test]
fn log_timestamps_default_to_china_time_and_take_an_offset() {
    use super::schema::parse_utc_offset;
    let c = with_env(GOOD).unwrap();
    assert_eq!(c.log.offset().unwrap().whole_hours(), 8);
    assert_eq!(parse_utc_offset("-05:30").unwrap().whole_minutes(), -330);
    assert_eq!(parse_utc_offset("+00:00").unwrap(), time::UtcOffset::UTC);
    assert_eq!(parse_utc_offset("Z").unwrap(), time::UtcOffset::UTC);
    for bad in ["8", "+8", "+24:00", "+08:60", "China"] {
        assert!(parse_utc_offset(bad).is_err(), "{bad}");
    }
    let (key, reason) = key_of_error("[log]\n", "[log]\nutc_offset = \"CST\"\n");
    assert_eq!(key, "log.utc_offset", "{reason}");
}

#[test]
fn alerts_default_to_the_documented_thresholds() {
    let c = with_env(GOOD).unwrap();
    assert_eq!(c.alerts, Alerts::default());
    assert!(c.alerts.enabled);
    assert_eq!(c.alerts.evaluate_every, Duration::from_secs(30));
    assert_eq!(c.alerts.link_down_after, Duration::from_secs(300));
    assert_eq!(c.alerts.queue_age, Duration::from_secs(600));
    assert_eq!(c.alerts.signature, "【鸿雁告警】");
    assert_eq!(c.alerts.sms_per_hour, 10);
    let c = with_env(&format!(
        "{GOOD}\n[alerts]\non_call = [\"+86 138-0013-8000\"]\nqueue_age = \"20m\"\nsignature = \"【值班】\"\n"
    ))
    .unwrap();
    assert_eq!(c.alerts.queue_age, Duration::from_secs(1200));
    assert_eq!(c.alerts.on_call, ["+86 138-0013-8000"]);
}

#[test]
fn bad_alert_settings_name_their_key() {
    let bad = |body: &str| match with_env(&format!("{GOOD}\n[alerts]\n{body}\n")) {
        Ok(_) => panic!("{body:?} should be rejected"),
        Err(ConfigError::Invalid { key, reason }) => (key, reason),
        Err(e) => panic!("unexpected error {e}"),
    };
    for (body, key) in [
        ("evaluate_every = \"0s\"", "alerts.evaluate_every"),
        ("queue_age = \"10s\"", "alerts.queue_age"),
        ("sms_per_hour = 0", "alerts.sms_per_hour"),
        (
            "reports_missing_percent = 100",
            "alerts.reports_missing_percent",
        ),
        ("disk_free_percent = 60", "alerts.disk_free_percent"),
        ("signature = \"鸿雁告警\"", "alerts.signature"),
        ("signature = \"【鸿雁】【告警】\"", "alerts.signature"),
        (
            "on_call = [\"13800138000\", \"12345\"]",
            "alerts.on_call[1]",
        ),
        ("repeat_every = \"10s\"", "alerts.repeat_every"),
    ] {
        let (k, reason) = bad(body);
        assert_eq!(k, key, "{body}: {reason}");
    }
    match with_env(&format!("{GOOD}\n[alerts]\nlink_down = \"5m\"\n")) {
        Err(e) => assert!(e.to_string().contains("link_down"), "{e}"),
        Ok(_) => panic!("an unknown key is refused"),
    }
}

#[test]
fn the_example_config_shows_every_alerts_key() {
    let text = include_str!("../../config/hongyan.example.toml");
    let config: Config = toml::from_str(text).unwrap();
    assert_eq!(config.alerts.on_call, ["13800138000"]);
    let defaults = toml::Value::try_from(Alerts::default()).unwrap();
    for key in defaults.as_table().unwrap().keys() {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{key} ="))),
            "alerts.{key} is not in the example"
        );
    }
    let mut shown = config.alerts.clone();
    shown.on_call.clear();
    assert_eq!(shown, Alerts::default(), "the example shows the defaults");
}

#[test]
fn the_example_config_shows_every_console_key_at_its_default() {
    let text = include_str!("../../config/hongyan.example.toml");
    let config: Config = toml::from_str(text).unwrap();
    let defaults = toml::Value::try_from(super::Console::default()).unwrap();
    for key in defaults.as_table().unwrap().keys() {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{key} ="))),
            "console.{key} is not in the example"
        );
    }
    assert_eq!(config.console, super::Console::default());
}

#[test]
fn console_timeouts_out_of_range_name_their_key() {
    let err = parse("[console]\nidle_timeout = \"10s\"\n").unwrap_err();
    assert_eq!(err.key(), Some("console.idle_timeout"), "{err}");
    let err = parse("[console]\nidle_timeout = \"2h\"\nabsolute_timeout = \"1h\"\n").unwrap_err();
    assert_eq!(err.key(), Some("console.absolute_timeout"), "{err}");
}
