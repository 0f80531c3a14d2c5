//! SGIP's reverse direction: the SP-side listener the Unicom gateway connects to for
//! Deliver (MO) and Report. It accepts a Bind with Login Type 2, checks the gateway's name
//! and password (and, optionally, the source address against an allow-list), answers every
//! Deliver and Report at once and hands them on as link events — reports go through the
//! same matcher as the account's submits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use sgip::codec::Decoder;
use sgip::{Body, LoginType, Pdu};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::config::SgipListenerConfig;
use super::event::LinkError;
use super::protocol::{Classified, Inbound, LinkProtocol};
use super::sgip::SgipProtocol;
use super::shared::Shared;

/// How long a new connection may take to Bind.
const BIND_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection with no traffic for this long is closed (the gateway reconnects).
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Binds the listener and spawns its accept loop.
pub(crate) async fn start(
    proto: Arc<SgipProtocol>,
    shared: Arc<Shared>,
    config: SgipListenerConfig,
    prebound: Option<TcpListener>,
) -> Result<(SocketAddr, JoinHandle<()>), LinkError> {
    let listener = match prebound {
        Some(l) => l,
        None => TcpListener::bind(config.listen)
            .await
            .map_err(|source| LinkError::Listen {
                addr: config.listen,
                source,
            })?,
    };
    let addr = listener.local_addr().map_err(|source| LinkError::Listen {
        addr: config.listen,
        source,
    })?;
    let config = Arc::new(config);
    let mut shutdown = shared.shutdown.clone();
    let task = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                // Shutdown, or the handle dropped without one.
                _ = shutdown.changed() => return,
            };
            let (stream, peer) = match accepted {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(link = %shared.config.name, error = %e, "SGIP listener accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if let Some(allow) = &config.allow {
                if !allow.contains(&peer.ip()) {
                    tracing::warn!(link = %shared.config.name, %peer, "SGIP connection from an address not on the allow-list refused");
                    continue;
                }
            }
            let proto = Arc::clone(&proto);
            let shared = Arc::clone(&shared);
            let config = Arc::clone(&config);
            tokio::spawn(async move {
                if let Err(reason) = serve(&proto, &shared, &config, stream).await {
                    tracing::info!(link = %shared.config.name, %peer, %reason, "SGIP gateway connection closed");
                }
            });
        }
    });
    Ok((addr, task))
}

async fn read_pdu(
    stream: &mut TcpStream,
    codec: &mut sgip::SgipCodec,
    buf: &mut BytesMut,
) -> Result<Pdu, String> {
    loop {
        match codec.decode(buf) {
            Ok(Some(pdu)) => return Ok(pdu),
            Ok(None) => {}
            Err(e) => return Err(format!("malformed bytes from the gateway: {e}")),
        }
        buf.reserve(4096);
        match stream.read_buf(buf).await {
            Ok(0) => return Err("connection closed by the gateway".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
}

async fn serve(
    proto: &SgipProtocol,
    shared: &Shared,
    config: &SgipListenerConfig,
    mut stream: TcpStream,
) -> Result<(), String> {
    let mut codec = proto.codec();
    let mut inbuf = BytesMut::with_capacity(8192);
    let mut out = BytesMut::with_capacity(8192);
    let bind = tokio::time::timeout(BIND_TIMEOUT, read_pdu(&mut stream, &mut codec, &mut inbuf))
        .await
        .map_err(|_| "no Bind in time".to_string())??;
    let Body::Bind(b) = &bind.body else {
        return Err(format!("expected a Bind, got {}", bind.command_name()));
    };
    let result = b.check(
        LoginType::SmgToSp,
        config.gateway_name.as_bytes(),
        config.gateway_password.as_bytes(),
    );
    if let Some(resp) = bind.response(result) {
        resp.encode(&mut out).map_err(|e| e.to_string())?;
    }
    stream
        .write_all(&out)
        .await
        .map_err(|e| format!("write failed: {e}"))?;
    out.clear();
    if result != 0 {
        tracing::warn!(link = %shared.config.name, result, meaning = sgip::status::result_meaning(result), "SGIP gateway Bind refused");
        return Err("Bind refused".into());
    }
    tracing::info!(link = %shared.config.name, "SGIP gateway bound");
    let mut events = Vec::new();
    loop {
        let pdu = tokio::time::timeout(IDLE_TIMEOUT, read_pdu(&mut stream, &mut codec, &mut inbuf))
            .await
            .map_err(|_| "idle".to_string())??;
        let now = Instant::now();
        let mut close = false;
        // Handle this PDU and every other complete one already buffered, then answer
        // them all in one write.
        let mut next = Some(pdu);
        while let Some(pdu) = next.take() {
            let Classified { inbound, answer } = proto.classify(pdu);
            if let Some(a) = answer {
                a.encode(&mut out).map_err(|e| e.to_string())?;
            }
            match inbound {
                Inbound::Report { report, .. } => {
                    shared.on_report(report, now, &mut events);
                }
                Inbound::Mo { deliver_id, part } => {
                    shared.on_mo(deliver_id, part, now, &mut events)
                }
                Inbound::Close => close = true,
                other => {
                    tracing::debug!(link = %shared.config.name, ?other, "unexpected PDU on the SGIP listener");
                }
            }
            if close {
                break;
            }
            next = codec
                .decode(&mut inbuf)
                .map_err(|e| format!("malformed bytes from the gateway: {e}"))?;
        }
        stream
            .write_all(&out)
            .await
            .map_err(|e| format!("write failed: {e}"))?;
        out.clear();
        shared.emit(&mut events).await;
        if close {
            return Ok(());
        }
    }
}
