//! Starting a simulator and driving it: [`Simulator::start`] binds the listener and
//! spawns the accept loop (and, for SGIP, the reverse-connection task); [`SimHandle`]
//! reads statistics, injects faults, delivers MO messages and shuts it down.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::SimError;
use super::cmpp::CmppGateway;
use super::config::{SimConfig, SimProtocol};
use super::faults::Faults;
use super::mo::MoSpec;
use super::reverse;
use super::session::serve;
use super::sgip::SgipGateway;
use super::shared::{GatewayState, ReceivedSubmit, lock};
use super::smgp::SmgpGateway;
use super::stats::SimStats;
use crate::shutdown::{Shutdown, ShutdownGuard};

/// Starts simulators.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Bind `config.listen` and start serving. Fails on a bad configuration or when the
    /// address cannot be bound.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        config.validate()?;
        let listener = TcpListener::bind(config.listen).await?;
        let local_addr = listener.local_addr()?;
        let shutdown = Shutdown::new();
        let (reverse_tx, reverse_rx) = if config.protocol == SimProtocol::Sgip {
            let (tx, rx) = mpsc::unbounded_channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let protocol = config.protocol;
        let shared = Arc::new(GatewayState::new(config, reverse_tx));
        let mut tasks = Vec::new();
        if let Some(rx) = reverse_rx {
            tasks.push(tokio::spawn(reverse::run(
                Arc::clone(&shared),
                rx,
                shutdown.clone(),
            )));
        }
        tasks.push(tokio::spawn(accept_loop(
            listener,
            Arc::clone(&shared),
            shutdown.clone(),
        )));
        tracing::info!(protocol = %protocol, listen = %local_addr, "simulator started");
        Ok(SimHandle {
            inner: Arc::new(Inner {
                shared,
                local_addr,
                _stop_on_drop: shutdown.trigger_on_drop(),
                shutdown,
                tasks: std::sync::Mutex::new(tasks),
                reference: AtomicU16::new(1),
            }),
        })
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<GatewayState>, shutdown: Shutdown) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.triggered() => return,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors and the like: wait a little rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let sh = Arc::clone(&shared);
        let stop = shutdown.clone();
        match shared.config.protocol {
            SimProtocol::Cmpp2 => tokio::spawn(serve(
                CmppGateway::new(cmpp::Version::V20),
                stream,
                peer,
                sh,
                stop,
            )),
            SimProtocol::Cmpp3 => tokio::spawn(serve(
                CmppGateway::new(cmpp::Version::V30),
                stream,
                peer,
                sh,
                stop,
            )),
            SimProtocol::Smgp => tokio::spawn(serve(SmgpGateway::new(), stream, peer, sh, stop)),
            SimProtocol::Sgip => {
                tokio::spawn(serve(SgipGateway::default(), stream, peer, sh, stop))
            }
        };
    }
}

#[derive(Debug)]
struct Inner {
    shared: Arc<GatewayState>,
    local_addr: SocketAddr,
    shutdown: Shutdown,
    /// The last handle dropped without [`SimHandle::shutdown`] still stops the tasks.
    _stop_on_drop: ShutdownGuard,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
    reference: AtomicU16,
}

/// A running simulator (cheap to clone; every clone controls the same simulator).
#[derive(Debug, Clone)]
pub struct SimHandle {
    inner: Arc<Inner>,
}

impl SimHandle {
    /// The address it listens on (the real port when configured with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.inner.shared.config
    }

    /// Fault injection.
    pub fn faults(&self) -> Faults {
        Faults {
            state: Arc::clone(&self.inner.shared.faults),
            shared: Arc::clone(&self.inner.shared),
        }
    }

    /// The counters now.
    pub fn stats(&self) -> SimStats {
        self.inner.shared.stats.snapshot()
    }

    /// Every accepted submit so far, in order (empty unless
    /// [`SimConfig::record_submits`]).
    pub fn submits(&self) -> Vec<ReceivedSubmit> {
        self.inner.shared.submits()
    }

    /// Deliver an MO message: CMPP / SMGP on an open connection of the account that
    /// takes Delivers (all parts on the same one); SGIP over the connection to the SP's
    /// listener, connecting and binding if needed. Returns once the parts are queued;
    /// watch `mo_sent` / `mo_acked` for their progress.
    pub async fn deliver_mo(&self, mo: MoSpec) -> Result<(), SimError> {
        let shared = &self.inner.shared;
        if self.inner.shutdown.is_triggered() {
            return Err(SimError::Shutdown);
        }
        let account = shared
            .account_by_name(mo.account.as_deref())
            .ok_or_else(|| SimError::NoConnection(mo.account.clone().unwrap_or_default()))?;
        if shared.config.protocol == SimProtocol::Sgip
            && (shared.config.sgip_sp_listener.is_none() || shared.config.sgip_sp_account.is_none())
        {
            return Err(SimError::Config {
                field: "sgip_sp_listener",
                reason: "SGIP delivers MO over the SP's listener: set it and sgip_sp_account"
                    .to_owned(),
            });
        }
        let reference = self.inner.reference.fetch_add(1, Ordering::Relaxed);
        let parts = mo.parts(account, reference)?;
        tracing::info!(
            account = shared.account_id(account),
            to = %mo.to,
            parts = parts.len(),
            "MO queued"
        );
        if shared.send_mo(account, parts) {
            Ok(())
        } else {
            Err(SimError::NoConnection(
                shared.account_id(account).to_owned(),
            ))
        }
    }

    /// Wait until `pred` holds for the counters, or `timeout` passes (then
    /// [`SimError::Timeout`] with the last counters). Woken by changes, never polling.
    pub async fn wait_until(
        &self,
        pred: impl Fn(&SimStats) -> bool,
        timeout: Duration,
    ) -> Result<SimStats, SimError> {
        let stats = &self.inner.shared.stats;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = stats.notify().notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = stats.snapshot();
            if pred(&now) {
                return Ok(now);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let last = stats.snapshot();
                return if pred(&last) {
                    Ok(last)
                } else {
                    Err(SimError::Timeout(Box::new(last)))
                };
            }
        }
    }

    /// Stop accepting, close every connection (the SGIP reverse one with Unbind) and
    /// wait for the tasks to end (bounded).
    pub async fn shutdown(self) {
        self.inner.shutdown.trigger();
        let tasks: Vec<_> = lock(&self.inner.tasks).drain(..).collect();
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
        // Connection tasks end on the same signal; give them a moment to hand back.
        let _ = self
            .wait_until(|s| s.open_connections == 0, Duration::from_secs(5))
            .await;
        tracing::info!(listen = %self.inner.local_addr, "simulator stopped");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::sim::Account;

    #[tokio::test]
    async fn dropping_the_last_handle_stops_the_simulator() {
        let mut config = SimConfig::new(SimProtocol::Cmpp3);
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.accounts = vec![Account::new("901234", "secret")];
        let handle = Simulator::start(config).await.unwrap();
        let addr = handle.local_addr();
        let clone = handle.clone();
        drop(handle);
        // A clone still controls it: still listening.
        drop(tokio::net::TcpStream::connect(addr).await.unwrap());
        drop(clone);
        tokio::time::timeout(Duration::from_secs(10), async {
            while tokio::net::TcpStream::connect(addr).await.is_ok() {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the listener closes once the last handle is gone");
    }
}
