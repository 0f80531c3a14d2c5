//! The configuration `hongyan run` uses without `--config`: data under
//! `./hongyan-data` (or `$HONGYAN_DATA`) and one in-process simulated carrier per
//! protocol family — CMPP 3.0 (China Mobile), SMGP 3.0 (China Telecom), SGIP 1.2
//! (China Unicom). Demo mode: nothing leaves the machine.

use super::load::{ConfigError, parse};
use super::schema::Config;

/// The API token of the embedded default (demo mode only; the CLI's default token).
pub const DEMO_API_TOKEN: &str = "hongyan-demo-token";

/// The embedded default as TOML — also what `hongyan config example` could print.
pub const EMBEDDED_DEFAULT_TOML: &str = r#"
# Demo mode: three simulated carriers inside the daemon.

# The API token of the README's curl examples — demo mode only; a real config gives each
# client its own (token_env) with only the scopes it needs.
[[api.token]]
name = "demo"
token = "hongyan-demo-token"
scopes = ["all"]
[[link]]
name = "mobile-demo"
protocol = "cmpp3"
simulated = true
account = "901234"
secret = "demo-secret"
service_code = "10690123"
service_id = "HONGYAN"
signature = "【鸿雁】"
rate = 1000

[[link]]
name = "telecom-demo"
protocol = "smgp"
simulated = true
account = "10659012"
secret = "demo-secret"
service_code = "10659012"
service_id = "HONGYAN"
signature = "【鸿雁】"
rate = 1000

[[link]]
name = "unicom-demo"
protocol = "sgip"
simulated = true
account = "hongyan"
secret = "demo-secret"
service_code = "10655012"
service_id = "HONGYAN"
sp_id = "12345"
node_id = 3012345678
signature = "【鸿雁】"
rate = 1000

[routing.fallback]
broadnet = "mobile"
"#;

impl Config {
    /// The embedded default (demo mode). Storage follows `$HONGYAN_DATA`.
    pub fn embedded_default() -> Result<Config, ConfigError> {
        parse(EMBEDDED_DEFAULT_TOML)
    }

    /// True when every link is simulated (demo mode, logged loudly).
    pub fn is_demo(&self) -> bool {
        self.links.iter().all(|l| l.simulated)
    }
}
