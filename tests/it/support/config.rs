//! The configs and carriers the tests start from: the embedded demo on a test's own
//! directory with quick reconnects, the same with its China Mobile link to an external
//! gateway (alone or beside the other simulated carriers), that gateway, an address
//! nothing listens on, and a store left as a crash leaves it.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use hongyan::config::{Config, Link};
use hongyan::route::Carrier;
use hongyan::sim::{SimConfig, SimHandle, SimProtocol, Simulator};
use hongyan::store::{ClaimRequest, NewJob, NewRecipient, Priority, StoreHandle};

/// The embedded default (three simulated carriers) with its data in `dir`, with quick
/// reconnects.
pub fn demo_config(dir: impl AsRef<Path>) -> Config {
    let mut c = Config::embedded_default().expect("the embedded default config loads");
    c.storage.data_dir = dir.as_ref().to_path_buf();
    for l in &mut c.links {
        quick(l);
    }
    c
}

/// [`demo_config`] with only the China Mobile link, pointed at a real (external) gateway
/// at `addr` — such as [`demo_gateway`] — instead of its built-in simulator.
pub fn mobile_only_at(dir: impl AsRef<Path>, addr: impl ToString) -> Config {
    let mut config = demo_config(dir);
    only_mobile_at(&mut config, addr);
    config
}

/// Keeps only `config`'s China Mobile link and points it at a real gateway at `addr`.
pub fn only_mobile_at(config: &mut Config, addr: impl ToString) {
    config.links.retain(|l| l.carrier() == Carrier::Mobile);
    external_mobile_at(config, addr);
}

/// Points `config`'s China Mobile link at a real gateway at `addr` (such as
/// [`free_addr`], where nothing answers) instead of its built-in simulator; the other
/// links stay as they are.
pub fn external_mobile_at(config: &mut Config, addr: impl ToString) {
    let mobile = config
        .links
        .iter_mut()
        .find(|l| l.carrier() == Carrier::Mobile)
        .expect("the config has a China Mobile link");
    mobile.simulated = false;
    mobile.address = Some(addr.to_string());
}

/// Reconnects within a fraction of a second, and a short wait for a closing session: a
/// test is not kept waiting by the production defaults.
fn quick(l: &mut Link) {
    l.reconnect_initial = Duration::from_millis(100);
    l.reconnect_max = Duration::from_millis(500);
    l.close_grace = Duration::from_secs(2);
}

/// A CMPP 3.0 gateway simulator's config that knows the embedded demo's China Mobile
/// account: the external gateway of [`mobile_only_at`], for a test that wants it to
/// outlive a daemon (start it with `hongyan::sim::Simulator::start`).
pub fn demo_gateway() -> SimConfig {
    SimConfig::new(SimProtocol::Cmpp3).account("901234", "demo-secret")
}

/// Starts [`demo_gateway`] on 127.0.0.1:0 with each status report held back
/// `report_delay` after its submit's response: an external gateway that outlives the
/// daemons a test starts against it (with [`mobile_only_at`] its address) and holds
/// their reports across a restart.
pub async fn start_demo_gateway(report_delay: Duration) -> SimHandle {
    let mut sc = demo_gateway();
    sc.report_delay = report_delay;
    Simulator::start(sc)
        .await
        .expect("the gateway simulator starts")
}

/// An address on 127.0.0.1 that nothing listens on (the port was free a moment ago).
pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("a bound listener's address")
}

/// Leaves one single-part China Mobile message with `text` claimed (in flight) by the
/// link `mobile-demo` in the store under `config`'s data directory, as a killed daemon
/// leaves it; the store is closed again. Returns (job, segment).
pub async fn leave_one_claimed(config: &Config, text: &str) -> (i64, i64) {
    let dir = &config.storage.data_dir;
    std::fs::create_dir_all(dir).expect("create the data directory");
    let store = StoreHandle::open(dir.join(&config.storage.database), Default::default())
        .expect("open the store");
    let now = hongyan::store::now_millis();
    let job = NewJob {
        sender: None,
        idempotency_key: None,
        priority: Priority::Notification,
        text: text.into(),
        signature: String::new(),
        source_ext: None,
        send_at: None,
        expires_at: Some(now + 3_600_000),
        recipients: vec![NewRecipient {
            number: "13800138000".into(),
            carrier: "mobile".into(),
            segments: 1,
            reference: None,
        }],
    };
    let id = store.enqueue(job, now).await.expect("enqueue").job_id;
    let claim = ClaimRequest {
        carrier: "mobile".into(),
        link: "mobile-demo".into(),
        connection: 0,
        max_segments: 10,
    };
    let claimed = store.claim(claim, now).await.expect("claim");
    assert_eq!(claimed.len(), 1, "one message claimed");
    let segment = claimed[0].segments[0].segment_id;
    store.close().await.expect("close the store");
    (id, segment)
}
