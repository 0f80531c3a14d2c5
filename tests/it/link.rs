//! The link driver against the carrier gateway simulators, one test per protocol version
//! and situation: 1,000 messages (some long, some to several recipients in one submit)
//! each acknowledged and reported exactly once; the same under injected faults; malformed
//! bytes; long MO messages. Real sockets on 127.0.0.1:0, real time, every wait bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use hongyan::link::{
    BackoffConfig, LinkConfig, LinkDriver, LinkEvent, LinkHandle, OutboundMessage, ProtocolConfig,
    SgipConfig, SgipListenerConfig,
};
use hongyan::shutdown::Shutdown;
use hongyan::sim::{MoSpec, MoSplit, SimConfig, SimHandle, SimProtocol, Simulator};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::timeout;
use wire::segment::{SplitOptions, split};

use crate::support::wait_until;

const LIMIT: Duration = Duration::from_secs(60);
const ACCOUNT: &str = "901234";
const SECRET: &str = "Sec@2024";
const GW_NAME: &str = "unicomgw";
const GW_PASS: &str = "gwpass";

/// Message `i`: every tenth is long (three parts), every seventh goes to five recipients.
fn message(i: u64) -> OutboundMessage {
    let text = if i % 10 == 0 {
        format!("{i}:{}", "长".repeat(150))
    } else {
        format!("message {i} 你好")
    };
    let s = split(&text, &SplitOptions::default(), (i % 256) as u16).unwrap();
    let recipients = if i % 7 == 0 {
        (1..=5).map(|k| format!("1380013{i:03}{k}")).collect()
    } else {
        vec![format!("139{i:08}")]
    };
    OutboundMessage::new(i, recipients, "10690001", s.coding, s.segments)
}

fn parts(n: u64) -> usize {
    (0..n).map(|i| message(i).parts.len()).sum()
}

fn reports(n: u64) -> usize {
    (0..n)
        .map(|i| message(i).parts.len() * message(i).recipients.len())
        .sum()
}

struct Rig {
    sim: SimHandle,
    handle: LinkHandle,
    rx: mpsc::Receiver<LinkEvent>,
}

fn link_config(protocol: SimProtocol, sim_addr: SocketAddr) -> LinkConfig {
    let p = match protocol {
        SimProtocol::Cmpp2 => ProtocolConfig::Cmpp(cmpp::Version::V20),
        SimProtocol::Cmpp3 => ProtocolConfig::Cmpp(cmpp::Version::V30),
        SimProtocol::Smgp => ProtocolConfig::Smgp(smgp::Version::V30),
        SimProtocol::Sgip => ProtocolConfig::Sgip(SgipConfig {
            node_id: 3_010_012_345,
            corp_id: "12345".into(),
            listener: Some(SgipListenerConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                gateway_name: GW_NAME.into(),
                gateway_password: GW_PASS.into(),
                allow: Some(vec![[127, 0, 0, 1].into()]),
            }),
        }),
    };
    let mut c = LinkConfig::new("it", p, sim_addr.to_string(), ACCOUNT, SECRET);
    c.window.capacity = NonZeroUsize::new(32).unwrap();
    c.window.response_timeout = Duration::from_millis(800);
    c.backoff = BackoffConfig {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(100),
        multiplier: 2.0,
        min_delay: Duration::from_millis(10),
        refused_min_delay: Duration::from_millis(50),
    };
    c.close_grace = Duration::from_secs(2);
    c.flow_control_pause = Duration::from_millis(5);
    c
}

async fn rig(protocol: SimProtocol, tweak: impl FnOnce(&mut SimConfig, &mut LinkConfig)) -> Rig {
    let mut sim_config = SimConfig::new(protocol).account(ACCOUNT, SECRET);
    let listener = if protocol == SimProtocol::Sgip {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        sim_config.sgip_sp_listener = Some(l.local_addr().unwrap());
        sim_config.sgip_sp_account = Some(hongyan::sim::Account::new(GW_NAME, GW_PASS));
        Some(l)
    } else {
        None
    };
    let mut link = link_config(protocol, "127.0.0.1:1".parse().unwrap());
    tweak(&mut sim_config, &mut link);
    let sim = Simulator::start(sim_config).await.unwrap();
    link.address = sim.local_addr().to_string();
    let (handle, rx) = match listener {
        Some(l) => LinkDriver::start_with_listener(link, l, Shutdown::new())
            .await
            .unwrap(),
        None => LinkDriver::start(link, Shutdown::new()).await.unwrap(),
    };
    Rig { sim, handle, rx }
}

#[derive(Debug, Default)]
struct Tally {
    submitted: HashMap<(u64, u8), u32>,
    reported: HashMap<(u64, u8, usize), u32>,
    unmatched: usize,
    failed: Vec<String>,
    ups: usize,
    refused: usize,
    downs: Vec<String>,
    mo: Vec<wire::reassembly::MoMessage>,
}

impl Tally {
    fn take(&mut self, e: LinkEvent) {
        match e {
            LinkEvent::Submitted { id, part, .. } => {
                *self.submitted.entry((id, part)).or_default() += 1
            }
            // Nothing is stored here: each DELIVER is answered as soon as it is counted.
            LinkEvent::Report {
                matched: Some(m),
                ack,
                ..
            } => {
                ack.answer();
                let r = m.recipient_index.expect("recipient known");
                *self.reported.entry((m.id, m.part, r)).or_default() += 1;
            }
            LinkEvent::Report {
                matched: None, ack, ..
            } => {
                ack.answer();
                self.unmatched += 1;
            }
            LinkEvent::Failed {
                id, part, reason, ..
            } => self.failed.push(format!("{id}/{part}: {reason}")),
            LinkEvent::Up { .. } => self.ups += 1,
            LinkEvent::Down { reason, .. } => self.downs.push(reason.to_string()),
            LinkEvent::LoginRefused { .. } => self.refused += 1,
            LinkEvent::Mo { message, ack } => {
                ack.answer();
                self.mo.push(message);
            }
            LinkEvent::Unparsed { .. } | LinkEvent::Unreachable { .. } => {}
        }
    }
}

async fn collect(rx: &mut mpsc::Receiver<LinkEvent>, done: impl Fn(&Tally) -> bool) -> Tally {
    let mut t = Tally::default();
    let _ = timeout(LIMIT, async {
        while !done(&t) {
            match rx.recv().await {
                Some(e) => t.take(e),
                None => return,
            }
        }
    })
    .await;
    t
}

fn submit_all(handle: &LinkHandle, n: u64) {
    let sub = handle.submitter();
    tokio::spawn(async move {
        for i in 0..n {
            sub.submit(message(i)).await.unwrap();
        }
    });
}

/// Runs `n` messages and checks every part acknowledged once and every recipient of every
/// part reported once.
async fn run_through(rig: &mut Rig, n: u64) -> Tally {
    submit_all(&rig.handle, n);
    let (parts, reports) = (parts(n), reports(n));
    let t = collect(&mut rig.rx, |t| {
        t.submitted.len() == parts && t.reported.len() == reports
    })
    .await;
    assert!(t.failed.is_empty(), "{:?}", t.failed);
    assert_eq!(t.submitted.len(), parts, "downs {:?}", t.downs);
    assert!(
        t.submitted.values().all(|&c| c == 1),
        "a part acknowledged twice"
    );
    assert_eq!(
        t.reported.len(),
        reports,
        "{} unmatched reports",
        t.unmatched
    );
    assert!(
        t.reported.values().all(|&c| c == 1),
        "a report handed on twice"
    );
    t
}

async fn thousand(protocol: SimProtocol) {
    let mut rig = rig(protocol, |_, _| {}).await;
    run_through(&mut rig, 1000).await;
    let stats = rig.sim.stats();
    assert_eq!(stats.submits_accepted as usize, parts(1000));
    assert_eq!(stats.duplicates_after_ack, 0);
    let back = timeout(LIMIT, rig.handle.shutdown()).await.unwrap();
    assert!(back.is_empty());
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn cmpp2_thousand_messages() {
    thousand(SimProtocol::Cmpp2).await;
}

#[tokio::test]
async fn cmpp3_thousand_messages() {
    thousand(SimProtocol::Cmpp3).await;
}

#[tokio::test]
async fn smgp_thousand_messages() {
    thousand(SimProtocol::Smgp).await;
}

#[tokio::test]
async fn sgip_thousand_messages() {
    thousand(SimProtocol::Sgip).await;
}

/// Faults while 1,000 messages go through: a refused login first, then throttling, slow
/// responses, dropped responses and a connection closed mid-window.
async fn thousand_with_faults(protocol: SimProtocol) {
    let mut rig = rig(protocol, |_, link| {
        // Long enough that only the dropped responses are resent, however busy the
        // machine running the tests is.
        link.window.response_timeout = Duration::from_secs(3);
        link.window.max_attempts = std::num::NonZeroU32::new(5).unwrap();
    })
    .await;
    let faults = rig.sim.faults();
    let refuse_status = match protocol {
        SimProtocol::Cmpp2 | SimProtocol::Cmpp3 => 3,
        SimProtocol::Smgp => 21,
        SimProtocol::Sgip => 1,
    };
    faults.refuse_logins(1, refuse_status);
    faults.throttle_next(40);
    faults.drop_next_responses(5);
    faults.close_after_submits(300);
    let sim = rig.sim.clone();
    tokio::spawn(async move {
        // Slow responses for a while, once traffic flows.
        let _ = sim.wait_until(|s| s.submits_accepted > 500, LIMIT).await;
        sim.faults().delay_responses(Duration::from_millis(50));
        let _ = sim.wait_until(|s| s.submits_accepted > 700, LIMIT).await;
        sim.faults().delay_responses(Duration::ZERO);
    });
    let t = run_through(&mut rig, 1000).await;
    assert_eq!(t.refused, 1);
    assert!(
        t.ups >= 2,
        "reconnected after the mid-window close: {:?}",
        t.downs
    );
    let stats = rig.sim.stats();
    assert_eq!(stats.duplicates_after_ack, 0, "{stats:?}");
    assert!(stats.submits_throttled >= 40);
    rig.handle.shutdown().await;
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn cmpp2_thousand_messages_with_faults() {
    thousand_with_faults(SimProtocol::Cmpp2).await;
}

#[tokio::test]
async fn cmpp3_thousand_messages_with_faults() {
    thousand_with_faults(SimProtocol::Cmpp3).await;
}

#[tokio::test]
async fn smgp_thousand_messages_with_faults() {
    thousand_with_faults(SimProtocol::Smgp).await;
}

#[tokio::test]
async fn sgip_thousand_messages_with_faults() {
    thousand_with_faults(SimProtocol::Sgip).await;
}

async fn malformed(protocol: SimProtocol) {
    let mut rig = rig(protocol, |_, _| {}).await;
    run_through(&mut rig, 20).await;
    rig.sim.faults().send_malformed();
    // The link drops the connection, reconnects, and messages still go through.
    let t = collect(&mut rig.rx, |t| !t.downs.is_empty()).await;
    assert!(t.downs[0].contains("malformed"), "{:?}", t.downs);
    run_through(&mut rig, 20).await;
    rig.handle.shutdown().await;
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn cmpp3_malformed_bytes_reconnect() {
    malformed(SimProtocol::Cmpp3).await;
}

#[tokio::test]
async fn smgp_malformed_bytes_reconnect() {
    malformed(SimProtocol::Smgp).await;
}

async fn long_mo(protocol: SimProtocol) {
    let mut rig = rig(protocol, |_, _| {}).await;
    // A connection must be up (CMPP/SMGP deliver on it; SGIP connects back).
    run_through(&mut rig, 1).await;
    let text = "回复".repeat(100);
    let from = if protocol == SimProtocol::Sgip {
        "8613800138000"
    } else {
        "13800138000"
    };
    rig.sim
        .deliver_mo(
            MoSpec::new(from, "1069000188", text.clone()).split(MoSplit {
                udh16: false,
                out_of_order: true,
                duplicate_one: true,
            }),
        )
        .await
        .unwrap();
    let t = collect(&mut rig.rx, |t| !t.mo.is_empty()).await;
    assert_eq!(t.mo.len(), 1);
    let mo = &t.mo[0];
    assert!(mo.is_complete(), "{mo:?}");
    assert_eq!(mo.text.as_deref(), Some(text.as_str()));
    assert_eq!(mo.destination, "1069000188");
    rig.handle.shutdown().await;
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn cmpp2_long_mo_is_reassembled() {
    long_mo(SimProtocol::Cmpp2).await;
}

#[tokio::test]
async fn smgp_long_mo_is_reassembled() {
    long_mo(SimProtocol::Smgp).await;
}

#[tokio::test]
async fn sgip_long_mo_is_reassembled_from_the_reverse_connection() {
    long_mo(SimProtocol::Sgip).await;
}

#[tokio::test]
async fn sgip_unbinds_when_idle_and_reconnects_on_demand() {
    let mut rig = rig(SimProtocol::Sgip, |_, link| {
        link.idle_unbind = Duration::from_millis(200);
    })
    .await;
    run_through(&mut rig, 5).await;
    let t = collect(&mut rig.rx, |t| !t.downs.is_empty()).await;
    assert_eq!(t.downs, vec!["idle".to_string()]);
    run_through(&mut rig, 5).await;
    assert!(rig.sim.stats().logins_ok >= 2);
    rig.handle.shutdown().await;
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn several_connections_share_the_work() {
    let mut rig = rig(SimProtocol::Cmpp3, |_, link| {
        link.connections = NonZeroUsize::new(3).unwrap();
    })
    .await;
    run_through(&mut rig, 300).await;
    let by_conn = rig
        .sim
        .submits()
        .iter()
        .map(|s| s.connection)
        .collect::<std::collections::HashSet<_>>();
    assert!(by_conn.len() >= 2, "{by_conn:?}");
    rig.handle.shutdown().await;
    rig.sim.shutdown().await;
}

/// Reports written before their submit responses are held and matched when the response
/// comes: still every report matched, once.
async fn reports_first(protocol: SimProtocol) {
    let mut rig = rig(protocol, |_, _| {}).await;
    rig.sim.faults().reports_before_responses(150);
    run_through(&mut rig, 200).await;
    rig.handle.shutdown().await;
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn cmpp3_reports_before_responses_are_matched() {
    reports_first(SimProtocol::Cmpp3).await;
}

#[tokio::test]
async fn smgp_reports_before_responses_are_matched() {
    reports_first(SimProtocol::Smgp).await;
}

/// A stalled gateway (reads nothing, keeps writing) with a large window: the link keeps
/// reading and answering its MO DELIVERs; when the gateway reads again everything
/// completes.
#[tokio::test]
async fn cmpp3_stalled_gateway_still_gets_its_delivers_answered() {
    let mut rig = rig(SimProtocol::Cmpp3, |_, link| {
        link.window.capacity = NonZeroUsize::new(50_000).unwrap();
        link.window.response_timeout = Duration::from_secs(30);
        link.intake_capacity = NonZeroUsize::new(20_000).unwrap();
        link.event_capacity = NonZeroUsize::new(100_000).unwrap();
    })
    .await;
    run_through(&mut rig, 1).await;
    rig.sim.faults().pause_reading(true);
    // Long messages (three parts each): more than both socket buffers hold.
    let sub = rig.handle.submitter();
    tokio::spawn(async move {
        for i in 0..12_000 {
            if sub.submit(message(i * 10)).await.is_err() {
                return;
            }
        }
    });
    // Our writes back up: both socket buffers are full.
    wait_until("both socket buffers full", LIMIT, async || {
        rig.handle.status().unsent_bytes > 0
    })
    .await;
    for i in 0..200 {
        rig.sim
            .deliver_mo(MoSpec::new("13800138000", "1069000188", format!("mo {i}")))
            .await
            .unwrap();
    }
    let t = collect(&mut rig.rx, |t| t.mo.len() == 200).await;
    assert_eq!(t.mo.len(), 200, "the link stopped reading");
    rig.sim
        .wait_until(|s| s.mo_sent >= 200, LIMIT)
        .await
        .unwrap();
    rig.sim.faults().pause_reading(false);
    rig.sim
        .wait_until(|s| s.mo_acked >= 200, LIMIT)
        .await
        .unwrap();
    rig.handle.shutdown().await;
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_ends_the_session_properly() {
    for protocol in [SimProtocol::Cmpp3, SimProtocol::Smgp] {
        let mut rig = rig(protocol, |_, _| {}).await;
        run_through(&mut rig, 10).await;
        let back = timeout(LIMIT, rig.handle.shutdown()).await.unwrap();
        assert!(back.is_empty());
        rig.sim
            .wait_until(|s| s.terminates >= 1, LIMIT)
            .await
            .expect("TERMINATE / Exit seen by the gateway");
        rig.sim.shutdown().await;
    }
}
