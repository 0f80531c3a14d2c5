//! What becomes of a segment that never got an answer: after a crash, only one whose
//! SUBMIT may have been written (named in the on-the-wire journal) is `unconfirmed`; one
//! only claimed is queued again and sent once. And a gateway whose responses cannot be
//! decoded gets a segment at most `max_attempts` times, after which it fails with the
//! reason. Real daemon, gateways on 127.0.0.1:0, every wait bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use cmpp::codec::Decoder;
use cmpp::{Body, CmppCodec, ConnectResp, Pdu, Version};
use hongyan::config::Config;
use hongyan::dispatch::{SendRequest, WireJournal, journal};
use hongyan::link::WriteHook;
use hongyan::store::{DeliveryState, RecoveryAction};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::support::{
    LIMIT, TempDir, demo_config, leave_one_claimed, mobile_only_at, start_recording,
};

/// Leaves one single-part message claimed (`in_flight`) in the store under the config's
/// data directory, as a kill would, and writes the journal a killed process would leave:
/// naming the segment when `written`. Returns (job, segment).
async fn crash_with_one_claimed(config: &Config, written: bool) -> (i64, i64) {
    let (id, seg) = leave_one_claimed(config, "崩溃前已认领").await;
    // The journal of the killed run: another segment written, and this one if `written`.
    let j = WireJournal::create(&config.storage.data_dir.join(journal::FILE_NAME)).unwrap();
    j.writing(&[9_999]);
    if written {
        j.writing(&[u64::try_from(seg).unwrap()]);
    }
    (id, seg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_a_segment_only_claimed_is_queued_again_and_sent_once() {
    let dir = TempDir::new("recover-claimed");
    let config = demo_config(&dir);
    let (job, seg) = crash_with_one_claimed(&config, false).await;
    let daemon = start_recording(config).await;
    let recovered = daemon.recovered();
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert_eq!(recovered[0].segment_id, seg);
    assert_eq!(recovered[0].action, RecoveryAction::NeverSent);
    let st = daemon.wait_until_settled(job, LIMIT).await.unwrap();
    let s = &st.recipients[0].segments[0];
    assert_eq!(s.state, DeliveryState::Delivered, "{s:?}");
    // Its one send is its first attempt: the claim before the crash did not count.
    assert_eq!(s.attempts, 1);
    let subs = daemon.simulator("mobile-demo").unwrap().submits();
    assert_eq!(subs.len(), 1);
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_a_segment_the_journal_names_is_unconfirmed_not_resent() {
    let dir = TempDir::new("recover-written");
    let config = demo_config(&dir);
    let (job, seg) = crash_with_one_claimed(&config, true).await;
    let daemon = start_recording(config).await;
    let recovered = daemon.recovered();
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert_eq!(recovered[0].segment_id, seg);
    assert_eq!(recovered[0].action, RecoveryAction::MarkedUnconfirmed);
    let st = daemon.store().job_status(job).await.unwrap().unwrap();
    assert_eq!(st.recipients[0].state, DeliveryState::Unconfirmed);
    // The journal was started afresh for this run.
    let left = journal::read_written(&dir.join(journal::FILE_NAME)).unwrap();
    assert!(left.is_empty(), "{left:?}");
    // A later message goes out; the unconfirmed one does not.
    let out = daemon
        .submitter()
        .send(SendRequest::new(vec!["13900139000".into()], "之后的消息"))
        .await
        .unwrap();
    daemon
        .wait_until_settled(out.job.unwrap().job_id, LIMIT)
        .await
        .unwrap();
    let subs = daemon.simulator("mobile-demo").unwrap().submits();
    assert_eq!(subs.len(), 1);
    assert!(subs[0].recipients[0].ends_with("13900139000"));
    daemon.shutdown(LIMIT).await;
}

/// How a tiny gateway answers a SUBMIT.
#[derive(Clone, Copy)]
enum Answer {
    /// With a SUBMIT_RESP whose body is 4 bytes (a real SGIP peer was seen doing as
    /// much): the link cannot decode it and closes the connection.
    Undecodable,
    /// Not at all.
    Never,
}

/// A CMPP 3.0 gateway that logs in anyone, answers TERMINATE, and answers each SUBMIT as
/// `answer` says. Counts the SUBMITs it read, for the test to read or wait on.
async fn tiny_gateway(answer: Answer) -> (std::net::SocketAddr, watch::Receiver<u32>) {
    const V: Version = Version::V30;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (count, submits) = watch::channel(0u32);
    let count = Arc::new(count);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                let mut codec = CmppCodec::new(V);
                let mut buf = BytesMut::new();
                loop {
                    while let Ok(Some(pdu)) = codec.decode(&mut buf) {
                        let seq = pdu.sequence_id;
                        let bytes = match pdu.body {
                            Body::Connect(c) => Pdu::new(
                                seq,
                                Body::ConnectResp(ConnectResp::answer(V, 0, &c, b"demo-secret")),
                            )
                            .to_bytes(V)
                            .unwrap()
                            .to_vec(),
                            Body::Terminate => Pdu::new(seq, Body::TerminateResp)
                                .to_bytes(V)
                                .unwrap()
                                .to_vec(),
                            Body::Submit(_) => {
                                count.send_modify(|n| *n += 1);
                                match answer {
                                    Answer::Never => continue,
                                    Answer::Undecodable => {
                                        let mut b = Vec::new();
                                        b.extend_from_slice(&16u32.to_be_bytes());
                                        b.extend_from_slice(&0x8000_0004u32.to_be_bytes());
                                        b.extend_from_slice(&seq.to_be_bytes());
                                        b.extend_from_slice(&[0, 0, 0, 0]);
                                        b
                                    }
                                }
                            }
                            _ => continue,
                        };
                        if stream.write_all(&bytes).await.is_err() {
                            return;
                        }
                    }
                    if stream.read_buf(&mut buf).await.unwrap_or(0) == 0 {
                        return;
                    }
                }
            });
        }
    });
    (addr, submits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_shutdown_parts_never_written_go_back_without_an_attempt_counted() {
    let (addr, submits) = tiny_gateway(Answer::Never).await;
    let dir = TempDir::new("shutdown-unsent");
    let mut config = mobile_only_at(&dir, addr);
    // Two windows are claimed; one window is written and never answered.
    config.links[0].window = 4;
    config.links[0].close_grace = Duration::from_millis(200);
    let daemon = start_recording(config).await;
    let numbers: Vec<String> = (0..20).map(|i| format!("1380013{i:04}")).collect();
    let out = daemon
        .submitter()
        .send(SendRequest::new(numbers, "永不应答"))
        .await
        .unwrap();
    let job = out.job.unwrap().job_id;
    // The link claims two windows' worth (8) at once and writes one (4).
    let mut written = submits.clone();
    tokio::time::timeout(LIMIT, written.wait_for(|n| *n >= 4))
        .await
        .expect("the link never wrote a window")
        .unwrap();
    let store = daemon.store();
    let report = daemon.shutdown(LIMIT).await;
    assert_eq!(report.requeued, 8);
    let st = store.job_status(job).await.unwrap().unwrap();
    let mut attempts: Vec<u32> = st
        .recipients
        .iter()
        .flat_map(|r| r.segments.iter())
        .filter(|s| s.claimed_at.is_some())
        .map(|s| s.attempts)
        .collect();
    attempts.sort_unstable();
    // The four written keep their attempt; the four only claimed give it back.
    assert_eq!(attempts, [0, 0, 0, 0, 1, 1, 1, 1]);
    assert_eq!(*submits.borrow(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segment_whose_submit_resp_cannot_be_decoded_is_sent_max_attempts_times_then_fails() {
    let (addr, submits) = tiny_gateway(Answer::Undecodable).await;
    let dir = TempDir::new("undecodable-resp");
    let mut config = mobile_only_at(&dir, addr);
    config.links[0].max_attempts = 3;
    // The answers cannot be read, so each attempt waits out the response timeout.
    config.links[0].response_timeout = Duration::from_millis(300);
    let daemon = start_recording(config).await;
    let out = daemon
        .submitter()
        .send(SendRequest::new(vec!["13800138000".into()], "应答无法解码"))
        .await
        .unwrap();
    let st = daemon
        .wait_until_settled(out.job.unwrap().job_id, LIMIT)
        .await
        .expect("the segment never settled: it is resent without limit");
    let s = &st.recipients[0].segments[0];
    assert_eq!(s.state, DeliveryState::Failed, "{s:?}");
    let reason = s.last_error.as_deref().unwrap_or("");
    assert!(reason.contains("written 3 times"), "{reason}");
    assert!(reason.contains("malformed"), "{reason}");
    assert_eq!(*submits.borrow(), 3, "one send per attempt");
    assert_eq!(s.attempts, 3, "every write counted");
    daemon.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_frees_a_slot_once_its_segment_is_answered_so_it_does_not_grow() {
    let dir = TempDir::new("journal-size");
    let mut config = demo_config(&dir);
    config
        .links
        .retain(|l| l.carrier() == hongyan::route::Carrier::Mobile);
    config.links[0].rate = 100_000;
    let daemon = start_recording(config).await;
    let path = dir.join(journal::FILE_NAME);
    let fresh = std::fs::metadata(&path).unwrap().len();
    // More segments than a fresh journal has slots: were a slot kept after its
    // segment's answer was stored, the file would have to grow.
    let mut jobs = Vec::new();
    for batch in 0..12u32 {
        let numbers = (0..100u32)
            .map(|i| format!("1380013{:04}", batch * 100 + i))
            .collect();
        let out = daemon
            .submitter()
            .send(SendRequest::new(numbers, "槽位回收"))
            .await
            .unwrap();
        jobs.push(out.job.unwrap().job_id);
    }
    for job in jobs {
        let st = daemon.wait_until_settled(job, LIMIT).await.unwrap();
        assert!(
            st.recipients
                .iter()
                .all(|r| r.state == DeliveryState::Delivered),
            "{st:?}"
        );
    }
    assert_eq!(
        daemon.simulator("mobile-demo").unwrap().submits().len(),
        1200
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), fresh);
    // Every segment sent is (or was) in it: the journal is written on the way out.
    let named = journal::read_written(&path).unwrap();
    assert!(!named.is_empty());
    daemon.shutdown(LIMIT).await;
}
