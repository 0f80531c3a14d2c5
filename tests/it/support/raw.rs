//! A raw protocol peer: one TCP connection speaking PDUs through a protocol crate's
//! codec, for a test that plays the client of a simulator or the carrier gateway of a
//! link. It reads decoded PDUs or exact frames, writes PDUs or raw bytes, and checks
//! that the other side hangs up; every read is bounded by [`STEP`].

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use cmpp::codec::{Decoder, Encoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use wire::CodecError;

/// The bound of one step of a raw peer: a connection, a PDU, a hang-up.
pub const STEP: Duration = Duration::from_secs(10);

/// One connection speaking raw PDUs through the codec `C` (CMPP, SMGP or SGIP).
pub struct RawPeer<C> {
    /// The connection.
    pub stream: TcpStream,
    /// The protocol's codec.
    pub codec: C,
    /// What was read and not yet taken.
    pub rbuf: BytesMut,
}

impl<C> RawPeer<C>
where
    C: Decoder<Error = CodecError>,
    C::Item: std::fmt::Debug,
{
    /// Connects to `addr` (a simulator, or a link's SGIP listener).
    pub async fn connect(addr: SocketAddr, codec: C) -> Self {
        let stream = timeout(STEP, TcpStream::connect(addr))
            .await
            .unwrap_or_else(|_| panic!("timed out connecting to {addr}"))
            .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
        Self::over(stream, codec)
    }

    /// Accepts the next connection on `listener` (a link's, or a simulator's reverse
    /// connection).
    pub async fn accept(listener: &TcpListener, codec: C) -> Self {
        let (stream, _) = timeout(STEP, listener.accept())
            .await
            .expect("timed out waiting for a connection")
            .expect("accept a connection");
        Self::over(stream, codec)
    }

    /// Over an open connection.
    pub fn over(stream: TcpStream, codec: C) -> Self {
        Self {
            stream,
            codec,
            rbuf: BytesMut::new(),
        }
    }

    /// Writes `bytes` as they are.
    pub async fn write(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .await
            .expect("write to the peer");
    }

    /// Encodes and writes `pdu`.
    pub async fn send<P>(&mut self, pdu: P)
    where
        C: Encoder<P, Error = CodecError>,
    {
        let mut b = BytesMut::new();
        self.codec.encode(pdu, &mut b).expect("encode the PDU");
        self.write(&b).await;
    }

    /// The next PDU; `None` at end of stream, an error if it cannot be decoded.
    pub async fn next(&mut self) -> Option<Result<C::Item, CodecError>> {
        timeout(STEP, self.read_pdu())
            .await
            .expect("timed out waiting for a PDU")
    }

    async fn read_pdu(&mut self) -> Option<Result<C::Item, CodecError>> {
        loop {
            match self.codec.decode(&mut self.rbuf) {
                Ok(Some(p)) => return Some(Ok(p)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
            match self.stream.read_buf(&mut self.rbuf).await {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(CodecError::Io(e))),
            }
        }
    }

    /// The next PDU, which must come and decode.
    pub async fn recv(&mut self) -> C::Item {
        self.next()
            .await
            .expect("connection closed")
            .expect("bad PDU")
    }

    /// The next `n` bytes on the wire, as they are.
    pub async fn recv_bytes(&mut self, n: usize) -> Vec<u8> {
        timeout(STEP, async {
            while self.rbuf.len() < n {
                let read = self.stream.read_buf(&mut self.rbuf).await.expect("read");
                assert_ne!(read, 0, "closed");
            }
        })
        .await
        .expect("timed out waiting for bytes");
        self.rbuf.split_to(n).to_vec()
    }

    /// The next frame: its exact bytes (all three protocols start a frame with its 4-byte
    /// big-endian total length) and what the protocol crate decodes from them.
    pub async fn frame(&mut self) -> (Vec<u8>, C::Item) {
        timeout(STEP, async {
            loop {
                if self.rbuf.len() >= 4 {
                    let len = u32::from_be_bytes(self.rbuf[..4].try_into().expect("4 bytes"));
                    let len = usize::try_from(len).expect("a frame length");
                    if self.rbuf.len() >= len {
                        let raw = self.rbuf.split_to(len);
                        let mut one = raw.clone();
                        let pdu = self
                            .codec
                            .decode(&mut one)
                            .expect("the peer wrote a PDU its own protocol crate cannot read")
                            .expect("a whole frame");
                        assert!(one.is_empty(), "frame length disagrees with its PDU");
                        return (raw.to_vec(), pdu);
                    }
                }
                let n = self.stream.read_buf(&mut self.rbuf).await.expect("read");
                assert_ne!(n, 0, "the peer closed the connection");
            }
        })
        .await
        .expect("timed out waiting for a PDU")
    }

    /// The other side hangs up, with nothing more written (not even part of a frame).
    pub async fn expect_eof(&mut self) {
        let end = timeout(STEP, self.read_pdu())
            .await
            .expect("the peer kept the connection open");
        match end {
            None => assert!(
                self.rbuf.is_empty(),
                "the peer closed after writing part of a frame: {:?}",
                &self.rbuf[..]
            ),
            Some(Err(CodecError::Io(_))) => {}
            Some(other) => panic!("expected the connection to close, got {other:?}"),
        }
    }
}
