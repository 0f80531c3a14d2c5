//! Fuzz the SMGP decoder and codec in every version: arbitrary bytes must never panic,
//! and whatever decodes must re-encode to the same bytes and decode again to the same
//! PDU (the status report and JSON views included).
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use smgp::codec::Decoder;
use smgp::{Body, Pdu, SmgpCodec, Version, decode};

const VERSIONS: [Version; 3] = [Version::V13, Version::V20, Version::V30];

fn check(version: Version, pdu: &Pdu, frame: &Bytes) {
    let again = pdu.to_bytes(version).expect("a decoded PDU re-encodes");
    assert_eq!(&again, frame, "re-encoding is byte-exact");
    assert_eq!(pdu.encoded_len(version), frame.len());
    assert_eq!(decode(version, &again).as_ref(), Ok(pdu));
    if let Body::Deliver(d) = &pdu.body {
        let _ = d.report();
    }
    let _ = pdu.to_json(version);
}

fuzz_target!(|data: &[u8]| {
    let frame = Bytes::copy_from_slice(data);
    for version in VERSIONS {
        if let Ok(pdu) = decode(version, &frame) {
            check(version, &pdu, &frame);
        }

        let mut codec = SmgpCodec::new(version, smgp::DEFAULT_MAX_FRAME);
        let mut buf = BytesMut::from(data);
        loop {
            let before = buf.clone().freeze();
            match codec.decode(&mut buf) {
                Ok(Some(pdu)) => {
                    let used = before.len() - buf.len();
                    check(version, &pdu, &before.slice(..used));
                }
                Ok(None) => break,
                // A frame whose body fails is consumed; the stream stays in sync.
                Err(wire::CodecError::Decode(_)) => {}
                Err(_) => break,
            }
        }
    }
});
