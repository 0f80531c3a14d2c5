//! `hongyan decode` against every worked example of the protocol reference and against
//! malformed input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Output;

use serde_json::Value;

use crate::support::{Example, examples, find_example};

/// Runs `hongyan ARGS` with `stdin` as its input.
fn hongyan(args: &[&str], stdin: Option<&str>) -> Output {
    crate::support::run(args, stdin)
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

#[test]
fn every_reference_example_decodes_from_arguments() {
    let examples = examples();
    assert_eq!(examples.len(), 35, "the reference has 35 worked examples");
    for ex in &examples {
        let out = hongyan(&["decode", "--protocol", ex.protocol, ex.hex], None);
        assert!(
            out.status.success(),
            "{}: {}",
            ex.title,
            String::from_utf8_lossy(&out.stderr)
        );
        let objects = json_lines(&out);
        assert_eq!(objects.len(), 1, "{}", ex.title);
        let pdu = &objects[0];
        assert_eq!(pdu["command"], ex.command, "{}", ex.title);
        assert_eq!(pdu["total_length"], ex.hex.len() / 2, "{}", ex.title);
        assert!(
            pdu.get("sequence_id").is_some() || pdu.get("sequence_number").is_some(),
            "{}",
            ex.title
        );
    }
}

#[test]
fn stdin_takes_one_pdu_per_line_per_protocol() {
    for protocol in ["cmpp2", "cmpp3", "smgp", "sgip"] {
        let mine: Vec<Example> = examples()
            .into_iter()
            .filter(|e| e.protocol == protocol)
            .collect();
        let input: String = mine.iter().map(|e| format!("{}\n", e.hex)).collect();
        let out = hongyan(&["decode", "-p", protocol], Some(&input));
        assert!(
            out.status.success(),
            "{protocol}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let commands: Vec<Value> = json_lines(&out)
            .into_iter()
            .map(|v| v["command"].clone())
            .collect();
        let expected: Vec<&str> = mine.iter().map(|e| e.command).collect();
        assert_eq!(commands, expected, "{protocol}");
    }
}

#[test]
fn decoded_fields_carry_text_codes_and_reports() {
    let find = find_example;
    let decode =
        |ex: &Example| json_lines(&hongyan(&["decode", "-p", ex.protocol, ex.hex], None)).remove(0);

    let submit = decode(&find("Example 3 — CMPP 3.0"));
    assert_eq!(submit["msg_content"]["text"], "你好");
    assert_eq!(submit["dest_terminal_id"][0], "13800138000");
    assert_eq!(submit["src_id"], "1069012388");

    let throttled = decode(&find("Example 4b"));
    assert_eq!(throttled["result"], 8);
    assert!(
        throttled["result_meaning"]
            .as_str()
            .unwrap()
            .contains("flow control")
    );

    let report = decode(&find("Example 5 — CMPP 3.0"));
    assert_eq!(report["report"]["stat"], "DELIVRD");
    assert_eq!(report["report"]["msg_id"]["hex"], "110c414134fd0001");

    let gbk = decode(&find("Example 4 — SGIP Deliver"));
    assert_eq!(gbk["message_content"]["text"], "退订");

    let long = decode(&find("Example 3b — SMGP"));
    assert_eq!(long["msg_content"]["udh"]["concat"]["total"], 2);
}

#[test]
fn hexdump_and_spaced_input_are_accepted() {
    let dump = "00000000  00 00 00 15 80 00 00 05  00 00 00 65 11 0c 51 81  |...........e..Q.|\n\
                00000010  34 fd 00 03 00                                    |4....|\n";
    let out = hongyan(&["decode", "-p", "cmpp2"], Some(dump));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_lines(&out)[0]["command"], "CMPP_DELIVER_RESP");

    // Unquoted bytes on the command line arrive as separate arguments.
    let out = hongyan(
        &[
            "decode",
            "-p",
            "smgp",
            "00 00 00 0c",
            "00",
            "00 00 04 00 00 00 09",
        ],
        None,
    );
    assert!(out.status.success());
    assert_eq!(json_lines(&out)[0]["command"], "SMGP_ACTIVE_TEST");
}

#[test]
fn malformed_pdu_is_a_one_line_error_naming_the_field() {
    // CMPP 3.0 SUBMIT (example 3) with its last 10 bytes cut and Total_Length adjusted:
    // the LinkID no longer fits.
    let ex = find_example("Example 3 — CMPP 3.0");
    let mut bytes = wire::hex::decode(ex.hex).unwrap();
    bytes.truncate(bytes.len() - 10);
    let len = bytes.len() as u32;
    bytes[..4].copy_from_slice(&len.to_be_bytes());
    let out = hongyan(&["decode", "-p", "cmpp3", &wire::hex::encode(&bytes)], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("CMPP_SUBMIT.LinkID"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn good_lines_still_decode_around_a_bad_one() {
    let input = "0000000c0000000800000007\nnot hex\n0000000c0000000200000008\n0000001000000004\n";
    let out = hongyan(&["decode", "-p", "cmpp3"], Some(input));
    assert!(!out.status.success());
    let commands: Vec<Value> = json_lines(&out)
        .into_iter()
        .map(|v| v["command"].clone())
        .collect();
    assert_eq!(commands, vec!["CMPP_ACTIVE_TEST", "CMPP_TERMINATE"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(stderr.contains("PDU 2: input is not hex"), "{stderr}");
    assert!(
        stderr.contains("PDU 4: Total_Length: PDU declares 16 bytes but only 8 were given"),
        "{stderr}"
    );
}

#[test]
fn unknown_command_id_is_shown_not_rejected() {
    let out = hongyan(
        &[
            "decode",
            "-p",
            "cmpp3",
            "00000010 000000ff 00000001 deadbeef",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pdu = &json_lines(&out)[0];
    assert_eq!(pdu["command_id"], "0x000000ff");
}
