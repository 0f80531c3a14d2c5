//! Simulator configuration: which protocol, where to listen, the accounts it knows and
//! how it behaves (report delay and failure ratio, rate limit, SGIP reverse connection).

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use super::SimError;

/// The protocol version a simulator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimProtocol {
    /// China Mobile CMPP 2.0 (accepts login versions 0x20 and 0x21).
    Cmpp2,
    /// China Mobile CMPP 3.0 (accepts login version 0x30).
    Cmpp3,
    /// China Telecom SMGP 3.0 (accepts login versions 0x13, 0x20 and 0x30).
    Smgp,
    /// China Unicom SGIP 1.2.
    Sgip,
}

impl SimProtocol {
    /// Lower-case name as the CLI spells it: `cmpp2`, `cmpp3`, `smgp`, `sgip`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cmpp2 => "cmpp2",
            Self::Cmpp3 => "cmpp3",
            Self::Smgp => "smgp",
            Self::Sgip => "sgip",
        }
    }
}

impl fmt::Display for SimProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SimProtocol {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, SimError> {
        match s.to_ascii_lowercase().as_str() {
            "cmpp2" | "cmpp20" | "cmpp2.0" => Ok(Self::Cmpp2),
            "cmpp3" | "cmpp30" | "cmpp3.0" | "cmpp" => Ok(Self::Cmpp3),
            "smgp" | "smgp3" | "smgp30" | "smgp3.0" => Ok(Self::Smgp),
            "sgip" | "sgip12" | "sgip1.2" => Ok(Self::Sgip),
            other => Err(SimError::Config {
                field: "protocol",
                reason: format!("{other:?} is not one of cmpp2, cmpp3, smgp, sgip"),
            }),
        }
    }
}

/// Login credentials: CMPP SP_Id / SMGP ClientID / SGIP login name, and the shared secret
/// (CMPP, SMGP) or the plain password (SGIP).
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// Account id as sent in the login PDU.
    pub id: String,
    /// Shared secret or password.
    pub secret: String,
}

impl Account {
    /// An account from its id and secret.
    pub fn new(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: secret.into(),
        }
    }
}

/// The secret is never printed.
impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl FromStr for Account {
    type Err = SimError;

    /// `ID:SECRET` (the secret may itself contain colons).
    fn from_str(s: &str) -> Result<Self, SimError> {
        match s.split_once(':') {
            Some((id, secret)) if !id.is_empty() => Ok(Self::new(id, secret)),
            _ => Err(SimError::Config {
                field: "account",
                reason: "expected ID:SECRET".to_owned(),
            }),
        }
    }
}

/// Everything a simulator needs; build with [`SimConfig::new`] and adjust the fields.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Protocol and version.
    pub protocol: SimProtocol,
    /// Listen address (`127.0.0.1:0` in tests).
    pub listen: SocketAddr,
    /// Accounts allowed to log in.
    pub accounts: Vec<Account>,
    /// Open sessions one account may hold; one more is refused (CMPP status 5 "other
    /// error", SMGP 2 "too many connections", SGIP 3).
    pub max_connections_per_account: usize,
    /// Delay between the submit response and its status report (tokio time); zero sends
    /// the report right behind the response, in the same write.
    pub report_delay: Duration,
    /// Share of status reports that fail (`UNDELIV` / `EXPIRED`, SGIP State 2),
    /// 0.0..=1.0, drawn from a generator seeded with [`SimConfig::seed`].
    pub report_failure_ratio: f64,
    /// Seed of the failure draw.
    pub seed: u64,
    /// Submits per second one account may send; above it the gateway answers with the
    /// flow-control code (CMPP 8, SMGP 1, SGIP 11).
    pub rate_limit_per_second: Option<u32>,
    /// CMPP ISMG code (22 bits) / SMGP SMGW code (6 digits) / SGIP node id.
    pub gateway_id: u32,
    /// SGIP: the SP's listener, where the simulator connects for Deliver and Report.
    pub sgip_sp_listener: Option<SocketAddr>,
    /// SGIP: the credentials of the simulator's Bind (login type 2) on that listener.
    pub sgip_sp_account: Option<Account>,
    /// SGIP: Unbind the reverse connection after this long with nothing to send.
    pub sgip_idle_unbind: Duration,
    /// CMPP / SMGP: send the gateway's own ACTIVE_TEST / Active_Test after this long
    /// without traffic (`None`: never; the simulator always answers the SP's).
    pub keepalive_interval: Option<Duration>,
    /// Close a connection that has sent nothing for this long (a real SMG closes idle
    /// SGIP connections after 60 s); `None`: never.
    pub idle_timeout: Option<Duration>,
    /// Record every accepted submit for [`super::SimHandle::submits`]; switch off for the
    /// load bench.
    pub record_submits: bool,
    /// Keep the (recipients, source, content) key of every accepted submit to count
    /// duplicates; switch off for the load bench.
    pub track_duplicates: bool,
    /// When a connection ends with Delivers sent but not answered, send them again on
    /// the account's next connection (what a carrier does: at least once).
    pub resend_unacked_delivers: bool,
    /// Log every submit, report and MO at info level (the CLI); otherwise at debug.
    pub log_each_message: bool,
}

impl SimConfig {
    /// Defaults for `protocol`: listen on `127.0.0.1:0`, no accounts, 4 connections per
    /// account, reports immediately and all delivered, no rate limit, gateway id 79101
    /// (CMPP) / 10061 (SMGP) / 101001 (SGIP), record and check every submit.
    pub fn new(protocol: SimProtocol) -> Self {
        Self {
            protocol,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            accounts: Vec::new(),
            max_connections_per_account: 4,
            report_delay: Duration::ZERO,
            report_failure_ratio: 0.0,
            seed: 0x5eed_1234_abcd_0001,
            rate_limit_per_second: None,
            gateway_id: match protocol {
                SimProtocol::Cmpp2 | SimProtocol::Cmpp3 => 79_101,
                SimProtocol::Smgp => 10_061,
                SimProtocol::Sgip => 101_001,
            },
            sgip_sp_listener: None,
            sgip_sp_account: None,
            sgip_idle_unbind: Duration::from_secs(10),
            keepalive_interval: None,
            idle_timeout: None,
            record_submits: true,
            track_duplicates: true,
            resend_unacked_delivers: true,
            log_each_message: false,
        }
    }

    /// Add an account (builder style).
    pub fn account(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.accounts.push(Account::new(id, secret));
        self
    }

    /// Check the values that would make the simulator misbehave.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |field, reason: &str| {
            Err(SimError::Config {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.accounts.is_empty() {
            return bad("accounts", "at least one account is needed");
        }
        if self.max_connections_per_account == 0 {
            return bad("max_connections_per_account", "must be at least 1");
        }
        if !(0.0..=1.0).contains(&self.report_failure_ratio) {
            return bad("report_failure_ratio", "must be within 0.0..=1.0");
        }
        match self.protocol {
            SimProtocol::Cmpp2 | SimProtocol::Cmpp3
                if self.gateway_id > cmpp::MsgId::MAX_GATEWAY =>
            {
                bad("gateway_id", "a CMPP ISMG code has 22 bits")
            }
            SimProtocol::Smgp if self.gateway_id > 999_999 => {
                bad("gateway_id", "an SMGP SMGW code has 6 digits")
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn protocol_and_account_parse_and_the_secret_stays_hidden() {
        assert_eq!("cmpp2".parse::<SimProtocol>().unwrap(), SimProtocol::Cmpp2);
        assert_eq!("CMPP3".parse::<SimProtocol>().unwrap(), SimProtocol::Cmpp3);
        assert_eq!("smgp".parse::<SimProtocol>().unwrap(), SimProtocol::Smgp);
        assert_eq!("sgip".parse::<SimProtocol>().unwrap(), SimProtocol::Sgip);
        assert!("smpp".parse::<SimProtocol>().is_err());
        let a: Account = "901234:Sec:2024".parse().unwrap();
        assert_eq!((a.id.as_str(), a.secret.as_str()), ("901234", "Sec:2024"));
        assert!(":x".parse::<Account>().is_err() && "nocolon".parse::<Account>().is_err());
        assert!(!format!("{a:?}").contains("Sec"));
    }

    #[test]
    fn validate_names_the_bad_field() {
        let field = |c: SimConfig| match c.validate() {
            Err(SimError::Config { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(SimConfig::new(SimProtocol::Cmpp3)), "accounts");
        let ok = SimConfig::new(SimProtocol::Cmpp3).account("901234", "x");
        assert!(ok.validate().is_ok());
        let mut c = ok.clone();
        c.report_failure_ratio = 1.5;
        assert_eq!(field(c), "report_failure_ratio");
        let mut c = ok.clone();
        c.gateway_id = cmpp::MsgId::MAX_GATEWAY + 1;
        assert_eq!(field(c), "gateway_id");
        let mut c = SimConfig::new(SimProtocol::Smgp).account("1", "x");
        c.gateway_id = 1_000_000;
        assert_eq!(field(c), "gateway_id");
        let mut c = ok;
        c.max_connections_per_account = 0;
        assert_eq!(field(c), "max_connections_per_account");
    }
}
