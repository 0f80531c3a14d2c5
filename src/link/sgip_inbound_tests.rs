//! The SGIP listener against a scripted Unicom gateway on 127.0.0.1:0 (real sockets,
//! every wait bounded): what counts as a repeated MO, senders in the project's number
//! form, and a malformed Deliver answered with an error Result while the connection goes
//! on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ::sgip::{Bind, Body, Deliver, Pdu, SequenceNumber, SgipCodec};
use bytes::Bytes;
use tokio::sync::mpsc;

use super::test_support::{GwConn, next_mo, sgip_listener};
use super::*;
use crate::shutdown::Shutdown;

/// A gateway connection to the listener, bound as Login Type 2.
struct Gw(GwConn<SgipCodec>);

impl Gw {
    async fn bind(addr: std::net::SocketAddr) -> Self {
        let mut gw = Self(GwConn::connect(addr, SgipCodec::default()).await);
        let bind = Bind::smg_to_sp("gw", "pw").unwrap();
        gw.send_raw(&Pdu::new(seq(0), Body::Bind(bind)).to_bytes().unwrap())
            .await;
        let resp = gw.recv().await;
        assert!(
            matches!(resp.body, Body::BindResp(ref r) if r.result == 0),
            "{resp:?}"
        );
        gw
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.0.send_raw(bytes).await;
    }

    async fn send(&mut self, pdu: Pdu) {
        self.send_raw(&pdu.to_bytes().unwrap()).await;
    }

    /// The next PDU the listener wrote.
    async fn recv(&mut self) -> Pdu {
        self.0.recv().await
    }

    /// The next PDU is a Deliver_Resp to `seq` with `result`.
    async fn expect_deliver_resp(&mut self, seq: SequenceNumber, result: u8) {
        let p = self.recv().await;
        assert!(
            matches!(p.body, Body::DeliverResp(ref r) if r.result == result) && p.sequence == seq,
            "expected Deliver_Resp {result} to {seq:?}, got {p:?}"
        );
    }
}

/// The sequence number a real SMG client uses: node 0, a fixed second, a counter that
/// starts at 1 on every connection.
fn seq(counter: u32) -> SequenceNumber {
    SequenceNumber {
        node_id: 0,
        timestamp: 1_207_010_203,
        counter,
    }
}

fn mo(sender: &str, destination: &str, text: &str) -> Body {
    Body::Deliver(Deliver::new(sender, destination, 15, Bytes::from(text.to_string())).unwrap())
}

async fn listener_link() -> (LinkHandle, mpsc::Receiver<LinkEvent>, std::net::SocketAddr) {
    let sgip = ProtocolConfig::Sgip(sgip_listener(None));
    let c = LinkConfig::new("s", sgip, "127.0.0.1:1", "sp", "x");
    let (handle, rx) = LinkDriver::start(c, Shutdown::new()).await.unwrap();
    let addr = handle.listener_addr().unwrap();
    (handle, rx, addr)
}

/// Two different MOs under one sequence number — on one connection, and on two that both
/// count from 1 — are both handed on; the gateway's resend of one (same number, sender,
/// destination and content) is answered and dropped.
#[tokio::test]
async fn different_mos_under_one_sequence_number_are_not_repeats() {
    let (handle, mut rx, addr) = listener_link().await;
    let mut a = Gw::bind(addr).await;
    let mut b = Gw::bind(addr).await;
    a.send(Pdu::new(seq(1), mo("8613012345678", "10655", "first")))
        .await;
    let (m1, ack1) = next_mo(&mut rx, true).await;
    assert_eq!(m1.text.as_deref(), Some("first"));
    // Another user, same sequence number, on the second connection.
    b.send(Pdu::new(seq(1), mo("8613099999999", "10655", "second")))
        .await;
    let (m2, ack2) = next_mo(&mut rx, true).await;
    assert_eq!(m2.text.as_deref(), Some("second"));
    // The same user, same number again, other text, on the first connection.
    a.send(Pdu::new(seq(1), mo("8613012345678", "10655", "third")))
        .await;
    let (m3, ack3) = next_mo(&mut rx, true).await;
    assert_eq!(m3.text.as_deref(), Some("third"));
    // And to another service number.
    a.send(Pdu::new(seq(1), mo("8613012345678", "10656", "first")))
        .await;
    let (m4, ack4) = next_mo(&mut rx, true).await;
    assert_eq!(m4.destination, "10656");
    for ack in [ack1, ack3, ack4] {
        ack.answer();
        a.expect_deliver_resp(seq(1), 0).await;
    }
    ack2.answer();
    b.expect_deliver_resp(seq(1), 0).await;
    // A true resend of the first: answered at once, not handed on again.
    a.send(Pdu::new(seq(1), mo("8613012345678", "10655", "first")))
        .await;
    a.expect_deliver_resp(seq(1), 0).await;
    // The next event is the next new MO: the resend was not handed on.
    a.send(Pdu::new(seq(2), mo("8613012345678", "10655", "next")))
        .await;
    let (m5, ack5) = next_mo(&mut rx, true).await;
    assert_eq!(m5.text.as_deref(), Some("next"));
    ack5.answer();
    drop(rx);
    handle.shutdown().await;
}

/// Unicom's UserNumber carries the 86: the sender comes out in the project's form, like
/// every other protocol's.
#[tokio::test]
async fn unicom_senders_come_out_without_the_country_code() {
    let (handle, mut rx, addr) = listener_link().await;
    let mut gw = Gw::bind(addr).await;
    gw.send(Pdu::new(seq(1), mo("8613012345678", "10655", "hi")))
        .await;
    let (m, ack) = next_mo(&mut rx, true).await;
    assert_eq!(m.sender, "13012345678");
    ack.answer();
    gw.expect_deliver_resp(seq(1), 0).await;
    drop(rx);
    handle.shutdown().await;
}

/// A Deliver whose MessageLength disagrees with its body is answered with Result 8 and
/// the gateway's connection goes on: the next Deliver on it is handed on.
#[tokio::test]
async fn a_malformed_deliver_is_answered_with_result_8_and_the_connection_goes_on() {
    let (handle, mut rx, addr) = listener_link().await;
    let mut gw = Gw::bind(addr).await;
    let mut raw = Pdu::new(seq(1), mo("8613012345678", "10655", "lost"))
        .to_bytes()
        .unwrap()
        .to_vec();
    // MessageLength (4 bytes) sits before the 4 content and 8 Reserve bytes.
    let at = raw.len() - 4 - 8 - 4;
    raw[at..at + 4].copy_from_slice(&200u32.to_be_bytes());
    gw.send_raw(&raw).await;
    gw.expect_deliver_resp(seq(1), 8).await;
    gw.send(Pdu::new(seq(2), mo("8613012345678", "10655", "fine")))
        .await;
    let (m, ack) = next_mo(&mut rx, true).await;
    assert_eq!(m.text.as_deref(), Some("fine"));
    ack.answer();
    gw.expect_deliver_resp(seq(2), 0).await;
    drop(rx);
    handle.shutdown().await;
}
