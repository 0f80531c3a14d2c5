//! Fuzz the MO path short of the network: arbitrary DELIVER frames → the protocol
//! crate's decoder → the link's classification (`ProtocolAdapter::classify`) → the MO
//! reassembler → the inbox write of a real SQLite store (one temporary file per fuzzing
//! process). Every message that comes out must be stored, once: storing it again under
//! the same DELIVER ids finds the first row.
//!
//! Not driven here: the link's ack book (repeated DELIVERs answered once), the async
//! store handle's writer thread and the reply routing after the write; the few lines of
//! the dispatcher that turn a reassembled message into a `NewInbound` and its DELIVER
//! ids into the key are mirrored in `store_mo`.
//!
//! Input: one byte picks the protocol (CMPP 2.0, CMPP 3.0, SMGP 3.0, SGIP 1.2), then
//! records of [seconds to advance, length (u16 BE), frame].
#![no_main]

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hongyan::link::{
    CarrierMsgId, CmppProtocol, Inbound, ProtocolAdapter, SgipProtocol, SmgpProtocol,
};
use hongyan::store::{MoReceived, NewInbound, Store, StoreOptions};
use libfuzzer_sys::fuzz_target;
use wire::reassembly::{MoMessage, Reassembler, ReassemblyConfig, Tagged};

type Tag = Option<CarrierMsgId>;

fn store() -> &'static Mutex<Store> {
    static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
    STORE.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("hongyan-fuzz-mo-{}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        Mutex::new(Store::open(&path, &StoreOptions::default()).expect("a temporary store opens"))
    })
}

/// One frame as the link would classify it.
fn classify(protocol: u8, frame: &Bytes) -> Option<Inbound> {
    match protocol % 4 {
        0 | 1 => {
            let version = if protocol % 4 == 0 {
                cmpp::Version::V20
            } else {
                cmpp::Version::V30
            };
            let pdu = cmpp::decode(version, frame).ok()?;
            Some(CmppProtocol::new(version, "901234").classify(pdu).inbound)
        }
        2 => {
            let pdu = smgp::decode(smgp::Version::V30, frame).ok()?;
            Some(SmgpProtocol::new(smgp::Version::V30).classify(pdu).inbound)
        }
        _ => {
            let pdu = sgip::decode(frame).ok()?;
            Some(
                SgipProtocol::new(3_020_012_345, "12345")
                    .classify(pdu)
                    .inbound,
            )
        }
    }
}

/// What the dispatcher does with a reassembled message: store it, keyed by its
/// DELIVER ids — and what a resend of it must find.
fn store_mo(t: Tagged<Tag>, at: i64) {
    let MoMessage {
        sender,
        destination,
        coding,
        text,
        payload,
        ..
    } = t.message;
    let inbound = NewInbound {
        sender,
        destination,
        text: text.unwrap_or_else(|| wire::hex::encode(&payload)),
        coding: coding.as_u8(),
        received_at: at,
        link: "fuzz".to_owned(),
        item_id: None,
    };
    let mut ids: Vec<CarrierMsgId> = t.tags.into_iter().flatten().collect();
    ids.sort_unstable();
    let mut store = store().lock().unwrap_or_else(|e| e.into_inner());
    if ids.is_empty() {
        store
            .inbox_insert(&inbound)
            .expect("an MO message is stored");
        return;
    }
    let key = ids
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let first = store
        .inbox_receive(&inbound, &key)
        .expect("an MO message is stored");
    let again = store
        .inbox_receive(&inbound, &key)
        .expect("a resent MO message is looked up");
    match (first, again) {
        (MoReceived::Stored(id), MoReceived::Resent(same))
        | (MoReceived::Resent(id), MoReceived::Resent(same)) => {
            assert_eq!(id, same, "a resend finds the stored row")
        }
        other => panic!("stored twice: {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&protocol, mut rest)) = data.split_first() else {
        return;
    };
    let mut reassembler: Reassembler<Tag> = Reassembler::tagged(ReassemblyConfig {
        timeout: Duration::from_secs(60),
        max_pending: 4,
    });
    let start = Instant::now();
    let mut now = start;
    let mut ready = Vec::new();
    while let [advance, hi, lo, tail @ ..] = rest {
        let n = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let (frame, next) = tail.split_at(n);
        rest = next;
        now += Duration::from_secs(u64::from(*advance % 90));
        ready.extend(reassembler.expire_tagged(now));
        if let Some(Inbound::Mo { deliver_id, part }) =
            classify(protocol, &Bytes::copy_from_slice(frame))
        {
            // As the link's ack book: an all-zero id is no id (the message is stored
            // without a key).
            let tag = deliver_id
                .filter(|id| *id != CarrierMsgId::Cmpp(0) && *id != CarrierMsgId::Smgp([0; 10]));
            let pushed = reassembler.push_tagged(part, tag, now);
            ready.extend(pushed.ready);
        }
    }
    // The timeout hands over whatever is incomplete: nothing stays behind.
    ready.extend(reassembler.expire_tagged(now + Duration::from_secs(3600)));
    for (i, t) in ready.into_iter().enumerate() {
        store_mo(t, i64::try_from(i).unwrap_or(0));
    }
});
