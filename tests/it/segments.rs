//! `hongyan segments`: the segment preview, and its `--hex` SUBMITs read back by
//! `hongyan decode` for every protocol.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Output;

use serde_json::Value;

use crate::support::{run, stdout_of as stdout};

/// sms-encoding.md §3.4: 74 characters, UCS-2, two segments.
const EXAMPLE: &str = "【示例科技】尊敬的客户，您本月的账单已经生成，应缴金额为128.50元，最后缴费日期为本月25日。如已缴费请忽略本短信。感谢您的支持，祝您生活愉快！";
const SEG2_HEX: &str = "0500035a0202795d60a8751f6d3b61095febff01";

/// Runs `hongyan ARGS`.
fn hongyan(args: &[&str]) -> Output {
    run(args, None)
}

#[test]
fn reference_example_splits_into_its_documented_segments() {
    let json: Value = serde_json::from_str(&stdout(&hongyan(&[
        "segments",
        "--json",
        "--reference",
        "90",
        EXAMPLE,
    ])))
    .unwrap();
    assert_eq!(json["coding"], "ucs2");
    assert_eq!(json["segments"], 2);
    let parts = json["parts"].as_array().unwrap();
    assert_eq!(parts[0]["length"], 140);
    assert_eq!(parts[0]["udh"], "0500035a0201");
    assert_eq!(parts[1]["content_hex"], SEG2_HEX);
    assert_eq!(parts[1]["text"], "祝您生活愉快！");

    let text = stdout(&hongyan(&["segments", "--reference", "90", EXAMPLE]));
    assert!(
        text.starts_with("coding:   ucs2 (Msg_Fmt 8)\nsegments: 2 "),
        "{text}"
    );
}

#[test]
fn hex_submits_decode_back_with_consistent_segment_fields() {
    for protocol in ["cmpp2", "cmpp3", "smgp", "sgip"] {
        let hex = stdout(&hongyan(&[
            "segments",
            "-p",
            protocol,
            "--hex",
            "--udh",
            "16",
            "--reference",
            "4660",
            EXAMPLE,
        ]));
        let lines: Vec<&str> = hex.lines().collect();
        // A 16-bit reference leaves 66 UCS-2 characters a segment: still two.
        assert_eq!(lines.len(), 2, "{protocol}");
        let mut texts = String::new();
        for (i, line) in lines.iter().enumerate() {
            let pdu: Value =
                serde_json::from_str(&stdout(&hongyan(&["decode", "-p", protocol, line]))).unwrap();
            let content = pdu
                .get("msg_content")
                .or_else(|| pdu.get("message_content"))
                .unwrap();
            let concat = &content["udh"]["concat"];
            assert_eq!(concat["reference"], 0x1234, "{protocol}");
            assert_eq!(concat["reference_bits"], 16, "{protocol}");
            assert_eq!(concat["total"], 2, "{protocol}");
            assert_eq!(concat["number"], i + 1, "{protocol}");
            assert_eq!(content["coding"], "ucs2");
            match protocol {
                "cmpp2" | "cmpp3" => {
                    assert_eq!(
                        (pdu["pk_total"].clone(), pdu["pk_number"].clone()),
                        (2.into(), (i + 1).into())
                    );
                    assert_eq!(pdu["tp_udhi"], 1);
                }
                "smgp" => {
                    let tlv = |name: &str| {
                        pdu["tlvs"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .find(|t| t["name"] == name)
                            .map(|t| t["value"].clone())
                    };
                    assert_eq!(tlv("TP_udhi"), Some(1.into()));
                    assert_eq!(tlv("PkTotal"), Some(2.into()));
                    assert_eq!(tlv("PkNumber"), Some((i + 1).into()));
                }
                _ => assert_eq!(pdu["tp_udhi"], 1),
            }
            texts.push_str(content["text"].as_str().unwrap());
        }
        assert_eq!(texts, EXAMPLE, "{protocol}");
    }
}

#[test]
fn signature_once_and_carrier_signature_reserved() {
    let once = stdout(&hongyan(&[
        "segments",
        "--json",
        "--signature",
        "【鸿雁物流】",
        "【鸿雁物流】您的快递已到",
    ]));
    let json: Value = serde_json::from_str(&once).unwrap();
    assert_eq!(json["parts"][0]["text"], "【鸿雁物流】您的快递已到");

    // 64 characters + a 6-character carrier signature = 70: one segment, signature not sent.
    let body = "好".repeat(64);
    let json: Value = serde_json::from_str(&stdout(&hongyan(&[
        "segments",
        "--json",
        "--signature",
        "【鸿雁物流】",
        "--carrier-signature",
        &body,
    ])))
    .unwrap();
    assert_eq!(json["segments"], 1);
    assert_eq!(json["parts"][0]["text"], body);
    // One more character and the carrier's signature would spill: two segments.
    let body = "好".repeat(65);
    let json: Value = serde_json::from_str(&stdout(&hongyan(&[
        "segments",
        "--json",
        "--signature",
        "【鸿雁物流】",
        "--carrier-signature",
        &body,
    ])))
    .unwrap();
    assert_eq!(json["segments"], 2);
}

#[test]
fn impossible_codings_fail_with_the_character() {
    let out = hongyan(&["segments", "--coding", "gbk", "快递😀"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("U+1F600") && err.contains("GBK"), "{err}");

    let out = hongyan(&["segments", "--coding", "ascii", "ok 好"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not ASCII"));

    let gbk = stdout(&hongyan(&[
        "segments",
        "--coding",
        "gbk",
        "--json",
        "快递已到",
    ]));
    let json: Value = serde_json::from_str(&gbk).unwrap();
    assert_eq!(json["coding"], "gbk");
    assert_eq!(json["parts"][0]["content_hex"], "bfecb5ddd2d1b5bd");
}
