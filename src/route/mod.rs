//! Routing: which carrier a recipient number belongs to, and which link carries it.

mod carrier;
mod number;
mod portability;
mod segments;

pub use carrier::{Carrier, CarrierParseError};
pub use number::{MSISDN_DIGITS, Msisdn, NumberError, normalize};
pub use portability::{ImportError, ImportReport, PortabilityTable, RejectedRow, RowError};
pub use segments::{
    BUILTIN, MAX_PREFIX_DIGITS, MIN_PREFIX_DIGITS, Prefix, Segment, SegmentError, SegmentKind,
    SegmentProblem, SegmentTable,
};
