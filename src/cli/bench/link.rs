//! `hongyan bench` without `--durable`, the link load bench: N messages through one link
//! to the in-process simulator, reporting messages per second and submit → response
//! latency percentiles. Client and simulator share this machine (and its cores), no
//! persistence on either side.

use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;
use wire::segment::{SplitOptions, split};

use crate::link::{
    LinkConfig, LinkDriver, LinkError, LinkEvent, OutboundMessage, ProtocolConfig, SgipConfig,
    SgipListenerConfig,
};
use crate::shutdown::Shutdown;
use crate::sim::{Account, SimConfig, SimProtocol, Simulator};

/// Options of `hongyan bench` (the link load bench).
#[derive(Debug, Clone, clap::Args)]
pub struct LoadBenchOptions {
    /// Protocol version: cmpp2, cmpp3, smgp or sgip.
    #[arg(long, default_value = "cmpp3")]
    pub protocol: String,
    /// Messages to send.
    #[arg(long, default_value_t = 200_000)]
    pub messages: u64,
    /// In-flight window per connection.
    #[arg(long, default_value_t = 64)]
    pub window: usize,
    /// Connections of the account.
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// Do not ask for status reports.
    #[arg(long)]
    pub no_reports: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout_secs: u64,
}

impl Default for LoadBenchOptions {
    fn default() -> Self {
        Self {
            protocol: "cmpp3".into(),
            messages: 200_000,
            window: 64,
            connections: 1,
            no_reports: false,
            timeout_secs: 120,
        }
    }
}

/// What the bench measured.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadBenchReport {
    /// Protocol version.
    pub protocol: String,
    /// Messages acknowledged.
    pub messages: u64,
    /// Status reports received (0 with `--no-reports`).
    pub reports: u64,
    /// From the first submit to the last acknowledgement (and report).
    pub elapsed: Duration,
    /// Messages per second over `elapsed`.
    pub per_second: f64,
    /// Submit → response latency percentiles.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Slowest.
    pub max: Duration,
}

impl fmt::Display for LoadBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} messages, {} reports in {:.3} s = {:.0} msg/s",
            self.protocol,
            self.messages,
            self.reports,
            self.elapsed.as_secs_f64(),
            self.per_second
        )?;
        write!(
            f,
            "submit → response latency: p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
            self.p50, self.p90, self.p99, self.max
        )
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// Runs the bench: starts a simulator and a link on 127.0.0.1, pushes the messages,
/// waits for every acknowledgement (and report), shuts both down.
///
/// # Errors
/// A bad option, the simulator or link failing to start, or the timeout passing.
pub async fn run_load_bench(opts: LoadBenchOptions) -> Result<LoadBenchReport, LinkError> {
    let protocol: SimProtocol = opts
        .protocol
        .parse()
        .map_err(|e| LinkError::Config(format!("{e}")))?;
    let window = NonZeroUsize::new(opts.window)
        .ok_or_else(|| LinkError::Config("window must be at least 1".into()))?;
    let connections = NonZeroUsize::new(opts.connections)
        .ok_or_else(|| LinkError::Config("connections must be at least 1".into()))?;
    let (account, secret) = ("901234", "bench-secret");
    let mut sim_config = SimConfig::new(protocol).account(account, secret);
    sim_config.record_submits = false;
    sim_config.track_duplicates = false;
    sim_config.max_connections_per_account = connections.get().max(4);
    let listener = if protocol == SimProtocol::Sgip {
        let l = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| LinkError::Config(format!("cannot bind the SGIP listener: {e}")))?;
        let addr = l
            .local_addr()
            .map_err(|e| LinkError::Config(format!("SGIP listener: {e}")))?;
        sim_config.sgip_sp_listener = Some(addr);
        sim_config.sgip_sp_account = Some(Account::new("gw", "gw-pass"));
        Some(l)
    } else {
        None
    };
    let sim = Simulator::start(sim_config)
        .await
        .map_err(|e| LinkError::Config(format!("simulator: {e}")))?;
    let p = match protocol {
        SimProtocol::Cmpp2 => ProtocolConfig::Cmpp(cmpp::Version::V20),
        SimProtocol::Cmpp3 => ProtocolConfig::Cmpp(cmpp::Version::V30),
        SimProtocol::Smgp => ProtocolConfig::Smgp(smgp::Version::V30),
        SimProtocol::Sgip => ProtocolConfig::Sgip(SgipConfig {
            node_id: 3_010_012_345,
            corp_id: "12345".into(),
            listener: Some(SgipListenerConfig {
                listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                gateway_name: "gw".into(),
                gateway_password: "gw-pass".into(),
                allow: None,
            }),
        }),
    };
    let mut config = LinkConfig::new("bench", p, sim.local_addr().to_string(), account, secret);
    config.window.capacity = window;
    config.connections = connections;
    config.intake_capacity = NonZeroUsize::new(8192).unwrap_or(NonZeroUsize::MIN);
    config.event_capacity = NonZeroUsize::new(65_536).unwrap_or(NonZeroUsize::MIN);
    let (handle, mut events) = match listener {
        Some(l) => LinkDriver::start_with_listener(config, l, Shutdown::new()).await?,
        None => LinkDriver::start(config, Shutdown::new()).await?,
    };

    let text = split(
        "hongyan load bench: your code is 123456",
        &SplitOptions::default(),
        0,
    )
    .map_err(|e| LinkError::Config(format!("bench text: {e}")))?;
    let want_report = !opts.no_reports;
    let n = opts.messages;
    let submitter = handle.submitter();
    let start = Instant::now();
    let producer = tokio::spawn(async move {
        for i in 0..n {
            let mut m = OutboundMessage::new(
                i,
                vec![format!("138{:08}", i % 100_000_000)],
                "10690001",
                text.coding,
                text.segments.clone(),
            );
            m.want_report = want_report;
            if submitter.submit(m).await.is_err() {
                return;
            }
        }
    });

    let mut latencies: Vec<Duration> = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    let mut reports = 0u64;
    let mut failed = 0u64;
    let want_reports = if want_report { n } else { 0 };
    let deadline = start + Duration::from_secs(opts.timeout_secs);
    let mut last = start;
    while (latencies.len() as u64 + failed) < n || reports < want_reports {
        let e = tokio::time::timeout_at(deadline, events.recv())
            .await
            .map_err(|_| {
                LinkError::Config(format!(
                    "bench timed out: {} acknowledged, {reports} reports",
                    latencies.len()
                ))
            })?;
        match e {
            Some(LinkEvent::Submitted { latency, .. }) => {
                latencies.push(latency);
                last = Instant::now();
            }
            Some(LinkEvent::Report { ack, .. }) => {
                // Nothing to store here: answer at once, as a consumer that committed would.
                ack.answer();
                reports += 1;
                last = Instant::now();
            }
            Some(LinkEvent::Mo { ack, .. }) => ack.answer(),
            Some(LinkEvent::Failed { .. }) => failed += 1,
            Some(_) => {}
            None => break,
        }
    }
    let elapsed = last.duration_since(start);
    producer.abort();
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    handle.shutdown().await;
    drain.abort();
    sim.shutdown().await;

    latencies.sort_unstable();
    let messages = latencies.len() as u64;
    Ok(LoadBenchReport {
        protocol: protocol.name().to_string(),
        messages,
        reports,
        elapsed,
        per_second: messages as f64 / elapsed.as_secs_f64().max(1e-9),
        p50: percentile(&latencies, 0.50),
        p90: percentile(&latencies, 0.90),
        p99: percentile(&latencies, 0.99),
        max: latencies.last().copied().unwrap_or_default(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 0.5), Duration::from_millis(51));
        assert_eq!(percentile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_small_run_acknowledges_and_reports_everything() {
        for protocol in ["cmpp3", "sgip"] {
            let report = run_load_bench(LoadBenchOptions {
                protocol: protocol.into(),
                messages: 500,
                timeout_secs: 60,
                ..LoadBenchOptions::default()
            })
            .await
            .unwrap();
            assert_eq!(report.messages, 500);
            assert_eq!(report.reports, 500);
            assert!(report.p50 <= report.p99 && report.p99 <= report.max);
        }
    }

    /// The full bench, by hand (or `hongyan bench`):
    /// `HONGYAN_BENCH=cmpp3:200000:64 cargo test --release -p hongyan --lib
    /// cli::bench::link::tests::full_run -- --ignored --nocapture`
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a measurement, run by hand in release mode"]
    async fn full_run() {
        let spec = std::env::var("HONGYAN_BENCH").unwrap_or_else(|_| "cmpp3:200000:64".into());
        let mut it = spec.split(':');
        let opts = LoadBenchOptions {
            protocol: it.next().unwrap().into(),
            messages: it.next().map_or(200_000, |s| s.parse().unwrap()),
            window: it.next().map_or(64, |s| s.parse().unwrap()),
            ..LoadBenchOptions::default()
        };
        let report = run_load_bench(opts).await.unwrap();
        println!("{report}");
    }
}
