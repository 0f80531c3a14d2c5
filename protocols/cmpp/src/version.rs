//! The CMPP protocol version and every body size that depends on it.
//!
//! CMPP 2.0 and 3.0 share the header and the command set but differ in a dozen field
//! widths (see cmpp.md §13). An account is provisioned as one or the other, so the
//! version is a parameter of [`decode`](crate::decode) and [`Pdu::encode`](crate::Pdu::encode)
//! rather than something sniffed from the bytes.

use std::fmt;

/// CMPP protocol version of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// CMPP 2.0 (version byte 0x20; 0x21 "CMPP 2.1" is accepted as 2.x).
    V20,
    /// CMPP 3.0 (version byte 0x30).
    V30,
}

impl Version {
    /// The version byte sent in CONNECT / CONNECT_RESP: 0x20 or 0x30.
    pub const fn byte(self) -> u8 {
        match self {
            Self::V20 => 0x20,
            Self::V30 => 0x30,
        }
    }

    /// The version a CONNECT version byte asks for: 0x20 and 0x21 are 2.x, 0x30 is 3.0.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x20 | 0x21 => Some(Self::V20),
            0x30 => Some(Self::V30),
            _ => None,
        }
    }

    /// The `"protocol"` value of the JSON rendering: `cmpp2` or `cmpp3`.
    pub const fn protocol_name(self) -> &'static str {
        match self {
            Self::V20 => "cmpp2",
            Self::V30 => "cmpp3",
        }
    }

    /// Width of CONNECT_RESP Status, SUBMIT_RESP / DELIVER_RESP Result and CANCEL_RESP
    /// Success_Id: 1 byte in 2.0, 4 bytes in 3.0.
    pub const fn result_width(self) -> usize {
        match self {
            Self::V20 => 1,
            Self::V30 => 4,
        }
    }

    /// Width of Fee_terminal_Id, Dest_terminal_Id, Src_terminal_Id and the report's
    /// Dest_terminal_Id: 21 bytes in 2.0, 32 in 3.0.
    pub const fn terminal_id_width(self) -> usize {
        match self {
            Self::V20 => 21,
            Self::V30 => 32,
        }
    }

    /// Whether the Fee/Dest/Src_terminal_type bytes exist (3.0 only).
    pub const fn has_terminal_type(self) -> bool {
        matches!(self, Self::V30)
    }

    /// Width of the SUBMIT / DELIVER trailer: 8-byte Reserve in 2.0, 20-byte LinkID in 3.0.
    pub const fn trailer_width(self) -> usize {
        match self {
            Self::V20 => 8,
            Self::V30 => 20,
        }
    }

    /// Spec name of the SUBMIT / DELIVER trailer field.
    pub const fn trailer_name(self) -> &'static str {
        match self {
            Self::V20 => "Reserve",
            Self::V30 => "LinkID",
        }
    }

    /// Size of the status report carried in a DELIVER's Msg_Content: 60 or 71 bytes.
    pub const fn report_len(self) -> usize {
        // Msg_Id 8 + Stat 7 + Submit_time 10 + Done_time 10 + Dest_terminal_Id + SMSC_sequence 4
        39 + self.terminal_id_width()
    }

    /// Largest result code the result/status fields can carry.
    pub const fn max_result(self) -> u32 {
        match self {
            Self::V20 => u8::MAX as u32,
            Self::V30 => u32::MAX,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V20 => "CMPP 2.0",
            Self::V30 => "CMPP 3.0",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_bytes() {
        assert_eq!(Version::V20.byte(), 0x20);
        assert_eq!(Version::V30.byte(), 0x30);
        assert_eq!(Version::from_byte(0x21), Some(Version::V20));
        assert_eq!(Version::from_byte(0x20), Some(Version::V20));
        assert_eq!(Version::from_byte(0x30), Some(Version::V30));
        assert_eq!(Version::from_byte(0x31), None);
    }

    #[test]
    fn sizes_follow_the_version_table() {
        assert_eq!(Version::V20.report_len(), 60);
        assert_eq!(Version::V30.report_len(), 71);
        assert_eq!(Version::V20.result_width(), 1);
        assert_eq!(Version::V30.result_width(), 4);
        assert_eq!(Version::V20.trailer_width(), 8);
        assert_eq!(Version::V30.trailer_width(), 20);
        assert_eq!(Version::V30.to_string(), "CMPP 3.0");
    }
}
