//! Fuzz the CMPP decoder and codec under both versions: arbitrary bytes must never
//! panic, and whatever decodes must re-encode and decode again to the same PDU —
//! byte for byte, except the one normalisation the crate makes on purpose (a 60-byte
//! status report in a 3.0 DELIVER is re-emitted in the 71-byte spec form).
#![no_main]

use bytes::{Bytes, BytesMut};
use cmpp::codec::Decoder;
use cmpp::{Body, CmppCodec, Pdu, Version, decode};
use libfuzzer_sys::fuzz_target;

const VERSIONS: [Version; 2] = [Version::V20, Version::V30];

fn check(version: Version, pdu: &Pdu, frame: &Bytes) {
    let again = pdu.to_bytes(version).expect("a decoded PDU re-encodes");
    assert_eq!(again.len(), pdu.encoded_len(version));
    assert_eq!(decode(version, &again).as_ref(), Ok(pdu));
    let short_report_normalised = version == Version::V30
        && matches!(&pdu.body, Body::Deliver(d) if d.report().is_some())
        && again.len() == frame.len() + 11;
    if !short_report_normalised {
        assert_eq!(&again, frame, "re-encoding is byte-exact");
    }
    if let Body::Deliver(d) = &pdu.body {
        let _ = (d.report(), d.report_error(), d.msg_content(version));
    }
    let _ = pdu.to_json(version);
}

fuzz_target!(|data: &[u8]| {
    let frame = Bytes::copy_from_slice(data);
    for version in VERSIONS {
        if let Ok(pdu) = decode(version, &frame) {
            check(version, &pdu, &frame);
        }

        let mut codec = CmppCodec::new(version);
        let mut buf = BytesMut::from(data);
        loop {
            let before = buf.clone().freeze();
            match codec.decode(&mut buf) {
                Ok(Some(pdu)) => {
                    let used = before.len() - buf.len();
                    check(version, &pdu, &before.slice(..used));
                }
                Ok(None) => break,
                // A bad length prefix ends the stream: it cannot be resynchronised.
                Err(wire::CodecError::Frame(_)) => break,
                // A complete frame that fails to decode has been consumed; go on.
                Err(_) => assert!(buf.len() < before.len(), "a failed frame is consumed"),
            }
        }
    }
});
