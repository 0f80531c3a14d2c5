//! A DELIVER that does not decode, against scripted CMPP and SMGP gateways on
//! 127.0.0.1:0 (real sockets, every wait bounded): it is answered with the protocol's
//! error result, the connection stays up, and the next DELIVER on it is handed on.
//! (SGIP's listener: `sgip_inbound_tests.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::time::timeout;

use super::test_support::{GwConn, LIMIT, next_mo};
use super::*;
use crate::shutdown::Shutdown;

/// The gateway's end of the link's connection.
type Gw<C> = GwConn<C>;

fn config(addr: std::net::SocketAddr, protocol: ProtocolConfig) -> LinkConfig {
    LinkConfig::new("m", protocol, addr.to_string(), "901234", "secret")
}

/// Sets the byte at `at` of an encoded PDU: a Msg_Length that disagrees with the body.
fn corrupt(pdu: Bytes, at: usize, value: u8) -> Vec<u8> {
    let mut raw = pdu.to_vec();
    raw[at] = value;
    raw
}

#[tokio::test]
async fn cmpp_a_malformed_deliver_is_answered_with_result_4_and_the_session_goes_on() {
    use ::cmpp::{
        Body, CmppCodec, ConnectResp, Deliver, DeliverContent, DeliverResp, MsgId, Pdu, Version,
    };
    const V: Version = Version::V30;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let c = config(listener.local_addr().unwrap(), ProtocolConfig::Cmpp(V));
    let (handle, mut rx) = LinkDriver::start(c, Shutdown::new()).await.unwrap();
    let mut gw = Gw::accept(&listener, CmppCodec::new(V)).await;
    let login = gw.recv().await;
    let Body::Connect(connect) = &login.body else {
        panic!("{login:?}")
    };
    let answer = ConnectResp::answer(V, 0, connect, b"secret");
    let resp = Pdu::new(login.sequence_id, Body::ConnectResp(answer));
    gw.send_raw(&resp.to_bytes(V).unwrap()).await;
    let mo = |seq: u32, id: u64, text: &'static str| {
        let d = Deliver {
            msg_id: MsgId(id),
            dest_id: wire::Octets::new(b"1069001").unwrap(),
            src_terminal_id: wire::Octets::new(b"13800138000").unwrap(),
            content: DeliverContent::Message(Bytes::from_static(text.as_bytes())),
            ..Default::default()
        };
        Pdu::new(seq, Body::Deliver(d)).to_bytes(V).unwrap()
    };
    // Msg_Length (just before the content and the 20-byte LinkID) says 200.
    let good = mo(10, 500, "lost");
    let at = good.len() - 4 - 20 - 1;
    gw.send_raw(&corrupt(good, at, 200)).await;
    let p = gw.recv().await;
    assert_eq!(p.sequence_id, 10);
    assert_eq!(
        p.body,
        Body::DeliverResp(DeliverResp {
            msg_id: MsgId(500),
            result: 4
        })
    );
    // The same connection goes on: the next DELIVER is handed on and answered once
    // stored.
    gw.send_raw(&mo(11, 501, "fine")).await;
    let (m, ack) = next_mo(&mut rx, false).await;
    assert_eq!(m.text.as_deref(), Some("fine"));
    ack.answer();
    let p = gw.recv().await;
    assert_eq!(p.sequence_id, 11);
    assert!(
        matches!(p.body, Body::DeliverResp(ref r) if r.result == 0),
        "{p:?}"
    );
    assert_eq!(handle.status().connections_up, 1);
    drop(rx);
    handle.shutdown().await;
}

#[tokio::test]
async fn smgp_a_malformed_deliver_is_answered_with_status_36_and_the_session_goes_on() {
    use ::smgp::{Body, Deliver, DeliverResp, LoginResp, MsgId, Pdu, SmgpCodec, Version};
    const V: Version = Version::V30;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let c = config(listener.local_addr().unwrap(), ProtocolConfig::Smgp(V));
    let (handle, mut rx) = LinkDriver::start(c, Shutdown::new()).await.unwrap();
    let mut gw = Gw::accept(&listener, SmgpCodec::default()).await;
    let login = gw.recv().await;
    let Body::Login(l) = &login.body else {
        panic!("{login:?}")
    };
    let resp = Pdu::new(
        login.sequence_id,
        Body::LoginResp(LoginResp::new(0, l, b"secret", V)),
    );
    gw.send_raw(&resp.to_bytes(V).unwrap()).await;
    let mo = |seq: u32, id: u8, text: &'static str| {
        let d = Deliver {
            msg_id: MsgId([id; 10]),
            src_term_id: wire::Octets::new(b"13800138000").unwrap(),
            dest_term_id: wire::Octets::new(b"1069001").unwrap(),
            msg_content: Bytes::from_static(text.as_bytes()),
            ..Default::default()
        };
        Pdu::new(seq, Body::Deliver(d)).to_bytes(V).unwrap()
    };
    // MsgLength: the 12-byte header and the 68 body bytes before it.
    gw.send_raw(&corrupt(mo(10, 5, "lost"), 12 + 68, 200)).await;
    let p = gw.recv().await;
    assert_eq!(p.sequence_id, 10);
    assert_eq!(
        p.body,
        Body::DeliverResp(DeliverResp {
            msg_id: MsgId([5; 10]),
            status: 36
        })
    );
    gw.send_raw(&mo(11, 6, "fine")).await;
    let (m, ack) = next_mo(&mut rx, false).await;
    assert_eq!(m.text.as_deref(), Some("fine"));
    ack.answer();
    let p = gw.recv().await;
    assert_eq!(p.sequence_id, 11);
    assert!(
        matches!(p.body, Body::DeliverResp(ref r) if r.status == 0),
        "{p:?}"
    );
    assert_eq!(handle.status().connections_up, 1);
    drop(rx);
    handle.shutdown().await;
}

/// Log lines written while it is the thread's default subscriber (the test runtime runs
/// the link's tasks on the test's thread).
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A gateway that answers a submit with a SUBMIT_RESP too short to decode, twice (the
/// link sends it again each time), then properly: the connection stays up, the part is
/// acknowledged, and the broken answer is logged with its hex once, not per PDU.
#[tokio::test]
async fn an_undecodable_response_is_logged_once_per_connection_and_the_session_goes_on() {
    use ::cmpp::{Body, CmppCodec, ConnectResp, MsgId, Pdu, SubmitResp, Version};
    use wire::segment::{SplitOptions, split};
    const V: Version = Version::V30;

    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut c = config(listener.local_addr().unwrap(), ProtocolConfig::Cmpp(V));
    c.window.response_timeout = Duration::from_millis(100);
    c.window.max_attempts = std::num::NonZeroU32::new(5).unwrap();
    let (handle, mut rx) = LinkDriver::start(c, Shutdown::new()).await.unwrap();
    let mut gw = Gw::accept(&listener, CmppCodec::new(V)).await;
    let login = gw.recv().await;
    let Body::Connect(connect) = &login.body else {
        panic!("{login:?}")
    };
    let answer = ConnectResp::answer(V, 0, connect, b"secret");
    let resp = Pdu::new(login.sequence_id, Body::ConnectResp(answer));
    gw.send_raw(&resp.to_bytes(V).unwrap()).await;

    let s = split("hello", &SplitOptions::default(), 1).unwrap();
    let msg = OutboundMessage::new(
        1,
        vec!["13800138000".into()],
        "1069001",
        s.coding,
        s.segments,
    );
    handle.submit(msg).await.unwrap();
    let mut broken = String::new();
    for attempt in 1..=3 {
        let submit = gw.recv().await;
        assert!(matches!(submit.body, Body::Submit(_)), "{submit:?}");
        if attempt < 3 {
            // Total_Length 15: three body bytes where the Msg_Id needs eight.
            let mut bad = vec![0, 0, 0, 15, 0x80, 0, 0, 4];
            bad.extend(submit.sequence_id.to_be_bytes());
            bad.extend([1, 2, 3]);
            broken = wire::hex::encode(&bad);
            gw.send_raw(&bad).await;
        } else {
            let ok = Pdu::new(
                submit.sequence_id,
                Body::SubmitResp(SubmitResp {
                    msg_id: MsgId(42),
                    result: 0,
                }),
            );
            gw.send_raw(&ok.to_bytes(V).unwrap()).await;
        }
    }
    let event = timeout(LIMIT, async {
        loop {
            match rx.recv().await.expect("the link's event queue closed") {
                LinkEvent::Up { .. } => {}
                e => return e,
            }
        }
    })
    .await
    .unwrap();
    assert!(
        matches!(event, LinkEvent::Submitted { id: 1, .. }),
        "{event:?}"
    );
    assert_eq!(handle.status().connections_up, 1);
    let text = logs.text();
    assert_eq!(
        text.matches("undecodable response").count(),
        1,
        "logged once per connection: {text}"
    );
    assert!(text.contains(&broken), "with its hex: {text}");
    drop(rx);
    handle.shutdown().await;
}
