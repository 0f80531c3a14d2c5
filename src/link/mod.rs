//! The session layer: one generic link driver for all three protocols.
