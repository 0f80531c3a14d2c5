//! The session layer: one generic link driver for all three protocols.

mod sequence;

pub use sequence::{SequenceError, SequenceIds, ZeroId};
