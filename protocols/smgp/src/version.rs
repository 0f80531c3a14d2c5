//! SMGP protocol versions and what changes between them on the wire.
//!
//! The only layout difference an SP meets is Submit's `FixedFee` field: present in 2.0
//! and 3.0, absent in 1.3 (README disagreement 12). TLV optional parameters exist only
//! in 3.0, but a TLV area after the fixed body is decoded whatever the version, so a
//! 2.0 peer that sends none is simply a 3.0 peer without TLVs.

use std::fmt;

/// Protocol version, as carried in Login.ClientVersion / Login_Resp.ServerVersion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Version {
    /// SMGP 1.3 (0x13): Submit has no `FixedFee`.
    V13,
    /// SMGP 2.0 (0x20): 3.0 layout without TLVs.
    V20,
    /// SMGP 3.0 (0x30): the version this crate targets.
    #[default]
    V30,
}

impl Version {
    /// The version byte: high nibble major, low nibble minor.
    pub fn as_u8(self) -> u8 {
        match self {
            Self::V13 => 0x13,
            Self::V20 => 0x20,
            Self::V30 => 0x30,
        }
    }

    /// The version for a version byte, if it is one of 0x13, 0x20, 0x30.
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0x13 => Some(Self::V13),
            0x20 => Some(Self::V20),
            0x30 => Some(Self::V30),
            _ => None,
        }
    }

    /// Does Submit carry the 6-byte `FixedFee` field?
    pub fn has_fixed_fee(self) -> bool {
        !matches!(self, Self::V13)
    }

    /// Text form used in JSON and logs: `"1.3"`, `"2.0"`, `"3.0"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V13 => "1.3",
            Self::V20 => "2.0",
            Self::V30 => "3.0",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_bytes_round_trip() {
        for v in [Version::V13, Version::V20, Version::V30] {
            assert_eq!(Version::from_u8(v.as_u8()), Some(v));
        }
        assert_eq!(Version::from_u8(0x31), None);
        assert_eq!(Version::default(), Version::V30);
    }

    #[test]
    fn only_13_lacks_fixed_fee() {
        assert!(!Version::V13.has_fixed_fee());
        assert!(Version::V20.has_fixed_fee());
        assert!(Version::V30.has_fixed_fee());
        assert_eq!(Version::V30.to_string(), "3.0");
    }
}
