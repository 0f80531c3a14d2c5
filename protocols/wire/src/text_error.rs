//! The one error type of the outbound text layer (coding choice, encoding,
//! signatures, segmentation). Inbound reassembly never fails: it notes problems on
//! the delivered message instead.

/// Why a text could not be turned into message content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// The link sends GBK, does not allow falling back to UCS-2, and the text holds a
    /// character GBK has no code for (most emoji, rare CJK extension characters).
    #[error(
        "character {ch:?} (U+{code:04X}) at index {index} cannot be encoded in GBK \
         and this link does not fall back to UCS-2",
        code = *ch as u32
    )]
    GbkUnmappable {
        /// The first offending character.
        ch: char,
        /// Its index in the text, counted in characters (not bytes), from 0.
        index: usize,
    },
    /// ASCII coding was forced for a text that is not ASCII.
    #[error("character {ch:?} (U+{code:04X}) at index {index} is not ASCII", code = *ch as u32)]
    NotAscii {
        /// The first offending character.
        ch: char,
        /// Its index in the text, counted in characters, from 0.
        index: usize,
    },
    /// The message needs more segments than the link allows (at most 255: the UDH
    /// total is one byte).
    #[error("message needs {needed} segments, the limit is {max}")]
    TooManySegments {
        /// Segments the text needs.
        needed: usize,
        /// The configured limit.
        max: usize,
    },
    /// The signature is kept whole in the first or last segment, and it does not fit
    /// there together with some text (or, added by the carrier, leaves that segment
    /// with nothing to send).
    #[error(
        "the signature ({chars} characters) leaves no room for text in segment {segment}; \
         shorten it"
    )]
    SignatureTooLong {
        /// Segment number (from 1) that would be left empty.
        segment: usize,
        /// Signature length in characters.
        chars: usize,
    },
    /// The options are out of range.
    #[error("invalid text options: {0}")]
    InvalidOptions(&'static str),
}
