//! The status report carried in a CMPP_DELIVER's Msg_Content when
//! Registered_Delivery = 1 (cmpp.md §7.3).

use bytes::{BufMut, Bytes, BytesMut};
use wire::{DecodeError, EncodeError, Octets};

use crate::msg_id::MsgId;
use crate::reader::Reader;
use crate::status;
use crate::version::Version;

const PDU: &str = "CMPP_DELIVER";

/// Size of a report with a 21-byte Dest_terminal_Id: the 2.0 form, also sent in 3.0 by
/// gocmpp-based gateways (README disagreement 5).
const SHORT_REPORT_LEN: usize = 60;

/// A status report: the final state of one SUBMIT (one segment, one recipient).
///
/// | Offset | Size 2.0 / 3.0 | Field | Meaning |
/// |---:|---:|---|---|
/// | 0 | 8 | Msg_Id | the SUBMIT_RESP Msg_Id this report is about |
/// | 8 | 7 | Stat | `DELIVRD` or a failure code ([`status::stat_meaning`]) |
/// | 15 | 10 | Submit_time | `YYMMDDHHMM` |
/// | 25 | 10 | Done_time | `YYMMDDHHMM` |
/// | 35 | 21 / 32 | Dest_terminal_Id | the MT's recipient |
/// | 56 / 67 | 4 | SMSC_sequence | opaque |
///
/// 60 bytes in 2.0, 71 in 3.0. A 3.0 decoder also accepts the 60-byte form and
/// re-encodes it in the 71-byte spec form.
///
/// Example (3.0): `110c414134fd0001 44454c49565244 32343031303230333034 32343031303230333035
/// 3133383030313338303030 00×21 00000000`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusReport {
    /// Msg_Id of the SUBMIT_RESP.
    pub msg_id: MsgId,
    /// Stat, 7 ASCII bytes kept raw.
    pub stat: Octets<7>,
    /// Submit_time `YYMMDDHHMM`.
    pub submit_time: Octets<10>,
    /// Done_time `YYMMDDHHMM`.
    pub done_time: Octets<10>,
    /// Dest_terminal_Id (21 bytes used in 2.0).
    pub dest_terminal_id: Octets<32>,
    /// SMSC_sequence.
    pub smsc_sequence: u32,
}

impl StatusReport {
    /// Parse a DELIVER's Msg_Content. Errors name CMPP_DELIVER.Msg_Content (wrong size)
    /// so the caller can log them next to the raw content.
    pub fn parse(version: Version, content: &[u8]) -> Result<Self, DecodeError> {
        let width = match (version, content.len()) {
            (_, n) if n == version.report_len() => version.terminal_id_width(),
            (Version::V30, SHORT_REPORT_LEN) => Version::V20.terminal_id_width(),
            (Version::V20, n) => {
                return Err(DecodeError::invalid(
                    PDU,
                    "Msg_Content",
                    format!("{n} bytes"),
                    "a CMPP 2.0 status report is 60 bytes",
                ));
            }
            (Version::V30, n) => {
                return Err(DecodeError::invalid(
                    PDU,
                    "Msg_Content",
                    format!("{n} bytes"),
                    "a CMPP 3.0 status report is 71 bytes (60 accepted)",
                ));
            }
        };
        let mut r = Reader::new(PDU, content);
        let report = Self {
            msg_id: MsgId(r.u64("Msg_Id")?),
            stat: r.octets::<7>("Stat")?,
            submit_time: r.octets::<10>("Submit_time")?,
            done_time: r.octets::<10>("Done_time")?,
            dest_terminal_id: r.narrow::<32>("Dest_terminal_Id", width)?,
            smsc_sequence: r.u32("SMSC_sequence")?,
        };
        r.end()?;
        Ok(report)
    }

    /// Append the report in `version`'s layout (60 or 71 bytes).
    pub fn encode(&self, version: Version, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        buf.put_u64(self.msg_id.0);
        self.stat.put(buf);
        self.submit_time.put(buf);
        self.done_time.put(buf);
        let r = crate::fields::put_narrow(
            buf,
            PDU,
            "Dest_terminal_Id",
            &self.dest_terminal_id,
            version.terminal_id_width(),
        );
        if r.is_err() {
            buf.truncate(start);
        }
        r?;
        buf.put_u32(self.smsc_sequence);
        Ok(())
    }

    /// The report as Msg_Content bytes for `version`.
    pub fn to_bytes(&self, version: Version) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::with_capacity(version.report_len());
        self.encode(version, &mut buf)?;
        Ok(buf.freeze())
    }

    /// Stat is `DELIVRD` — the only success value.
    pub fn is_delivered(&self) -> bool {
        status::stat_is_delivered(self.stat.raw())
    }

    /// Human-readable Stat.
    pub fn stat_meaning(&self) -> &'static str {
        status::stat_meaning(self.stat.raw())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sample() -> StatusReport {
        StatusReport {
            msg_id: MsgId(0x110C_4141_34FD_0001),
            stat: Octets::new(b"DELIVRD").unwrap(),
            submit_time: Octets::new(b"2401020304").unwrap(),
            done_time: Octets::new(b"2401020305").unwrap(),
            dest_terminal_id: Octets::new(b"13800138000").unwrap(),
            smsc_sequence: 7,
        }
    }

    #[test]
    fn sizes_per_version() {
        assert_eq!(sample().to_bytes(Version::V20).unwrap().len(), 60);
        assert_eq!(sample().to_bytes(Version::V30).unwrap().len(), 71);
        for v in [Version::V20, Version::V30] {
            assert_eq!(
                StatusReport::parse(v, &sample().to_bytes(v).unwrap()),
                Ok(sample())
            );
        }
    }

    #[test]
    fn gocmpp_60_byte_report_accepted_in_3_0() {
        let short = sample().to_bytes(Version::V20).unwrap();
        let r = StatusReport::parse(Version::V30, &short).unwrap();
        assert_eq!(r, sample());
        // Emitted in the spec form.
        assert_eq!(r.to_bytes(Version::V30).unwrap().len(), 71);
    }

    #[test]
    fn wrong_sizes_name_msg_content() {
        let long = sample().to_bytes(Version::V30).unwrap();
        let err = StatusReport::parse(Version::V20, &long).unwrap_err();
        assert_eq!((err.pdu, err.field), ("CMPP_DELIVER", "Msg_Content"));
        let err = StatusReport::parse(Version::V30, &long[..70]).unwrap_err();
        assert_eq!(err.field, "Msg_Content");
        assert!(err.to_string().contains("71 bytes"));
    }

    #[test]
    fn stat_helpers() {
        let mut r = sample();
        assert!(r.is_delivered());
        assert_eq!(r.stat_meaning(), "delivered to the handset");
        r.stat = Octets::new(b"UNDELIV").unwrap();
        assert!(!r.is_delivered());
        assert_eq!(r.stat_meaning(), "undeliverable");
    }

    #[test]
    fn dest_too_long_for_2_0_fails_cleanly() {
        let mut r = sample();
        r.dest_terminal_id = Octets::new(&[b'1'; 25]).unwrap();
        let mut buf = BytesMut::new();
        assert_eq!(
            r.encode(Version::V20, &mut buf).unwrap_err().field,
            "Dest_terminal_Id"
        );
        assert!(buf.is_empty());
    }
}
