//! Fuzz the SGIP decoder and codec: arbitrary bytes must never panic, and whatever
//! decodes must re-encode to exactly the input frame and decode again to the same
//! PDU (the JSON view included).
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use sgip::codec::Decoder;
use sgip::{Pdu, SgipCodec, decode};

fn check(pdu: &Pdu, frame: &Bytes) {
    let again = pdu.to_bytes().expect("a decoded PDU re-encodes");
    assert_eq!(&again, frame, "re-encoding is byte-exact");
    assert_eq!(pdu.encoded_len(), frame.len());
    assert_eq!(decode(&again).as_ref(), Ok(pdu));
    let _ = pdu.to_json();
}

fuzz_target!(|data: &[u8]| {
    // One frame, as the link layer hands it over.
    let frame = Bytes::copy_from_slice(data);
    if let Ok(pdu) = decode(&frame) {
        check(&pdu, &frame);
    }

    // The same bytes as a stream through the codec, fed in two pieces so partial
    // frames are exercised too.
    let mut codec = SgipCodec::new(sgip::DEFAULT_MAX_FRAME);
    let split = data
        .first()
        .map_or(0, |&b| usize::from(b) % (data.len() + 1));
    let mut buf = BytesMut::new();
    for piece in [&data[..split], &data[split..]] {
        buf.extend_from_slice(piece);
        loop {
            let before = buf.clone().freeze();
            match codec.decode(&mut buf) {
                Ok(Some(pdu)) => {
                    let used = before.len() - buf.len();
                    check(&pdu, &before.slice(..used));
                }
                Ok(None) => break,
                // A frame whose body fails is consumed; the stream stays in sync.
                Err(wire::CodecError::Decode(_)) => {}
                // The length prefix is out of bounds: the stream cannot resync.
                Err(_) => return,
            }
        }
    }
});
