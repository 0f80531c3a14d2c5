//! `hongyan decode`: our users' dissector for CMPP 2.0/3.0, SMGP 3.0 and SGIP 1.2.
//!
//! Input is hex — PDUs back to back, white space anywhere, or a `hexdump -C` / `xxd`
//! style dump. PDUs are self-delimiting (every protocol starts with a 4-byte total
//! length), so a line may hold several. Each PDU becomes one JSON object; a PDU that
//! does not decode becomes a one-line error naming the PDU and field, and the good
//! PDUs around it are still printed.

use std::fmt;
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use bytes::Bytes;
use serde_json::Value;

/// Which protocol (and version) the bytes are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// China Mobile CMPP 2.0.
    Cmpp2,
    /// China Mobile CMPP 3.0.
    Cmpp3,
    /// China Telecom SMGP 3.0.
    Smgp,
    /// China Unicom SGIP 1.2.
    Sgip,
}

impl Protocol {
    /// Header size: the smallest legal PDU.
    pub fn header_len(self) -> usize {
        match self {
            Self::Cmpp2 | Self::Cmpp3 | Self::Smgp => 12,
            Self::Sgip => 20,
        }
    }

    /// Spec name of the 4-byte length field that starts every PDU.
    pub fn length_field(self) -> &'static str {
        match self {
            Self::Cmpp2 | Self::Cmpp3 => "Total_Length",
            Self::Smgp => "PacketLength",
            Self::Sgip => "Message_Length",
        }
    }

    /// Decode one complete frame to its JSON description.
    pub fn frame_to_json(self, frame: &Bytes) -> Result<Value, wire::DecodeError> {
        Ok(match self {
            Self::Cmpp2 => cmpp::decode(cmpp::Version::V20, frame)?.to_json(cmpp::Version::V20),
            Self::Cmpp3 => cmpp::decode(cmpp::Version::V30, frame)?.to_json(cmpp::Version::V30),
            Self::Smgp => smgp::decode(smgp::Version::V30, frame)?.to_json(smgp::Version::V30),
            Self::Sgip => sgip::decode(frame)?.to_json(),
        })
    }
}

/// Why one PDU (or one input line) could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeCliError {
    /// The text is not hex.
    #[error("input is not hex: {0}")]
    Hex(#[from] wire::hex::HexError),
    /// Fewer bytes than a length field.
    #[error("{field}: only {available} byte(s) left, a PDU starts with a 4-byte length")]
    ShortLength {
        /// Length field name.
        field: &'static str,
        /// Bytes left.
        available: usize,
    },
    /// The length field is below the header size.
    #[error("{field}: {declared} is below the {header}-byte header")]
    LengthBelowHeader {
        /// Length field name.
        field: &'static str,
        /// Declared length.
        declared: u32,
        /// Header size.
        header: usize,
    },
    /// The length field says more bytes than were given.
    #[error("{field}: PDU declares {declared} bytes but only {available} were given")]
    LengthOverrun {
        /// Length field name.
        field: &'static str,
        /// Declared length.
        declared: u32,
        /// Bytes available.
        available: usize,
    },
    /// The frame was complete but a field is wrong.
    #[error("{0}")]
    Decode(#[from] wire::DecodeError),
}

/// One decoded item: a PDU's JSON or the reason it failed.
#[derive(Debug)]
pub struct Outcome {
    /// 1-based index of the PDU in the whole input.
    pub index: usize,
    /// The JSON object, or the error.
    pub result: Result<Value, DecodeCliError>,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.result {
            Ok(v) => write!(f, "{v}"),
            Err(e) => write!(f, "PDU {}: {e}", self.index),
        }
    }
}

/// Strip `hexdump -C` / `xxd` decorations (offset column, ASCII column) from a line.
fn strip_dump_decorations(line: &str) -> &str {
    let mut s = line.trim();
    // ASCII column: hexdump -C puts it between |...|; xxd after two spaces.
    if let Some(pos) = s.find('|') {
        s = &s[..pos];
    }
    // Offset column: 8 hex digits followed by ':' (xxd) or two spaces (hexdump -C).
    if let Some((head, rest)) = s.split_once(char::is_whitespace) {
        let head = head.trim_end_matches(':');
        let looks_like_offset = head.len() >= 7 && head.chars().all(|c| c.is_ascii_hexdigit());
        let rest_is_hex_groups = rest
            .split_whitespace()
            .all(|g| g.len() <= 4 && g.chars().all(|c| c.is_ascii_hexdigit()));
        if looks_like_offset && rest_is_hex_groups && !rest.trim().is_empty() {
            s = rest;
        }
    }
    s
}

/// True when the text looks like a multi-line hex dump (lines start with an offset).
fn is_dump(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(first) = lines.next() else {
        return false;
    };
    let first = first.trim_start();
    first.starts_with("00000000") && (first.contains("  ") || first.contains(':'))
}

/// Split a byte stream into frames by the protocol's length prefix and decode each.
fn decode_stream(protocol: Protocol, bytes: &[u8], next_index: &mut usize, out: &mut Vec<Outcome>) {
    let field = protocol.length_field();
    let mut rest = bytes;
    while !rest.is_empty() {
        let index = *next_index;
        *next_index += 1;
        let Some(prefix) = rest.get(..4) else {
            out.push(Outcome {
                index,
                result: Err(DecodeCliError::ShortLength {
                    field,
                    available: rest.len(),
                }),
            });
            return;
        };
        let declared = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        let len = declared as usize;
        if len < protocol.header_len() {
            out.push(Outcome {
                index,
                result: Err(DecodeCliError::LengthBelowHeader {
                    field,
                    declared,
                    header: protocol.header_len(),
                }),
            });
            return;
        }
        let Some(frame) = rest.get(..len) else {
            out.push(Outcome {
                index,
                result: Err(DecodeCliError::LengthOverrun {
                    field,
                    declared,
                    available: rest.len(),
                }),
            });
            return;
        };
        let frame = Bytes::copy_from_slice(frame);
        out.push(Outcome {
            index,
            result: protocol.frame_to_json(&frame).map_err(DecodeCliError::from),
        });
        rest = &rest[len..];
    }
}

/// Decode hex `input`: a whole dump is one stream; otherwise every non-empty line is
/// decoded on its own (so one bad line does not hide the PDUs on the next).
pub fn decode_text(protocol: Protocol, input: &str) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut index = 1;
    if is_dump(input) {
        let joined: String = input
            .lines()
            .map(strip_dump_decorations)
            .collect::<Vec<_>>()
            .join(" ");
        match wire::hex::decode(&joined) {
            Ok(bytes) => decode_stream(protocol, &bytes, &mut index, &mut out),
            Err(e) => out.push(Outcome {
                index,
                result: Err(e.into()),
            }),
        }
        return out;
    }
    for line in input.lines() {
        let line = strip_dump_decorations(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match wire::hex::decode(line) {
            Ok(bytes) => decode_stream(protocol, &bytes, &mut index, &mut out),
            Err(e) => {
                out.push(Outcome {
                    index,
                    result: Err(e.into()),
                });
                index += 1;
            }
        }
    }
    out
}

/// Runs `hongyan decode`: hex from the arguments (joined) or standard input; each good
/// PDU's JSON on standard output, each bad one's error on standard error, and a failure
/// exit status if any PDU failed.
pub(super) fn run(protocol: Protocol, pretty: bool, hex: Vec<String>) -> anyhow::Result<ExitCode> {
    let input = if hex.is_empty() {
        let mut stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprintln!("reading hex PDUs from standard input, one per line (Ctrl-D to end)");
        }
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .context("reading standard input")?;
        text
    } else {
        hex.join("")
    };
    let outcomes = decode_text(protocol, &input);
    if outcomes.is_empty() {
        anyhow::bail!("no PDU in the input");
    }
    let mut stdout = std::io::stdout().lock();
    let mut failed = 0;
    for outcome in &outcomes {
        match &outcome.result {
            Ok(json) => {
                let text = if pretty {
                    serde_json::to_string_pretty(json)?
                } else {
                    json.to_string()
                };
                writeln!(stdout, "{text}")?;
            }
            Err(_) => {
                failed += 1;
                eprintln!("error: {outcome}");
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const ACTIVE_TEST: &str = "0000000c0000000800000007";
    const ACTIVE_TEST_RESP: &str = "0000000d800000080000000700";

    #[test]
    fn several_pdus_on_one_line_and_spaces() {
        let input = format!("{ACTIVE_TEST} {}", ACTIVE_TEST_RESP.replace("08", "08 "));
        let out = decode_text(Protocol::Cmpp3, &input);
        assert_eq!(out.len(), 2);
        let first = out[0].result.as_ref().unwrap();
        assert_eq!(first["command"], "CMPP_ACTIVE_TEST");
        assert_eq!(first["sequence_id"], 7);
        assert_eq!(
            out[1].result.as_ref().unwrap()["command"],
            "CMPP_ACTIVE_TEST_RESP"
        );
    }

    #[test]
    fn hexdump_input_is_joined() {
        let dump = "00000000  00 00 00 0d 80 00 00 08  00 00 00 07 00           |.............|\n";
        let out = decode_text(Protocol::Cmpp2, dump);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].result.as_ref().unwrap()["command"],
            "CMPP_ACTIVE_TEST_RESP"
        );
    }

    #[test]
    fn truncated_frame_names_the_length_field() {
        let out = decode_text(Protocol::Smgp, "0000001000000004");
        assert_eq!(out.len(), 1);
        let msg = out[0].to_string();
        assert_eq!(
            msg,
            "PDU 1: PacketLength: PDU declares 16 bytes but only 8 were given"
        );
    }

    #[test]
    fn bad_line_does_not_hide_good_lines() {
        let input = format!("zz\n{ACTIVE_TEST}\n");
        let out = decode_text(Protocol::Cmpp3, &input);
        assert_eq!(out.len(), 2);
        assert!(out[0].result.is_err());
        assert_eq!(out[1].index, 2);
        assert!(out[1].result.is_ok());
    }

    #[test]
    fn length_below_header_is_rejected() {
        let out = decode_text(Protocol::Sgip, "0000000c0000000100000000");
        assert_eq!(
            out[0].to_string(),
            "PDU 1: Message_Length: 12 is below the 20-byte header"
        );
    }
}
