//! What the link's socket tests share: the gateway's end of a connection on 127.0.0.1
//! ([`GwConn`]: accept or connect, write bytes, read the next PDU, every wait bounded by
//! [`LIMIT`]), waiting for the next MO event, and the SGIP reverse listener's config.
//! Each test file keeps only its own scripts (which PDUs to answer how).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_util::codec::Decoder;
use wire::reassembly::MoMessage;

use super::{Ack, LinkEvent, SgipConfig, SgipListenerConfig};

/// An SGIP link (node 3000000001) whose reverse listener is on 127.0.0.1 port 0 and
/// takes the gateway's Bind as `gw`/`pw`, from `allow` only when given.
pub(crate) fn sgip_listener(allow: Option<Vec<IpAddr>>) -> SgipConfig {
    SgipConfig {
        node_id: 3_000_000_001,
        corp_id: "1".into(),
        listener: Some(SgipListenerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            gateway_name: "gw".into(),
            gateway_password: "pw".into(),
            allow,
        }),
    }
}

/// The longest any single wait of a link socket test may take.
pub(crate) const LIMIT: Duration = Duration::from_secs(20);

/// The gateway's end of one connection with the link, decoding with `C`.
pub(crate) struct GwConn<C> {
    stream: TcpStream,
    codec: C,
    buf: BytesMut,
}

impl<C: Decoder<Error = wire::CodecError>> GwConn<C> {
    /// Takes the link's next connection to `listener` (the gateway as server).
    pub(crate) async fn accept(listener: &TcpListener, codec: C) -> Self {
        let (stream, _) = timeout(LIMIT, listener.accept()).await.unwrap().unwrap();
        Self::over(stream, codec)
    }

    /// Connects to the link's listener at `addr` (the SGIP gateway as client).
    pub(crate) async fn connect(addr: SocketAddr, codec: C) -> Self {
        let stream = timeout(LIMIT, TcpStream::connect(addr))
            .await
            .unwrap()
            .unwrap();
        Self::over(stream, codec)
    }

    fn over(stream: TcpStream, codec: C) -> Self {
        Self {
            stream,
            codec,
            buf: BytesMut::new(),
        }
    }

    /// Writes `bytes` as they are (well-formed or not).
    pub(crate) async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next PDU the link wrote; fails the test when the link closes first.
    pub(crate) async fn recv(&mut self) -> C::Item {
        timeout(LIMIT, async {
            loop {
                if let Some(p) = self.codec.decode(&mut self.buf).unwrap() {
                    return p;
                }
                let n = self.stream.read_buf(&mut self.buf).await.unwrap();
                assert_ne!(n, 0, "the link closed the connection");
            }
        })
        .await
        .expect("timed out waiting for a PDU from the link")
    }
}

/// The next MO event, passing over `Up` (and `Down` when `down_ok`); any other event
/// fails the test.
pub(crate) async fn next_mo(rx: &mut mpsc::Receiver<LinkEvent>, down_ok: bool) -> (MoMessage, Ack) {
    timeout(LIMIT, async {
        loop {
            match rx.recv().await.expect("the link's event queue closed") {
                LinkEvent::Mo { message, ack } => return (message, ack),
                LinkEvent::Up { .. } => {}
                LinkEvent::Down { .. } if down_ok => {}
                e => panic!("expected an MO, got {e:?}"),
            }
        }
    })
    .await
    .expect("timed out waiting for an MO")
}
