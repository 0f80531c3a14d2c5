//! Error types shared by every protocol crate.
//!
//! A decode error always says which PDU and which field failed, so a log line or the
//! `hongyan decode` CLI can point at the exact byte range a carrier got wrong.

use std::fmt;

/// Why a single field could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The frame ended inside this field.
    Truncated {
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// The field holds a value the protocol does not allow.
    Invalid {
        /// The offending value, rendered for humans.
        value: String,
        /// What was expected instead.
        reason: &'static str,
    },
    /// Bytes were left over after the last field of a fixed-layout PDU.
    TrailingBytes(usize),
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { needed, available } => write!(
                f,
                "truncated: needs {needed} byte(s), {available} left in the frame"
            ),
            Self::Invalid { value, reason } => write!(f, "invalid value {value}: {reason}"),
            Self::TrailingBytes(n) => write!(f, "{n} unexpected byte(s) after the last field"),
        }
    }
}

/// A PDU body failed to decode; names the PDU and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pdu}.{field}: {kind}")]
pub struct DecodeError {
    /// PDU name as in the spec, e.g. `CMPP_SUBMIT`.
    pub pdu: &'static str,
    /// Field name as in the spec, e.g. `Msg_Length`.
    pub field: &'static str,
    /// What was wrong with it.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    /// A field ran past the end of the frame.
    pub fn truncated(
        pdu: &'static str,
        field: &'static str,
        needed: usize,
        available: usize,
    ) -> Self {
        Self {
            pdu,
            field,
            kind: DecodeErrorKind::Truncated { needed, available },
        }
    }

    /// A field holds a value the protocol does not allow.
    pub fn invalid(
        pdu: &'static str,
        field: &'static str,
        value: impl fmt::Display,
        reason: &'static str,
    ) -> Self {
        Self {
            pdu,
            field,
            kind: DecodeErrorKind::Invalid {
                value: value.to_string(),
                reason,
            },
        }
    }

    /// Bytes left over after the last field.
    pub fn trailing(pdu: &'static str, n: usize) -> Self {
        Self {
            pdu,
            field: "(end)",
            kind: DecodeErrorKind::TrailingBytes(n),
        }
    }
}

/// The length prefix of a frame is outside what the codec accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Declared length is smaller than the fixed header.
    #[error("length field {declared} is below the {min}-byte header")]
    TooShort {
        /// Value of the length field.
        declared: u32,
        /// Header size.
        min: usize,
    },
    /// Declared length exceeds the configured maximum.
    #[error("length field {declared} exceeds the maximum frame size {max}")]
    TooLong {
        /// Value of the length field.
        declared: u32,
        /// Configured maximum.
        max: usize,
    },
}

/// A PDU could not be encoded: a value does not fit its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pdu}.{field}: {reason}")]
pub struct EncodeError {
    /// PDU name as in the spec.
    pub pdu: &'static str,
    /// Field name as in the spec.
    pub field: &'static str,
    /// Why it does not fit.
    pub reason: String,
}

impl EncodeError {
    /// Build an encode error.
    pub fn new(pdu: &'static str, field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            pdu,
            field,
            reason: reason.into(),
        }
    }
}

/// Error of a `tokio_util::codec` Decoder/Encoder for one of the protocols.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The socket failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The length prefix was rejected before reading the body.
    #[error("frame: {0}")]
    Frame(#[from] FrameError),
    /// The frame was complete but its body did not decode.
    #[error("decode: {0}")]
    Decode(#[from] DecodeError),
    /// An outbound PDU could not be encoded.
    #[error("encode: {0}")]
    Encode(#[from] EncodeError),
}
