//! The link driver (`hongyan::link`) against scripted raw gateways that answer with the
//! exact bytes of the worked examples in the protocol reference (../shared/protocols/,
//! copied into `tests/fixtures/reference_examples.txt`): the link half of "the link
//! interoperates with implementations other than our own" (the simulator half is the
//! `*_reference_examples_replayed` tests in sim.rs).
//!
//! Each gateway is a plain `TcpListener` on 127.0.0.1:0 that reads the link's PDUs with the
//! protocol crates' codecs and writes example bytes; the link's answers are compared byte
//! for byte with the examples (or, where the reference has no example for an answer, with
//! the bytes its field tables give). Every wait is bounded.
//!
//! Sequence numbers: an example that *answers* one of the link's requests carries the
//! sequence number of the request in the example, while the link picks its own (a random
//! start per connection, SGIP adds its node id and the time of sending), so those examples
//! have their sequence field replaced with the link's — CMPP/SMGP `Sequence_Id` is bytes
//! 8..12, the SGIP `SequenceNumber` bytes 8..20. Examples that are the gateway's own
//! requests (DELIVER, ACTIVE_TEST, Report, Unbind) are sent unchanged, so the link's
//! answers, which echo them, must equal the example answers exactly.
//!
//! A DELIVER carrying a report or an MO is answered only once the event's
//! [`Ack`](hongyan::link::Ack) fires (the daemon fires it once the store has committed):
//! the tests show each such answer is not written before — a request the gateway sends
//! after the DELIVER is answered first — and is written, byte for byte, after.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use hongyan::link::{
    Ack, CarrierMsgId, DeliveryReport, LinkConfig, LinkDriver, LinkEvent, OutboundMessage,
    ProtocolConfig, ReportMatch, SgipConfig, SgipListenerConfig,
};
use hongyan::shutdown::Shutdown;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::timeout;
use wire::coding::Coding;
use wire::reassembly::MoMessage;
use wire::segment::{SplitOptions, split};

use crate::support::{RawPeer, STEP as T, example};

/// Upper bound for a whole test.
const LIMIT: Duration = Duration::from_secs(60);

/// Bytes written out from a field table, spaces allowed between fields.
fn hex(s: &str) -> Vec<u8> {
    wire::hex::decode(&s.replace(' ', "")).unwrap()
}

/// A CMPP/SMGP example answering a request: its `Sequence_Id` (bytes 8..12) set to the
/// request's.
fn with_seq(mut bytes: Vec<u8>, seq: u32) -> Vec<u8> {
    bytes[8..12].copy_from_slice(&seq.to_be_bytes());
    bytes
}

/// An SGIP example answering a request: its 12-byte `SequenceNumber` (bytes 8..20) set to
/// the request's.
fn with_sgip_seq(mut bytes: Vec<u8>, seq: sgip::SequenceNumber) -> Vec<u8> {
    bytes[8..20].copy_from_slice(&seq.to_bytes());
    bytes
}

/// The gateway's end of one connection, speaking raw bytes through a protocol codec.
type Gw<C> = RawPeer<C>;

/// The link's next event.
async fn event(rx: &mut mpsc::Receiver<LinkEvent>) -> LinkEvent {
    timeout(T, rx.recv())
        .await
        .expect("timed out waiting for a link event")
        .expect("the link's event queue closed")
}

async fn expect_up(rx: &mut mpsc::Receiver<LinkEvent>) {
    let e = event(rx).await;
    assert!(matches!(e, LinkEvent::Up { conn: 0 }), "{e:?}");
}

async fn next_mo(rx: &mut mpsc::Receiver<LinkEvent>) -> (MoMessage, Ack) {
    match event(rx).await {
        LinkEvent::Mo { message, ack } => (message, ack),
        other => panic!("expected an MO message, got {other:?}"),
    }
}

async fn next_report(
    rx: &mut mpsc::Receiver<LinkEvent>,
) -> (DeliveryReport, Option<ReportMatch>, Ack) {
    match event(rx).await {
        LinkEvent::Report {
            report,
            matched,
            ack,
        } => (report, matched, ack),
        other => panic!("expected a status report, got {other:?}"),
    }
}

async fn next_submitted(rx: &mut mpsc::Receiver<LinkEvent>) -> (u64, u8, CarrierMsgId) {
    match event(rx).await {
        LinkEvent::Submitted {
            id, part, msg_id, ..
        } => (id, part, msg_id),
        other => panic!("expected the submit acknowledged, got {other:?}"),
    }
}

fn link_config(
    protocol: ProtocolConfig,
    gw: SocketAddr,
    account: &str,
    secret: &str,
) -> LinkConfig {
    let mut c = LinkConfig::new("examples", protocol, gw.to_string(), account, secret);
    c.flow_control_pause = Duration::from_millis(20);
    c.close_grace = Duration::from_secs(2);
    // A report the link cannot match comes out at once (unmatched) instead of being held
    // for a submit response: a wrong match fails an assertion, not a timeout.
    c.reports.hold_for = Duration::ZERO;
    c
}

/// "你好" (UCS2, one part) from `from` to `to`, service code TEST — the message of
/// Example 3 in each reference.
fn nihao(id: u64, to: &str, from: &str) -> OutboundMessage {
    let s = split("你好", &SplitOptions::default(), 0).unwrap();
    assert_eq!(s.coding, Coding::Ucs2);
    let mut m = OutboundMessage::new(id, vec![to.into()], from, s.coding, s.segments);
    m.service_id = "TEST".into();
    m
}

// ---------------------------------------------------------------------------------------
// CMPP

/// The link's CONNECT: account, version and a digest that verifies with the secret.
async fn cmpp_connect(g: &mut Gw<cmpp::CmppCodec>, version: u8) -> u32 {
    let (_, pdu) = g.frame().await;
    let cmpp::Body::Connect(c) = &pdu.body else {
        panic!("expected CONNECT, got {pdu:?}")
    };
    assert_eq!(c.source_addr.value(), b"901234");
    assert_eq!(c.version, version);
    assert!(c.verify(b"Sec@2024"), "AuthenticatorSource");
    pdu.sequence_id
}

/// The link's TERMINATE on shutdown is Example 7c but for its sequence id; answered, the
/// link hands nothing back.
async fn cmpp_shutdown(g: &mut Gw<cmpp::CmppCodec>, handle: hongyan::link::LinkHandle) {
    let closing = tokio::spawn(handle.shutdown());
    let (raw, term) = g.frame().await;
    assert_eq!(
        raw,
        with_seq(example("Example 7c — CMPP_TERMINATE"), term.sequence_id)
    );
    g.send(cmpp::Pdu::new(term.sequence_id, cmpp::Body::TerminateResp))
        .await;
    let back = timeout(T, closing).await.unwrap().unwrap();
    assert!(back.is_empty(), "{back:?}");
}

#[tokio::test]
async fn cmpp3_link_replays_reference_examples() {
    timeout(LIMIT, async {
        let gw = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = link_config(
            ProtocolConfig::Cmpp(cmpp::Version::V30),
            gw.local_addr().unwrap(),
            "901234",
            "Sec@2024",
        );
        let (handle, mut rx) = LinkDriver::start(config, Shutdown::new()).await.unwrap();
        let mut g = Gw::accept(&gw, cmpp::CmppCodec::new(cmpp::Version::V30)).await;

        // Example 2a answers Example 1 (901234 / Sec@2024 at 01-02 03:04:05). The link
        // signs its CONNECT with the current China time and has no hook to set it, so its
        // AuthenticatorSource differs from Example 1's and 2a's AuthenticatorISMG is not
        // the digest over *this* CONNECT. The link does not check AuthenticatorISMG (only
        // Status, see `CmppProtocol::login_response`), so 2a is replayed unchanged but for
        // the Sequence_Id, which becomes the CONNECT's.
        let seq = cmpp_connect(&mut g, 0x30).await;
        g.write(&with_seq(example("Example 2a — CMPP 3.0"), seq))
            .await;
        expect_up(&mut rx).await;

        handle
            .submit(nihao(1, "13800138000", "1069012388"))
            .await
            .unwrap();
        let (_, submit) = g.frame().await;
        let cmpp::Body::Submit(s) = &submit.body else {
            panic!("expected SUBMIT, got {submit:?}")
        };
        // The same message as Example 3, and the same SUBMIT but for the Sequence_Id.
        let example3 = cmpp::decode(
            cmpp::Version::V30,
            &Bytes::from(example("Example 3 — CMPP 3.0")),
        )
        .unwrap();
        let cmpp::Body::Submit(want) = example3.body else {
            panic!("{example3:?}")
        };
        assert_eq!(*s, want);

        // Example 4a, Sequence_Id set to the SUBMIT's: acknowledged under its Msg_Id.
        g.write(&with_seq(example("Example 4a"), submit.sequence_id))
            .await;
        let (id, part, msg_id) = next_submitted(&mut rx).await;
        assert_eq!((id, part), (1, 1));
        assert_eq!(msg_id, CarrierMsgId::Cmpp(0x110C_4141_34FD_0001));
        assert_eq!(msg_id.to_string(), "1228428546682978305");

        // Example 5, the gateway's DELIVER (Sequence_Id 100) with the report on 4a's id:
        // handed on at once, answered only once the event's ack fires.
        g.write(&example("Example 5 — CMPP 3.0")).await;
        let (report, matched, ack) = next_report(&mut rx).await;
        assert_eq!(report.msg_id, CarrierMsgId::Cmpp(0x110C_4141_34FD_0001));
        assert_eq!(report.recipient, "13800138000");
        assert!(report.delivered);
        assert_eq!(report.stat, "DELIVRD");
        assert_eq!(
            matched,
            Some(ReportMatch {
                id: 1,
                part: 1,
                recipient_index: Some(0)
            })
        );

        // Example 7a ACTIVE_TEST → Example 7b, byte for byte — written before the
        // DELIVER_RESP, whose ack has not fired.
        g.write(&example("Example 7a — CMPP_ACTIVE_TEST")).await;
        let (raw, _) = g.frame().await;
        assert_eq!(raw, example("Example 7b — CMPP_ACTIVE_TEST_RESP"));

        // The ack fires: DELIVER_RESP, CMPP 3.0 (cmpp.md 7.4): Msg_Id echoed, Result 0 in
        // 4 bytes.
        ack.answer();
        let (raw, _) = g.frame().await;
        assert_eq!(
            raw,
            hex("00000018 80000005 00000064 110c518134fd0002 00000000")
        );

        cmpp_shutdown(&mut g, handle).await;
    })
    .await
    .expect("test timed out");
}

#[tokio::test]
async fn cmpp2_link_replays_reference_examples() {
    timeout(LIMIT, async {
        let gw = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = link_config(
            ProtocolConfig::Cmpp(cmpp::Version::V20),
            gw.local_addr().unwrap(),
            "901234",
            "Sec@2024",
        );
        let (handle, mut rx) = LinkDriver::start(config, Shutdown::new()).await.unwrap();
        let mut g = Gw::accept(&gw, cmpp::CmppCodec::new(cmpp::Version::V20)).await;

        // Example 2b, Sequence_Id set to the CONNECT's (AuthenticatorISMG: as for 2a in
        // the 3.0 test, not checked by the link).
        let seq = cmpp_connect(&mut g, 0x20).await;
        g.write(&with_seq(example("Example 2b — CMPP 2.0"), seq))
            .await;
        expect_up(&mut rx).await;

        handle
            .submit(nihao(2, "13800138000", "1069012388"))
            .await
            .unwrap();
        let (first_raw, first) = g.frame().await;
        assert!(matches!(first.body, cmpp::Body::Submit(_)), "{first:?}");

        // Example 4b (Result 8, flow control), Sequence_Id set to the SUBMIT's: the link
        // sends the same SUBMIT again after its pause. The resend has a fresh Sequence_Id
        // (the first is answered), so compare all but bytes 8..12.
        g.write(&with_seq(example("Example 4b"), first.sequence_id))
            .await;
        let (second_raw, second) = g.frame().await;
        assert_eq!(second_raw[..8], first_raw[..8]);
        assert_eq!(second_raw[12..], first_raw[12..]);
        let ack = cmpp::SubmitResp {
            msg_id: cmpp::MsgId(0x110C_4141_34FD_0002),
            result: 0,
        };
        g.send(cmpp::Pdu::new(
            second.sequence_id,
            cmpp::Body::SubmitResp(ack),
        ))
        .await;
        // The next event is the acknowledgement: the flow-control answer was no failure.
        let (id, part, msg_id) = next_submitted(&mut rx).await;
        assert_eq!((id, part), (2, 1));
        assert_eq!(msg_id, CarrierMsgId::Cmpp(0x110C_4141_34FD_0002));

        // Example 6, MO "TD" to the extended number → MO event.
        g.write(&example("Example 6 — CMPP 2.0")).await;
        let (mo, ack) = next_mo(&mut rx).await;
        assert_eq!(mo.text.as_deref(), Some("TD"));
        assert_eq!(mo.sender, "13800138000");
        assert_eq!(mo.destination, "106901238866");
        assert!(mo.is_complete(), "{mo:?}");
        // Not answered before its ack: an ACTIVE_TEST after it is answered first.
        g.write(&example("Example 7a — CMPP_ACTIVE_TEST")).await;
        let (_, probe) = g.frame().await;
        assert!(
            matches!(probe.body, cmpp::Body::ActiveTestResp(_)),
            "{probe:?}"
        );
        // The ack fires: DELIVER_RESP is 6r.
        ack.answer();
        let (raw, _) = g.frame().await;
        assert_eq!(raw, example("Example 6r — CMPP 2.0 CMPP_DELIVER_RESP"));

        cmpp_shutdown(&mut g, handle).await;
    })
    .await
    .expect("test timed out");
}

// ---------------------------------------------------------------------------------------
// SMGP 3.0

#[tokio::test]
async fn smgp_link_replays_reference_examples() {
    timeout(LIMIT, async {
        let gw = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = link_config(
            ProtocolConfig::Smgp(smgp::Version::V30),
            gw.local_addr().unwrap(),
            "12345678",
            "Sec@2024",
        );
        let (handle, mut rx) = LinkDriver::start(config, Shutdown::new()).await.unwrap();
        let codec = smgp::SmgpCodec::new(smgp::Version::V30, smgp::DEFAULT_MAX_FRAME);
        let mut g = Gw::accept(&gw, codec).await;

        let (_, login) = g.frame().await;
        let smgp::Body::Login(l) = &login.body else {
            panic!("expected Login, got {login:?}")
        };
        assert_eq!(l.client_id.value(), b"12345678");
        assert_eq!(l.login_mode, smgp::LoginMode::Transmit);
        assert_eq!(l.client_version, 0x30);
        assert!(l.verify(b"Sec@2024").is_some(), "AuthenticatorClient");
        // Example 2, SequenceID set to the Login's. Its AuthenticatorServer is over
        // Example 1's digest, not this Login's (current time, no hook to set it); the link
        // checks only Status.
        g.write(&with_seq(
            example("Example 2 — SMGP 3.0 Login_Resp"),
            login.sequence_id,
        ))
        .await;
        expect_up(&mut rx).await;

        handle
            .submit(nihao(3, "13300000000", "10659012345"))
            .await
            .unwrap();
        // The link's Submit for the message of Example 3 is Example 3 but for its
        // SequenceID.
        let (raw, submit) = g.frame().await;
        assert_eq!(
            raw,
            with_seq(example("Example 3 — SMGP 3.0"), submit.sequence_id)
        );

        // Example 4, SequenceID set to the Submit's: acknowledged under its MsgID.
        let example_id = [0x01, 0x00, 0x61, 0x01, 0x02, 0x13, 0x04, 0x00, 0x00, 0x01];
        g.write(&with_seq(
            example("Example 4 — SMGP Submit_Resp"),
            submit.sequence_id,
        ))
        .await;
        let (id, part, msg_id) = next_submitted(&mut rx).await;
        assert_eq!((id, part), (3, 1));
        assert_eq!(msg_id, CarrierMsgId::Smgp(example_id));
        assert_eq!(msg_id.to_string(), "01006101021304000001");

        // Example 5, the report Deliver on that id → report matched (answered below).
        g.write(&example("Example 5 — SMGP 3.0")).await;
        let (report, matched, report_ack) = next_report(&mut rx).await;
        assert_eq!(report.msg_id, CarrierMsgId::Smgp(example_id));
        assert_eq!(report.recipient, "13300000000");
        assert!(report.delivered);
        assert_eq!(report.stat, "DELIVRD");
        assert_eq!(report.err.as_deref(), Some("000"));
        assert_eq!(
            matched,
            Some(ReportMatch {
                id: 3,
                part: 1,
                recipient_index: Some(0)
            })
        );

        // Example 6, MO "TD" with a LinkID TLV → MO event (answered below).
        g.write(&example("Example 6 — SMGP 3.0")).await;
        let (mo, mo_ack) = next_mo(&mut rx).await;
        assert_eq!(mo.text.as_deref(), Some("TD"));
        assert_eq!(mo.sender, "13300000000");
        assert_eq!(mo.destination, "1065901234566");
        assert!(mo.is_complete(), "{mo:?}");

        // Example 7a Active_Test → Example 7b, byte for byte — before either Deliver_Resp,
        // as neither ack has fired.
        g.write(&example("Example 7a — SMGP Active_Test")).await;
        let (raw, _) = g.frame().await;
        assert_eq!(raw, example("Example 7b — SMGP Active_Test_Resp"));

        // The answers go in the order their acks fire. The MO's: the reference has no
        // example Deliver_Resp for it; by its field table (as 5r): SequenceID 201 echoed,
        // MsgID echoed, Status 0.
        mo_ack.answer();
        let (raw, _) = g.frame().await;
        assert_eq!(
            raw,
            hex("0000001a 80000003 000000c9 01006101021306000003 00000000")
        );
        // The report's: Example 5r.
        report_ack.answer();
        let (raw, _) = g.frame().await;
        assert_eq!(raw, example("Example 5r — SMGP Deliver_Resp"));

        // Shutdown: the link's Exit is Example 7c but for its SequenceID; answered with
        // Example 7d (SequenceID set to the Exit's).
        let closing = tokio::spawn(handle.shutdown());
        let (raw, exit) = g.frame().await;
        assert_eq!(
            raw,
            with_seq(example("Example 7c — SMGP Exit"), exit.sequence_id)
        );
        g.write(&with_seq(
            example("Example 7d — SMGP Exit_Resp"),
            exit.sequence_id,
        ))
        .await;
        let back = timeout(T, closing).await.unwrap().unwrap();
        assert!(back.is_empty(), "{back:?}");
    })
    .await
    .expect("test timed out");
}

// ---------------------------------------------------------------------------------------
// SGIP 1.2

/// The node id of the SP in the SGIP examples (`b36924b9`).
const SGIP_SP_NODE: u32 = 3_010_012_345;

#[tokio::test]
async fn sgip_link_and_listener_replay_reference_examples() {
    timeout(LIMIT, async {
        let gw = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let protocol = ProtocolConfig::Sgip(SgipConfig {
            node_id: SGIP_SP_NODE,
            corp_id: "12345".into(),
            listener: Some(SgipListenerConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                gateway_name: "smg".into(),
                gateway_password: "smgpass".into(),
                allow: None,
            }),
        });
        let config = link_config(protocol, gw.local_addr().unwrap(), "spuser", "sppass");
        let (handle, mut rx) = LinkDriver::start(config, Shutdown::new()).await.unwrap();

        // Forward connection: SGIP connects when there is work.
        handle
            .submit(nihao(4, "13012345678", "10655012345"))
            .await
            .unwrap();
        let mut g = Gw::accept(&gw, sgip::SgipCodec::default()).await;
        // The link's Bind is Example 1 (spuser / sppass, Login Type 1) but for its
        // SequenceNumber (the link's node id, the time now, its counter).
        let (raw, bind) = g.frame().await;
        assert_eq!(bind.sequence.node_id, SGIP_SP_NODE);
        assert_eq!(
            raw,
            with_sgip_seq(example("Example 1 — SGIP Bind"), bind.sequence)
        );
        // Example 2 (Result 0), SequenceNumber set to the Bind's.
        g.write(&with_sgip_seq(
            example("Example 2 — SGIP Bind_Resp"),
            bind.sequence,
        ))
        .await;
        expect_up(&mut rx).await;

        // The same message as Example 3 ("13012345678" gets its 86), and the same Submit
        // but for the SequenceNumber.
        let (_, submit) = g.frame().await;
        let sgip::Body::Submit(s) = &submit.body else {
            panic!("expected Submit, got {submit:?}")
        };
        let example3 = sgip::Pdu::decode(&Bytes::from(example("Example 3 — SGIP Submit"))).unwrap();
        let sgip::Body::Submit(want) = example3.body else {
            panic!("{example3:?}")
        };
        assert_eq!(*s, want);
        g.send(submit.response(0).unwrap()).await;
        let seq = submit.sequence;
        let (id, part, msg_id) = next_submitted(&mut rx).await;
        assert_eq!((id, part), (4, 1));
        assert_eq!(
            msg_id,
            CarrierMsgId::Sgip {
                node: seq.node_id,
                time: seq.timestamp,
                counter: seq.counter
            }
        );

        // Reverse connection: the test is the gateway (node 101001, as in Examples 4/5),
        // binding to the link's SP-side listener with Login Type 2. The Bind_Resp has
        // Example 2's layout, with the Bind's SequenceNumber.
        let mut r = Gw::connect(handle.listener_addr().unwrap(), sgip::SgipCodec::default()).await;
        let gw_seq = sgip::SequenceNumber {
            node_id: 101_001,
            timestamp: 102_030_500,
            counter: 76,
        };
        r.send(sgip::Pdu::new(
            gw_seq,
            sgip::Body::Bind(sgip::Bind::smg_to_sp("smg", "smgpass").unwrap()),
        ))
        .await;
        let (raw, _) = r.frame().await;
        assert_eq!(
            raw,
            with_sgip_seq(example("Example 2 — SGIP Bind_Resp"), gw_seq)
        );

        // Example 4, GBK "退订" to the extended SP number → MO event (answered below).
        r.write(&example("Example 4 — SGIP Deliver")).await;
        let (mo, mo_ack) = next_mo(&mut rx).await;
        assert_eq!(mo.text.as_deref(), Some("退订"));
        assert_eq!(mo.coding, Coding::Gbk);
        // UserNumber carries the 86; the sender comes out in the project's number form.
        assert_eq!(mo.sender, "13012345678");
        assert_eq!(mo.destination, "1065501234588");
        assert!(mo.is_complete(), "{mo:?}");

        // Example 5 as it is: the status of Example 3's Submit (3010012345, 0102030405,
        // 2), which this link never sent → the report handed on unmatched under the
        // example's id.
        let report_example = example("Example 5 — SGIP Report");
        r.write(&report_example).await;
        let (report, matched, report_ack) = next_report(&mut rx).await;
        assert_eq!(
            report.msg_id,
            CarrierMsgId::Sgip {
                node: SGIP_SP_NODE,
                time: 102_030_405,
                counter: 2
            }
        );
        assert_eq!(matched, None);

        // Neither is answered before its ack, and the answers go in the order the acks
        // fire: the Report's first (Example 5r), although the Deliver came first...
        report_ack.answer();
        let (raw, _) = r.frame().await;
        assert_eq!(raw, example("Example 5r — SGIP Report_Resp"));
        // ...then the Deliver's. The reference has no example Deliver_Resp; by its field
        // table (as 5r): SequenceNumber echoed, Result 0, 8 reserved bytes.
        mo_ack.answer();
        let (raw, _) = r.frame().await;
        assert_eq!(
            raw,
            hex("0000001d 80000004 00018a89 0614dca4 0000004d 00 0000000000000000")
        );

        // Example 5 again with its SubmitSequenceNumber (bytes 20..32) set to the link's
        // Submit: matched to it. Report_Resp echoes only the Report's own SequenceNumber,
        // which is unchanged, so it is still Example 5r exactly.
        let mut patched = report_example.clone();
        patched[20..32].copy_from_slice(&seq.to_bytes());
        r.write(&patched).await;
        let (report, matched, ack) = next_report(&mut rx).await;
        ack.answer();
        let (raw, _) = r.frame().await;
        assert_eq!(raw, example("Example 5r — SGIP Report_Resp"));
        assert_eq!(report.msg_id, msg_id);
        // Normalised like every number (the wire's UserNumber has the 86).
        assert_eq!(report.recipient, "13012345678");
        assert!(report.delivered);
        assert_eq!(
            matched,
            Some(ReportMatch {
                id: 4,
                part: 1,
                recipient_index: Some(0)
            })
        );

        // Example 7a Unbind → Example 7b, byte for byte, and the listener hangs up. (7a is
        // the SP's Unbind in the reference, node b36924b9; any Unbind's answer echoes its
        // SequenceNumber, whichever side sends it.)
        r.write(&example("Example 7a — SGIP Unbind")).await;
        let (raw, _) = r.frame().await;
        assert_eq!(raw, example("Example 7b — SGIP Unbind_Resp"));
        r.expect_eof().await;

        // Shutdown: the forward connection's Unbind is Example 7a but for its
        // SequenceNumber; answered with Example 7b (SequenceNumber set to the Unbind's).
        let closing = tokio::spawn(handle.shutdown());
        let (raw, unbind) = g.frame().await;
        assert_eq!(
            raw,
            with_sgip_seq(example("Example 7a — SGIP Unbind"), unbind.sequence)
        );
        g.write(&with_sgip_seq(
            example("Example 7b — SGIP Unbind_Resp"),
            unbind.sequence,
        ))
        .await;
        let back = timeout(T, closing).await.unwrap().unwrap();
        assert!(back.is_empty(), "{back:?}");
    })
    .await
    .expect("test timed out");
}
