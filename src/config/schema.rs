//! The structure of `hongyan.toml`, with every default. Field docs are the reference
//! for operators; `config/hongyan.example.toml` repeats them as comments.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::route::Carrier;

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where and how data is stored.
    #[serde(default)]
    pub storage: Storage,
    /// The HTTP API.
    #[serde(default)]
    pub api: Api,
    /// Logging.
    #[serde(default)]
    pub log: Log,
    /// Queue behaviour.
    #[serde(default)]
    pub queue: Queue,
    /// Number plan and carrier routing.
    #[serde(default)]
    pub routing: Routing,
    /// Approvals, reminders and replies.
    #[serde(default)]
    pub workflow: Workflow,
    /// Carrier links, `[[link]]` tables.
    #[serde(default, rename = "link")]
    pub links: Vec<Link>,
    /// Webhooks, `[[webhook]]` tables: events POSTed to business systems.
    #[serde(default, rename = "webhook")]
    pub webhooks: Vec<Webhook>,
    /// `[alerts]`: conditions that reach a person.
    #[serde(default)]
    pub alerts: super::Alerts,
    /// `[console]`: the staff web console's sessions and login throttling.
    #[serde(default)]
    pub console: super::Console,
}

/// What a webhook is told about: the store's plain type (it queues the events in the
/// same transaction as the change they report), named in the config as it is sent.
pub use crate::store::WebhookEvent;

/// One `[[webhook]]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// Unique name, in logs and the store (letters, digits, `-`, `_`).
    pub name: String,
    /// `http://host:port/path` to POST to.
    pub url: String,
    /// Key of the HMAC-SHA256 signature, in the file…
    #[serde(default)]
    pub secret: Option<Secret>,
    /// …or the name of an environment variable holding it (preferred).
    #[serde(default)]
    pub secret_env: Option<String>,
    /// Which events: `delivery_report`, `inbound`, `approval_decision`.
    pub events: Vec<WebhookEvent>,
    /// Give up on one attempt after this long (default 10s).
    #[serde(default = "default_webhook_timeout", with = "super::duration")]
    pub timeout: Duration,
    /// Longest wait between retries; they start at 1s and double (default 10m).
    #[serde(default = "default_webhook_backoff", with = "super::duration")]
    pub max_backoff: Duration,
}

impl crate::store::Subscriptions {
    /// Which configured webhook hears of which events. Here, not in the store: the store
    /// imports nothing from the config.
    pub fn from_config(hooks: &[Webhook]) -> Self {
        let mut subs = Self::default();
        for h in hooks {
            subs.subscribe(&h.name, &h.events);
        }
        subs
    }
}

fn default_webhook_timeout() -> Duration {
    Duration::from_secs(10)
}

fn default_webhook_backoff() -> Duration {
    Duration::from_secs(600)
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// Directory for the database (created if missing). Default `./hongyan-data`, or
    /// `$HONGYAN_DATA` when set; under systemd, `$STATE_DIRECTORY`.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Database file name inside `data_dir`.
    #[serde(default = "default_database")]
    pub database: String,
    /// `normal` (default): a committed job survives a crash or kill -9 of the process;
    /// power loss may lose the last commits. `full`: every commit is on disk first,
    /// slower.
    #[serde(default)]
    pub synchronous: Synchronous,
    /// How long finished jobs (with their recipients and segments), inbox messages the
    /// reply router has seen, and unmatched reports are kept before they are deleted.
    /// Default 180 days; `"0s"` keeps everything forever. Anything still waiting (queued,
    /// scheduled, in flight, expecting a report) is kept whatever its age.
    #[serde(default = "default_retention", with = "super::duration")]
    pub retention: Duration,
}

/// SQLite durability level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// WAL + synchronous=NORMAL.
    #[default]
    Normal,
    /// WAL + synchronous=FULL.
    Full,
}

/// `[api]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// Address the HTTP API listens on. Default `127.0.0.1:8080`.
    #[serde(default = "default_api_listen")]
    pub listen: SocketAddr,
    /// Largest request body in bytes. Default 1 MiB (a CSV import may need more).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Most recipients one request may name (a send, reminders, a group send); more is
    /// refused whole with `too_many_recipients`. Default 10,000.
    #[serde(default = "default_max_recipients")]
    pub max_recipients: usize,
    /// Clients allowed to call `/v1` (`[[api.token]]`); none: every `/v1` call is
    /// refused (health and metrics stay open).
    #[serde(default, rename = "token")]
    pub tokens: Vec<ApiToken>,
}

/// One `[[api.token]]`: a client of the API and what it may do.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApiToken {
    /// Who this is, in logs (letters, digits, `-`, `_`).
    pub name: String,
    /// The bearer token, in the file…
    #[serde(default)]
    pub token: Option<Secret>,
    /// …or the name of an environment variable holding it (preferred).
    #[serde(default)]
    pub token_env: Option<String>,
    /// What it may do: `send`, `read`, `approvals`, `contacts`, or `all`.
    pub scopes: Vec<Scope>,
}

/// A permission of an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Send and cancel messages.
    Send,
    /// Read status, inbox, links and queue.
    Read,
    /// Create, decide and resend approvals; create and cancel reminders; in demo mode,
    /// simulate a phone's reply (which can decide an approval).
    Approvals,
    /// Contacts, groups, CSV import, group sends and drafts.
    Contacts,
    /// Everything.
    All,
}

impl Scope {
    /// The scope's name as written in the config.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Read => "read",
            Self::Approvals => "approvals",
            Self::Contacts => "contacts",
            Self::All => "all",
        }
    }
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// `text` (default, for journalctl and terminals) or `json`.
    #[serde(default)]
    pub format: LogFormat,
    /// A tracing filter: `info` (default), `debug`, `hongyan=debug,info`, ...
    /// Message text is logged only at debug.
    #[serde(default = "default_log_level")]
    pub level: String,
    /// The offset from UTC that log timestamps are written in, as `+HH:MM` / `-HH:MM`
    /// (or `Z`); default `+08:00`, China time, as the API shows times.
    #[serde(default = "default_log_utc_offset")]
    pub utc_offset: String,
}

impl Log {
    /// [`Log::utc_offset`] parsed; the reason when it is not an offset.
    pub fn offset(&self) -> Result<time::UtcOffset, BadUtcOffset> {
        parse_utc_offset(&self.utc_offset)
    }
}

/// A `log.utc_offset` that is not an offset from UTC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not an offset from UTC like \"+08:00\" or \"-05:00\"")]
pub struct BadUtcOffset {
    /// The text as given.
    pub text: String,
}

/// `+HH:MM`, `-HH:MM` or `Z` (also `+HH`), up to 23:59 either way.
pub fn parse_utc_offset(text: &str) -> Result<time::UtcOffset, BadUtcOffset> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
        return Ok(time::UtcOffset::UTC);
    }
    let bad = || BadUtcOffset {
        text: text.to_owned(),
    };
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1i8, &t[1..]),
        Some(b'-') => (-1i8, &t[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "00"));
    let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return Err(bad());
    }
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    time::UtcOffset::from_hms(sign * h, sign * m, 0).map_err(|_| bad())
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// `[queue]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    /// After a crash, segments whose SUBMIT may have been written (per the on-the-wire
    /// journal) with no recorded response are marked unconfirmed and reported (false,
    /// the default: nobody gets a duplicate), or sent again (true). Segments only
    /// claimed, never written, are queued again either way.
    #[serde(default)]
    pub resend_unconfirmed: bool,
    /// How long an accepted message may wait (carrier outage, schedule) before it
    /// fails as expired, unless the request gives its own validity. Default 48h.
    #[serde(default = "default_validity", with = "super::duration")]
    pub default_validity: Duration,
    /// A message the carrier accepted whose status report has not come after this long
    /// is given up on: it becomes `unreported` (final), so its job finishes; a report
    /// that comes later still applies. `"0s"` waits for ever. Default 72h (carriers
    /// keep trying a handset for up to 48h, then report).
    #[serde(default = "default_report_timeout", with = "super::duration")]
    pub report_timeout: Duration,
}

/// `[workflow]`: approvals, reminders and how replies are handled.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// Remind an approver who has not answered this long after the approval SMS (once).
    /// `"0s"` turns reminders off. Default 4h.
    #[serde(default = "default_remind_after", with = "super::duration")]
    pub remind_after: Duration,
    /// An approval request nobody decided expires after this long, unless the request
    /// gives its own expiry. Default 72h.
    #[serde(default = "default_approval_validity", with = "super::duration")]
    pub approval_validity: Duration,
    /// A released extension goes to another item only after this long, so a late reply
    /// to an old message cannot reach a new item. Default 7 days (168h).
    #[serde(default = "default_quarantine", with = "super::duration")]
    pub quarantine: Duration,
    /// Answer a reply that matches no open item (stranger, unknown or expired
    /// extension, bare service code) with this text; unset (default): no answer, the
    /// message only lands in the inbox as unmatched.
    #[serde(default)]
    pub unmatched_answer: Option<String>,
}

impl Default for Workflow {
    fn default() -> Self {
        Self {
            remind_after: default_remind_after(),
            approval_validity: default_approval_validity(),
            quarantine: default_quarantine(),
            unmatched_answer: None,
        }
    }
}

fn default_remind_after() -> Duration {
    Duration::from_secs(4 * 3600)
}

fn default_approval_validity() -> Duration {
    Duration::from_secs(72 * 3600)
}

fn default_quarantine() -> Duration {
    crate::replies::extension::DEFAULT_QUARANTINE
}

/// `[routing]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(try_from = "RoutingFile")]
pub struct Routing {
    /// Extra or corrected number prefixes (号段): prefix (3–7 digits) → carrier. Added to
    /// the built-in table of mainland prefixes; a longer prefix wins.
    pub prefixes: BTreeMap<String, Carrier>,
    /// How the file spelled [`Routing::prefixes`], so an error names the key as written.
    #[serde(skip)]
    pub prefixes_key: PrefixesKey,
    /// A CSV of ported numbers (`number,carrier` per line), loaded at start and read again
    /// on every config reload (SIGHUP).
    pub portability_file: Option<PathBuf>,
    /// Carrier → carrier whose link takes its numbers when it has no link of its own,
    /// e.g. `broadnet = "mobile"`. Without an entry such numbers fail with the reason.
    pub fallback: BTreeMap<Carrier, Carrier>,
}

/// The key the number prefixes came under: `[routing.prefixes]`, or `[routing.segments]`,
/// its name before "segments" came to mean message parts only, which keeps working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrefixesKey {
    /// `[routing.prefixes]` (or neither given).
    #[default]
    Prefixes,
    /// `[routing.segments]`, the old name.
    Segments,
}

impl PrefixesKey {
    /// The key as written in the file, e.g. `routing.segments`.
    pub fn as_str(self) -> &'static str {
        match self {
            PrefixesKey::Prefixes => "routing.prefixes",
            PrefixesKey::Segments => "routing.segments",
        }
    }
}

/// `[routing]` as the file spells it: both names of the prefix table are read, so that
/// giving both is an error rather than one silently winning.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingFile {
    #[serde(default)]
    prefixes: Option<BTreeMap<String, Carrier>>,
    #[serde(default)]
    segments: Option<BTreeMap<String, Carrier>>,
    #[serde(default)]
    portability_file: Option<PathBuf>,
    #[serde(default)]
    fallback: BTreeMap<Carrier, Carrier>,
}

/// `[routing]` gives the prefix table under both its names.
#[derive(Debug, thiserror::Error)]
#[error(
    "both [routing.prefixes] and [routing.segments] are given; routing.segments is the old name of routing.prefixes: keep only [routing.prefixes]"
)]
pub struct BothPrefixKeys;

impl TryFrom<RoutingFile> for Routing {
    type Error = BothPrefixKeys;

    fn try_from(file: RoutingFile) -> Result<Self, BothPrefixKeys> {
        let (prefixes, prefixes_key) = match (file.prefixes, file.segments) {
            (Some(_), Some(_)) => return Err(BothPrefixKeys),
            (Some(p), None) => (p, PrefixesKey::Prefixes),
            (None, Some(s)) => (s, PrefixesKey::Segments),
            (None, None) => (BTreeMap::new(), PrefixesKey::Prefixes),
        };
        Ok(Routing {
            prefixes,
            prefixes_key,
            portability_file: file.portability_file,
            fallback: file.fallback,
        })
    }
}

/// Which protocol (and version) a link speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkProtocol {
    /// China Mobile CMPP 2.0.
    Cmpp2,
    /// China Mobile CMPP 3.0.
    Cmpp3,
    /// China Telecom SMGP 3.0.
    Smgp,
    /// China Unicom SGIP 1.2.
    Sgip,
}

impl LinkProtocol {
    /// The carrier that speaks this protocol.
    pub fn carrier(self) -> Carrier {
        match self {
            Self::Cmpp2 | Self::Cmpp3 => Carrier::Mobile,
            Self::Smgp => Carrier::Telecom,
            Self::Sgip => Carrier::Unicom,
        }
    }

    /// Config spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cmpp2 => "cmpp2",
            Self::Cmpp3 => "cmpp3",
            Self::Smgp => "smgp",
            Self::Sgip => "sgip",
        }
    }
}

/// A password or shared secret; never printed. In the file: a string, or
/// `{ credential = "name" }` / `{ file = "path" }` (see `secret_source.rs`).
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// The secret's bytes, for digests and binds only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Where the signature goes in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignaturePlace {
    /// At the start (the usual place).
    #[default]
    Prefix,
    /// At the end.
    Suffix,
}

/// When a coding other than UCS-2 may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CodingUse {
    /// Never.
    Never,
    /// For texts that fit one message.
    Single,
    /// For single and long messages.
    Always,
}

/// `coding = { ... }` of a link.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CodingConfig {
    /// ASCII (Msg_Fmt 0) for GSM-safe ASCII texts: `single` (default), `always`, `never`.
    #[serde(default = "default_ascii")]
    pub ascii: CodingUse,
    /// Largest ASCII message in bytes, UDH included (8–160, default 140).
    #[serde(default = "default_ascii_max_len")]
    pub ascii_max_len: usize,
    /// GBK (Msg_Fmt 15): `never` (default), `single`, `always`.
    #[serde(default = "default_gbk")]
    pub gbk: CodingUse,
    /// With GBK on, send a text GBK cannot hold as UCS-2 instead of failing it.
    #[serde(default)]
    pub gbk_fallback_ucs2: bool,
}

impl Default for CodingConfig {
    fn default() -> Self {
        Self {
            ascii: default_ascii(),
            ascii_max_len: default_ascii_max_len(),
            gbk: default_gbk(),
            gbk_fallback_ucs2: false,
        }
    }
}

/// One `[[link]]`: an account at a carrier gateway.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Unique name used in logs, metrics and the API (letters, digits, `-`, `_`).
    pub name: String,
    /// `cmpp2`, `cmpp3`, `smgp` or `sgip`.
    pub protocol: LinkProtocol,
    /// Whose numbers this link sends to; default the protocol's carrier.
    #[serde(default)]
    pub carrier: Option<Carrier>,
    /// Use an in-process simulated gateway instead of `address` (demo and trials).
    #[serde(default)]
    pub simulated: bool,
    /// Gateway `host:port`; required unless `simulated`.
    #[serde(default)]
    pub address: Option<String>,
    /// Login: CMPP SP_Id, SMGP ClientID, SGIP login name.
    pub account: String,
    /// Login secret or password, in the file...
    #[serde(default)]
    pub secret: Option<Secret>,
    /// ... or the name of an environment variable holding it (preferred).
    #[serde(default)]
    pub secret_env: Option<String>,
    /// Carrier-assigned service code (access number), e.g. `10690123`.
    pub service_code: String,
    /// Digits of extension appended per approval/reminder (0–12, default 4); service
    /// code + extension must fit 20 digits.
    #[serde(default = "default_extension_length")]
    pub extension_length: u8,
    /// Service id (CMPP Service_Id / SMGP ServiceID / SGIP ServiceType), ≤ 10 bytes.
    #[serde(default)]
    pub service_id: String,
    /// Enterprise code: CMPP Msg_src (default: `account`), SGIP CorpId (5 digits).
    #[serde(default)]
    pub sp_id: Option<String>,
    /// Requests in flight without a response (1–1024, default 16).
    #[serde(default = "default_window")]
    pub window: u16,
    /// Messages per second this account may send (1–100000, default 100).
    #[serde(default = "default_rate")]
    pub rate: u32,
    /// Parallel connections the account may hold (1–32, default 1).
    #[serde(default = "default_connections")]
    pub connections: u8,
    /// Time to wait for a response before resending (default 60s).
    #[serde(default = "default_response_timeout", with = "super::duration")]
    pub response_timeout: Duration,
    /// Sends of one request before it fails (1–10, default 3); every send counts, also
    /// one whose connection closed before its response.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u8,
    /// Idle time before a keep-alive probe (default 30s; ignored by SGIP).
    #[serde(default = "default_keepalive_interval", with = "super::duration")]
    pub keepalive_interval: Duration,
    /// Unanswered probes before reconnecting (1–10, default 3).
    #[serde(default = "default_keepalive_missed")]
    pub keepalive_missed: u8,
    /// First reconnect delay (default 1s); doubles with jitter...
    #[serde(default = "default_reconnect_initial", with = "super::duration")]
    pub reconnect_initial: Duration,
    /// ... up to this (default 5m).
    #[serde(default = "default_reconnect_max", with = "super::duration")]
    pub reconnect_max: Duration,
    /// On shutdown, how long to wait for responses in flight (default 10s).
    #[serde(default = "default_close_grace", with = "super::duration")]
    pub close_grace: Duration,
    /// Ask the carrier for status reports (default true).
    #[serde(default = "default_true")]
    pub status_reports: bool,
    /// Signature like `【鸿雁物流】`, added once to every message of this link.
    #[serde(default)]
    pub signature: Option<String>,
    /// `prefix` (default) or `suffix`.
    #[serde(default)]
    pub signature_position: SignaturePlace,
    /// The carrier adds the signature itself: its room is reserved, it is not sent.
    #[serde(default)]
    pub carrier_adds_signature: bool,
    /// Coding rules.
    #[serde(default)]
    pub coding: CodingConfig,
    /// Concatenation UDH: 8 (default) or 16-bit reference.
    #[serde(default = "default_udh")]
    pub udh: u8,
    /// Most segments one message may take (1–255, default 20): a guard against a
    /// runaway text costing hundreds of messages.
    #[serde(default = "default_max_segments")]
    pub max_segments: u8,
    /// SGIP: our node id (the first part of every sequence number), from Unicom.
    #[serde(default)]
    pub node_id: Option<u32>,
    /// SGIP: where we listen for the gateway's own connection (Deliver, Report).
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    /// SGIP: login name the gateway must bind with.
    #[serde(default)]
    pub gateway_login: Option<String>,
    /// SGIP: password the gateway must bind with...
    #[serde(default)]
    pub gateway_password: Option<Secret>,
    /// ... or the environment variable holding it.
    #[serde(default)]
    pub gateway_password_env: Option<String>,
    /// SGIP: addresses the gateway may connect from (empty: any).
    #[serde(default)]
    pub allow_from: Vec<IpAddr>,
    /// SGIP: unbind after this long idle (default 50s; gateways close at about 60s).
    #[serde(default = "default_idle_unbind", with = "super::duration")]
    pub idle_unbind: Duration,
}

impl Link {
    /// The carrier whose numbers this link takes.
    pub fn carrier(&self) -> Carrier {
        self.carrier.unwrap_or_else(|| self.protocol.carrier())
    }
}

impl Default for Storage {
    fn default() -> Self {
        Self {
            data_dir: default_data_dir(),
            database: default_database(),
            synchronous: Synchronous::default(),
            retention: default_retention(),
        }
    }
}

impl Default for Api {
    fn default() -> Self {
        Self {
            listen: default_api_listen(),
            max_body_bytes: default_max_body(),
            max_recipients: default_max_recipients(),
            tokens: Vec::new(),
        }
    }
}

impl Default for Log {
    fn default() -> Self {
        Self {
            format: LogFormat::default(),
            level: default_log_level(),
            utc_offset: default_log_utc_offset(),
        }
    }
}

impl Default for Queue {
    fn default() -> Self {
        Self {
            resend_unconfirmed: false,
            default_validity: default_validity(),
            report_timeout: default_report_timeout(),
        }
    }
}

/// `./hongyan-data`, or `$HONGYAN_DATA`.
pub fn default_data_dir() -> PathBuf {
    std::env::var_os("HONGYAN_DATA").map_or_else(|| PathBuf::from("./hongyan-data"), PathBuf::from)
}
fn default_database() -> String {
    "hongyan.db".into()
}
fn default_retention() -> Duration {
    Duration::from_secs(180 * 86_400)
}
fn default_api_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_max_body() -> usize {
    1 << 20
}
fn default_max_recipients() -> usize {
    10_000
}
fn default_log_level() -> String {
    "info".into()
}
fn default_log_utc_offset() -> String {
    "+08:00".into()
}
fn default_validity() -> Duration {
    Duration::from_secs(48 * 3600)
}
fn default_report_timeout() -> Duration {
    Duration::from_secs(72 * 3600)
}
fn default_ascii() -> CodingUse {
    CodingUse::Single
}
fn default_ascii_max_len() -> usize {
    140
}
fn default_gbk() -> CodingUse {
    CodingUse::Never
}
fn default_extension_length() -> u8 {
    4
}
fn default_window() -> u16 {
    16
}
fn default_rate() -> u32 {
    100
}
fn default_connections() -> u8 {
    1
}
fn default_response_timeout() -> Duration {
    Duration::from_secs(60)
}
fn default_max_attempts() -> u8 {
    3
}
fn default_keepalive_interval() -> Duration {
    Duration::from_secs(30)
}
fn default_keepalive_missed() -> u8 {
    3
}
fn default_reconnect_initial() -> Duration {
    Duration::from_secs(1)
}
fn default_reconnect_max() -> Duration {
    Duration::from_secs(300)
}
fn default_close_grace() -> Duration {
    Duration::from_secs(10)
}
fn default_true() -> bool {
    true
}
fn default_udh() -> u8 {
    8
}
fn default_max_segments() -> u8 {
    20
}
fn default_idle_unbind() -> Duration {
    Duration::from_secs(50)
}
