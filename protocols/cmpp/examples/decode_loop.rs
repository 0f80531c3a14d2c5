//! Decode the benchmark's CMPP 3.0 SUBMIT (70 UCS-2 characters, one recipient, 335
//! bytes) N times — for instruction counts that do not depend on machine load:
//!
//! ```sh
//! cargo build --release -p hongyan-cmpp --example decode_loop
//! valgrind --tool=callgrind target/release/examples/decode_loop 100000
//! valgrind --tool=callgrind target/release/examples/decode_loop 200000
//! # (difference of the two totals) / 100000 = instructions per decode
//! ```

use bytes::Bytes;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let content: Vec<u8> = "短信内容七十个字符"
        .repeat(8)
        .encode_utf16()
        .take(70)
        .flat_map(u16::to_be_bytes)
        .collect();
    let submit = cmpp::Submit {
        registered_delivery: 1,
        dest_terminal_ids: cmpp::DestTerminalIds::from_numbers(["13800138000"])?,
        msg_fmt: 8,
        msg_content: Bytes::from(content),
        ..Default::default()
    };
    let frame = cmpp::Pdu::new(1, cmpp::Body::Submit(submit)).to_bytes(cmpp::Version::V30)?;
    assert_eq!(frame.len(), 335);
    let mut decoded = 0usize;
    for _ in 0..n {
        let pdu = cmpp::decode(cmpp::Version::V30, std::hint::black_box(&frame));
        decoded += usize::from(std::hint::black_box(pdu).is_ok());
    }
    println!("{decoded} decodes");
    Ok(())
}
