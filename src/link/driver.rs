//! The link: its connection tasks (connect, log in, run a session, back off, reconnect),
//! a housekeeping task, the SGIP listener, and the handle the owner drives it with.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::backoff::{Backoff, Failure};
use super::cmpp::CmppProtocol;
use super::config::{LinkConfig, ProtocolConfig};
use super::event::{LinkError, LinkEvent, SubmitError};
use super::failure::{ConnectError, IoFailure, LoginError, SessionEnd, Unreachable};
use super::message::OutboundMessage;
use super::protocol::ProtocolAdapter;
use super::session::Session;
use super::sgip::SgipProtocol;
use super::sgip_listener;
use super::shared::{AccountState, lock};
use super::smgp::SmgpProtocol;
use crate::shutdown::{Shutdown, ShutdownGuard};

/// How often held reports and pending MO sets are checked for age.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(1);

/// Starts links.
#[derive(Debug)]
pub struct LinkDriver;

impl LinkDriver {
    /// Starts a link: its connections begin connecting at once (SGIP: when the first
    /// message comes), the SGIP listener (if configured) is bound before this returns.
    /// Events arrive on the returned receiver; consume it from its own task, because a
    /// full event queue makes the link wait.
    ///
    /// The link closes gracefully (as [`LinkHandle::shutdown`] does, without handing the
    /// unsent messages back) when `shutdown` is triggered, and when its handle is dropped;
    /// it stops on a child of `shutdown`, so closing it never triggers the caller's.
    ///
    /// # Errors
    /// The SGIP listener cannot bind, or the configuration cannot work.
    pub async fn start(
        config: LinkConfig,
        shutdown: Shutdown,
    ) -> Result<(LinkHandle, mpsc::Receiver<LinkEvent>), LinkError> {
        Self::start_inner(config, None, shutdown).await
    }

    /// Like [`LinkDriver::start`], with the SGIP listener already bound (its address had to be
    /// known before the link started — e.g. to tell a simulator where to connect back).
    /// The configured `listen` address is not used.
    ///
    /// # Errors
    /// As [`LinkDriver::start`]; also when the link is not SGIP with a listener configured.
    pub async fn start_with_listener(
        config: LinkConfig,
        listener: TcpListener,
        shutdown: Shutdown,
    ) -> Result<(LinkHandle, mpsc::Receiver<LinkEvent>), LinkError> {
        match &config.protocol {
            ProtocolConfig::Sgip(s) if s.listener.is_some() => {}
            _ => {
                return Err(LinkError::Config(
                    "a pre-bound listener needs an SGIP link with a listener configured".into(),
                ));
            }
        }
        Self::start_inner(config, Some(listener), shutdown).await
    }

    async fn start_inner(
        config: LinkConfig,
        prebound: Option<TcpListener>,
        shutdown: Shutdown,
    ) -> Result<(LinkHandle, mpsc::Receiver<LinkEvent>), LinkError> {
        let (event_tx, event_rx) = mpsc::channel(config.event_capacity.get());
        let (intake_tx, intake_rx) = mpsc::channel(config.intake_capacity.get());
        let shutdown = shutdown.child();
        // Stops the tasks of a link that fails to start, or whose handle is dropped.
        let guard = shutdown.trigger_on_drop();
        let protocol = config.protocol.clone();
        let connections = config.connections.get();
        let shared = AccountState::new(config, event_tx, intake_rx, shutdown.clone());
        let mut tasks = Vec::new();
        let mut background = Vec::new();
        let mut listener_addr = None;
        match protocol {
            ProtocolConfig::Cmpp(version) => {
                let proto = Arc::new(CmppProtocol::new(version, shared.config.account.clone()));
                spawn_connections(&proto, &shared, connections, false, &mut tasks);
            }
            ProtocolConfig::Smgp(version) => {
                let proto = Arc::new(SmgpProtocol::new(version));
                spawn_connections(&proto, &shared, connections, false, &mut tasks);
            }
            ProtocolConfig::Sgip(sgip) => {
                if sgip.corp_id.len() > 5 {
                    return Err(LinkError::Config(format!(
                        "SGIP corp_id {:?} is longer than 5 digits",
                        sgip.corp_id
                    )));
                }
                let proto = Arc::new(SgipProtocol::new(sgip.node_id, sgip.corp_id.clone()));
                if let Some(listen) = sgip.listener.clone() {
                    let (addr, task) = sgip_listener::start(
                        Arc::clone(&proto),
                        Arc::clone(&shared),
                        listen,
                        prebound,
                    )
                    .await?;
                    listener_addr = Some(addr);
                    background.push(task);
                }
                spawn_connections(&proto, &shared, connections, true, &mut tasks);
            }
        }
        background.push(tokio::spawn(housekeeping(Arc::clone(&shared))));
        let handle = LinkHandle {
            submitter: LinkSender {
                intake: intake_tx,
                shared: Arc::clone(&shared),
            },
            shutdown,
            _guard: guard,
            tasks,
            background,
            listener_addr,
        };
        Ok((handle, event_rx))
    }
}

fn spawn_connections<P: ProtocolAdapter>(
    proto: &Arc<P>,
    shared: &Arc<AccountState>,
    connections: usize,
    on_demand: bool,
    tasks: &mut Vec<JoinHandle<()>>,
) {
    for conn in 0..connections {
        tasks.push(tokio::spawn(run_connection(
            Arc::clone(proto),
            Arc::clone(shared),
            conn,
            on_demand,
        )));
    }
}

/// A cheap, cloneable way to hand messages to a link from any task.
#[derive(Clone)]
pub struct LinkSender {
    intake: mpsc::Sender<OutboundMessage>,
    shared: Arc<AccountState>,
}

impl std::fmt::Debug for LinkSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkSender")
            .field("link", &self.shared.config.name)
            .finish()
    }
}

impl LinkSender {
    /// The link's state now.
    pub fn status(&self) -> LinkStatus {
        let shared = &self.shared;
        LinkStatus {
            connections_up: shared.counters.up.load(Ordering::Relaxed),
            retry_queued: lock(&shared.retry).len(),
            intake_queued: self.intake.max_capacity() - self.intake.capacity(),
            unsent_bytes: shared.counters.unsent.load(Ordering::Relaxed),
            shutting_down: shared.is_shutting_down(),
            throttled: shared.counters.throttled.load(Ordering::Relaxed),
        }
    }

    /// Queues a message, waiting while the queue is full (backpressure).
    ///
    /// # Errors
    /// The link is shutting down; the message comes back.
    pub async fn submit(&self, msg: OutboundMessage) -> Result<(), SubmitError> {
        if self.shared.is_shutting_down() {
            return Err(SubmitError(msg));
        }
        self.intake.send(msg).await.map_err(|e| SubmitError(e.0))
    }
}

/// A snapshot of a link's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkStatus {
    /// Connections logged in now.
    pub connections_up: usize,
    /// Messages handed back by closed connections, waiting to go out again.
    pub retry_queued: usize,
    /// Messages waiting in the intake queue.
    pub intake_queued: usize,
    /// Bytes the most recent flush could not hand to the kernel (the gateway reads more
    /// slowly than the link writes).
    pub unsent_bytes: usize,
    /// Whether shutdown has begun.
    pub shutting_down: bool,
    /// Flow-control answers so far (each part went again, more slowly).
    pub throttled: u64,
}

/// The owner's side of a running link.
pub struct LinkHandle {
    submitter: LinkSender,
    shutdown: Shutdown,
    /// Stops the link's tasks when the handle is dropped without a shutdown.
    _guard: ShutdownGuard,
    tasks: Vec<JoinHandle<()>>,
    background: Vec<JoinHandle<()>>,
    listener_addr: Option<SocketAddr>,
}

impl std::fmt::Debug for LinkHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkHandle")
            .field("link", &self.submitter.shared.config.name)
            .field("listener_addr", &self.listener_addr)
            .finish()
    }
}

impl LinkHandle {
    /// Queues a message, waiting while the queue is full.
    ///
    /// # Errors
    /// The link is shutting down; the message comes back.
    pub async fn submit(&self, msg: OutboundMessage) -> Result<(), SubmitError> {
        self.submitter.submit(msg).await
    }

    /// A cloneable submitter for other tasks.
    pub fn submitter(&self) -> LinkSender {
        self.submitter.clone()
    }

    /// The SGIP listener's bound address, if the link has one.
    pub fn listener_addr(&self) -> Option<SocketAddr> {
        self.listener_addr
    }

    /// The link's state now.
    pub fn status(&self) -> LinkStatus {
        self.submitter.status()
    }

    /// What the link's connections share, for tests to look into.
    #[cfg(test)]
    pub(crate) fn shared(&self) -> Arc<AccountState> {
        Arc::clone(&self.submitter.shared)
    }

    /// Graceful close: stop taking messages, wait up to the close grace for responses in
    /// flight, end each session (TERMINATE / Exit / Unbind), and hand back every message
    /// part that was not acknowledged, for requeueing elsewhere.
    pub async fn shutdown(self) -> Vec<OutboundMessage> {
        self.shutdown.trigger();
        for t in self.tasks {
            let _ = t.await;
        }
        for t in &self.background {
            t.abort();
        }
        let shared = self.submitter.shared;
        let mut back: Vec<OutboundMessage> = lock(&shared.retry).drain(..).collect();
        let mut rx = shared.intake.lock().await;
        while let Ok(m) = rx.try_recv() {
            back.push(m);
        }
        back
    }
}

async fn housekeeping(shared: Arc<AccountState>) {
    let mut tick = tokio::time::interval(HOUSEKEEPING_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut events = Vec::new();
    let shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            // Shutdown, or the handle dropped without one: the link is going away.
            () = shutdown.triggered() => return,
        }
        shared.housekeeping(Instant::now(), &mut events);
        shared.emit(&mut events).await;
    }
}

fn first_sequence(conn: usize) -> u32 {
    let r = RandomState::new().hash_one(conn);
    // Somewhere in the lower half, so a fresh connection does not start near the wrap.
    (r as u32 & 0x7fff_ffff).max(1)
}

/// Waits until there is a message for this connection; false on shutdown.
async fn wait_for_work(shared: &AccountState) -> bool {
    let shutdown = &shared.shutdown;
    let mut signal = shared.retry_signal.subscribe();
    loop {
        if shutdown.is_triggered() {
            return false;
        }
        if !lock(&shared.retry).is_empty() {
            return true;
        }
        tokio::select! {
            m = async { shared.intake.lock().await.recv().await } => {
                match m {
                    Some(m) => {
                        shared.requeue(vec![m]);
                        return true;
                    }
                    None => return false,
                }
            }
            _ = signal.changed() => {}
            () = shutdown.triggered() => return false,
        }
    }
}

async fn run_connection<P: ProtocolAdapter>(
    proto: Arc<P>,
    shared: Arc<AccountState>,
    conn: usize,
    on_demand: bool,
) {
    let name = shared.config.name.clone();
    let mut backoff = Backoff::new(shared.config.backoff);
    let shutdown = shared.shutdown.clone();
    let mut events = Vec::new();
    loop {
        if shutdown.is_triggered() {
            return;
        }
        if on_demand && !wait_for_work(&shared).await {
            return;
        }
        let failure = match connect(&shared).await {
            Err(e) => {
                tracing::warn!(link = %name, conn, reason = %e, "cannot connect");
                events.push(LinkEvent::Unreachable {
                    conn,
                    reason: Unreachable::Connect(e),
                });
                shared.emit(&mut events).await;
                Failure::Connection
            }
            Ok(stream) => {
                let mut session = Session::new(
                    Arc::clone(&proto),
                    Arc::clone(&shared),
                    conn,
                    stream,
                    first_sequence(conn),
                );
                match session.login().await {
                    Ok(()) => {
                        backoff.reset();
                        tracing::info!(link = %name, conn, protocol = proto.name(), "logged in");
                        shared.counters.up.fetch_add(1, Ordering::Relaxed);
                        events.push(LinkEvent::Up { conn });
                        shared.emit(&mut events).await;
                        let end = session.run().await;
                        shared.counters.up.fetch_sub(1, Ordering::Relaxed);
                        tracing::info!(link = %name, conn, reason = %end, "connection closed");
                        let next = match &end {
                            SessionEnd::Shutdown => None,
                            SessionEnd::Idle => Some(None),
                            SessionEnd::Lost(_) => Some(Some(Failure::Connection)),
                        };
                        events.push(LinkEvent::Down { conn, reason: end });
                        shared.emit(&mut events).await;
                        match next {
                            None => return,
                            Some(None) => continue,
                            Some(Some(failure)) => failure,
                        }
                    }
                    Err(LoginError::Refused { status, meaning }) => {
                        tracing::warn!(link = %name, conn, status, meaning, "the gateway refused the login");
                        events.push(LinkEvent::LoginRefused {
                            conn,
                            status,
                            meaning,
                        });
                        shared.emit(&mut events).await;
                        Failure::LoginRefused
                    }
                    Err(e) => {
                        tracing::warn!(link = %name, conn, reason = %e, "login failed");
                        events.push(LinkEvent::Unreachable {
                            conn,
                            reason: Unreachable::Login(e),
                        });
                        shared.emit(&mut events).await;
                        Failure::Connection
                    }
                }
            }
        };
        let delay = backoff.next_delay(failure);
        tracing::debug!(link = %name, conn, ?delay, "reconnecting after a pause");
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shutdown.triggered() => return,
        }
    }
}

async fn connect(shared: &AccountState) -> Result<TcpStream, ConnectError> {
    let addr = &shared.config.address;
    let after = shared.config.connect_timeout;
    let stream = tokio::time::timeout(after, connect_to(addr))
        .await
        .map_err(|_| ConnectError::TimedOut {
            addr: addr.clone(),
            after,
        })??;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Resolves `addr` and connects to its addresses in turn (as `TcpStream::connect` does),
/// telling a name that does not resolve from a gateway that refuses.
async fn connect_to(addr: &str) -> Result<TcpStream, ConnectError> {
    let resolved = tokio::net::lookup_host(addr)
        .await
        .map_err(|e| ConnectError::Address {
            addr: addr.to_owned(),
            io: IoFailure::from(&e),
        })?;
    let mut last = None;
    for a in resolved {
        match TcpStream::connect(a).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(connect_error(a, &e)),
        }
    }
    Err(last.unwrap_or_else(|| ConnectError::NoAddress {
        addr: addr.to_owned(),
    }))
}

fn connect_error(addr: SocketAddr, e: &std::io::Error) -> ConnectError {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => ConnectError::Refused { addr },
        _ => ConnectError::Io {
            addr,
            io: IoFailure::from(e),
        },
    }
}
