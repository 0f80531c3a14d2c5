//! `hongyan simulate`: run one simulator in the foreground until Ctrl-C, logging every
//! login, submit, report and MO at info level (message text never above debug).

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use crate::sim::{Account, MoSpec, MoSplit, SimConfig, SimError, SimProtocol, Simulator};

/// Arguments of `hongyan simulate`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Protocol version to simulate: cmpp2, cmpp3, smgp or sgip.
    #[arg(long, value_parser = parse_protocol)]
    pub protocol: SimProtocol,
    /// Address to listen on, e.g. 127.0.0.1:7890.
    #[arg(long)]
    pub listen: SocketAddr,
    /// An account that may log in, as ID:SECRET (repeatable).
    #[arg(long = "account", value_parser = parse_account, required = true)]
    pub accounts: Vec<Account>,
    /// SGIP: the SP's listener, where Deliver and Report are sent.
    #[arg(long)]
    pub sp_listener: Option<SocketAddr>,
    /// SGIP: the credentials of the simulator's Bind on the SP's listener, NAME:PASSWORD.
    #[arg(long, value_parser = parse_account)]
    pub sp_account: Option<Account>,
    /// Milliseconds between a submit response and its status report.
    #[arg(long, default_value_t = 0)]
    pub report_delay_ms: u64,
    /// Share of status reports that fail, 0.0 to 1.0.
    #[arg(long, default_value_t = 0.0)]
    pub failure_ratio: f64,
    /// Submits per second per account; above it the flow-control code is answered.
    #[arg(long)]
    pub rate: Option<u32>,
    /// Send a sample MO (a long one every other time) every N seconds.
    #[arg(long)]
    pub mo_every_secs: Option<u64>,
    /// Open connections allowed per account.
    #[arg(long, default_value_t = 4)]
    pub max_connections: usize,
    /// Seed of the failure draw.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

fn parse_protocol(s: &str) -> Result<SimProtocol, SimError> {
    s.parse()
}

fn parse_account(s: &str) -> Result<Account, SimError> {
    s.parse()
}

impl SimulateArgs {
    /// The simulator configuration these arguments describe.
    pub fn config(&self) -> SimConfig {
        let mut c = SimConfig::new(self.protocol);
        c.listen = self.listen;
        c.accounts.clone_from(&self.accounts);
        c.max_connections_per_account = self.max_connections;
        c.report_delay = Duration::from_millis(self.report_delay_ms);
        c.report_failure_ratio = self.failure_ratio;
        c.rate_limit_per_second = self.rate;
        c.seed = self.seed;
        c.sgip_sp_listener = self.sp_listener;
        c.sgip_sp_account.clone_from(&self.sp_account);
        // A long-running simulator must not grow without bound.
        c.record_submits = false;
        c.track_duplicates = false;
        c.log_each_message = true;
        c
    }
}

/// Run `hongyan simulate` until Ctrl-C.
pub async fn run_cli(args: SimulateArgs) -> Result<(), SimError> {
    let config = args.config();
    if config.protocol == SimProtocol::Sgip && config.sgip_sp_listener.is_none() {
        tracing::warn!("SGIP without --sp-listener: Reports and MO cannot be delivered");
    }
    let sgip_sp = config.protocol == SimProtocol::Sgip;
    let handle = Simulator::start(config).await?;
    // Standard output is only news for a person watching; a reader that went away (a
    // closed pipe) must not stop the simulator or make it panic, so errors are ignored.
    let _ = writeln!(
        std::io::stdout(),
        "simulating {} on {} (Ctrl-C to stop)",
        args.protocol,
        handle.local_addr()
    );
    let mut mo_timer = args
        .mo_every_secs
        .filter(|s| *s > 0)
        .map(|s| tokio::time::interval(Duration::from_secs(s)));
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            r = tokio::signal::ctrl_c() => {
                if let Err(e) = r {
                    tracing::warn!(error = %e, "cannot listen for Ctrl-C; stopping");
                }
                break;
            }
            _ = async {
                match mo_timer.as_mut() {
                    Some(t) => { t.tick().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {
                n += 1;
                let from = if sgip_sp { "8613800138000" } else { "13800138000" };
                let mut mo = MoSpec::new(from, "106901238866", format!("sample MO {n}"));
                if n % 2 == 0 {
                    mo.text = "这是一条模拟的长上行短信，用于测试分段重组。".repeat(4);
                    mo.split = Some(MoSplit { out_of_order: true, ..MoSplit::default() });
                }
                if let Err(e) = handle.deliver_mo(mo).await {
                    tracing::info!(error = %e, "sample MO not sent");
                }
            }
        }
    }
    let stats = handle.stats();
    handle.shutdown().await;
    let _ = writeln!(std::io::stdout(), "{stats}");
    Ok(())
}

/// Runs `hongyan simulate` with its log at `log_level` on standard error.
pub(super) fn run_command(args: SimulateArgs, log_level: &str) -> anyhow::Result<ExitCode> {
    crate::daemon::logging::init(log_level, crate::config::LogFormat::Text)?;
    super::runtime()?.block_on(run_cli(args))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: SimulateArgs,
    }

    #[test]
    fn arguments_become_a_config() {
        let cli = Cli::try_parse_from([
            "simulate",
            "--protocol",
            "sgip",
            "--listen",
            "127.0.0.1:8801",
            "--account",
            "spuser:sppass",
            "--account",
            "other:pw",
            "--sp-listener",
            "127.0.0.1:9000",
            "--sp-account",
            "gw:gwpass",
            "--report-delay-ms",
            "250",
            "--failure-ratio",
            "0.1",
            "--rate",
            "100",
        ])
        .unwrap();
        let c = cli.args.config();
        assert_eq!(c.protocol, SimProtocol::Sgip);
        assert_eq!(c.listen, "127.0.0.1:8801".parse().unwrap());
        assert_eq!(c.accounts.len(), 2);
        assert_eq!(c.accounts[1], Account::new("other", "pw"));
        assert_eq!(c.sgip_sp_listener, Some("127.0.0.1:9000".parse().unwrap()));
        assert_eq!(c.sgip_sp_account, Some(Account::new("gw", "gwpass")));
        assert_eq!(c.report_delay, Duration::from_millis(250));
        assert_eq!(
            (c.report_failure_ratio, c.rate_limit_per_second),
            (0.1, Some(100))
        );
        assert!(c.log_each_message && !c.record_submits);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn bad_arguments_are_rejected() {
        let base = ["simulate", "--listen", "127.0.0.1:1", "--account", "a:b"];
        let with = |extra: &[&str]| {
            let mut v: Vec<&str> = base.to_vec();
            v.extend_from_slice(extra);
            Cli::try_parse_from(v)
        };
        assert!(with(&["--protocol", "smpp"]).is_err());
        assert!(with(&["--protocol", "cmpp3", "--sp-account", "nocolon"]).is_err());
        assert!(with(&["--protocol", "cmpp3"]).is_ok());
        assert!(
            Cli::try_parse_from(["simulate", "--protocol", "smgp", "--listen", "127.0.0.1:1"])
                .is_err()
        );
    }
}
