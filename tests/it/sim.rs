//! The carrier gateway simulators (`hongyan::sim`) against raw clients written with the
//! protocol crates' codecs: logins good and bad, submits single, multi-recipient and
//! long, msg ids and status reports, MO delivery (long and out of order), every fault
//! kind, and the worked examples of the protocol reference replayed byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hongyan::sim::{
    MoCoding, MoSpec, MoSplit, SimConfig, SimHandle, SimMsgId, SimProtocol, Simulator,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wire::CodecError;
use wire::reassembly::{MoPart, Reassembler, ReassemblyConfig};

use crate::support::{RawPeer, STEP as T, example, within};

async fn start(config: SimConfig) -> SimHandle {
    Simulator::start(config).await.unwrap()
}

// ---------------------------------------------------------------------------------------
// CMPP 2.0 and 3.0

const CMPP_VERSIONS: [(SimProtocol, cmpp::Version); 2] = [
    (SimProtocol::Cmpp2, cmpp::Version::V20),
    (SimProtocol::Cmpp3, cmpp::Version::V30),
];

type CmppRaw = RawPeer<cmpp::CmppCodec>;

fn cmpp_config(p: SimProtocol) -> SimConfig {
    SimConfig::new(p).account("901234", "Sec@2024")
}

fn cmpp_now() -> cmpp::Timestamp {
    let t = hongyan::clock::ChinaTime::now();
    cmpp::Timestamp::new(t.month, t.day, t.hour, t.minute, t.second).unwrap()
}

async fn cmpp_login_as(
    addr: SocketAddr,
    v: cmpp::Version,
    id: &str,
    secret: &str,
) -> (CmppRaw, cmpp::ConnectResp, cmpp::Connect) {
    let mut c = RawPeer::connect(addr, cmpp::CmppCodec::new(v)).await;
    let connect = cmpp::Connect::new(v, id, secret.as_bytes(), cmpp_now()).unwrap();
    c.send(cmpp::Pdu::new(1, cmpp::Body::Connect(connect.clone())))
        .await;
    let pdu = c.recv().await;
    assert_eq!(pdu.sequence_id, 1);
    let cmpp::Body::ConnectResp(resp) = pdu.body else {
        panic!("{pdu:?}")
    };
    (c, resp, connect)
}

async fn cmpp_login(addr: SocketAddr, v: cmpp::Version) -> CmppRaw {
    let (c, resp, connect) = cmpp_login_as(addr, v, "901234", "Sec@2024").await;
    assert_eq!(resp.status, 0);
    assert!(resp.verify(v, &connect, b"Sec@2024"), "AuthenticatorISMG");
    c
}

fn cmpp_submit(dests: &[&str], content: &[u8], report: bool) -> cmpp::Submit {
    cmpp::Submit {
        dest_terminal_ids: cmpp::DestTerminalIds::from_numbers(dests).unwrap(),
        src_id: wire::Octets::new(b"1069012388").unwrap(),
        msg_fmt: 8,
        msg_content: Bytes::copy_from_slice(content),
        registered_delivery: u8::from(report),
        ..cmpp::Submit::default()
    }
}

async fn cmpp_submit_resp(c: &mut CmppRaw, seq: u32) -> cmpp::SubmitResp {
    let pdu = c.recv().await;
    assert_eq!(pdu.sequence_id, seq, "{pdu:?}");
    let cmpp::Body::SubmitResp(r) = pdu.body else {
        panic!("{pdu:?}")
    };
    r
}

/// Read a DELIVER carrying a report, answer it, return the report.
async fn cmpp_report(c: &mut CmppRaw) -> cmpp::StatusReport {
    let pdu = c.recv().await;
    let cmpp::Body::Deliver(d) = &pdu.body else {
        panic!("{pdu:?}")
    };
    let report = *d.report().unwrap_or_else(|| panic!("not a report: {d:?}"));
    assert_eq!(
        d.dest_id.value(),
        b"1069012388",
        "report Dest_Id is the MT's Src_Id"
    );
    let resp = cmpp::DeliverResp::to(d, 0);
    c.send(cmpp::Pdu::new(
        pdu.sequence_id,
        cmpp::Body::DeliverResp(resp),
    ))
    .await;
    report
}

#[tokio::test]
async fn cmpp_login_checks_digest_version_account_and_connection_limit() {
    for (p, v) in CMPP_VERSIONS {
        let mut config = cmpp_config(p);
        config.max_connections_per_account = 1;
        let sim = start(config).await;
        let addr = sim.local_addr();

        let (mut bad, resp, _) = cmpp_login_as(addr, v, "901234", "wrong").await;
        assert_eq!((resp.status, resp.authenticator_ismg), (3, [0; 16]));
        bad.expect_eof().await;

        let (mut unknown, resp, _) = cmpp_login_as(addr, v, "999999", "Sec@2024").await;
        assert_eq!(resp.status, 2);
        unknown.expect_eof().await;

        // The other version's client: status 4, answered in the client's own layout.
        let other = match v {
            cmpp::Version::V20 => cmpp::Version::V30,
            cmpp::Version::V30 => cmpp::Version::V20,
        };
        let (mut wrong_version, resp, _) = cmpp_login_as(addr, other, "901234", "Sec@2024").await;
        assert_eq!(resp.status, 4);
        assert_eq!(resp.version, v.byte(), "the server names its own version");
        wrong_version.expect_eof().await;

        let mut first = cmpp_login(addr, v).await;
        let (mut second, resp, _) = cmpp_login_as(addr, v, "901234", "Sec@2024").await;
        assert_ne!(resp.status, 0, "one connection per account allowed");
        second.expect_eof().await;

        // Anything but CONNECT first: closed without an answer.
        let mut rude = RawPeer::connect(addr, cmpp::CmppCodec::new(v)).await;
        rude.send(cmpp::Pdu::new(1, cmpp::Body::ActiveTest)).await;
        rude.expect_eof().await;

        let s = sim
            .wait_until(|s| s.logins_refused == 4 && s.not_logged_in == 1, T)
            .await
            .unwrap();
        assert_eq!(s.logins_ok, 1);
        first.send(cmpp::Pdu::new(9, cmpp::Body::Terminate)).await;
        let pdu = first.recv().await;
        assert_eq!((pdu.sequence_id, pdu.body), (9, cmpp::Body::TerminateResp));
        first.expect_eof().await;
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn cmpp_submits_get_msg_ids_and_one_report_per_recipient() {
    for (p, v) in CMPP_VERSIONS {
        let sim = start(cmpp_config(p)).await;
        let mut c = cmpp_login(sim.local_addr(), v).await;

        // Single recipient.
        c.send(cmpp::Pdu::new(
            2,
            cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"\x4f\x60\x59\x7d", true)),
        ))
        .await;
        let r = cmpp_submit_resp(&mut c, 2).await;
        assert_eq!(r.result, 0);
        let parts = r.msg_id.parts();
        assert_eq!(parts.gateway, 79_101);
        let first_id = r.msg_id;
        let report = cmpp_report(&mut c).await;
        assert_eq!(report.msg_id, r.msg_id);
        assert!(report.is_delivered());
        assert_eq!(report.dest_terminal_id.value(), b"13800138000");

        // Three recipients: ids msg_id, msg_id+1, msg_id+2, one report each.
        let dests = ["13800138001", "13800138002", "13800138003"];
        c.send(cmpp::Pdu::new(
            3,
            cmpp::Body::Submit(cmpp_submit(&dests, b"\x00\x41", true)),
        ))
        .await;
        let r = cmpp_submit_resp(&mut c, 3).await;
        assert_eq!(r.result, 0);
        let mut got = Vec::new();
        for _ in 0..3 {
            let rep = cmpp_report(&mut c).await;
            got.push((
                rep.msg_id.value() - r.msg_id.value(),
                rep.dest_terminal_id.value().to_vec(),
            ));
        }
        got.sort();
        let want: Vec<(u64, Vec<u8>)> = dests
            .iter()
            .enumerate()
            .map(|(i, d)| (i as u64, d.as_bytes().to_vec()))
            .collect();
        assert_eq!(got, want);

        // A long message in two segments.
        let text = "【示例科技】尊敬的客户，您本月的账单已经生成，应缴金额为128.50元，最后缴费日期为本月25日。如已缴费请忽略本短信。感谢您的支持，祝您生活愉快！";
        let split =
            wire::segment::split(text, &wire::segment::SplitOptions::default(), 0x5a).unwrap();
        assert_eq!(split.segments.len(), 2);
        for (i, seg) in split.segments.iter().enumerate() {
            let mut sub = cmpp_submit(&["13800138000"], b"", true);
            sub.set_segment(split.coding, seg);
            c.send(cmpp::Pdu::new(10 + i as u32, cmpp::Body::Submit(sub)))
                .await;
        }
        // Both may be read in one batch: answers first, then the reports.
        let mut ids = Vec::new();
        let mut reported = Vec::new();
        for _ in 0..4 {
            let pdu = c.recv().await;
            match &pdu.body {
                cmpp::Body::SubmitResp(r) => ids.push((pdu.sequence_id, r.msg_id)),
                cmpp::Body::Deliver(d) => {
                    reported.push(d.report().unwrap().msg_id);
                    let resp = cmpp::DeliverResp::to(d, 0);
                    c.send(cmpp::Pdu::new(
                        pdu.sequence_id,
                        cmpp::Body::DeliverResp(resp),
                    ))
                    .await;
                }
                _ => panic!("{pdu:?}"),
            }
        }
        ids.sort();
        assert_eq!(
            ids.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            vec![10, 11]
        );
        assert_ne!(ids[0].1, ids[1].1);
        reported.sort();
        let mut want: Vec<_> = ids.iter().map(|(_, id)| *id).collect();
        want.sort();
        assert_eq!(reported, want);

        let s = sim.wait_until(|s| s.reports_acked == 6, T).await.unwrap();
        assert_eq!(
            (s.submits_accepted, s.reports_sent, s.submits_unique),
            (4, 6, 4)
        );
        assert_eq!(s.duplicates_after_ack, 0);
        let subs = sim.submits();
        assert_eq!(subs.len(), 4);
        assert_eq!(subs[1].recipients.len(), 3);
        assert_eq!(subs[1].msg_ids.len(), 3);
        assert_eq!(subs[0].msg_ids, vec![SimMsgId::Cmpp(first_id)]);
        let concat = subs[2].concat.unwrap();
        assert_eq!(
            (concat.reference, concat.total, concat.number),
            (0x5a, 2, 1)
        );
        assert_eq!(subs[3].concat.unwrap().number, 2);
        assert_eq!(subs[2].coding, 8);
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn cmpp_reports_only_when_asked_and_fail_by_the_ratio() {
    for (p, v) in CMPP_VERSIONS {
        let mut config = cmpp_config(p);
        config.report_failure_ratio = 1.0;
        let sim = start(config).await;
        let mut c = cmpp_login(sim.local_addr(), v).await;
        c.send(cmpp::Pdu::new(
            2,
            cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"no report", false)),
        ))
        .await;
        c.send(cmpp::Pdu::new(
            3,
            cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"report", true)),
        ))
        .await;
        assert_eq!(cmpp_submit_resp(&mut c, 2).await.result, 0);
        let r3 = cmpp_submit_resp(&mut c, 3).await;
        // The next PDU is the report of submit 3: submit 2 asked for none.
        let report = cmpp_report(&mut c).await;
        assert_eq!(report.msg_id, r3.msg_id);
        assert!(!report.is_delivered());
        assert!(
            matches!(report.stat.raw(), b"UNDELIV" | b"EXPIRED"),
            "{:?}",
            report.stat
        );
        let s = sim.wait_until(|s| s.reports_acked == 1, T).await.unwrap();
        assert_eq!(s.reports_sent, 1);
        sim.shutdown().await;
    }
}

/// Collect MO parts from DELIVERs (answering each) until the reassembler completes one.
async fn cmpp_mo(c: &mut CmppRaw, expect_parts: usize) -> (wire::reassembly::MoMessage, Vec<u8>) {
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let mut numbers = Vec::new();
    let mut done = Vec::new();
    for _ in 0..expect_parts {
        let pdu = c.recv().await;
        let cmpp::Body::Deliver(d) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert!(!d.is_report());
        let content = d.message().unwrap().to_vec();
        if d.udhi() {
            numbers.push(content[content[0] as usize]);
        }
        c.send(cmpp::Pdu::new(
            pdu.sequence_id,
            cmpp::Body::DeliverResp(cmpp::DeliverResp::to(d, 0)),
        ))
        .await;
        done.extend(r.push(
            MoPart {
                sender: String::from_utf8_lossy(d.src_terminal_id.value()).into_owned(),
                destination: String::from_utf8_lossy(d.dest_id.value()).into_owned(),
                coding: d.msg_fmt,
                tp_udhi: d.tp_udhi,
                content,
            },
            std::time::Instant::now(),
        ));
    }
    assert_eq!(done.len(), 1, "{done:?}");
    (done.remove(0), numbers)
}

#[tokio::test]
async fn cmpp_delivers_mo_to_extended_numbers_long_ones_out_of_order() {
    for (p, v) in CMPP_VERSIONS {
        let sim = start(cmpp_config(p)).await;
        let mut c = cmpp_login(sim.local_addr(), v).await;

        sim.deliver_mo(MoSpec::new("13800138000", "106901238866", "TD"))
            .await
            .unwrap();
        let (mo, _) = cmpp_mo(&mut c, 1).await;
        assert_eq!(
            (mo.sender.as_str(), mo.destination.as_str()),
            ("13800138000", "106901238866")
        );
        assert_eq!(mo.text.as_deref(), Some("TD"));

        let long = "上行长短信测试，".repeat(30);
        let how = MoSplit {
            udh16: false,
            out_of_order: true,
            duplicate_one: false,
        };
        sim.deliver_mo(MoSpec::new("13900139000", "1069012388", &long).split(how))
            .await
            .unwrap();
        let (mo, numbers) = cmpp_mo(&mut c, 4).await;
        assert_eq!(numbers, vec![4, 3, 2, 1], "sent last part first");
        assert_eq!(mo.text.as_deref(), Some(long.as_str()));

        let gbk = MoSpec::new("13900139000", "10690123", "退订").coding(MoCoding::Gbk);
        sim.deliver_mo(gbk).await.unwrap();
        let (mo, _) = cmpp_mo(&mut c, 1).await;
        assert_eq!(mo.text.as_deref(), Some("退订"));

        let s = sim.wait_until(|s| s.mo_acked == 6, T).await.unwrap();
        assert_eq!(s.mo_sent, 6);
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn mo_without_a_connection_is_an_error() {
    let sim = start(cmpp_config(SimProtocol::Cmpp3)).await;
    let err = sim
        .deliver_mo(MoSpec::new("1", "2", "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, hongyan::sim::SimError::NoConnection(_)),
        "{err}"
    );
    sim.shutdown().await;
    // SGIP without the SP's listener cannot deliver at all.
    let sim = start(SimConfig::new(SimProtocol::Sgip).account("spuser", "sppass")).await;
    let err = sim
        .deliver_mo(MoSpec::new("1", "2", "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            hongyan::sim::SimError::Config {
                field: "sgip_sp_listener",
                ..
            }
        ),
        "{err}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn cmpp_faults_refuse_throttle_delay_drop_close_and_malformed() {
    for (p, v) in CMPP_VERSIONS {
        let sim = start(cmpp_config(p)).await;
        let addr = sim.local_addr();
        let f = sim.faults();

        // One refused login, then the next one passes.
        f.refuse_logins(1, 3);
        let (mut refused, resp, _) = cmpp_login_as(addr, v, "901234", "Sec@2024").await;
        assert_eq!(resp.status, 3);
        refused.expect_eof().await;
        let mut c = cmpp_login(addr, v).await;

        // Throttle: result 8, then a resend goes through.
        f.throttle_next(1);
        let sub = || cmpp_submit(&["13800138000"], b"throttled", false);
        c.send(cmpp::Pdu::new(2, cmpp::Body::Submit(sub()))).await;
        let r = cmpp_submit_resp(&mut c, 2).await;
        assert!(r.is_flow_control(), "{r:?}");
        c.send(cmpp::Pdu::new(3, cmpp::Body::Submit(sub()))).await;
        assert_eq!(cmpp_submit_resp(&mut c, 3).await.result, 0);

        // Delay: the answer still comes, after the delay (order: the later submit, sent
        // after the delay was switched off, is answered first).
        f.delay_responses(Duration::from_millis(300));
        c.send(cmpp::Pdu::new(
            4,
            cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"slow", false)),
        ))
        .await;
        sim.wait_until(|s| s.submits_received == 3, T)
            .await
            .unwrap();
        f.delay_responses(Duration::ZERO);
        c.send(cmpp::Pdu::new(
            5,
            cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"fast", false)),
        ))
        .await;
        assert_eq!(cmpp_submit_resp(&mut c, 5).await.result, 0);
        assert_eq!(cmpp_submit_resp(&mut c, 4).await.result, 0);

        // Drop: no answer for submit 6; its resend is counted as resent, not as a
        // duplicate of a delivered answer. Resending submit 5 (answered) is one.
        f.drop_next_responses(1);
        let dropped = || cmpp_submit(&["13800138000"], b"dropped", false);
        c.send(cmpp::Pdu::new(6, cmpp::Body::Submit(dropped())))
            .await;
        c.send(cmpp::Pdu::new(
            7,
            cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"after", false)),
        ))
        .await;
        assert_eq!(
            cmpp_submit_resp(&mut c, 7).await.result,
            0,
            "6 got no answer"
        );
        c.send(cmpp::Pdu::new(8, cmpp::Body::Submit(dropped())))
            .await;
        assert_eq!(cmpp_submit_resp(&mut c, 8).await.result, 0);
        c.send(cmpp::Pdu::new(
            9,
            cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"fast", false)),
        ))
        .await;
        assert_eq!(cmpp_submit_resp(&mut c, 9).await.result, 0);
        let s = sim.stats();
        // "dropped" and "fast" were each accepted twice; only "fast"'s first answer was written.
        assert_eq!(
            (
                s.responses_dropped,
                s.resent_after_ack,
                s.duplicates_after_ack
            ),
            (1, 2, 1)
        );

        // Close mid-window: three submits in one write, the second closes the connection:
        // the first is answered, the rest never.
        f.close_after_submits(2);
        let mut burst = BytesMut::new();
        for seq in 20..23 {
            let pdu = cmpp::Pdu::new(
                seq,
                cmpp::Body::Submit(cmpp_submit(&["13800138000"], &[seq as u8], false)),
            );
            pdu.encode(v, &mut burst).unwrap();
        }
        c.write(&burst).await;
        assert_eq!(cmpp_submit_resp(&mut c, 20).await.result, 0);
        c.expect_eof().await;
        assert_eq!(sim.stats().fault_closes, 1);

        // Malformed bytes: on the open connection the client's framing fails.
        let mut c = cmpp_login(addr, v).await;
        sim.wait_until(|s| s.open_connections == 1, T)
            .await
            .unwrap();
        f.send_malformed();
        match c.next().await {
            Some(Err(CodecError::Frame(_))) => {}
            other => panic!("expected a frame error, got {other:?}"),
        }
        drop(c);
        // With no connection open, the next one gets them right after its login.
        sim.wait_until(|s| s.open_connections == 0, T)
            .await
            .unwrap();
        f.send_malformed();
        let mut c = cmpp_login(addr, v).await;
        assert!(matches!(c.next().await, Some(Err(CodecError::Frame(_)))));
        assert_eq!(sim.stats().malformed_sent, 2);
        f.clear();
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn cmpp_rate_limit_answers_flow_control() {
    let mut config = cmpp_config(SimProtocol::Cmpp3);
    config.rate_limit_per_second = Some(2);
    let sim = start(config).await;
    let mut c = cmpp_login(sim.local_addr(), cmpp::Version::V30).await;
    let mut burst = BytesMut::new();
    for seq in 1..=5u32 {
        let pdu = cmpp::Pdu::new(
            seq,
            cmpp::Body::Submit(cmpp_submit(&["13800138000"], &[seq as u8], false)),
        );
        pdu.encode(cmpp::Version::V30, &mut burst).unwrap();
    }
    c.write(&burst).await;
    let mut throttled = 0;
    for seq in 1..=5 {
        if cmpp_submit_resp(&mut c, seq).await.is_flow_control() {
            throttled += 1;
        }
    }
    // 5 submits within milliseconds: at most 2 per second pass (at most two seconds).
    assert!(throttled >= 1, "{throttled}");
    assert_eq!(sim.stats().submits_throttled, throttled);
    sim.shutdown().await;
}

#[tokio::test]
async fn cmpp_delayed_reports_survive_a_reconnect_and_unanswered_ones_are_resent() {
    let mut config = cmpp_config(SimProtocol::Cmpp3);
    config.report_delay = Duration::from_millis(200);
    let sim = start(config).await;
    let v = cmpp::Version::V30;
    let mut c = cmpp_login(sim.local_addr(), v).await;
    c.send(cmpp::Pdu::new(
        2,
        cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"a", true)),
    ))
    .await;
    let r = cmpp_submit_resp(&mut c, 2).await;
    drop(c); // gone before the report is due
    sim.wait_until(|s| s.open_connections == 0, T)
        .await
        .unwrap();
    let mut c = cmpp_login(sim.local_addr(), v).await;
    assert_eq!(
        cmpp_report(&mut c).await.msg_id,
        r.msg_id,
        "held for the next connection"
    );

    // A report sent but not answered goes out again on the next connection.
    c.send(cmpp::Pdu::new(
        3,
        cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"b", true)),
    ))
    .await;
    let r = cmpp_submit_resp(&mut c, 3).await;
    let pdu = c.recv().await;
    assert!(matches!(pdu.body, cmpp::Body::Deliver(_)));
    drop(c); // not answered
    sim.wait_until(|s| s.open_connections == 0, T)
        .await
        .unwrap();
    let mut c = cmpp_login(sim.local_addr(), v).await;
    assert_eq!(cmpp_report(&mut c).await.msg_id, r.msg_id);
    let s = sim.wait_until(|s| s.reports_acked == 2, T).await.unwrap();
    assert_eq!(s.reports_resent, 1);
    sim.shutdown().await;
}

/// A network cut (fault) while an MO and a report are unanswered: both go out again on
/// the next connection under their first Deliver ids (`Msg_Id`), which is how an SP
/// recognises a repeat.
#[tokio::test]
async fn cmpp_cut_connection_resends_unanswered_delivers_under_their_ids() {
    let sim = start(cmpp_config(SimProtocol::Cmpp3)).await;
    let v = cmpp::Version::V30;
    let mut c = cmpp_login(sim.local_addr(), v).await;
    c.send(cmpp::Pdu::new(
        2,
        cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"a", true)),
    ))
    .await;
    cmpp_submit_resp(&mut c, 2).await;
    sim.deliver_mo(MoSpec::new("13800138000", "1069000188", "hi"))
        .await
        .unwrap();
    let mut first = Vec::new();
    for _ in 0..2 {
        let pdu = c.recv().await;
        let cmpp::Body::Deliver(d) = pdu.body else {
            panic!("{pdu:?}")
        };
        first.push((d.is_report(), d.msg_id));
    }
    first.sort();
    // Neither answered; the connection is cut.
    assert!(sim.faults().cut_connections());
    c.expect_eof().await;
    sim.wait_until(|s| s.open_connections == 0, T)
        .await
        .unwrap();
    let mut c = cmpp_login(sim.local_addr(), v).await;
    let mut again = Vec::new();
    for _ in 0..2 {
        let pdu = c.recv().await;
        let cmpp::Body::Deliver(d) = &pdu.body else {
            panic!("{pdu:?}")
        };
        again.push((d.is_report(), d.msg_id));
        c.send(cmpp::Pdu::new(
            pdu.sequence_id,
            cmpp::Body::DeliverResp(cmpp::DeliverResp::to(d, 0)),
        ))
        .await;
    }
    again.sort();
    assert_eq!(again, first, "resent under the same Msg_Id");
    let s = sim
        .wait_until(|s| s.mo_acked == 1 && s.reports_acked == 1, T)
        .await
        .unwrap();
    assert_eq!((s.mo_resent, s.reports_resent, s.fault_cuts), (1, 1, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn cmpp_gateway_keepalive_probes_an_idle_client() {
    let mut config = cmpp_config(SimProtocol::Cmpp3);
    config.keepalive_interval = Some(Duration::from_millis(100));
    let sim = start(config).await;
    let mut c = cmpp_login(sim.local_addr(), cmpp::Version::V30).await;
    let pdu = c.recv().await;
    assert_eq!(pdu.body, cmpp::Body::ActiveTest);
    c.send(cmpp::Pdu::new(
        pdu.sequence_id,
        cmpp::Body::ActiveTestResp(cmpp::ActiveTestResp::default()),
    ))
    .await;
    assert!(sim.stats().active_tests_sent >= 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn cmpp_reference_examples_replayed() {
    // CMPP 3.0: Example 1 CONNECT (901234 / Sec@2024, 01-02 03:04:05) → Example 2a.
    let sim = start(cmpp_config(SimProtocol::Cmpp3)).await;
    let mut c = RawPeer::connect(sim.local_addr(), cmpp::CmppCodec::new(cmpp::Version::V30)).await;
    c.write(&example("Example 1 — CMPP 3.0 CMPP_CONNECT")).await;
    let want = example("Example 2a — CMPP 3.0");
    assert_eq!(c.recv_bytes(want.len()).await, want);
    // Example 3 SUBMIT → a SUBMIT_RESP for sequence 2 with result 0, then no report
    // because ... Registered_Delivery 1 asks for one: it follows.
    c.write(&example("Example 3 — CMPP 3.0 CMPP_SUBMIT")).await;
    let r = cmpp_submit_resp(&mut c, 2).await;
    assert_eq!(r.result, 0);
    let pdu = c.recv().await;
    let cmpp::Body::Deliver(d) = &pdu.body else {
        panic!("{pdu:?}")
    };
    assert_eq!(d.report().unwrap().msg_id, r.msg_id);
    assert_eq!(d.src_terminal_id.value(), b"13800138000");
    // Example 7a ACTIVE_TEST → Example 7b byte for byte; 7c TERMINATE → its answer.
    c.write(&example("Example 7a — CMPP_ACTIVE_TEST")).await;
    let want = example("Example 7b — CMPP_ACTIVE_TEST_RESP");
    assert_eq!(c.recv_bytes(want.len()).await, want);
    c.write(&example("Example 7c — CMPP_TERMINATE")).await;
    assert_eq!(
        c.recv_bytes(12).await,
        wire::hex::decode("0000000c8000000200000008").unwrap()
    );
    c.expect_eof().await;
    sim.shutdown().await;

    // CMPP 2.0: the gocmpp cross-check vector (900001 / 888888, version 0x21) logs in,
    // and the Example 1 inputs under 2.0 give Example 2b byte for byte.
    let sim = start(
        SimConfig::new(SimProtocol::Cmpp2)
            .account("900001", "888888")
            .account("901234", "Sec@2024"),
    )
    .await;
    let mut c = RawPeer::connect(sim.local_addr(), cmpp::CmppCodec::new(cmpp::Version::V20)).await;
    c.write(&example("CMPP_CONNECT cross-check")).await;
    let pdu = c.recv().await;
    assert_eq!(pdu.sequence_id, 0x17);
    let cmpp::Body::ConnectResp(resp) = pdu.body else {
        panic!()
    };
    assert_eq!((resp.status, resp.version), (0, 0x20));
    c.write(&example("Example 3b — CMPP 2.0")).await;
    assert_eq!(cmpp_submit_resp(&mut c, 2).await.result, 0);

    let mut c = RawPeer::connect(sim.local_addr(), cmpp::CmppCodec::new(cmpp::Version::V20)).await;
    let connect = cmpp::Connect::new(
        cmpp::Version::V20,
        "901234",
        b"Sec@2024",
        cmpp::Timestamp::new(1, 2, 3, 4, 5).unwrap(),
    )
    .unwrap();
    c.send(cmpp::Pdu::new(1, cmpp::Body::Connect(connect)))
        .await;
    let want = example("Example 2b — CMPP 2.0");
    assert_eq!(c.recv_bytes(want.len()).await, want);
    sim.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// SMGP 3.0

type SmgpRaw = RawPeer<smgp::SmgpCodec>;

fn smgp_config() -> SimConfig {
    SimConfig::new(SimProtocol::Smgp).account("12345678", "pass1234")
}

fn smgp_now() -> smgp::Timestamp {
    let t = hongyan::clock::ChinaTime::now();
    smgp::Timestamp::new(t.month, t.day, t.hour, t.minute, t.second).unwrap()
}

async fn smgp_login_as(
    addr: SocketAddr,
    secret: &str,
    mode: smgp::LoginMode,
) -> (SmgpRaw, smgp::LoginResp, smgp::Login) {
    let mut c = RawPeer::connect(addr, smgp::SmgpCodec::default()).await;
    let login = smgp::Login::new(
        "12345678",
        secret.as_bytes(),
        mode,
        smgp_now(),
        smgp::Version::V30,
    )
    .unwrap();
    c.send(smgp::Pdu::new(1, smgp::Body::Login(login.clone())))
        .await;
    let pdu = c.recv().await;
    let smgp::Body::LoginResp(resp) = pdu.body else {
        panic!("{pdu:?}")
    };
    (c, resp, login)
}

async fn smgp_login(addr: SocketAddr) -> SmgpRaw {
    let (c, resp, login) = smgp_login_as(addr, "pass1234", smgp::LoginMode::Transmit).await;
    assert_eq!(resp.status, 0);
    assert!(
        resp.verify(&login.authenticator_client, b"pass1234")
            .is_some()
    );
    c
}

fn smgp_submit(dests: &[&str], content: &[u8], report: bool) -> smgp::Submit {
    let mut s = smgp::Submit::mt("10659012345", dests, 8, Bytes::copy_from_slice(content)).unwrap();
    s.need_report = u8::from(report);
    s
}

async fn smgp_submit_resp(c: &mut SmgpRaw, seq: u32) -> smgp::SubmitResp {
    let pdu = c.recv().await;
    assert_eq!(pdu.sequence_id, seq, "{pdu:?}");
    let smgp::Body::SubmitResp(r) = pdu.body else {
        panic!("{pdu:?}")
    };
    r
}

async fn smgp_deliver(c: &mut SmgpRaw) -> smgp::Deliver {
    let pdu = c.recv().await;
    let smgp::Body::Deliver(d) = pdu.body else {
        panic!("{pdu:?}")
    };
    let resp = smgp::DeliverResp::ok(&d);
    c.send(smgp::Pdu::new(
        pdu.sequence_id,
        smgp::Body::DeliverResp(resp),
    ))
    .await;
    d
}

#[tokio::test]
async fn smgp_login_submit_reports_mo_and_exit() {
    let sim = start(smgp_config()).await;
    let addr = sim.local_addr();
    let (mut bad, resp, _) = smgp_login_as(addr, "nope", smgp::LoginMode::Transmit).await;
    assert_eq!(resp.status, 21);
    bad.expect_eof().await;

    let mut c = smgp_login(addr).await;
    let dests = ["13300000001", "13300000002"];
    c.send(smgp::Pdu::new(
        2,
        smgp::Body::Submit(smgp_submit(&dests, b"\x4f\x60\x59\x7d", true)),
    ))
    .await;
    let r = smgp_submit_resp(&mut c, 2).await;
    assert_eq!(r.status, 0);
    assert!(r.msg_id.is_bcd());
    assert_eq!(r.msg_id.parts().unwrap().smgw, 10_061);
    // One id for the Submit; a report per recipient, each naming it.
    let mut recipients = Vec::new();
    for _ in 0..2 {
        let d = smgp_deliver(&mut c).await;
        let report = d.report().unwrap().unwrap();
        assert_eq!(report.msg_id, r.msg_id);
        assert!(report.is_delivered());
        assert_eq!(d.dest_term_id.value(), b"10659012345");
        recipients.push(d.src_term_id.value().to_vec());
    }
    recipients.sort();
    assert_eq!(
        recipients,
        vec![b"13300000001".to_vec(), b"13300000002".to_vec()]
    );

    // No NeedReport, no report; a long segment carries its TLVs through.
    let split =
        wire::segment::split(&"长".repeat(80), &wire::segment::SplitOptions::default(), 9).unwrap();
    for (i, seg) in split.segments.iter().enumerate() {
        let mut s = smgp_submit(&["13300000001"], b"", false);
        s.set_segment(split.coding, seg);
        c.send(smgp::Pdu::new(3 + i as u32, smgp::Body::Submit(s)))
            .await;
    }
    for i in 0..split.segments.len() as u32 {
        assert_eq!(smgp_submit_resp(&mut c, 3 + i).await.status, 0);
    }
    let subs = sim.submits();
    assert_eq!(subs.last().unwrap().concat.unwrap().number, 2);
    assert!(!subs.last().unwrap().report_requested);

    // MO, long and out of order, with the TP_udhi TLV.
    let text = "电信上行长短信".repeat(12);
    let how = MoSplit {
        udh16: true,
        out_of_order: true,
        duplicate_one: false,
    };
    sim.deliver_mo(MoSpec::new("13300000009", "1065901234588", &text).split(how))
        .await
        .unwrap();
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let mut done = Vec::new();
    let mut numbers = Vec::new();
    for _ in 0..2 {
        let d = smgp_deliver(&mut c).await;
        assert!(d.udhi() && !d.is_status_report());
        numbers.push(d.msg_content[6]);
        done.extend(r.push(
            MoPart {
                sender: "13300000009".into(),
                destination: String::from_utf8_lossy(d.dest_term_id.value()).into_owned(),
                coding: d.msg_format,
                tp_udhi: 1,
                content: d.msg_content.to_vec(),
            },
            std::time::Instant::now(),
        ));
    }
    assert_eq!(numbers, vec![2, 1]);
    assert_eq!(done[0].text.as_deref(), Some(text.as_str()));
    assert_eq!(done[0].destination, "1065901234588");

    c.send(smgp::Pdu::new(40, smgp::Body::ActiveTest)).await;
    assert_eq!(
        c.recv().await,
        smgp::Pdu::new(40, smgp::Body::ActiveTestResp)
    );
    c.send(smgp::Pdu::new(41, smgp::Body::Exit)).await;
    assert_eq!(c.recv().await, smgp::Pdu::new(41, smgp::Body::ExitResp));
    c.expect_eof().await;
    let s = sim
        .wait_until(|s| s.reports_acked == 2 && s.mo_acked == 2, T)
        .await
        .unwrap();
    assert_eq!((s.reports_sent, s.logins_refused, s.terminates), (2, 1, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn smgp_send_mode_connection_passes_reports_to_a_receive_one() {
    let sim = start(smgp_config()).await;
    let addr = sim.local_addr();
    let (mut tx, resp, _) = smgp_login_as(addr, "pass1234", smgp::LoginMode::Send).await;
    assert_eq!(resp.status, 0);
    let (mut rx, resp, _) = smgp_login_as(addr, "pass1234", smgp::LoginMode::Receive).await;
    assert_eq!(resp.status, 0);
    tx.send(smgp::Pdu::new(
        2,
        smgp::Body::Submit(smgp_submit(&["13300000001"], b"x", true)),
    ))
    .await;
    let r = smgp_submit_resp(&mut tx, 2).await;
    let d = smgp_deliver(&mut rx).await;
    assert_eq!(d.report().unwrap().unwrap().msg_id, r.msg_id);
    sim.wait_until(|s| s.reports_acked == 1, T).await.unwrap();
    sim.shutdown().await;
}

#[tokio::test]
async fn smgp_faults_throttle_and_refuse() {
    let sim = start(smgp_config()).await;
    let f = sim.faults();
    f.refuse_logins(1, 2);
    let (mut c, resp, _) =
        smgp_login_as(sim.local_addr(), "pass1234", smgp::LoginMode::Transmit).await;
    assert_eq!(resp.status, 2);
    c.expect_eof().await;
    let mut c = smgp_login(sim.local_addr()).await;
    f.throttle_next(1);
    c.send(smgp::Pdu::new(
        2,
        smgp::Body::Submit(smgp_submit(&["13300000001"], b"x", false)),
    ))
    .await;
    assert!(smgp::status::is_flow_control(
        smgp_submit_resp(&mut c, 2).await.status
    ));
    c.send(smgp::Pdu::new(
        3,
        smgp::Body::Submit(smgp_submit(&["13300000001"], b"x", false)),
    ))
    .await;
    assert_eq!(smgp_submit_resp(&mut c, 3).await.status, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn smgp_reference_examples_replayed() {
    let sim = start(smgp_config()).await;
    let mut c = RawPeer::connect(sim.local_addr(), smgp::SmgpCodec::default()).await;
    c.write(&example("Example 1 — SMGP 3.0 Login")).await;
    let want = example("Example 2 — SMGP 3.0 Login_Resp");
    assert_eq!(c.recv_bytes(want.len()).await, want);
    c.write(&example("Example 3 — SMGP 3.0 Submit")).await;
    let r = smgp_submit_resp(&mut c, 2).await;
    assert_eq!(r.status, 0);
    let d = smgp_deliver(&mut c).await;
    assert_eq!(
        d.report().unwrap().unwrap().msg_id,
        r.msg_id,
        "NeedReport 1"
    );
    c.write(&example("Example 7a — SMGP Active_Test")).await;
    let want = example("Example 7b — SMGP Active_Test_Resp");
    assert_eq!(c.recv_bytes(want.len()).await, want);
    c.write(&example("Example 7c — SMGP Exit")).await;
    let want = example("Example 7d — SMGP Exit_Resp");
    assert_eq!(c.recv_bytes(want.len()).await, want);
    c.expect_eof().await;
    sim.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// SGIP 1.2

type SgipRaw = RawPeer<sgip::SgipCodec>;

fn sgip_now() -> sgip::Timestamp {
    let t = hongyan::clock::ChinaTime::now();
    sgip::Timestamp::new(t.month, t.day, t.hour, t.minute, t.second).unwrap()
}

/// A simulator that knows SP account spuser/sppass and binds back to `sp` as smg/smgpass.
fn sgip_config(sp: SocketAddr) -> SimConfig {
    let mut c = SimConfig::new(SimProtocol::Sgip).account("spuser", "sppass");
    c.sgip_sp_listener = Some(sp);
    c.sgip_sp_account = Some(hongyan::sim::Account::new("smg", "smgpass"));
    c
}

async fn sgip_bind(
    addr: SocketAddr,
    seqs: &mut sgip::SequenceGenerator,
    bind: sgip::Bind,
) -> (SgipRaw, u8) {
    let mut c = RawPeer::connect(addr, sgip::SgipCodec::default()).await;
    let seq = seqs.next(sgip_now());
    c.send(sgip::Pdu::new(seq, sgip::Body::Bind(bind))).await;
    let pdu = c.recv().await;
    assert_eq!(pdu.sequence, seq);
    let sgip::Body::BindResp(r) = pdu.body else {
        panic!("{pdu:?}")
    };
    (c, r.result)
}

fn sgip_submit(users: &[&str], content: &[u8], report_flag: u8) -> sgip::Submit {
    let mut s =
        sgip::Submit::new("1065501234", users[0], 8, Bytes::copy_from_slice(content)).unwrap();
    s.user_numbers = sgip::UserNumbers::parse(users).unwrap();
    s.report_flag = report_flag;
    s
}

/// Accept the simulator's reverse connection and check its Bind.
async fn sgip_accept_reverse(sp: &TcpListener) -> SgipRaw {
    let mut c = RawPeer::accept(sp, sgip::SgipCodec::default()).await;
    let pdu = c.recv().await;
    let sgip::Body::Bind(b) = &pdu.body else {
        panic!("{pdu:?}")
    };
    assert_eq!(b.check(sgip::LoginType::SmgToSp, b"smg", b"smgpass"), 0);
    assert_eq!(pdu.sequence.node_id, 101_001);
    c.send(pdu.response(0).unwrap()).await;
    c
}

/// The simulator's Unbind on the reverse connection, answered as an SP answers it; the
/// simulator then hangs up.
async fn sgip_answer_unbind(rev: &mut SgipRaw) {
    let pdu = rev.recv().await;
    assert_eq!(pdu.body, sgip::Body::Unbind);
    rev.send(pdu.response(0).unwrap()).await;
    rev.expect_eof().await;
}

/// Stops the simulator, which Unbinds its reverse connection `rev` first: answered here
/// (left unanswered, the simulator would wait 2 s for the Unbind_Resp).
async fn sgip_shutdown(sim: SimHandle, mut rev: SgipRaw) {
    let stopping = tokio::spawn(sim.shutdown());
    sgip_answer_unbind(&mut rev).await;
    within("the simulator's shutdown", T, stopping)
        .await
        .unwrap();
}

/// Read one Report or Deliver on the reverse connection and answer it.
async fn sgip_inbound(c: &mut SgipRaw) -> sgip::Pdu {
    let pdu = c.recv().await;
    c.send(pdu.response(0).unwrap()).await;
    pdu
}

#[tokio::test]
async fn sgip_bind_submit_and_reports_over_the_reverse_connection() {
    let sp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = start(sgip_config(sp.local_addr().unwrap())).await;
    let addr = sim.local_addr();
    let mut seqs = sgip::SequenceGenerator::new(3_010_012_345);

    let (mut bad, result) = sgip_bind(
        addr,
        &mut seqs,
        sgip::Bind::sp_to_smg("spuser", "nope").unwrap(),
    )
    .await;
    assert_eq!(result, 1);
    bad.expect_eof().await;
    let (mut wrong_type, result) = sgip_bind(
        addr,
        &mut seqs,
        sgip::Bind::smg_to_sp("spuser", "sppass").unwrap(),
    )
    .await;
    assert_eq!(result, 4);
    wrong_type.expect_eof().await;
    let (mut c, result) = sgip_bind(
        addr,
        &mut seqs,
        sgip::Bind::sp_to_smg("spuser", "sppass").unwrap(),
    )
    .await;
    assert_eq!(result, 0);

    // ReportFlag 1: a Report per recipient naming the Submit's sequence number.
    let seq = seqs.next(sgip_now());
    let users = ["8613000000001", "8613000000002"];
    c.send(sgip::Pdu::new(
        seq,
        sgip::Body::Submit(sgip_submit(&users, b"\x4f\x60", 1)),
    ))
    .await;
    let resp = c.recv().await;
    assert_eq!(resp.sequence, seq);
    assert!(matches!(&resp.body, sgip::Body::SubmitResp(r) if r.result == 0));
    let mut rev = sgip_accept_reverse(&sp).await;
    let mut got = Vec::new();
    for _ in 0..2 {
        let pdu = sgip_inbound(&mut rev).await;
        let sgip::Body::Report(r) = pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(r.submit_sequence, seq);
        assert!(r.is_delivered());
        got.push(r.user_number.value().to_vec());
    }
    got.sort();
    assert_eq!(
        got,
        users
            .iter()
            .map(|u| u.as_bytes().to_vec())
            .collect::<Vec<_>>()
    );
    assert_eq!(sim.submits()[0].msg_ids, vec![SimMsgId::Sgip(seq)]);

    // ReportFlag 2 (never) and 0 (failure only, none fail here): no Report; then a
    // ReportFlag 1 Submit's Report is the next PDU on the reverse connection.
    for (flag, body) in [(2u8, b"n".as_slice()), (0, b"o"), (1, b"p")] {
        let seq = seqs.next(sgip_now());
        c.send(sgip::Pdu::new(
            seq,
            sgip::Body::Submit(sgip_submit(&users[..1], body, flag)),
        ))
        .await;
        assert_eq!(c.recv().await.sequence, seq);
    }
    let pdu = sgip_inbound(&mut rev).await;
    let sgip::Body::Report(r) = pdu.body else {
        panic!("{pdu:?}")
    };
    assert_eq!(r.submit_sequence.counter, seqs.next(sgip_now()).counter - 1);

    // MO over the reverse connection, long and out of order, one part twice.
    let text = "联通上行长短信".repeat(12);
    let how = MoSplit {
        udh16: false,
        out_of_order: true,
        duplicate_one: true,
    };
    sim.deliver_mo(MoSpec::new("8613000000009", "106550123458", &text).split(how))
        .await
        .unwrap();
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let mut done = Vec::new();
    for _ in 0..3 {
        let pdu = sgip_inbound(&mut rev).await;
        let sgip::Body::Deliver(d) = pdu.body else {
            panic!("{pdu:?}")
        };
        done.extend(r.push(
            MoPart {
                sender: String::from_utf8_lossy(d.user_number.value()).into_owned(),
                destination: String::from_utf8_lossy(d.sp_number.value()).into_owned(),
                coding: d.message_coding,
                tp_udhi: d.tp_udhi,
                content: d.message_content.to_vec(),
            },
            std::time::Instant::now(),
        ));
    }
    assert_eq!(done.len(), 1, "the repeated part completes nothing twice");
    assert_eq!(done[0].text.as_deref(), Some(text.as_str()));
    assert_eq!(done[0].sender, "8613000000009");

    c.send(sgip::Pdu::new(seqs.next(sgip_now()), sgip::Body::Unbind))
        .await;
    assert_eq!(c.recv().await.body, sgip::Body::UnbindResp);
    c.expect_eof().await;
    let s = sim
        .wait_until(|s| s.reports_acked == 3 && s.mo_acked == 3, T)
        .await
        .unwrap();
    assert_eq!((s.reverse_binds, s.logins_refused), (1, 2));
    sgip_shutdown(sim, rev).await;
}

#[tokio::test]
async fn sgip_reverse_connection_unbinds_when_idle_and_reconnects_on_demand() {
    let sp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = sgip_config(sp.local_addr().unwrap());
    config.sgip_idle_unbind = Duration::from_millis(200);
    config.report_failure_ratio = 1.0;
    let sim = start(config).await;
    let mut seqs = sgip::SequenceGenerator::new(3_010_012_345);
    let (mut c, result) = sgip_bind(
        sim.local_addr(),
        &mut seqs,
        sgip::Bind::sp_to_smg("spuser", "sppass").unwrap(),
    )
    .await;
    assert_eq!(result, 0);

    for round in 0..2u8 {
        // ReportFlag 0 with every report failing: each Submit gets a failure Report.
        let seq = seqs.next(sgip_now());
        c.send(sgip::Pdu::new(
            seq,
            sgip::Body::Submit(sgip_submit(&["8613000000001"], &[round], 0)),
        ))
        .await;
        assert_eq!(c.recv().await.sequence, seq);
        let mut rev = sgip_accept_reverse(&sp).await;
        let pdu = sgip_inbound(&mut rev).await;
        let sgip::Body::Report(r) = pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(r.state, sgip::ReportState::Failed);
        assert_ne!(r.error_code, 0);
        // Idle: the simulator Unbinds.
        sgip_answer_unbind(&mut rev).await;
    }
    let s = sim.wait_until(|s| s.reverse_unbinds == 2, T).await.unwrap();
    assert_eq!(s.reverse_binds, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn sgip_reverse_bind_refused_is_retried() {
    let sp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = start(sgip_config(sp.local_addr().unwrap())).await;
    let mut seqs = sgip::SequenceGenerator::new(3_010_012_345);
    let (mut c, _) = sgip_bind(
        sim.local_addr(),
        &mut seqs,
        sgip::Bind::sp_to_smg("spuser", "sppass").unwrap(),
    )
    .await;
    let seq = seqs.next(sgip_now());
    c.send(sgip::Pdu::new(
        seq,
        sgip::Body::Submit(sgip_submit(&["8613000000001"], b"r", 1)),
    ))
    .await;
    assert_eq!(c.recv().await.sequence, seq);
    // Refuse the first Bind.
    let mut first = RawPeer::accept(&sp, sgip::SgipCodec::default()).await;
    let pdu = first.recv().await;
    first.send(pdu.response(1).unwrap()).await;
    // The retry gets the Report.
    let mut rev = sgip_accept_reverse(&sp).await;
    let pdu = sgip_inbound(&mut rev).await;
    assert!(matches!(pdu.body, sgip::Body::Report(r) if r.submit_sequence == seq));
    assert_eq!(sim.stats().reverse_bind_failures, 1);
    sgip_shutdown(sim, rev).await;
}

#[tokio::test]
async fn sgip_reference_examples_replayed() {
    let sp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = start(sgip_config(sp.local_addr().unwrap())).await;
    let mut c = RawPeer::connect(sim.local_addr(), sgip::SgipCodec::default()).await;
    c.write(&example("Example 1 — SGIP Bind")).await;
    let want = example("Example 2 — SGIP Bind_Resp");
    assert_eq!(c.recv_bytes(want.len()).await, want);
    let submit = example("Example 3 — SGIP Submit");
    c.write(&submit).await;
    let resp = c.recv().await;
    assert!(matches!(&resp.body, sgip::Body::SubmitResp(r) if r.result == 0));
    assert_eq!(resp.sequence.to_bytes().as_slice(), &submit[8..20]);
    // ReportFlag 1 in the example: its Report comes over the reverse connection.
    let mut rev = sgip_accept_reverse(&sp).await;
    let pdu = sgip_inbound(&mut rev).await;
    let sgip::Body::Report(r) = pdu.body else {
        panic!("{pdu:?}")
    };
    assert_eq!(r.submit_sequence, resp.sequence);
    assert_eq!(r.user_number.value(), b"8613012345678");
    c.write(&example("Example 7a — SGIP Unbind")).await;
    let want = example("Example 7b — SGIP Unbind_Resp");
    assert_eq!(c.recv_bytes(want.len()).await, want);
    c.expect_eof().await;
    sgip_shutdown(sim, rev).await;
}

// ---------------------------------------------------------------------------------------
// Throughput (not a timing assertion: prints the figure; run in release with
// `cargo test --release -p hongyan --test it sim_throughput -- --ignored --nocapture`).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, run by hand in release mode"]
async fn sim_throughput_cmpp3_window_64_with_reports() {
    const N: usize = 300_000;
    const WINDOW: usize = 64;
    let mut config = cmpp_config(SimProtocol::Cmpp3);
    config.record_submits = false;
    config.track_duplicates = false;
    let sim = start(config).await;
    let v = cmpp::Version::V30;
    let mut c = cmpp_login(sim.local_addr(), v).await;
    let template = cmpp_submit(&["13800138000"], "性能测试".as_bytes(), true);
    let started = std::time::Instant::now();
    let (mut sent, mut answered, mut reports, mut outstanding) = (0usize, 0usize, 0usize, 0usize);
    let mut out = BytesMut::with_capacity(64 * 1024);
    while answered < N || reports < N {
        while outstanding < WINDOW && sent < N {
            sent += 1;
            outstanding += 1;
            cmpp::Pdu::new(sent as u32, cmpp::Body::Submit(template.clone()))
                .encode(v, &mut out)
                .unwrap();
        }
        if !out.is_empty() {
            c.stream.write_all(&out).await.unwrap();
            out.clear();
        }
        assert_ne!(c.stream.read_buf(&mut c.rbuf).await.unwrap(), 0);
        while let Some(pdu) = cmpp::codec::Decoder::decode(&mut c.codec, &mut c.rbuf).unwrap() {
            match &pdu.body {
                cmpp::Body::SubmitResp(_) => {
                    answered += 1;
                    outstanding -= 1;
                }
                cmpp::Body::Deliver(d) => {
                    reports += 1;
                    let resp = cmpp::DeliverResp::to(d, 0);
                    cmpp::Pdu::new(pdu.sequence_id, cmpp::Body::DeliverResp(resp))
                        .encode(v, &mut out)
                        .unwrap();
                }
                other => panic!("{other:?}"),
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "simulator: {N} CMPP 3.0 submits, window {WINDOW}, reports on: {secs:.2} s, {:.0} msg/s",
        N as f64 / secs
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn cmpp_fault_report_before_its_response() {
    let sim = start(cmpp_config(SimProtocol::Cmpp3)).await;
    let mut c = cmpp_login(sim.local_addr(), cmpp::Version::V30).await;
    sim.faults().reports_before_responses(1);
    c.send(cmpp::Pdu::new(
        2,
        cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"early", true)),
    ))
    .await;
    let report = cmpp_report(&mut c).await;
    let r = cmpp_submit_resp(&mut c, 2).await;
    assert_eq!(report.msg_id, r.msg_id);
    // Back to normal: response first.
    c.send(cmpp::Pdu::new(
        3,
        cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"late", true)),
    ))
    .await;
    let r = cmpp_submit_resp(&mut c, 3).await;
    assert_eq!(cmpp_report(&mut c).await.msg_id, r.msg_id);
    sim.shutdown().await;
}

#[tokio::test]
async fn cmpp_fault_paused_reading_still_writes_and_resumes() {
    let sim = start(cmpp_config(SimProtocol::Cmpp3)).await;
    let mut c = cmpp_login(sim.local_addr(), cmpp::Version::V30).await;
    let f = sim.faults();
    f.pause_reading(true);
    c.send(cmpp::Pdu::new(
        2,
        cmpp::Body::Submit(cmpp_submit(&["13800138000"], b"waits", false)),
    ))
    .await;
    // The gateway still writes: an MO arrives while the submit sits unread.
    sim.deliver_mo(MoSpec::new("13800138000", "1069012388", "hi"))
        .await
        .unwrap();
    let pdu = c.recv().await;
    let cmpp::Body::Deliver(d) = &pdu.body else {
        panic!("{pdu:?}")
    };
    c.send(cmpp::Pdu::new(
        pdu.sequence_id,
        cmpp::Body::DeliverResp(cmpp::DeliverResp::to(d, 0)),
    ))
    .await;
    assert_eq!(sim.stats().submits_received, 0, "nothing read while paused");
    f.pause_reading(false);
    assert_eq!(cmpp_submit_resp(&mut c, 2).await.result, 0);
    let s = sim.wait_until(|s| s.mo_acked == 1, T).await.unwrap();
    assert_eq!(s.submits_received, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn sgip_gateway_closes_an_idle_connection() {
    let sp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = sgip_config(sp.local_addr().unwrap());
    config.idle_timeout = Some(Duration::from_millis(200));
    let sim = start(config).await;
    let mut seqs = sgip::SequenceGenerator::new(3_010_012_345);
    let (mut c, result) = sgip_bind(
        sim.local_addr(),
        &mut seqs,
        sgip::Bind::sp_to_smg("spuser", "sppass").unwrap(),
    )
    .await;
    assert_eq!(result, 0);
    c.expect_eof().await;
    sim.wait_until(|s| s.open_connections == 0, T)
        .await
        .unwrap();
    sim.shutdown().await;
}

#[tokio::test]
async fn garbage_instead_of_a_login_closes_only_that_connection() {
    for protocol in [
        SimProtocol::Cmpp2,
        SimProtocol::Cmpp3,
        SimProtocol::Smgp,
        SimProtocol::Sgip,
    ] {
        let sim = start(SimConfig::new(protocol).account("901234", "Sec@2024")).await;
        // A length field below any header, then a frame that is too long, then noise.
        for junk in [
            &[
                0u8, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
            ][..],
            &[
                0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
            ][..],
            &[
                0, 0, 0, 24, 0, 0, 0, 1, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0,
            ][..],
        ] {
            let mut c =
                RawPeer::connect(sim.local_addr(), cmpp::CmppCodec::new(cmpp::Version::V30)).await;
            c.write(junk).await;
            c.expect_eof().await;
        }
        // Still serving.
        if matches!(protocol, SimProtocol::Cmpp2 | SimProtocol::Cmpp3) {
            let v = if protocol == SimProtocol::Cmpp2 {
                cmpp::Version::V20
            } else {
                cmpp::Version::V30
            };
            drop(cmpp_login(sim.local_addr(), v).await);
        }
        let s = sim
            .wait_until(|s| s.connections >= 3 && s.open_connections <= 1, T)
            .await
            .unwrap();
        assert_eq!(
            s.logins_ok + s.logins_refused,
            u64::from(matches!(protocol, SimProtocol::Cmpp2 | SimProtocol::Cmpp3))
        );
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn sgip_malformed_bytes_reach_the_reverse_connection_too() {
    let sp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = start(sgip_config(sp.local_addr().unwrap())).await;
    sim.deliver_mo(MoSpec::new("8613000000009", "10655012345", "hi"))
        .await
        .unwrap();
    let mut rev = sgip_accept_reverse(&sp).await;
    assert!(matches!(
        sgip_inbound(&mut rev).await.body,
        sgip::Body::Deliver(_)
    ));
    sim.wait_until(|s| s.mo_acked == 1, T).await.unwrap();
    sim.faults().send_malformed();
    assert!(matches!(rev.next().await, Some(Err(CodecError::Frame(_)))));
    drop(rev);
    // The next MO binds again.
    sim.deliver_mo(MoSpec::new("8613000000009", "10655012345", "again"))
        .await
        .unwrap();
    let mut rev = sgip_accept_reverse(&sp).await;
    assert!(matches!(
        sgip_inbound(&mut rev).await.body,
        sgip::Body::Deliver(_)
    ));
    let s = sim.wait_until(|s| s.mo_acked == 2, T).await.unwrap();
    assert_eq!((s.reverse_binds, s.malformed_sent), (2, 1));
    sgip_shutdown(sim, rev).await;
}
