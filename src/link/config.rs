//! The settings of one link (one carrier account): where, who, how fast, how patient.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Arc;
use std::time::Duration;

use wire::reassembly::ReassemblyConfig;

use super::backoff::BackoffConfig;
use super::hook::WriteHook;
use super::keepalive::KeepAliveConfig;
use super::reports::ReportConfig;
use super::window::WindowConfig;

/// Which protocol (and version) the account speaks, with its protocol-only settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolConfig {
    /// CMPP 2.0 or 3.0.
    Cmpp(cmpp::Version),
    /// SMGP (3.0 unless the carrier provisioned an older version).
    Smgp(smgp::Version),
    /// SGIP 1.2.
    Sgip(SgipConfig),
}

/// SGIP's extra settings.
#[derive(Clone, PartialEq, Eq)]
pub struct SgipConfig {
    /// The SP's node id (`3AAAAQQQQQ`), stamped into every sequence number.
    pub node_id: u32,
    /// Enterprise code (CorpId, up to 5 digits).
    pub corp_id: String,
    /// The SP-side listener the gateway connects to for Deliver and Report; `None` when
    /// another process receives them.
    pub listener: Option<SgipListenerConfig>,
}

impl fmt::Debug for SgipConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SgipConfig")
            .field("node_id", &self.node_id)
            .field("corp_id", &self.corp_id)
            .field("listener", &self.listener)
            .finish()
    }
}

/// The SGIP reverse listener: who may bind to it.
#[derive(Clone, PartialEq, Eq)]
pub struct SgipListenerConfig {
    /// Address to listen on (`127.0.0.1:0` in tests).
    pub listen: SocketAddr,
    /// The Login Name the gateway must present.
    pub gateway_name: String,
    /// The Login Password the gateway must present (never logged).
    pub gateway_password: String,
    /// When set, only these source addresses may connect.
    pub allow: Option<Vec<IpAddr>>,
}

impl fmt::Debug for SgipListenerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SgipListenerConfig")
            .field("listen", &self.listen)
            .field("gateway_name", &self.gateway_name)
            .field("gateway_password", &"<redacted>")
            .field("allow", &self.allow)
            .finish()
    }
}

/// Everything a link needs. [`LinkConfig::new`] fills in the defaults.
#[derive(Clone)]
pub struct LinkConfig {
    /// Name for logs and events (e.g. the account's name in the config file).
    pub name: String,
    /// Protocol and version.
    pub protocol: ProtocolConfig,
    /// Gateway address, `host:port`.
    pub address: String,
    /// Login account (CMPP SP_Id, SMGP ClientID, SGIP Login Name).
    pub account: String,
    /// Login secret (never logged).
    pub secret: String,
    /// Default service code for messages that carry none.
    pub service_id: String,
    /// Window size, response timeout and attempts per submit.
    pub window: WindowConfig,
    /// Submits per second for the whole account; `None` for no limit of our own.
    pub rate_per_second: Option<NonZeroU32>,
    /// How long to hold back after a flow-control answer when no rate is configured.
    pub flow_control_pause: Duration,
    /// Connections held open at once for the account.
    pub connections: NonZeroUsize,
    /// Keep-alive timing (CMPP, SMGP).
    pub keepalive: KeepAliveConfig,
    /// Reconnect delays.
    pub backoff: BackoffConfig,
    /// Give up on a TCP connect after this long.
    pub connect_timeout: Duration,
    /// Give up on a login answer after this long.
    pub login_timeout: Duration,
    /// Graceful close: how long to wait for responses still in flight.
    pub close_grace: Duration,
    /// SGIP: Unbind after this long without traffic (below the gateway's own cut-off).
    pub idle_unbind: Duration,
    /// Status report matching bounds.
    pub reports: ReportConfig,
    /// Long MO reassembly bounds.
    pub reassembly: ReassemblyConfig,
    /// Messages waiting for a connection (backpressure on [`LinkHandle::submit`](super::LinkHandle::submit)).
    pub intake_capacity: NonZeroUsize,
    /// Events waiting for the consumer; a full queue makes the link wait.
    pub event_capacity: NonZeroUsize,
    /// Told which parts are about to be written, right before their bytes go to the
    /// socket (see [`WriteHook`]); `None`: nobody needs to know.
    pub on_write: Option<Arc<dyn WriteHook>>,
}

impl fmt::Debug for LinkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkConfig")
            .field("name", &self.name)
            .field("protocol", &self.protocol)
            .field("address", &self.address)
            .field("account", &self.account)
            .field("secret", &"<redacted>")
            .field("window", &self.window)
            .field("rate_per_second", &self.rate_per_second)
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

impl LinkConfig {
    /// A link to `address` with `account` / `secret` and the defaults: window 16, 60 s
    /// response timeout, 3 attempts, no own rate limit, one connection, 30 s keep-alive,
    /// 5 s close grace, 30 s SGIP idle Unbind.
    pub fn new(
        name: impl Into<String>,
        protocol: ProtocolConfig,
        address: impl Into<String>,
        account: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            protocol,
            address: address.into(),
            account: account.into(),
            secret: secret.into(),
            service_id: String::new(),
            window: WindowConfig::default(),
            rate_per_second: None,
            flow_control_pause: Duration::from_millis(200),
            connections: NonZeroUsize::MIN,
            keepalive: KeepAliveConfig::default(),
            backoff: BackoffConfig::default(),
            connect_timeout: Duration::from_secs(10),
            login_timeout: Duration::from_secs(10),
            close_grace: Duration::from_secs(5),
            idle_unbind: Duration::from_secs(30),
            reports: ReportConfig::default(),
            reassembly: ReassemblyConfig::default(),
            intake_capacity: NonZeroUsize::new(1024).unwrap_or(NonZeroUsize::MIN),
            event_capacity: NonZeroUsize::new(4096).unwrap_or(NonZeroUsize::MIN),
            on_write: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let mut c = LinkConfig::new(
            "a",
            ProtocolConfig::Sgip(SgipConfig {
                node_id: 1,
                corp_id: "1".into(),
                listener: Some(SgipListenerConfig {
                    listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                    gateway_name: "gw".into(),
                    gateway_password: "gw-pass-xyz".into(),
                    allow: None,
                }),
            }),
            "127.0.0.1:1",
            "acct",
            "sp-secret-xyz",
        );
        c.service_id = "S".into();
        let shown = format!("{c:?}");
        assert!(!shown.contains("sp-secret-xyz"), "{shown}");
        assert!(!shown.contains("gw-pass-xyz"), "{shown}");
        assert!(shown.contains("acct"));
    }
}
