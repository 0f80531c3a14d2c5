//! SGIP's reverse direction: the SP-side listener the Unicom gateway connects to for
//! Deliver (MO) and Report. It accepts a Bind with Login Type 2, checks the gateway's name
//! and password (and, optionally, the source address against an allow-list), and hands
//! every Deliver and Report on as a link event — reports go through the same matcher as
//! the account's submits. As on a session (`ack.rs`), a Deliver or Report is answered only
//! once the consumer has stored what it carried; the answers come back on the
//! connection's reply queue and are written in bursts. The gateway's Unbind is answered
//! once every Deliver and Report before it has its answer (or after [`UNBIND_WAIT`]). A
//! Deliver or Report that does not decode is answered at once with an error Result and
//! the connection goes on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use sgip::codec::Decoder;
use sgip::{Body, LoginType, Pdu};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use wire::{CodecError, EncodeError};

use super::ack::{Answer, Reply};
use super::config::SgipListenerConfig;
use super::event::LinkError;
use super::failure::{ConnectionLoss, IoFailure};
use super::protocol::{Classified, Frame, Inbound, ProtocolAdapter};
use super::sgip::SgipProtocol;
use super::shared::AccountState;
use super::undecodable::BadFrames;

/// How long a new connection may take to Bind.
const BIND_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection with no traffic for this long is closed (the gateway reconnects).
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the gateway's Unbind waits for the answers still owed before it.
const UNBIND_WAIT: Duration = Duration::from_secs(2);
/// Most replies taken off the reply queue in one go.
const REPLIES_PER_TURN: usize = 4096;

/// Why the listener let a gateway connection go (logged; the gateway connects again).
#[derive(Debug, thiserror::Error)]
enum ServeEnd {
    /// No Bind within [`BIND_TIMEOUT`].
    #[error("no Bind in time")]
    NoBind,
    /// The first PDU was not a Bind.
    #[error("expected a Bind, got {0}")]
    NotBind(&'static str),
    /// The Bind's name, password or login type did not match.
    #[error("Bind refused: {result} {meaning}")]
    BindRefused {
        /// The Result the Bind was answered with.
        result: u8,
        /// What it means.
        meaning: &'static str,
    },
    /// A frame before the Bind did not decode.
    #[error("malformed bytes from the gateway: {0}")]
    Codec(CodecError),
    /// An answer could not be encoded.
    #[error("cannot encode an answer: {0}")]
    Encode(#[from] EncodeError),
    /// The connection broke or the gateway closed it.
    #[error("{0}")]
    Lost(ConnectionLoss),
    /// Nothing came for [`IDLE_TIMEOUT`].
    #[error("idle")]
    Idle,
}

fn read_failed(e: &std::io::Error) -> ServeEnd {
    ServeEnd::Lost(ConnectionLoss::Read(IoFailure::from(e)))
}

fn write_failed(e: &std::io::Error) -> ServeEnd {
    ServeEnd::Lost(ConnectionLoss::Write(IoFailure::from(e)))
}

/// Binds the listener and spawns its accept loop.
pub(crate) async fn start(
    proto: Arc<SgipProtocol>,
    shared: Arc<AccountState>,
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
    let shutdown = shared.shutdown.clone();
    let task = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                // Shutdown, or the handle dropped without one.
                () = shutdown.triggered() => return,
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
) -> Result<Pdu, ServeEnd> {
    loop {
        match codec.decode(buf) {
            Ok(Some(pdu)) => return Ok(pdu),
            Ok(None) => {}
            Err(e) => return Err(ServeEnd::Codec(e)),
        }
        buf.reserve(4096);
        match stream.read_buf(buf).await {
            Ok(0) => return Err(ServeEnd::Lost(ConnectionLoss::Closed)),
            Ok(_) => {}
            Err(e) => return Err(read_failed(&e)),
        }
    }
}

async fn serve(
    proto: &SgipProtocol,
    shared: &AccountState,
    config: &SgipListenerConfig,
    mut stream: TcpStream,
) -> Result<(), ServeEnd> {
    let mut codec = proto.codec();
    let mut inbuf = BytesMut::with_capacity(8192);
    let mut out = BytesMut::with_capacity(8192);
    let bind = tokio::time::timeout(BIND_TIMEOUT, read_pdu(&mut stream, &mut codec, &mut inbuf))
        .await
        .map_err(|_| ServeEnd::NoBind)??;
    let Body::Bind(b) = &bind.body else {
        return Err(ServeEnd::NotBind(bind.command_name()));
    };
    let result = b.check(
        LoginType::SmgToSp,
        config.gateway_name.as_bytes(),
        config.gateway_password.as_bytes(),
    );
    if let Some(resp) = bind.response(result) {
        resp.encode(&mut out)?;
    }
    stream.write_all(&out).await.map_err(|e| write_failed(&e))?;
    out.clear();
    if result != 0 {
        tracing::warn!(link = %shared.config.name, result, meaning = sgip::status::result_meaning(result), "SGIP gateway Bind refused");
        return Err(ServeEnd::BindRefused {
            result,
            meaning: sgip::status::result_meaning(result),
        });
    }
    tracing::info!(link = %shared.config.name, "SGIP gateway bound");
    let (replies_tx, mut replies) = mpsc::unbounded_channel::<Reply>();
    let mut reply_buf = Vec::new();
    // Deliver / Report handed on whose reply has not come back yet.
    let mut unanswered = 0usize;
    let mut events = Vec::new();
    // The gateway's Unbind, once it came: its answer and until when it waits.
    let mut unbind: Option<(Option<Pdu>, Instant)> = None;
    let mut idle_at = Instant::now() + IDLE_TIMEOUT;
    let mut bad_frames = BadFrames::new();
    loop {
        let now = Instant::now();
        // Every complete PDU already read; what needs no storing is answered in the same
        // write as the replies that came.
        while unbind.is_none() {
            let Some(frame) = proto
                .next_frame(&mut codec, &mut inbuf)
                .map_err(|e| ServeEnd::Lost(ConnectionLoss::Malformed(e)))?
            else {
                break;
            };
            let pdu = match frame {
                Frame::Pdu(pdu) => pdu,
                Frame::Undecodable(bad) => {
                    // Answered with an error Result at once (nothing to store); the
                    // connection goes on.
                    bad_frames.log(&shared.config.name, "listener", &bad);
                    if let Some(a) = &bad.answer {
                        a.encode(&mut out)?;
                    }
                    continue;
                }
            };
            let Classified { inbound, answer } = proto.classify(pdu);
            match inbound {
                Inbound::Report { report, .. } => {
                    let answer = hold(answer, &replies_tx, &mut unanswered)?;
                    shared.on_report(report, answer, now, &mut events);
                }
                Inbound::Mo { deliver_id, part } => {
                    let answer = hold(answer, &replies_tx, &mut unanswered)?;
                    shared.on_mo(deliver_id, part, answer, now, &mut events);
                }
                Inbound::Close => unbind = Some((answer, now + UNBIND_WAIT)),
                other => {
                    if let Some(a) = answer {
                        a.encode(&mut out)?;
                    }
                    tracing::debug!(link = %shared.config.name, ?other, "unexpected PDU on the SGIP listener");
                }
            }
        }
        if !out.is_empty() {
            stream.write_all(&out).await.map_err(|e| write_failed(&e))?;
            out.clear();
        }
        shared.emit(&mut events).await;
        if let Some((answer, until)) = &unbind {
            if unanswered == 0 || Instant::now() >= *until {
                if unanswered > 0 {
                    tracing::info!(link = %shared.config.name, unanswered, "SGIP gateway unbound before every Deliver / Report was stored; it sends those again");
                }
                if let Some(a) = answer {
                    a.encode(&mut out)?;
                    stream.write_all(&out).await.map_err(|e| write_failed(&e))?;
                }
                return Ok(());
            }
        }
        let wake = unbind.as_ref().map_or(idle_at, |(_, until)| *until);
        let reading = unbind.is_none();
        tokio::select! {
            r = stream.read_buf(&mut inbuf), if reading => {
                match r {
                    Ok(0) => return Err(ServeEnd::Lost(ConnectionLoss::Closed)),
                    Ok(_) => idle_at = Instant::now() + IDLE_TIMEOUT,
                    Err(e) => return Err(read_failed(&e)),
                }
            }
            // Never closed: this task holds a sender itself.
            _ = replies.recv_many(&mut reply_buf, REPLIES_PER_TURN) => {
                for r in reply_buf.drain(..) {
                    unanswered = unanswered.saturating_sub(1);
                    if let Some(bytes) = r {
                        out.extend_from_slice(&bytes);
                    }
                }
            }
            () = sleep_until(wake) => {
                if reading {
                    if unanswered == 0 {
                        return Err(ServeEnd::Idle);
                    }
                    // Still owing answers: not idle.
                    idle_at = Instant::now() + IDLE_TIMEOUT;
                }
            }
        }
    }
}

/// The answer to a Deliver or Report, encoded now and held until the consumer has stored
/// what it carried.
fn hold(
    answer: Option<Pdu>,
    replies: &mpsc::UnboundedSender<Reply>,
    unanswered: &mut usize,
) -> Result<Option<Answer>, ServeEnd> {
    let Some(pdu) = answer else {
        return Ok(None);
    };
    let mut b = BytesMut::with_capacity(32);
    pdu.encode(&mut b)?;
    *unanswered += 1;
    Ok(Some(Answer::new(replies, b.freeze())))
}
