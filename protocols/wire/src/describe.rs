//! JSON rendering of message content for `hongyan decode` and debug logs: the text
//! when the coding is text, always the raw hex, and the UDH when TP_udhi says so.

use serde_json::{Value, json};

use crate::coding::{Coding, decode_text};
use crate::hex;
use crate::udh::Udh;

/// TP_udhi as seen on the wire means "UDH present"? The spec value is 1; some gateways
/// send 0x40 (SMPP's esm_class bit), so any of the bits 0x41 counts.
pub fn udhi_set(tp_udhi: u8) -> bool {
    tp_udhi & 0x41 != 0
}

/// Describe message content: `{"coding", "hex", "text"?, "udh"?, "udh_error"?}`.
pub fn content(coding_byte: u8, udhi: bool, bytes: &[u8]) -> Value {
    let coding = Coding::from_u8(coding_byte);
    let mut out = serde_json::Map::new();
    out.insert("coding".into(), json!(coding.name()));
    out.insert("length".into(), json!(bytes.len()));
    out.insert("hex".into(), json!(hex::encode(bytes)));
    let mut payload = bytes;
    if udhi {
        match Udh::parse(bytes) {
            Ok((udh, rest)) => {
                let elements: Vec<Value> = udh
                    .elements
                    .iter()
                    .map(|ie| json!({"iei": format!("0x{:02x}", ie.iei), "data": hex::encode(&ie.data)}))
                    .collect();
                let mut u = json!({"elements": elements});
                if let Some(c) = udh.concat() {
                    u["concat"] = json!({
                        "reference": c.reference,
                        "reference_bits": if c.wide { 16 } else { 8 },
                        "total": c.total,
                        "number": c.number,
                    });
                }
                out.insert("udh".into(), u);
                payload = rest;
            }
            Err(e) => {
                out.insert("udh_error".into(), json!(e.to_string()));
            }
        }
    }
    if let Some(text) = decode_text(coding, payload) {
        out.insert("text".into(), json!(text));
    }
    Value::Object(out)
}

/// Describe content that is a binary structure (a status report): `{"length", "hex"}`,
/// with no text or UDH interpretation — the decoded structure is shown beside it.
pub fn raw(bytes: &[u8]) -> Value {
    json!({"length": bytes.len(), "hex": hex::encode(bytes)})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_ucs2_with_udh() {
        let v = content(8, true, &[0x05, 0x00, 0x03, 0x5a, 0x02, 0x02, 0x79, 0x5d]);
        assert_eq!(v["text"], "祝");
        assert_eq!(v["udh"]["concat"]["total"], 2);
        assert_eq!(v["udh"]["concat"]["reference"], 0x5a);
        assert_eq!(v["hex"], "0500035a0202795d");
    }

    #[test]
    fn bad_udh_is_reported_and_text_still_shown() {
        let v = content(0, true, &[9, b'h', b'i']);
        assert!(v["udh_error"].is_string());
        // UDHL 9 overruns, so the whole content is shown as text.
        assert_eq!(v["text"], "\thi");
    }

    #[test]
    fn raw_is_length_and_hex_only() {
        assert_eq!(raw(&[0x11, 0x0c]), json!({"length": 2, "hex": "110c"}));
    }

    #[test]
    fn binary_has_no_text() {
        let v = content(4, false, &[1, 2]);
        assert!(v.get("text").is_none());
        assert_eq!(v["coding"], "binary");
    }

    #[test]
    fn udhi_accepts_0x40() {
        assert!(udhi_set(1) && udhi_set(0x40) && !udhi_set(0));
    }
}
